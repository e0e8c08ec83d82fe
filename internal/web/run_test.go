package web_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/project"

	"milepost/internal/activity"
	"milepost/internal/activity/activitytest"
	"milepost/internal/activity/chart"
	"milepost/internal/content"
)

// The run behind a story on its page (issue 9): the run card, the charts
// drawn on the server, the opt-in route download and the run in the
// feeds — and the proof that none of them shows where privacy hides.

// activityFile is a real recording from the activity package's test files.
func activityFile(t *testing.T, name string) string {
	t.Helper()
	return string(activitytest.File(t, name))
}

// rawTrack is the running leg of a file as the activity package reads it,
// before privacy: what no output may show near a zone or a leg's ends.
func rawTrack(t *testing.T, name string) []activity.Point {
	t.Helper()
	act, err := activity.Read(context.Background(), name, strings.NewReader(activityFile(t, name)))
	if err != nil {
		t.Fatal(err)
	}
	return act.Points
}

// triRun is a page bundle with the running leg of a real triathlon
// (Garmin Forerunner 255, with heart rate) and the front matter given.
func triRun(front string) siteFiles {
	return siteFiles{
		"posts/sprint-tri/index.md": post("title: Sprint triathlon\ndate: 2026-06-14\nauthor: kay\nactivity: run.fit\n"+front, "The run off the bike hurt."),
	}
}

func withFile(files siteFiles, name, data string) siteFiles {
	files[name] = data
	return files
}

// chartSVG is the <svg> of the chart of a kind in a page, or "".
func chartSVG(page, kind string) string {
	start := strings.Index(page, `class="chart chart-`+kind+`"`)
	if start < 0 {
		return ""
	}
	start = strings.LastIndex(page[:start], "<svg")
	end := strings.Index(page[start:], "</svg>")
	return page[start : start+end+len("</svg>")]
}

// runCard is the run card's <dl> as "term: value" lines.
func runCard(t *testing.T, page string) []string {
	t.Helper()
	start := strings.Index(page, `<section class="run-card"`)
	if start < 0 {
		return nil
	}
	end := strings.Index(page[start:], "</section>")
	var out []string
	for _, m := range regexp.MustCompile(`<dt>([^<]*)</dt><dd[^>]*>([^<]*)</dd>`).FindAllStringSubmatch(page[start:start+end], -1) {
		out = append(out, m[1]+": "+m[2])
	}
	return out
}

func TestARunPostShowsItsCardInThePostsUnits(t *testing.T) {
	h := newHarness(t, withFile(triRun(`run:
  type: race
  race: Lakeside Sprint
  place: 3
  bib: "117"
  official: "1:12:40"
  time: "22:30"
  shoes: Pegasus 40
`), "posts/sprint-tri/run.fit", activityFile(t, "triathlon_fr255.fit")))
	res := h.get("/posts/sprint-tri/")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	run := h.postRun("sprint-tri")
	want := []string{
		"Type: race",
		"Distance: " + activity.DistanceText(run.DistanceM, activity.Metric),
		"Time: " + activity.DurationText(run.TimeS),
		"Pace: " + activity.PaceText(run.TimeS, run.DistanceM, activity.Metric),
		"Elevation gain: " + activity.HeightText(run.ElevationM, activity.Metric),
		"Race: Lakeside Sprint", "Place: 3", "Bib: 117", "Official time: 1:12:40",
		"Shoes: Pegasus 40",
	}
	if got := runCard(t, res.body); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("run card:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The file's own figures: its 4.49 km running leg, in km and min/km.
	if !strings.Contains(res.body, "<dd>4.49 km</dd>") || !strings.Contains(res.body, "<dd>22:30</dd>") || !strings.Contains(res.body, " /km</dd>") {
		t.Errorf("the card does not show the file's distance and the time and pace in km")
	}
}

func TestARaceWithOnlyAnOfficialTimeShowsItOnce(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/10k.md": post("title: 10K\ndate: 2026-06-01\nrun:\n  race: Bridge 10K\n  distance: 10 km\n  official: \"41:30\"", "Fast.")})
	want := "Distance: 10 km|Time: 41:30|Pace: 4:09 /km|Race: Bridge 10K"
	if got := runCard(t, h.get("/posts/10k/").body); strings.Join(got, "|") != want {
		t.Errorf("run card %q, want %q", got, want)
	}
}

func TestARunPostInImperialUnitsShowsMilesAndFeet(t *testing.T) {
	files := withFile(triRun("run:\n  distance: 26.2 mi\n  time: \"3:30:00\"\n  elevation: 400 ft\n"),
		"posts/sprint-tri/run.fit", activityFile(t, "triathlon_fr255.fit"))
	files["site.yaml"] = siteYAML + "units: imperial\n"
	h := newHarness(t, files)
	res := h.get("/posts/sprint-tri/")
	want := []string{"Distance: 26.2 mi", "Time: 3:30:00", "Pace: 8:01 /mi", "Elevation gain: 400 ft"}
	if got := runCard(t, res.body); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("run card:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(res.body, "Pace per mile") || !strings.Contains(res.body, "Elevation (ft)") {
		t.Errorf("the charts are not in miles and feet")
	}
}

func TestARunWithoutAFileShowsOnlyWhatItsFrontMatterSays(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/easy.md":  post("title: Easy\ndate: 2026-06-01\nrun:\n  type: easy\n  distance: 8 km", "Easy does it."),
		"posts/plain.md": post("title: Plain\ndate: 2026-06-02", "No run here."),
	})
	res := h.get("/posts/easy/")
	if got := runCard(t, res.body); strings.Join(got, "|") != "Type: easy|Distance: 8 km" {
		t.Errorf("run card %q", got)
	}
	if strings.Contains(res.body, `class="chart `) || strings.Contains(res.body, "run-charts") {
		t.Error("a run without a file has charts")
	}
	if res := h.get("/posts/plain/"); strings.Contains(res.body, "run-card") {
		t.Error("a post without a run has a run card")
	}
}

func TestTheChartsAreDrawnOnTheServerUnderTheCSP(t *testing.T) {
	h := newHarness(t, withFile(triRun(""), "posts/sprint-tri/run.fit", activityFile(t, "triathlon_fr255.fit")))
	res := h.get("/posts/sprint-tri/")
	if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	for _, kind := range []string{"route", "elevation", "pace", "heart-rate", "splits"} {
		svg := chartSVG(res.body, kind)
		if svg == "" {
			t.Errorf("no %s chart", kind)
			continue
		}
		if !strings.Contains(svg, `role="img"`) || !strings.Contains(svg, "<title>") {
			t.Errorf("the %s chart has no role or title", kind)
		}
		if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
			t.Errorf("the %s chart is not well-formed: %v", kind, err)
		}
	}
	if n := strings.Count(res.body, "<summary>Show as a table</summary>"); n != 5 {
		t.Errorf("%d tables for 5 charts", n)
	}
	if regexp.MustCompile(`(?i)\sstyle=|<script|<style`).MatchString(res.body) {
		t.Error("the page has a style attribute or element, or a script")
	}
}

func TestARunWithoutHeartRateHasNoHeartRateChartAndAShortOneNoRoute(t *testing.T) {
	files := siteFiles{"posts/pause/index.md": post("title: A pause\ndate: 2026-06-01\nactivity: run.gpx", "Stopped at the lights.")}
	files["posts/pause/run.gpx"] = activityFile(t, "polar_pacer_pause.gpx")
	h := newHarness(t, files)
	res := h.get("/posts/pause/")
	if chartSVG(res.body, "pace") == "" || chartSVG(res.body, "elevation") == "" {
		t.Error("no pace or elevation chart")
	}
	// Its 150 m lie within the 200 m hidden at either end: no route.
	if chartSVG(res.body, "route") != "" {
		t.Error("a route drawn of a run shorter than its trimmed ends")
	}
	if chartSVG(res.body, "heart-rate") != "" {
		t.Error("a heart-rate chart for a file without heart rate")
	}
}

func TestTheActivityFileItselfIsNeverServed(t *testing.T) {
	data := activityFile(t, "triathlon_fr255.fit")
	files := withFile(triRun("activity_download: true\n"), "posts/sprint-tri/run.fit", data)
	for _, name := range []string{"run.gpx", "run.tcx", "run.fit.gz", "run.gpx.gz", "RUN.FIT"} {
		files["posts/sprint-tri/"+name] = data
	}
	h := newHarness(t, files)
	for _, name := range []string{"run.fit", "run.gpx", "run.tcx", "run.fit.gz", "run.gpx.gz", "RUN.FIT", "run.fit?w=480"} {
		res := h.get("/posts/sprint-tri/" + name)
		if res.status != http.StatusNotFound || strings.Contains(res.body, data[:64]) {
			t.Errorf("GET %s: %d, want 404", name, res.status)
		}
	}
}

func TestTheRouteDownloadExistsOnlyWhenThePostOffersIt(t *testing.T) {
	fit := activityFile(t, "triathlon_fr255.fit")
	files := withFile(triRun("activity_download: true\n"), "posts/sprint-tri/run.fit", fit)
	files["posts/kept/index.md"] = post("title: Kept to myself\ndate: 2026-06-15\nactivity: run.fit", "Mine.")
	files["posts/kept/run.fit"] = fit
	h := newHarness(t, files)

	page := h.get("/posts/sprint-tri/")
	if !strings.Contains(page.body, `href="/posts/sprint-tri/route.gpx"`) {
		t.Error("the post that offers its route does not link it")
	}
	res := h.get("/posts/sprint-tri/route.gpx")
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/gpx+xml" ||
		res.header.Get("Content-Disposition") != "attachment; filename=sprint-tri.gpx" {
		t.Fatalf("route.gpx: %d %q %q", res.status, res.header.Get("Content-Type"), res.header.Get("Content-Disposition"))
	}
	points := gpxPoints(t, res.body)
	if len(points) < 100 || strings.Contains(res.body, "<time>") {
		t.Errorf("the download has %d points (want the route), times: %v", len(points), strings.Contains(res.body, "<time>"))
	}
	if again := h.get("/posts/sprint-tri/route.gpx", "If-None-Match", res.header.Get("ETag")); again.status != http.StatusNotModified {
		t.Errorf("a second download with its ETag: %d, want 304", again.status)
	}

	if strings.Contains(h.get("/posts/kept/").body, "route.gpx") {
		t.Error("a post that does not offer its route links a download")
	}
	for _, path := range []string{"/posts/kept/route.gpx", "/posts/massage/route.gpx", "/posts/no-such-post/route.gpx"} {
		if res := h.get(path); res.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.status)
		}
	}
	if res := h.get("/posts/kept/route.gpx"); !strings.Contains(res.body, "No route to download") {
		t.Errorf("the 404 of a route not offered does not say so:\n%.600s", res.body)
	}
}

// postRun is the run of the post with the slug, as the site loaded it.
func (h *harness) postRun(slug string) *content.Run {
	h.t.Helper()
	p := content.View{Site: h.site, Now: h.clock.Now()}.Post(slug)
	if p == nil || p.Run == nil {
		h.t.Fatalf("post %s has no run; warnings %v", slug, h.site.Warnings)
	}
	return p.Run
}

// gpxPoints are the track points of a GPX document.
func gpxPoints(t *testing.T, doc string) []activity.Point {
	t.Helper()
	var g struct {
		XMLName  xml.Name `xml:"http://www.topografix.com/GPX/1/1 gpx"`
		Version  string   `xml:"version,attr"`
		Segments []struct {
			Points []struct {
				Lat  float64   `xml:"lat,attr"`
				Lon  float64   `xml:"lon,attr"`
				Time time.Time `xml:"time"`
			} `xml:"trkpt"`
		} `xml:"trk>trkseg"`
	}
	if err := xml.Unmarshal([]byte(doc), &g); err != nil {
		t.Fatalf("the GPX does not parse as GPX 1.1: %v", err)
	}
	if g.Version != "1.1" {
		t.Fatalf("GPX version %q, want 1.1", g.Version)
	}
	var out []activity.Point
	for _, s := range g.Segments {
		for _, p := range s.Points {
			out = append(out, activity.Point{Lat: p.Lat, Lon: p.Lon, HasPosition: true, Time: p.Time})
		}
	}
	return out
}

// hidden are the circles no output may show a point in: the privacy
// zones, and the trim around each leg's first and last point.
func hidden(raw []activity.Point, zones []activity.Zone, trimM float64) []activity.Zone {
	out := append([]activity.Zone(nil), zones...)
	for i, p := range raw {
		if !p.HasPosition {
			continue
		}
		first := i == 0 || raw[i-1].Leg != p.Leg
		last := i == len(raw)-1 || raw[i+1].Leg != p.Leg
		if first || last {
			out = append(out, activity.Zone{Lat: p.Lat, Lon: p.Lon, RadiusM: trimM})
		}
	}
	return out
}

func metresApart(a, b activity.Point) float64 {
	return geo.DistanceHaversine(orb.Point{a.Lon, a.Lat}, orb.Point{b.Lon, b.Lat})
}

// pointsInside lists the points that fall in a hidden circle.
func pointsInside(points []activity.Point, circles []activity.Zone) []string {
	var out []string
	for i, p := range points {
		for _, c := range circles {
			if d := metresApart(p, activity.Point{Lat: c.Lat, Lon: c.Lon}); d <= c.RadiusM {
				out = append(out, fmt.Sprintf("point %d is %.0f m from the centre of a %.0f m circle", i, d, c.RadiusM))
			}
		}
	}
	return out
}

var svgPathPoint = regexp.MustCompile(`[ML](-?[0-9.]+) (-?[0-9.]+)`)

// routeLeaks checks a route chart against the raw track: it takes every
// vertex drawn back to latitude and longitude, through the drawing's
// projection as the cleaned track bounds it, and lists each that is not
// on the raw track (the drawing is of something else) or falls inside a
// hidden circle. A route drawn from the raw track fails both ways.
func routeLeaks(t *testing.T, svg string, raw []activity.Point, zones []activity.Zone, trimM float64, seed uint64) []string {
	t.Helper()
	cleaned, err := activity.Clean(raw, zones, trimM, seed)
	if err != nil {
		t.Fatal(err)
	}
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, seg := range cleaned {
		for _, p := range seg {
			bound = bound.Extend(project.WGS84.ToMercator(orb.Point{p.Lon, p.Lat}))
		}
	}
	scale := activity.RouteSize / math.Max(bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1])
	const pad = 4 // chart.Route's margin
	d := regexp.MustCompile(`class="chart-line" d="([^"]*)"`).FindStringSubmatch(svg)
	if d == nil {
		t.Fatalf("no route line in\n%s", svg)
	}
	var drawn []activity.Point
	for _, m := range svgPathPoint.FindAllStringSubmatch(d[1], -1) {
		x, _ := strconv.ParseFloat(m[1], 64)
		y, _ := strconv.ParseFloat(m[2], 64)
		ll := project.Mercator.ToWGS84(orb.Point{(x-pad)/scale + bound.Min[0], bound.Max[1] - (y-pad)/scale})
		drawn = append(drawn, activity.Point{Lat: ll[1], Lon: ll[0], HasPosition: true})
	}
	if len(drawn) < 20 {
		t.Fatalf("%d points drawn", len(drawn))
	}
	var leaks []string
	for i, p := range drawn {
		nearest := math.Inf(1)
		for _, q := range raw {
			if q.HasPosition {
				nearest = math.Min(nearest, metresApart(p, q))
			}
		}
		if nearest > 2 {
			leaks = append(leaks, fmt.Sprintf("vertex %d is %.0f m from the track: not drawn from the cleaned track", i, nearest))
		}
	}
	return append(leaks, pointsInside(drawn, hidden(raw, zones, trimM))...)
}

// A post that opts in to times offers a download whose every point has
// the time the file gave it there; the same run without the key offers
// one without times.
func TestTheRouteDownloadCarriesTimesOnlyWhenThePostOptsIn(t *testing.T) {
	fit := activityFile(t, "triathlon_fr255.fit")
	files := withFile(triRun("activity_download: true\n"), "posts/sprint-tri/run.fit", fit)
	files["posts/timed/index.md"] = post("title: Timed\ndate: 2026-06-15\nauthor: kay\nactivity: run.fit\nactivity_download: true\nactivity_download_times: true", "With times.")
	files["posts/timed/run.fit"] = fit
	h := newHarness(t, files)
	if w := h.site.Warnings; len(w) > 0 {
		t.Fatalf("warnings: %v", w)
	}

	if body := h.get("/posts/sprint-tri/route.gpx").body; strings.Contains(body, "<time>") {
		t.Error("the download of a post not opted in to times carries <time>")
	}
	res := h.get("/posts/timed/route.gpx")
	if res.status != http.StatusOK {
		t.Fatalf("route.gpx: %d", res.status)
	}
	timeAt := map[string]time.Time{}
	for _, p := range rawTrack(t, "triathlon_fr255.fit") {
		if p.HasPosition {
			timeAt[fmt.Sprintf("%.7f %.7f", p.Lat, p.Lon)] = p.Time
		}
	}
	points := gpxPoints(t, res.body)
	if len(points) < 100 || strings.Count(res.body, "<time>") != len(points) {
		t.Fatalf("%d points, %d times", len(points), strings.Count(res.body, "<time>"))
	}
	for i, p := range points {
		want, ok := timeAt[fmt.Sprintf("%.7f %.7f", p.Lat, p.Lon)]
		if !ok || !p.Time.Equal(want) {
			t.Fatalf("point %d at %.7f,%.7f has time %v; the file's there: %v (found %v)", i, p.Lat, p.Lon, p.Time, want, ok)
		}
	}
}

// The proof the issue asks for: with a privacy zone around the run's start
// and one halfway round, no point inside either, nor within trim_m of the
// leg's ends, is in the route drawing, the GPX download or the feeds.
func TestNoPrivatePointIsInTheRouteTheDownloadOrTheFeeds(t *testing.T) {
	raw := rawTrack(t, "triathlon_fr255.fit")
	start, mid := raw[0], raw[len(raw)/2]
	zones := []activity.Zone{
		{Lat: start.Lat, Lon: start.Lon, RadiusM: 300},
		{Lat: mid.Lat, Lon: mid.Lon, RadiusM: 150},
	}
	const trimM = 250
	files := withFile(triRun("activity_download: true\n"), "posts/sprint-tri/run.fit", activityFile(t, "triathlon_fr255.fit"))
	// The same run again, its download with times: they must not bring
	// back a hidden point.
	files["posts/timed/index.md"] = post("title: Timed\ndate: 2026-06-15\nauthor: kay\nactivity: run.fit\nactivity_download: true\nactivity_download_times: true", "With times.")
	files["posts/timed/run.fit"] = activityFile(t, "triathlon_fr255.fit")
	files["site.yaml"] = siteYAML + fmt.Sprintf("privacy:\n  trim_m: %d\n  zones:\n    - {lat: %.7f, lon: %.7f, radius_m: 300}\n    - {lat: %.7f, lon: %.7f, radius_m: 150}\n",
		trimM, start.Lat, start.Lon, mid.Lat, mid.Lon)
	h := newHarness(t, files)
	if w := h.site.Warnings; len(w) > 0 {
		t.Fatalf("warnings: %v", w)
	}

	t.Run("the route drawing", func(t *testing.T) {
		svg := chartSVG(h.get("/posts/sprint-tri/").body, "route")
		seed := activity.SeedOf([]byte(activityFile(t, "triathlon_fr255.fit")))
		if leaks := routeLeaks(t, svg, raw, zones, trimM, seed); len(leaks) > 0 {
			t.Errorf("%d leaks, the first: %s", len(leaks), leaks[0])
		}
		// The check fails a route drawn from the raw track.
		rawDrawing := string(chart.Route(activity.Route([][]activity.Point{raw}, activity.RoutePoints), 0, activity.Metric).SVG)
		if leaks := routeLeaks(t, rawDrawing, raw, zones, trimM, seed); len(leaks) == 0 {
			t.Error("the check finds nothing wrong with the raw track's drawing")
		}
	})

	t.Run("the GPX download", func(t *testing.T) {
		for _, path := range []string{"/posts/sprint-tri/route.gpx", "/posts/timed/route.gpx"} {
			body := h.get(path).body
			points := gpxPoints(t, body)
			if len(points) < 100 {
				t.Fatalf("%s: %d points", path, len(points))
			}
			if in := pointsInside(points, hidden(raw, zones, trimM)); len(in) > 0 {
				t.Errorf("%s: %d points inside, the first: %s", path, len(in), in[0])
			}
			if timed := strings.Count(body, "<time>"); (path == "/posts/timed/route.gpx") != (timed == len(points)) {
				t.Errorf("%s: %d of %d points have a time", path, timed, len(points))
			}
		}
		if len(pointsInside(raw, hidden(raw, zones, trimM))) == 0 {
			t.Error("the check finds nothing wrong with the raw track")
		}
	})

	t.Run("the feeds", func(t *testing.T) {
		// Coordinates as any writer would put them, to 4 decimals (11 m).
		coords := func(points []activity.Point) []string {
			var out []string
			for _, p := range points {
				out = append(out, strconv.FormatFloat(p.Lat, 'f', 4, 64), strconv.FormatFloat(p.Lon, 'f', 4, 64))
			}
			return out
		}
		found := func(body string, needles []string) int {
			n := 0
			for _, s := range needles {
				if strings.Contains(body, s) {
					n++
				}
			}
			return n
		}
		all := coords(raw)
		for _, path := range []string{"/feed.xml", "/atom.xml", "/feed.json"} {
			res := h.get(path)
			if _, err := gofeed.NewParser().ParseString(res.body); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if n := found(res.body, all); n > 0 || strings.Contains(res.body, "<svg") || strings.Contains(res.body, "route.gpx") {
				t.Errorf("%s: %d coordinates of the track, or a route", path, n)
			}
		}
		// The same search finds the coordinates where they are.
		if found(h.get("/posts/sprint-tri/route.gpx").body, all) == 0 {
			t.Error("the search finds no coordinates in the GPX download either")
		}
	})
}

func TestEachFeedCarriesTheRunLine(t *testing.T) {
	h := newHarness(t, withFile(triRun("run:\n  type: race\n  race: Lakeside Sprint\n"), "posts/sprint-tri/run.fit", activityFile(t, "triathlon_fr255.fit")))
	run := h.postRun("sprint-tri")
	want := "Race · Lakeside Sprint · " + activity.DistanceText(run.DistanceM, activity.Metric) + " in " +
		activity.DurationText(run.TimeS) + " (" + activity.PaceText(run.TimeS, run.DistanceM, activity.Metric) + ")"
	for _, path := range []string{"/feed.xml", "/atom.xml", "/feed.json"} {
		f, err := gofeed.NewParser().ParseString(h.get(path).body)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(f.Items[0].Content, `<p class="run">`+want+"</p>") {
			t.Errorf("%s: content starts %.120q, want the line %q", path, f.Items[0].Content, want)
		}
	}
	if body := h.get("/feed.json").body; !bytes.Contains([]byte(body), []byte(`"_milepost": {`)) {
		t.Error("the JSON Feed has no _milepost object")
	}
}
