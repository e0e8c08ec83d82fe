// Package chart draws a run's figures as SVG on the server: the route,
// the elevation profile, pace and heart rate over distance, and splits as
// bars. Every chart has a <title> and comes with a table that says the
// same in words, for screen readers and for anyone who prefers numbers.
//
// The SVG carries no style= attribute and no script, so it renders under
// the readers' Content-Security-Policy; it is coloured through classes
// (chart-line, chart-area, chart-bar, chart-grid, chart-label) and
// currentColor, which the theme's stylesheet sets for light and dark.
package chart

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"

	"milepost/internal/activity"
)

// Chart is one drawing and its equivalent table.
type Chart struct {
	SVG   template.HTML // built by html/template from numbers and fixed words
	Table Table
}

// Table is the data a chart shows, as rows of text.
type Table struct {
	Caption string
	Head    []string
	Rows    [][]string
}

// The drawing box of the charts over distance, in SVG user units. The
// SVG scales to its container; labels are sized to stay legible on a
// phone's width.
const (
	width        = 400.0
	height       = 180.0
	marginLeft   = 50.0
	marginRight  = 8.0
	marginTop    = 10.0
	marginBottom = 24.0
	// maxTableRows bounds the table of a long run: its rows are every
	// unit, or every few units for an ultra.
	maxTableRows = 60
)

//go:embed chart.svg.tmpl
var templates embed.FS

var svgTemplate = template.Must(template.ParseFS(templates, "chart.svg.tmpl"))

// drawing is what the template draws.
type drawing struct {
	Kind          string
	Title         string
	Width, Height float64
	Grid          []line
	Labels        []label
	Area, Line    string
	Bars          []bar
}

type line struct{ X1, Y1, X2, Y2 float64 }

type label struct {
	X, Y   float64
	Anchor string
	Text   string
}

type bar struct {
	X, Y, W, H float64
	Title      string
}

func (d drawing) render() template.HTML {
	if !d.finite() {
		// A number no file should hold (an elevation of 1e308 summed
		// to +Inf, a NaN) reached a drawing past its function's checks:
		// an empty frame is drawn rather than a broken one.
		d = drawing{Kind: d.Kind, Title: d.Title, Width: width, Height: height}
	}
	var b bytes.Buffer
	if err := svgTemplate.Execute(&b, d); err != nil {
		// The template and its data are the package's own: an error is
		// a bug here, not something a file can cause.
		panic(fmt.Sprintf("drawing a %s chart: %v", d.Kind, err))
	}
	return template.HTML(b.String()) // escaped by html/template above
}

// finite reports whether every number of the drawing is an ordinary one,
// so that no NaN or Inf is ever written into the SVG.
func (d drawing) finite() bool {
	// Paths are written by num, which spells those "NaN", "+Inf", "-Inf".
	ok := finite(d.Width) && finite(d.Height) && !strings.ContainsAny(d.Line+d.Area, "NI")
	for _, l := range d.Grid {
		ok = ok && finite(l.X1) && finite(l.Y1) && finite(l.X2) && finite(l.Y2)
	}
	for _, l := range d.Labels {
		ok = ok && finite(l.X) && finite(l.Y)
	}
	for _, b := range d.Bars {
		ok = ok && finite(b.X) && finite(b.Y) && finite(b.W) && finite(b.H)
	}
	return ok
}

// empty is the chart of a kind that has nothing it can draw: a frame with
// its title, and a table with its caption and no rows.
func empty(kind, title string) Chart {
	d := drawing{Kind: kind, Title: title, Width: width, Height: height}
	return Chart{SVG: d.render(), Table: Table{Caption: title}}
}

// Route draws a route from activity.Route (which takes Clean's output, so
// nothing private reaches it). Its table says only how far it goes: a
// list of coordinates would undo the simplification's purpose.
func Route(shape activity.RouteShape, distanceM float64, u activity.Units) Chart {
	if !finite(distanceM) || !finite(shape.Width) || !finite(shape.Height) {
		return empty("route", "Route map")
	}
	for _, seg := range shape.Segments {
		for _, p := range seg {
			if !finite(p.X) || !finite(p.Y) {
				return empty("route", "Route map")
			}
		}
	}
	title := fmt.Sprintf("Route map, %s %s", activity.DistanceNumber(distanceM, u), u.Abbrev())
	pad := 4.0
	d := drawing{
		Kind:   "route",
		Title:  title,
		Width:  round1(shape.Width + 2*pad),
		Height: round1(shape.Height + 2*pad),
	}
	var path strings.Builder
	for _, seg := range shape.Segments {
		for i, p := range seg {
			cmd := 'L'
			if i == 0 {
				cmd = 'M'
			}
			fmt.Fprintf(&path, "%c%s %s", cmd, num(p.X+pad), num(p.Y+pad))
		}
	}
	d.Line = path.String()
	return Chart{
		SVG: d.render(),
		Table: Table{
			Caption: title,
			Head:    []string{"Distance (" + u.Abbrev() + ")"},
			Rows:    [][]string{{activity.DistanceNumber(distanceM, u)}},
		},
	}
}

// Elevation draws the elevation profile, an area under the line, in
// metres or, in imperial units, feet.
func Elevation(series []activity.Sample, u activity.Units) Chart {
	unit := u.HeightAbbrev()
	pick := func(s activity.Sample) (float64, bool) { return u.Height(s.ElevationM), s.HasElevation }
	c := overDistance("elevation", "Elevation over distance", series, u, pick, false, func(v float64) string {
		return activity.HeightUnitsText(v, u)
	})
	c.Table.Head = []string{"Distance (" + u.Abbrev() + ")", "Elevation (" + unit + ")"}
	return c
}

// Pace draws the smoothed moving pace, faster up; stops leave gaps.
func Pace(series []activity.Sample, u activity.Units) Chart {
	unit := u.UnitM() / activity.MetresPerKm
	pick := func(s activity.Sample) (float64, bool) { return s.PaceSPerKm * unit, s.PaceSPerKm > 0 }
	c := overDistance("pace", "Pace over distance", series, u, pick, true, activity.PaceClock, 15, 30, 60, 120, 300)
	c.Table.Head = []string{"Distance (" + u.Abbrev() + ")", "Pace (min/" + u.Abbrev() + ")"}
	return c
}

// HeartRate draws the heart rate.
func HeartRate(series []activity.Sample, u activity.Units) Chart {
	pick := func(s activity.Sample) (float64, bool) { return s.HeartRateBPM, s.HeartRateBPM > 0 }
	c := overDistance("heart-rate", "Heart rate over distance", series, u, pick, false, func(v float64) string {
		return strconv.Itoa(int(math.Round(v)))
	})
	c.Table.Head = []string{"Distance (" + u.Abbrev() + ")", "Heart rate (bpm)"}
	return c
}

// overDistance draws one value over distance: a line broken where the
// value is missing, with a grid and labels on both axes. A series holding
// a number that is not finite, or a range too wide to measure, gives the
// empty chart.
func overDistance(kind, title string, series []activity.Sample, u activity.Units,
	pick func(activity.Sample) (float64, bool), invert bool, format func(float64) string, tickSteps ...float64) Chart {
	d := drawing{Kind: kind, Title: title, Width: width, Height: height}
	if len(series) == 0 {
		return empty(kind, title)
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range series {
		v, ok := pick(s)
		if !finite(s.DistanceM) || (ok && !finite(v)) {
			return empty(kind, title)
		}
		if ok {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	total := series[len(series)-1].DistanceM + series[0].DistanceM // the last stretch's end
	if math.IsInf(lo, 0) || !(total > 0) || !finite(total) || !finite(hi-lo) {
		return empty(kind, title)
	}
	ticks := niceTicks(lo, hi, 4, tickSteps...)
	if len(ticks) == 0 || !finite(ticks[0]) || !finite(ticks[len(ticks)-1]) {
		return empty(kind, title)
	}
	lo, hi = math.Min(lo, ticks[0]), math.Max(hi, ticks[len(ticks)-1])
	if !finite(hi - lo) {
		return empty(kind, title)
	}
	if hi-lo < 1e-9 {
		lo, hi = lo-1, hi+1
	}
	plotW, plotH := width-marginLeft-marginRight, height-marginTop-marginBottom
	x := func(m float64) float64 { return marginLeft + m/total*plotW }
	y := func(v float64) float64 {
		f := (v - lo) / (hi - lo)
		if invert {
			f = 1 - f
		}
		return marginTop + (1-f)*plotH
	}

	for _, t := range ticks {
		d.Grid = append(d.Grid, line{marginLeft, round1(y(t)), width - marginRight, round1(y(t))})
		d.Labels = append(d.Labels, label{marginLeft - 4, round1(y(t) + 4), "end", format(t)})
	}
	step := unitStep(total, u)
	for m := 0.0; m <= total+1e-6; m += step * u.UnitM() {
		d.Labels = append(d.Labels, label{round1(x(m)), height - 6, "middle", activity.DistanceNumber(m, u)})
	}
	d.Labels = append(d.Labels, label{width - marginRight, height - 6, "end", u.Abbrev()})

	// Each stretch of known values is its own piece of line; under the
	// elevation line each piece is closed down to the axis on its own, so a
	// hidden stretch between two pieces stays empty.
	var path, area strings.Builder
	base := num(marginTop + plotH)
	var piece strings.Builder
	firstX, lastX := "", ""
	endPiece := func() {
		if firstX == "" {
			return
		}
		path.WriteString(piece.String())
		if kind == "elevation" {
			fmt.Fprintf(&area, "M%s %s%sL%s %sZ", firstX, base, "L"+strings.TrimPrefix(piece.String(), "M"), lastX, base)
		}
		piece.Reset()
		firstX, lastX = "", ""
	}
	for _, s := range series {
		v, ok := pick(s)
		if !ok {
			endPiece()
			continue
		}
		cmd := 'L'
		if firstX == "" {
			cmd = 'M'
			firstX = num(x(s.DistanceM))
		}
		lastX = num(x(s.DistanceM))
		fmt.Fprintf(&piece, "%c%s %s", cmd, lastX, num(y(v)))
	}
	endPiece()
	d.Line = path.String()
	d.Area = area.String()

	table := Table{Caption: title}
	for m := step * u.UnitM(); ; m += step * u.UnitM() {
		if m > total {
			m = total
		}
		if s, ok := sampleAt(series, m); ok {
			if v, ok := pick(s); ok {
				table.Rows = append(table.Rows, []string{activity.DistanceNumber(m, u), format(v)})
			}
		}
		if m >= total {
			break
		}
	}
	return Chart{SVG: d.render(), Table: table}
}

// Splits draws one bar per split, its height the pace (faster is taller),
// each bar titled with its figures; the table lists them all.
func Splits(splits []activity.Split, u activity.Units) Chart {
	title := "Pace per kilometre"
	if u == activity.Imperial {
		title = "Pace per mile"
	}
	for _, s := range splits {
		if !finite(s.DistanceM) || !finite(s.MovingS) || !finite(s.PaceSPerKm) || !finite(s.ElevationChangeM) || !finite(s.AvgHeartRateBPM) {
			return empty("splits", title)
		}
	}
	d := drawing{Kind: "splits", Title: title, Width: width, Height: height}
	heightName := u.HeightAbbrev()
	table := Table{Caption: title, Head: []string{"Split", "Distance (" + u.Abbrev() + ")", "Time", "Pace (min/" + u.Abbrev() + ")", "Elevation (" + heightName + ")", "Heart rate (bpm)"}}
	unit := u.UnitM() / activity.MetresPerKm
	slow, fast := 0.0, math.Inf(1)
	for _, s := range splits {
		if s.PaceSPerKm > 0 {
			slow, fast = math.Max(slow, s.PaceSPerKm*unit), math.Min(fast, s.PaceSPerKm*unit)
		}
	}
	plotW, plotH := width-marginLeft-marginRight, height-marginTop-marginBottom
	if len(splits) > 0 && slow > 0 {
		// Bars start from a floor a little slower than the slowest
		// split, so differences of seconds show.
		floor := slow + math.Max(30, (slow-fast)/2)
		if !finite(floor) {
			return empty("splits", title)
		}
		barW := plotW / float64(len(splits))
		barHeight := func(p float64) float64 { return (floor - p) / (floor - fast + 1e-9) * plotH }
		for i, s := range splits {
			p := s.PaceSPerKm * unit
			if p <= 0 {
				continue
			}
			h := barHeight(p)
			bx := marginLeft + float64(i)*barW
			d.Bars = append(d.Bars, bar{
				X: round1(bx + barW*0.1), Y: round1(marginTop + plotH - h), W: round1(barW * 0.8), H: round1(h),
				Title: fmt.Sprintf("%s %d: %s /%s", u.Abbrev(), i+1, activity.PaceClock(p), u.Abbrev()),
			})
		}
		d.Labels = append(d.Labels, label{marginLeft - 4, round1(marginTop + plotH - barHeight(fast) + 4), "end", activity.PaceClock(fast)})
		if activity.PaceClock(slow) != activity.PaceClock(fast) {
			d.Labels = append(d.Labels, label{marginLeft - 4, round1(marginTop + plotH - barHeight(slow) + 4), "end", activity.PaceClock(slow)})
		}
		for i := range splits {
			if len(splits) <= 12 || (i+1)%5 == 0 {
				d.Labels = append(d.Labels, label{round1(marginLeft + (float64(i)+0.5)*barW), height - 6, "middle", strconv.Itoa(i + 1)})
			}
		}
	}
	for i, s := range splits {
		elev, hr := "", ""
		if s.HasElevation {
			elev = fmt.Sprintf("%+d", int(math.Round(u.Height(s.ElevationChangeM))))
			if elev == "+0" {
				elev = "0"
			}
		}
		if s.AvgHeartRateBPM > 0 {
			hr = strconv.Itoa(int(math.Round(s.AvgHeartRateBPM)))
		}
		table.Rows = append(table.Rows, []string{
			strconv.Itoa(i + 1), activity.DistanceNumber(s.DistanceM, u), activity.DurationText(s.MovingS), activity.PaceClock(s.PaceSPerKm * unit), elev, hr,
		})
	}
	return Chart{SVG: d.render(), Table: table}
}

// sampleAt is the sample whose stretch holds distance m.
func sampleAt(series []activity.Sample, m float64) (activity.Sample, bool) {
	if len(series) == 0 {
		return activity.Sample{}, false
	}
	widthM := 2 * series[0].DistanceM
	i := min(len(series)-1, max(0, int(m/widthM)))
	return series[i], true
}

// unitStep is how many units apart the distance labels and table rows
// are, so a marathon has a label every 5 km and an ultra every 10 or 20.
func unitStep(totalM float64, u activity.Units) float64 {
	units := totalM / u.UnitM()
	for _, step := range []float64{1, 2, 5, 10, 20, 50, 100} {
		if units/step <= 10 || (units/step <= maxTableRows && step >= 5) {
			return step
		}
	}
	return math.Ceil(units / 10)
}

// niceTicks are about n round values covering lo..hi: steps of 1, 2 or 5
// times a power of ten, or the first of steps that is wide enough (for
// paces, whole and half minutes).
func niceTicks(lo, hi float64, n int, steps ...float64) []float64 {
	span := hi - lo
	if span <= 0 {
		span = math.Max(1, math.Abs(hi))
	}
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 0.0
	for _, s := range steps {
		if raw <= s {
			step = s
			break
		}
	}
	for _, m := range []float64{1, 2, 5, 10} {
		if step == 0 && raw <= m*mag {
			step = m * mag
		}
	}
	var out []float64
	for t := math.Floor(lo/step) * step; t <= hi+step/2 && len(out) < 3*n; t += step {
		out = append(out, t)
	}
	return out // empty, for callers to refuse, when lo or hi is not finite
}

func num(v float64) string { return strconv.FormatFloat(round1(v), 'f', -1, 64) }

func round1(v float64) float64 { return math.Round(v*10) / 10 }

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
