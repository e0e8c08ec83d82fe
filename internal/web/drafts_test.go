package web_test

import (
	"net/http"
	"strings"
	"testing"
)

const noindex = `<meta name="robots" content="noindex">`

func draftFiles() siteFiles {
	return siteFiles{
		"posts/easy.md":  post("title: Easy ten\ndate: 2024-03-01\nauthor: kay\ntags: [road]", "Published."),
		"posts/track.md": post("title: Track night\ndate: 2024-02-01\nauthor: kay\ntags: [track]", "Published too."),
		"posts/plan.md":  post("title: Half-written plan\ndate: 2024-04-01\nauthor: kay\ntags: [road]\ndraft: true", "Not yet."),
	}
}

func TestPagesShownOnlyBecauseOfDraftsAreNoindexAndMarked(t *testing.T) {
	h := newHarness(t, draftFiles(), withDrafts)
	// Each page that shows the draft: the post, and every list with it,
	// the archive included (marked, like the other lists).
	for _, path := range []string{"/posts/plan/", "/", "/tags/road/", "/authors/kay/", "/archive/"} {
		res := h.get(path)
		if res.status != http.StatusOK {
			t.Errorf("GET %s with -drafts: %d", path, res.status)
			continue
		}
		mustContain(t, path+" with -drafts", res.body, "Half-written plan", noindex, `<span class="badge">Draft</span>`)
		if n := strings.Count(res.body, `<span class="badge">Draft</span>`); n != 1 {
			t.Errorf("%s with -drafts: %d draft marks, want 1 (the draft's)", path, n)
		}
	}
	// The tag index counts the draft's tags too, so it is not indexed either.
	mustContain(t, "/tags/ with -drafts", h.get("/tags/").body, noindex)
	// Pages without a draft stay indexable on the same server.
	for _, path := range []string{"/posts/easy/", "/tags/track/"} {
		res := h.get(path)
		mustNotContain(t, path+" with -drafts", res.body, noindex, ">Draft<")
	}
}

func TestWithoutDraftsNoPageShowsOrMarksOne(t *testing.T) {
	h := newHarness(t, draftFiles())
	if res := h.get("/posts/plan/"); res.status != http.StatusNotFound {
		t.Errorf("the draft without -drafts: %d, want 404", res.status)
	}
	for _, path := range []string{"/", "/tags/", "/tags/road/", "/authors/kay/", "/archive/", "/posts/easy/"} {
		res := h.get(path)
		if res.status != http.StatusOK {
			t.Errorf("GET %s: %d", path, res.status)
		}
		mustNotContain(t, path, res.body, "Half-written plan", ">Draft<", noindex)
	}
}
