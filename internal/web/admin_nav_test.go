package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"milepost/internal/accounts"
)

// The admin pages and the editor share one navigation: an editor sees the
// review queue's count on each, a writer the links their role may follow.
func TestTheEditorAndTheAdminPagesShareOneNavigation(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	cai := h.writerAs("cai", accounts.RoleContributor, "kay")
	ed := h.writerAs("ed", accounts.RoleEditor, "")
	res := cai.postForm("/admin/posts/new", url.Values{"title": {"My first long run"}, "body": {"Twenty kilometres."},
		"date": {"2026-11-20T09:30"}, "action": {"submit"}})
	wantStatus(t, "submitting a post", res, http.StatusSeeOther)

	navOf := func(page string) string {
		start := strings.Index(page, `<nav class="admin-nav" aria-label="Admin">`)
		if start < 0 {
			t.Fatalf("no admin navigation on the page:\n%.1500s", page)
		}
		return page[start : start+strings.Index(page[start:], "</nav>")]
	}
	home := navOf(ed.get("/admin/posts/").body)
	for _, path := range []string{"/admin/posts/new", "/admin/posts/my-first-long-run/edit", "/admin/trash/"} {
		page := ed.get(path)
		wantStatus(t, path, page, http.StatusOK)
		nav := navOf(page.body)
		mustContain(t, "the navigation of "+path, nav, "Awaiting review: 1", `href="/admin/posts/new"`, `href="/admin/trash/"`)
		// The same links as the list of posts, the current one aside.
		if strings.ReplaceAll(nav, ` aria-current="page"`, "") != strings.ReplaceAll(home, ` aria-current="page"`, "") {
			t.Errorf("the navigation of %s differs from the posts list's:\n%s\n%s", path, nav, home)
		}
	}
	mustContain(t, "the new post form's navigation", navOf(ed.get("/admin/posts/new").body), `href="/admin/posts/new" aria-current="page"`)
	nav := navOf(cai.get("/admin/posts/new").body)
	if strings.Contains(nav, "Awaiting review") || strings.Contains(nav, "/admin/trash/") {
		t.Errorf("a contributor's navigation: %s", nav)
	}
}
