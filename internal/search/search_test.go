package search

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"milepost/internal/content"
)

func TestParse(t *testing.T) {
	cases := []struct {
		raw  string
		want Query
	}{
		{`IT band`, Query{Words: []string{"it", "band"}}},
		{`"Negative Split" knee`, Query{Phrases: [][]string{{"negative", "split"}}, Words: []string{"knee"}}},
		{`"single"`, Query{Words: []string{"single"}}},
		{`tag:Race-Report author:"Kay Runner" tempo`, Query{Tags: []string{"race-report"}, Authors: []string{"kay runner"}, Words: []string{"tempo"}}},
		{`TAG:#trail`, Query{Tags: []string{"trail"}}},
		{`runner’s don't`, Query{Words: []string{"runner's", "don't"}}},
		{`a.*b+ [c] (d|e)`, Query{Words: []string{"a", "b", "c", "d", "e"}}},
		{`"unclosed phrase here`, Query{Phrases: [][]string{{"unclosed", "phrase", "here"}}}},
		{`   `, Query{}},
	}
	for _, c := range cases {
		got, err := Parse(c.raw)
		if err != nil {
			t.Fatalf("Parse(%q): %v", c.raw, err)
		}
		c.want.Raw = c.raw
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", c.raw, got, c.want)
		}
	}
	for raw, want := range map[string]error{
		strings.Repeat("x", MaxQueryBytes+1): ErrQueryTooLong,
		strings.Repeat("x ", MaxTerms+1):     ErrTooManyTerms,
		"\xff\xfe":                           ErrNotUTF8,
		`"" () * tag: author: -- ?`:          ErrNoWords,
		strings.Repeat("tag:a ", MaxTerms+1): ErrTooManyTerms,
		`"` + strings.Repeat("w ", 30) + `"`: ErrTooManyTerms,
	} {
		if _, err := Parse(raw); !errors.Is(err, want) {
			t.Errorf("Parse(%.30q): %v, want %v", raw, err, want)
		}
	}
}

// FuzzParse: any input is parsed or refused with one of the query errors,
// fast, and what is parsed keeps within the limits.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`IT band`, `"negative split" tag:trail`, `author:"Kay" x`, "\xff", `"""`, `tag:"`, `.*+?`, `ÉCOLE’s`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrQueryTooLong) && !errors.Is(err, ErrTooManyTerms) && !errors.Is(err, ErrNotUTF8) && !errors.Is(err, ErrNoWords) {
				t.Fatalf("Parse(%q): unexpected error %v", raw, err)
			}
			return
		}
		terms := len(q.Words) + len(q.Tags) + len(q.Authors)
		for _, ph := range q.Phrases {
			if len(ph) < 2 {
				t.Fatalf("Parse(%q): phrase of %d words", raw, len(ph))
			}
			terms += len(ph)
		}
		if terms > MaxTerms {
			t.Fatalf("Parse(%q): %d terms", raw, terms)
		}
		for _, w := range q.Words {
			if w == "" || !utf8.ValidString(w) || normalize(w) != w {
				t.Fatalf("Parse(%q): word %q", raw, w)
			}
		}
		if q.Empty() != (strings.TrimSpace(raw) == "") {
			t.Fatalf("Parse(%q): Empty() = %v", raw, q.Empty())
		}
	})
}

func TestSnippet(t *testing.T) {
	text := "One two <b>three</b> & four five"
	var marks []uint32
	// The words: One two b three b four five; mark "three" (3).
	marks = append(marks, 3)
	got := string(snippet(text, marks))
	want := "One two &lt;b&gt;<mark>three</mark>&lt;/b&gt; &amp; four five"
	if got != want {
		t.Fatalf("snippet = %q\nwant      %q", got, want)
	}
	long := strings.Repeat("filler ", 100) + "target " + strings.Repeat("after ", 100)
	got = string(snippet(long, []uint32{100}))
	if !strings.HasPrefix(got, "… filler filler filler filler <mark>target</mark> after") || !strings.HasSuffix(got, "after …") {
		t.Fatalf("snippet of a long text: %q", got)
	}
	if n := len(strings.Fields(got)); n != snippetWords+2 {
		t.Fatalf("snippet has %d words and ellipses, want %d", n, snippetWords+2)
	}
	if got := string(snippet(long, nil)); !strings.HasPrefix(got, "filler") || !strings.HasSuffix(got, " …") {
		t.Fatalf("snippet without marks: %q", got)
	}
}

// siteDir is a site's content directory with its site.yaml, and no posts
// yet (writePost adds them).
func siteDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte("title: T\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// openSource loads the site in dir as serve does.
func openSource(t *testing.T, dir string) *content.Source {
	t.Helper()
	src, err := content.NewSource(context.Background(), dir, content.Overrides{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func writePost(t *testing.T, dir, name, front, body string) {
	t.Helper()
	path := filepath.Join(dir, "posts", name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("---\n"+front+"\n---\n"+body+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSyncFollowsVersionsAndSchedule(t *testing.T) {
	dir := siteDir(t)
	writePost(t, dir, "a.md", "title: Alpha\ndate: 2024-01-01T00:00:00Z", "Hill repeats in the rain.")
	writePost(t, dir, "b.md", "title: Beta\ndate: 2024-06-01T00:00:00Z", "Scheduled hill run.")
	writePost(t, dir, "c.md", "title: Gamma\ndate: 2024-01-02T00:00:00Z\ndraft: true", "A hill draft.")
	ctx := context.Background()
	src := openSource(t, dir)
	ix := New()
	if _, err := ix.Search(ctx, Query{Words: []string{"hill"}}, 1, time.Now()); !errors.Is(err, ErrNotReady) {
		t.Fatalf("before the first Sync: %v", err)
	}
	march := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	next, err := ix.Sync(ctx, src.Current(), march)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC); !next.Equal(want) {
		t.Fatalf("next due %v, want %v", next, want)
	}
	found := func(now time.Time, words ...string) []string {
		t.Helper()
		res, err := ix.Search(ctx, Query{Words: words}, 1, now)
		if err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, h := range res.Hits {
			titles = append(titles, h.Post.Title)
		}
		return titles
	}
	if got := found(march, "hill"); !reflect.DeepEqual(got, []string{"Alpha"}) {
		t.Fatalf("in March: %q", got)
	}
	// Even a search at a later time finds only what was indexed: the
	// scheduled post comes in with the Sync at its time.
	if got := found(march.AddDate(1, 0, 0), "hill"); !reflect.DeepEqual(got, []string{"Alpha"}) {
		t.Fatalf("searched later, not synced: %q", got)
	}
	july := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	if next, err = ix.Sync(ctx, src.Current(), july); err != nil || !next.IsZero() {
		t.Fatalf("Sync in July: next %v, %v", next, err)
	}
	if got := found(july, "hill"); !reflect.DeepEqual(got, []string{"Beta", "Alpha"}) && !reflect.DeepEqual(got, []string{"Alpha", "Beta"}) {
		t.Fatalf("in July: %q", got)
	}
	// An edit: only the changed post is read again.
	alpha := ix.docs[ix.bySlug["a"]].post
	writePost(t, dir, "b.md", "title: Beta\ndate: 2024-06-01T00:00:00Z", "Scheduled track run.")
	src.Reload(ctx)
	if _, err := ix.Sync(ctx, src.Current(), july); err != nil {
		t.Fatal(err)
	}
	if ix.docs[ix.bySlug["a"]].post != alpha {
		t.Fatal("the unchanged post was read again")
	}
	if got := found(july, "track"); !reflect.DeepEqual(got, []string{"Beta"}) {
		t.Fatalf("after the edit, track: %q", got)
	}
	if got := found(july, "hill"); !reflect.DeepEqual(got, []string{"Alpha"}) {
		t.Fatalf("after the edit, hill: %q", got)
	}
}

// TestCompaction removes and re-adds posts until the index compacts, and
// checks that what it finds and how it ranks stay the same.
func TestCompaction(t *testing.T) {
	dir := siteDir(t)
	for i := range 300 {
		body := "Easy miles."
		if i%3 == 0 {
			body = "Easy miles with a tempo finish. Tempo!"
		}
		writePost(t, dir, "p"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26))+".md",
			"title: Run\ndate: 2024-01-01T00:00:00Z", body)
	}
	ctx := context.Background()
	src := openSource(t, dir)
	ix := New()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := ix.Sync(ctx, src.Current(), now); err != nil {
		t.Fatal(err)
	}
	before, err := ix.Search(ctx, Query{Words: []string{"tempo"}}, 1, now)
	if err != nil {
		t.Fatal(err)
	}
	// Every post changes: all 300 are removed and added again.
	for _, p := range (content.View{Site: src.Current(), Now: now}).Posts() {
		writePost(t, dir, filepath.Base(p.File), "title: Run\ndate: 2024-01-01T00:00:00Z", "Changed. "+strings.TrimSpace(p.Text()))
	}
	src.Reload(ctx)
	if _, err := ix.Sync(ctx, src.Current(), now); err != nil {
		t.Fatal(err)
	}
	if ix.removed != 0 || len(ix.docs) != 300 {
		t.Fatalf("after compaction: %d removed, %d documents", ix.removed, len(ix.docs))
	}
	after, err := ix.Search(ctx, Query{Words: []string{"tempo"}}, 1, now)
	if err != nil {
		t.Fatal(err)
	}
	if after.Total != before.Total || after.Total != 100 {
		t.Fatalf("tempo: %d found before, %d after, want 100", before.Total, after.Total)
	}
	if n := ix.terms["chang"].df; n != 300 {
		t.Fatalf("df of a word in every post: %d", n)
	}
}

// TestSuggestionsForgetRemovedPosts: once the only post with a word is
// deleted, the word is neither suggested nor taken as known, at once and
// not only after a compaction; and a compaction drops it.
func TestSuggestionsForgetRemovedPosts(t *testing.T) {
	dir := siteDir(t)
	writePost(t, dir, "zoo.md", "title: Zoo\ndate: 2024-01-01T00:00:00Z", "A zebra watched the intervals.")
	writePost(t, dir, "loop.md", "title: Loop\ndate: 2024-01-02T00:00:00Z", "Ran the Debra loop twice.")
	ctx := context.Background()
	src := openSource(t, dir)
	ix := New()
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := ix.Sync(ctx, src.Current(), now); err != nil {
		t.Fatal(err)
	}
	search := func(raw string) *Results {
		t.Helper()
		q, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ix.Search(ctx, q, 1, now)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := search("zebre"); res.Suggestion != "zebra" {
		t.Fatalf("zebre, with the zebra post: suggestion %q", res.Suggestion)
	}

	if err := os.Remove(filepath.Join(dir, "posts", "zoo.md")); err != nil {
		t.Fatal(err)
	}
	src.Reload(ctx)
	if _, err := ix.Sync(ctx, src.Current(), now); err != nil {
		t.Fatal(err)
	}
	if ix.removed != 1 {
		t.Fatalf("%d removed documents, want 1 (no compaction yet)", ix.removed)
	}
	if res := search("zebre"); res.Total != 0 || res.Suggestion != "" {
		t.Errorf("zebre, the zebra post deleted: %d found, suggestion %q, want none", res.Total, res.Suggestion)
	}
	if res := search("zebra"); res.Total != 0 || res.Suggestion != "debra" {
		t.Errorf("zebra, the zebra post deleted: %d found, suggestion %q, want the live word debra", res.Total, res.Suggestion)
	}
	if res := search("debr"); res.Suggestion != "debra" {
		t.Errorf("debr: suggestion %q", res.Suggestion)
	}

	ix.mu.Lock()
	ix.compact()
	ix.mu.Unlock()
	if _, kept := ix.words["zebra"]; kept {
		t.Error("a compaction kept the word of the deleted post")
	}
	if _, kept := ix.words["debra"]; !kept {
		t.Error("a compaction dropped the word of a live post")
	}
}

// A phrase in quotes is found in any one field, not only the title and
// body: a race's name, the shoes, a tag, the author's name. It is never
// made of the end of one part and the start of the next (two tags, the
// run's type and its shoes).
func TestPhrasesAreFoundInEveryField(t *testing.T) {
	dir := siteDir(t)
	if err := os.MkdirAll(filepath.Join(dir, "authors"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "authors", "kay.md"), []byte("---\nname: Kay Bird\n---\nRuns.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writePost(t, dir, "a.md", "title: Alpha\ndate: 2024-01-01T00:00:00Z\nauthor: kay\ntags: [race day, trail]\n"+
		"run:\n  type: race\n  distance: 42.195 km\n  race: Portland Marathon\n  shoes: Pegasus 40",
		"A wet morning.")
	writePost(t, dir, "b.md", "title: Beta\ndate: 2024-01-02T00:00:00Z\ntags: [day trip]\nrun:\n  type: easy\n  shoes: Portland Marathon flats",
		"Portland, then a marathon of errands.")
	ctx := context.Background()
	ix := New()
	if _, err := ix.Sync(ctx, openSource(t, dir).Current(), time.Now()); err != nil {
		t.Fatal(err)
	}
	for raw, want := range map[string][]string{
		`"portland marathon"`:   {"Alpha", "Beta"}, // a race; shoes
		`"pegasus 40"`:          {"Alpha"},
		`"race day"`:            {"Alpha"}, // a tag
		`"kay bird"`:            {"Alpha"}, // the author
		`"bird kay"`:            nil,       // from the author's name into their ID
		`"half marathon"`:       nil,
		`"marathon" "race day"`: {"Alpha"},
		`"day trail"`:           nil, // across two tags
		`"race pegasus"`:        nil, // from the run's type into its shoes
		`"easy portland"`:       nil,
		`"portland then"`:       {"Beta"}, // the body still
	} {
		q, err := Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		res, err := ix.Search(ctx, q, 1, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, h := range res.Hits {
			got = append(got, h.Post.Title)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s found %q, want %q", raw, got, want)
		}
	}
}
