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

// The calendar's box: a column a week (Monday at the top), a row a
// weekday, with the months named above and the weekdays on the left.
const (
	calendarLeft   = 30.0
	calendarTop    = 16.0
	calendarRight  = 4.0
	calendarWidth  = 400.0
	calendarWeeks  = 54 // the most weeks a year can touch
	calendarLevels = 4
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
	pitch := (calendarWidth - calendarLeft - calendarRight) / calendarWeeks
	size := round1(pitch * 0.85)
	d := calendarDrawing{Title: title, Width: calendarWidth, Height: round1(calendarTop + 7*pitch + 2)}
	table := Table{Caption: title, Head: []string{"Date", "Distance (" + u.Abbrev() + ")", "Runs"}}

	most := 0.0
	for _, day := range days {
		most = math.Max(most, day.DistanceM)
	}
	for i, name := range []string{"Mon", "Wed", "Fri"} {
		row := float64(2 * i)
		d.Labels = append(d.Labels, label{calendarLeft - 4, round1(calendarTop + row*pitch + size), "end", name})
	}
	column := 0
	for i, day := range days {
		row := (int(day.Date.Weekday()) + 6) % 7 // Monday first
		if i > 0 && row == 0 {
			column++
		}
		x, y := round1(calendarLeft+float64(column)*pitch), round1(calendarTop+float64(row)*pitch)
		if day.Date.Day() == 1 {
			d.Labels = append(d.Labels, label{x, calendarTop - 4, "start", day.Date.Format("Jan")})
		}
		c := calendarCell{X: x, Y: y, Size: size}
		if day.Runs > 0 {
			if most > 0 {
				c.Level = max(1, min(calendarLevels, int(math.Ceil(day.DistanceM/most*calendarLevels))))
			} else {
				c.Level = 1
			}
			dayText := day.Date.Format("Monday, January 2")
			c.Title = fmt.Sprintf("%s: %s %s", dayText, formatDistance(day.DistanceM, u), u.Abbrev())
			if day.Runs > 1 {
				c.Title += ", " + runs(day.Runs)
			}
			table.Rows = append(table.Rows, []string{day.Date.Format("January 2"), formatDistance(day.DistanceM, u), strconv.Itoa(day.Runs)})
		}
		c.Opacity = levelOpacity[c.Level]
		d.Cells = append(d.Cells, c)
	}
	var b bytes.Buffer
	if err := calendarTemplate.Execute(&b, d); err != nil {
		// The template and its data are the package's own: an error is a
		// bug here, not something a post can cause.
		panic(fmt.Sprintf("drawing a calendar: %v", err))
	}
	return Chart{SVG: template.HTML(b.String()), Table: table} // escaped by html/template above
}
