package chart

import (
	"math"
	"strconv"
	"strings"

	"milepost/internal/activity"
)

// The figures of a run as readers see them beside the charts — on the run
// card and in feeds — so that a page and a feed never show one run two
// ways.

// FeetPerMetre converts heights for imperial units.
const FeetPerMetre = 1 / 0.3048

// DistanceText is a distance in the units' kilometres or miles, with its
// unit: "4.49 km", "42.2 km", "26.2 mi", "5 km". Under ten units it keeps
// two decimals, above one; trailing zeros are dropped.
func DistanceText(m float64, u activity.Units) string {
	v := m / u.UnitM()
	decimals := 1
	if v < 10 {
		decimals = 2
	}
	s := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s + " " + u.Abbrev()
}

// DurationText is a time as runners write it: "3:28:15", "24:05".
func DurationText(s float64) string { return formatDuration(s) }

// PaceText is the pace of running metres in seconds, in minutes per
// kilometre or mile: "4:56 /km"; "" without a distance or a time.
func PaceText(seconds, metres float64, u activity.Units) string {
	if !(seconds > 0) || !(metres > 0) || !finite(seconds/metres) {
		return ""
	}
	return formatPace(seconds/metres*u.UnitM()) + " /" + u.Abbrev()
}

// HeightText is an elevation gain in metres or, in imperial units, feet:
// "120 m", "394 ft".
func HeightText(m float64, u activity.Units) string {
	if u == activity.Imperial {
		return strconv.Itoa(int(math.Round(m*FeetPerMetre))) + " ft"
	}
	return strconv.Itoa(int(math.Round(m))) + " m"
}
