package comments

import (
	"strings"
	"testing"
)

// benchComment is a long-ish, ordinary comment: a few paragraphs, a list, a
// link, a bare URL and some emphasis.
var benchComment = strings.Repeat(`Got a massage yesterday from a therapist who was in town for a conference.
I have an old injury in my **gluteus medius** that makes sitting hard, and she
_fixed it_ years ago; see [her notes](https://example.org/notes?id=42).

- pressure point work
- stretching, then ~~more~~ rest
- https://example.org/plan

> Incredibly painful at the time… but I can really feel the difference.

`, 4)

func BenchmarkRender(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(benchComment)))
	for b.Loop() {
		Render(benchComment)
	}
}

func BenchmarkValidate(b *testing.B) {
	in := Input{Post: "massage-during-training", Name: "Dana", Email: "dana@example.org",
		Website: "https://dana.example.org/", Body: benchComment, Parent: "12"}
	b.ReportAllocs()
	for b.Loop() {
		if _, errs := Validate(in); errs != nil {
			b.Fatal(errs)
		}
	}
}
