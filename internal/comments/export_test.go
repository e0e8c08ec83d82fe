package comments

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestReadExportHandWrittenSeed(t *testing.T) {
	f, err := os.Open("testdata/seed.json")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := ReadExport(f)
	if err != nil {
		t.Fatalf("ReadExport: %v", err)
	}
	if e.Version != 1 || len(e.Comments) != 4 {
		t.Fatalf("got version %d, %d comments", e.Version, len(e.Comments))
	}
	// File order is kept; depth comes from the parents even when a reply
	// is written before its parent; a missing status means approved.
	var got []string
	for _, c := range e.Comments {
		got = append(got, strings.Join([]string{c.Post, string(c.Status), string(rune('0' + c.Depth))}, " "))
	}
	want := []string{
		"massage-during-training approved 0",
		"massage-during-training approved 2",
		"massage-during-training approved 1",
		"first-marathon pending 0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
	if h := e.Comments[0].HTML; !strings.Contains(h, "<strong>hurting</strong>") {
		t.Errorf("HTML not rendered: %q", h)
	}
	if h := e.Comments[1].HTML; !strings.Contains(h, `<a href="https://example.org/race" rel="nofollow ugc noopener">`) {
		t.Errorf("HTML not rendered: %q", h)
	}
	wantCreated := time.Date(2011, 10, 4, 16, 12, 0, 0, time.UTC)
	if !e.Comments[0].Created.Equal(wantCreated) {
		t.Errorf("created = %v, want %v", e.Comments[0].Created, wantCreated)
	}
}

func TestExportRoundTrip(t *testing.T) {
	pdt := time.FixedZone("", -7*3600)
	in := Export{
		Version:  ExportVersion,
		Exported: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC),
		Comments: []Comment{
			{ID: 1, Post: "massage-during-training", Name: "Ana", Email: "ana@example.org", Website: "https://ana.example.org/",
				Body: "Foam roller & <stretching>, **daily**.", Status: StatusApproved,
				Created: time.Date(2011, 10, 4, 9, 12, 0, 0, pdt), IP: "192.0.2.1"},
			{ID: 2, Post: "massage-during-training", Parent: 1, Depth: 1, Body: "Agreed!", Status: StatusSpam,
				Created: time.Date(2011, 10, 4, 10, 0, 0, 0, pdt), Updated: time.Date(2011, 10, 5, 10, 0, 0, 0, pdt)},
			{ID: 9, Post: "other", Body: "Held.", Status: StatusPending, Created: time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)},
		},
	}
	for i := range in.Comments {
		in.Comments[i].HTML = "<p>stale HTML from an older version</p>"
	}
	var buf bytes.Buffer
	if err := WriteExport(&buf, in); err != nil {
		t.Fatalf("WriteExport: %v", err)
	}
	text := buf.String()
	for _, bad := range []string{`"html"`, `\u003c`, "stale HTML"} {
		if strings.Contains(text, bad) {
			t.Errorf("export contains %s:\n%s", bad, text)
		}
	}
	if !strings.Contains(text, "\n  \"comments\": [\n    {\n      \"id\": 1,") {
		t.Errorf("export is not indented as expected:\n%s", text)
	}
	if in.Comments[0].HTML == "" {
		t.Error("WriteExport changed the caller's comments")
	}

	out, err := ReadExport(&buf)
	if err != nil {
		t.Fatalf("ReadExport: %v", err)
	}
	want := in
	want.Comments = append([]Comment(nil), in.Comments...)
	for i := range want.Comments {
		want.Comments[i].HTML = Render(want.Comments[i].Body)
	}
	// Times come back equal but perhaps in another *Location value.
	if diff := cmp.Diff(want, out, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestWriteExportDefaultsAndEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteExport(&buf, Export{}); err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(buf.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	if raw["version"] != float64(ExportVersion) {
		t.Errorf("version = %v, want %d", raw["version"], ExportVersion)
	}
	if cs, ok := raw["comments"].([]any); !ok || len(cs) != 0 {
		t.Errorf("comments = %#v, want []", raw["comments"])
	}
	if _, ok := raw["exported"]; ok {
		t.Error("zero exported time was written")
	}
	e, err := ReadExport(&buf)
	if err != nil || len(e.Comments) != 0 {
		t.Errorf("ReadExport(empty) = %+v, %v", e, err)
	}
}

func TestReadExportErrors(t *testing.T) {
	const ok = `{"id": 1, "post": "p", "body": "b", "created": "2011-10-04T09:12:00-07:00"}`
	cases := []struct{ name, in, want string }{
		{"cut short", `{"version": 1,`, "closing"},
		{"not JSON", `version = 1`, "line 1, column 1"},
		{"syntax error position", "{\n  \"version\": 1,\n  \"comments\": [}\n", "line 3, column 16"},
		{"wrong type", `{"version": "1"}`, "line 1"},
		{"empty", ``, "empty"},
		{"not UTF-8", "{\"version\": 1, \"comments\": [{\"body\": \"\xff\"}]}", "UTF-8"},
		{"missing version", `{"comments": []}`, `missing "version"`},
		{"newer version", `{"version": 3, "comments": []}`, "version 3"},
		{"negative version", `{"version": -1, "comments": []}`, "version -1"},
		{"unknown field", `{"version": 1, "comments": [{"id": 1, "post": "p", "body": "b", "crated": "2011-10-04T09:12:00Z"}]}`, `"crated"`},
		{"trailing data", `{"version": 1, "comments": []} {}`, "after"},
		{"bad time", `{"version": 1, "comments": [{"id": 1, "post": "p", "body": "b", "created": "yesterday"}]}`, "yesterday"},
		{"missing id", `{"version": 1, "comments": [{"post": "p", "body": "b", "created": "2011-10-04T09:12:00Z"}]}`, `comment 1: missing "id"`},
		{"missing post", `{"version": 1, "comments": [` + ok + `, {"id": 2, "body": "b", "created": "2011-10-04T09:12:00Z"}]}`, `comment 2 (id 2): post: missing "post"`},
		{"NUL in post", `{"version": 1, "comments": [{"id": 1, "post": "p\u0000", "body": "b", "created": "2011-10-04T09:12:00Z"}]}`, "NUL"},
		{"missing body", `{"version": 1, "comments": [{"id": 1, "post": "p", "body": "  ", "created": "2011-10-04T09:12:00Z"}]}`, `missing "body"`},
		{"missing created", `{"version": 1, "comments": [{"id": 1, "post": "p", "body": "b"}]}`, `missing "created"`},
		{"duplicate id", `{"version": 1, "comments": [` + ok + `, ` + ok + `]}`, "the id is also comment 1's"},
		{"unknown status", `{"version": 1, "comments": [{"id": 1, "post": "p", "body": "b", "status": "hidden", "created": "2011-10-04T09:12:00Z"}]}`, `unknown status "hidden"`},
		{"parent not in file", `{"version": 1, "comments": [{"id": 2, "parent": 1, "post": "p", "body": "b", "created": "2011-10-04T09:12:00Z"}]}`, "parent 1 is not among the comments given"},
		{"parent on another post", `{"version": 1, "comments": [` + ok + `, {"id": 2, "parent": 1, "post": "q", "body": "b", "created": "2011-10-04T09:12:00Z"}]}`, "another post"},
		{"loop of parents", `{"version": 1, "comments": [{"id": 1, "parent": 2, "post": "p", "body": "b", "created": "2011-10-04T09:12:00Z"}, {"id": 2, "parent": 1, "post": "p", "body": "b", "created": "2011-10-04T09:12:00Z"}]}`, "loop"},
		{"too deep", chain(MaxDepth + 1), "5 levels"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadExport(strings.NewReader(tc.in))
			if err == nil {
				t.Fatalf("ReadExport(%s) succeeded", tc.in)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "reading comments export: ") {
				t.Errorf("error %q does not say what was being done", err)
			}
		})
	}
	if _, err := ReadExport(strings.NewReader(chain(MaxDepth))); err != nil {
		t.Errorf("a chain %d deep was refused: %v", MaxDepth, err)
	}
}

// chain is an export of n comments, each replying to the one before.
func chain(n int) string {
	e := Export{Version: 1}
	for i := 1; i <= n; i++ {
		e.Comments = append(e.Comments, Comment{ID: uint64(i), Parent: uint64(i - 1), Post: "p", Body: "b",
			Status: StatusApproved, Created: t0})
	}
	var buf bytes.Buffer
	if err := WriteExport(&buf, e); err != nil {
		panic(err)
	}
	return buf.String()
}
