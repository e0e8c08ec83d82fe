package activity

import (
	"math"
	"strings"
	"testing"
)

func TestFiguresAsReadersSeeThem(t *testing.T) {
	cases := []struct{ got, want string }{
		{DistanceText(42195, Metric), "42.2 km"},
		{DistanceText(42195, Imperial), "26.2 mi"},
		{DistanceText(4490, Metric), "4.49 km"},
		{DistanceText(5000, Metric), "5 km"},
		{DistanceText(10000, Metric), "10 km"},
		{DistanceNumber(4490, Metric), "4.49"},
		{DistanceNumber(0, Metric), "0"},
		{KilometresText(10023.4), "10.023 km"},
		{KilometresText(42195), "42.195 km"},
		{KilometresText(5000), "5 km"},
		{DurationText(3*3600 + 28*60 + 15), "3:28:15"},
		{DurationText(24*60 + 5), "24:05"},
		{DurationText(59.6), "1:00"},
		{PaceClock(296), "4:56"},
		{PaceText(3*3600+28*60+15, 42195, Metric), "4:56 /km"},
		{PaceText(3*3600+28*60+15, 42195, Imperial), "7:57 /mi"},
		{PaceText(0, 42195, Metric), ""},
		{PaceText(600, 0, Metric), ""},
		{HeightText(120, Metric), "120 m"},
		{HeightText(120, Imperial), "394 ft"},
		{HeightText(0, Metric), "0 m"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// TestAFigureThatIsNoFigureIsWrittenAsNothing: a distance, time, pace or
// height of +Inf or NaN (a file's elevation of 1e308 summed), and a
// distance or time of zero or below (but an axis's "0"), are "" — never
// "+Inf km" — and a finite figure too large for an int is written whole,
// not overflowed.
func TestAFigureThatIsNoFigureIsWrittenAsNothing(t *testing.T) {
	for _, v := range []float64{math.Inf(1), math.Inf(-1), math.NaN(), 0, -5} {
		for _, u := range []Units{Metric, Imperial} {
			got := []string{DistanceText(v, u), KilometresText(v), DurationText(v), PaceClock(v),
				PaceText(v, 5000, u), PaceText(1500, v, u)}
			if v != 0 {
				got = append(got, DistanceNumber(v, u)) // a chart's axis starts at "0"
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				got = append(got, HeightText(v, u)) // a height of zero or below is a height
			}
			for i, s := range got {
				if s != "" {
					t.Errorf("figure %d of %v (%s) = %q, want nothing", i, v, u, s)
				}
			}
		}
	}
	if got := DurationText(1e20); !strings.HasPrefix(got, "27777777777777") {
		t.Errorf("a time of 1e20 s = %q", got)
	}
	if got := DistanceText(1e20, Metric); got != "100000000000000000 km" {
		t.Errorf("a distance of 1e20 m = %q", got)
	}
}
