package content

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"milepost/internal/activity"
	"milepost/internal/activity/activitytest"
)

// activityFixture is a real recording of the activity package's tests (activitytest).
func activityFixture(t testing.TB, name string) string {
	t.Helper()
	return string(activitytest.File(t, name))
}

// gzipped is text compressed with gzip.
func gzipped(t testing.TB, text string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write([]byte(text)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// warningList is the site's warnings as "file:line: message".
func warningList(s *Site) []string {
	var out []string
	for _, p := range s.Warnings {
		out = append(out, p.Error())
	}
	return out
}

// triathlonStart is where the running leg of triathlon_fr255.fit starts.
var triathlonStart = activity.Zone{Lat: 39.03780818916857, Lon: -94.76844845339656}

func TestRunFrontMatterDeclaresTheRunInYAMLAndTOML(t *testing.T) {
	yamlPost := "---\ntitle: Marathon\ndate: 2024-10-06\nrun:\n  type: Race\n  distance: 26.2 mi\n  time: 3:28:15\n" +
		"  elevation: 120 m\n  race: Portland Marathon\n  place: 312\n  bib: F1234\n  official: 3:28:40\n  shoes: Pegasus 40\n---\nRan it.\n"
	tomlPost := "+++\ntitle = \"Marathon\"\ndate = 2024-10-06\n[run]\ntype = \"race\"\ndistance = \"26.2 mi\"\ntime = \"3:28:15\"\n" +
		"elevation = \"120 m\"\nrace = \"Portland Marathon\"\nplace = 312\nbib = \"F1234\"\nofficial = 03:28:40\nshoes = \"Pegasus 40\"\n+++\nRan it.\n"
	want := &Run{
		Type: RunRace, DistanceM: 26.2 * activity.MetresPerMile, TimeS: 3*3600 + 28*60 + 15,
		ElevationM: 120, HasElevation: true,
		Race:  &Race{Name: "Portland Marathon", Place: 312, Bib: "F1234", OfficialS: 3*3600 + 28*60 + 40},
		Shoes: "Pegasus 40", Units: activity.Metric,
	}
	tomlDotted := "+++\ntitle = \"Marathon\"\ndate = 2024-10-06\nrun.type = \"race\"\nrun.distance = \"26.2 mi\"\nrun.time = \"3:28:15\"\n" +
		"run.elevation = \"120 m\"\nrun.race = \"Portland Marathon\"\nrun.place = 312\nrun.bib = \"F1234\"\nrun.official = \"3:28:40\"\nrun.shoes = \"Pegasus 40\"\n+++\nRan it.\n"
	for name, src := range map[string]string{"YAML": yamlPost, "TOML": tomlPost, "TOML dotted keys": tomlDotted} {
		t.Run(name, func(t *testing.T) {
			site := loadSite(t, files{"posts/marathon.md": src})
			p := onlyPost(t, site)
			if len(site.Warnings) > 0 {
				t.Fatalf("warnings: %v", warningList(site))
			}
			if d := cmp.Diff(want, p.Run); d != "" {
				t.Errorf("run (-want +got):\n%s", d)
			}
			if _, ok := p.Params["run"]; ok {
				t.Error("run: is also in Params, for themes, as if Milepost did not know it")
			}
		})
	}
}

func TestAPostWithoutRunOrActivityHasNoRun(t *testing.T) {
	if p := body(t, "", "Just words.\n"); p.Run != nil {
		t.Errorf("Run = %+v, want nil", p.Run)
	}
}

func TestRunUnitsBareNumbersAreThePostsUnits(t *testing.T) {
	site := loadSite(t, files{
		"site.yaml":           "title: Club\nunits: imperial\n",
		"authors/ana.md":      "---\nname: Ana\nunits: metric\n---\n",
		"authors/bo.md":       "---\nname: Bo\n---\n",
		"posts/ana-run.md":    "---\ntitle: A\ndate: 2024-01-01\nauthor: ana\nrun:\n  distance: 10\n  elevation: 100\n---\n",
		"posts/bo-run.md":     "---\ntitle: B\ndate: 2024-01-01\nauthor: bo\nrun:\n  distance: 10\n  elevation: 100\n---\n",
		"posts/written-in.md": "---\ntitle: C\ndate: 2024-01-01\nauthor: bo\nrun:\n  distance: 400 m\n  elevation: 400 ft\n---\n",
	})
	if len(site.Problems)+len(site.Warnings) > 0 {
		t.Fatalf("problems %v, warnings %v", problemList(site), warningList(site))
	}
	v := View{Site: site, Now: time.Now()}
	for slug, want := range map[string]Run{
		"ana-run":    {DistanceM: 10_000, ElevationM: 100, HasElevation: true, Units: activity.Metric},
		"bo-run":     {DistanceM: 10 * activity.MetresPerMile, ElevationM: 100 * activity.MetresPerFoot, HasElevation: true, Units: activity.Imperial},
		"written-in": {DistanceM: 400, ElevationM: 400 * activity.MetresPerFoot, HasElevation: true, Units: activity.Imperial},
	} {
		if d := cmp.Diff(&want, v.Post(slug).Run, cmp.Comparer(func(a, b float64) bool { return math.Abs(a-b) < 1e-9 })); d != "" {
			t.Errorf("%s: run (-want +got):\n%s", slug, d)
		}
	}
	if got := site.UnitsFor(site.Authors["ana"]); got != activity.Metric {
		t.Errorf("UnitsFor(ana) = %q", got)
	}
}

func TestABadRunValueIsAWarningAtItsLineAndThePostServesWithoutIt(t *testing.T) {
	site := loadSite(t, files{"posts/race/index.md": "---\ntitle: Race\ndate: 2024-05-01\n" + // lines 1-3
		"run:\n" + // 4
		"  type: jog\n" + // 5
		"  distance: 12 furlongs\n" + // 6
		"  time: 3 hours\n" + // 7
		"  elevation: lots\n" + // 8
		"  place: first\n" + // 9
		"  race: Hood to Coast\n" + // 10
		"  pace: 5:00\n" + // 11
		"  shoes: [a, b]\n" + // 12
		"activity_download: maybe\n" + // 13
		"---\n"})
	p := onlyPost(t, site)
	want := []string{
		`posts/race/index.md:5: run.type "jog" is not a run type: write one of easy, long, tempo, intervals, race, recovery, workout, other; the post is served without it`,
		`posts/race/index.md:6: run.distance "12 furlongs" has the unit "furlongs": write km, mi or m, such as 42.195 km; the post is served without it`,
		`posts/race/index.md:7: run.time "3 hours" must be a time such as 3:28:15 or 45:10; the post is served without it`,
		`posts/race/index.md:8: run.elevation "lots" must be a number and a unit, such as 10 km; the post is served without it`,
		`posts/race/index.md:9: run.place "first" must be a whole number of at least 1, the finishing place; the post is served without it`,
		`posts/race/index.md:11: run.pace "5:00" is not a run field: run takes type, distance, time, elevation, race, place, bib, official and shoes; the post is served without it`,
		`posts/race/index.md:12: run.shoes must be text, not a list; the post is served without it`,
		`posts/race/index.md:13: activity_download must be true or false, not text "maybe"; the run's track is not offered for download`,
	}
	if d := cmp.Diff(want, warningList(site)); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
	if d := cmp.Diff(&Run{Race: &Race{Name: "Hood to Coast"}, Units: activity.Metric}, p.Run); d != "" {
		t.Errorf("run (-want +got):\n%s", d)
	}
}

// activity_download_times keeps the download's times only when it is
// true and the post offers a download; anything else is a warning at its
// line, and the download (if any) carries no times.
func TestTheDownloadsTimesAreKeptOnlyWhenAskedForWithADownload(t *testing.T) {
	fit := activityFixture(t, "triathlon_fr255.fit")
	post := func(front string) string {
		return "---\ntitle: T\ndate: 2024-05-01\nactivity: run.fit\n" + front + "---\n" // front from line 5
	}
	site := loadSite(t, files{
		"posts/timed/index.md":    post("activity_download: true\nactivity_download_times: true\n"),
		"posts/timed/run.fit":     fit,
		"posts/untimed/index.md":  post("activity_download: true\n"),
		"posts/untimed/run.fit":   fit,
		"posts/no-route/index.md": post("activity_download_times: true\n"),
		"posts/no-route/run.fit":  fit,
		"posts/maybe/index.md":    post("activity_download: true\nactivity_download_times: often\n"),
		"posts/maybe/run.fit":     fit,
	})
	want := []string{
		`posts/maybe/index.md:6: activity_download_times must be true or false, not text "often"; the route download carries no times`,
		`posts/no-route/index.md:5: activity_download_times gives the route download its times, but the post offers no download: add activity_download: true, or remove the key`,
	}
	if d := cmp.Diff(want, warningList(site)); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
	v := View{Site: site, Now: time.Now()}
	timed := func(slug string) (points, withTime int) {
		for _, seg := range v.Post(slug).Run.Activity.Segments {
			for _, p := range seg {
				points++
				if _, ok := p.Time(); ok {
					withTime++
				}
			}
		}
		return points, withTime
	}
	if points, withTime := timed("timed"); points == 0 || withTime != points {
		t.Errorf("timed: %d of %d points have a time, want all", withTime, points)
	}
	for _, slug := range []string{"untimed", "no-route", "maybe"} {
		if _, withTime := timed(slug); withTime > 0 {
			t.Errorf("%s: %d points keep their time", slug, withTime)
		}
	}
}

func TestBadRunValuesInTOMLAreAtTheirLinesToo(t *testing.T) {
	site := loadSite(t, files{"posts/race.md": "+++\ntitle = \"Race\"\ndate = 2024-05-01\n" +
		"run.time = \"fast\"\n" + // 4
		"[run]\n" + // 5
		"distance = \"ten\"\n" + // 6
		"place = 3\n" + // 7
		"+++\n"})
	onlyPost(t, site)
	want := []string{
		`posts/race.md:4: run.time "fast" must be a time such as 3:28:15 or 45:10; the post is served without it`,
		`posts/race.md:6: run.distance "ten" must be a number and a unit, such as 10 km; the post is served without it`,
		`posts/race.md:7: run.place, bib and official belong to a race result: name the race with run.race`,
	}
	if d := cmp.Diff(want, warningList(site)); d != "" {
		t.Errorf("warnings (-want +got):\n%s", d)
	}
}

func TestTheActivityFileFillsWhatTheFrontMatterLeavesOut(t *testing.T) {
	fit := activityFixture(t, "triathlon_fr255.fit")
	site := loadSite(t, files{
		"posts/tri/index.md":    "---\ntitle: Tri\ndate: 2024-05-01\nactivity: run.fit\nrun:\n  time: 26:00\n---\n",
		"posts/tri/run.fit":     fit,
		"posts/gz/index.md":     "---\ntitle: Gz\ndate: 2024-05-01\nactivity: track.GPX.gz\n---\n",
		"posts/gz/track.GPX.gz": gzipped(t, activityFixture(t, "garmin_connect_hr.gpx")),
	})
	if len(site.Problems)+len(site.Warnings) > 0 {
		t.Fatalf("problems %v, warnings %v", problemList(site), warningList(site))
	}
	v := View{Site: site, Now: time.Now()}
	r := v.Post("tri").Run
	a := r.Activity
	if a == nil {
		t.Fatal("no activity")
	}
	// The device's own running leg: 4.49 km.
	if math.Abs(r.DistanceM-4490) > 45 || r.DistanceM != a.Summary.DistanceM {
		t.Errorf("distance %.1f m, want the file's (%.1f m, about 4490)", r.DistanceM, a.Summary.DistanceM)
	}
	if r.TimeS != 26*60 {
		t.Errorf("time %v s, want the declared 26:00 over the file's %v s", r.TimeS, a.Summary.MovingS)
	}
	if !r.HasElevation || r.ElevationM != a.Summary.GainM {
		t.Errorf("elevation %v (%v), want the file's gain %v", r.ElevationM, r.HasElevation, a.Summary.GainM)
	}
	if r.Type != "" {
		t.Errorf("type %q: a file never says a run was a race", r.Type)
	}
	if a.File != "run.fit" || a.Start.IsZero() || a.Route.Points() == 0 || a.Route.Points() > activity.RoutePoints || a.Download || a.Segments != nil {
		t.Errorf("activity file %q start %v route %d points, download %v segments %d", a.File, a.Start, a.Route.Points(), a.Download, len(a.Segments))
	}
	if len(a.Dropped) == 0 {
		t.Error("the triathlon's other legs are not named as dropped")
	}
	gz := v.Post("gz").Run
	if gz == nil || gz.Activity == nil || gz.DistanceM < 900 {
		t.Errorf("gzipped GPX: run %+v", gz)
	}
}

func TestPrivacyZonesOfTheSiteAndTheAuthorHideTheRoute(t *testing.T) {
	fit := activityFixture(t, "triathlon_fr255.fit")
	post := func(author string) string {
		return "---\ntitle: T\ndate: 2024-05-01\nauthor: " + author + "\nactivity: run.fit\nactivity_download: true\n---\n"
	}
	site := loadSite(t, files{
		"site.yaml":             "title: Club\nprivacy:\n  zones:\n    - {lat: 10, lon: 10, radius_m: 150}\n  trim_m: 300\n",
		"authors/home.md":       "---\nname: Home\nprivacy:\n  zones:\n    - {lat: 39.03780818916857, lon: -94.76844845339656, radius_m: 500}\n---\n",
		"authors/elsewhere.md":  "---\nname: Elsewhere\n---\n",
		"posts/home/index.md":   post("home"),
		"posts/home/run.fit":    fit,
		"posts/others/index.md": post("elsewhere"),
		"posts/others/run.fit":  fit,
	})
	if len(site.Problems)+len(site.Warnings) > 0 {
		t.Fatalf("problems %v, warnings %v", problemList(site), warningList(site))
	}
	home := site.PrivacyFor(site.Authors["home"])
	if d := cmp.Diff(Privacy{Zones: []activity.Zone{{Lat: 10, Lon: 10, RadiusM: 150}, {Lat: triathlonStart.Lat, Lon: triathlonStart.Lon, RadiusM: 500}}, TrimM: 300}, home); d != "" {
		t.Errorf("PrivacyFor(home) (-want +got):\n%s", d)
	}
	if got := site.PrivacyFor(nil); len(got.Zones) != 1 || got.TrimM != 300 {
		t.Errorf("PrivacyFor(nil) = %+v, want the site's", got)
	}
	v := View{Site: site, Now: time.Now()}
	for slug, zone := range map[string]activity.Zone{
		"home":   {Lat: triathlonStart.Lat, Lon: triathlonStart.Lon, RadiusM: 500},
		"others": {Lat: triathlonStart.Lat, Lon: triathlonStart.Lon, RadiusM: 300}, // the trim
	} {
		a := v.Post(slug).Run.Activity
		if len(a.Segments) == 0 {
			t.Fatalf("%s: no segments kept for the download", slug)
		}
		for _, seg := range a.Segments {
			for _, pt := range seg {
				if d := distanceM(pt.Lat, pt.Lon, zone.Lat, zone.Lon); d < zone.RadiusM {
					t.Fatalf("%s: a point %.0f m from the start is published", slug, d)
				}
			}
		}
		// The figures are the whole run's: they reveal no place.
		if a.Summary.DistanceM < 4400 {
			t.Errorf("%s: distance %.0f m, want the whole run's", slug, a.Summary.DistanceM)
		}
	}
}

// distanceM is the great-circle distance between two positions.
func distanceM(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func TestABadAuthorPrivacyZoneSkipsTheAuthorFile(t *testing.T) {
	site := loadSite(t, files{"authors/ana.md": "---\nname: Ana\nunits: leagues\nprivacy:\n  zones:\n    - {lat: 45, lon: 0, radius_m: 20}\n---\n"})
	want := []string{
		`authors/ana.md:3: units "leagues" must be metric or imperial`,
		`authors/ana.md:5: privacy.zones (zone 1): privacy zone radius 20 m is under the minimum of 100 m: invalid privacy setting`,
	}
	if d := cmp.Diff(want, problemList(site)); d != "" {
		t.Errorf("problems (-want +got):\n%s", d)
	}
}

func TestAnActivityFileThatCannotBeUsedIsAWarningNamingTheFileAndWhy(t *testing.T) {
	site := loadSite(t, files{
		"posts/broken/index.md":  "---\ntitle: Broken\ndate: 2024-05-01\nrun:\n  distance: 5 km\nactivity: run.fit\n---\n",
		"posts/broken/run.fit":   "this is no FIT file at all",
		"posts/missing/index.md": "---\ntitle: Missing\ndate: 2024-05-01\nactivity: run.gpx\n---\n",
		"posts/photo/index.md":   "---\ntitle: Photo\ndate: 2024-05-01\nactivity: finish.jpg\n---\n",
		"posts/outside/index.md": "---\ntitle: Outside\ndate: 2024-05-01\nactivity: ../broken/run.fit\n---\n",
		"posts/single.md":        "---\ntitle: Single\ndate: 2024-05-01\nactivity: run.fit\n---\n",
	})
	got := warningList(site)
	want := []string{
		`posts/broken/index.md:6: activity "run.fit" cannot be read: `,
		`posts/missing/index.md:4: activity "run.gpx" is not in the post's folder: no file run.gpx in posts/missing/; the post is served without its run's charts`,
		`posts/outside/index.md:4: activity "../broken/run.fit" must name a file inside the post's folder, such as run.fit; the post is served without its run's charts`,
		`posts/photo/index.md:4: activity "finish.jpg" is not an activity file: it must be a FIT, GPX or TCX file (gzipped or not); the post is served without its run's charts`,
		`posts/single.md:4: activity "run.fit" names a file beside the post, but posts/single.md is a single file: make the post a page bundle (posts/single/index.md) with the file in its folder; the post is served without its run's charts`,
	}
	if len(got) != len(want) {
		t.Fatalf("warnings %q, want %d", got, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("warning %d = %q, want %q", i, got[i], want[i])
		}
	}
	if len(allPosts(site)) != 5 {
		t.Errorf("%d posts served, want all 5", len(allPosts(site)))
	}
	broken := View{Site: site, Now: time.Now()}.Post("broken").Run
	if broken == nil || broken.Activity != nil || broken.DistanceM != 5000 {
		t.Errorf("broken: run %+v, want the declared 5 km without an activity", broken)
	}
}

func TestCheckReportsRunWarnings(t *testing.T) {
	site := loadSite(t, files{"posts/p/index.md": "---\ntitle: P\ndate: 2024-05-01\nrun:\n  distance: far\n---\n"})
	got, err := site.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].File != "posts/p/index.md" || got[0].Line != 5 {
		t.Errorf("Check = %v, want the run.distance warning at posts/p/index.md:5", got)
	}
}

func TestAnActivityFileIsNeverServed(t *testing.T) {
	fit := activityFixture(t, "triathlon_fr255.fit")
	site := loadSite(t, files{
		"posts/tri/index.md":  "---\ntitle: Tri\ndate: 2024-05-01\nactivity: run.fit\nactivity_download: true\n---\n",
		"posts/tri/run.fit":   fit,
		"posts/tri/RUN.GPX":   "<gpx/>",
		"posts/tri/a.tcx.gz":  "x",
		"posts/tri/b.fit.gz":  "x",
		"posts/tri/photo.jpg": "x",
	})
	v := View{Site: site, Now: time.Now()}
	for _, name := range []string{"run.fit", "RUN.GPX", "a.tcx.gz", "b.fit.gz"} {
		if IsResource(name) {
			t.Errorf("IsResource(%q) = true", name)
		}
		r, err := v.OpenResource("tri", name)
		if err == nil {
			r.Close()
			t.Errorf("OpenResource(%q) served the original activity file", name)
		} else if !errors.Is(err, fs.ErrNotExist) || !errors.Is(err, ErrNotPublished) {
			t.Errorf("OpenResource(%q) = %v, want not published", name, err)
		}
	}
}

func TestASourceReadsAnUnchangedActivityFileOnceAcrossReloads(t *testing.T) {
	dir := writeSite(t, files{
		"posts/tri/index.md":  "---\ntitle: Tri\ndate: 2024-05-01\nactivity: run.fit\n---\n",
		"posts/tri/run.fit":   activityFixture(t, "triathlon_fr255.fit"),
		"posts/gone/index.md": "---\ntitle: Gone\ndate: 2024-05-01\nactivity: run.tcx\n---\n",
		"posts/gone/run.tcx":  activityFixture(t, "garmin_running.tcx"),
	})
	ctx := context.Background()
	log, _ := newLog()
	src, err := NewSource(ctx, dir, Overrides{}, log)
	if err != nil {
		t.Fatal(err)
	}
	activityOf := func(slug string) *Activity {
		t.Helper()
		p := View{Site: src.Current(), Now: time.Now()}.Post(slug)
		if p == nil || p.Run == nil || p.Run.Activity == nil {
			t.Fatalf("%s has no activity; warnings %v", slug, warningList(src.Current()))
		}
		return p.Run.Activity
	}
	first := activityOf("tri")
	later := time.Now().Add(time.Minute)

	// A change to the story alone: the file is not read again.
	writeFile(t, dir, "posts/tri/index.md", "---\ntitle: Tri, retold\ndate: 2024-05-01\nactivity: run.fit\n---\n")
	if err := os.Chtimes(filepath.Join(dir, "posts/tri/index.md"), later, later); err != nil {
		t.Fatal(err)
	}
	src.Reload(ctx)
	if p := (View{Site: src.Current(), Now: time.Now()}).Post("tri"); p.Title != "Tri, retold" {
		t.Fatalf("not reloaded: title %q", p.Title)
	}
	if activityOf("tri") != first {
		t.Error("an unchanged activity file was read again on reload")
	}

	// The file replaced: read again.
	writeFile(t, dir, "posts/tri/run.fit", activityFixture(t, "HrmPluginTestActivity.fit"))
	src.Reload(ctx)
	if second := activityOf("tri"); second == first || second.Summary.DistanceM == first.Summary.DistanceM {
		t.Error("a changed activity file was not read again")
	}

	// The privacy settings changed: the route is cleaned again.
	before := activityOf("tri")
	writeFile(t, dir, "site.yaml", "title: Test\nprivacy: {trim_m: 500}\n")
	src.Reload(ctx)
	if activityOf("tri") == before {
		t.Error("the route was not cleaned again with new privacy settings")
	}

	// A post removed: its file is no longer held.
	if err := os.RemoveAll(filepath.Join(dir, "posts/gone")); err != nil {
		t.Fatal(err)
	}
	src.Reload(ctx)
	src.tree.activities.mu.Lock()
	defer src.tree.activities.mu.Unlock()
	if _, held := src.tree.activities.entries["posts/gone/run.tcx"]; held || len(src.tree.activities.entries) != 1 {
		t.Errorf("the cache holds %d files after a post was removed, want only posts/tri/run.fit", len(src.tree.activities.entries))
	}
}
