package chart

import (
	"math"
	"strings"
	"testing"
	"time"

	"milepost/internal/activity"
)

// A number no file should hold — an elevation of 1e308 summed to +Inf, a
// NaN — is refused by the readers, but the charts stand on their own:
// whatever reaches them, they draw an empty chart rather than fail or
// write NaN or Inf into the SVG.

// nonFinite are the numbers the charts must never write.
var nonFinite = map[string]float64{"+Inf": math.Inf(1), "-Inf": math.Inf(-1), "NaN": math.NaN()}

// series is a plain run of n samples, 10 m apart, with every value.
func series(n int) []activity.Sample {
	out := make([]activity.Sample, n)
	for i := range out {
		out[i] = activity.Sample{DistanceM: 5 + 10*float64(i), ElevationM: 100 + float64(i), HasElevation: true, PaceSPerKm: 300, HeartRateBPM: 150}
	}
	return out
}

// wantEmpty fails unless c is the empty chart: well-formed SVG with its
// title, no line, bar or label, no non-finite number, and a table of no
// rows.
func wantEmpty(t *testing.T, what string, c Chart) {
	t.Helper()
	svg := string(c.SVG)
	n := svgElements(t, svg)
	if n["svg"] != 1 || n["title"] != 1 || n["path"]+n["rect"]+n["text"]+n["line"] != 0 {
		t.Errorf("%s: not the empty chart: %v\n%s", what, n, svg)
	}
	if strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") {
		t.Errorf("%s: a non-finite number in the SVG:\n%s", what, svg)
	}
	if len(c.Table.Rows) != 0 || c.Table.Caption == "" {
		t.Errorf("%s: table %+v", what, c.Table)
	}
}

func TestAChartOverDistanceOfANonFiniteValueIsEmpty(t *testing.T) {
	draw := map[string]func([]activity.Sample, activity.Units) Chart{"elevation": Elevation, "pace": Pace, "heart rate": HeartRate}
	set := map[string]func(*activity.Sample, float64){
		"elevation":  func(s *activity.Sample, v float64) { s.ElevationM = v },
		"pace":       func(s *activity.Sample, v float64) { s.PaceSPerKm = v },
		"heart rate": func(s *activity.Sample, v float64) { s.HeartRateBPM = v },
		"distance":   func(s *activity.Sample, v float64) { s.DistanceM = v },
	}
	for kind, chart := range draw {
		for field, setField := range set {
			if field != "distance" && field != kind {
				continue
			}
			for name, v := range nonFinite {
				if kind == "heart rate" && field == kind && name != "+Inf" {
					continue // no heart rate is recorded as 0 or less: NaN and -Inf are none
				}
				if kind == "pace" && field == kind && name != "+Inf" {
					continue // likewise, a pace of 0 or less is no movement
				}
				for _, at := range []int{0, 7, 19} {
					s := series(20)
					setField(&s[at], v)
					for _, u := range []activity.Units{activity.Metric, activity.Imperial} {
						wantEmpty(t, kind+" with "+field+" "+name, chart(s, u))
					}
				}
			}
		}
	}
	// Finite values whose range is too wide to measure (their difference
	// overflows) are no more drawable.
	s := series(20)
	s[3].ElevationM, s[4].ElevationM = -1e308, 1e308
	wantEmpty(t, "elevation from -1e308 to 1e308 m", Elevation(s, activity.Metric))
	s = series(20)
	s[3].ElevationM = 1e308 // in feet, 3.3e308: +Inf
	wantEmpty(t, "elevation of 1e308 m in feet", Elevation(s, activity.Imperial))
}

func TestSplitsWithANonFiniteFigureAreEmpty(t *testing.T) {
	set := map[string]func(*activity.Split, float64){
		"distance":   func(s *activity.Split, v float64) { s.DistanceM = v },
		"time":       func(s *activity.Split, v float64) { s.MovingS = v },
		"pace":       func(s *activity.Split, v float64) { s.PaceSPerKm = v },
		"elevation":  func(s *activity.Split, v float64) { s.ElevationChangeM, s.HasElevation = v, true },
		"heart rate": func(s *activity.Split, v float64) { s.AvgHeartRateBPM = v },
	}
	for field, setField := range set {
		for name, v := range nonFinite {
			splits := []activity.Split{{DistanceM: 1000, MovingS: 300, PaceSPerKm: 300}, {DistanceM: 1000, MovingS: 290, PaceSPerKm: 290}, {DistanceM: 500, MovingS: 150, PaceSPerKm: 300}}
			setField(&splits[1], v)
			wantEmpty(t, "splits with "+field+" "+name, Splits(splits, activity.Metric))
		}
	}
	// A pace so slow that the bars' floor overflows.
	wantEmpty(t, "splits at 1.7e308 s/km", Splits([]activity.Split{{DistanceM: 1000, MovingS: 300, PaceSPerKm: 1.7e308}, {DistanceM: 1000, MovingS: 300, PaceSPerKm: 300}}, activity.Metric))
}

func TestARouteWithANonFiniteNumberIsEmpty(t *testing.T) {
	shape := func() activity.RouteShape {
		return activity.RouteShape{Width: 100, Height: 80, Segments: [][]activity.XY{{{X: 0, Y: 0}, {X: 50, Y: 40}, {X: 100, Y: 80}}}}
	}
	for name, v := range nonFinite {
		s := shape()
		s.Segments[0][1].X = v
		wantEmpty(t, "route with a point at x "+name, Route(s, 5000, activity.Metric))
		s = shape()
		s.Height = v
		wantEmpty(t, "route of height "+name, Route(s, 5000, activity.Metric))
		wantEmpty(t, "route of distance "+name, Route(shape(), v, activity.Metric))
	}
}

func TestTheLogsChartsOfANonFiniteDistanceAreEmpty(t *testing.T) {
	monday := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	for name, v := range nonFinite {
		weeks := []WeekDistance{{Start: monday, DistanceM: 20000, Runs: 2}, {Start: monday.AddDate(0, 0, 7), DistanceM: v, Runs: 1}}
		wantEmpty(t, "weekly distance "+name, WeeklyDistance(weeks, activity.Metric))

		var days []DayDistance
		for d := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2026; d = d.AddDate(0, 0, 1) {
			days = append(days, DayDistance{Date: d})
		}
		days[40] = DayDistance{Date: days[40].Date, DistanceM: 8000, Runs: 1}
		days[41] = DayDistance{Date: days[41].Date, DistanceM: v, Runs: 1}
		c := YearCalendar(2026, days, activity.Metric)
		svg := string(c.SVG)
		if n := svgElements(t, svg); n["rect"] != 0 || strings.Contains(svg, "NaN") || strings.Contains(svg, "Inf") || len(c.Table.Rows) != 0 {
			t.Errorf("calendar with a day of %s: %d days drawn, rows %q\n%s", name, n["rect"], c.Table.Rows, svg)
		}
	}
	// A finite distance too big for an int is written as its number, not
	// as an overflowed one.
	c := WeeklyDistance([]WeekDistance{{Start: monday, DistanceM: 1.7e308, Runs: 1}}, activity.Metric)
	if row := c.Table.Rows[0]; strings.HasPrefix(row[1], "-") || strings.Contains(string(c.SVG), "-9223372036854775808") {
		t.Errorf("a week of 1.7e308 m: row %q\n%s", row, c.SVG)
	}
}

// Whatever a chart's function lets through, the drawing itself never
// writes a non-finite number.
func TestADrawingWithANonFiniteNumberIsDrawnEmpty(t *testing.T) {
	for name, v := range nonFinite {
		drawings := []drawing{
			{Kind: "pace", Title: "t", Width: v, Height: 10},
			{Kind: "pace", Title: "t", Width: 10, Height: 10, Line: "M1 2L" + num(v) + " 3"},
			{Kind: "elevation", Title: "t", Width: 10, Height: 10, Area: "M1 2L3 " + num(v) + "Z"},
			{Kind: "pace", Title: "t", Width: 10, Height: 10, Grid: []line{{1, v, 2, 3}}},
			{Kind: "pace", Title: "t", Width: 10, Height: 10, Labels: []label{{X: v, Y: 1, Anchor: "end", Text: "x"}}},
			{Kind: "splits", Title: "t", Width: 10, Height: 10, Bars: []bar{{X: 1, Y: 1, W: 1, H: v}}},
		}
		for i, d := range drawings {
			wantEmpty(t, "drawing "+name+" "+string(rune('a'+i)), Chart{SVG: d.render(), Table: Table{Caption: "t"}})
		}
	}
}
