package chart

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"milepost/internal/activity"
)

// yearOfDays is every day of year in loc, with runs on the days given
// (day of the year, from 1 → metres).
func yearOfDays(year int, loc *time.Location, runs map[int]float64) []DayDistance {
	var days []DayDistance
	for d := time.Date(year, time.January, 1, 0, 0, 0, 0, loc); d.Year() == year; d = d.AddDate(0, 0, 1) {
		day := DayDistance{Date: d}
		if m, ok := runs[d.YearDay()]; ok {
			day.DistanceM, day.Runs = m, 1
		}
		days = append(days, day)
	}
	return days
}

func TestYearCalendarHasACellADayInWeekColumns(t *testing.T) {
	// 2024 is a leap year starting on a Monday: 366 days over 53 weeks.
	days := yearOfDays(2024, time.UTC, map[int]float64{1: 5000, 2: 20000, 366: 10000})
	c := YearCalendar(2024, days, activity.Metric)
	svg := string(c.SVG)
	n := svgElements(t, svg)
	if n["rect"] != 366 || n["title"] != 1+3 || !strings.Contains(svg, `class="chart chart-calendar"`) {
		t.Fatalf("%d cells and %d titles:\n%s", n["rect"], n["title"], svg)
	}
	cells := strings.Split(svg, "<rect ")[1:]
	jan1, jan2, jan8, dec31 := cells[0], cells[1], cells[7], cells[365]
	// A month's days run Monday to Sunday across, a week a row: Monday
	// January 1 and Tuesday January 2 side by side, Monday the 8th below.
	if attr(jan1, "y") != attr(jan2, "y") || num(attrFloat(jan1, "x")+calendarPitch) != attr(jan2, "x") ||
		attr(jan8, "x") != attr(jan1, "x") || num(attrFloat(jan1, "y")+calendarPitch) != attr(jan8, "y") {
		t.Errorf("January's first days: %s / %s / %s", jan1, jan2, jan8)
	}
	// December, in the last row of months: Tuesday the 31st in its sixth
	// week (December 1, 2024 was a Sunday).
	if attrFloat(dec31, "y")-attrFloat(jan2, "y") != 2*(calendarLabel+6*calendarPitch+calendarGap)+5*calendarPitch {
		t.Errorf("December 31 is not in the sixth week of the last row of months: %s", dec31)
	}
	// The longest day is the darkest; the others are shaded by distance.
	if !strings.Contains(jan2, "chart-day-4") || !strings.Contains(jan1, "chart-day-1") || !strings.Contains(dec31, "chart-day-2") ||
		!strings.Contains(cells[2], "chart-day-0") {
		t.Errorf("levels: %s / %s / %s / %s", jan1, jan2, dec31, cells[2])
	}
	if !strings.Contains(jan2, "<title>Tuesday, January 2: 20 km</title>") || strings.Contains(cells[2], "<title>") {
		t.Errorf("a day run is not titled with its figures: %s", jan2)
	}
	if strings.Count(svg, `text-anchor="start"`) != 12 {
		t.Errorf("the months are not all named:\n%s", svg)
	}
	want := [][]string{{"January 1", "5", "1"}, {"January 2", "20", "1"}, {"December 31", "10", "1"}}
	if len(c.Table.Rows) != len(want) || c.Table.Rows[2][0] != want[2][0] || c.Table.Rows[1][1] != want[1][1] {
		t.Errorf("table rows %q, want %q", c.Table.Rows, want)
	}
}

func TestYearCalendarInMilesAcrossAClockChange(t *testing.T) {
	loc, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	// The clocks change on March 9 and November 2, 2025: those days keep
	// their own cells, one row after the day before.
	days := yearOfDays(2025, loc, map[int]float64{68: activity.MetresPerMile, 306: 3 * activity.MetresPerMile})
	c := YearCalendar(2025, days, activity.Imperial)
	if n := svgElements(t, string(c.SVG)); n["rect"] != 365 {
		t.Fatalf("%d cells", n["rect"])
	}
	if len(c.Table.Rows) != 2 || c.Table.Rows[0][0] != "March 9" || c.Table.Rows[1][1] != "3" || c.Table.Head[1] != "Distance (mi)" {
		t.Errorf("table %+v", c.Table)
	}
}

func attrFloat(element, name string) float64 {
	v, _ := strconv.ParseFloat(attr(element, name), 64)
	return v
}
