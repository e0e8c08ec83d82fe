package importer

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse feeds Parse anything: it must not panic or hang, must return
// either an error or well-formed items, and Place must accept what it
// returns. The seed corpus in testdata/fuzz/FuzzParse holds the fixtures
// and small broken variants of them.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		format, items, err := Parse(bytes.NewReader(data))
		if err != nil {
			if items != nil {
				t.Fatalf("error %v with %d items", err, len(items))
			}
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		prefix := map[Format]string{FormatMilepost: "milepost:", FormatWXR: "wxr:", FormatDisqus: "disqus:"}[format]
		if prefix == "" {
			t.Fatalf("no error, but format %q", format)
		}
		for _, it := range items {
			if !strings.HasPrefix(it.Source, prefix) || len(it.Source) == len(prefix) {
				t.Errorf("source %q in a %s file", it.Source, format)
			}
			if it.ParentSource != "" && !strings.HasPrefix(it.ParentSource, prefix) {
				t.Errorf("%s: parent source %q", it.Source, it.ParentSource)
			}
			switch it.Status {
			case StatusApproved, StatusPending, StatusSpam:
			default:
				t.Errorf("%s: status %q", it.Source, it.Status)
			}
			if it.Created.IsZero() {
				t.Errorf("%s: no time", it.Source)
			}
			if !utf8.ValidString(it.Body) || !utf8.ValidString(it.Name) {
				t.Errorf("%s: text that is not UTF-8", it.Source)
			}
			if format != FormatMilepost { // Milepost bodies are the reader's own Markdown
				if tag := leftoverTag(it.Body); tag != "" {
					t.Errorf("%s: tag %q left in body %q", it.Source, tag, it.Body)
				}
			}
		}
		placed, unplaced := Place(items, sitePosts)
		if len(placed)+len(unplaced) != len(items) {
			t.Fatalf("%d items became %d placed and %d unplaced", len(items), len(placed), len(unplaced))
		}
		checkPlaced(t, placed)
	})
}
