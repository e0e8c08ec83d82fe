package strava

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func losAngeles(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// A real export's rows: three runs with a FIT, a GPX and a TCX file, a
// ride, and a trail run.
func sampleExport(t *testing.T) []byte {
	fit := gzipped(t, realFile(t, "triathlon_fr255.fit"))
	gpx := realFile(t, "polar_pacer_pause.gpx")
	tcx := gzipped(t, realFile(t, "garmin_running.tcx"))
	csv := csvText(t, exportHeader,
		row{id: "10001", date: "Jan 2, 2024, 3:03:12 PM", name: "Race: Portland 10K", kind: "Run",
			description: "Felt strong.\n\nNegative split!", elapsed: "2950", km: "10.02", metres: "10023.400390625",
			moving: "2883.0", gain: "41.5", file: "activities/10001.fit.gz"},
		row{id: "10002", date: "Jan 3, 2024, 7:00:00 AM", name: "Morning Ride", kind: "Ride",
			elapsed: "3600", km: "30.1", metres: "30100.0", moving: "3500.0", file: "activities/10002.gpx"},
		row{id: "10003", date: "Feb 10, 2024, 4:30:00 PM", name: "Hill repeats", kind: "Run",
			elapsed: "4000", km: "12.5", metres: "12500.0", moving: "3725.0", gain: "210.0", file: "activities/10003.gpx"},
		row{id: "10004", date: "Mar 1, 2024, 6:00:00 PM", name: "Forest Park", kind: "Trail Run",
			elapsed: "5400", km: "15.0", metres: "15000.0", moving: "5300.0", gain: "400", file: "activities/10004.tcx.gz"},
	)
	return zipOf(t,
		entry{name: "activities.csv", data: csv},
		entry{name: "activities/10001.fit.gz", data: fit},
		entry{name: "activities/10002.gpx", data: gpx},
		entry{name: "activities/10003.gpx", data: gpx},
		entry{name: "activities/10004.tcx.gz", data: tcx},
		entry{name: "media/x.jpg", data: []byte("not read")},
	)
}

func TestEachRunBecomesADraftWithItsFiguresDescriptionAndFile(t *testing.T) {
	data := sampleExport(t)
	e := openExport(t, data, DefaultLimits)
	rep, bundles := importAll(t, e, Options{Location: losAngeles(t)})

	if len(bundles) != 3 || len(rep.Imported) != 3 {
		t.Fatalf("imported %d bundles (report %d), want the 3 runs; skipped %+v", len(bundles), len(rep.Imported), rep.Skipped)
	}
	if got := skipped(rep, "10002"); got != SkipType {
		t.Errorf("the ride: skipped %q, want %q", got, SkipType)
	}
	race := bundles[0]
	if race.Slug != "race-portland-10k" || race.FileName != "10001.fit.gz" {
		t.Errorf("slug %q, file %q; want race-portland-10k, 10001.fit.gz", race.Slug, race.FileName)
	}
	if want := gzipped(t, realFile(t, "triathlon_fr255.fit")); !bytes.Equal(race.File, want) {
		t.Error("the activity file is not the export's, byte for byte")
	}
	// Strava's 3:03:12 PM UTC is 7:03:12 AM in Portland; distance from the
	// metres column, time the moving time.
	if race.Title != "Race: Portland 10K" || race.Date.Format(time.RFC3339) != "2024-01-02T07:03:12-08:00" {
		t.Errorf("title %q, date %s", race.Title, race.Date.Format(time.RFC3339))
	}
	want := `activity: 10001.fit.gz
run:
    distance: 10.023 km
    time: 48:03
    elevation: 42 m
strava_id: "10001"
`
	if got := frontText(t, race); got != want {
		t.Errorf("run keys:\n%s\nwant:\n%s", got, want)
	}
	if race.Body != "Felt strong.\n\nNegative split!" {
		t.Errorf("body %q, want the description", race.Body)
	}
	hills := frontText(t, bundles[1])
	for _, line := range []string{"time: 1:02:05", "distance: 12.5 km", "elevation: 210 m", "activity: 10003.gpx"} {
		if !strings.Contains(hills, line) {
			t.Errorf("hill repeats: no %q in\n%s", line, hills)
		}
	}
	if bundles[2].Slug != "forest-park" || bundles[2].FileName != "10004.tcx.gz" {
		t.Errorf("the trail run is %s with %s", bundles[2].Slug, bundles[2].FileName)
	}
}

func TestRunTypeFromStravasWorkoutTypeOrNone(t *testing.T) {
	for workout, want := range map[string]string{"1": "race", "Race": "race", "2": "long", "Long Run": "long", "3": "workout", "Workout": "workout", "0": "", "": "", "Default": "", "11": ""} {
		if got := string(RunType(workout)); got != want {
			t.Errorf("RunType(%q) = %q, want %q", workout, got, want)
		}
	}
	// An export that has the column: the type is written; one that does
	// not has no type: line.
	header := "Activity ID,Activity Date,Activity Name,Activity Type,Workout Type,Filename"
	csv := []byte(header + "\n7,\"Jan 2, 2024, 7:03:12 AM\",Marathon,Run,1,activities/7.gpx\n")
	e := openExport(t, zipOf(t, entry{name: "activities.csv", data: csv}, entry{name: "activities/7.gpx", data: realFile(t, "polar_pacer_pause.gpx")}), DefaultLimits)
	_, bundles := importAll(t, e, Options{})
	if len(bundles) != 1 {
		t.Fatalf("a race: %d bundles", len(bundles))
	}
	if front := frontText(t, bundles[0]); !strings.Contains(front, "run:\n    type: race\n") {
		t.Errorf("a race:\n%s", front)
	}
	_, plain := importAll(t, openExport(t, sampleExport(t), DefaultLimits), Options{})
	if front := frontText(t, plain[0]); strings.Contains(front, "type:") {
		t.Errorf("a run Strava says nothing of has a type:\n%s", front)
	}
}

func TestFiltersTypeAndSince(t *testing.T) {
	loc := losAngeles(t)
	since := time.Date(2024, 2, 10, 0, 0, 0, 0, loc)
	rep, _ := importAll(t, openExport(t, sampleExport(t), DefaultLimits), Options{Location: loc, Since: since})
	if got := skipped(rep, "10001"); got != SkipBefore {
		t.Errorf("a run before -since: %q", got)
	}
	if len(rep.Imported) != 2 || rep.Imported[0].ID != "10003" || rep.Imported[1].ID != "10004" {
		t.Errorf("since %v imported %+v", since, rep.Imported)
	}

	rep, _ = importAll(t, openExport(t, sampleExport(t), DefaultLimits), Options{Type: "ride"})
	if len(rep.Imported) != 1 || rep.Imported[0].ID != "10002" {
		t.Errorf("-type ride imported %+v", rep.Imported)
	}
	rep, _ = importAll(t, openExport(t, sampleExport(t), DefaultLimits), Options{Type: "Trail Run"})
	if len(rep.Imported) != 1 || rep.Imported[0].ID != "10004" {
		t.Errorf("-type 'Trail Run' imported %+v", rep.Imported)
	}
	for _, c := range []struct {
		want, got string
		ok        bool
	}{{"Run", "Run", true}, {"Run", "Trail Run", true}, {"Run", "Virtual Run", true}, {"run", "RUN", true},
		{"Run", "Ride", false}, {"Run", "Running Race", false}, {"Run", "Rerun", false}, {"Trail Run", "Run", false}} {
		if TypeMatches(c.want, c.got) != c.ok {
			t.Errorf("TypeMatches(%q, %q) = %v", c.want, c.got, !c.ok)
		}
	}
}

func TestASecondImportAddsNothing(t *testing.T) {
	// The site has the race already (a post with its strava_id).
	opts := Options{Imported: map[string]string{"10001": "posts/race-portland-10k/index.md"}}
	rep, bundles := importAll(t, openExport(t, sampleExport(t), DefaultLimits), opts)
	if got := skipped(rep, "10001"); got != SkipImported {
		t.Errorf("an imported run: skipped %q", got)
	}
	if len(bundles) != 2 {
		t.Errorf("%d bundles, want the 2 runs not imported yet", len(bundles))
	}
	// The same activity twice in one export is imported once.
	csv := csvText(t, exportHeader,
		row{id: "5", date: "Jan 2, 2024, 7:03:12 AM", name: "Run", kind: "Run", file: "activities/5.gpx"},
		row{id: "5", date: "Jan 2, 2024, 7:03:12 AM", name: "Run", kind: "Run", file: "activities/5.gpx"})
	e := openExport(t, zipOf(t, entry{name: "activities.csv", data: csv}, entry{name: "activities/5.gpx", data: realFile(t, "polar_pacer_pause.gpx")}), DefaultLimits)
	if rep, _ := importAll(t, e, Options{}); len(rep.Imported) != 1 || rep.Count(SkipImported) != 1 {
		t.Errorf("an activity listed twice: imported %d, skipped as imported %d", len(rep.Imported), rep.Count(SkipImported))
	}
}

func TestIDInTextFindsTheLineAnImportWrites(t *testing.T) {
	_, bundles := importAll(t, openExport(t, sampleExport(t), DefaultLimits), Options{})
	if got := IDInText([]byte(frontText(t, bundles[0]))); got != "10001" {
		t.Errorf("IDInText of an imported post = %q", got)
	}
	broken := "---\ntitle: [unclosed\nstrava_id: 42\n---\n"
	if got := IDInText([]byte(broken)); got != "42" {
		t.Errorf("IDInText of a broken post = %q", got)
	}
	if got := IDInText([]byte("---\ntitle: x\n---\nmy strava_id: 42\n")); got != "" {
		t.Errorf("IDInText found %q in the body", got)
	}
}

func TestSlugsClashGetTheDayThenANumber(t *testing.T) {
	csv := csvText(t, exportHeader,
		row{id: "1", date: "Jan 2, 2024, 3:00:00 PM", name: "Morning Run", kind: "Run", file: "activities/1.gpx"},
		row{id: "2", date: "Jan 2, 2024, 5:00:00 PM", name: "Morning Run", kind: "Run", file: "activities/1.gpx"},
		row{id: "3", date: "Jan 3, 2024, 3:00:00 PM", name: "Morning Run", kind: "Run", file: "activities/1.gpx"},
		row{id: "4", date: "Jan 4, 2024, 3:00:00 PM", name: "🏃", kind: "Run", file: "activities/1.gpx"},
		row{id: "5", date: "Jan 5, 2024, 3:00:00 PM", name: "", kind: "Run", file: "activities/1.gpx"})
	e := openExport(t, zipOf(t, entry{name: "activities.csv", data: csv}, entry{name: "activities/1.gpx", data: realFile(t, "polar_pacer_pause.gpx")}), DefaultLimits)
	// The site has a post morning-run already.
	_, bundles := importAll(t, e, Options{Location: losAngeles(t), SlugFree: func(s string) bool { return s != "morning-run" }})
	var slugs []string
	for _, b := range bundles {
		slugs = append(slugs, b.Slug)
	}
	want := "morning-run-2024-01-02 morning-run-2024-01-02-2 morning-run-2024-01-03 run run-on-january-5-2024"
	if got := strings.Join(slugs, " "); got != want {
		t.Errorf("slugs %s\nwant  %s", got, want)
	}
	if bundles[4].Title != "Run on January 5, 2024" {
		t.Errorf("a run without a name: title %q", bundles[4].Title)
	}
}

func TestRunsWithoutAReadableFileAreReportedNotImported(t *testing.T) {
	gpx := realFile(t, "polar_pacer_pause.gpx")
	csv := csvText(t, exportHeader,
		row{id: "1", date: "Jan 2, 2024, 7:03:12 AM", name: "By hand", kind: "Run"},
		row{id: "2", date: "Jan 2, 2024, 7:03:12 AM", name: "Lost", kind: "Run", file: "activities/2.gpx"},
		row{id: "3", date: "Jan 2, 2024, 7:03:12 AM", name: "Damaged", kind: "Run", file: "activities/3.fit.gz"},
		row{id: "4", date: "Jan 2, 2024, 7:03:12 AM", name: "Cut off", kind: "Run", file: "activities/4.gpx"},
		row{id: "5", date: "Jan 2, 2024, 7:03:12 AM", name: "Good", kind: "Run", file: "activities/5.gpx"},
		row{id: "x", date: "Jan 2, 2024, 7:03:12 AM", name: "No ID", kind: "Run", file: "activities/5.gpx"},
		row{id: "7", date: "yesterday", name: "No date", kind: "Run", file: "activities/5.gpx"},
	)
	e := openExport(t, zipOf(t,
		entry{name: "activities.csv", data: csv},
		entry{name: "activities/3.fit.gz", data: gzipped(t, []byte("this is not a FIT file at all"))},
		entry{name: "activities/4.gpx", data: gpx[:200]},
		entry{name: "activities/5.gpx", data: gpx},
	), DefaultLimits)
	rep, bundles := importAll(t, e, Options{})
	if len(bundles) != 1 || bundles[0].Activity.ID != "5" {
		t.Fatalf("imported %+v, want only the good run", rep.Imported)
	}
	for id, want := range map[string]Reason{"1": SkipNoFile, "2": SkipNoFile, "3": SkipUnreadable, "4": SkipUnreadable, "7": SkipBadRow} {
		if got := skipped(rep, id); got != want {
			t.Errorf("activity %s: skipped %q, want %q (%s)", id, got, want, detail(rep, id))
		}
	}
	if rep.Count(SkipBadRow) != 2 {
		t.Errorf("%d bad rows, want 2 (no ID, no date): %+v", rep.Count(SkipBadRow), rep.Skipped)
	}
	if d := detail(rep, "3"); !strings.Contains(d, "3.fit.gz") {
		t.Errorf("the damaged file's reason does not name it: %q", d)
	}
}

func TestOpenRefusesWhatIsNotAnExport(t *testing.T) {
	for name, data := range map[string][]byte{
		"not a zip":          []byte("PK but not really"),
		"no activities.csv":  zipOf(t, entry{name: "profile.csv", data: []byte("a,b\n")}),
		"no Activity ID":     zipOf(t, entry{name: "activities.csv", data: []byte("Aktivitäts-ID,Aktivitätsdatum\n1,2\n")}),
		"an unclosed quote":  zipOf(t, entry{name: "activities.csv", data: []byte(exportHeader + "\n1,\"Jan 2, 2024\n")}),
		"two exports zipped": zipOf(t, entry{name: "a/activities.csv", data: csvText(t, exportHeader)}, entry{name: "b/activities.csv", data: csvText(t, exportHeader)}),
	} {
		if _, err := Open(context.Background(), bytes.NewReader(data), int64(len(data)), DefaultLimits); err == nil {
			t.Errorf("%s: opened", name)
		}
	}
}

func TestAnExportZippedInItsFolderIsRead(t *testing.T) {
	csv := csvText(t, exportHeader, row{id: "1", date: "Jan 2, 2024, 7:03:12 AM", name: "Run", kind: "Run", file: "activities/1.gpx"})
	e := openExport(t, zipOf(t,
		entry{name: "export_123/activities.csv", data: csv},
		entry{name: "export_123/activities/1.gpx", data: realFile(t, "polar_pacer_pause.gpx")},
	), DefaultLimits)
	if rep, _ := importAll(t, e, Options{}); len(rep.Imported) != 1 {
		t.Errorf("imported %+v, skipped %+v", rep.Imported, rep.Skipped)
	}
}

// A race is timed on the clock, pauses included: its run: time is
// Strava's elapsed time; any other run's is its moving time.
func TestARaceIsWrittenWithItsElapsedTime(t *testing.T) {
	header := "Activity ID,Activity Date,Activity Name,Activity Type,Workout Type,Elapsed Time,Moving Time,Filename"
	csv := []byte(header + "\n" +
		"7,\"Jan 2, 2024, 7:03:12 AM\",Bridge 10K,Run,1,2530,2470,activities/7.gpx\n" +
		"8,\"Jan 3, 2024, 7:03:12 AM\",Easy,Run,0,2530,2470,activities/8.gpx\n")
	gpx := realFile(t, "polar_pacer_pause.gpx")
	e := openExport(t, zipOf(t, entry{name: "activities.csv", data: csv}, entry{name: "activities/7.gpx", data: gpx}, entry{name: "activities/8.gpx", data: gpx}), DefaultLimits)
	_, bundles := importAll(t, e, Options{})
	if len(bundles) != 2 {
		t.Fatalf("%d bundles", len(bundles))
	}
	for _, b := range bundles {
		want := map[string]string{"bridge-10k": "time: 42:10", "easy": "time: 41:10"}[b.Slug]
		if front := frontText(t, b); want == "" || !strings.Contains(front, want+"\n") {
			t.Errorf("%s: want %q in\n%s", b.Slug, want, front)
		}
	}
}
