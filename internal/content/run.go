package content

import (
	"time"

	"milepost/internal/activity"
)

// The run behind a story. A post's front matter may attach the watch file
// (activity: run.fit, a FIT, GPX or TCX file of its page bundle, gzipped
// or not) and declare what it was (run: type, distance, time, elevation,
// race, place, bib, shoes). What the front matter declares wins; what the
// file gives fills the rest. These front matter names are public: they
// are the contract between runners' files and every page built from them.
//
// The activity file itself is never served. What pages, feeds and the
// optional GPX download show of it is the track as Privacy left it: no
// point inside a privacy zone (the site's and the author's) and not the
// first or last TrimM metres of any leg.

// RunType is what kind of run a post tells of.
type RunType string

// The run types a front matter may name.
const (
	RunEasy      RunType = "easy"
	RunLong      RunType = "long"
	RunTempo     RunType = "tempo"
	RunIntervals RunType = "intervals"
	RunRace      RunType = "race"
	RunRecovery  RunType = "recovery"
	RunWorkout   RunType = "workout"
	RunOther     RunType = "other"
)

// Run is the run a post tells of: the front matter's run: fields merged
// with the figures of its activity file. A post without either has none
// (Post.Run is nil).
type Run struct {
	Type RunType // "" when neither the front matter nor the file says

	// DistanceM and TimeS are the declared distance and time (official or
	// moving), else the file's distance and moving time — a race's
	// elapsed time, as a race's clock runs through pauses; 0 when neither
	// gives one.
	DistanceM float64
	TimeS     float64
	// ElevationM is the declared elevation gain, else the file's smoothed
	// gain; HasElevation says whether either gave one.
	ElevationM   float64
	HasElevation bool

	// Race is the race result; nil unless the front matter names a race.
	Race *Race
	// Shoes is the gear the run was run in, as written ("Pegasus 40");
	// mileage is counted per author and shoes.
	Shoes string

	// Units are how the post shows distances: the author's, else the
	// site's.
	Units activity.Units

	// Activity is what the activity file gives; nil when the post has
	// none or it could not be read (the problem is in Site.Warnings).
	Activity *Activity
}

// Race is a race result.
type Race struct {
	Name  string
	Place int    // 0 when not given
	Bib   string // "" when not given
	// OfficialS is the official (chip or gun) time, in seconds; 0 when not
	// given, then the run's time stands.
	OfficialS float64
}

// Activity is a post's activity file as pages may show it.
type Activity struct {
	// File is the file's name in the post's bundle. It is never served.
	File  string
	Start time.Time
	// Summary is the figures derived from the whole track (distance,
	// times, splits, best efforts, chart series). They reveal no place:
	// the chart series and split elevations are blank where privacy hides
	// the route (activity.Publish).
	Summary activity.Summary
	// Route is the track as privacy left it, projected and simplified for
	// drawing; empty when nothing is left.
	Route activity.RouteShape
	// Segments are the cleaned track's legs, kept only when the post opts
	// in to a download (activity_download: true): the GPX served is built
	// from them, never from the file. Their points hold their times only
	// when it opts in to those too (activity_download_times: true).
	Segments [][]activity.TrackPoint
	Download bool
	// Dropped and Warnings are the reader's notes: legs of a multisport
	// file that were left out, what was repaired in a damaged file.
	Dropped, Warnings []string
}

// Privacy is where routes must never be shown: the site's zones (and,
// for a post, its author's) and how much of every leg's start and end is
// cut.
type Privacy struct {
	Zones []activity.Zone
	// TrimM is how many metres of each leg's start and end are hidden;
	// activity.DefaultTrimM when the settings do not say.
	TrimM float64
}

// DefaultShoeLimitM is the mileage past which a pair of shoes is noted as
// worn when the site does not set shoe_limit.
const DefaultShoeLimitM = 700_000
