package activity

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"milepost/internal/activity/activitytest"
)

func mustRead(t testing.TB, name string, data []byte) *Activity {
	t.Helper()
	act, err := Read(context.Background(), name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return act
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func within(got, want, fraction float64) bool {
	return math.Abs(got-want) <= math.Abs(want)*fraction
}

func TestReadFITKeepsTheRunningLegOfATriathlon(t *testing.T) {
	act := mustRead(t, "triathlon_fr255.fit", activitytest.File(t, "triathlon_fr255.fit"))
	if act.Format != FormatFIT || act.Sport != SportRunning {
		t.Errorf("format %q sport %q, want fit running", act.Format, act.Sport)
	}
	wantDropped := []string{"swimming 0.5 km", "transition 0.1 km", "cycling 13.5 km", "transition 0.1 km"}
	if strings.Join(act.Dropped, "|") != strings.Join(wantDropped, "|") {
		t.Errorf("dropped legs %q, want %q", act.Dropped, wantDropped)
	}
	if act.Device == nil || act.Device.DistanceM < 4490 || act.Device.DistanceM > 4493 {
		t.Fatalf("device totals %+v, want the run's 4491.5 m", act.Device)
	}
	// The run started at 13:56:34 (after swim, bike and transitions).
	runStart := time.Date(2023, 9, 2, 13, 56, 34, 0, time.UTC)
	if act.Start.Before(runStart) || act.Start.After(runStart.Add(2*time.Second)) {
		t.Errorf("starts at %v, want the run's start %v", act.Start, runStart)
	}
	var hr, pos, cad int
	for _, p := range act.Points {
		if p.HeartRateBPM > 0 {
			hr++
		}
		if p.HasPosition {
			pos++
		}
		if p.CadenceSPM > 0 {
			cad++
			if p.CadenceSPM < 100 || p.CadenceSPM > 230 {
				t.Fatalf("cadence %d steps/min at %v: a runner's cadence counts both feet", p.CadenceSPM, p.Time)
			}
		}
	}
	if hr < len(act.Points)*9/10 || pos < len(act.Points)*9/10 || cad == 0 {
		t.Errorf("of %d points: %d with heart rate, %d with position, %d with cadence", len(act.Points), hr, pos, cad)
	}
}

func TestReadFITMultisportShowsItsRunningLeg(t *testing.T) {
	act := mustRead(t, "activity_multisport.fit", activitytest.File(t, "activity_multisport.fit"))
	if act.Sport != SportRunning || len(act.Dropped) != 1 || act.Dropped[0] != "cycling" {
		t.Errorf("sport %q dropped %q, want running with the cycling leg dropped", act.Sport, act.Dropped)
	}
	// The running session starts at 19:57:15 and lasts 21.5 s.
	first, last := act.Points[0].Time, act.Points[len(act.Points)-1].Time
	if first.Before(time.Date(2020, 4, 20, 19, 57, 15, 0, time.UTC)) || last.Sub(first) > 22*time.Second {
		t.Errorf("points from %v to %v, want only the running session's", first, last)
	}
}

func TestReadFITChainedFileReadsTheActivity(t *testing.T) {
	act := mustRead(t, "HrmPluginTestActivity.fit", activitytest.File(t, "HrmPluginTestActivity.fit"))
	if act.Sport != "walking" || len(act.Points) < 300 {
		t.Errorf("sport %q with %d points, want a walk of about 309 points", act.Sport, len(act.Points))
	}
}

func TestReadTruncatedFITKeepsTheRecordsBeforeTheCut(t *testing.T) {
	data := activitytest.File(t, "triathlon_fr255.fit")
	whole := mustRead(t, "whole.fit", data)
	if len(whole.Warnings) > 1 {
		t.Fatalf("the whole file has warnings: %q", whole.Warnings)
	}

	// Cut during the run: the swim, bike and transitions have their
	// sessions, the run has none yet. Its records are kept as the running
	// leg, with a warning, and no device totals claim to cover it.
	cut := data[:len(data)*97/100]
	act := mustRead(t, "cut.fit", cut)
	if act.Sport != SportRunning || len(act.Dropped) != 4 {
		t.Errorf("sport %q, dropped %q; want the unfinished run kept and the four other legs dropped", act.Sport, act.Dropped)
	}
	if len(act.Points) < len(whole.Points)*3/4 || len(act.Points) >= len(whole.Points) {
		t.Errorf("%d points from the cut file, the whole run has %d", len(act.Points), len(whole.Points))
	}
	if !hasWarning(act, "cut short") || !hasWarning(act, "no summary") {
		t.Errorf("warnings %q, want ones saying the file is cut short and the last leg has no summary", act.Warnings)
	}
	if act.Device != nil {
		t.Errorf("device totals %+v claimed for a leg whose session was cut off", act.Device)
	}

	// Cut during the bike: no leg is a run, and a swim and a ride are
	// not one: the file is refused, naming the legs it has.
	_, err := Read(context.Background(), "cut.fit", bytes.NewReader(data[:len(data)/3]))
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "no running leg (swimming 0.5 km, transition 0.1 km, cycling)") {
		t.Errorf("a triathlon cut in its ride: err %v, want it refused as a multisport file with no running leg", err)
	}

	// A byte flipped in the middle: the checksum no longer matches.
	damaged := bytes.Clone(data)
	damaged[len(damaged)/2] ^= 0xFF
	if act, err := Read(context.Background(), "damaged.fit", bytes.NewReader(damaged)); err == nil && len(act.Warnings) == 0 {
		t.Error("a damaged FIT file was read without a warning")
	}
}

func TestReadRefusesWhatCannotBeRead(t *testing.T) {
	fit := activitytest.File(t, "triathlon_fr255.fit")
	cases := []struct {
		name, file string
		data       []byte
		reason     string
	}{
		{"not FIT", "run.fit", []byte("this is not a FIT file at all, just text"), "not a readable FIT file"},
		{"only a FIT header", "run.fit", fit[:14], "not a readable FIT file"},
		{"empty", "run.gpx", nil, "not a GPX file"},
		{"HTML named GPX", "run.gpx", []byte("<html><body>Sign in</body></html>"), "not a GPX file"},
		{"GPX with no points", "run.gpx", []byte(`<gpx version="1.1"><trk><trkseg></trkseg></trk></gpx>`), "no track points"},
		{"GPX without times", "run.gpx", []byte(`<gpx version="1.1"><trk><trkseg><trkpt lat="45" lon="5"/><trkpt lat="45.1" lon="5"/></trkseg></trk></gpx>`), "no track points with a time"},
		{"TCX with no trackpoints", "run.tcx", []byte(`<TrainingCenterDatabase><Activities><Activity Sport="Running"/></Activities></TrainingCenterDatabase>`), "no track points"},
		{"unknown extension", "run.kml", []byte("<kml/>"), "must end in .fit, .gpx or .tcx"},
		{"gzip that is not", "run.gpx.gz", []byte("plain text"), "not a readable gzip file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Read(context.Background(), c.file, bytes.NewReader(c.data))
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrUnreadable) {
				t.Fatalf("err = %v, want a *FileError matching ErrUnreadable", err)
			}
			if fe.Name != c.file || !strings.Contains(err.Error(), c.reason) {
				t.Errorf("err = %q, want it to name %s and say %q", err, c.file, c.reason)
			}
		})
	}
}

func TestReadGPXWithGarminHeartRate(t *testing.T) {
	act := mustRead(t, "garmin_connect_hr.gpx", activitytest.File(t, "garmin_connect_hr.gpx"))
	if act.Format != FormatGPX || len(act.Points) != 47 {
		t.Fatalf("format %q with %d points, want gpx with 47", act.Format, len(act.Points))
	}
	first := act.Points[0]
	if first.HeartRateBPM != 110 || !first.HasElevation || !within(first.ElevationM, 52.6, 0.001) ||
		!first.HasPosition || !within(first.Lat, 42.405094876885414, 1e-12) || !within(first.Lon, -72.53013825975358, 1e-12) {
		t.Errorf("first point %+v", first)
	}
	if want := time.Date(2014, 3, 1, 18, 20, 39, 0, time.UTC); !first.Time.Equal(want) {
		t.Errorf("first time %v, want %v", first.Time, want)
	}
	if len(act.Warnings) != 0 || act.Device != nil {
		t.Errorf("warnings %q, device %+v; want none from a clean GPX", act.Warnings, act.Device)
	}
}

func TestReadTCXWithLapsHeartRateSpeedAndCadence(t *testing.T) {
	act := mustRead(t, "garmin_running.tcx", activitytest.File(t, "garmin_running.tcx"))
	if act.Format != FormatTCX || act.Sport != SportRunning || len(act.Points) != 21 {
		t.Fatalf("format %q sport %q with %d points", act.Format, act.Sport, len(act.Points))
	}
	p := act.Points[3]
	if p.HeartRateBPM != 118 || !p.HasDistance || !within(p.DistanceM, 27.55, 0.001) ||
		!p.HasSpeed || !within(p.SpeedMPS, 3.135, 0.001) || p.CadenceSPM != 166 {
		t.Errorf("fourth point %+v; want hr 118, 27.55 m, 3.135 m/s, cadence 83 per foot = 166 steps/min", p)
	}
	if len(act.Laps) != 1 || act.Laps[0].DistanceM != 1000 || act.Laps[0].TimerS != 335.479 {
		t.Errorf("laps %+v, want the device's 1000 m lap in 335.479 s", act.Laps)
	}
}

func TestReadTCXMultisportKeepsTheRuns(t *testing.T) {
	tcx := `<?xml version="1.0"?>
<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities>
<Activity Sport="Biking"><Lap StartTime="2024-05-01T08:00:00Z"><DistanceMeters>20000</DistanceMeters><Track>
<Trackpoint><Time>2024-05-01T08:00:00Z</Time><DistanceMeters>0</DistanceMeters></Trackpoint>
<Trackpoint><Time>2024-05-01T08:40:00Z</Time><DistanceMeters>20000</DistanceMeters></Trackpoint></Track></Lap></Activity>
<Activity Sport="Running"><Lap StartTime="2024-05-01T08:45:00Z"><TotalTimeSeconds>600</TotalTimeSeconds><DistanceMeters>2000</DistanceMeters><Track>
<Trackpoint><Time>2024-05-01T08:45:00Z</Time><DistanceMeters>0</DistanceMeters></Trackpoint>
<Trackpoint><Time>2024-05-01T08:55:00Z</Time><DistanceMeters>2000</DistanceMeters></Trackpoint></Track></Lap></Activity>
</Activities></TrainingCenterDatabase>`
	act := mustRead(t, "brick.tcx", []byte(tcx))
	s := Derive(act)
	if act.Sport != SportRunning || len(act.Dropped) != 1 || act.Dropped[0] != "cycling 20.0 km" {
		t.Errorf("sport %q dropped %q", act.Sport, act.Dropped)
	}
	if s.DistanceM != 2000 || s.ElapsedS != 600 || act.Device == nil || act.Device.DistanceM != 2000 {
		t.Errorf("distance %v in %v s, device %+v; want the run's 2000 m in 600 s", s.DistanceM, s.ElapsedS, act.Device)
	}
}

func TestReadAcceptsGzippedFiles(t *testing.T) {
	for _, name := range []string{"triathlon_fr255.fit", "garmin_connect_hr.gpx", "garmin_running.tcx"} {
		plain := mustRead(t, name, activitytest.File(t, name))
		packed := mustRead(t, name+".gz", gzipped(t, activitytest.File(t, name)))
		if len(plain.Points) != len(packed.Points) || Derive(plain).DistanceM != Derive(packed).DistanceM {
			t.Errorf("%s: gzipped reads %d points, plain %d", name, len(packed.Points), len(plain.Points))
		}
	}
}

func TestReadRefusesFilesOverTheLimits(t *testing.T) {
	data := activitytest.File(t, "polar_pacer_pause.gpx")
	limits := Limits{MaxFileBytes: int64(len(data)), MaxUncompressedBytes: int64(len(data))}
	if _, err := ReadLimited(context.Background(), "run.gpx", bytes.NewReader(data), limits); err != nil {
		t.Fatalf("a file exactly at the limit: %v", err)
	}
	limits.MaxFileBytes--
	_, err := ReadLimited(context.Background(), "run.gpx", bytes.NewReader(data), limits)
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "file is over") {
		t.Errorf("a file one byte over the limit: err = %v", err)
	}

	// A gzip bomb: a small file that unpacks far past the limit.
	bomb := gzipped(t, append([]byte(`<gpx version="1.1"><trk><trkseg>`), bytes.Repeat([]byte(" "), 8<<20)...))
	limits = Limits{MaxFileBytes: 1 << 20, MaxUncompressedBytes: 1 << 20}
	if int64(len(bomb)) > limits.MaxFileBytes {
		t.Fatalf("the bomb is %d bytes packed", len(bomb))
	}
	_, err = ReadLimited(context.Background(), "bomb.gpx.gz", bytes.NewReader(bomb), limits)
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "unpacked file is over 1 MB") {
		t.Errorf("gzip bomb: err = %v, want refused as over the unpacked limit", err)
	}
}

func TestReadStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, name := range []string{"triathlon_fr255.fit", "polar_pacer_pause.gpx", "garmin_running.tcx"} {
		if _, err := Read(ctx, name, bytes.NewReader(activitytest.File(t, name))); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", name, err)
		}
	}
}

func TestReadRepairsDirtyGPX(t *testing.T) {
	gpx := `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.0" xmlns="http://www.topografix.com/GPX/1/0"><trk><type>running</type><trkseg>
<trkpt lat="45.0000" lon="5.0000"><ele>200</ele><time>2024-05-01T08:00:00Z</time></trkpt>
<trkpt lat="45.0010" lon="5.0000"><ele>200</ele><time>2024-05-01T08:00:30Z</time></trkpt>
<trkpt lat="0" lon="0"><time>2024-05-01T08:00:45Z</time></trkpt>
<trkpt lat="45.0030" lon="5.0000"><time>2024-05-01T08:01:30Z</time></trkpt>
<trkpt lat="45.0020" lon="5.0000"><ele>201</ele><time>2024-05-01T08:01:00Z</time></trkpt>
<trkpt lat="45.0020" lon="5.0000"><ele>201</ele><time>2024-05-01T08:01:00Z</time></trkpt>
<trkpt lat="north" lon="5.0000"><time>2024-05-01T08:01:10Z</time></trkpt>
</trkseg></trk></gpx>`
	act := mustRead(t, "dirty.gpx", []byte(gpx))
	if act.Sport != SportRunning {
		t.Errorf("sport %q, want running from <trk><type>", act.Sport)
	}
	for i := 1; i < len(act.Points); i++ {
		if !act.Points[i].Time.After(act.Points[i-1].Time) {
			t.Fatalf("points not in strict time order at %d: %v then %v", i, act.Points[i-1].Time, act.Points[i].Time)
		}
	}
	if len(act.Points) != 5 {
		t.Errorf("%d points, want 5 (the duplicate and the unreadable one left out)", len(act.Points))
	}
	for _, want := range []string{"out of time order", "repeating the time", "no usable position", "without a readable position"} {
		if !hasWarning(act, want) {
			t.Errorf("warnings %q lack %q", act.Warnings, want)
		}
	}
	// The zero point is not on the route and adds no distance: 0.003° of
	// latitude is 333.6 m.
	if d := Derive(act).DistanceM; !within(d, 333.6, 0.01) {
		t.Errorf("distance %.1f m, want 333.6 (no detour to 0,0)", d)
	}
}

func TestReadTruncatedXMLKeepsThePointsBeforeTheCut(t *testing.T) {
	for _, name := range []string{"garmin_connect_hr.gpx", "garmin_running.tcx"} {
		data := activitytest.File(t, name)
		whole := mustRead(t, name, data)
		act := mustRead(t, name, data[:len(data)*2/3])
		if len(act.Points) == 0 || len(act.Points) >= len(whole.Points) || !hasWarning(act, "cut short") {
			t.Errorf("%s cut at two thirds: %d of %d points, warnings %q", name, len(act.Points), len(whole.Points), act.Warnings)
		}
	}
}

func hasWarning(act *Activity, part string) bool {
	for _, w := range act.Warnings {
		if strings.Contains(w, part) {
			return true
		}
	}
	return false
}
