package web

import (
	"context"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/activity"
	"milepost/internal/activity/activitytest"
	"milepost/internal/content"
)

// A run's charts are drawn once per post of the site being served: page
// views after the first cost nothing, and a reload — an edited post, a
// changed file, new privacy settings — is drawn afresh.
func TestRunViewsAreDrawnOncePerSiteAndAfreshAfterAReload(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fit := activitytest.File(t, "triathlon_fr255.fit")
	write("site.yaml", "title: Runs\n")
	write("posts/tri/run.fit", string(fit))
	write("posts/tri/index.md", "---\ntitle: Tri\ndate: 2026-06-14\nactivity: run.fit\nrun:\n  distance: 5 km\n---\nHot.\n")
	ctx := context.Background()
	src, err := content.NewSource(ctx, dir, content.Overrides{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: Options{Content: src}, log: slog.New(slog.DiscardHandler)}
	post := func() *content.Post {
		p := content.View{Site: src.Current(), Now: time.Now()}.Post("tri")
		if p == nil || p.Run == nil {
			t.Fatalf("no run: %v", src.Current().Warnings)
		}
		return p
	}

	first := post()
	v := s.runView(first)
	if v == nil || v.Distance != "5 km" || len(v.Charts) == 0 {
		t.Fatalf("run view %+v", v)
	}
	if again := s.runView(first); again != v {
		t.Error("the second view of the post drew it again")
	}
	// An editor's preview is a copy of the post: drawn for it, not kept.
	preview := *first
	if pv := s.runView(&preview); pv == v || pv.Distance != "5 km" {
		t.Errorf("the preview's view %p (the kept one %p)", pv, v)
	}
	if len(s.runs.byPost) != 1 {
		t.Errorf("%d views kept, want the post's alone", len(s.runs.byPost))
	}

	write("posts/tri/index.md", "---\ntitle: Tri\ndate: 2026-06-14\nactivity: run.fit\nrun:\n  distance: 6 km\n---\nHot.\n")
	src.Reload(ctx)
	second := post()
	if second == first {
		t.Fatal("the reload kept the post")
	}
	if nv := s.runView(second); nv == v || nv.Distance != "6 km" {
		t.Errorf("after the reload: %+v", nv)
	}
	// The old site's post, still held by a request, is drawn but no
	// longer kept.
	if old := s.runView(first); old == v || s.runs.site != src.Current() || len(s.runs.byPost) != 1 {
		t.Errorf("the old site's view was kept: %d views", len(s.runs.byPost))
	}
}

// A run figure that is not finite — a file's elevation of 1e308 summed to
// +Inf, a NaN — is not shown on the run card, and the charts it would
// have drawn are empty: the post page serves (its charts' index out of
// range was a 500 on every view). The readers refuse such files; this
// holds without them.
func TestARunWithNonFiniteFiguresShowsNeitherThemNorBrokenCharts(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	var series []activity.Sample
	for i := range 50 {
		series = append(series, activity.Sample{DistanceM: 50 + 100*float64(i), ElevationM: 100, HasElevation: true, PaceSPerKm: 300, HeartRateBPM: 150})
	}
	series[20].ElevationM = inf
	series[21].PaceSPerKm = inf
	series[22].HeartRateBPM = inf
	splits := []activity.Split{{DistanceM: 1000, MovingS: 300, PaceSPerKm: 300}, {DistanceM: 1000, MovingS: nan, PaceSPerKm: inf}}
	p := &content.Post{Slug: "hill", Title: "Hill", Run: &content.Run{
		Type: content.RunRace, DistanceM: inf, TimeS: nan, ElevationM: inf, HasElevation: true, Units: activity.Metric,
		Race: &content.Race{Name: "Hill climb", OfficialS: inf},
		Activity: &content.Activity{File: "run.gpx", Summary: activity.Summary{
			DistanceM: 5000, MovingS: 1500, PaceSPerKm: 300, HasElevation: true, GainM: inf, AvgHeartRateBPM: 150,
			SplitsKm: splits, Series: series,
		}, Route: activity.RouteShape{Width: 100, Height: nan, Segments: [][]activity.XY{{{X: 0, Y: 0}, {X: 100, Y: inf}}}}},
	}}
	v := newRunView(p)
	if v.Distance != "" || v.Time != "" || v.Pace != "" || v.Elevation != "" || v.Race.Official != "" {
		t.Errorf("non-finite figures shown: distance %q, time %q, pace %q, elevation %q, official %q", v.Distance, v.Time, v.Pace, v.Elevation, v.Race.Official)
	}
	if len(v.Charts) != 5 {
		t.Fatalf("%d charts, want the 5 the summary asks for, drawn empty", len(v.Charts))
	}
	for _, c := range v.Charts {
		if svg := string(c.SVG); strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") || strings.Contains(svg, "<path") || len(c.Table.Rows) != 0 {
			t.Errorf("the %s chart is not empty: rows %q\n%s", c.Kind, c.Table.Rows, svg)
		}
	}
}
