package activity

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"milepost/internal/activity/activitytest"
)

// metresPerDegreeLat is what a degree of latitude measures on orb's sphere.
const metresPerDegreeLat = orb.EarthRadius * math.Pi / 180

// stretch is part of a synthetic run: so many seconds at a speed, climbing
// so much in all, one point a second.
type stretch struct {
	seconds  int
	speedMPS float64
	climbM   float64
}

var runStart = time.Date(2024, 5, 1, 7, 0, 0, 0, time.UTC)

// synthRun runs north from 45°N 5°E; distances along a meridian are
// exact, so the expected figures can be worked out by hand.
func synthRun(stretches ...stretch) *Activity {
	act := &Activity{Format: FormatGPX, Sport: SportRunning}
	lat, ele := 45.0, 100.0
	t := runStart
	act.Points = append(act.Points, Point{Time: t, Lat: lat, Lon: 5, HasPosition: true, ElevationM: ele, HasElevation: true, HeartRateBPM: 150})
	for _, s := range stretches {
		for range s.seconds {
			t = t.Add(time.Second)
			lat += s.speedMPS / metresPerDegreeLat
			ele += s.climbM / float64(s.seconds)
			act.Points = append(act.Points, Point{Time: t, Lat: lat, Lon: 5, HasPosition: true, ElevationM: ele, HasElevation: true, HeartRateBPM: 150})
		}
	}
	act.Start = runStart
	return act
}

func TestDerivedFiguresAgreeWithTheDeviceWithinOnePercent(t *testing.T) {
	act := mustRead(t, "triathlon_fr255.fit", activitytest.File(t, "triathlon_fr255.fit"))
	s := Derive(act)
	dev := act.Device
	t.Logf("derived %.1f m, moving %.1f s, elapsed %.1f s, gain %.1f m; device %.1f m, timer %.1f s, elapsed %.1f s, ascent %.0f m",
		s.DistanceM, s.MovingS, s.ElapsedS, s.GainM, dev.DistanceM, dev.TimerS, dev.ElapsedS, dev.AscentM)
	if !within(s.DistanceM, dev.DistanceM, 0.01) {
		t.Errorf("distance %.1f m, device %.1f m", s.DistanceM, dev.DistanceM)
	}
	// The runner never stopped the watch, and never stood still long.
	if !within(s.MovingS, dev.TimerS, 0.01) {
		t.Errorf("moving time %.1f s, device timer %.1f s", s.MovingS, dev.TimerS)
	}
	if !within(s.ElapsedS, dev.ElapsedS, 0.01) {
		t.Errorf("elapsed %.1f s, device %.1f s", s.ElapsedS, dev.ElapsedS)
	}
	if !within(s.PaceSPerKm, dev.TimerS/(dev.DistanceM/1000), 0.02) {
		t.Errorf("pace %.1f s/km", s.PaceSPerKm)
	}
	// Gain: see TestGainOfARealRunIsCloseToTheWatchs.
	if s.AvgHeartRateBPM < 150 || s.AvgHeartRateBPM > 180 || s.MaxHeartRateBPM != 175 || s.AvgCadenceSPM < 150 || s.AvgCadenceSPM > 190 {
		t.Errorf("heart rate %.1f (max %d), cadence %.1f", s.AvgHeartRateBPM, s.MaxHeartRateBPM, s.AvgCadenceSPM)
	}
	// Splits add up to the run.
	var dist, moving float64
	for _, sp := range s.SplitsKm {
		dist += sp.DistanceM
		moving += sp.MovingS
	}
	if len(s.SplitsKm) != 5 || !within(dist, s.DistanceM, 1e-9) || !within(moving, s.MovingS, 1e-9) {
		t.Errorf("%d km splits adding to %.1f m in %.1f s", len(s.SplitsKm), dist, moving)
	}
}

func TestDerivedElapsedTimeMatchesAWalkWithLongStops(t *testing.T) {
	// The walker stood most of the five minutes with the timer running:
	// elapsed time matches the device's (its moving time is the timer's:
	// see TestAFileWithoutMovementTakesTheDevicesTime).
	act := mustRead(t, "HrmPluginTestActivity.fit", activitytest.File(t, "HrmPluginTestActivity.fit"))
	s := Derive(act)
	if !within(s.ElapsedS, act.Device.ElapsedS, 0.01) || !within(s.DistanceM, act.Device.DistanceM, 0.01) {
		t.Errorf("elapsed %.1f s over %.1f m; device %.1f s over %.1f m", s.ElapsedS, s.DistanceM, act.Device.ElapsedS, act.Device.DistanceM)
	}
}

func TestSplitsPerKmAndMileAtAnEvenPace(t *testing.T) {
	// 10.5 km at 5:00/km: 3150 s at 10/3 m/s.
	s := Derive(synthRun(stretch{3150, 1000.0 / 300, 0}))
	if !within(s.DistanceM, 10500, 0.001) || s.MovingS != 3150 || s.ElapsedS != 3150 {
		t.Fatalf("distance %.1f moving %.1f elapsed %.1f", s.DistanceM, s.MovingS, s.ElapsedS)
	}
	if len(s.SplitsKm) != 11 {
		t.Fatalf("%d km splits, want 10 and a half", len(s.SplitsKm))
	}
	for i, sp := range s.SplitsKm[:10] {
		if !within(sp.DistanceM, 1000, 1e-9) || !within(sp.MovingS, 300, 0.001) || !within(sp.PaceSPerKm, 300, 0.001) || sp.AvgHeartRateBPM != 150 {
			t.Errorf("km %d: %+v", i+1, sp)
		}
	}
	if last := s.SplitsKm[10]; !within(last.DistanceM, 500, 0.002) || !within(last.PaceSPerKm, 300, 0.002) {
		t.Errorf("last km split %+v, want 500 m at 5:00/km", last)
	}
	if len(s.SplitsMile) != 7 || !within(s.SplitsMile[0].MovingS, 300*1.609344, 0.001) {
		t.Errorf("%d mile splits, first %+v; want 6 whole miles in 8:03 each", len(s.SplitsMile), s.SplitsMile[0])
	}
}

func TestBestEffortsAreFoundAnywhereInTheRun(t *testing.T) {
	// 3 km at 5:00/km, 1 km at 3:30/km, 3 km at 5:00/km.
	s := Derive(synthRun(stretch{900, 1000.0 / 300, 0}, stretch{210, 1000.0 / 210, 0}, stretch{900, 1000.0 / 300, 0}))
	got := map[string]BestEffort{}
	for _, e := range s.BestEfforts {
		got[e.Name] = e
	}
	if e := got["1 km"]; !within(e.TimeS, 210, 0.002) || !within(e.StartM, 3000, 0.002) {
		t.Errorf("best 1 km %+v, want 3:30 starting at 3 km", e)
	}
	if e := got["400 m"]; !within(e.TimeS, 84, 0.002) {
		t.Errorf("best 400 m %+v, want 84 s", e)
	}
	// 5 km: the fast km and 4 km at 5:00 = 210 + 1200.
	if e := got["5 km"]; !within(e.TimeS, 1410, 0.002) {
		t.Errorf("best 5 km %+v, want 1410 s", e)
	}
	for _, name := range []string{"10 km", "half marathon", "marathon"} {
		if _, ok := got[name]; ok {
			t.Errorf("a best %s in a 7 km run", name)
		}
	}
}

func TestBestEffortsCountPausesButNotOtherLegs(t *testing.T) {
	act := synthRun(stretch{300, 1000.0 / 300, 0}, stretch{600, 0, 0}, stretch{300, 1000.0 / 300, 0})
	s := Derive(act)
	var best1k, best400 BestEffort
	for _, e := range s.BestEfforts {
		switch e.Name {
		case "1 km":
			best1k = e
		case "400 m":
			best400 = e
		}
	}
	// Two kilometres with a ten-minute stop between: the stop is a pause
	// (not moving time), the best km is either whole one.
	if !within(s.MovingS, 600, 0.01) || !within(s.ElapsedS, 1200, 0.001) || !within(best1k.TimeS, 300, 0.002) {
		t.Errorf("moving %.0f elapsed %.0f best km %.1f", s.MovingS, s.ElapsedS, best1k.TimeS)
	}

	// The same run split into two legs (a run, a bike left out, a run):
	// no effort spans the legs.
	legs := synthRun(stretch{300, 1000.0 / 300, 0})
	for i := range legs.Points {
		if i > 150 { // two legs of 500 m
			legs.Points[i].Leg = 1
		}
	}
	s = Derive(legs)
	for _, e := range s.BestEfforts {
		if e.DistanceM > 500 {
			t.Errorf("best %s found across two legs of 500 m", e.Name)
		}
	}
	if best400.TimeS == 0 {
		t.Error("no best 400 m")
	}
}

func TestPausesAreLeftOutOfMovingTime(t *testing.T) {
	// Run 1 km, stand 2 minutes while the GPS wanders a metre or two,
	// then a 5-minute gap in the recording (the watch paused), run 1 km.
	act := synthRun(stretch{300, 1000.0 / 300, 0})
	rng := rand.New(rand.NewPCG(1, 2))
	stand(act, 120, func(p *Point) {
		p.Lat += (rng.Float64()*3 - 1.5) / metresPerDegreeLat
		p.Lon += (rng.Float64()*3 - 1.5) / metresPerDegreeLat
	})
	resume(act, 5*time.Minute, stretch{300, 1000.0 / 300, 0})
	s := Derive(act)
	if !within(s.MovingS, 600, 0.01) {
		t.Errorf("moving %.0f s, want 600 (two 5-minute kilometres)", s.MovingS)
	}
	if !within(s.ElapsedS, 300+120+300+300, 0.001) {
		t.Errorf("elapsed %.0f s", s.ElapsedS)
	}
	// Within 1%: the first metres after a stop are judged over the
	// seconds before, when the runner stood, and are not counted.
	if !within(s.DistanceM, 2000, 0.01) {
		t.Errorf("distance %.1f m, want 2000 (no distance from the GPS wandering while stopped)", s.DistanceM)
	}
	if !within(s.PaceSPerKm, 300, 0.01) {
		t.Errorf("pace %.1f s/km, want 5:00 on the moving time", s.PaceSPerKm)
	}
}

func TestPauseInARealRecording(t *testing.T) {
	// The Polar file: about a minute on the move, then standing still.
	act := mustRead(t, "polar_pacer_pause.gpx", activitytest.File(t, "polar_pacer_pause.gpx"))
	s := Derive(act)
	if s.ElapsedS != 146 || s.MovingS < 50 || s.MovingS > 75 {
		t.Errorf("moving %.0f s of %.0f s, want about the first minute only", s.MovingS, s.ElapsedS)
	}
}

func TestElevationNoiseOnAFlatRoadAddsNoGain(t *testing.T) {
	// 5 km dead flat, each reading off by up to ±2 m.
	act := synthRun(stretch{1500, 1000.0 / 300, 0})
	rng := rand.New(rand.NewPCG(3, 4))
	var raw float64
	for i := range act.Points {
		act.Points[i].ElevationM = 100 + rng.Float64()*4 - 2
		if i > 0 {
			raw += math.Max(0, act.Points[i].ElevationM-act.Points[i-1].ElevationM)
		}
	}
	s := Derive(act)
	if raw < 500 {
		t.Fatalf("the noise adds only %.0f m when summed raw; the test would prove nothing", raw)
	}
	if s.GainM > 2 || s.LossM > 2 {
		t.Errorf("gain %.1f m, loss %.1f m on a flat road (raw sum of rises %.0f m)", s.GainM, s.LossM, raw)
	}
}

func TestElevationGainOfARealHill(t *testing.T) {
	// Up 60 m over 1 km and down again, with the same noise.
	act := synthRun(stretch{300, 1000.0 / 300, 60}, stretch{300, 1000.0 / 300, -60})
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range act.Points {
		act.Points[i].ElevationM += rng.Float64()*4 - 2
	}
	s := Derive(act)
	if !within(s.GainM, 60, 0.1) || !within(s.LossM, 60, 0.1) {
		t.Errorf("gain %.1f m, loss %.1f m; want about 60 each", s.GainM, s.LossM)
	}
	if sp := s.SplitsKm[0]; !sp.HasElevation || !within(sp.ElevationChangeM, 60, 0.1) {
		t.Errorf("first km climbs %.1f m, want about 60", sp.ElevationChangeM)
	}
}

func TestATrackWithoutElevationOrHeartRate(t *testing.T) {
	act := synthRun(stretch{600, 3, 0})
	for i := range act.Points {
		act.Points[i].HasElevation = false
		act.Points[i].HeartRateBPM = 0
	}
	s := Derive(act)
	if s.HasElevation || s.GainM != 0 || s.AvgHeartRateBPM != 0 || s.SplitsKm[0].HasElevation || s.SplitsKm[0].AvgHeartRateBPM != 0 {
		t.Errorf("figures from values the file does not have: %+v", s)
	}
}

func TestGPSJumpsAddNoDistance(t *testing.T) {
	act := synthRun(stretch{600, 3, 0})
	act.Points[300].Lat += 0.5 // 55 km away for one second
	if s := Derive(act); !within(s.DistanceM, 1800, 0.01) {
		t.Errorf("distance %.0f m, want 1800 without the jump", s.DistanceM)
	}
}

// stand adds seconds where the run stopped, one point a second, each
// changed by move if given (a GPS fix wandering, a walk east).
func stand(act *Activity, seconds int, move func(p *Point)) {
	last := act.Points[len(act.Points)-1]
	for i := 1; i <= seconds; i++ {
		p := last
		p.Time = last.Time.Add(time.Duration(i) * time.Second)
		if move != nil {
			move(&p)
		}
		act.Points = append(act.Points, p)
	}
}

// resume runs on from where the run is, after a gap in the recording.
func resume(act *Activity, gap time.Duration, stretches ...stretch) {
	last := act.Points[len(act.Points)-1]
	for _, p := range synthRun(stretches...).Points[1:] {
		p.Time = last.Time.Add(gap).Add(p.Time.Sub(runStart))
		p.Lat += last.Lat - 45
		act.Points = append(act.Points, p)
	}
}

func TestAPausedWatchAgreesWithItsTimer(t *testing.T) {
	// The real run with the watch paused for two minutes at 2 km: no
	// records while paused, and the device's timer leaves the pause out.
	run := mustRead(t, "triathlon_fr255.fit", activitytest.File(t, "triathlon_fr255.fit")).Points
	timer := run[len(run)-1].Time.Sub(run[0].Time).Seconds()
	paused := false
	for i := range run {
		if !paused && run[i].DistanceM-run[0].DistanceM >= 2000 {
			paused = true
		}
		if paused {
			run[i].Time = run[i].Time.Add(2 * time.Minute)
		}
	}
	act := mustRead(t, "paused.fit", encodeFIT(t, run, runningSession(run, timer)))
	s := Derive(act)
	if !within(s.MovingS, act.Device.TimerS, 0.01) || !within(s.ElapsedS, act.Device.ElapsedS, 0.01) || !within(s.DistanceM, act.Device.DistanceM, 0.01) {
		t.Errorf("moving %.0f s, elapsed %.0f s, %.0f m; device timer %.0f s, elapsed %.0f s, %.0f m",
			s.MovingS, s.ElapsedS, s.DistanceM, act.Device.TimerS, act.Device.ElapsedS, act.Device.DistanceM)
	}
	if s.ElapsedS-s.MovingS < 115 {
		t.Errorf("moving %.0f s of %.0f s elapsed: the two-minute pause is not left out", s.MovingS, s.ElapsedS)
	}
}

func TestARepeatedSessionCountsItsRecordsOnce(t *testing.T) {
	run := mustRead(t, "triathlon_fr255.fit", activitytest.File(t, "triathlon_fr255.fit")).Points
	act := mustRead(t, "twice.fit", encodeFIT(t, run, runningSession(run), runningSession(run)))
	if len(act.Points) != len(run) {
		t.Errorf("%d points from %d records under two sessions", len(act.Points), len(run))
	}
	if d := Derive(act).DistanceM; !within(d, run[len(run)-1].DistanceM-run[0].DistanceM, 0.01) {
		t.Errorf("distance %.0f m", d)
	}
}

// TestGainCountsEachClimbInFull: the hysteresis stops small wobbles from
// adding up, but a climb it does count is counted to its top.
func TestGainCountsEachClimbInFull(t *testing.T) {
	// Twenty rolling hills of 5 m, each 2 minutes up and 2 minutes down.
	var hills []stretch
	for range 20 {
		hills = append(hills, stretch{120, 3, 5}, stretch{120, 3, -5})
	}
	if s := Derive(synthRun(hills...)); !within(s.GainM, 100, 0.05) || !within(s.LossM, 100, 0.05) {
		t.Errorf("twenty 5 m hills: gain %.1f m, loss %.1f m; want about 100 each", s.GainM, s.LossM)
	}
	// One climb of 10 m, then flat.
	if s := Derive(synthRun(stretch{300, 3, 0}, stretch{300, 3, 10}, stretch{300, 3, 0})); !within(s.GainM, 10, 0.02) || s.LossM != 0 {
		t.Errorf("a single 10 m climb: gain %.2f m, loss %.2f m", s.GainM, s.LossM)
	}
}

// TestGainOfARealRunIsCloseToTheWatchs: the triathlon's run, whose
// barometric watch says 29 m of ascent. Its GPS-fused elevation is
// smoothed harder than the watch's barometer, so a little under is right;
// counting each climb only to 3 m short of its top once gave 18 m.
func TestGainOfARealRunIsCloseToTheWatchs(t *testing.T) {
	act := mustRead(t, "triathlon_fr255.fit", activitytest.File(t, "triathlon_fr255.fit"))
	s := Derive(act)
	if asc := act.Device.AscentM; s.GainM < 0.75*asc || s.GainM > 1.1*asc {
		t.Errorf("gain %.1f m, the watch's ascent %.0f m", s.GainM, asc)
	}
}

// TestADeviceDistanceGlitchIsNoRecord: a corrupt record puts the device's
// distance 50 km on in one second; the step is measured from the GPS
// instead, and no marathon best effort appears.
func TestADeviceDistanceGlitchIsNoRecord(t *testing.T) {
	act := synthRun(stretch{1200, 3, 0})
	for i := range act.Points {
		act.Points[i].DistanceM, act.Points[i].HasDistance = 3*float64(i), true
		if i >= 600 {
			act.Points[i].DistanceM += 50_000
		}
	}
	s := Derive(act)
	if !within(s.DistanceM, 3600, 0.01) {
		t.Errorf("distance %.0f m, want 3600", s.DistanceM)
	}
	for _, e := range s.BestEfforts {
		if e.DistanceM > 3600 {
			t.Errorf("a %s in %.1f s from a glitch", e.Name, e.TimeS)
		}
	}
}

// TestAClockJumpIsABreakNotElapsedTime: a damaged GPX whose clock jumps
// two centuries between two points keeps the elapsed time of the
// running on either side.
func TestAClockJumpIsABreakNotElapsedTime(t *testing.T) {
	act := synthRun(stretch{600, 3, 0})
	resume(act, 200*365*24*time.Hour, stretch{600, 3, 0})
	s := Derive(act)
	if s.ElapsedS > 1300 || s.MovingS > 1300 {
		t.Errorf("elapsed %.0f s, moving %.0f s; want about 1200 of running", s.ElapsedS, s.MovingS)
	}
	if !within(s.DistanceM, 3600, 0.01) {
		t.Errorf("distance %.0f m, want the two 1800 m stretches", s.DistanceM)
	}
}

// TestAFileWithoutMovementTakesTheDevicesTime: the multisport file's run
// has no GPS and no distance, and the heart-rate strap's walk never left a
// car park: there is no movement to tell pauses from, so the time shown is
// the watch's timer, not the seconds a drifting fix looked fast.
func TestAFileWithoutMovementTakesTheDevicesTime(t *testing.T) {
	for _, name := range []string{"activity_multisport.fit", "HrmPluginTestActivity.fit"} {
		act := mustRead(t, name, activitytest.File(t, name))
		s := Derive(act)
		if act.Device == nil || act.Device.TimerS <= 0 {
			t.Fatalf("%s: no device timer to compare with", name)
		}
		if !within(s.MovingS, act.Device.TimerS, 0.01) {
			t.Errorf("%s: moving time %.1f s, device timer %.1f s", name, s.MovingS, act.Device.TimerS)
		}
	}
	// Without a device timer, the clock.
	act := synthRun()
	stand(act, 600, func(p *Point) { p.HasPosition = false })
	if s := Derive(act); s.MovingS != 600 || s.ElapsedS != 600 {
		t.Errorf("an hour-less indoor session: moving %.0f s of %.0f s, want all 600", s.MovingS, s.ElapsedS)
	}
}

// TestAbsurdElevationsLeaveNoInfinity: elevations a damaged file gives as
// 1e308 overflow any sum; the figures show no elevation rather than +Inf.
func TestAbsurdElevationsLeaveNoInfinity(t *testing.T) {
	act := synthRun(stretch{600, 3, 0})
	for i := range act.Points {
		act.Points[i].ElevationM = 1e308
		if i%2 == 0 {
			act.Points[i].ElevationM = math.Inf(1)
		}
	}
	s := Derive(act)
	for _, v := range []float64{s.GainM, s.LossM, s.DistanceM, s.MovingS, s.PaceSPerKm} {
		if !finite(v) {
			t.Fatalf("a figure is %v: %+v", v, s)
		}
	}
	for _, sp := range s.SplitsKm {
		if !finite(sp.ElevationChangeM) {
			t.Errorf("a split climbs %v", sp.ElevationChangeM)
		}
	}
	for _, sm := range s.Series {
		if !finite(sm.ElevationM) {
			t.Errorf("a sample's elevation is %v", sm.ElevationM)
		}
	}
}

// TestATinyDistanceGivesNoInfinitePace: a damaged file whose device
// distance grows by the smallest float over ten minutes has a pace too
// slow for a float; the figures say none rather than +Inf, and the charts
// are not cut into samples of no width (which once panicked).
func TestATinyDistanceGivesNoInfinitePace(t *testing.T) {
	act := synthRun()
	stand(act, 600, func(p *Point) { p.HasPosition = false })
	for i := range act.Points {
		act.Points[i].HasDistance = true
	}
	act.Points[len(act.Points)-1].DistanceM = 5e-324
	s := Derive(act)
	if !finite(s.PaceSPerKm) || s.DistanceM <= 0 {
		t.Errorf("pace %v s/km over %v m", s.PaceSPerKm, s.DistanceM)
	}
}
