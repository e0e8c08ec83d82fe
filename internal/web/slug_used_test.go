package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"milepost/internal/accounts"
)

// A post deleted to the trash keeps its history and comments under its
// slug, for its restore: no other post may take the slug and them with it.
func TestASlugAnotherPostLeftRecordsUnderIsRefusedToNewAndRenamedPosts(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/race/index.md":     "---\ntitle: Race\ndate: 2026-11-01\nauthor: kay\ndraft: true\n---\n\nKay's race.\n",
		"posts/cai-plan/index.md": "---\ntitle: Plan\ndate: 2026-11-01\nauthor: cai\ndraft: true\n---\n\nCai's plan.\n",
	}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	wantStatus(t, "kay's save", saveDraft(t, kay, "race", "body", "Kay's race, told again."), http.StatusSeeOther)
	fields := formFields(t, kay.get("/admin/posts/race/edit").body)
	wantStatus(t, "kay's delete", kay.postForm("/admin/posts/race/edit", url.Values{"version": {fields.Get("version")}, "action": {"delete"}}), http.StatusSeeOther)

	cai := h.writerAs("cai", accounts.RoleContributor, "cai")
	res := saveDraft(t, cai, "cai-plan", "slug", "race", "body", "Cai's words.")
	wantStatus(t, "renaming a draft onto the deleted post's slug", res, http.StatusConflict)
	mustContain(t, "the answer", res.body, "this address was used by another post", "Cai&#39;s words.")
	if got := h.readFile("posts/cai-plan/index.md"); !strings.Contains(got, "Cai's plan.") {
		t.Errorf("a refused rename changed the file:\n%s", got)
	}
	res = cai.postForm("/admin/posts/new", newPostFields(t, cai, "title", "Race", "body", "Cai's race.", "action", "draft"))
	wantStatus(t, "a new post with the deleted post's slug", res, http.StatusConflict)
	mustContain(t, "the answer", res.body, "this address was used by another post", "Cai&#39;s race.")
	revs, err := h.db.Revisions(context.Background(), "race")
	if err != nil || len(revs) != 1 {
		t.Errorf("the deleted post's history = %+v, %v", revs, err)
	}
	for _, r := range revs {
		if r.By != "kay" {
			t.Errorf("a revision of %s under the deleted post's slug: %+v", r.By, r)
		}
	}
	checkDB(t, h)
}
