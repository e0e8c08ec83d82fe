package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/comments"
)

// The edit page offers the slug field only when a save can change it, and
// says why not otherwise; a rename that would separate a post from
// comments, or take another post's, is refused with the text kept.

// addComment keeps an approved comment under the slug, as a reader's
// would be.
func addComment(t *testing.T, h *harness, slug string) {
	t.Helper()
	c := comments.Comment{Post: slug, Name: "Ana", Body: "Well run!", HTML: "<p>Well run!</p>\n",
		Status: comments.StatusApproved, Created: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	if err := h.db.Add(context.Background(), &c); err != nil {
		t.Fatal(err)
	}
}

func TestADraftWithCommentsShowsItsSlugAndWhyItStays(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/race/index.md": "---\ntitle: Race\ndate: 2026-11-01\nauthor: kay\ndraft: true\n---\n\nRace.\n",
	}, withAuthoring)
	addComment(t, h, "race") // left while it was out, say, or imported
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	page := kay.get("/admin/posts/race/edit")
	wantStatus(t, "the edit page", page, http.StatusOK)
	mustContain(t, "the edit page", page.body, "<code>/posts/race/</code>", "The post has comments, which stay with its address")
	if strings.Contains(page.body, `name="slug"`) {
		t.Error("the slug of a draft with comments is offered")
	}
	res := kay.postForm("/admin/posts/race/edit", with(formFields(t, page.body), "action", "draft", "slug", "race-day", "body", "Kept."))
	wantStatus(t, "renaming it anyway", res, http.StatusConflict)
	mustContain(t, "the answer", res.body, "this post has comments, which stay with its address", "Kept.")
	checkDB(t, h)
}

func TestARenameOntoASlugWithCommentsIsRefused(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/plan/index.md": "---\ntitle: Plan\ndate: 2026-11-01\nauthor: kay\ndraft: true\n---\n\nPlan.\n",
	}, withAuthoring)
	addComment(t, h, "old-race") // a post moved away by hand left them
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	res := saveDraft(t, kay, "plan", "slug", "old-race", "body", "My new words.")
	wantStatus(t, "renaming onto the slug with comments", res, http.StatusConflict)
	mustContain(t, "the answer", res.body, "this address was used by another post", "My new words.")
	if got := h.readFile("posts/plan/index.md"); !strings.Contains(got, "\nPlan.\n") {
		t.Errorf("a refused rename changed the file:\n%s", got)
	}
	if got, _ := h.db.ByPost(context.Background(), "old-race"); len(got) != 1 {
		t.Errorf("the comments under old-race: %v", got)
	}
	checkDB(t, h)
}
