// Package activity reads the watch files behind a run — FIT, GPX and TCX,
// gzipped or not — and derives the figures a run story shows: distance,
// moving and elapsed time, pace, smoothed elevation gain and loss, splits,
// heart rate, cadence and best efforts. It also owns the privacy rule for
// routes (zones and trimmed ends, see Clean) and the route and series data
// the charts are drawn from.
//
// # Privacy
//
// Whatever shows where a run went is built from what Clean keeps, and
// what Publish derives for readers leaves the same stretches out of its
// charts. The aim is that no one post, nor a handful, gives away where a
// runner lives. A circle of trim_m around each end, as this package once
// cut, did not: every run from home then ended on the same ring around it,
// and two or three posts pinned the home. So the ends are trimmed along
// the route, each by trim_m and a per-run extra of up to trim_m, and each
// zone is cut as a circle moved and grown by a per-run amount; both come
// from a hash of the original file's bytes (SeedOf), which are never
// served: readers cannot compute them, and a reload cuts the same way.
// Fixes no runner could reach are dropped first (possibleStep, the rule
// the figures use too), so a stale first fix cannot move the trim. The
// limit is stated in Clean: many posts from one place still let a patient
// reader estimate it, which is why zones should be large.
//
// It is a pure domain package: files in, figures out. It knows nothing of
// posts, HTTP or storage; units are metres, seconds and degrees throughout,
// and turning them into km or miles for a reader is the caller's business.
package activity

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Format names the kind of file an activity was read from.
type Format string

const (
	FormatFIT Format = "fit"
	FormatGPX Format = "gpx"
	FormatTCX Format = "tcx"
)

// SportRunning is the sport of a running leg, whatever the file called it
// (FIT "running", TCX "Running", GPX "running" or Strava's "9").
const SportRunning = "running"

// Point is one sample of a track. A file may leave out any field but the
// time; the Has flags say which were there, so a real zero (sea level, a
// standing start) is never confused with a missing value.
type Point struct {
	Time time.Time // zero when the file gives none (a GPX route drawn by hand)

	Lat, Lon    float64 // degrees, WGS84
	HasPosition bool

	ElevationM   float64 // metres above sea level
	HasElevation bool

	// DistanceM is the device's own cumulative distance, when it records
	// one (FIT, TCX). It is preferred to distances measured between
	// positions, as a watch fuses GPS with its accelerometer.
	DistanceM   float64
	HasDistance bool

	SpeedMPS float64 // the device's instantaneous speed, metres per second
	HasSpeed bool

	HeartRateBPM int // beats per minute; 0 when absent
	CadenceSPM   int // steps per minute (both feet); 0 when absent

	// Leg numbers the running leg a point belongs to (0 for a plain run).
	// Nothing is measured between points of different legs: in a
	// triathlon the bike ride between two runs is not part of the run.
	Leg int
}

// Totals are the figures a device computed itself for the legs kept (FIT
// sessions, TCX laps). Derived figures are checked against them.
type Totals struct {
	DistanceM float64 // 0 when the device gave none
	TimerS    float64 // time the watch's timer ran (moving time with auto-pause)
	ElapsedS  float64 // from start to finish, pauses included
	AscentM   float64
	HasAscent bool
}

// Lap is one lap as the device recorded it (a button press or an
// auto-lap).
type Lap struct {
	Start     time.Time
	DistanceM float64
	TimerS    float64
	ElapsedS  float64
}

// Activity is what a file holds, cleaned of what cannot be used: points
// in time order, without duplicates or impossible positions, and only the
// running legs of a multisport file.
type Activity struct {
	Format Format
	Sport  string // "running", "cycling", ... or "" when the file does not say
	Start  time.Time
	Points []Point
	Laps   []Lap

	// Device holds the device's own totals for the legs kept; nil when
	// the file carries none (most GPX).
	Device *Totals

	// Dropped names the legs of a multisport file that were left out, as
	// "cycling 13.5 km".
	Dropped []string

	// Warnings say what was repaired or left out to read a damaged file
	// (a truncated FIT, points with no position, duplicates), in words a
	// runner can act on. Empty for a clean file.
	Warnings []string
}

// ErrUnreadable is matched (errors.Is) by every error that refuses a file
// for what it holds rather than for a failure to read the bytes: a
// *FileError.
var ErrUnreadable = errors.New("activity file unreadable")

// FileError says why a file cannot be used, naming it.
type FileError struct {
	Name   string // the file's name as given to Read
	Reason string // for people: "the file is over 64 MB", "no track points"
	Err    error  // the underlying decoder error, if any
}

func (e *FileError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Name, e.Reason, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Name, e.Reason)
}

func (e *FileError) Unwrap() error { return e.Err }

// Is makes every FileError match ErrUnreadable.
func (e *FileError) Is(target error) bool { return target == ErrUnreadable }

// validPosition refuses what devices write when they have no fix: the
// null island (0,0), values out of range and NaN.
func validPosition(lat, lon float64) bool {
	if math.IsNaN(lat) || math.IsNaN(lon) || math.IsInf(lat, 0) || math.IsInf(lon, 0) {
		return false
	}
	if lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return false
	}
	return !(lat == 0 && lon == 0)
}

// finite reports whether v is an ordinary number.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
