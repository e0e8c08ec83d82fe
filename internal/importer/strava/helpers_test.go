package strava

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"io/fs"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"milepost/internal/activity/activitytest"
)

// exportHeader is the header of a real bulk export's activities.csv
// (2024), with its repeated columns: Elapsed Time, Distance (km, then
// metres), Max Heart Rate, Relative Effort, Commute.
const exportHeader = "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,Max Heart Rate,Relative Effort,Commute,Activity Private Note,Activity Gear,Filename,Athlete Weight,Bike Weight,Elapsed Time,Moving Time,Distance,Max Speed,Average Speed,Elevation Gain,Elevation Loss,Elevation Low,Elevation High,Max Grade,Average Grade,Average Positive Grade,Average Negative Grade,Max Cadence,Average Cadence,Max Heart Rate,Average Heart Rate,Max Watts,Average Watts,Calories,Max Temperature,Average Temperature,Relative Effort,Total Work,Number of Runs,Uphill Time,Downhill Time,Other Time,Perceived Exertion,Type,Start Time,Weighted Average Power,Power Count,Prefer Perceived Exertion,Perceived Relative Effort,Commute,Total Weight Lifted,From Upload,Grade Adjusted Distance,Media"

// row is one activity as the test writes it into activities.csv.
type row struct {
	id, date, name, kind, description string
	elapsed, km, metres, moving, gain string
	file                              string
}

// csvText writes rows under exportHeader, each field where a real export
// has it: the first Distance in km, the second in metres.
func csvText(t testing.TB, header string, rows ...row) []byte {
	t.Helper()
	cols := strings.Split(header, ",")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write(cols)
	for _, r := range rows {
		rec := make([]string, len(cols))
		seen := map[string]int{}
		for i, c := range cols {
			seen[c]++
			switch {
			case c == "Activity ID":
				rec[i] = r.id
			case c == "Activity Date":
				rec[i] = r.date
			case c == "Activity Name":
				rec[i] = r.name
			case c == "Activity Type":
				rec[i] = r.kind
			case c == "Activity Description":
				rec[i] = r.description
			case c == "Elapsed Time":
				rec[i] = r.elapsed
			case c == "Distance" && seen[c] == 1:
				rec[i] = r.km
			case c == "Distance":
				rec[i] = r.metres
			case c == "Moving Time":
				rec[i] = r.moving
			case c == "Elevation Gain":
				rec[i] = r.gain
			case c == "Filename":
				rec[i] = r.file
			case c == "Commute":
				rec[i] = "false"
			}
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// entry is one file of a test zip.
type entry struct {
	name string
	data []byte
	mode fs.FileMode // 0: a regular file
}

// zipOf makes a zip of the entries, deflated as Strava's are.
func zipOf(t testing.TB, entries ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// realFile is a real recording of the activity package's tests (activitytest).
func realFile(t testing.TB, name string) []byte {
	t.Helper()
	return activitytest.File(t, name)
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func openExport(t testing.TB, data []byte, limits Limits) *Export {
	t.Helper()
	e, err := Open(context.Background(), bytes.NewReader(data), int64(len(data)), limits)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return e
}

// importAll runs Import and keeps every bundle it is given.
func importAll(t testing.TB, e *Export, opts Options) (*Report, []Bundle) {
	t.Helper()
	var bundles []Bundle
	rep, err := Import(context.Background(), e, opts, func(_ context.Context, b Bundle) error {
		bundles = append(bundles, b)
		return nil
	})
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return rep, bundles
}

// skipped is the reason the activity was skipped for, "" if it was not.
func skipped(rep *Report, id string) Reason {
	for _, s := range rep.Skipped {
		if s.ID == id {
			return s.Reason
		}
	}
	return ""
}

func detail(rep *Report, id string) string {
	for _, s := range rep.Skipped {
		if s.ID == id {
			return s.Detail
		}
	}
	return ""
}

// frontText is the bundle's run keys as YAML, as they are written after
// the keys every new post has.
func frontText(t testing.TB, b Bundle) string {
	t.Helper()
	out, err := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: b.Front})
	if err != nil {
		t.Fatalf("the run keys of %s do not marshal: %v", b.Slug, err)
	}
	return string(out)
}
