package authoring_test

import (
	"context"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"milepost/internal/authoring"
)

const samplePost = "posts/massage-during-training.md"

func TestOpenReturnsThePostAsAuthored(t *testing.T) {
	s := newSite(t)
	p := s.open("massage-during-training")
	want := authoring.Fields{Title: "Massage during training", Date: "2011-10-03T21:30:00",
		Author: "kay-kays-bird-club", Tags: []string{"marathon", "massage", "recovery", "training"}}
	if !slices.Equal(p.Tags, want.Tags) || p.Title != want.Title || p.Date != want.Date || p.Author != want.Author ||
		p.Draft || p.Slug != "massage-during-training" || p.Summary != "" || p.Lastmod != "" {
		t.Errorf("fields = %+v, want %+v", p.Fields, want)
	}
	src := s.read(samplePost)
	if p.File != samplePost || p.Bundle != "" || p.Format != "YAML" || p.Version != authoring.VersionOf([]byte(src)) {
		t.Errorf("file %q, bundle %q, format %q, version %s", p.File, p.Bundle, p.Format, p.Version)
	}
	// The blank line after the front matter is the front matter's: the
	// story starts with its first line.
	if !strings.HasPrefix(p.Body, "Just got home from a massage") || !strings.HasSuffix(src, "---\n\n"+p.Body) {
		t.Errorf("body = %.60q…, want the text after the front matter and its blank line", p.Body)
	}
}

func TestSavingTheSamplePostUnchangedLeavesItsBytes(t *testing.T) {
	s := newSite(t)
	before := s.read(samplePost)
	p := s.save(unchanged(s.open("massage-during-training")), authoring.VersionOf([]byte(before)))
	if got := s.read(samplePost); got != before {
		t.Fatalf("the file changed:\n%s", got)
	}
	if p.Version != authoring.VersionOf([]byte(before)) {
		t.Errorf("version after the save %s, want the file's", p.Version)
	}
	if h, _ := s.svc.History(context.Background(), "massage-during-training"); len(h) != 0 {
		t.Errorf("a save without a change kept %d revisions", len(h))
	}
}

// Hand-written files in both formats, with comments, unknown keys, odd
// quoting, Windows line ends and a BOM: opened and saved without a change,
// they keep their bytes; with a changed title, only the title's line
// changes.
func TestHandWrittenFilesKeepTheirBytes(t *testing.T) {
	for _, tc := range []struct {
		name, file, text, newTitle string
	}{
		{"YAML with comments and unknown keys", "posts/hill-repeats.md", "---\n" +
			"# written by hand\n" +
			"title: 'Hill repeats'   # the working title\n" +
			"date: 2024-05-01 07:30\n" +
			"author: kay-kays-bird-club\n" +
			"tags:\n  - hills\n  - Long  Run\n" +
			"distance_km: 12.50\n" +
			"route: {start: park, loops: 6}\n" +
			"cover:\n  image: hill.jpg   # beside the post\n  alt: \"The hill\"\n" +
			"draft: false\n" +
			"---\nSix times up the hill.\n",
			"title: Hill repeats, again   # the working title\n"},
		{"TOML with comments and a table", "posts/track-night.md", "+++\n" +
			"# TOML, as Hugo writes it\n" +
			"title = \"Track night\"\n" +
			"date = 2024-05-02T19:00:00\n" +
			"tags = [ \"track\",\"speed\" ]\n" +
			"shoe = 'racing flats'  # unknown to Milepost\n" +
			"\n[params]\n  laps = 12\n" +
			"+++\n\nTwelve laps.\n",
			"title = \"Hill repeats, again\"\n"},
		{"CRLF and a BOM", "posts/windows.md", "\uFEFF---\r\ntitle: Windows\r\ndate: 2024-05-03\r\nweather: rain\r\n---\r\nWet.\r\n",
			"title: Hill repeats, again\r\n"},
		{"a bundle", "posts/race-day/index.md", "---\ntitle: Race day\ndate: 2024-06-01\nsplits: [4:50, 4:45]\n---\n![Finish](finish.jpg)\n",
			"title: Hill repeats, again\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			s.write(tc.file, tc.text)
			slug := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(tc.file, "/index.md"), "posts/"), ".md")
			p := s.open(slug)
			saved := s.save(unchanged(p), p.Version)
			if got := s.read(tc.file); got != tc.text {
				t.Fatalf("saved without a change, the file became:\n%q\nwant:\n%q", got, tc.text)
			}
			e := unchanged(saved)
			e.Title = "Hill repeats, again"
			s.save(e, saved.Version)
			got := s.read(tc.file)
			oldLines, newLines := strings.SplitAfter(tc.text, "\n"), strings.SplitAfter(got, "\n")
			if len(oldLines) != len(newLines) {
				t.Fatalf("changing the title changed the number of lines:\n%s", got)
			}
			for i := range oldLines {
				if oldLines[i] != newLines[i] && strings.TrimPrefix(newLines[i], "\uFEFF") != tc.newTitle {
					t.Errorf("line %d became %q (was %q); only the title's line should change, to %q", i+1, newLines[i], oldLines[i], tc.newTitle)
				}
			}
			if again := s.open(slug); again.Title != "Hill repeats, again" || !reflect.DeepEqual(again.Extra, p.Extra) {
				t.Errorf("reopened: title %q, extra %+v (was %+v)", again.Title, again.Extra, p.Extra)
			}
		})
	}
}

// Each known key is written only when it changed: a block list stays a
// block, a key set to its zero value goes, a new key is added (in TOML
// before the first table, where it would still be a top-level key).
func TestEditingKeysChangesOnlyThem(t *testing.T) {
	s := newSite(t)
	s.write("posts/tempo.md", "---\ntitle: Tempo\ndate: 2024-05-01\n# the tags\ntags:\n  - tempo\n  - speed\ndraft: true\nshoe: light\n---\nFast.\n")
	p := s.open("tempo")
	e := unchanged(p)
	e.Tags = []string{"tempo", "threshold"}
	e.Draft = false
	e.Summary = "Twenty minutes at *threshold*."
	e.Body = "Fast, then easy.\n"
	s.save(e, p.Version)
	want := "---\ntitle: Tempo\ndate: 2024-05-01\n# the tags\ntags:\n  - tempo\n  - threshold\nshoe: light\nsummary: Twenty minutes at *threshold*.\n---\nFast, then easy.\n"
	if got := s.read("posts/tempo.md"); got != want {
		t.Errorf("YAML after the edit:\n%s\nwant:\n%s", got, want)
	}

	s.write("posts/intervals.md", "+++\ntitle = \"Intervals\"\ndate = 2024-05-02\n\n# for the theme\n[params]\nreps = 8\n+++\nHard.\n")
	p = s.open("intervals")
	e = unchanged(p)
	e.Author = "kay-kays-bird-club"
	e.Lastmod = "2024-05-03 08:00"
	s.save(e, p.Version)
	want = "+++\ntitle = \"Intervals\"\ndate = 2024-05-02\nlastmod = \"2024-05-03 08:00\"\nauthor = \"kay-kays-bird-club\"\n\n# for the theme\n[params]\nreps = 8\n+++\nHard.\n"
	if got := s.read("posts/intervals.md"); got != want {
		t.Errorf("TOML after the edit:\n%s\nwant:\n%s", got, want)
	}
}

// A title that YAML would read as something else is quoted.
func TestTextThatLooksLikeAnotherTypeIsQuoted(t *testing.T) {
	s := newSite(t)
	p := s.open("massage-during-training")
	for _, title := range []string{"yes", "1.10", "null", "Run: 10k # fast", "- dash", "[brackets]", "\"quoted\"", "line\nbreak"} {
		e := unchanged(p)
		e.Title = title
		p = s.save(e, p.Version)
		if got := s.open("massage-during-training").Title; got != title {
			t.Errorf("title %q came back as %q", title, got)
		}
	}
}

func TestANewPostIsABundle(t *testing.T) {
	s := newSite(t)
	e := authoring.Edit{Slug: "first-10k", By: "kay", Body: "I ran ten kilometres.\n",
		Fields: authoring.Fields{Title: "First 10k", Date: "2026-11-29 09:00", Author: "kay-kays-bird-club", Tags: []string{"race"}, Draft: true}}
	p := s.save(e, "")
	want := "---\ntitle: First 10k\ndate: 2026-11-29 09:00\nauthor: kay-kays-bird-club\ntags: [race]\ndraft: true\n---\n\nI ran ten kilometres.\n"
	if got := s.read("posts/first-10k/index.md"); got != want {
		t.Errorf("new post:\n%s\nwant:\n%s", got, want)
	}
	if p.File != "posts/first-10k/index.md" || p.Bundle != "posts/first-10k" {
		t.Errorf("saved as %q (bundle %q)", p.File, p.Bundle)
	}
	if st := s.load(); st.PostFile("first-10k") != "posts/first-10k/index.md" {
		t.Errorf("the site does not load the new post: %v", st.Problems)
	}
	_, err := s.svc.Save(context.Background(), e, "")
	if !errors.Is(err, authoring.ErrSlugTaken) {
		t.Errorf("a second new post with the slug: %v, want ErrSlugTaken", err)
	}
	e.Slug = "massage-during-training"
	if _, err := s.svc.Save(context.Background(), e, ""); !errors.Is(err, authoring.ErrSlugTaken) {
		t.Errorf("a new post with the sample's slug: %v, want ErrSlugTaken", err)
	}
}

// What the site would skip is refused with content's own file:line
// problems, and the file is left as it was.
func TestSaveRefusesWhatContentWouldNotLoad(t *testing.T) {
	s := newSite(t)
	before := s.read(samplePost)
	p := s.open("massage-during-training")
	for _, tc := range []struct {
		edit func(*authoring.Edit)
		want string
	}{
		{func(e *authoring.Edit) { e.Author = "nobody" }, samplePost + ":11: unknown author \"nobody\""},
		{func(e *authoring.Edit) { e.Title = "" }, samplePost + ":1: missing title"},
		{func(e *authoring.Edit) { e.Date = "next tuesday" }, samplePost + ":10: date \"next tuesday\" is not a date"},
		{func(e *authoring.Edit) { e.SlugKey = "Bad Slug" }, "slug \"Bad Slug\" must be lowercase"},
	} {
		e := unchanged(p)
		tc.edit(&e)
		_, err := s.svc.Save(context.Background(), e, p.Version)
		var inv *authoring.InvalidError
		if !errors.As(err, &inv) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Save = %v, want an *InvalidError saying %q", err, tc.want)
		}
	}
	if got := s.read(samplePost); got != before {
		t.Errorf("a refused save changed the file:\n%s", got)
	}
	s.noStrayFiles()
}

func TestAHandEditMeanwhileIsAConflictAndNothingIsOverwritten(t *testing.T) {
	s := newSite(t)
	p := s.open("massage-during-training")
	hand := strings.Replace(s.read(samplePost), "a heavenly massage", "a heavenly, heavenly massage", 1)
	s.write(samplePost, hand)
	e := unchanged(p)
	e.Title = "Massage in the middle of training"
	_, err := s.svc.Save(context.Background(), e, p.Version)
	c := asConflict(t, err)
	if string(c.Current) != hand || c.CurrentVersion != authoring.VersionOf([]byte(hand)) {
		t.Errorf("the conflict carries %q, want the hand-edited file", c.Current)
	}
	if !strings.Contains(string(c.Yours), "title: Massage in the middle of training") {
		t.Errorf("the conflict's own text lacks the new title:\n%s", c.Yours)
	}
	if got := s.read(samplePost); got != hand {
		t.Errorf("the hand edit was overwritten:\n%s", got)
	}
	if h, _ := s.svc.History(context.Background(), "massage-during-training"); len(h) != 0 {
		t.Errorf("a refused save kept %d revisions", len(h))
	}
	// Opened again, the post saves.
	again := s.open("massage-during-training")
	e = unchanged(again)
	e.Title = "Massage in the middle of training"
	s.save(e, again.Version)
	if got := s.read(samplePost); !strings.Contains(got, "heavenly, heavenly") || !strings.Contains(got, "title: Massage in the middle") {
		t.Errorf("both edits should be in the file:\n%.200s", got)
	}
}

func TestASaveAfterTheFileWasRemovedIsAConflict(t *testing.T) {
	s := newSite(t)
	p := s.open("massage-during-training")
	if err := os.Remove(s.path(samplePost)); err != nil {
		t.Fatal(err)
	}
	_, err := s.svc.Save(context.Background(), unchanged(p), p.Version)
	if c := asConflict(t, err); c.Current != nil {
		t.Errorf("current text %q for a removed file", c.Current)
	}
}

func TestOfConcurrentSavesOnTheSameVersionExactlyOneWins(t *testing.T) {
	s := newSite(t)
	p := s.open("massage-during-training")
	const writers = 8
	errs := make([]error, writers)
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			e := unchanged(p)
			e.Title = "Massage, take " + string(rune('A'+i))
			_, errs[i] = s.svc.Save(context.Background(), e, p.Version)
		})
	}
	wg.Wait()
	winner := -1
	for i, err := range errs {
		if err == nil {
			if winner >= 0 {
				t.Fatalf("saves %d and %d both won", winner, i)
			}
			winner = i
			continue
		}
		asConflict(t, err)
	}
	if winner < 0 {
		t.Fatal("no save won")
	}
	if got := s.open("massage-during-training").Title; got != "Massage, take "+string(rune('A'+winner)) {
		t.Errorf("the file has the title %q, not the winner's", got)
	}
	if h, _ := s.svc.History(context.Background(), "massage-during-training"); len(h) != 1 {
		t.Errorf("%d revisions kept, want the one the winner replaced", len(h))
	}
}

func TestHostileSlugsAreRefused(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	for _, slug := range []string{"", "../site", "../../etc/passwd", "/etc/passwd", "posts/x", "a\x00b", "UPPER", "-x", "x-", "a b", "a/../b", "..", ".", "a\\b"} {
		if _, err := s.svc.Open(ctx, slug); !errors.Is(err, authoring.ErrInvalidSlug) {
			t.Errorf("Open(%q) = %v", slug, err)
		}
		e := authoring.Edit{Slug: slug, Fields: authoring.Fields{Title: "x", Date: "2024-01-01"}, Body: "x"}
		if _, err := s.svc.Save(ctx, e, ""); !errors.Is(err, authoring.ErrInvalidSlug) {
			t.Errorf("Save(%q) = %v", slug, err)
		}
		if _, err := s.svc.Delete(ctx, slug, "x", "kay"); !errors.Is(err, authoring.ErrInvalidSlug) {
			t.Errorf("Delete(%q) = %v", slug, err)
		}
		if _, err := s.svc.History(ctx, slug); !errors.Is(err, authoring.ErrInvalidSlug) {
			t.Errorf("History(%q) = %v", slug, err)
		}
		if _, err := s.svc.Restore(ctx, slug, 1, "x", "kay"); !errors.Is(err, authoring.ErrInvalidSlug) {
			t.Errorf("Restore(%q) = %v", slug, err)
		}
	}
	if _, err := s.svc.Open(ctx, "no-such-post"); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("Open of a missing post = %v, want ErrNotFound", err)
	}
	s.noStrayFiles()
}

// A browser sends a textarea's lines ended by CR LF: a body (or summary)
// that differs only in that is the file's own, and an edited one takes the
// file's line ends.
func TestABrowsersLineEndsDoNotChangeTheFile(t *testing.T) {
	s := newSite(t)
	before := s.read(samplePost)
	p := s.open("massage-during-training")
	e := unchanged(p)
	e.Body = strings.ReplaceAll(p.Body, "\n", "\r\n")
	p = s.save(e, p.Version)
	if got := s.read(samplePost); got != before {
		t.Fatal("a body sent with CR LF changed an LF file")
	}
	e = unchanged(p)
	e.Body = strings.ReplaceAll(p.Body, "\n", "\r\n") + "One more line.\r\n"
	e.Summary = "Two\r\nlines."
	s.save(e, p.Version)
	if got := s.read(samplePost); strings.Contains(got, "\r") || !strings.HasSuffix(got, p.Body+"One more line.\n") {
		t.Errorf("the edited LF file has CR or lacks the new line:\n%q", got[len(got)-60:])
	}
	if got := s.open("massage-during-training").Summary; got != "Two\nlines." {
		t.Errorf("summary %q", got)
	}
}

// A folder under posts/ that is a symbolic link to somewhere else is never
// written through.
func TestSymbolicLinksOutOfTheContentDirectoryAreNotFollowed(t *testing.T) {
	s := newSite(t)
	outside := t.TempDir()
	if err := os.Symlink(outside, s.path("posts/escape")); err != nil {
		t.Fatal(err)
	}
	_, err := s.svc.Save(context.Background(), authoring.Edit{Slug: "escape", Fields: authoring.Fields{Title: "Out", Date: "2024-01-01"}, Body: "x\n"}, "")
	if !errors.Is(err, authoring.ErrLink) {
		t.Errorf("a new post through a link: %v, want ErrLink", err)
	}
	if err := os.WriteFile(outside+"/index.md", []byte("---\ntitle: Out\ndate: 2024-01-01\n---\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Open(context.Background(), "escape"); !errors.Is(err, authoring.ErrLink) {
		t.Errorf("opening a post through a link: %v, want ErrLink", err)
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 1 {
		t.Errorf("the editor wrote outside the content directory: %v", entries)
	}
}

func TestTheStoryStartsAfterTheBlankLineAndSavesKeepTheBytes(t *testing.T) {
	front := "---\ntitle: Hills\ndate: 2026-11-01\nauthor: kay-kays-bird-club\ndraft: true\n---\n"
	for _, c := range []struct {
		what, file, story string
		// edited is the story sent, and want the file after.
		edited, want string
	}{
		{"one blank line", front + "\nUp.\n", "Up.\n", "Up and down.\n", front + "\nUp and down.\n"},
		{"no blank line", front + "Up.\n", "Up.\n", "Up and down.\n", front + "Up and down.\n"},
		{"two blank lines", front + "\n\nUp.\n", "\nUp.\n", "\nUp and down.\n", front + "\n\nUp and down.\n"},
		{"no blank line, a story that starts with one", front + "Up.\n", "Up.\n", "\nUp and down.\n", front + "\n\nUp and down.\n"},
		{"CR LF", strings.ReplaceAll(front, "\n", "\r\n") + "\r\nUp.\r\n", "Up.\r\n", "Up and down.\r\n",
			strings.ReplaceAll(front, "\n", "\r\n") + "\r\nUp and down.\r\n"},
	} {
		t.Run(c.what, func(t *testing.T) {
			s := newSite(t)
			s.write("posts/hills/index.md", c.file)
			p := s.open("hills")
			if p.Body != c.story {
				t.Errorf("the story = %q, want %q", p.Body, c.story)
			}
			s.save(unchanged(p), p.Version)
			if got := s.read("posts/hills/index.md"); got != c.file {
				t.Errorf("an unchanged save wrote %q", got)
			}
			e := unchanged(p)
			e.Body = c.edited
			saved := s.save(e, p.Version)
			if got := s.read("posts/hills/index.md"); got != c.want {
				t.Errorf("the edited file = %q, want %q", got, c.want)
			}
			if saved.Body != c.edited {
				t.Errorf("the saved story = %q, want %q", saved.Body, c.edited)
			}
		})
	}
}
