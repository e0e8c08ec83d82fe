package strava

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"

	"milepost/internal/activity"
)

// Names that must never be read however the CSV names them: they would
// be paths out of the export, or mean another file elsewhere.
func TestTraversalNamesAreNeverRead(t *testing.T) {
	gpx := realFile(t, "polar_pacer_pause.gpx")
	names := []string{"../evil.gpx", "activities/../../evil.gpx", "/etc/evil.gpx", `activities\evil.gpx`, `..\evil.gpx`}
	var rows []row
	entries := []entry{}
	for i, name := range names {
		id := string(rune('1' + i))
		rows = append(rows, row{id: id, date: "Jan 2, 2024, 7:03:12 AM", name: "Run " + id, kind: "Run", file: name})
		entries = append(entries, entry{name: name, data: gpx})
	}
	// A CSV naming a plain file through a "..", and a file a "./" away.
	rows = append(rows,
		row{id: "8", date: "Jan 2, 2024, 7:03:12 AM", name: "Dotdot", kind: "Run", file: "other/../activities/8.gpx"},
		row{id: "9", date: "Jan 2, 2024, 7:03:12 AM", name: "Dot", kind: "Run", file: "./activities/9.gpx"})
	entries = append(entries,
		entry{name: "activities/8.gpx", data: gpx},
		entry{name: "activities/9.gpx", data: gpx},
		entry{name: "activities.csv", data: csvText(t, exportHeader, rows...)})

	e := openExport(t, zipOf(t, entries...), DefaultLimits)
	rep, bundles := importAll(t, e, Options{})
	for i := range names {
		id := string(rune('1' + i))
		if got := skipped(rep, id); got != SkipNoFile {
			t.Errorf("%s: skipped %q, want %q", names[i], got, SkipNoFile)
		}
	}
	if got := skipped(rep, "8"); got != SkipNoFile {
		t.Errorf("a CSV name with ..: skipped %q", got)
	}
	if len(bundles) != 1 || bundles[0].Activity.ID != "9" || bundles[0].FileName != "9.gpx" {
		t.Errorf("imported %+v, want only ./activities/9.gpx", rep.Imported)
	}
	if len(rep.Ignored) != len(names) {
		t.Errorf("ignored entries %q, want the %d unsafe names", rep.Ignored, len(names))
	}
}

func TestSymlinksAndDuplicateEntriesAreIgnored(t *testing.T) {
	gpx := realFile(t, "polar_pacer_pause.gpx")
	csv := csvText(t, exportHeader,
		row{id: "1", date: "Jan 2, 2024, 7:03:12 AM", name: "Link", kind: "Run", file: "activities/1.gpx"},
		row{id: "2", date: "Jan 2, 2024, 7:03:12 AM", name: "Twice", kind: "Run", file: "activities/2.gpx"})
	e := openExport(t, zipOf(t,
		entry{name: "activities.csv", data: csv},
		entry{name: "activities/1.gpx", data: []byte("/home/runner/secret.gpx"), mode: fs.ModeSymlink | 0o777},
		entry{name: "activities/2.gpx", data: gpx},
		entry{name: "activities//2.gpx", data: []byte("a second one")},
	), DefaultLimits)
	rep, bundles := importAll(t, e, Options{})
	if len(bundles) != 0 {
		t.Errorf("imported %+v", rep.Imported)
	}
	if skipped(rep, "1") != SkipNoFile || skipped(rep, "2") != SkipNoFile {
		t.Errorf("skipped %+v", rep.Skipped)
	}
	if len(rep.Ignored) != 3 || !strings.Contains(strings.Join(rep.Ignored, "\n"), "symbolic link") {
		t.Errorf("ignored %q", rep.Ignored)
	}
}

// A zip entry of a few kilobytes that unpacks to more than a file may be.
func TestAZipBombEntryIsRefused(t *testing.T) {
	limits := DefaultLimits
	limits.Activity.MaxFileBytes = 1 << 20
	bomb := append([]byte(`<?xml version="1.0"?><gpx>`), bytes.Repeat([]byte(" "), 8<<20)...)
	csv := csvText(t, exportHeader, row{id: "1", date: "Jan 2, 2024, 7:03:12 AM", name: "Bomb", kind: "Run", file: "activities/1.gpx"})
	zipped := zipOf(t, entry{name: "activities.csv", data: csv}, entry{name: "activities/1.gpx", data: bomb})
	if len(zipped) > 64<<10 {
		t.Fatalf("the bomb zips to %d bytes, not a bomb", len(zipped))
	}
	rep, bundles := importAll(t, openExport(t, zipped, limits), Options{})
	if len(bundles) != 0 || skipped(rep, "1") != SkipUnreadable || !strings.Contains(detail(rep, "1"), "over the import's size limit") {
		t.Errorf("a zip bomb: imported %d, skipped %+v", len(bundles), rep.Skipped)
	}

	// activities.csv itself.
	limits.MaxCSVBytes = 1 << 20
	csvBomb := zipOf(t, entry{name: "activities.csv", data: append(csvText(t, exportHeader), bytes.Repeat([]byte("\n"), 8<<20)...)})
	if _, err := Open(context.Background(), bytes.NewReader(csvBomb), int64(len(csvBomb)), limits); err == nil || !strings.Contains(err.Error(), "over 1 MiB") {
		t.Errorf("a CSV bomb: %v", err)
	}
}

// A .gpx.gz that is small in the zip and small as gzip, but unpacks past
// what the activity reader takes.
func TestAGzipBombActivityIsRefused(t *testing.T) {
	limits := DefaultLimits
	limits.Activity = activity.Limits{MaxFileBytes: 1 << 20, MaxUncompressedBytes: 2 << 20}
	bomb := gzipped(t, append([]byte(`<?xml version="1.0"?><gpx>`), bytes.Repeat([]byte(" "), 16<<20)...))
	if len(bomb) > 64<<10 {
		t.Fatalf("the bomb gzips to %d bytes, not a bomb", len(bomb))
	}
	csv := csvText(t, exportHeader, row{id: "1", date: "Jan 2, 2024, 7:03:12 AM", name: "Bomb", kind: "Run", file: "activities/1.gpx.gz"})
	e := openExport(t, zipOf(t, entry{name: "activities.csv", data: csv}, entry{name: "activities/1.gpx.gz", data: bomb}), limits)
	rep, bundles := importAll(t, e, Options{})
	if len(bundles) != 0 || skipped(rep, "1") != SkipUnreadable || !strings.Contains(detail(rep, "1"), "unpacked file is over 2 MB") {
		t.Errorf("a gzip bomb: imported %d, skipped %+v", len(bundles), rep.Skipped)
	}
}

func TestTooManyEntriesAreRefused(t *testing.T) {
	limits := DefaultLimits
	limits.MaxEntries = 5
	entries := []entry{{name: "activities.csv", data: csvText(t, exportHeader)}}
	for i := range 5 {
		entries = append(entries, entry{name: "media/" + string(rune('a'+i)) + ".jpg"})
	}
	data := zipOf(t, entries...)
	if _, err := Open(context.Background(), bytes.NewReader(data), int64(len(data)), limits); err == nil || !strings.Contains(err.Error(), "6 entries") {
		t.Errorf("6 entries with a limit of 5: %v", err)
	}
	limits.MaxEntries = 6
	if _, err := Open(context.Background(), bytes.NewReader(data), int64(len(data)), limits); err != nil {
		t.Errorf("6 entries with a limit of 6: %v", err)
	}
}

// What an import reads in all is bounded, whatever each file is.
func TestTheTotalReadIsBounded(t *testing.T) {
	gpx := realFile(t, "polar_pacer_pause.gpx")
	var rows []row
	entries := []entry{}
	for i := range 4 {
		id := string(rune('1' + i))
		rows = append(rows, row{id: id, date: "Jan 2, 2024, 7:03:12 AM", name: "Run " + id, kind: "Run", file: "activities/" + id + ".gpx"})
		entries = append(entries, entry{name: "activities/" + id + ".gpx", data: gpx})
	}
	csv := csvText(t, exportHeader, rows...)
	entries = append(entries, entry{name: "activities.csv", data: csv})
	limits := DefaultLimits
	limits.MaxTotalBytes = int64(len(csv) + 2*len(gpx) + len(gpx)/2)
	rep, bundles := importAll(t, openExport(t, zipOf(t, entries...), limits), Options{})
	if len(bundles) != 2 || rep.Count(SkipUnreadable) != 2 || !strings.Contains(detail(rep, "3"), "in all") {
		t.Errorf("imported %d, skipped %+v; want 2 within the total", len(bundles), rep.Skipped)
	}
}

// FuzzOpenAndImport: whatever the zip and its CSV hold, opening and
// importing it fails cleanly or imports only runs with readable files.
func FuzzOpenAndImport(f *testing.F) {
	gpx := realFile(f, "polar_pacer_pause.gpx")
	csv := csvText(f, exportHeader, row{id: "1", date: "Jan 2, 2024, 7:03:12 AM", name: "Run", kind: "Run", file: "activities/1.gpx", metres: "1000", moving: "300"})
	f.Add(zipOf(f, entry{name: "activities.csv", data: csv}, entry{name: "activities/1.gpx", data: gpx}))
	f.Add(zipOf(f, entry{name: "activities.csv", data: []byte("Activity ID,Activity Date,Activity Type,Filename\n1,\"Jan 2, 2024, 7:03:12 AM\",Run,../x.gpx\n")}, entry{name: "../x.gpx", data: gpx}))
	f.Fuzz(func(t *testing.T, data []byte) {
		limits := DefaultLimits
		limits.MaxTotalBytes = 4 << 20
		limits.Activity = activity.Limits{MaxFileBytes: 1 << 20, MaxUncompressedBytes: 2 << 20}
		e, err := Open(context.Background(), bytes.NewReader(data), int64(len(data)), limits)
		if err != nil {
			return
		}
		rep, err := Import(context.Background(), e, Options{}, func(_ context.Context, b Bundle) error {
			if front := frontText(t, b); IDInText([]byte(front)) != b.Activity.ID || strings.ContainsAny(b.FileName, "/\\") {
				t.Errorf("bundle %s: file %q\n%s", b.Slug, b.FileName, front)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Import: %v", err)
		}
		if len(rep.Imported)+len(rep.Skipped) != len(e.Activities)+len(e.BadRows) {
			t.Errorf("%d imported and %d skipped of %d rows", len(rep.Imported), len(rep.Skipped), len(e.Activities)+len(e.BadRows))
		}
	})
}
