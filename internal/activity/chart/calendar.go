package chart

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"math"
	"strconv"
	"time"

	"milepost/internal/activity"
)

// DayDistance is how far a runner ran on one day.
type DayDistance struct {
	Date      time.Time // the day's midnight, in the site's zone
	DistanceM float64
	Runs      int
}

// The calendar's box: the twelve months in four columns and three rows,
// each month a column a weekday (Monday first) and a row a week, so that a
// day is a square big enough to see on a phone.
const (
	calendarWidth   = 400.0
	calendarColumns = 4  // months across
	calendarPitch   = 12 // a day's square and the gap after it
	calendarLabel   = 16 // the month's name above its days
	calendarGap     = 10 // between rows of months
	calendarLevels  = 4
)

//go:embed calendar.svg.tmpl
var calendarSource string

var calendarTemplate = template.Must(template.New("calendar").Parse(calendarSource))

type calendarDrawing struct {
	Title         string
	Width, Height float64
	Cells         []calendarCell
	Labels        []label
}

type calendarCell struct {
	X, Y, Size float64
	// Level is how far the day's run went, 1 to calendarLevels as a share
	// of the year's longest day; 0 for a day without a run.
	Level   int
	Opacity float64
	Title   string
}

// levelOpacity shades the levels: a day without a run shows faintly, so
// the grid reads as a calendar.
var levelOpacity = [calendarLevels + 1]float64{0.1, 0.35, 0.55, 0.75, 1}

// YearCalendar draws the days of a year (days, from January 1, in order),
// each shaded by how far was run; each day with a run is titled with its
// figures, and the table lists those days.
func YearCalendar(year int, days []DayDistance, u activity.Units) Chart {
	title := fmt.Sprintf("Days run in %d (%s)", year, u.Abbrev())
	monthW := 7.0 * calendarPitch
	gapX := (calendarWidth - calendarColumns*monthW) / (calendarColumns - 1)
	monthH := float64(calendarLabel + 6*calendarPitch + calendarGap)
	rows := (12 + calendarColumns - 1) / calendarColumns
	d := calendarDrawing{Title: title, Width: calendarWidth, Height: round1(float64(rows)*monthH - calendarGap + 2)}
	table := Table{Caption: title, Head: []string{"Date", "Distance (" + u.Abbrev() + ")", "Runs"}}

	most := 0.0
	for _, day := range days {
		if !finite(day.DistanceM) {
			// A distance no run has: the calendar is left empty rather
			// than shaded by it.
			return d.chart(Table{Caption: title})
		}
		most = math.Max(most, day.DistanceM)
	}
	size := round1(calendarPitch * 0.85)
	for _, day := range days {
		m := int(day.Date.Month()) - 1
		left := float64(m%calendarColumns) * (monthW + gapX)
		top := float64(m/calendarColumns) * monthH
		if day.Date.Day() == 1 {
			d.Labels = append(d.Labels, label{round1(left), round1(top + calendarLabel - 5), "start", day.Date.Format("January")})
		}
		weekday := (int(day.Date.Weekday()) + 6) % 7 // Monday first
		first := (weekday - (day.Date.Day()-1)%7 + 7) % 7
		week := (day.Date.Day() - 1 + first) / 7
		c := calendarCell{
			X:    round1(left + float64(weekday)*calendarPitch),
			Y:    round1(top + calendarLabel + float64(week)*calendarPitch),
			Size: size,
		}
		if day.Runs > 0 {
			if most > 0 {
				c.Level = max(1, min(calendarLevels, int(math.Ceil(day.DistanceM/most*calendarLevels))))
			} else {
				c.Level = 1
			}
			c.Title = fmt.Sprintf("%s: %s %s", day.Date.Format("Monday, January 2"), activity.DistanceNumber(day.DistanceM, u), u.Abbrev())
			if day.Runs > 1 {
				c.Title += ", " + runs(day.Runs)
			}
			table.Rows = append(table.Rows, []string{day.Date.Format("January 2"), activity.DistanceNumber(day.DistanceM, u), strconv.Itoa(day.Runs)})
		}
		c.Opacity = levelOpacity[c.Level]
		d.Cells = append(d.Cells, c)
	}
	return d.chart(table)
}

// chart renders the calendar, with its table.
func (d calendarDrawing) chart(table Table) Chart {
	var b bytes.Buffer
	if err := calendarTemplate.Execute(&b, d); err != nil {
		// The template and its data are the package's own: an error is a
		// bug here, not something a post can cause.
		panic(fmt.Sprintf("drawing a calendar: %v", err))
	}
	return Chart{SVG: template.HTML(b.String()), Table: table} // escaped by html/template above
}
