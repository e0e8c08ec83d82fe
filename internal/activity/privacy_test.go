package activity

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
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
	act := mustRead(t, "triathlon_fr255.fit", readTestFile(t, "triathlon_fr255.fit"))
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
