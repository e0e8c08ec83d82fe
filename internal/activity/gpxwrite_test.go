package activity

import (
	"bytes"
	"context"
	"encoding/xml"
	"math"
	"strings"
	"testing"
	"time"
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
	if err := WriteGPX(context.Background(), &buf, `Tempo & hills <Sunday>`, Track(segments, false)); err != nil {
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

// gpx11 is a GPX 1.1 document as encoding/xml reads it, with the names
// in the GPX 1.1 namespace: a document in no namespace, or another, reads
// as nothing.
type gpx11 struct {
	XMLName  xml.Name `xml:"http://www.topografix.com/GPX/1/1 gpx"`
	Version  string   `xml:"version,attr"`
	Segments []struct {
		Points []struct {
			Lat  float64    `xml:"lat,attr"`
			Lon  float64    `xml:"lon,attr"`
			Ele  *float64   `xml:"http://www.topografix.com/GPX/1/1 ele"`
			Time *time.Time `xml:"http://www.topografix.com/GPX/1/1 time"`
		} `xml:"http://www.topografix.com/GPX/1/1 trkpt"`
	} `xml:"http://www.topografix.com/GPX/1/1 trk>trkseg"`
}

// A runner who opts in to times gets each kept point's time as the file
// gave it; encoding/xml reads the document as GPX 1.1, and Milepost's own
// reader reads it back as the run it was cut from.
func TestTheGPXDownloadWithTimesGivesEachPointItsTimeInTheFile(t *testing.T) {
	data := activitytest.File(t, "triathlon_fr255.fit")
	act := mustRead(t, "triathlon_fr255.fit", data)
	mid := act.Points[len(act.Points)/2]
	segments, err := Clean(act.Points, []Zone{{Lat: mid.Lat, Lon: mid.Lon, RadiusM: 150}}, DefaultTrimM, SeedOf(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(segments) < 2 {
		t.Fatalf("%d segments: the zone should cut the run in two", len(segments))
	}
	if size := unsafe.Sizeof(TrackPoint{}); size > 32 {
		t.Errorf("a download's point takes %d bytes with its time: keep it in 32", size)
	}
	write := func(withTimes bool) []byte {
		var buf bytes.Buffer
		if err := WriteGPX(context.Background(), &buf, "Sprint", Track(segments, withTimes)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	if without := write(false); bytes.Contains(without, []byte("<time>")) {
		t.Error("a download not opted in to times carries <time>")
	}
	out := write(true)

	var doc gpx11
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("encoding/xml does not read the download: %v", err)
	}
	if doc.Version != "1.1" || len(doc.Segments) != len(segments) {
		t.Fatalf("version %q, %d segments read of %d written", doc.Version, len(doc.Segments), len(segments))
	}
	for i, seg := range segments {
		got := doc.Segments[i].Points
		if len(got) != len(seg) {
			t.Fatalf("segment %d: %d points read, %d kept", i, len(got), len(seg))
		}
		for j, p := range got {
			want := seg[j]
			if p.Time == nil || !p.Time.Equal(want.Time) || p.Time.Location() != time.UTC {
				t.Fatalf("segment %d point %d: time %v, the file's %v", i, j, p.Time, want.Time)
			}
			if math.Abs(p.Lat-want.Lat) > 1e-7 || math.Abs(p.Lon-want.Lon) > 1e-7 {
				t.Fatalf("segment %d point %d at %v,%v, kept at %v,%v", i, j, p.Lat, p.Lon, want.Lat, want.Lon)
			}
		}
	}

	back, err := Read(context.Background(), "route.gpx", bytes.NewReader(out))
	if err != nil {
		t.Fatalf("a download with times does not read as a run: %v", err)
	}
	var kept []Point
	for _, seg := range segments {
		kept = append(kept, seg...)
	}
	if len(back.Points) != len(kept) || !back.Points[0].Time.Equal(kept[0].Time) ||
		!back.Points[len(kept)-1].Time.Equal(kept[len(kept)-1].Time) {
		t.Errorf("read back %d points from %v, kept %d from %v", len(back.Points), back.Points[0].Time, len(kept), kept[0].Time)
	}
}

// A time with milliseconds keeps them; one a download cannot hold (before
// 1970) is left out rather than written wrong.
func TestADownloadPointsTimeKeepsItsMilliseconds(t *testing.T) {
	at := time.Date(2024, 5, 1, 8, 0, 12, 345_000_000, time.FixedZone("CEST", 2*3600))
	track := Track([][]Point{{
		{Lat: 45, Lon: 5, HasPosition: true, Time: at},
		{Lat: 45.001, Lon: 5, HasPosition: true, Time: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
	}}, true)
	if got, ok := track[0][0].Time(); !ok || !got.Equal(at) {
		t.Errorf("time %v %v, want %v", got, ok, at)
	}
	if got, ok := track[0][1].Time(); ok {
		t.Errorf("a time before 1970 kept as %v", got)
	}
	var buf bytes.Buffer
	if err := WriteGPX(context.Background(), &buf, "", track); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<time>2024-05-01T06:00:12.345Z</time>") || strings.Count(buf.String(), "<time>") != 1 {
		t.Errorf("times written:\n%s", buf.String())
	}
}
