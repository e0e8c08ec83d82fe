package activity_test

import (
	"bytes"
	"context"
	"testing"

	"milepost/internal/activity"
	"milepost/internal/activity/chart"
)

// BenchmarkWholeRun is the first view of a 100,000-point file (a long
// ride or an ultra) of each format: read, derive every figure, clean the
// route of a privacy zone and the trimmed ends, simplify it, and draw all
// five charts of the post page. The track is a real run repeated with
// drift, so the route is as hard to simplify as a real long one.
func BenchmarkWholeRun(b *testing.B) {
	points := activity.LongTrack(b, 100_000)
	mid := points[len(points)/3]
	zones := []activity.Zone{{Lat: mid.Lat, Lon: mid.Lon, RadiusM: 200}}
	for _, f := range []struct {
		name string
		data []byte
	}{
		{"fit", activity.EncodeFIT(b, points, activity.RunningSession(points))},
		{"gpx", activity.EncodeGPX(points)},
		{"tcx", activity.EncodeTCX(points)},
	} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(f.data)))
			for b.Loop() {
				act, err := activity.Read(context.Background(), "run."+f.name, bytes.NewReader(f.data))
				if err != nil {
					b.Fatal(err)
				}
				if len(act.Points) < 99_000 {
					b.Fatalf("%d points read", len(act.Points))
				}
				s, segments, err := activity.Publish(act, zones, activity.DefaultTrimM, activity.SeedOf(f.data))
				if err != nil {
					b.Fatal(err)
				}
				shape := activity.Route(segments, activity.RoutePoints, zones...)
				if shape.Points() > activity.RoutePoints {
					b.Fatalf("route of %d points", shape.Points())
				}
				for _, c := range []chart.Chart{
					chart.Route(shape, s.DistanceM, activity.Metric),
					chart.Elevation(s.Series, activity.Metric),
					chart.Pace(s.Series, activity.Metric),
					chart.HeartRate(s.Series, activity.Metric),
					chart.Splits(s.SplitsKm, activity.Metric),
				} {
					if c.SVG == "" {
						b.Fatal("a chart drew nothing")
					}
				}
			}
		})
	}
}
