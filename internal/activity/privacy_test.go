package activity

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

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
	first, last := act.Points[0], act.Points[len(act.Points)-1]
	// A zone on the route, halfway round.
	mid := act.Points[len(act.Points)/2]
	zones := []Zone{{Lat: mid.Lat, Lon: mid.Lon, RadiusM: 150}}

	segments, err := Clean(act.Points, zones, DefaultTrimM, 1)
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
	segments, err := Clean(sparse, []Zone{zone}, 0, 1)
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
	segments, err := Clean(act.Points, nil, 300, 1)
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
	segments, err := Clean(act.Points, nil, 0, 1)
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
	segments, err := Clean(act.Points, nil, 100, 1)
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
		if _, err := Clean(pts, c.zones, c.trim, 1); !errors.Is(err, ErrBadZone) {
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
	segments, err := Clean(points, zones, DefaultTrimM, 1)
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

// firstShown is the first point of the first segment Clean kept.
func firstShown(t *testing.T, segments [][]Point) Point {
	t.Helper()
	if len(segments) == 0 {
		t.Fatal("nothing kept")
	}
	return segments[0][0]
}

func lastShown(segments [][]Point) Point {
	seg := segments[len(segments)-1]
	return seg[len(seg)-1]
}

// TestTheTrimIsAlongTheRouteAndDiffersFromRunToRun is the ring a reader
// could draw from many posts: before, every run's ends were cut at 200 m
// in a straight line from its start, so the ends of runs from one home lay
// on one circle round it. Now each run is cut between trimM and 2·trimM
// along its route, by an amount readers cannot work out, different at
// each end, the same each time the same file is read.
func TestTheTrimIsAlongTheRouteAndDiffersFromRunToRun(t *testing.T) {
	act := synthRun(stretch{1200, 3, 0}) // 3.6 km due north from home
	home := act.Points[0]
	end := act.Points[len(act.Points)-1]
	var starts []float64
	sameAtBothEnds := 0
	for seed := range uint64(20) {
		segments, err := Clean(act.Points, nil, DefaultTrimM, seed)
		if err != nil {
			t.Fatal(err)
		}
		again, _ := Clean(act.Points, nil, DefaultTrimM, seed)
		if firstShown(t, again) != firstShown(t, segments) || lastShown(again) != lastShown(segments) {
			t.Fatalf("seed %d: the same file is cut differently on a second reading", seed)
		}
		first, last := firstShown(t, segments), lastShown(segments)
		fromHome := distanceM(home.Lat, home.Lon, first.Lat, first.Lon)
		fromEnd := distanceM(end.Lat, end.Lon, last.Lat, last.Lon)
		if fromHome < DefaultTrimM || fromHome > 2*DefaultTrimM+5 || fromEnd < DefaultTrimM || fromEnd > 2*DefaultTrimM+5 {
			t.Errorf("seed %d: ends cut %.0f m and %.0f m in, want between %v and twice that", seed, fromHome, fromEnd, DefaultTrimM)
		}
		if math.Abs(fromHome-fromEnd) < 1 {
			sameAtBothEnds++
		}
		starts = append(starts, fromHome)
	}
	if sameAtBothEnds > 3 {
		t.Errorf("%d of 20 runs cut both ends by the same length; want each end its own", sameAtBothEnds)
	}
	lo, hi := starts[0], starts[0]
	for _, d := range starts {
		lo, hi = math.Min(lo, d), math.Max(hi, d)
	}
	if hi-lo < DefaultTrimM/2 {
		t.Errorf("twenty runs from home all start %.0f–%.0f m from it: a ring around the home", lo, hi)
	}
}

// TestTheTrimIsNotUsedUpWaitingAtTheDoor: a fix wandering a few metres a
// second for two minutes at home adds up to hundreds of metres of track,
// more than the trim along the route; the door is still not shown.
func TestTheTrimIsNotUsedUpWaitingAtTheDoor(t *testing.T) {
	act := synthRun()
	rng := rand.New(rand.NewPCG(7, 8))
	stand(act, 120, func(p *Point) {
		p.Lat = 45 + (rng.Float64()*16-8)/metresPerDegreeLat
		p.Lon = 5 + (rng.Float64()*16-8)/metresPerDegreeLat
	})
	resume(act, time.Second, stretch{1200, 3, 0})
	segments, err := Clean(act.Points, nil, DefaultTrimM, 3)
	if err != nil {
		t.Fatal(err)
	}
	assertNothingInside(t, segments, []Zone{{Lat: 45, Lon: 5, RadiusM: DefaultTrimM}})
}

// TestAStaleFirstFixDoesNotMoveTheTrim: the watch's first two fixes are
// where it last had one, 3 km away; a second later it is at home, where
// the run starts. The stale fixes are dropped and the trim starts at home.
func TestAStaleFirstFixDoesNotMoveTheTrim(t *testing.T) {
	act := synthRun(stretch{1200, 3, 0})
	stale := act.Points[0]
	stale.Time = stale.Time.Add(-2 * time.Second)
	stale.Lat -= 3000 / metresPerDegreeLat
	staleAgain := stale
	staleAgain.Time = staleAgain.Time.Add(time.Second)
	act.Points = append([]Point{stale, staleAgain}, act.Points...)
	segments, err := Clean(act.Points, nil, DefaultTrimM, 5)
	if err != nil {
		t.Fatal(err)
	}
	assertNothingInside(t, segments, []Zone{{Lat: 45, Lon: 5, RadiusM: DefaultTrimM}})
	for _, seg := range segments {
		for _, p := range seg {
			if !p.Time.After(staleAgain.Time) {
				t.Fatal("a stale fix, 3 km from the run, is drawn")
			}
		}
	}
}

// TestAZoneIsCutDifferentlyFromRunToRunAndAlwaysCovered: a route through
// a zone stops and starts again at a different place on each run, never
// inside the declared circle.
func TestAZoneIsCutDifferentlyFromRunToRunAndAlwaysCovered(t *testing.T) {
	act := synthRun(stretch{1200, 3, 0})
	zone := Zone{Lat: 45 + 1800/metresPerDegreeLat, Lon: 5, RadiusM: 300}
	var gapStarts []float64
	for seed := range uint64(20) {
		segments, err := Clean(act.Points, []Zone{zone}, 0, seed)
		if err != nil {
			t.Fatal(err)
		}
		if len(segments) != 2 {
			t.Fatalf("seed %d: %d segments, want the route cut at the zone", seed, len(segments))
		}
		assertNothingInside(t, segments, []Zone{zone})
		p := segments[0][len(segments[0])-1]
		gapStarts = append(gapStarts, distanceM(p.Lat, p.Lon, zone.Lat, zone.Lon))
	}
	lo, hi := gapStarts[0], gapStarts[0]
	for _, d := range gapStarts {
		lo, hi = math.Min(lo, d), math.Max(hi, d)
	}
	if hi-lo < zone.RadiusM/10 {
		t.Errorf("twenty runs all stop %.0f–%.0f m from the zone's centre: its edge is drawn", lo, hi)
	}
}

// TestTheChartsDoNotDescribeWhatCleanHides: the elevation, pace and heart
// rate samples and the splits' elevations leave out the trimmed ends and
// the zone — the route's hidden part has no profile a reader could match
// to a map — while the totals still count the whole run.
func TestTheChartsDoNotDescribeWhatCleanHides(t *testing.T) {
	act := synthRun(stretch{600, 10.0 / 3, 40}, stretch{600, 10.0 / 3, -40}) // 4 km, a hill
	zone := Zone{Lat: 45 + 2000/metresPerDegreeLat, Lon: 5, RadiusM: 200}
	public, segments, err := Publish(act, []Zone{zone}, DefaultTrimM, 9)
	if err != nil {
		t.Fatal(err)
	}
	whole := Derive(act)
	if public.DistanceM != whole.DistanceM || public.MovingS != whole.MovingS || public.GainM != whole.GainM {
		t.Errorf("totals %+v, want the whole run's %+v", public, whole)
	}
	shownAt := func(d float64) bool {
		for _, seg := range segments {
			a, b := seg[0], seg[len(seg)-1]
			if d >= distanceM(45, 5, a.Lat, a.Lon) && d <= distanceM(45, 5, b.Lat, b.Lon) {
				return true
			}
		}
		return false
	}
	width := whole.DistanceM / SeriesSamples
	blank, drawn := 0, 0
	for k, s := range public.Series {
		described := s.HasElevation || s.PaceSPerKm > 0 || s.HeartRateBPM > 0
		// A sample describes its whole stretch: all of it must be shown.
		if described && !(shownAt(s.DistanceM-width/2) && shownAt(s.DistanceM+width/2)) {
			t.Errorf("sample %d at %.0f m describes a hidden stretch: %+v", k, s.DistanceM, s)
		}
		if !described {
			blank++
		} else {
			drawn++
		}
		if w := whole.Series[k]; !w.HasElevation || w.HeartRateBPM == 0 {
			t.Fatalf("Derive's sample %d is blank: the run has elevation and heart rate all along", k)
		}
	}
	if blank == 0 || drawn < SeriesSamples/2 {
		t.Errorf("%d samples blank, %d drawn; want the hidden stretches blank and the rest drawn", blank, drawn)
	}
	if sp := public.SplitsKm[0]; sp.HasElevation {
		t.Errorf("the first km, which starts in the trim, climbs %.1f m in the splits", sp.ElevationChangeM)
	}
	if sp := public.SplitsKm[1]; sp.HasElevation {
		t.Errorf("the second km, which ends in the zone, climbs %.1f m in the splits", sp.ElevationChangeM)
	}
	if !whole.SplitsKm[0].HasElevation {
		t.Error("Derive gives the first km no elevation")
	}
}

// TestASplitWithAZoneInsideItHasNoElevation: a zone wholly inside the
// third kilometre leaves both of that split's ends shown, and still the
// split's climb is left out, as every split touching a hidden stretch; the
// second kilometre, clear of the zone and the trimmed ends, keeps its.
func TestASplitWithAZoneInsideItHasNoElevation(t *testing.T) {
	act := synthRun(stretch{600, 10.0 / 3, 40}, stretch{600, 10.0 / 3, -40}) // 4 km, a hill
	zone := Zone{Lat: 45 + 2500/metresPerDegreeLat, Lon: 5, RadiusM: 100}
	for seed := range uint64(10) {
		public, _, err := Publish(act, []Zone{zone}, DefaultTrimM, seed)
		if err != nil {
			t.Fatal(err)
		}
		if sp := public.SplitsKm[2]; sp.HasElevation {
			t.Errorf("seed %d: the third km, with the zone inside it, changes %.1f m in the splits", seed, sp.ElevationChangeM)
		}
		if sp := public.SplitsKm[1]; !sp.HasElevation {
			t.Errorf("seed %d: the second km, clear of the zone and the ends, has no elevation", seed)
		}
	}
}

// TestAGPSDropoutInsideAZoneIsHiddenFromTheCharts: the watch lost its fix
// while the runner crossed the zone, but kept recording heart rate and
// distance; those samples lie inside the zone and the charts leave them
// out like the rest of it.
func TestAGPSDropoutInsideAZoneIsHiddenFromTheCharts(t *testing.T) {
	act := synthRun(stretch{1200, 10.0 / 3, 0}) // 4 km north
	for i := range act.Points {
		act.Points[i].DistanceM, act.Points[i].HasDistance = float64(i)*10/3, true
	}
	zone := Zone{Lat: 45 + 2000/metresPerDegreeLat, Lon: 5, RadiusM: 150}
	for i, p := range act.Points {
		if distanceM(p.Lat, p.Lon, zone.Lat, zone.Lon) <= zone.RadiusM+60 {
			act.Points[i].HasPosition = false
		}
	}
	public, _, err := Publish(act, []Zone{zone}, 0, 4)
	if err != nil {
		t.Fatal(err)
	}
	for k, s := range public.Series {
		if math.Abs(s.DistanceM-2000) < zone.RadiusM && (s.HeartRateBPM > 0 || s.HasElevation || s.PaceSPerKm > 0) {
			t.Errorf("sample %d at %.0f m, inside the zone, is drawn: %+v", k, s.DistanceM, s)
		}
	}
}
