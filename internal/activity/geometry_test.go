package activity

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
	"github.com/paulmach/orb/project"

	"milepost/internal/activity/activitytest"
)

func TestRouteIsProjectedSimplifiedAndFitsItsBox(t *testing.T) {
	act := mustRead(t, "triathlon_fr255.fit", activitytest.File(t, "triathlon_fr255.fit"))
	segments, err := Clean(act.Points, nil, DefaultTrimM, 1)
	if err != nil {
		t.Fatal(err)
	}
	in := 0
	for _, s := range segments {
		in += len(s)
	}
	for _, budget := range []int{RoutePoints, 50} {
		r := Route(segments, budget)
		if n := r.Points(); n > budget || n < 4 {
			t.Errorf("budget %d: %d points from %d", budget, n, in)
		}
		if !within(math.Max(r.Width, r.Height), RouteSize, 1e-9) {
			t.Errorf("box %.1f × %.1f, want the longer side %v", r.Width, r.Height, RouteSize)
		}
		for _, seg := range r.Segments {
			for _, p := range seg {
				if p.X < -1e-9 || p.Y < -1e-9 || p.X > r.Width+1e-9 || p.Y > r.Height+1e-9 {
					t.Fatalf("point %+v outside the %.1f × %.1f box", p, r.Width, r.Height)
				}
			}
		}
		if got := strings.Count(r.Path(), "M"); got != len(r.Segments) || len(r.Segments) != len(segments) {
			t.Errorf("%d subpaths for %d segments from Clean's %d", got, len(r.Segments), len(segments))
		}
	}
}

func TestRouteKeepsNorthUpAndItsEnds(t *testing.T) {
	// Due north for 2 km, then due east for 1 km.
	act := synthRun(stretch{600, 1000.0 / 300, 0})
	eastward := (1000.0 / 300) / (metresPerDegreeLat * math.Cos(act.Points[len(act.Points)-1].Lat*math.Pi/180))
	lon := act.Points[len(act.Points)-1].Lon
	stand(act, 300, func(p *Point) {
		lon += eastward
		p.Lon = lon
	})
	r := Route([][]Point{act.Points}, 10)
	seg := r.Segments[0]
	start, corner, end := seg[0], seg[1], seg[len(seg)-1]
	if len(seg) != 3 {
		t.Fatalf("%d points, want the two straight lines as three", len(seg))
	}
	if !(start.Y > corner.Y && math.Abs(start.X-corner.X) < 1) || !(end.X > corner.X && math.Abs(end.Y-corner.Y) < 1) {
		t.Errorf("start %+v corner %+v end %+v: north must be up and east right", start, corner, end)
	}
	if !within(r.Height, RouteSize, 1e-9) || math.Abs(r.Width-RouteSize/2) > 5 {
		t.Errorf("box %.1f × %.1f, want 500 × 1000", r.Width, r.Height)
	}
}

func TestSeriesOverDistance(t *testing.T) {
	// 3 km at 5:00/km climbing 30 m, then 3 km at 4:00/km back down.
	act := synthRun(stretch{900, 1000.0 / 300, 30}, stretch{720, 1000.0 / 240, -30})
	series := newProfile(act.Points).series(60)
	if len(series) != 60 {
		t.Fatalf("%d samples", len(series))
	}
	for i, s := range series {
		if i > 0 && s.DistanceM <= series[i-1].DistanceM {
			t.Fatalf("sample %d at %.0f m after %.0f m", i, s.DistanceM, series[i-1].DistanceM)
		}
		if !s.HasElevation || s.HeartRateBPM != 150 {
			t.Fatalf("sample %d: %+v", i, s)
		}
	}
	if p := series[10].PaceSPerKm; !within(p, 300, 0.02) {
		t.Errorf("pace at 1 km %.1f s/km, want 5:00", p)
	}
	if p := series[50].PaceSPerKm; !within(p, 240, 0.02) {
		t.Errorf("pace at 5 km %.1f s/km, want 4:00", p)
	}
	top := series[29]
	if top.ElevationM < series[0].ElevationM+25 || top.ElevationM < series[59].ElevationM+25 {
		t.Errorf("elevation at the top %.1f, start %.1f, end %.1f", top.ElevationM, series[0].ElevationM, series[59].ElevationM)
	}
}

func TestSeriesShowsAStopAsNoPace(t *testing.T) {
	act := synthRun(stretch{300, 1000.0 / 300, 0})
	stand(act, 600, nil)
	resume(act, time.Second, stretch{300, 1000.0 / 300, 0})
	for _, s := range newProfile(act.Points).series(20) {
		if !within(s.PaceSPerKm, 300, 0.02) {
			t.Errorf("pace %.1f s/km at %.0f m: a stop must not slow the pace around it", s.PaceSPerKm, s.DistanceM)
		}
	}
}

// TestASimplifiedLineDoesNotCutAZone: a route skirting a zone a few metres
// outside it, simplified hard, would be drawn as chords across the zone's
// edge; given the zone, Route leaves gaps there instead.
func TestASimplifiedLineDoesNotCutAZone(t *testing.T) {
	zone := Zone{Lat: 45, Lon: 5, RadiusM: 300}
	centre := orb.Point{zone.Lon, zone.Lat}
	// Up a road to the zone's west, round its north side a metre off
	// its edge, and away down a road to its east.
	var arc []Point
	at := func(q orb.Point) { arc = append(arc, Point{Lat: q[1], Lon: q[0], HasPosition: true}) }
	west := geo.PointAtBearingAndDistance(centre, 270, zone.RadiusM+1)
	for i := range 100 {
		at(geo.PointAtBearingAndDistance(west, 180, 1000*float64(100-i)/100))
	}
	for i := range 1000 {
		at(geo.PointAtBearingAndDistance(centre, 270+180*float64(i)/999, zone.RadiusM+1))
	}
	east := geo.PointAtBearingAndDistance(centre, 90, zone.RadiusM+1)
	for i := range 100 {
		at(geo.PointAtBearingAndDistance(east, 180, 1000*float64(i+1)/100))
	}
	// The drawing's vertices are points of the arc: find them again.
	original := func(r RouteShape) [][]Point {
		bound := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
		for _, p := range arc {
			bound = bound.Extend(project.WGS84.ToMercator(orb.Point{p.Lon, p.Lat}))
		}
		scale := RouteSize / math.Max(bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1])
		var out [][]Point
		for _, seg := range r.Segments {
			var line []Point
			for _, xy := range seg {
				ll := project.Mercator.ToWGS84(orb.Point{xy.X/scale + bound.Min[0], bound.Max[1] - xy.Y/scale})
				line = append(line, Point{Lat: ll[1], Lon: ll[0], HasPosition: true})
			}
			out = append(out, line)
		}
		return out
	}
	c := newCircle(zone.Lat, zone.Lon, zone.RadiusM)
	cuts := func(lines [][]Point) int {
		n := 0
		for _, line := range lines {
			for i := 1; i < len(line); i++ {
				if c.crosses(line[i-1], line[i]) {
					n++
				}
			}
		}
		return n
	}
	if n := cuts(original(Route([][]Point{arc}, 20))); n == 0 {
		t.Fatal("simplified to 20 points without the zone, no line cuts it: the test proves nothing")
	}
	r := Route([][]Point{arc}, 20, zone)
	if n := cuts(original(r)); n > 0 {
		t.Errorf("%d drawn lines cut the zone", n)
	}
	if r.Points() == 0 {
		t.Error("nothing drawn")
	}
}
