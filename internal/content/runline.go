package content

import (
	"strings"

	"milepost/internal/activity"
)

// Line is the run's figures in a line, as feeds and the fediverse show them: "Race · Portland Marathon ·
// 42.2 km in 3:28:15 (4:56 /km)"; "" for a run with nothing to say.
func (run *Run) Line() string {
	if run == nil {
		return ""
	}
	u := run.Units
	if !u.Valid() {
		u = activity.Metric
	}
	var parts []string
	if t := string(run.Type); t != "" {
		parts = append(parts, strings.ToUpper(t[:1])+t[1:])
	}
	if run.Race != nil && run.Race.Name != "" {
		parts = append(parts, run.Race.Name)
	}
	var figures string
	// Each text is "" for a figure that is none (zero, +Inf or NaN).
	distance, time := activity.DistanceText(run.DistanceM, u), activity.DurationText(run.TimeS)
	switch {
	case distance != "" && time != "":
		figures = distance + " in " + time + " (" + activity.PaceText(run.TimeS, run.DistanceM, u) + ")"
	case distance != "":
		figures = distance
	case time != "":
		figures = time
	}
	if figures != "" {
		parts = append(parts, figures)
	}
	return strings.Join(parts, " · ")
}
