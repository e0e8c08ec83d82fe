package activity

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"unsafe"

	"milepost/internal/activity/activitytest"
)

func TestTheGPXDownloadReadsBackAsTheCleanedTrack(t *testing.T) {
	act := mustRead(t, "triathlon_fr255.fit", activitytest.File(t, "triathlon_fr255.fit"))
	mid := act.Points[len(act.Points)/2]
	segments, err := Clean(act.Points, []Zone{{Lat: mid.Lat, Lon: mid.Lon, RadiusM: 150}}, DefaultTrimM, 1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if size := unsafe.Sizeof(TrackPoint{}); size > 32 {
		t.Errorf("a download's point takes %d bytes, kept for the server's life: keep position and elevation only", size)
	}
	if err := WriteGPX(context.Background(), &buf, `Tempo & hills <Sunday>`, Track(segments)); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if n := strings.Count(out, "<trkseg>"); n != len(segments) {
		t.Errorf("%d <trkseg> for %d cleaned segments: the gaps must stay gaps", n, len(segments))
	}
	for _, leak := range []string{"<time>", "<extensions>", "hr>", "cad>"} {
		if strings.Contains(out, leak) {
			t.Errorf("the download carries %s", leak)
		}
	}
	if !strings.Contains(out, "<name>Tempo &amp; hills &lt;Sunday&gt;</name>") {
		t.Errorf("the name is not written as text:\n%.400s", out)
	}

	back, err := readGPX(context.Background(), &buf, DefaultLimits.MaxPoints)
	if err != nil {
		t.Fatal(err)
	}
	var want []Point
	for _, seg := range segments {
		want = append(want, seg...)
	}
	if len(back.Points) != len(want) {
		t.Fatalf("read back %d points, wrote %d", len(back.Points), len(want))
	}
	for i, p := range back.Points {
		w := want[i]
		if math.Abs(p.Lat-w.Lat) > 1e-7 || math.Abs(p.Lon-w.Lon) > 1e-7 || p.HasElevation != w.HasElevation ||
			math.Abs(p.ElevationM-w.ElevationM) > 0.05 || !p.Time.IsZero() || p.HeartRateBPM != 0 {
			t.Fatalf("point %d read back as %+v, was %+v", i, p, w)
		}
	}
	if back.Sport != SportRunning {
		t.Errorf("sport %q", back.Sport)
	}
	// With no times it is a route, not an activity: Milepost's own reader
	// refuses it as a run, rather than inventing a pace.
	if _, err := Read(context.Background(), "route.gpx", strings.NewReader(out)); err == nil {
		t.Error("a GPX without times read as an activity")
	}
}
