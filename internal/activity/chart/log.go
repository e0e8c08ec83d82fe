package chart

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"milepost/internal/activity"
)

// WeekDistance is how far a runner ran in one week.
type WeekDistance struct {
	Start     time.Time // the week's first day
	DistanceM float64
	Runs      int
}

// WeeklyDistance draws one bar per week, oldest on the left, its height
// the week's distance; each bar is titled with its figures, and the table
// lists every week.
func WeeklyDistance(weeks []WeekDistance, u activity.Units) Chart {
	title := fmt.Sprintf("Distance per week, last %d weeks (%s)", len(weeks), u.Abbrev())
	d := drawing{Kind: "weekly", Title: title, Width: width, Height: height}
	table := Table{Caption: title, Head: []string{"Week of", "Distance (" + u.Abbrev() + ")", "Runs"}}
	most := 0.0
	for _, w := range weeks {
		if !finite(w.DistanceM) {
			return empty("weekly", title)
		}
		most = math.Max(most, w.DistanceM/u.UnitM())
		table.Rows = append(table.Rows, []string{w.Start.Format("Jan 2, 2006"), activity.DistanceNumber(w.DistanceM, u), strconv.Itoa(w.Runs)})
	}
	if len(weeks) == 0 {
		return Chart{SVG: d.render(), Table: table}
	}
	ticks := niceTicks(0, math.Max(most, 1), 4)
	if len(ticks) == 0 || !finite(ticks[len(ticks)-1]) {
		return empty("weekly", title)
	}
	top := math.Max(ticks[len(ticks)-1], most)
	plotW, plotH := width-marginLeft-marginRight, height-marginTop-marginBottom
	y := func(units float64) float64 { return marginTop + (1-units/top)*plotH }
	for _, t := range ticks {
		d.Grid = append(d.Grid, line{marginLeft, round1(y(t)), width - marginRight, round1(y(t))})
		d.Labels = append(d.Labels, label{marginLeft - 4, round1(y(t) + 4), "end", strconv.FormatFloat(t, 'f', -1, 64)})
	}
	barW := plotW / float64(len(weeks))
	for i, w := range weeks {
		x := marginLeft + float64(i)*barW
		if w.DistanceM > 0 {
			units := w.DistanceM / u.UnitM()
			d.Bars = append(d.Bars, bar{
				X: round1(x + barW*0.1), Y: round1(y(units)), W: round1(barW * 0.8), H: round1(marginTop + plotH - y(units)),
				Title: fmt.Sprintf("Week of %s: %s %s, %s", w.Start.Format("Jan 2, 2006"), activity.DistanceNumber(w.DistanceM, u), u.Abbrev(), runs(w.Runs)),
			})
		}
		// A month's name under the first week starting in it, every
		// other month so that they fit on a phone.
		if i == 0 || w.Start.Month() != weeks[i-1].Start.Month() {
			if m := w.Start.Month(); m%2 == 1 {
				d.Labels = append(d.Labels, label{round1(x), height - 6, "start", w.Start.Format("Jan")})
			}
		}
	}
	return Chart{SVG: d.render(), Table: table}
}

// runs is a number of runs in words: "1 run", "3 runs".
func runs(n int) string {
	if n == 1 {
		return "1 run"
	}
	return strconv.Itoa(n) + " runs"
}
