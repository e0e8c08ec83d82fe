package feed

import (
	"html"
	"math"

	"milepost/internal/activity"
	"milepost/internal/content"
)

// The run behind a story, in its feed item: a line of its figures at the
// top of the content, in the post's units, and — in JSON Feed — the run as
// numbers in the extension object _milepost, for readers and tools that
// add runs up. Nothing of where the run went is in a feed.

// runParagraph is the run's Line as the first paragraph of an item's HTML
// content, or "".
func runParagraph(run *content.Run) string {
	line := run.Line()
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
	out := &runJSON{Type: string(run.Type), DistanceM: tenth(known(run.DistanceM)), TimeS: tenth(known(run.TimeS))}
	if run.HasElevation && finite(run.ElevationM) {
		e := tenth(run.ElevationM)
		out.ElevationM = &e
	}
	if r := run.Race; r != nil {
		out.Race = &raceJSON{Name: r.Name, Place: r.Place, Bib: r.Bib, OfficialS: tenth(known(r.OfficialS))}
	}
	return &milepostExtension{Run: out}
}

// tenth rounds to a tenth: a metre or a second more precise than any
// watch is only noise in a feed. A number too large to have tenths is
// kept as it is (times ten it would overflow).
func tenth(v float64) float64 {
	if r := math.Round(v*10) / 10; finite(r) {
		return r
	}
	return v
}

// known is a distance or a time that can be shown (activity.Positive): v,
// else 0, which feeds leave out. A non-finite number (a file's elevation
// of 1e308 summed to +Inf) would make JSON refuse the whole feed, and is
// no figure to tell a reader.
func known(v float64) float64 {
	if activity.Positive(v) {
		return v
	}
	return 0
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
