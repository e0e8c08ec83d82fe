package activity

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"

	"milepost/internal/activity/activitytest"
)

// fuzzLimits keep each input small, so the fuzzer spends its time on
// what is in a file rather than on how big it is.
var fuzzLimits = Limits{MaxFileBytes: 1 << 20, MaxUncompressedBytes: 1 << 20}

// checkReadAndDerive reads an input and, when it reads, derives every
// figure, cleans and draws it: a file is refused with a FileError or
// gives sane figures, never a panic.
func checkReadAndDerive(t *testing.T, name string, data []byte) {
	act, err := ReadLimited(context.Background(), name, bytes.NewReader(data), fuzzLimits)
	if err != nil {
		if !errors.Is(err, ErrUnreadable) {
			t.Fatalf("Read: %v does not match ErrUnreadable", err)
		}
		return
	}
	if len(act.Points) == 0 {
		t.Fatal("read with no points")
	}
	for i := 1; i < len(act.Points); i++ {
		a, b := act.Points[i-1], act.Points[i]
		if a.Leg > b.Leg || (a.Leg == b.Leg && !b.Time.After(a.Time)) {
			t.Fatalf("points %d and %d out of order: %v leg %d, %v leg %d", i-1, i, a.Time, a.Leg, b.Time, b.Leg)
		}
	}
	s := Derive(act)
	for name, v := range map[string]float64{
		"distance": s.DistanceM, "elapsed": s.ElapsedS, "moving": s.MovingS, "pace": s.PaceSPerKm,
		"gain": s.GainM, "loss": s.LossM, "heart rate": s.AvgHeartRateBPM, "cadence": s.AvgCadenceSPM,
	} {
		if !finite(v) || v < 0 {
			t.Fatalf("%s = %v", name, v)
		}
	}
	if s.MovingS > s.ElapsedS+1e-6 {
		t.Fatalf("moving %v s over elapsed %v s", s.MovingS, s.ElapsedS)
	}
	for _, e := range s.BestEfforts {
		if !finite(e.TimeS) || e.TimeS < 0 || e.DistanceM > s.DistanceM+1e-6 {
			t.Fatalf("best effort %+v in a run of %v m", e, s.DistanceM)
		}
	}
	for _, x := range s.Series {
		if !finite(x.DistanceM) || !finite(x.PaceSPerKm) || !finite(x.ElevationM) || !finite(x.HeartRateBPM) {
			t.Fatalf("chart sample %+v", x)
		}
	}
	if len(act.Points) > 20000 {
		return // the rest is linear too, but slow for a fuzzer
	}
	segments, err := Clean(act.Points, nil, DefaultTrimM, SeedOf(data))
	if err != nil {
		t.Fatalf("Clean: %v", err)
	}
	r := Route(segments, 100)
	if r.Points() > 100 {
		t.Fatalf("route of %d points over a budget of 100", r.Points())
	}
	for _, seg := range r.Segments {
		for _, p := range seg {
			if math.IsNaN(p.X) || math.IsNaN(p.Y) {
				t.Fatalf("route point %+v", p)
			}
		}
	}
}

func FuzzReadFIT(f *testing.F) {
	for _, name := range []string{"activity_multisport.fit", "activity_truncated.fit", "HrmPluginTestActivity.fit"} {
		f.Add(activitytest.File(f, name))
	}
	// The start of the triathlon, to keep the seed small: header, the
	// definitions and the first records of the swim.
	f.Add(activitytest.File(f, "triathlon_fr255.fit")[:8000])
	f.Fuzz(func(t *testing.T, data []byte) {
		checkReadAndDerive(t, "run.fit", data)
	})
}

func FuzzReadGPX(f *testing.F) {
	for _, name := range []string{"garmin_connect_hr.gpx", "polar_pacer_pause.gpx"} {
		f.Add(activitytest.File(f, name))
	}
	f.Add([]byte(`<gpx version="1.0"><trk><type>9</type><trkseg><trkpt lat="0" lon="0"><time>2024-05-01T08:00:00Z</time></trkpt>` +
		`<trkpt lat="45" lon="5"><ele>1</ele><time>2024-05-01T08:00:00Z</time></trkpt></trkseg></trk></gpx>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkReadAndDerive(t, "run.gpx", data)
	})
}

func FuzzReadTCX(f *testing.F) {
	f.Add(activitytest.File(f, "garmin_running.tcx"))
	f.Add([]byte(`<TrainingCenterDatabase><Activities><Activity Sport="Running"><Lap StartTime="2024-05-01T08:45:00Z">` +
		`<TotalTimeSeconds>600</TotalTimeSeconds><Track><Trackpoint><Time>2024-05-01T08:45:00Z</Time><DistanceMeters>0</DistanceMeters></Trackpoint>` +
		`<Trackpoint><Time>2024-05-01T08:55:00Z</Time><DistanceMeters>2000</DistanceMeters></Trackpoint></Track></Lap></Activity></Activities></TrainingCenterDatabase>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkReadAndDerive(t, "run.tcx", data)
	})
}
