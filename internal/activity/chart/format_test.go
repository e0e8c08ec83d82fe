package chart

import (
	"strings"
	"testing"

	"milepost/internal/activity"
)

func TestFiguresAsReadersSeeThem(t *testing.T) {
	cases := []struct{ got, want string }{
		{DistanceText(42195, activity.Metric), "42.2 km"},
		{DistanceText(42195, activity.Imperial), "26.2 mi"},
		{DistanceText(4490, activity.Metric), "4.49 km"},
		{DistanceText(5000, activity.Metric), "5 km"},
		{DistanceText(10000, activity.Metric), "10 km"},
		{DurationText(3*3600 + 28*60 + 15), "3:28:15"},
		{DurationText(24*60 + 5), "24:05"},
		{PaceText(3*3600+28*60+15, 42195, activity.Metric), "4:56 /km"},
		{PaceText(3*3600+28*60+15, 42195, activity.Imperial), "7:57 /mi"},
		{PaceText(0, 42195, activity.Metric), ""},
		{PaceText(600, 0, activity.Metric), ""},
		{HeightText(120, activity.Metric), "120 m"},
		{HeightText(120, activity.Imperial), "394 ft"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestElevationInFeetForImperialUnits(t *testing.T) {
	series := []activity.Sample{
		{DistanceM: 500, ElevationM: 100, HasElevation: true},
		{DistanceM: 1500, ElevationM: 130, HasElevation: true},
	}
	c := Elevation(series, activity.Imperial)
	if c.Table.Head[1] != "Elevation (ft)" || !strings.Contains(string(c.SVG), " ft</text>") {
		t.Errorf("imperial elevation: head %q\n%s", c.Table.Head, c.SVG)
	}
	if got := c.Table.Rows[len(c.Table.Rows)-1][1]; got != "427 ft" {
		t.Errorf("elevation at the end %q, want 427 ft (130 m)", got)
	}
}

// The SVG is trusted HTML: whatever text the package puts in it must be
// escaped by its template, even were a title ever to carry a name.
func TestChartTextIsEscaped(t *testing.T) {
	d := drawing{Kind: "route", Title: `</title><script>alert(1)</script>`, Width: 10, Height: 10,
		Labels: []label{{X: 1, Y: 1, Anchor: "end", Text: `<b onclick="x">`}},
		Bars:   []bar{{X: 1, Y: 1, W: 1, H: 1, Title: `"><script>`}}}
	svg := string(d.render())
	if strings.Contains(svg, "<script") || strings.Contains(svg, "<b ") {
		t.Fatalf("text not escaped:\n%s", svg)
	}
	svgElements(t, svg)
}
