package chart

import (
	"regexp"
	"strings"
	"testing"

	"milepost/internal/activity"
)

// A hidden stretch (a privacy zone, a trimmed end) leaves a gap in the
// elevation profile: the line breaks, and the area under each piece is
// closed down to the axis on its own, never drawn across the gap.
func TestTheElevationAreaIsClosedPieceByPieceAroundAGap(t *testing.T) {
	var series []activity.Sample
	for i := range 30 {
		s := activity.Sample{DistanceM: float64(i) * 100, ElevationM: 100 + float64(i%5)}
		s.HasElevation = i < 10 || i >= 20 // 1 to 2 km is hidden
		series = append(series, s)
	}
	c := Elevation(series, activity.Metric)
	svg := string(c.SVG)
	svgElements(t, svg)
	area := regexp.MustCompile(`class="chart-area" d="([^"]*)"`).FindStringSubmatch(svg)
	if area == nil {
		t.Fatalf("no area in the elevation chart:\n%s", svg)
	}
	pieces := strings.SplitAfter(area[1], "Z")
	if pieces[len(pieces)-1] == "" {
		pieces = pieces[:len(pieces)-1]
	}
	if len(pieces) != 2 {
		t.Fatalf("the area has %d closed pieces, want 2 (one each side of the gap): %s", len(pieces), area[1])
	}
	for _, p := range pieces {
		if strings.Count(p, "M") != 1 {
			t.Errorf("an area piece has %d moves, want 1: %s", strings.Count(p, "M"), p)
		}
		nums := regexp.MustCompile(`[-\d.]+`).FindAllString(p, -1)
		// M x base L x y … L xn yn L xn base Z: down to the axis under its
		// own first and last points.
		n := len(nums)
		if n < 8 || nums[1] != nums[n-1] || nums[0] != nums[2] || nums[n-2] != nums[n-4] {
			t.Errorf("an area piece is not closed down to the axis under its own ends: %s", p)
		}
	}
	line := regexp.MustCompile(`class="chart-line" d="([^"]*)"`).FindStringSubmatch(svg)
	if line == nil || strings.Count(line[1], "M") != 2 {
		t.Errorf("the elevation line should be two pieces: %v", line)
	}
}
