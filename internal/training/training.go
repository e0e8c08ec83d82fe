// Package training adds up the runs that posts tell of: each author's
// training log (weekly distance, totals per year and all time, the
// longest run, a calendar of the year, gear mileage), each author's
// records (race results and best efforts from activity files, the current
// record per standard distance and its history) and the club's week and
// month.
//
// Figures are built from what content publishes — never a draft, never a
// post dated in the future — using content's own rule (content.View), and
// once per Site and set of visible posts (see Cache): page views read
// them, they never rescan the posts.
package training

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"milepost/internal/activity"
	"milepost/internal/content"
)

// Settings are what the figures depend on besides the posts.
type Settings struct {
	// Location is the site's time zone: weeks start on Monday at midnight
	// there, and days and years are its days and years.
	Location *time.Location
	// Units are the site's: the club's figures are shown in them, and an
	// author whose runs do not say takes them.
	Units activity.Units
	// ShoeLimitM is the mileage past which a pair of shoes is noted as
	// worn; content.DefaultShoeLimitM when 0.
	ShoeLimitM float64
}

// RaceDistanceTolerance is how far a race's distance may be from a
// standard distance and still count for its record, as a fraction of the
// standard distance: 1% takes "26.2 mi" and "13.1 mi" as the marathon and
// the half (0.07% short) and a course declared 5.04 km as a 5 km, but not
// an 8 km race as anything. A race whose distance only the watch measured
// (often 1–3% long) counts through its best efforts instead.
const RaceDistanceTolerance = 0.01

// Total is a number of runs with their distance and time.
type Total struct {
	Runs      int
	DistanceM float64
	TimeS     float64
}

func (t *Total) add(r Run) {
	t.Runs++
	t.DistanceM += r.DistanceM
	t.TimeS += r.TimeS
}

// Run is one post's run as the figures count it.
type Run struct {
	Post      *content.Post
	Date      time.Time // the post's date, in the site's zone
	DistanceM float64
	TimeS     float64
}

// Performance is a time over a distance: a race result, or a best effort
// found in an activity file.
type Performance struct {
	Post *content.Post
	Date time.Time
	// Distance is the standard distance it counts for ("5 km", from
	// activity.EffortDistances); "" for a race of another distance.
	Distance  string
	DistanceM float64 // the standard distance, else the race's own
	// TimeS is the race's official time when given, else its time; a best
	// effort's time on the clock.
	TimeS float64
	// Race is the race's name; "" for a best effort.
	Race  string
	Place int // 0 when not given
}

// Record is an author's record over one standard distance.
type Record struct {
	Distance  string
	DistanceM float64
	// History is every performance that beat the record standing at its
	// date, oldest first: the first is the first performance over the
	// distance, the last the current record.
	History []Performance
}

// Current is the record standing now.
func (r Record) Current() Performance { return r.History[len(r.History)-1] }

// Author is one author's log and records.
type Author struct {
	Author *content.Author
	// Units are how the author's figures are shown: the author's, else
	// the site's.
	Units activity.Units
	// Runs are the author's runs, newest first.
	Runs    []Run
	AllTime Total
	// Years are the totals of each year with a run, newest first.
	Years []YearTotal
	// Longest is the longest run; nil without a run with a distance.
	Longest *Run
	// Gear is each pair of shoes, most worn first.
	Gear []Gear
	// Races are the author's race results, newest first, whatever their
	// distance.
	Races []Performance
	// Records are the author's records, in the order of
	// activity.EffortDistances; a distance without a performance has none.
	Records []Record

	weeks map[int]*Total // by the day number of the week's Monday
	days  map[int]*Total // by day number
}

// YearTotal is one year's total.
type YearTotal struct {
	Year int
	Total
}

// Gear is one pair of shoes: what was run in it.
type Gear struct {
	Shoes string // as the newest run names it, spaces tidied
	Total
	First, Last time.Time
	// Worn says the shoes are past the site's limit.
	Worn bool
}

// Week is one week of a log, from Monday.
type Week struct {
	Start time.Time // Monday, midnight, in the site's zone
	Total
}

// Day is one day of a calendar.
type Day struct {
	Date time.Time // midnight, in the site's zone
	Total
}

// Figures are everything the pages show, for one Site and set of visible
// posts.
type Figures struct {
	Settings Settings
	// Authors are the figures of each author with at least one run, by id.
	Authors map[string]*Author
	// Runs are every run, newest first, an author's or not.
	Runs []Run
	// Races are every race result, newest first.
	Races []RaceResult
	// NewRecords are every performance that beat an author's standing
	// record, newest first. An author's first performance over a distance
	// sets no new record: there was none to beat, and a runner's first
	// post would otherwise add up to seven.
	NewRecords []RecordSet
}

// RaceResult is a race result and whose it is.
type RaceResult struct {
	Author *content.Author
	Performance
}

// RecordSet is a performance that beat an author's record, with the
// record it beat.
type RecordSet struct {
	Author *content.Author
	Performance
	Previous Performance
}

// Build adds up posts, which are the visible posts of a View (content's
// rule decides which: see ForSite), newest first. Posts without a run are
// skipped.
func Build(posts content.Listing, s Settings) *Figures {
	if s.Location == nil {
		s.Location = time.UTC
	}
	if !s.Units.Valid() {
		s.Units = activity.Metric
	}
	if s.ShoeLimitM <= 0 {
		s.ShoeLimitM = content.DefaultShoeLimitM
	}
	f := &Figures{Settings: s, Authors: map[string]*Author{}}
	for _, p := range posts {
		if p.Run == nil {
			continue
		}
		r := Run{Post: p, Date: p.Date.In(s.Location), DistanceM: p.Run.DistanceM, TimeS: p.Run.TimeS}
		f.Runs = append(f.Runs, r)
		if p.Author == nil {
			continue
		}
		a := f.Authors[p.Author.ID]
		if a == nil {
			a = &Author{Author: p.Author, Units: p.Run.Units, weeks: map[int]*Total{}, days: map[int]*Total{}}
			if !a.Units.Valid() {
				a.Units = s.Units
			}
			f.Authors[p.Author.ID] = a
		}
		a.Runs = append(a.Runs, r)
	}
	for _, a := range f.Authors {
		a.addUp(s)
	}
	f.collect()
	return f
}

// addUp builds an author's figures from its runs.
func (a *Author) addUp(s Settings) {
	gear := map[string]*Gear{}
	for i := range a.Runs {
		r := a.Runs[i]
		a.AllTime.add(r)
		day := dayNumber(r.Date)
		total(a.days, day).add(r)
		total(a.weeks, weekOf(day)).add(r)
		if n := len(a.Years); n == 0 || a.Years[n-1].Year != r.Date.Year() {
			a.Years = append(a.Years, YearTotal{Year: r.Date.Year()})
		}
		a.Years[len(a.Years)-1].add(r)
		// Runs are newest first: an equal distance keeps the earlier run.
		if r.DistanceM > 0 && (a.Longest == nil || r.DistanceM >= a.Longest.DistanceM) {
			a.Longest = &a.Runs[i]
		}
		if shoes := strings.Join(strings.Fields(r.Post.Run.Shoes), " "); shoes != "" {
			// One pair however its name's case and spaces are typed.
			key := strings.ToLower(shoes)
			g := gear[key]
			if g == nil {
				g = &Gear{Shoes: shoes, Last: r.Date}
				gear[key] = g
			}
			g.add(r)
			g.First = r.Date
		}
	}
	for _, g := range gear {
		g.Worn = g.DistanceM > s.ShoeLimitM
		a.Gear = append(a.Gear, *g)
	}
	slices.SortFunc(a.Gear, func(x, y Gear) int {
		return cmp.Or(cmp.Compare(y.DistanceM, x.DistanceM), strings.Compare(x.Shoes, y.Shoes))
	})
	a.Races, a.Records = performances(a.Runs)
}

// performances are the race results of runs (newest first, as runs are)
// and the records their race results and best efforts set.
func performances(runs []Run) (races []Performance, records []Record) {
	byDistance := make([][]Performance, len(activity.EffortDistances))
	for _, r := range runs {
		run := r.Post.Run
		// efforts is how many of the standard distances the file's best
		// efforts may count for.
		efforts := len(activity.EffortDistances)
		if race := run.Race; race != nil {
			p := Performance{Post: r.Post, Date: r.Date, DistanceM: r.DistanceM, TimeS: r.TimeS, Race: race.Name, Place: race.Place}
			if activity.Positive(race.OfficialS) {
				p.TimeS = race.OfficialS
			}
			if i := standardDistance(r.DistanceM); i >= 0 && activity.Positive(p.TimeS) {
				p.Distance, p.DistanceM = activity.EffortDistances[i].Name, activity.EffortDistances[i].DistanceM
				byDistance[i] = append(byDistance[i], p)
				// The race's own time is its record over its distance.
				// GPS measures a course long, so the file finds its
				// distance, and any longer one, before the finish line:
				// a "best effort" faster than the official time.
				efforts = i
			}
			races = append(races, p)
		}
		if run.Activity == nil {
			continue
		}
		for _, e := range run.Activity.Summary.BestEfforts {
			i := effortIndex(e.DistanceM)
			if i < 0 || i >= efforts || !activity.Positive(e.TimeS) {
				continue
			}
			d := activity.EffortDistances[i]
			byDistance[i] = append(byDistance[i], Performance{Post: r.Post, Date: r.Date, Distance: d.Name, DistanceM: d.DistanceM, TimeS: e.TimeS})
		}
	}
	for i, ps := range byDistance {
		if len(ps) == 0 {
			continue
		}
		// Oldest first; on one day, the faster first, so that a slower
		// time the same day is not history.
		slices.SortStableFunc(ps, func(x, y Performance) int {
			return cmp.Or(x.Date.Compare(y.Date), cmp.Compare(x.TimeS, y.TimeS))
		})
		d := activity.EffortDistances[i]
		rec := Record{Distance: d.Name, DistanceM: d.DistanceM}
		for _, p := range ps {
			if len(rec.History) == 0 || p.TimeS < rec.Current().TimeS {
				rec.History = append(rec.History, p)
			}
		}
		records = append(records, rec)
	}
	return races, records
}

// effortIndex is the index in activity.EffortDistances of a best
// effort's distance; -1 for none.
func effortIndex(m float64) int {
	for i, d := range activity.EffortDistances {
		if d.DistanceM == m {
			return i
		}
	}
	return -1
}

// standardDistance is the index in activity.EffortDistances of the
// standard distance m is within RaceDistanceTolerance of; -1 for none.
func standardDistance(m float64) int {
	for i, d := range activity.EffortDistances {
		if math.Abs(m-d.DistanceM) <= RaceDistanceTolerance*d.DistanceM {
			return i
		}
	}
	return -1
}

// collect gathers the club's lists from the authors'.
func (f *Figures) collect() {
	for _, a := range f.Authors {
		for _, p := range a.Races {
			f.Races = append(f.Races, RaceResult{Author: a.Author, Performance: p})
		}
		for _, rec := range a.Records {
			for i := 1; i < len(rec.History); i++ {
				f.NewRecords = append(f.NewRecords, RecordSet{Author: a.Author, Performance: rec.History[i], Previous: rec.History[i-1]})
			}
		}
	}
	newestFirst := func(x, y Performance, ax, ay *content.Author) int {
		return cmp.Or(y.Date.Compare(x.Date), strings.Compare(ax.ID, ay.ID), cmp.Compare(x.DistanceM, y.DistanceM))
	}
	slices.SortFunc(f.Races, func(x, y RaceResult) int { return newestFirst(x.Performance, y.Performance, x.Author, y.Author) })
	slices.SortFunc(f.NewRecords, func(x, y RecordSet) int {
		return newestFirst(x.Performance, y.Performance, x.Author, y.Author)
	})
}

// Weeks are the n weeks up to and including the one now is in, oldest
// first.
func (a *Author) Weeks(now time.Time, loc *time.Location, n int) []Week {
	last := weekOf(dayNumber(now.In(loc)))
	out := make([]Week, n)
	for i := range out {
		start := last - 7*(n-1-i)
		out[i].Start = dayDate(start, loc)
		if t := a.weeks[start]; t != nil {
			out[i].Total = *t
		}
	}
	return out
}

// Calendar is every day of the year, from January 1.
func (a *Author) Calendar(year int, loc *time.Location) []Day {
	first := dayNumber(time.Date(year, time.January, 1, 0, 0, 0, 0, loc))
	end := dayNumber(time.Date(year+1, time.January, 1, 0, 0, 0, 0, loc))
	out := make([]Day, end-first)
	for i := range out {
		out[i].Date = dayDate(first+i, loc)
		if t := a.days[first+i]; t != nil {
			out[i].Total = *t
		}
	}
	return out
}

// Year is the year's total; zero when the author did not run that year.
func (a *Author) Year(year int) YearTotal {
	for _, y := range a.Years {
		if y.Year == year {
			return y
		}
	}
	return YearTotal{Year: year}
}

// dayNumber counts the days since 1970-01-01 of t's calendar date where t
// is: days, weeks and years follow the local calendar whatever the clock
// changes of the zone (a day of 23 or 25 hours is one day).
func dayNumber(t time.Time) int {
	y, m, d := t.Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// dayDate is the midnight starting day n in loc.
func dayDate(n int, loc *time.Location) time.Time {
	return time.Date(1970, time.January, 1+n, 0, 0, 0, 0, loc)
}

// weekOf is the day number of the Monday starting the week of day n.
func weekOf(n int) int {
	// 1970-01-01 was a Thursday: day 0 is 3 days after a Monday.
	return n - ((n%7 + 7 + 3) % 7)
}

func total(m map[int]*Total, k int) *Total {
	t := m[k]
	if t == nil {
		t = &Total{}
		m[k] = t
	}
	return t
}
