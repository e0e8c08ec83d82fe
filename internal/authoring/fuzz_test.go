package authoring

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"milepost/internal/content"
)

// FuzzEditFile: whatever a hand-written file holds, saving it unchanged
// gives its bytes back, and an edit either is refused or gives a file that
// reads back as exactly the fields asked for, with every other key as it
// was.
func FuzzEditFile(f *testing.F) {
	f.Add("---\ntitle: T # c\ndate: 2024-01-01\ntags:\n  - a\nx: {y: 1}\n---\nbody\n", "New", "a,b", "", true)
	f.Add("+++\ntitle = 'T'\ndate = 2024-01-01T10:00:00\n\n[params]\nz = 1\n+++\nbody\n", "yes", "", "sum", false)
	f.Add("\uFEFF---\r\ntitle: \"x\"\r\n---\r\n", "a: b", "c d", "two\nlines", true)
	f.Add("---\nsummary: |\n  kept\n  # not a comment\ndraft: true\n---\n", "", "x", "", false)
	f.Fuzz(func(t *testing.T, src, title, tags, summary string, draft bool) {
		split, err := content.SplitSource([]byte(src))
		if err != nil {
			return
		}
		old, oldExtra := readFields(split)
		// The story as the editor opens it: after the blank line that
		// ends the front matter (storyStart).
		body := src[storyStart([]byte(src), split):]
		same, err := editFile([]byte(src), split, old, body)
		if err != nil {
			t.Fatalf("an unchanged edit was refused: %v", err)
		}
		if !bytes.Equal(same, []byte(src)) {
			t.Fatalf("an unchanged edit changed the file:\n%q\n%q", src, same)
		}
		want := old
		want.Title, want.Summary, want.Draft = title, summary, draft
		want.Tags = nil
		for _, tag := range strings.Split(tags, ",") {
			if tag != "" {
				want.Tags = append(want.Tags, tag)
			}
		}
		out, err := editFile([]byte(src), split, want, body+"more\n")
		if err != nil {
			return // refused: nothing would be written
		}
		again, err := content.SplitSource(out)
		if err != nil {
			t.Fatalf("the edited file does not read back: %v\n%q", err, out)
		}
		got, gotExtra := readFields(again)
		want.Summary = withLineEnds(want.Summary, "\n")
		if !sameFields(got, want) || !reflect.DeepEqual(gotExtra, oldExtra) {
			t.Fatalf("edited fields %+v, extra %v; want %+v, %v\n%q", got, gotExtra, want, oldExtra, out)
		}
	})
}
