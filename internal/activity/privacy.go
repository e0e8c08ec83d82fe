package activity

import (
	"errors"
	"fmt"
	"math"

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

// Clean returns the parts of a track that may be shown: every point
// inside a zone is removed, and so is everything within trimM metres of
// where each leg starts and ends (measured in a straight line, which also
// covers the first and last trimM metres along the route). Where points
// were removed the route is split, and a line between two kept points that
// would cross a zone is split too, so no drawing passes through one.
// Points without a position are left out; segments of a single point are
// dropped, as they draw nothing.
func Clean(points []Point, zones []Zone, trimM float64) ([][]Point, error) {
	for _, z := range zones {
		if err := z.Validate(); err != nil {
			return nil, err
		}
	}
	if !(trimM >= 0) || math.IsInf(trimM, 0) {
		return nil, fmt.Errorf("privacy trim %g m must be zero or more: %w", trimM, ErrBadZone)
	}

	circles := make([]circle, 0, len(zones)+2)
	for _, z := range zones {
		circles = append(circles, newCircle(z.Lat, z.Lon, z.RadiusM))
	}
	legZones := len(circles)

	var out [][]Point
	var seg []Point
	flush := func() {
		if len(seg) >= 2 {
			out = append(out, seg)
		}
		seg = nil
	}
	for start := 0; start < len(points); {
		end := start
		for end < len(points) && points[end].Leg == points[start].Leg {
			end++
		}
		leg := points[start:end]
		start = end

		circles = circles[:legZones]
		if trimM > 0 {
			if first, last, ok := legEnds(leg); ok {
				circles = append(circles, newCircle(first.Lat, first.Lon, trimM), newCircle(last.Lat, last.Lon, trimM))
			}
		}
		flush() // legs are never joined
		for _, p := range leg {
			if !p.HasPosition {
				continue
			}
			if insideAny(circles, p) {
				flush()
				continue
			}
			if len(seg) > 0 && crossesAny(circles, seg[len(seg)-1], p) {
				flush()
			}
			seg = append(seg, p)
		}
	}
	flush()
	return out, nil
}

func legEnds(leg []Point) (first, last Point, ok bool) {
	for _, p := range leg {
		if p.HasPosition {
			if !ok {
				first = p
			}
			last, ok = p, true
		}
	}
	return first, last, ok
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
