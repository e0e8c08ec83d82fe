package feed

import (
	"html"
	"math"
	"strings"

	"milepost/internal/activity"
	"milepost/internal/activity/chart"
	"milepost/internal/content"
)

// The run behind a story, in its feed item: a line of its figures at the
// top of the content, in the post's units, and — in JSON Feed — the run as
// numbers in the extension object _milepost, for readers and tools that
// add runs up. Nothing of where the run went is in a feed.

// runLine is a run's figures in a line: "Race · Portland Marathon ·
// 42.2 km in 3:28:15 (4:56 /km)"; "" for a run with nothing to say.
func runLine(run *content.Run) string {
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
	switch {
	case run.DistanceM > 0 && run.TimeS > 0:
		figures = chart.DistanceText(run.DistanceM, u) + " in " + chart.DurationText(run.TimeS) +
			" (" + chart.PaceText(run.TimeS, run.DistanceM, u) + ")"
	case run.DistanceM > 0:
		figures = chart.DistanceText(run.DistanceM, u)
	case run.TimeS > 0:
		figures = chart.DurationText(run.TimeS)
	}
	if figures != "" {
		parts = append(parts, figures)
	}
	return strings.Join(parts, " · ")
}

// runParagraph is runLine as the first paragraph of an item's HTML
// content, or "".
func runParagraph(run *content.Run) string {
	line := runLine(run)
	if line == "" {
		return ""
	}
	return `<p class="run">` + html.EscapeString(line) + "</p>\n"
}

// milepostExtension is JSON Feed's _milepost object of an item (JSON
// Feed's extensions start with an underscore): the run in metres and
// seconds.
type milepostExtension struct {
	Run *runJSON `json:"run"`
}

type runJSON struct {
	Type       string    `json:"type,omitempty"`
	DistanceM  float64   `json:"distance_m,omitempty"`
	TimeS      float64   `json:"time_s,omitempty"`
	ElevationM *float64  `json:"elevation_m,omitempty"`
	Race       *raceJSON `json:"race,omitempty"`
}

type raceJSON struct {
	Name      string  `json:"name"`
	Place     int     `json:"place,omitempty"`
	Bib       string  `json:"bib,omitempty"`
	OfficialS float64 `json:"official_s,omitempty"`
}

// runExtension is the _milepost object of a post's run; nil without one.
func runExtension(run *content.Run) *milepostExtension {
	if run == nil {
		return nil
	}
	out := &runJSON{Type: string(run.Type), DistanceM: tenth(run.DistanceM), TimeS: tenth(run.TimeS)}
	if run.HasElevation {
		e := tenth(run.ElevationM)
		out.ElevationM = &e
	}
	if r := run.Race; r != nil {
		out.Race = &raceJSON{Name: r.Name, Place: r.Place, Bib: r.Bib, OfficialS: tenth(r.OfficialS)}
	}
	return &milepostExtension{Run: out}
}

// tenth rounds to a tenth: a metre or a second more precise than any
// watch is only noise in a feed.
func tenth(v float64) float64 { return math.Round(v*10) / 10 }
