package web_test

import (
	"fmt"
	"regexp"
	"testing"

	"milepost/internal/activity"
)

// An author's own privacy zone, over HTTP: the site has no zone, the
// author's profile has one halfway round the run, and neither the route
// drawing, nor the GPX download, nor the charts over distance show the
// stretch it hides.
func TestAnAuthorsZoneHidesTheirRouteOverHTTP(t *testing.T) {
	raw := rawTrack(t, "triathlon_fr255.fit")
	mid := raw[len(raw)/2]
	zones := []activity.Zone{{Lat: mid.Lat, Lon: mid.Lon, RadiusM: 200}}
	files := withFile(triRun("activity_download: true\n"), "posts/sprint-tri/run.fit", activityFile(t, "triathlon_fr255.fit"))
	files["authors/kay.md"] = fmt.Sprintf("---\nname: Kay\nprivacy: {zones: [{lat: %.7f, lon: %.7f, radius_m: 200}]}\n---\nRuns.\n", mid.Lat, mid.Lon)
	h := newHarness(t, files)
	if w := h.site.Warnings; len(w) > 0 {
		t.Fatalf("warnings: %v", w)
	}
	page := h.get("/posts/sprint-tri/").body
	seed := activity.SeedOf([]byte(activityFile(t, "triathlon_fr255.fit")))

	if leaks := routeLeaks(t, chartSVG(page, "route"), raw, zones, activity.DefaultTrimM, seed); len(leaks) > 0 {
		t.Errorf("route drawing: %d leaks, the first: %s", len(leaks), leaks[0])
	}
	points := gpxPoints(t, h.get("/posts/sprint-tri/route.gpx").body)
	if len(points) < 100 {
		t.Fatalf("%d points in the download", len(points))
	}
	if in := pointsInside(points, zones); len(in) > 0 {
		t.Errorf("GPX download: %d points in the author's zone, the first: %s", len(in), in[0])
	}

	// The charts over distance break where the zone is, as the route
	// does: each line is drawn in pieces, not through the hidden stretch.
	pieces := regexp.MustCompile(`M[0-9.-]+ [0-9.-]+`)
	for _, kind := range []string{"elevation", "pace", "heart-rate"} {
		svg := chartSVG(page, kind)
		line := regexp.MustCompile(`class="chart-line" d="([^"]*)"`).FindStringSubmatch(svg)
		if line == nil {
			t.Errorf("no %s line on the page", kind)
			continue
		}
		if n := len(pieces.FindAllString(line[1], -1)); n < 2 {
			t.Errorf("the %s chart is one line through the author's zone (%d pieces)", kind, n)
		}
	}
	// And the figures behind them say nothing there.
	run := h.postRun("sprint-tri")
	blank := 0
	for _, s := range run.Activity.Summary.Series {
		if !s.HasElevation && s.PaceSPerKm == 0 && s.HeartRateBPM == 0 {
			blank++
		}
	}
	if blank == 0 {
		t.Error("no chart sample is blank, though the author's zone hides part of the run")
	}
}
