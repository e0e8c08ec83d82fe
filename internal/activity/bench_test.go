package activity

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"milepost/internal/activity/activitytest"
)

// longTrack repeats the real run of triathlon_fr255.fit, one lap after
// another, until it has n points: an ultra of the size the issue names.
// Each lap is shifted east by a third of the run's width, as a long route
// drifts across the map rather than retracing one line: on a single loop
// drawn over itself the route's simplification has far less to do.
func longTrack(tb testing.TB, n int) []Point {
	tb.Helper()
	run := mustRead(tb, "triathlon_fr255.fit", activitytest.File(tb, "triathlon_fr255.fit")).Points
	span := run[len(run)-1].Time.Sub(run[0].Time) + time.Second
	lapDistance := run[len(run)-1].DistanceM
	west, east := math.Inf(1), math.Inf(-1)
	for _, p := range run {
		if p.HasPosition {
			west, east = min(west, p.Lon), max(east, p.Lon)
		}
	}
	drift := (east - west) / 3
	out := make([]Point, 0, n)
	for lap := 0; len(out) < n; lap++ {
		for _, p := range run {
			if len(out) == n {
				break
			}
			p.Time = p.Time.Add(time.Duration(lap) * span)
			p.DistanceM += float64(lap) * lapDistance
			p.Lon += float64(lap) * drift
			out = append(out, p)
		}
	}
	return out
}

func encodeGPX(points []Point) []byte {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<gpx version="1.1" creator="bench" xmlns="http://www.topografix.com/GPX/1/1" xmlns:gpxtpx="http://www.garmin.com/xmlschemas/TrackPointExtension/v1"><trk><type>running</type><trkseg>` + "\n")
	for _, p := range points {
		if !p.HasPosition {
			continue
		}
		fmt.Fprintf(&buf, `<trkpt lat="%.7f" lon="%.7f"><ele>%.1f</ele><time>%s</time><extensions><gpxtpx:TrackPointExtension><gpxtpx:hr>%d</gpxtpx:hr></gpxtpx:TrackPointExtension></extensions></trkpt>`+"\n",
			p.Lat, p.Lon, p.ElevationM, p.Time.Format(time.RFC3339), p.HeartRateBPM)
	}
	buf.WriteString("</trkseg></trk></gpx>\n")
	return buf.Bytes()
}

// encodeTCX writes points as one running lap of a TCX file, as Garmin
// Connect exports it: position, altitude, the watch's distance and heart
// rate on each trackpoint.
func encodeTCX(points []Point) []byte {
	var buf bytes.Buffer
	first, last := points[0], points[len(points)-1]
	fmt.Fprintf(&buf, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+
		`<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"><Activities><Activity Sport="Running"><Id>%s</Id>`+
		`<Lap StartTime="%s"><TotalTimeSeconds>%.1f</TotalTimeSeconds><DistanceMeters>%.1f</DistanceMeters><Track>`+"\n",
		first.Time.Format(time.RFC3339), first.Time.Format(time.RFC3339), last.Time.Sub(first.Time).Seconds(), last.DistanceM-first.DistanceM)
	for _, p := range points {
		fmt.Fprintf(&buf, `<Trackpoint><Time>%s</Time>`, p.Time.Format(time.RFC3339))
		if p.HasPosition {
			fmt.Fprintf(&buf, `<Position><LatitudeDegrees>%.7f</LatitudeDegrees><LongitudeDegrees>%.7f</LongitudeDegrees></Position>`, p.Lat, p.Lon)
		}
		if p.HasElevation {
			fmt.Fprintf(&buf, `<AltitudeMeters>%.1f</AltitudeMeters>`, p.ElevationM)
		}
		if p.HasDistance {
			fmt.Fprintf(&buf, `<DistanceMeters>%.1f</DistanceMeters>`, p.DistanceM)
		}
		if p.HeartRateBPM > 0 {
			fmt.Fprintf(&buf, `<HeartRateBpm><Value>%d</Value></HeartRateBpm>`, p.HeartRateBPM)
		}
		buf.WriteString("</Trackpoint>\n")
	}
	buf.WriteString("</Track></Lap></Activity></Activities></TrainingCenterDatabase>\n")
	return buf.Bytes()
}

// BenchmarkReadAndDerive reads a 100,000-point file and derives every
// figure and chart series from it: the cost of an activity's first view.
func BenchmarkReadAndDerive(b *testing.B) {
	points := longTrack(b, 100_000)
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"run.fit", encodeFIT(b, points, runningSession(points))},
		{"run.gpx", encodeGPX(points)},
	} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(f.data)))
			for b.Loop() {
				act, err := Read(context.Background(), f.name, bytes.NewReader(f.data))
				if err != nil {
					b.Fatal(err)
				}
				if len(act.Points) < 99_000 {
					b.Fatalf("%d points read", len(act.Points))
				}
				Derive(act)
			}
		})
	}
}

// BenchmarkRoute cleans a 100,000-point track of a privacy zone and the
// trimmed ends and simplifies it for drawing.
func BenchmarkRoute(b *testing.B) {
	points := longTrack(b, 100_000)
	mid := points[len(points)/3]
	zones := []Zone{{Lat: mid.Lat, Lon: mid.Lon, RadiusM: 200}}
	b.ReportAllocs()
	for b.Loop() {
		segments, err := Clean(points, zones, DefaultTrimM, 1)
		if err != nil {
			b.Fatal(err)
		}
		if r := Route(segments, RoutePoints); r.Points() > RoutePoints {
			b.Fatalf("%d points", r.Points())
		}
	}
}
