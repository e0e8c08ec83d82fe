package activity

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"github.com/paulmach/orb/project"
	"github.com/paulmach/orb/simplify"
)

// Drawing sizes: enough detail for a route across a phone or a page, and
// few enough points that the page stays light.
const (
	// RoutePoints is the point budget of a route drawing.
	RoutePoints = 500
	// RouteSize is the longer side of the box a route is drawn in.
	RouteSize = 1000.0
	// SeriesSamples is the number of samples of a chart over distance.
	SeriesSamples = 200
)

// XY is a point of a drawing, in the units of its box: x to the right, y
// down, as in SVG.
type XY struct{ X, Y float64 }

// RouteShape is a route ready to draw: projected (Web Mercator), simplified
// and scaled into a box of Width × Height whose longer side is RouteSize.
type RouteShape struct {
	Width, Height float64
	Segments      [][]XY
}

// Points counts the points of all segments.
func (r RouteShape) Points() int {
	n := 0
	for _, s := range r.Segments {
		n += len(s)
	}
	return n
}

// Path is the route as SVG path data ("M x y L x y …"), one subpath per
// segment, so that the gaps Clean made stay gaps.
func (r RouteShape) Path() string {
	var b strings.Builder
	for _, seg := range r.Segments {
		for i, p := range seg {
			if i == 0 {
				b.WriteByte('M')
			} else {
				b.WriteByte('L')
			}
			b.WriteString(strconv.FormatFloat(p.X, 'f', 1, 64))
			b.WriteByte(' ')
			b.WriteString(strconv.FormatFloat(p.Y, 'f', 1, 64))
		}
	}
	return b.String()
}

// Route projects the segments Clean returned and simplifies them to at
// most maxPoints points in all. Taking Clean's output rather than an
// Activity keeps the privacy rule in the way of every drawing: every point
// drawn is one Clean kept, and each segment's first and last points are
// drawn, so the trimmed ends stay where Clean cut them.
//
// Simplifying is two steps of orb's simplify package. First, a point
// closer than a drawing unit (a thousandth of the route's extent) to the
// last one kept is dropped: it could not be seen apart from it, and a
// 100,000-point ultra shrinks to a few thousand points. Then Douglas–
// Peucker runs on what is left, raising the tolerance until the points
// fit; its cost grows faster than the number of points on a route that
// winds back over itself, so the first step is what keeps a long file
// fast. The line drawn strays from the cleaned one by at most a drawing
// unit more than the tolerance — a few metres for a 10 km run — so a line
// skirting a zone could cut its edge by that much: given the zones, Route
// breaks every drawn line that would cross one, leaving a gap there.
func Route(segments [][]Point, maxPoints int, zones ...Zone) RouteShape {
	var mls orb.MultiLineString
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	total := 0
	for _, seg := range segments {
		ls := make(orb.LineString, 0, len(seg))
		for _, p := range seg {
			if !p.HasPosition {
				continue
			}
			xy := project.WGS84.ToMercator(orb.Point{p.Lon, p.Lat})
			ls = append(ls, xy)
			bound = bound.Extend(xy)
		}
		if len(ls) >= 2 {
			mls = append(mls, ls)
			total += len(ls)
		}
	}
	if len(mls) == 0 {
		return RouteShape{}
	}
	extent := math.Max(bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1])
	if extent <= 0 {
		extent = 1
	}

	simplified := mls
	if maxPoints > 0 && total > maxPoints {
		unit := extent / RouteSize
		// Radial keeps each line's first and last points and works in
		// place on the lines just built.
		visible := simplify.Radial(planar.DistanceSquared, unit*unit).MultiLineString(mls)
		simplified = visible
		// Start at a tolerance invisible in the drawing and double it:
		// a few passes over the visible points.
		for tol := unit / 4; countPoints(simplified) > maxPoints && tol <= extent; tol *= 2 {
			simplified = simplify.DouglasPeucker(tol).MultiLineString(visible.Clone())
		}
		if countPoints(simplified) > maxPoints {
			simplified = longestWithin(simplified, maxPoints)
		}
	}

	scale := RouteSize / extent
	shape := RouteShape{
		Width:  math.Max(1, (bound.Max[0]-bound.Min[0])*scale),
		Height: math.Max(1, (bound.Max[1]-bound.Min[1])*scale),
	}
	circles := make([]circle, len(zones))
	for i, z := range zones {
		circles[i] = newCircle(z.Lat, z.Lon, z.RadiusM)
	}
	for _, ls := range simplified {
		seg := make([]XY, 0, len(ls))
		for i, p := range ls {
			if i > 0 && len(circles) > 0 && crossesAny(circles, mercatorPoint(ls[i-1]), mercatorPoint(p)) {
				if len(seg) >= 2 {
					shape.Segments = append(shape.Segments, seg)
				}
				seg = nil
			}
			// Mercator's y grows northwards; a drawing's grows down.
			seg = append(seg, XY{X: (p[0] - bound.Min[0]) * scale, Y: (bound.Max[1] - p[1]) * scale})
		}
		if len(seg) >= 2 {
			shape.Segments = append(shape.Segments, seg)
		}
	}
	return shape
}

// mercatorPoint is a projected vertex back on the map.
func mercatorPoint(xy orb.Point) Point {
	ll := project.Mercator.ToWGS84(xy)
	return Point{Lat: ll[1], Lon: ll[0], HasPosition: true}
}

// longestWithin keeps the longest segments that fit in maxPoints, in
// their order: a route cut into more pieces than the budget (a privacy
// zone on a lapped course) shows its main lines rather than none.
func longestWithin(mls orb.MultiLineString, maxPoints int) orb.MultiLineString {
	order := make([]int, len(mls))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		return cmp.Compare(planar.Length(mls[b]), planar.Length(mls[a]))
	})
	keep := make([]bool, len(mls))
	left := maxPoints
	for _, i := range order {
		if len(mls[i]) <= left {
			keep[i] = true
			left -= len(mls[i])
		}
	}
	var out orb.MultiLineString
	for i, ls := range mls {
		if keep[i] {
			out = append(out, ls)
		}
	}
	return out
}

func countPoints(mls orb.MultiLineString) int {
	n := 0
	for _, ls := range mls {
		n += len(ls)
	}
	return n
}

// Sample is one step of a chart over distance: the run's state around
// DistanceM, averaged over a stretch of total distance / samples.
type Sample struct {
	DistanceM float64 // the middle of the stretch

	ElevationM   float64 // smoothed
	HasElevation bool

	// PaceSPerKm is the moving pace, smoothed over neighbouring samples;
	// 0 where the runner did not move.
	PaceSPerKm float64

	HeartRateBPM float64 // 0 where none was recorded
}

// paceSmoothingSamples is how many samples either side the pace is
// averaged over: GPS pace jitters from second to second.
const paceSmoothingSamples = 2

// series samples a run's elevation, pace and heart rate evenly over its
// distance, for the charts. A sample whose stretch holds a hidden point is
// left blank — a gap in every line — and no other sample's pace is
// smoothed with it. The distance axis still counts from the start: the run's
// distance is on its card anyway, and where the line begins tells only how
// far along the route the hidden start ran, not which way it went.
func (pr *profile) series(samples int) []Sample {
	n := len(pr.points)
	if n < 2 || samples <= 0 {
		return nil
	}
	total := pr.distanceM[n-1]
	if total <= 0 {
		return nil
	}
	width := total / float64(samples)
	if !(width > 0) || !finite(width) {
		return nil // a distance too small (or large) for a float to cut in samples
	}
	type bucket struct {
		movingS, distM float64
		eleSum, eleN   float64
		hrSum, hrN     float64
		hidden         bool
	}
	buckets := make([]bucket, samples)
	for i := 1; i < n; i++ {
		k := min(samples-1, int(pr.distanceM[i]/width))
		b := &buckets[k]
		if !pr.shown(i) || !pr.shown(i-1) {
			b.hidden = true
			continue
		}
		b.distM += pr.distanceM[i] - pr.distanceM[i-1]
		b.movingS += pr.movingS[i] - pr.movingS[i-1]
		if e := pr.elevation[i]; !math.IsNaN(e) {
			b.eleSum += e
			b.eleN++
		}
		if hr := pr.points[i].HeartRateBPM; hr > 0 {
			b.hrSum += float64(hr)
			b.hrN++
		}
	}
	out := make([]Sample, samples)
	for k := range buckets {
		s := Sample{DistanceM: (float64(k) + 0.5) * width}
		b := buckets[k]
		if b.hidden {
			out[k] = s
			continue
		}
		if b.eleN > 0 {
			s.ElevationM, s.HasElevation = b.eleSum/b.eleN, true
		}
		if b.hrN > 0 {
			s.HeartRateBPM = b.hrSum / b.hrN
		}
		var mov, dist float64
		for j := max(0, k-paceSmoothingSamples); j <= min(samples-1, k+paceSmoothingSamples); j++ {
			if buckets[j].hidden {
				continue
			}
			mov += buckets[j].movingS
			dist += buckets[j].distM
		}
		if b.movingS > 0 {
			s.PaceSPerKm = pace(mov, dist)
		}
		out[k] = s
	}
	// A sample whose stretch held no point (a sparse recording) takes its
	// elevation from the one before, so the profile has no holes.
	for k := 1; k < samples; k++ {
		if !out[k].HasElevation && out[k-1].HasElevation && !buckets[k].hidden {
			out[k].ElevationM, out[k].HasElevation = out[k-1].ElevationM, true
		}
	}
	return out
}
