package chart

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"

	"milepost/internal/activity"
	"milepost/internal/activity/activitytest"
)

// realRun reads the running leg of the real triathlon in the activity
// package's test files.
func realRun(tb testing.TB) (*activity.Activity, activity.Summary) {
	tb.Helper()
	act, err := activity.Read(context.Background(), "run.fit", bytes.NewReader(activitytest.File(tb, "triathlon_fr255.fit")))
	if err != nil {
		tb.Fatal(err)
	}
	return act, activity.Derive(act)
}

// svgElements parses a chart's SVG, failing on anything that is not
// well-formed, and counts its elements by name; it fails on any style
// attribute or script, which the readers' CSP would block.
func svgElements(t *testing.T, svg string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	dec := xml.NewDecoder(strings.NewReader(svg))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed: %v\n%s", err, svg)
		}
		if se, ok := tok.(xml.StartElement); ok {
			counts[se.Name.Local]++
			if se.Name.Local == "script" || se.Name.Local == "style" || se.Name.Local == "foreignObject" {
				t.Fatalf("SVG has a <%s>", se.Name.Local)
			}
			for _, a := range se.Attr {
				if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") {
					t.Fatalf("SVG element <%s> has a %s attribute", se.Name.Local, a.Name.Local)
				}
			}
		}
	}
	return counts
}

func TestChartsOfARealRun(t *testing.T) {
	act, s := realRun(t)
	segments, err := activity.Clean(act.Points, nil, activity.DefaultTrimM, 1)
	if err != nil {
		t.Fatal(err)
	}
	charts := map[string]Chart{
		"route":      Route(activity.Route(segments, activity.RoutePoints), s.DistanceM, activity.Metric),
		"elevation":  Elevation(s.Series, activity.Metric),
		"pace":       Pace(s.Series, activity.Metric),
		"heart-rate": HeartRate(s.Series, activity.Metric),
		"splits":     Splits(s.SplitsKm, activity.Metric),
	}
	for kind, c := range charts {
		svg := string(c.SVG)
		n := svgElements(t, svg)
		if n["svg"] != 1 || n["title"] < 1 || !strings.Contains(svg, `class="chart chart-`+kind+`"`) {
			t.Errorf("%s: %d svg, %d title, classes missing:\n%s", kind, n["svg"], n["title"], svg)
		}
		if kind != "splits" && n["path"] < 1 {
			t.Errorf("%s: no line drawn", kind)
		}
		if c.Table.Caption == "" || len(c.Table.Rows) == 0 || len(c.Table.Rows[0]) != len(c.Table.Head) {
			t.Errorf("%s: table %+v", kind, c.Table)
		}
	}
	if n := svgElements(t, string(charts["splits"].SVG)); n["rect"] != len(s.SplitsKm) {
		t.Errorf("%d bars for %d splits", n["rect"], len(s.SplitsKm))
	}
	// The elevation table has a row a kilometre and one at the finish.
	if rows := charts["elevation"].Table.Rows; len(rows) != 5 || rows[0][0] != "1" || rows[4][0] != "4.49" {
		t.Errorf("elevation table rows %q", rows)
	}
}

func TestChartsInMiles(t *testing.T) {
	_, s := realRun(t)
	splits := Splits(s.SplitsMile, activity.Imperial)
	if splits.Table.Caption != "Pace per mile" || len(splits.Table.Rows) != 3 || splits.Table.Head[3] != "Pace (min/mi)" {
		t.Errorf("mile splits table %+v", splits.Table)
	}
	pace := Pace(s.Series, activity.Imperial)
	at1mi, _ := sampleAt(s.Series, activity.MetresPerMile)
	perMile := activity.PaceClock(at1mi.PaceSPerKm * 1.609344)
	if !strings.Contains(string(pace.SVG), ">mi<") || pace.Table.Rows[0][0] != "1" || pace.Table.Rows[0][1] != perMile {
		t.Errorf("pace in miles: rows %q, want the first %s at mile 1 (%.0f s/km)", pace.Table.Rows, perMile, at1mi.PaceSPerKm)
	}
}

func TestARunWithoutHeartRateDrawsNoLine(t *testing.T) {
	series := []activity.Sample{{DistanceM: 50, PaceSPerKm: 300}, {DistanceM: 150, PaceSPerKm: 300}}
	c := HeartRate(series, activity.Metric)
	if n := svgElements(t, string(c.SVG)); n["path"] != 0 || len(c.Table.Rows) != 0 {
		t.Errorf("a heart-rate chart of no heart rate: %d paths, rows %q", n["path"], c.Table.Rows)
	}
}

// BenchmarkCharts draws all five charts of a run. What they draw is
// bounded whatever the file's size (activity.SeriesSamples samples, at
// most activity.RoutePoints route points, one bar a split), so the real
// run measures a 100,000-point file's drawing too.
func BenchmarkCharts(b *testing.B) {
	act, s := realRun(b)
	segments, err := activity.Clean(act.Points, nil, activity.DefaultTrimM, 1)
	if err != nil {
		b.Fatal(err)
	}
	shape := activity.Route(segments, activity.RoutePoints)
	b.ReportAllocs()
	for b.Loop() {
		Route(shape, s.DistanceM, activity.Metric)
		Elevation(s.Series, activity.Metric)
		Pace(s.Series, activity.Metric)
		HeartRate(s.Series, activity.Metric)
		Splits(s.SplitsKm, activity.Metric)
	}
}
