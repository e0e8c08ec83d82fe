package activity

import (
	"fmt"
	"slices"
)

// normalize puts a freshly read track in the shape every figure assumes:
// points with a time, in time order, one per instant. It returns what it
// repaired, for the Activity's warnings.
func normalize(act *Activity) []string {
	var warnings []string
	pts := act.Points

	withTime := pts[:0]
	untimed := 0
	for _, p := range pts {
		if p.Time.IsZero() {
			untimed++
			continue
		}
		withTime = append(withTime, p)
	}
	pts = withTime
	if untimed > 0 && len(pts) > 0 {
		warnings = append(warnings, fmt.Sprintf("%d points without a time were left out", untimed))
	}

	if !slices.IsSortedFunc(pts, comparePoints) {
		// Some exporters write a merged track out of order; a stable sort
		// keeps the file's order among points of the same instant, so the
		// first of them is the one kept below.
		slices.SortStableFunc(pts, comparePoints)
		warnings = append(warnings, "points out of time order were put in order")
	}

	kept := pts[:0]
	duplicates := 0
	for i, p := range pts {
		if i > 0 && p.Time.Equal(kept[len(kept)-1].Time) {
			duplicates++
			continue
		}
		kept = append(kept, p)
	}
	if duplicates > 0 {
		warnings = append(warnings, fmt.Sprintf("%d points repeating the time of the one before were left out", duplicates))
	}

	noFix := 0
	for _, p := range kept {
		if !p.HasPosition {
			noFix++
		}
	}
	hasAnyPosition := slices.ContainsFunc(kept, func(p Point) bool { return p.HasPosition })
	if noFix > 0 && hasAnyPosition {
		warnings = append(warnings, fmt.Sprintf("%d points had no usable position (no GPS fix, or 0,0) and are not on the route", noFix))
	}
	act.Points = kept
	return warnings
}

// comparePoints orders points by leg, then time.
func comparePoints(a, b Point) int {
	if a.Leg != b.Leg {
		return a.Leg - b.Leg
	}
	return a.Time.Compare(b.Time)
}
