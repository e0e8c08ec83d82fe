package activity

import (
	"math"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// How the figures are derived. These are the rules of the package; they
// are constants so that every page, feed and record shows the same run.
const (
	// MovingSpeedMPS is the speed below which a runner counts as stopped:
	// slower than the slowest uphill walk of a trail race, faster than the
	// drift of a GPS fix standing still. Time spent slower is a pause.
	MovingSpeedMPS = 0.6

	// MovingWindowS is how far back a step's speed is judged from, for
	// steps shorter than it: a fix standing still jumps a metre or two
	// each second, which is a run's speed over one second but nothing over
	// ten.
	MovingWindowS = 10.0

	// ElevationSmoothingPoints is the width of the moving average applied
	// to elevations before gain and loss are counted (5 s either side at
	// the usual 1 s recording).
	ElevationSmoothingPoints = 11

	// ElevationThresholdM is the hysteresis of gain and loss: elevation
	// must move this far from the last turning point before the change is
	// counted, so noise on a flat road adds nothing.
	ElevationThresholdM = 3.0

	// maxStepSpeedMPS rejects GPS jumps: a step implying a speed above it
	// (180 km/h) is a lost fix, not distance run.
	maxStepSpeedMPS = 50.0

	// maxSplits bounds the splits of one run (10,000 km), so a file with
	// absurd distances cannot make the server list billions of them.
	maxSplits = 10000

	MetresPerKm   = 1000.0
	MetresPerMile = 1609.344
)

// Summary is the figures of a run. Distances are metres, times seconds,
// paces seconds per kilometre (times 1.609344 for seconds per mile).
type Summary struct {
	DistanceM  float64
	ElapsedS   float64 // first to last point of each leg, pauses included
	MovingS    float64 // ElapsedS less the pauses
	PaceSPerKm float64 // MovingS over DistanceM; 0 without distance

	HasElevation bool
	GainM        float64 // smoothed; see ElevationThresholdM
	LossM        float64

	AvgHeartRateBPM float64 // 0 when the file has no heart rate
	MaxHeartRateBPM int
	AvgCadenceSPM   float64 // 0 when the file has no cadence

	SplitsKm   []Split
	SplitsMile []Split

	BestEfforts []BestEffort

	// Series samples elevation, pace and heart rate evenly over the
	// distance (SeriesSamples of them), for the charts.
	Series []Sample
}

// Split is one kilometre or mile of a run; the last is shorter.
type Split struct {
	DistanceM  float64
	MovingS    float64
	ElapsedS   float64
	PaceSPerKm float64 // moving pace

	HasElevation     bool
	ElevationChangeM float64 // smoothed elevation at its end less at its start

	AvgHeartRateBPM float64 // 0 when no heart rate fell in it
}

// BestEffort is the fastest stretch of a standard distance found anywhere
// in a run, timed on the clock (pauses inside it count, as on a race).
type BestEffort struct {
	Name      string
	DistanceM float64
	TimeS     float64
	StartM    float64 // how far into the run it started
}

// EffortDistances are the distances best efforts are looked for over.
var EffortDistances = []struct {
	Name      string
	DistanceM float64
}{
	{"400 m", 400},
	{"1 km", 1000},
	{"1 mile", MetresPerMile},
	{"5 km", 5000},
	{"10 km", 10000},
	{"half marathon", 21097.5},
	{"marathon", 42195},
}

// profile is a run as cumulative series, one entry per point, which every
// figure is read from.
type profile struct {
	points    []Point
	distanceM []float64 // cumulative distance run
	elapsedS  []float64 // cumulative clock time, within legs
	movingS   []float64 // cumulative moving time
	elevation []float64 // smoothed; NaN where unknown
	hasEle    bool
}

func newProfile(points []Point) *profile {
	n := len(points)
	pr := &profile{
		points:    points,
		distanceM: make([]float64, n),
		elapsedS:  make([]float64, n),
		movingS:   make([]float64, n),
	}
	// ref is the last point of the leg with a position or a device
	// distance: distance and moving time are measured from it, so a point
	// without a fix in between neither loses the distance nor adds any.
	ref := -1
	// window holds the leg's points with data, oldest first, from which
	// the speed over the last MovingWindowS is judged.
	var window []int
	for i := range n {
		if i > 0 {
			pr.distanceM[i] = pr.distanceM[i-1]
			pr.elapsedS[i] = pr.elapsedS[i-1]
			pr.movingS[i] = pr.movingS[i-1]
			if points[i].Leg != points[i-1].Leg {
				ref, window = -1, window[:0] // nothing is measured between legs
			} else if dt := points[i].Time.Sub(points[i-1].Time).Seconds(); dt > 0 {
				pr.elapsedS[i] += dt
			}
		}
		b := &points[i]
		if !b.HasPosition && !b.HasDistance {
			continue
		}
		window = append(window, i)
		if ref < 0 {
			ref = i
			continue
		}
		a := &points[ref]
		dt := b.Time.Sub(a.Time).Seconds()
		if dt <= 0 {
			continue
		}
		dd, fromDevice := stepDistance(a, b, dt)
		moving := dd/dt >= MovingSpeedMPS
		if dt < MovingWindowS {
			// Judge by the latest point at least MovingWindowS back.
			for len(window) > 1 && b.Time.Sub(points[window[1]].Time).Seconds() >= MovingWindowS {
				window = window[1:]
			}
			// A window reaching back over a gap in the recording (the
			// watch paused) says nothing about now: the step alone decides.
			w := &points[window[0]]
			if wdt := b.Time.Sub(w.Time).Seconds(); wdt >= MovingWindowS && wdt <= 2*MovingWindowS {
				moving = moving && displacement(w, b, pr.distanceM[window[0]], pr.distanceM[ref]+dd)/wdt >= MovingSpeedMPS
			}
		}
		if !moving && !fromDevice {
			dd = 0 // a GPS fix drifting while the runner stands
		}
		pr.distanceM[i] += dd
		if moving {
			pr.movingS[i] += dt
		}
		ref = i
	}
	pr.elevation, pr.hasEle = smoothElevation(points)
	return pr
}

// displacement is how far b is from a: in a straight line when both have a
// position, else by the cumulative distances given.
func displacement(a, b *Point, fromM, toM float64) float64 {
	if a.HasPosition && b.HasPosition {
		return geo.DistanceHaversine(orb.Point{a.Lon, a.Lat}, orb.Point{b.Lon, b.Lat})
	}
	return toM - fromM
}

// stepDistance is the distance between two points of a leg: the device's
// own when it gives one for both, else the great-circle distance between
// their positions, refusing jumps no runner makes.
func stepDistance(a, b *Point, dt float64) (float64, bool) {
	if a.HasDistance && b.HasDistance && b.DistanceM >= a.DistanceM {
		return b.DistanceM - a.DistanceM, true
	}
	if !a.HasPosition || !b.HasPosition {
		return 0, false
	}
	d := geo.DistanceHaversine(orb.Point{a.Lon, a.Lat}, orb.Point{b.Lon, b.Lat})
	if d/dt > maxStepSpeedMPS {
		return 0, false
	}
	return d, false
}

// smoothElevation averages each known elevation with its neighbours
// (ElevationSmoothingPoints wide, over points that have one).
func smoothElevation(points []Point) ([]float64, bool) {
	out := make([]float64, len(points))
	var idx []int
	for i, p := range points {
		out[i] = math.NaN()
		if p.HasElevation {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return out, false
	}
	half := ElevationSmoothingPoints / 2
	// A running sum over the known elevations keeps this O(n).
	prefix := make([]float64, len(idx)+1)
	for k, i := range idx {
		prefix[k+1] = prefix[k] + points[i].ElevationM
	}
	for k, i := range idx {
		lo, hi := max(0, k-half), min(len(idx)-1, k+half)
		out[i] = (prefix[hi+1] - prefix[lo]) / float64(hi-lo+1)
	}
	return out, true
}

// Derive computes a run's figures from its points.
func Derive(act *Activity) Summary {
	pr := newProfile(act.Points)
	return pr.summary()
}

func (pr *profile) summary() Summary {
	n := len(pr.points)
	var s Summary
	if n == 0 {
		return s
	}
	s.DistanceM = pr.distanceM[n-1]
	s.ElapsedS = pr.elapsedS[n-1]
	s.MovingS = pr.movingS[n-1]
	s.PaceSPerKm = pace(s.MovingS, s.DistanceM)
	if pr.hasEle {
		s.HasElevation = true
		s.GainM, s.LossM = gainLoss(pr.elevation)
	}

	var hrSum, hrN, cadSum, cadN float64
	for _, p := range pr.points {
		if p.HeartRateBPM > 0 {
			hrSum += float64(p.HeartRateBPM)
			hrN++
			s.MaxHeartRateBPM = max(s.MaxHeartRateBPM, p.HeartRateBPM)
		}
		if p.CadenceSPM > 0 {
			cadSum += float64(p.CadenceSPM)
			cadN++
		}
	}
	if hrN > 0 {
		s.AvgHeartRateBPM = hrSum / hrN
	}
	if cadN > 0 {
		s.AvgCadenceSPM = cadSum / cadN
	}
	s.SplitsKm = pr.splits(MetresPerKm)
	s.SplitsMile = pr.splits(MetresPerMile)
	for _, e := range EffortDistances {
		if t, start, ok := pr.bestEffort(e.DistanceM); ok {
			s.BestEfforts = append(s.BestEfforts, BestEffort{Name: e.Name, DistanceM: e.DistanceM, TimeS: t, StartM: start})
		}
	}
	s.Series = pr.series(SeriesSamples)
	return s
}

func pace(seconds, metres float64) float64 {
	if metres <= 0 {
		return 0
	}
	return seconds / (metres / MetresPerKm)
}

// gainLoss counts climbs and descents with hysteresis: a change is counted
// once the elevation has moved ElevationThresholdM from the last turning
// point, so wobbles smaller than that never add up.
func gainLoss(elevation []float64) (gain, loss float64) {
	ref := math.NaN()
	for _, e := range elevation {
		if math.IsNaN(e) {
			continue
		}
		if math.IsNaN(ref) {
			ref = e
			continue
		}
		switch d := e - ref; {
		case d >= ElevationThresholdM:
			gain += d
			ref = e
		case d <= -ElevationThresholdM:
			loss -= d
			ref = e
		}
	}
	return gain, loss
}

// at interpolates a cumulative series at fraction f of the step i-1 → i.
func at(series []float64, i int, f float64) float64 {
	return series[i-1] + f*(series[i]-series[i-1])
}

// splits cuts the run every unit metres, interpolating the times and
// elevations where each boundary falls between two points.
func (pr *profile) splits(unit float64) []Split {
	n := len(pr.points)
	total := pr.distanceM[n-1]
	if total <= 0 {
		return nil
	}
	var out []Split
	startMark := splitMark{0, 0, 0, pr.firstElevation()}
	lastEle := startMark.elevation
	var hrSum, hrN float64
	next := unit
	for i := 1; i < n; i++ {
		if !math.IsNaN(pr.elevation[i]) {
			lastEle = pr.elevation[i]
		}
		for pr.distanceM[i] >= next && pr.distanceM[i] > pr.distanceM[i-1] && len(out) < maxSplits {
			f := (next - pr.distanceM[i-1]) / (pr.distanceM[i] - pr.distanceM[i-1])
			end := splitMark{next, at(pr.movingS, i, f), at(pr.elapsedS, i, f), pr.elevationAt(i, f, lastEle)}
			out = append(out, pr.split(startMark, end, hrSum, hrN))
			startMark, hrSum, hrN = end, 0, 0
			next += unit
		}
		if hr := pr.points[i].HeartRateBPM; hr > 0 {
			hrSum += float64(hr)
			hrN++
		}
	}
	if rest := total - startMark.dist; rest >= 1 && len(out) < maxSplits {
		end := splitMark{total, pr.movingS[n-1], pr.elapsedS[n-1], lastEle}
		out = append(out, pr.split(startMark, end, hrSum, hrN))
	}
	return out
}

// splitMark is where a split starts or ends: cumulative values there.
type splitMark struct{ dist, moving, elapsed, elevation float64 }

func (pr *profile) split(from, to splitMark, hrSum, hrN float64) Split {
	s := Split{
		DistanceM: to.dist - from.dist,
		MovingS:   to.moving - from.moving,
		ElapsedS:  to.elapsed - from.elapsed,
	}
	s.PaceSPerKm = pace(s.MovingS, s.DistanceM)
	if !math.IsNaN(from.elevation) && !math.IsNaN(to.elevation) {
		s.HasElevation = true
		s.ElevationChangeM = to.elevation - from.elevation
	}
	if hrN > 0 {
		s.AvgHeartRateBPM = hrSum / hrN
	}
	return s
}

func (pr *profile) firstElevation() float64 {
	for _, e := range pr.elevation {
		if !math.IsNaN(e) {
			return e
		}
	}
	return math.NaN()
}

// elevationAt is the smoothed elevation at fraction f of step i-1 → i,
// falling back to the last known one where a point has none.
func (pr *profile) elevationAt(i int, f float64, last float64) float64 {
	a, b := pr.elevation[i-1], pr.elevation[i]
	switch {
	case !math.IsNaN(a) && !math.IsNaN(b):
		return a + f*(b-a)
	case !math.IsNaN(b):
		return b
	}
	return last
}

// bestEffort finds the shortest clock time over distance d anywhere in the
// run: a window sliding over the cumulative distance (two pointers, O(n)),
// its start interpolated to exactly d before each point. Efforts do not
// span legs.
func (pr *profile) bestEffort(d float64) (seconds, startM float64, ok bool) {
	n := len(pr.points)
	best := math.Inf(1)
	i := 0
	for j := 1; j < n; j++ {
		if pr.points[j].Leg != pr.points[i].Leg {
			i = j
			continue
		}
		for i+1 < j && pr.distanceM[j]-pr.distanceM[i+1] >= d {
			i++
		}
		covered := pr.distanceM[j] - pr.distanceM[i]
		if covered < d {
			continue
		}
		from := pr.distanceM[j] - d // where the effort starts, within step i → i+1
		t0 := pr.elapsedS[i]
		if span := pr.distanceM[i+1] - pr.distanceM[i]; span > 0 {
			t0 += (from - pr.distanceM[i]) / span * (pr.elapsedS[i+1] - pr.elapsedS[i])
		}
		if t := pr.elapsedS[j] - t0; t < best {
			best, startM = t, from
		}
	}
	if math.IsInf(best, 1) {
		return 0, 0, false
	}
	return best, startM, true
}
