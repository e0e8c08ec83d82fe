package activity

import (
	"bytes"
	"testing"

	"github.com/muktihari/fit/encoder"
	"github.com/muktihari/fit/profile/filedef"
	"github.com/muktihari/fit/profile/mesgdef"
	"github.com/muktihari/fit/profile/typedef"
)

// encodeFIT writes points as the records of a FIT activity with the
// sessions given, with the FIT library's encoder: for the cases no real
// file at hand shows (a paused watch, repeated sessions, 100,000 records).
func encodeFIT(tb testing.TB, points []Point, sessions ...*mesgdef.Session) []byte {
	tb.Helper()
	act := filedef.NewActivity()
	act.FileId.SetType(typedef.FileActivity).SetTimeCreated(points[0].Time).SetManufacturer(typedef.ManufacturerGarmin)
	for _, p := range points {
		r := mesgdef.NewRecord(nil).SetTimestamp(p.Time).SetHeartRate(uint8(p.HeartRateBPM))
		if p.HasDistance {
			r.SetDistanceScaled(p.DistanceM)
		}
		if p.HasPosition {
			r.SetPositionLatDegrees(p.Lat).SetPositionLongDegrees(p.Lon)
		}
		if p.HasElevation {
			r.SetEnhancedAltitudeScaled(p.ElevationM)
		}
		act.Records = append(act.Records, r)
	}
	act.Sessions = sessions
	fit := act.ToFIT(nil)
	var buf bytes.Buffer
	if err := encoder.New(&buf).Encode(&fit); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// runningSession is a session over all the points, with the given timer
// time or, without one, the elapsed time.
func runningSession(points []Point, timerS ...float64) *mesgdef.Session {
	first, last := points[0], points[len(points)-1]
	elapsed := last.Time.Sub(first.Time).Seconds()
	timer := elapsed
	if len(timerS) > 0 {
		timer = timerS[0]
	}
	return mesgdef.NewSession(nil).SetSport(typedef.SportRunning).
		SetStartTime(first.Time).SetTimestamp(last.Time).SetTotalElapsedTimeScaled(elapsed).
		SetTotalTimerTimeScaled(timer).SetTotalDistanceScaled(last.DistanceM - first.DistanceM)
}
