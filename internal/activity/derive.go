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

	// maxStepSpeedMPS rejects GPS jumps and device distance glitches: a
	// step implying a speed above it (180 km/h) is a lost fix or a
	// corrupt record, not distance run. possibleStep applies it, for the
	// figures and for Clean alike.
	maxStepSpeedMPS = 50.0

	// maxGapS is the longest gap between two points still measured
	// across: a longer one (a watch left paused over lunch, or a clock
	// that jumped years in a damaged file) is a break, like the change of
	// leg in a multisport file, not hours of elapsed time.
	maxGapS = 3600.0

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

	// hidden marks the points Clean leaves out of the route (nil: none).
	// The totals count them — a run's distance and time say nothing of
	// where it went — but the charts and the splits' elevations do not
	// describe them, so no profile of a hidden stretch is published.
	hidden []bool
}

// shown reports whether point i may be described along the distance.
func (pr *profile) shown(i int) bool { return pr.hidden == nil || !pr.hidden[i] }

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
			dt := points[i].Time.Sub(points[i-1].Time).Seconds()
			if points[i].Leg != points[i-1].Leg || dt > maxGapS {
				ref, window = -1, window[:0] // nothing is measured between legs, or across a break
			} else if dt > 0 {
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
// their positions, refusing jumps no runner makes — from the device as
// from the GPS: a glitch of 50 km in a second is no marathon best effort.
func stepDistance(a, b *Point, dt float64) (float64, bool) {
	if a.HasDistance && b.HasDistance && b.DistanceM >= a.DistanceM && finite(b.DistanceM) {
		if d := b.DistanceM - a.DistanceM; possibleStep(d, dt) {
			return d, true
		}
	}
	if !a.HasPosition || !b.HasPosition {
		return 0, false
	}
	d := geo.DistanceHaversine(orb.Point{a.Lon, a.Lat}, orb.Point{b.Lon, b.Lat})
	if !possibleStep(d, dt) {
		return 0, false
	}
	return d, false
}

// possibleStep is the one rule for impossible movement: metres covered in
// seconds faster than maxStepSpeedMPS. The figures leave such steps out
// and Clean drops the fixes that make them before trimming a route.
func possibleStep(metres, seconds float64) bool {
	return metres <= maxStepSpeedMPS*seconds
}

// smoothElevation averages each known elevation with its neighbours
// (ElevationSmoothingPoints wide, over points that have one).
func smoothElevation(points []Point) ([]float64, bool) {
	out := make([]float64, len(points))
	var idx []int
	for i, p := range points {
		out[i] = math.NaN()
		if p.HasElevation && finite(p.ElevationM) {
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
		if avg := (prefix[hi+1] - prefix[lo]) / float64(hi-lo+1); finite(avg) {
			out[i] = avg // else absurd elevations overflowed the sum: unknown
		}
	}
	return out, true
}

// Derive computes a run's figures from its points, describing all of it:
// for what readers see, Publish derives them with the hidden stretches
// left out of the charts.
func Derive(act *Activity) Summary {
	return derive(act, nil)
}

func derive(act *Activity, hidden []bool) Summary {
	pr := newProfile(act.Points)
	pr.hidden = hidden
	s := pr.summary()
	// Pauses are told from movement. A file that never covers ground at
	// MovingSpeedMPS over its whole time (an indoor session, a leg with no
	// GPS and no distance, a heart-rate strap worn standing about) has no
	// movement to tell them from: its time is the device's timer, else the
	// clock, rather than the few seconds a drifting fix looked fast.
	// The device's clock, when it has one, is then the better one: it
	// counts the fraction of a second the points' whole-second times drop.
	if s.ElapsedS > 0 && !(s.DistanceM >= MovingSpeedMPS*s.ElapsedS) {
		if d := act.Device; d != nil && d.ElapsedS > s.ElapsedS && finite(d.ElapsedS) {
			s.ElapsedS = d.ElapsedS
		}
		s.MovingS = s.ElapsedS
		if d := act.Device; d != nil && d.TimerS > 0 && d.TimerS < s.ElapsedS {
			s.MovingS = d.TimerS
		}
		s.PaceSPerKm = pace(s.MovingS, s.DistanceM)
	}
	clearNonFinite(&s)
	return s
}

// clearNonFinite zeroes totals a damaged file made infinite or NaN, so no
// page, feed or record shows "+Inf": unknown is shown as absent.
func clearNonFinite(s *Summary) {
	for _, v := range []*float64{&s.DistanceM, &s.ElapsedS, &s.MovingS, &s.PaceSPerKm, &s.GainM, &s.LossM, &s.AvgHeartRateBPM, &s.AvgCadenceSPM} {
		if !finite(*v) {
			*v = 0
		}
	}
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

// gainLoss counts climbs and descents with hysteresis: it follows the
// elevation to its highest (or lowest) point, and once the elevation has
// come back ElevationThresholdM from there, that point is a turning point
// and the whole climb (or descent) to it is counted. Wobbles smaller than
// the threshold never turn, so they add nothing, and a climb is counted
// in full, top included, however far it goes past the threshold.
func gainLoss(elevation []float64) (gain, loss float64) {
	turn, extreme := math.NaN(), math.NaN()
	low, high := math.NaN(), math.NaN() // before the first turn: the range seen
	dir := 0                            // 1 climbing, -1 descending, 0 not yet known
	for _, e := range elevation {
		if math.IsNaN(e) {
			continue
		}
		switch dir {
		case 0:
			if math.IsNaN(low) {
				low, high = e, e
			}
			low, high = math.Min(low, e), math.Max(high, e)
			if e-low >= ElevationThresholdM {
				dir, turn, extreme = 1, low, e
			} else if high-e >= ElevationThresholdM {
				dir, turn, extreme = -1, high, e
			}
		case 1:
			if e > extreme {
				extreme = e
			} else if extreme-e >= ElevationThresholdM {
				gain += extreme - turn
				dir, turn, extreme = -1, extreme, e
			}
		case -1:
			if e < extreme {
				extreme = e
			} else if e-extreme >= ElevationThresholdM {
				loss += turn - extreme
				dir, turn, extreme = 1, extreme, e
			}
		}
	}
	switch dir {
	case 1:
		gain += extreme - turn
	case -1:
		loss += turn - extreme
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
	// A split touching a hidden stretch gets no elevation, even one
	// whose two ends are shown: its climb would describe what is hidden.
	touchesHidden := !pr.shown(0)
	next := unit
	for i := 1; i < n; i++ {
		if !pr.shown(i) {
			lastEle = math.NaN()
			touchesHidden = true
		} else if !math.IsNaN(pr.elevation[i]) {
			lastEle = pr.elevation[i]
		}
		for pr.distanceM[i] >= next && pr.distanceM[i] > pr.distanceM[i-1] && len(out) < maxSplits {
			f := (next - pr.distanceM[i-1]) / (pr.distanceM[i] - pr.distanceM[i-1])
			end := splitMark{next, at(pr.movingS, i, f), at(pr.elapsedS, i, f), pr.elevationAt(i, f, lastEle)}
			shown := end
			if touchesHidden {
				shown.elevation = math.NaN()
			}
			out = append(out, pr.split(startMark, shown, hrSum, hrN))
			startMark, hrSum, hrN = end, 0, 0
			// The step across the boundary is in both splits.
			touchesHidden = !pr.shown(i) || !pr.shown(i-1)
			next += unit
		}
		if hr := pr.points[i].HeartRateBPM; hr > 0 {
			hrSum += float64(hr)
			hrN++
		}
	}
	if rest := total - startMark.dist; rest >= 1 && len(out) < maxSplits {
		end := splitMark{total, pr.movingS[n-1], pr.elapsedS[n-1], lastEle}
		if touchesHidden {
			end.elevation = math.NaN()
		}
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
	for i, e := range pr.elevation {
		if !pr.shown(i) {
			break
		}
		if !math.IsNaN(e) {
			return e
		}
	}
	return math.NaN()
}

// elevationAt is the smoothed elevation at fraction f of step i-1 → i,
// falling back to the last known one where a point has none.
func (pr *profile) elevationAt(i int, f float64, last float64) float64 {
	if !pr.shown(i-1) || !pr.shown(i) {
		return math.NaN()
	}
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
