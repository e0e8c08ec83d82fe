package importer

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"milepost/internal/comments"
)

var sitePosts = []PostInfo{
	{Slug: "massage-during-training", URL: "https://kayruns.example/posts/massage-during-training/"},
	{Slug: "first-marathon", URL: "https://kayruns.example/posts/first-marathon/"},
	{Slug: "taper", URL: "https://kayruns.example/posts/taper/"},
}

// at is a time a number of minutes into 2011-10-04.
func at(minutes int) time.Time {
	return time.Date(2011, 10, 4, 0, minutes, 0, 0, time.UTC)
}

// it is an item on the post ref, written at minute min.
func it(source, parent string, ref PostRef, min int) Item {
	return Item{Source: source, ParentSource: parent, PostRef: ref, Body: "text of " + source, Created: at(min), Status: StatusApproved}
}

func bySlug(s string) PostRef { return PostRef{Slug: s} }
func byURL(u string) PostRef  { return PostRef{URL: u} }

func TestPlaceMatching(t *testing.T) {
	tests := []struct {
		name string
		ref  PostRef
		post string
		by   Match
		// reason is set when the item is not placed.
		reason string
	}{
		{"slug", bySlug("taper"), "taper", MatchSlug, ""},
		{"slug wins over link", PostRef{Slug: "taper", URL: "https://kayruns.example/posts/first-marathon/"}, "taper", MatchSlug, ""},
		{"same URL", byURL("https://kayruns.example/posts/taper/"), "taper", MatchURL, ""},
		{"URL on another host and scheme, no slash, with query and fragment",
			byURL("http://localhost:4000/posts/taper?utm_source=feed#comment-12"), "taper", MatchURL, ""},
		{"URL path with escapes and double slashes", byURL("https://old.example//posts/%74aper/"), "taper", MatchURL, ""},
		{"relative URL", byURL("/posts/first-marathon"), "first-marathon", MatchURL, ""},
		{"WordPress link by last segment", byURL("https://old.example/2011/10/massage-during-training/"), "massage-during-training", MatchLastSegment, ""},
		{"Blogger-style .html link", byURL("http://kayruns.example/2012/01/first-marathon.html"), "first-marathon", MatchLastSegment, ""},
		{"unknown slug, known link", PostRef{Slug: "old-taper-slug", URL: "https://old.example/2011/09/taper/"}, "taper", MatchLastSegment, ""},

		{"no reference", PostRef{Title: "Untitled"}, "", "",
			`the export does not say which post it is on (no slug or link) (the old post "Untitled")`},
		{"unknown slug", bySlug("hill-repeats"), "", "", `no post matches the slug "hill-repeats"`},
		{"unknown slug and link", PostRef{Slug: "hill-repeats", URL: "https://old.example/2011/11/hill-repeats/", Title: "Hill repeats"}, "", "",
			`no post matches the slug "hill-repeats" or the link https://old.example/2011/11/hill-repeats/ (the old post "Hill repeats")`},
		{"WordPress ?p= link", byURL("https://old.example/?p=101"), "", "", "no post matches the link https://old.example/?p=101"},
		{"site root", byURL("https://kayruns.example/"), "", "", "no post matches the link https://kayruns.example/"},
		{"segment is not the last", byURL("https://old.example/taper/comments/"), "", "", "no post matches the link https://old.example/taper/comments/"},
		{"slug case differs", bySlug("Taper"), "", "", `no post matches the slug "Taper"`},
		{"unparsable link", byURL("https://old.example/%zz"), "", "", "no post matches the link https://old.example/%zz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			item := it("wxr:1", "", tc.ref, 0)
			placed, unplaced := Place([]Item{item}, sitePosts)
			var want []Placed
			var wantUn []Unplaced
			if tc.reason == "" {
				want = []Placed{{Item: item, Post: tc.post, By: tc.by}}
			} else {
				wantUn = []Unplaced{{Item: item, Reason: tc.reason}}
			}
			if diff := cmp.Diff(want, placed); diff != "" {
				t.Errorf("placed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(wantUn, unplaced); diff != "" {
				t.Errorf("unplaced (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPlaceThreads checks parents, notes and order. Each case gives the
// placed items as "source parent [note]" in the order Place returns them,
// and the unplaced ones as "source: reason".
func TestPlaceThreads(t *testing.T) {
	massage, marathon := bySlug("massage-during-training"), bySlug("first-marathon")
	nowhere := bySlug("gone")
	tests := []struct {
		name     string
		items    []Item
		placed   []string
		unplaced []string
	}{
		{
			name: "thread kept, oldest first",
			items: []Item{
				it("wxr:13", "wxr:12", massage, 20), it("wxr:12", "", massage, 10),
				it("wxr:14", "wxr:13", massage, 30), it("wxr:20", "", marathon, 15),
			},
			placed: []string{"wxr:12 -", "wxr:20 -", "wxr:13 wxr:12", "wxr:14 wxr:13"},
		},
		{
			name:   "reply written before its parent still comes after it",
			items:  []Item{it("d:2", "d:1", massage, 5), it("d:1", "", massage, 10), it("d:3", "", massage, 7)},
			placed: []string{"d:3 -", "d:1 -", "d:2 d:1"},
		},
		{
			name:   "parent not in the import",
			items:  []Item{it("wxr:22", "wxr:21", marathon, 0)},
			placed: []string{"wxr:22 - [reply to wxr:21, which is not among the imported comments (deleted, trashed or skipped): placed at top level]"},
		},
		{
			name:     "parent unplaced",
			items:    []Item{it("wxr:1", "", nowhere, 0), it("wxr:2", "wxr:1", massage, 1), it("wxr:3", "wxr:2", massage, 2)},
			placed:   []string{`wxr:2 - [reply to wxr:1, which could not be placed (no post matches the slug "gone"): placed at top level]`, "wxr:3 wxr:2"},
			unplaced: []string{`wxr:1: no post matches the slug "gone"`},
		},
		{
			name:   "parent on another post",
			items:  []Item{it("wxr:1", "", marathon, 0), it("wxr:2", "wxr:1", massage, 1)},
			placed: []string{"wxr:1 -", "wxr:2 - [reply to wxr:1, which is on another post (first-marathon): placed at top level]"},
		},
		{
			name:   "reply to itself",
			items:  []Item{it("wxr:1", "wxr:1", massage, 0)},
			placed: []string{"wxr:1 - [reply to wxr:1, which is itself: placed at top level]"},
		},
		{
			name:   "loop of parents",
			items:  []Item{it("a", "c", massage, 0), it("b", "a", massage, 1), it("c", "b", massage, 2), it("d", "c", massage, 3)},
			placed: []string{"a - [reply to c, but its replies lead back to it: placed at top level]", "b a", "c b", "d c"},
		},
		{
			name:     "empty text, duplicate and missing sources",
			items:    []Item{{Source: "wxr:1", PostRef: massage, Body: " \n", Created: at(0)}, it("wxr:2", "", massage, 1), it("wxr:2", "", massage, 2), it("", "", massage, 3), it("wxr:3", "wxr:1", massage, 4)},
			placed:   []string{"wxr:2 -", "wxr:3 - [reply to wxr:1, which could not be placed (its text is empty): placed at top level]"},
			unplaced: []string{"wxr:1: its text is empty", `wxr:2: its Source "wxr:2" is the same as an earlier item's`, ": it has no Source, so a second import could not recognise it"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			placed, unplaced := Place(tc.items, sitePosts)
			var got, gotUn []string
			for _, p := range placed {
				s := p.Item.Source + " " + orDash(p.Parent)
				if p.Note != "" {
					s += " [" + p.Note + "]"
				}
				got = append(got, s)
			}
			for _, u := range unplaced {
				gotUn = append(gotUn, u.Item.Source+": "+u.Reason)
			}
			if diff := cmp.Diff(tc.placed, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("placed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.unplaced, gotUn, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("unplaced (-want +got):\n%s", diff)
			}
		})
	}
}

// A chain deeper than comments.MaxDepth allows is folded: each reply past
// the limit goes beside its parent, at the deepest level allowed.
func TestPlaceDepth(t *testing.T) {
	const n = comments.MaxDepth + 3
	var items []Item
	for i := range n {
		parent := ""
		if i > 0 {
			parent = fmt.Sprintf("c:%d", i-1)
		}
		items = append(items, it(fmt.Sprintf("c:%d", i), parent, bySlug("taper"), i))
	}
	placed, unplaced := Place(items, sitePosts)
	if len(unplaced) != 0 {
		t.Fatalf("unplaced: %v", unplaced)
	}
	deepest := fmt.Sprintf("c:%d", comments.MaxDepth-2) // at depth MaxDepth-2
	var got []string
	for _, p := range placed {
		got = append(got, p.Item.Source+" "+orDash(p.Parent))
	}
	want := []string{"c:0 -"}
	for i := 1; i < n; i++ {
		parent := fmt.Sprintf("c:%d", i-1)
		if i > comments.MaxDepth-1 {
			parent = deepest
		}
		want = append(want, fmt.Sprintf("c:%d %s", i, parent))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parents (-want +got):\n%s", diff)
	}
	last := placed[len(placed)-1]
	wantNote := fmt.Sprintf("reply to c:%d, but threads go only %d levels deep: placed beside it, as a reply to %s", n-2, comments.MaxDepth, deepest)
	if last.Note != wantNote {
		t.Errorf("note = %q, want %q", last.Note, wantNote)
	}
	checkPlaced(t, placed)
}

// checkPlaced checks what Place promises of any result: parents first, on
// the same post, no deeper than comments.MaxDepth allows.
func checkPlaced(t *testing.T, placed []Placed) {
	t.Helper()
	pos := make(map[string]int, len(placed))
	depth := make(map[string]int, len(placed))
	for i, p := range placed {
		if p.Parent != "" {
			j, ok := pos[p.Parent]
			switch {
			case !ok:
				t.Errorf("%s comes before its parent %s, or the parent is not placed", p.Item.Source, p.Parent)
				continue
			case placed[j].Post != p.Post:
				t.Errorf("%s on %s replies to %s on %s", p.Item.Source, p.Post, p.Parent, placed[j].Post)
			}
			depth[p.Item.Source] = depth[p.Parent] + 1
			if depth[p.Item.Source] >= comments.MaxDepth {
				t.Errorf("%s is at depth %d", p.Item.Source, depth[p.Item.Source])
			}
		}
		if p.Parent != p.Item.ParentSource && p.Note == "" {
			t.Errorf("%s: parent %q, not %q, with no note", p.Item.Source, p.Parent, p.Item.ParentSource)
		}
		if _, dup := pos[p.Item.Source]; dup {
			t.Errorf("%s placed twice", p.Item.Source)
		}
		pos[p.Item.Source] = i
	}
}

// The fixtures, parsed and placed on the sample posts.
func TestPlaceFixtures(t *testing.T) {
	tests := []struct {
		file     string
		placed   []string // "source on post by parent"
		unplaced []string
	}{
		{"wordpress.xml", []string{
			"wxr:12 on massage-during-training by slug -",
			"wxr:13 on massage-during-training by slug wxr:12",
			"wxr:14 on massage-during-training by slug wxr:13",
			"wxr:16 on massage-during-training by slug -",
			"wxr:20 on first-marathon by slug -",
			"wxr:22 on first-marathon by slug - (reply to wxr:21, which is not among the imported comments (deleted, trashed or skipped): placed at top level)",
		}, nil},
		{"disqus.xml", []string{
			"disqus:90001 on massage-during-training by slug -",
			"disqus:90002 on massage-during-training by slug disqus:90001",
			"disqus:90004 on massage-during-training by slug - (reply to disqus:90003, which is not among the imported comments (deleted, trashed or skipped): placed at top level)",
			"disqus:90005 on first-marathon by last-segment -",
			"disqus:90006 on first-marathon by last-segment -",
		}, nil},
		{"milepost.json", []string{
			"milepost:1 on massage-during-training by slug -",
			"milepost:2 on massage-during-training by slug milepost:1",
			"milepost:5 on first-marathon by slug -",
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			_, items, err := Parse(strings.NewReader(readFixture(t, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			placed, unplaced := Place(items, sitePosts)
			var got, gotUn []string
			for _, p := range placed {
				s := fmt.Sprintf("%s on %s by %s %s", p.Item.Source, p.Post, p.By, orDash(p.Parent))
				if p.Note != "" {
					s += " (" + p.Note + ")"
				}
				got = append(got, s)
			}
			for _, u := range unplaced {
				gotUn = append(gotUn, u.Item.Source+": "+u.Reason)
			}
			if diff := cmp.Diff(tc.placed, got); diff != "" {
				t.Errorf("placed (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.unplaced, gotUn); diff != "" {
				t.Errorf("unplaced (-want +got):\n%s", diff)
			}
			checkPlaced(t, placed)
		})
	}
}

// Place's input is left as it was.
func TestPlaceLeavesInputAlone(t *testing.T) {
	items := []Item{it("a", "b", bySlug("taper"), 1), it("b", "a", bySlug("taper"), 0)}
	before := append([]Item(nil), items...)
	Place(items, sitePosts)
	if diff := cmp.Diff(before, items); diff != "" {
		t.Errorf("items changed (-before +after):\n%s", diff)
	}
}

// A large import is placed in about linear time: a long chain of replies
// (folded for depth) and many posts.
func TestPlaceLarge(t *testing.T) {
	const n = 20000
	posts := make([]PostInfo, n)
	items := make([]Item, n)
	for i := range n {
		slug := fmt.Sprintf("post-%d", i)
		posts[i] = PostInfo{Slug: slug, URL: "https://kayruns.example/posts/" + slug + "/"}
		parent := ""
		if i > 0 {
			parent = fmt.Sprintf("c:%d", i-1)
		}
		items[i] = it(fmt.Sprintf("c:%d", i), parent, byURL("https://old.example/2011/10/post-0/"), n-i)
	}
	start := time.Now()
	placed, unplaced := Place(items, posts)
	if len(placed) != n || len(unplaced) != 0 {
		t.Fatalf("%d placed, %d unplaced", len(placed), len(unplaced))
	}
	checkPlaced(t, placed)
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("placing %d items took %v", n, d)
	}
}

func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
