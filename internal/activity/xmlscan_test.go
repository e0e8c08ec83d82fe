package activity

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"milepost/internal/activity/activitytest"
)

// readXMLBoth reads a GPX or TCX document with each tokenizer and returns
// the activities as the readers gathered them.
func readXMLBoth(t *testing.T, name string, data []byte) (fast, std *Activity) {
	t.Helper()
	read := func(scan func(context.Context, io.Reader, xmlHandler) error) *Activity {
		if strings.HasSuffix(name, ".tcx") {
			x := &tcxReader{maxPoints: DefaultLimits.MaxPoints}
			if err := scan(context.Background(), bytes.NewReader(data), x); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return keepTCXRuns(x.acts)
		}
		g := &gpxReader{maxPoints: DefaultLimits.MaxPoints}
		if err := scan(context.Background(), bytes.NewReader(data), g); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return &g.act
	}
	return read(scanXMLFast), read(scanXMLStd)
}

func TestTheFastXMLTokenizerReadsRealFilesAsEncodingXMLDoes(t *testing.T) {
	long := longTrack(t, 3000)
	files := map[string][]byte{"long.gpx": encodeGPX(long), "long.tcx": encodeTCX(long)}
	for _, name := range []string{"garmin_connect_hr.gpx", "polar_pacer_pause.gpx", "garmin_running.tcx"} {
		files[name] = activitytest.File(t, name)
	}
	for name, data := range files {
		if !fastXMLReads(data) {
			t.Errorf("%s is not read by the fast tokenizer", name)
		}
		fast, std := readXMLBoth(t, name, data)
		if len(std.Points) == 0 {
			t.Fatalf("%s: no points", name)
		}
		if d := cmp.Diff(std, fast); d != "" {
			t.Errorf("%s read by xmltokenizer differs from encoding/xml (-std +fast):\n%s", name, d)
		}
	}
}

// TestXMLTheFastTokenizerMisreadsIsReadByEncodingXML writes one small
// run in the ways XML allows and the fast tokenizer misreads, and checks
// each is read as the plain one is.
func TestXMLTheFastTokenizerMisreadsIsReadByEncodingXML(t *testing.T) {
	const plain = `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
<trk><type>running</type><trkseg>
<trkpt lat="45.0000" lon="5.0000"><ele>200</ele><time>2024-05-01T08:00:00Z</time></trkpt>
<trkpt lat="45.0010" lon="5.0000"><ele>201</ele><time>2024-05-01T08:00:30Z</time></trkpt>
<trkpt lat="45.0020" lon="5.0010"><ele>203</ele><time>2024-05-01T08:01:00Z</time></trkpt>
</trkseg></trk></gpx>`
	want := mustRead(t, "plain.gpx", []byte(plain))
	for _, c := range []struct{ what, doc string }{
		{"attributes in single quotes", strings.ReplaceAll(plain, `"`, `'`)},
		{"a tab after a tag's name", strings.ReplaceAll(plain, `<trkpt lat`, "<trkpt\tlat")},
		{"a line break after a tag's name", strings.ReplaceAll(plain, `<trkpt lat`, "<trkpt\nlat")},
		{"a comment holding a tag", strings.Replace(plain, `<trk>`, `<!-- <trk> was <b>here</b> --><trk>`, 1)},
		{"a self-closing link before the type", strings.Replace(plain, `<trk>`, `<trk><link href="https://example.org/runs/1"/>`, 1)},
		{"an entity in the creator", strings.Replace(plain, `creator="test"`, `creator="Tom &amp; Jerry"`, 1)},
		{"Latin-1", strings.Replace(plain, `UTF-8`, `ISO-8859-1`, 1)},
	} {
		if fastXMLReads([]byte(c.doc)) {
			t.Errorf("%s: taken by the fast tokenizer", c.what)
		}
		got, err := Read(context.Background(), "run.gpx", strings.NewReader(c.doc))
		if err != nil {
			t.Errorf("%s: %v", c.what, err)
			continue
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: read differently from the plain file (-plain +got):\n%s", c.what, d)
		}
	}
}

func TestAMalformedTagTheFastTokenizerPanicsOnIsADamagedFile(t *testing.T) {
	data := activitytest.File(t, "polar_pacer_pause.gpx")
	cut := bytes.Index(data, []byte("</trkpt>")) + len("</trkpt>")
	broken := append(append(bytes.Clone(data[:cut]), "</>"...), data[cut:]...)
	act, err := Read(context.Background(), "run.gpx", bytes.NewReader(broken))
	if err != nil || len(act.Points) != 1 || !hasWarning(act, "malformed tag") {
		t.Fatalf("a file with </> after its first point: err %v, activity %+v", err, act)
	}
	if _, err := Read(context.Background(), "run.tcx", strings.NewReader("</>0")); !errors.Is(err, ErrUnreadable) {
		t.Errorf("</>0 as a TCX: err %v, want unreadable", err)
	}
}

// TestAFormTheFastTokenizerMisreadsFarIntoTheFileIsReadByEncodingXML puts
// a commented-out point and an entity well past the document's first
// 16 KB: the choice of tokenizer is made on the whole document, so the
// commented-out point is no point and the entity is decoded.
func TestAFormTheFastTokenizerMisreadsFarIntoTheFileIsReadByEncodingXML(t *testing.T) {
	points := longTrack(t, 400)
	plain := encodeGPX(points)
	if len(plain) < 64<<10 {
		t.Fatalf("the plain document is only %d bytes", len(plain))
	}
	want := mustRead(t, "plain.gpx", plain)
	// Cut after a point some way past the first 16 KB.
	cut := 32<<10 + bytes.Index(plain[32<<10:], []byte("</trkpt>\n")) + len("</trkpt>\n")
	hidden := `<!-- <trkpt lat="10.0" lon="10.0"><ele>5</ele><time>2024-05-01T08:00:00Z</time></trkpt> -->` + "\n"
	doc := append(append(bytes.Clone(plain[:cut]), hidden...), plain[cut:]...)
	doc = bytes.Replace(doc, []byte("</trkseg></trk>"), []byte("</trkseg><name>Tom &amp; Jerry's long run</name></trk>"), 1)

	if fastXMLReads(doc) {
		t.Error("a document with a comment and an entity past 16 KB is taken by the fast tokenizer")
	}
	got := mustRead(t, "run.gpx", doc)
	if d := cmp.Diff(want.Points, got.Points); d != "" {
		t.Errorf("the commented-out point changed what was read (-plain +got):\n%s", d)
	}
}
