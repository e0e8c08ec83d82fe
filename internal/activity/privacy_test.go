package activity

import (
	"errors"
	"math"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/project"

	"milepost/internal/activity/activitytest"
)

func distanceM(aLat, aLon, bLat, bLon float64) float64 {
	return geo.DistanceHaversine(orb.Point{aLon, aLat}, orb.Point{bLon, bLat})
}

// assertNothingInside checks every kept point, and points every metre or
// so along every line between them, against the zones.
func assertNothingInside(t *testing.T, segments [][]Point, zones []Zone) {
	t.Helper()
	for si, seg := range segments {
		for i, p := range seg {
			for _, z := range zones {
				if d := distanceM(p.Lat, p.Lon, z.Lat, z.Lon); d <= z.RadiusM {
					t.Fatalf("segment %d point %d is %.1f m from a zone of %.0f m", si, i, d, z.RadiusM)
				}
				if i == 0 {
					continue
				}
				q := seg[i-1]
				steps := int(distanceM(p.Lat, p.Lon, q.Lat, q.Lon)) + 1
				for k := 1; k < steps; k++ {
					f := float64(k) / float64(steps)
					lat, lon := q.Lat+f*(p.Lat-q.Lat), q.Lon+f*(p.Lon-q.Lon)
					if d := distanceM(lat, lon, z.Lat, z.Lon); d <= z.RadiusM {
						t.Fatalf("the line to segment %d point %d passes %.1f m from a zone of %.0f m", si, i, d, z.RadiusM)
					}
				}
			}
		}
	}
}

func TestCleanRemovesZonesAndTrimsTheEnds(t *testing.T) {
	act := mustRead(t, "triathlon_fr255.fit", activitytest.File(t, "triathlon_fr255.fit"))
	first, last, _ := legEnds(act.Points)
	// A zone on the route, halfway round.
	mid := act.Points[len(act.Points)/2]
	zones := []Zone{{Lat: mid.Lat, Lon: mid.Lon, RadiusM: 150}}

	segments, err := Clean(act.Points, zones, DefaultTrimM)
	if err != nil {
		t.Fatal(err)
	}
	if len(segments) < 2 {
		t.Fatalf("%d segments, want the route split where the zone is", len(segments))
	}
	trims := []Zone{
		{Lat: first.Lat, Lon: first.Lon, RadiusM: DefaultTrimM},
		{Lat: last.Lat, Lon: last.Lon, RadiusM: DefaultTrimM},
	}
	assertNothingInside(t, segments, append(zones, trims...))

	kept := 0
	for _, seg := range segments {
		kept += len(seg)
	}
	if kept < len(act.Points)/2 {
		t.Errorf("%d of %d points kept: the zone and the trims should hide far less", kept, len(act.Points))
	}
}

func TestCleanSplitsALineThatWouldCrossAZone(t *testing.T) {
	// A sparse recording: one point a minute, 300 m apart, straight over
	// a zone that no point falls in.
	act := synthRun(stretch{1200, 5, 0})
	var sparse []Point
	for i := 0; i < len(act.Points); i += 60 {
		sparse = append(sparse, act.Points[i])
	}
	// Between points 10 and 11 (3000 m and 3300 m): the zone's centre is
	// 3150 m along, 120 m from either point.
	zone := Zone{Lat: 45 + 3150/metresPerDegreeLat, Lon: 5, RadiusM: 100}
	segments, err := Clean(sparse, []Zone{zone}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(segments) != 2 {
		t.Fatalf("%d segments, want the line broken at the zone", len(segments))
	}
	assertNothingInside(t, segments, []Zone{zone})
}

func TestCleanHidesTheEndOfALoopBackHome(t *testing.T) {
	// Out 1 km and back: the last 200 m along the route are hidden, and
	// so is everything else within 200 m of the start (home).
	act := synthRun(stretch{300, 1000.0 / 300, 0}, stretch{300, -1000.0 / 300, 0})
	segments, err := Clean(act.Points, nil, 300)
	if err != nil {
		t.Fatal(err)
	}
	home := Zone{Lat: 45, Lon: 5, RadiusM: 300}
	assertNothingInside(t, segments, []Zone{home})
	if len(segments) != 1 {
		t.Errorf("%d segments, want the middle of the run as one line", len(segments))
	}
}

func TestCleanWithoutZonesOrTrimKeepsEveryPositionedPoint(t *testing.T) {
	act := synthRun(stretch{100, 3, 0})
	act.Points[50].HasPosition = false
	segments, err := Clean(act.Points, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(segments) != 1 || len(segments[0]) != len(act.Points)-1 {
		t.Errorf("%d segments, want one of %d points", len(segments), len(act.Points)-1)
	}
}

func TestCleanKeepsLegsApart(t *testing.T) {
	act := synthRun(stretch{600, 3, 0})
	for i := range act.Points {
		if i >= 300 {
			act.Points[i].Leg = 1
		}
	}
	segments, err := Clean(act.Points, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(segments) != 2 {
		t.Fatalf("%d segments, want one per leg", len(segments))
	}
	// Each leg's own start and end are trimmed.
	legStart := act.Points[300]
	assertNothingInside(t, segments, []Zone{{Lat: legStart.Lat, Lon: legStart.Lon, RadiusM: 100}})
}

func TestPrivacySettingsThatProtectNoOneAreRefused(t *testing.T) {
	pts := synthRun(stretch{10, 3, 0}).Points
	for _, c := range []struct {
		name  string
		zones []Zone
		trim  float64
	}{
		{"zone under 100 m", []Zone{{Lat: 45, Lon: 5, RadiusM: 99}}, 200},
		{"zone with no radius", []Zone{{Lat: 45, Lon: 5}}, 200},
		{"zone off the map", []Zone{{Lat: 95, Lon: 5, RadiusM: 200}}, 200},
		{"zone at 0,0 (an unset zone)", []Zone{{RadiusM: 200}}, 200},
		{"negative trim", nil, -1},
	} {
		if _, err := Clean(pts, c.zones, c.trim); !errors.Is(err, ErrBadZone) {
			t.Errorf("%s: err = %v, want ErrBadZone", c.name, err)
		}
	}
	if err := (Zone{Lat: 45, Lon: 5, RadiusM: MinZoneRadiusM}).Validate(); err != nil {
		t.Errorf("a zone of exactly %v m: %v", MinZoneRadiusM, err)
	}
}

// TestTheRouteOfALongRunDrawsOnlyPointsCleanKept checks the thinning of a
// 100,000-point route before it is simplified: every point drawn is one
// Clean kept, none made up between them, and each drawn line starts and
// ends where Clean's segments do, so the trimmed ends and the zone's edges
// are drawn where Clean cut them.
func TestTheRouteOfALongRunDrawsOnlyPointsCleanKept(t *testing.T) {
	points := longTrack(t, 100_000)
	mid := points[len(points)/3]
	zones := []Zone{{Lat: mid.Lat, Lon: mid.Lon, RadiusM: 200}}
	segments, err := Clean(points, zones, DefaultTrimM)
	if err != nil {
		t.Fatal(err)
	}
	r := Route(segments, RoutePoints)
	if n := r.Points(); n > RoutePoints || n < RoutePoints/4 {
		t.Fatalf("%d points drawn, want up to %d", n, RoutePoints)
	}

	// Clean's points in the drawing's frame, found again by position.
	bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, seg := range segments {
		for _, p := range seg {
			bound = bound.Extend(project.WGS84.ToMercator(orb.Point{p.Lon, p.Lat}))
		}
	}
	scale := RouteSize / math.Max(bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1])
	type cell struct{ x, y int64 }
	at := func(xy XY) cell { return cell{int64(math.Round(xy.X * 1e6)), int64(math.Round(xy.Y * 1e6))} }
	drawn := func(p Point) XY {
		m := project.WGS84.ToMercator(orb.Point{p.Lon, p.Lat})
		return XY{X: (m[0] - bound.Min[0]) * scale, Y: (bound.Max[1] - m[1]) * scale}
	}
	kept, ends := map[cell]bool{}, map[cell]bool{}
	for _, seg := range segments {
		for _, p := range seg {
			kept[at(drawn(p))] = true
		}
		ends[at(drawn(seg[0]))], ends[at(drawn(seg[len(seg)-1]))] = true, true
	}
	for si, seg := range r.Segments {
		for i, xy := range seg {
			if !kept[at(xy)] {
				t.Fatalf("drawn segment %d point %d %+v is no point Clean kept", si, i, xy)
			}
		}
		if !ends[at(seg[0])] || !ends[at(seg[len(seg)-1])] {
			t.Errorf("drawn segment %d runs from %+v to %+v, not from one end of Clean's segments to another", si, seg[0], seg[len(seg)-1])
		}
	}
	assertNothingInside(t, segments, zones)
}

// TestAZoneHoldsExactlyThePointsWithinItsRadius checks the quick box test
// in front of the haversine: points just inside and just outside zones
// at the equator, at high latitudes, next to a pole and across the
// antimeridian are told apart as the haversine tells them.
func TestAZoneHoldsExactlyThePointsWithinItsRadius(t *testing.T) {
	for _, z := range []Zone{
		{Lat: 0, Lon: 0.5, RadiusM: 100},
		{Lat: 45.2, Lon: 5.7, RadiusM: 250},
		{Lat: 69.6, Lon: 18.9, RadiusM: 5000},
		{Lat: -78, Lon: 166, RadiusM: 20000},
		{Lat: 89.995, Lon: 10, RadiusM: 1000},
		{Lat: -16.8, Lon: 179.999, RadiusM: 500},
		{Lat: 30, Lon: 60, RadiusM: 3_000_000},
	} {
		c := newCircle(z.Lat, z.Lon, z.RadiusM)
		for bearing := 0.0; bearing < 360; bearing += 7.5 {
			for _, f := range []float64{0.5, 0.999, 1.001, 1.5, 3} {
				q := geo.PointAtBearingAndDistance(orb.Point{z.Lon, z.Lat}, bearing, z.RadiusM*f)
				if q[0] > 180 {
					q[0] -= 360
				} else if q[0] < -180 {
					q[0] += 360
				}
				p := Point{Lat: q[1], Lon: q[0], HasPosition: true}
				want := distanceM(p.Lat, p.Lon, z.Lat, z.Lon) <= z.RadiusM
				if got := c.contains(p); got != want {
					t.Errorf("zone %+v, point at %.0f° and %.3f radii (%.6f, %.6f): inside %v, the haversine says %v",
						z, bearing, f, p.Lat, p.Lon, got, want)
				}
			}
		}
	}
}
