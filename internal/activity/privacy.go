package activity

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"math"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// Privacy rules. Every output that shows where a run went — the route
// drawing, a GPX download, a feed — is built from Clean's result, never
// from the file's points.
const (
	// MinZoneRadiusM is the smallest privacy zone: a smaller circle around
	// a home narrows it down to the house.
	MinZoneRadiusM = 100.0

	// DefaultTrimM is how much of a route's start and end is hidden when
	// the site does not say.
	DefaultTrimM = 200.0
)

// Zone is a privacy zone: a circle no point of a published route enters.
type Zone struct {
	Lat, Lon float64 // degrees
	RadiusM  float64
}

// ErrBadZone is matched by the errors of Zone.Validate and Clean for a
// zone or trim that cannot protect anyone.
var ErrBadZone = errors.New("invalid privacy setting")

// Validate refuses a zone that is not on the map or is smaller than
// MinZoneRadiusM.
func (z Zone) Validate() error {
	if !validPosition(z.Lat, z.Lon) {
		return fmt.Errorf("privacy zone at %g, %g is not a place on the map: %w", z.Lat, z.Lon, ErrBadZone)
	}
	if !(z.RadiusM >= MinZoneRadiusM) || math.IsInf(z.RadiusM, 0) {
		return fmt.Errorf("privacy zone radius %g m is under the minimum of %g m: %w", z.RadiusM, MinZoneRadiusM, ErrBadZone)
	}
	return nil
}

// Clean returns the parts of a track that may be shown. seed is the
// run's secret (see SeedOf): it is what makes each run's cut different,
// so that no one post — nor two or three — gives the start away.
//
// First, fixes no runner could have reached are dropped (possibleStep, the
// rule the figures use): a watch's stale first fix, kilometres from where
// the run began, must not become the start the trim is measured from.
//
// Then each leg's ends are trimmed: its first trimM metres and then some,
// and its last trimM metres and then some, the extra being between 0 and
// trimM, different at each end and drawn from seed. The length is cut
// along the route, and nothing closer to the end than that length in a
// straight line is kept either (a route that turns back past the door).
// So a visible end is at no fixed distance from the start: the ends of many
// runs do not lie on one ring around a home, and readers cannot work the
// extra out, as the seed comes from the original file's bytes, which are
// never served. The straight line also keeps a fix wandering while the
// runner waits at the door, which uses the length along the route up in
// place, from leaving the door shown.
//
// Every point inside a zone is removed too. Each zone is cut, for this
// run, as a circle whose centre is moved by an amount and in a direction
// drawn from seed, its radius grown by as much: the declared circle is
// always covered, and where a route crosses into the zone differs from
// run to run rather than tracing the declared circle's edge.
//
// Where points were removed the route is split, and a line between two
// kept points that would cross a zone is split too, so no drawing passes
// through one. Points without a position are left out; segments of a
// single point are dropped, as they draw nothing.
//
// What this cannot do: a zone hides a place from any one post, but the
// routes of many posts leaving the same place all stop at the edge of the
// same (moved) circles, and a patient reader can estimate its middle.
// Zones are best well over MinZoneRadiusM, drawn around a whole street.
func Clean(points []Point, zones []Zone, trimM float64, seed uint64) ([][]Point, error) {
	hidden, err := hiddenPoints(points, zones, trimM, seed)
	if err != nil {
		return nil, err
	}
	return shownSegments(points, hidden), nil
}

// Publish is what readers get of a run: its figures, whose charts and
// split elevations leave out what Clean hides, and its route as Clean
// leaves it. Both come from one reckoning of what is hidden.
func Publish(act *Activity, zones []Zone, trimM float64, seed uint64) (Summary, [][]Point, error) {
	hidden, err := hiddenPoints(act.Points, zones, trimM, seed)
	if err != nil {
		return Summary{}, nil, err
	}
	return derive(act, spreadOverGaps(act.Points, hidden)), shownSegments(act.Points, hidden), nil
}

// spreadOverGaps returns hidden with each point without a position marked
// as hidden when the last or next point of its leg with one is: a
// heart-rate sample taken while the GPS dropped out inside a zone is
// inside it too. A leg with no positions at all hides nothing.
func spreadOverGaps(points []Point, hidden []bool) []bool {
	out := slices.Clone(hidden)
	last := -1 // the last positioned point of the leg
	for i, p := range points {
		if i > 0 && p.Leg != points[i-1].Leg {
			last = -1
		}
		if p.HasPosition {
			if hidden[i] {
				// The points without a position since the last fix lie
				// between it and this hidden one.
				for j := i - 1; j > last && j >= 0 && points[j].Leg == p.Leg; j-- {
					out[j] = true
				}
			}
			last = i
			continue
		}
		if last >= 0 && hidden[last] {
			out[i] = true
		}
	}
	return out
}

// startChain is how many reachable steps must follow the fix a leg
// starts at: more than the stale fixes a watch writes before it locks on.
const startChain = 5

// hiddenPoints marks each point no output may show.
func hiddenPoints(points []Point, zones []Zone, trimM float64, seed uint64) ([]bool, error) {
	for _, z := range zones {
		if err := z.Validate(); err != nil {
			return nil, err
		}
	}
	if !(trimM >= 0) || math.IsInf(trimM, 0) {
		return nil, fmt.Errorf("privacy trim %g m must be zero or more: %w", trimM, ErrBadZone)
	}
	circles := make([]circle, 0, len(zones))
	for i, z := range zones {
		circles = append(circles, movedZone(z, seed, i))
	}

	// A point without a position is never drawn (shownSegments skips it)
	// and hides nothing: it is marked only by Publish, for the charts.
	hidden := make([]bool, len(points))
	legNumber := 0
	for start := 0; start < len(points); legNumber++ {
		end := start
		for end < len(points) && points[end].Leg == points[start].Leg {
			end++
		}
		leg, legHidden := points[start:end], hidden[start:end]
		dropImpossibleFixes(leg, legHidden)
		if trimM > 0 {
			trimEnds(leg, legHidden,
				trimM*(1+seedFraction(seed, 2*legNumber)),
				trimM*(1+seedFraction(seed, 2*legNumber+1)))
		}
		start = end
	}
	if len(circles) > 0 {
		for i, p := range points {
			if p.HasPosition && !hidden[i] && insideAny(circles, p) {
				hidden[i] = true
			}
		}
	}
	return markCrossings(points, hidden, circles), nil
}

// markCrossings hides the later of two consecutive shown points whose
// straight line would cross a zone, which splits the route there: no
// drawing joins them through the zone.
func markCrossings(points []Point, hidden []bool, circles []circle) []bool {
	if len(circles) == 0 {
		return hidden
	}
	last := -1
	for i := range points {
		if !points[i].HasPosition {
			continue
		}
		if hidden[i] {
			last = -1
			continue
		}
		if last >= 0 && points[i].Leg == points[last].Leg && crossesAny(circles, points[last], points[i]) {
			// Hiding the later point splits the line; a point on both
			// sides of a zone's chord is rare enough that losing it costs
			// nothing to the drawing.
			hidden[i] = true
			last = -1
			continue
		}
		last = i
	}
	return hidden
}

// shownSegments cuts the points not hidden into the segments to draw:
// a new one wherever points were hidden and at every change of leg.
//
// The segments are cut from one array made to hold every point, rather
// than each grown as it goes: 100,000 points of 128 bytes, grown, were
// copied over and over.
func shownSegments(points []Point, hidden []bool) [][]Point {
	var out [][]Point
	shown := make([]Point, 0, len(points))
	start := 0 // where the segment being gathered starts in shown
	flush := func() {
		if len(shown)-start >= 2 {
			// Capped at its end, so that appending to one segment never
			// writes over the next.
			out = append(out, shown[start:len(shown):len(shown)])
		} else {
			shown = shown[:start] // a lone point is no line
		}
		start = len(shown)
	}
	for i, p := range points {
		if !p.HasPosition {
			continue // left out, without splitting the line
		}
		if hidden[i] || (len(shown) > start && shown[len(shown)-1].Leg != p.Leg) {
			flush()
		}
		if !hidden[i] {
			shown = append(shown, p)
		}
	}
	flush()
	return out
}

// dropImpossibleFixes hides the fixes of a leg that imply a speed no
// runner makes: the leg starts at its first fix that begins a chain of
// reachable steps, and every later fix must be reachable from the last one
// kept (which heals: the longer since it, the farther is reachable).
// Fixes without a time cannot be judged and are kept.
func dropImpossibleFixes(leg []Point, hidden []bool) {
	reachable := func(a, b *Point) bool {
		dt := b.Time.Sub(a.Time).Seconds()
		if a.Time.IsZero() || b.Time.IsZero() || dt <= 0 {
			return true
		}
		return possibleStep(metresBetween(a, b), dt)
	}
	ref := -1
	for i := range leg {
		if hidden[i] || !leg[i].HasPosition {
			continue
		}
		if ref < 0 {
			// The leg starts at the first fix that begins startChain
			// reachable steps (or as many as the leg has left): a stale
			// fix, or a few, break the chain.
			chained, from, broken := 0, i, false
			for next := i + 1; next < len(leg) && chained < startChain; next++ {
				if hidden[next] || !leg[next].HasPosition {
					continue
				}
				if !reachable(&leg[from], &leg[next]) {
					broken = true
					break
				}
				chained, from = chained+1, next
			}
			if broken {
				hidden[i] = true // a stale fix: a later one starts the leg
				continue
			}
			ref = i
			continue
		}
		if !reachable(&leg[ref], &leg[i]) {
			hidden[i] = true
			continue
		}
		ref = i
	}
}

// trimEnds hides the first startM and the last endM metres of a leg's
// shown fixes, measured along the route, and every fix within as much of
// the first or last one in a straight line (see Clean).
func trimEnds(leg []Point, hidden []bool, startM, endM float64) {
	along := make([]float64, len(leg))
	first, prev, total := -1, -1, 0.0
	for i := range leg {
		if hidden[i] || !leg[i].HasPosition {
			continue
		}
		if prev >= 0 {
			total += metresBetween(&leg[prev], &leg[i])
		} else {
			first = i
		}
		along[i], prev = total, i
	}
	if first < 0 {
		return
	}
	last := first
	for i := range leg {
		if !hidden[i] && leg[i].HasPosition {
			last = i
		}
	}
	start, end := leg[first], leg[last]
	for i := range leg {
		if !leg[i].HasPosition || hidden[i] {
			continue
		}
		if along[i] < startM || along[i] > total-endM ||
			metresBetween(&start, &leg[i]) < startM || metresBetween(&end, &leg[i]) < endM {
			hidden[i] = true
		}
	}
}

// movedZone is zone number i as this run cuts it (see Clean): its centre
// moved up to half its radius, its radius grown by the move.
func movedZone(z Zone, seed uint64, i int) circle {
	moveM := z.RadiusM / 2 * seedFraction(seed, 1000+2*i)
	bearing := 2 * math.Pi * seedFraction(seed, 1001+2*i)
	const metresPerDegree = orb.EarthRadius * math.Pi / 180
	lat := z.Lat + moveM*math.Cos(bearing)/metresPerDegree
	lon := z.Lon + moveM*math.Sin(bearing)/(metresPerDegree*math.Max(math.Cos(z.Lat*math.Pi/180), 1e-6))
	if lat > 90 || lat < -90 {
		lat, lon, moveM = z.Lat, z.Lon, 0 // at a pole, the declared circle itself
	}
	return newCircle(lat, lonDifference(lon, 0), z.RadiusM+moveM+movedZoneMarginM)
}

// movedZoneMarginM covers the flat-map arithmetic of movedZone: a moved
// centre is off by centimetres, never by this much.
const movedZoneMarginM = 1.0

func metresBetween(a, b *Point) float64 {
	return geo.DistanceHaversine(orb.Point{a.Lon, a.Lat}, orb.Point{b.Lon, b.Lat})
}

// SeedOf is the privacy seed of an activity file: drawn from a hash of its
// original bytes, which are never served, so readers cannot compute it,
// and the same each time the file is read.
func SeedOf(original []byte) uint64 {
	sum := sha256.Sum256(original)
	return binary.LittleEndian.Uint64(sum[:8])
}

// SeedHash is SeedOf for a file read as a stream: write its bytes to it.
type SeedHash struct{ h hash.Hash }

func NewSeedHash() *SeedHash { return &SeedHash{sha256.New()} }

func (s *SeedHash) Write(p []byte) (int, error) { return s.h.Write(p) }

// Seed is SeedOf the bytes written.
func (s *SeedHash) Seed() uint64 { return binary.LittleEndian.Uint64(s.h.Sum(nil)[:8]) }

// seedFraction is the k-th number in [0, 1) drawn from seed (SplitMix64's
// mixing, so that nearby k give unrelated numbers).
func seedFraction(seed uint64, k int) float64 {
	z := seed + uint64(k+1)*0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return float64(z>>11) / (1 << 53)
}

// circle is a zone with what the tests of a point or line against it need.
type circle struct {
	center  orb.Point // lon, lat
	radiusM float64
	cosLat  float64

	// maxDLat and maxDLon bound, in degrees, how far from the centre a
	// point inside can be: most points of a track are far from every
	// zone, and two subtractions tell so before a haversine.
	maxDLat, maxDLon float64
}

func newCircle(lat, lon, radiusM float64) circle {
	c := circle{center: orb.Point{lon, lat}, radiusM: radiusM, cosLat: math.Cos(lat * math.Pi / 180)}
	// The great-circle distance d (radians) between the centre (φ1) and a
	// point (φ2, Δλ away) has hav d = hav Δφ + cos φ1 cos φ2 hav Δλ. So
	// d ≥ |Δφ|, and within the latitudes that leaves, hav d ≥ cos² φmax
	// hav Δλ: a point inside has sin(Δλ/2) ≤ sin(a/2) / cos φmax. The
	// margin covers rounding; near a pole no longitude is ruled out.
	const margin = 1 + 1e-6
	a := radiusM / orb.EarthRadius
	c.maxDLat = a * 180 / math.Pi * margin
	c.maxDLon = 360
	if phiMax := (math.Abs(lat) + c.maxDLat) * math.Pi / 180; phiMax < math.Pi/2 {
		if s := math.Sin(a/2) / math.Cos(phiMax); s < 1 {
			c.maxDLon = 2 * math.Asin(s) * 180 / math.Pi * margin
		}
	}
	return c
}

func (c circle) contains(p Point) bool {
	if math.Abs(p.Lat-c.center[1]) > c.maxDLat || math.Abs(lonDifference(p.Lon, c.center[0])) > c.maxDLon {
		return false
	}
	return geo.DistanceHaversine(c.center, orb.Point{p.Lon, p.Lat}) <= c.radiusM
}

// lonDifference is a−b in degrees, the short way round: -180 to 180.
func lonDifference(a, b float64) float64 {
	d := a - b
	if d > 180 {
		d -= 360
	} else if d < -180 {
		d += 360
	}
	return d
}

// crosses reports whether the straight line from a to b passes within the
// circle. Lines are short next to the Earth, so they are measured on a
// flat map centred on the circle.
func (c circle) crosses(a, b Point) bool {
	ax, ay := c.local(a)
	bx, by := c.local(b)
	r := c.radiusM
	if (ax > r && bx > r) || (ax < -r && bx < -r) || (ay > r && by > r) || (ay < -r && by < -r) {
		return false // the line's box is clear of the circle's
	}
	dx, dy := bx-ax, by-ay
	t := 0.0
	if l2 := dx*dx + dy*dy; l2 > 0 {
		t = math.Max(0, math.Min(1, -(ax*dx+ay*dy)/l2))
	}
	x, y := ax+t*dx, ay+t*dy
	return math.Hypot(x, y) <= r
}

func (c circle) local(p Point) (x, y float64) {
	const metresPerDegree = orb.EarthRadius * math.Pi / 180
	return lonDifference(p.Lon, c.center[0]) * c.cosLat * metresPerDegree, (p.Lat - c.center[1]) * metresPerDegree
}

func insideAny(cs []circle, p Point) bool {
	for _, c := range cs {
		if c.contains(p) {
			return true
		}
	}
	return false
}

func crossesAny(cs []circle, a, b Point) bool {
	for _, c := range cs {
		if c.crosses(a, b) {
			return true
		}
	}
	return false
}
