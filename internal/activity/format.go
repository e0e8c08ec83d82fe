package activity

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The figures of a run as people read them — on the run card, in the
// charts' labels and tables, in feeds, on the training pages and in the
// front matter an import writes — written here once, so that a page and
// a feed never show one run two ways. A figure that is no figure (not
// finite, or a distance or time not above zero) is written as "", which
// callers leave out: never "+Inf km".

// Positive reports whether v is a distance or time there is to show or
// count: above zero and finite.
func Positive(v float64) bool { return v > 0 && !math.IsInf(v, 1) }

// DistanceNumber is a distance in the units' kilometres or miles without
// its unit, as a chart's axis and tables write it: "4.49", "42.2", "5",
// "0". Under ten units it keeps two decimals, above one; trailing zeros
// are dropped. "" when it is below zero or not finite.
func DistanceNumber(m float64, u Units) string {
	if !(m >= 0) || math.IsInf(m, 1) {
		return ""
	}
	v := m / u.UnitM()
	decimals := 1
	if v < 10 {
		decimals = 2
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

// DistanceText is DistanceNumber with its unit: "4.49 km", "26.2 mi"; ""
// for no distance (zero too).
func DistanceText(m float64, u Units) string {
	if !Positive(m) {
		return ""
	}
	return DistanceNumber(m, u) + " " + u.Abbrev()
}

// KilometresText is a distance in kilometres to the metre, "10.023 km",
// as front matter records what a device measured (not rounded for
// reading); "" for no distance.
func KilometresText(m float64) string {
	if !Positive(m) {
		return ""
	}
	km := strconv.FormatFloat(math.Round(m)/MetresPerKm, 'f', 3, 64)
	return strings.TrimRight(strings.TrimRight(km, "0"), ".") + " km"
}

// DurationText is a time as runners write it: "3:28:15", "24:05"; "" for
// no time.
func DurationText(s float64) string {
	if !Positive(s) {
		return ""
	}
	total := math.Round(s)
	hours, minutes, seconds := math.Floor(total/3600), int(math.Mod(math.Floor(total/60), 60)), int(math.Mod(total, 60))
	if hours >= 1 {
		// Hours as a float: a time too long for an int is still written.
		return fmt.Sprintf("%s:%02d:%02d", strconv.FormatFloat(hours, 'f', 0, 64), minutes, seconds)
	}
	return fmt.Sprintf("%d:%02d", minutes, seconds)
}

// PaceClock is a pace of s seconds per unit as minutes and seconds:
// "4:56"; "" for no pace.
func PaceClock(s float64) string {
	if !Positive(s) {
		return ""
	}
	total := math.Round(s)
	return fmt.Sprintf("%s:%02d", strconv.FormatFloat(math.Floor(total/60), 'f', 0, 64), int(math.Mod(total, 60)))
}

// PaceText is the pace of running metres in seconds, in minutes per
// kilometre or mile: "4:56 /km"; "" without a distance or a time.
func PaceText(seconds, metres float64, u Units) string {
	if !Positive(seconds) || !Positive(metres) {
		return ""
	}
	if clock := PaceClock(seconds / metres * u.UnitM()); clock != "" {
		return clock + " /" + u.Abbrev()
	}
	return ""
}

// Height is metres in the units' height unit: metres, or feet for
// imperial units.
func (u Units) Height(m float64) float64 {
	if u == Imperial {
		return m / MetresPerFoot
	}
	return m
}

// HeightAbbrev is the height unit's short name: "m" or "ft".
func (u Units) HeightAbbrev() string {
	if u == Imperial {
		return "ft"
	}
	return "m"
}

// HeightText is an elevation or a climb in metres or, in imperial units,
// feet: "120 m", "394 ft"; "" when it is not finite.
func HeightText(m float64, u Units) string { return HeightUnitsText(u.Height(m), u) }

// HeightUnitsText is HeightText of a height already in the units' height
// unit (a chart's axis, drawn in feet).
func HeightUnitsText(h float64, u Units) string {
	h = math.Round(h)
	if math.IsNaN(h) || math.IsInf(h, 0) {
		return ""
	}
	return strconv.FormatFloat(h, 'f', 0, 64) + " " + u.HeightAbbrev()
}
