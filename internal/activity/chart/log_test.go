package chart

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"milepost/internal/activity"
)

func TestWeeklyDistanceHasABarPerWeekRunAndARowPerWeek(t *testing.T) {
	start := time.Date(2025, time.December, 1, 0, 0, 0, 0, time.UTC)
	var weeks []WeekDistance
	for i := range 52 {
		w := WeekDistance{Start: start.AddDate(0, 0, 7*i)}
		if i%3 != 0 {
			w.DistanceM, w.Runs = float64(1000*(i+10)), 2
		}
		weeks = append(weeks, w)
	}
	c := WeeklyDistance(weeks, activity.Metric)
	svg := string(c.SVG)
	n := svgElements(t, svg)
	run := 52 - 18 // every third week from the first was not run
	if n["rect"] != run || n["title"] != 1+run || !strings.Contains(svg, `class="chart chart-weekly"`) {
		t.Errorf("%d bars and %d titles for %d weeks run:\n%s", n["rect"], n["title"], run, svg)
	}
	if len(c.Table.Rows) != 52 || c.Table.Rows[1][0] != "Dec 8, 2025" || c.Table.Rows[1][1] != "11" || c.Table.Rows[0][1] != "0" {
		t.Errorf("table %q", c.Table.Rows[:2])
	}
	if !strings.Contains(svg, "<title>Week of Nov 16, 2026: 60 km, 2 runs</title>") {
		t.Errorf("the last week run is not titled with its figures:\n%s", svg)
	}
	// The longest week's bar is the tallest.
	tallest, tallestTitle := 0.0, ""
	for _, part := range strings.Split(svg, "<rect ")[1:] {
		h, _ := strconv.ParseFloat(attr(part, "height"), 64)
		if h > tallest {
			tallest, tallestTitle = h, part
		}
	}
	if !strings.Contains(tallestTitle, "60 km") {
		t.Errorf("the tallest bar is %s", tallestTitle)
	}
}

func TestWeeklyDistanceInMiles(t *testing.T) {
	weeks := []WeekDistance{{Start: time.Date(2026, time.November, 23, 0, 0, 0, 0, time.UTC), DistanceM: 2 * activity.MetresPerMile, Runs: 1}}
	c := WeeklyDistance(weeks, activity.Imperial)
	if c.Table.Head[1] != "Distance (mi)" || c.Table.Rows[0][1] != "2" || !strings.Contains(string(c.SVG), "2 mi, 1 run") {
		t.Errorf("in miles: %+v\n%s", c.Table, c.SVG)
	}
}

// attr is the value of the attribute name in an element's text.
func attr(element, name string) string {
	_, rest, ok := strings.Cut(element, " "+name+`="`)
	if !ok {
		_, rest, _ = strings.Cut(element, name+`="`)
	}
	v, _, _ := strings.Cut(rest, `"`)
	return v
}
