package training

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"milepost/internal/activity"
	"milepost/internal/content"
)

var (
	kay = &content.Author{ID: "kay", Name: "Kay"}
	sam = &content.Author{ID: "sam", Name: "Sam"}
)

func losAngeles(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	return loc
}

// post is a published run post.
func post(a *content.Author, date time.Time, km float64, run ...func(*content.Run)) *content.Post {
	r := &content.Run{DistanceM: km * 1000, TimeS: km * 300, Units: activity.Metric}
	for _, f := range run {
		f(r)
	}
	return &content.Post{Slug: fmt.Sprintf("%s-%s", a.ID, date.Format("2006-01-02-1504")), Date: date, Author: a, Run: r}
}

// newestFirst sorts posts as content lists them.
func newestFirst(posts ...*content.Post) content.Listing {
	l := content.Listing(posts)
	slices.SortStableFunc(l, func(a, b *content.Post) int { return b.Date.Compare(a.Date) })
	return l
}

func race(name string, officialS float64) func(*content.Run) {
	return func(r *content.Run) {
		r.Type = content.RunRace
		r.Race = &content.Race{Name: name, OfficialS: officialS}
	}
}

func timed(s float64) func(*content.Run) { return func(r *content.Run) { r.TimeS = s } }

func shoes(name string) func(*content.Run) { return func(r *content.Run) { r.Shoes = name } }

func efforts(es ...activity.BestEffort) func(*content.Run) {
	return func(r *content.Run) {
		r.Activity = &content.Activity{File: "run.fit", Summary: activity.Summary{BestEfforts: es}}
	}
}

func TestWeeksStartOnMondayInTheSiteZoneAcrossAYearEnd(t *testing.T) {
	la := losAngeles(t)
	at := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, la) }
	f := Build(newestFirst(
		// Sunday night in Los Angeles, already Monday in UTC: last week.
		post(kay, at(2025, time.December, 28, 23, 30), 10),
		post(kay, at(2025, time.December, 29, 0, 10), 5), // Monday: a new week
		post(kay, at(2026, time.January, 1, 8, 0), 7),    // New Year's Day: the same week, another year
		post(kay, at(2026, time.January, 4, 23, 59), 3),  // Sunday: still that week
		post(kay, at(2026, time.January, 5, 6, 0), 12),
	), Settings{Location: la})
	weeks := f.Authors["kay"].Weeks(at(2026, time.January, 6, 12, 0), la, 3)
	want := []struct {
		start time.Time
		km    float64
		runs  int
	}{
		{at(2025, time.December, 22, 0, 0), 10, 1},
		{at(2025, time.December, 29, 0, 0), 15, 3},
		{at(2026, time.January, 5, 0, 0), 12, 1},
	}
	for i, w := range want {
		if got := weeks[i]; !got.Start.Equal(w.start) || got.DistanceM != w.km*1000 || got.Runs != w.runs {
			t.Errorf("week %d: %s, %.0f m, %d runs; want %s, %.0f km, %d runs", i, got.Start, got.DistanceM, got.Runs, w.start, w.km, w.runs)
		}
	}
	years := f.Authors["kay"].Years
	if len(years) != 2 || years[0].Year != 2026 || years[0].DistanceM != 22000 || years[0].Runs != 3 ||
		years[1].Year != 2025 || years[1].DistanceM != 15000 {
		t.Errorf("years %+v", years)
	}
}

func TestWeeksAcrossTheClockChanges(t *testing.T) {
	la := losAngeles(t)
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 30, 0, 0, la) }
	// Clocks go forward on Sunday March 8, 2026 and back on Sunday
	// November 1: those weeks are 167 and 169 hours long.
	f := Build(newestFirst(
		post(kay, at(time.March, 2, 0), 1),
		post(kay, at(time.March, 8, 23), 2),
		post(kay, at(time.March, 9, 0), 4),
		post(kay, at(time.October, 26, 0), 8),
		post(kay, at(time.November, 1, 23), 16),
		post(kay, at(time.November, 2, 0), 32),
	), Settings{Location: la})
	a := f.Authors["kay"]
	check := func(now time.Time, want ...float64) {
		t.Helper()
		weeks := a.Weeks(now, la, len(want))
		for i, w := range weeks {
			if w.Start.Weekday() != time.Monday || w.Start.Hour() != 0 || w.DistanceM != want[i]*1000 {
				t.Errorf("week from %s: %.0f m, want %.0f km", w.Start, w.DistanceM, want[i])
			}
		}
	}
	check(at(time.March, 9, 12), 3, 4)
	check(at(time.November, 2, 12), 24, 32)

	days := a.Calendar(2026, la)
	if len(days) != 365 || days[66].Date.Day() != 8 || days[66].DistanceM != 2000 || days[67].DistanceM != 4000 {
		t.Errorf("calendar: %d days, March 8 %+v, March 9 %+v", len(days), days[66], days[67])
	}
	for i := 1; i < len(days); i++ {
		if days[i].Date.Hour() != 0 || days[i].Date.YearDay() != i+1 {
			t.Fatalf("day %d is %s", i+1, days[i].Date)
		}
	}
}

func TestTotalsAndTheLongestRun(t *testing.T) {
	utc := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 7, 0, 0, 0, time.UTC) }
	first21 := post(kay, utc(2024, time.May, 1), 21)
	f := Build(newestFirst(
		post(kay, utc(2024, time.April, 1), 10),
		first21,
		post(kay, utc(2025, time.May, 1), 21), // as long, later: not the longest
		post(kay, utc(2025, time.June, 1), 5),
		post(sam, utc(2025, time.June, 1), 30),
	), Settings{})
	a := f.Authors["kay"]
	if a.AllTime.Runs != 4 || a.AllTime.DistanceM != 57000 || a.AllTime.TimeS != 57*300 {
		t.Errorf("all time %+v", a.AllTime)
	}
	if a.Longest == nil || a.Longest.Post != first21 {
		t.Errorf("longest %+v, want the first 21 km", a.Longest)
	}
	if y := a.Year(2024); y.Runs != 2 || y.DistanceM != 31000 {
		t.Errorf("2024: %+v", y)
	}
	if y := a.Year(2023); y.Runs != 0 {
		t.Errorf("2023: %+v", y)
	}
	if f.Authors["sam"].AllTime.DistanceM != 30000 || len(f.Runs) != 5 {
		t.Errorf("sam %+v, %d runs in all", f.Authors["sam"].AllTime, len(f.Runs))
	}
}

func TestPostsWithoutARunAreNotCounted(t *testing.T) {
	story := &content.Post{Slug: "thoughts", Date: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Author: kay}
	f := Build(content.Listing{story, post(kay, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 5)}, Settings{})
	if a := f.Authors["kay"]; a.AllTime.Runs != 1 || len(f.Runs) != 1 {
		t.Errorf("a post without a run counted: %+v", a.AllTime)
	}
}

func TestGearMileageIsNotedPastTheLimit(t *testing.T) {
	var posts []*content.Post
	day := time.Date(2026, time.March, 1, 7, 0, 0, 0, time.UTC)
	for i := range 8 {
		name := "Pegasus 40"
		if i%2 == 1 {
			name = " pegasus  40" // the same pair, written carelessly
		}
		posts = append(posts, post(kay, day.AddDate(0, 0, i), 100, shoes(name)))
	}
	posts = append(posts, post(kay, day.AddDate(0, 0, 20), 50, shoes("Vaporfly")), post(kay, day.AddDate(0, 0, 21), 10))
	l := newestFirst(posts...)

	gear := Build(l, Settings{}).Authors["kay"].Gear
	if len(gear) != 2 {
		t.Fatalf("gear %+v", gear)
	}
	if g := gear[0]; g.Shoes != "pegasus 40" || g.DistanceM != 800_000 || g.Runs != 8 || !g.Worn ||
		!g.First.Equal(day) || !g.Last.Equal(day.AddDate(0, 0, 7)) {
		t.Errorf("past the default %d m: %+v", content.DefaultShoeLimitM, g)
	}
	if g := gear[1]; g.Shoes != "Vaporfly" || g.DistanceM != 50_000 || g.Worn {
		t.Errorf("new shoes: %+v", g)
	}
	for _, g := range Build(l, Settings{ShoeLimitM: 40_000}).Authors["kay"].Gear {
		if !g.Worn {
			t.Errorf("past a limit of 40 km, not noted: %+v", g)
		}
	}
}

func TestUnitsAreTheAuthorsElseTheSites(t *testing.T) {
	day := time.Date(2026, time.March, 1, 7, 0, 0, 0, time.UTC)
	miles := post(kay, day, 5, func(r *content.Run) { r.Units = activity.Imperial })
	unset := post(sam, day, 5, func(r *content.Run) { r.Units = "" })
	f := Build(content.Listing{miles, unset}, Settings{Units: activity.Imperial})
	if f.Authors["kay"].Units != activity.Imperial || f.Authors["sam"].Units != activity.Imperial {
		t.Errorf("units %s, %s", f.Authors["kay"].Units, f.Authors["sam"].Units)
	}
	if f := Build(content.Listing{unset}, Settings{}); f.Authors["sam"].Units != activity.Metric || f.Settings.Units != activity.Metric {
		t.Errorf("a site without units is not metric: %s", f.Authors["sam"].Units)
	}
}

func TestRecordsAndTheirHistory(t *testing.T) {
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 9, 0, 0, 0, time.UTC) }
	fiveK := activity.EffortDistances[3]
	firstRace := post(kay, at(2024, time.March, 3), 5, race("Shamrock 5K", 0), timed(25*60))
	effort := post(kay, at(2024, time.June, 1), 12, efforts(
		activity.BestEffort{Name: fiveK.Name, DistanceM: fiveK.DistanceM, TimeS: 24*60 + 30},
		activity.BestEffort{Name: "1 km", DistanceM: 1000, TimeS: 4*60 + 20},
	))
	slower := post(kay, at(2025, time.March, 2), 5, race("Shamrock 5K", 26*60))
	marathon := post(kay, at(2025, time.October, 5), 42.16, race("Portland Marathon", 3*3600+28*60+15), timed(3*3600+31*60),
		func(r *content.Run) { r.Race.Place = 312; r.DistanceM = 26.2 * activity.MetresPerMile })
	eightK := post(kay, at(2025, time.November, 27), 8, race("Turkey Trot", 0), timed(38*60))
	f := Build(newestFirst(firstRace, effort, slower, marathon, eightK), Settings{})
	a := f.Authors["kay"]

	if len(a.Races) != 4 || a.Races[0].Post != eightK || a.Races[0].Distance != "" || a.Races[0].TimeS != 38*60 {
		t.Fatalf("races %+v", a.Races)
	}
	if m := a.Races[1]; m.Distance != "marathon" || m.DistanceM != 42195 || m.TimeS != 3*3600+28*60+15 || m.Place != 312 || m.Race != "Portland Marathon" {
		t.Errorf("a race of 26.2 mi with an official time: %+v", m)
	}
	var names []string
	for _, r := range a.Records {
		names = append(names, r.Distance)
	}
	if !slices.Equal(names, []string{"1 km", "5 km", "marathon"}) {
		t.Fatalf("records over %q", names)
	}
	five := a.Records[1]
	if len(five.History) != 2 || five.History[0].Post != firstRace || five.History[0].Race != "Shamrock 5K" ||
		five.Current().Post != effort || five.Current().TimeS != 24*60+30 || five.Current().Race != "" {
		t.Errorf("5 km history %+v", five.History)
	}
	// Only the 5 km effort beat a record; the first performances over
	// 1 km, 5 km and the marathon had none to beat.
	if len(f.NewRecords) != 1 || f.NewRecords[0].Post != effort || f.NewRecords[0].Distance != "5 km" || f.NewRecords[0].Previous.Post != firstRace {
		t.Errorf("new records: %+v", f.NewRecords)
	}
}

func TestARunnersFirstPerformancesAreNoNewRecords(t *testing.T) {
	at := func(d int) time.Time { return time.Date(2026, time.November, d, 9, 0, 0, 0, time.UTC) }
	var all []activity.BestEffort
	for _, d := range activity.EffortDistances {
		all = append(all, activity.BestEffort{Name: d.Name, DistanceM: d.DistanceM, TimeS: d.DistanceM * 0.3})
	}
	first := post(sam, at(1), 43, efforts(all...))
	f := Build(newestFirst(first), Settings{})
	if len(f.Authors["sam"].Records) != 7 || len(f.NewRecords) != 0 {
		t.Errorf("a first post: %d records, %d new records, want 7 and none", len(f.Authors["sam"].Records), len(f.NewRecords))
	}
	faster := post(sam, at(8), 5, efforts(activity.BestEffort{Name: "5 km", DistanceM: 5000, TimeS: 1400}))
	f = Build(newestFirst(first, faster), Settings{})
	if len(f.NewRecords) != 1 || f.NewRecords[0].Post != faster || f.NewRecords[0].Previous.Post != first || f.NewRecords[0].Previous.TimeS != 1500 {
		t.Errorf("a faster 5 km: new records %+v", f.NewRecords)
	}
}

// A race's file measures its course long (GPS): its best effort over the
// race's distance is faster than the official time, and no record. Its
// shorter efforts count; a run that is no race keeps all of its own.
func TestARacesFileCountsNoEffortAtOrAboveTheRaceDistance(t *testing.T) {
	at := func(d int) time.Time { return time.Date(2026, time.October, d, 9, 0, 0, 0, time.UTC) }
	gpsLong := efforts(
		activity.BestEffort{Name: "1 km", DistanceM: 1000, TimeS: 230},
		activity.BestEffort{Name: "5 km", DistanceM: 5000, TimeS: 1185},
		activity.BestEffort{Name: "10 km", DistanceM: 10000, TimeS: 2390},
		activity.BestEffort{Name: "half marathon", DistanceM: 21097.5, TimeS: 5050},
	)
	tenK := post(kay, at(4), 10, race("Bridge 10K", 2400), gpsLong)
	f := Build(newestFirst(tenK), Settings{})
	got := map[string]float64{}
	for _, r := range f.Authors["kay"].Records {
		got[r.Distance] = r.Current().TimeS
	}
	want := map[string]float64{"1 km": 230, "5 km": 1185, "10 km": 2400}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("records of a 10 km race: %v, want %v (the official 10 km, no half)", got, want)
	}
	training := post(kay, at(4), 10, gpsLong)
	f = Build(newestFirst(training), Settings{})
	if n := len(f.Authors["kay"].Records); n != 4 {
		t.Errorf("a training run's file counts for %d records, want all 4 of its efforts", n)
	}
}

func TestRaceDistanceTolerance(t *testing.T) {
	for _, tt := range []struct {
		m    float64
		want string
	}{
		{5000, "5 km"}, {5040, "5 km"}, {4960, "5 km"}, {5100, ""}, {8000, ""},
		{13.1 * activity.MetresPerMile, "half marathon"}, {26.2 * activity.MetresPerMile, "marathon"},
		{activity.MetresPerMile, "1 mile"}, {1000, "1 km"}, {42195 * 1.02, ""},
	} {
		got := ""
		if i := standardDistance(tt.m); i >= 0 {
			got = activity.EffortDistances[i].Name
		}
		if got != tt.want {
			t.Errorf("a race of %.1f m counts for %q, want %q", tt.m, got, tt.want)
		}
	}
}
