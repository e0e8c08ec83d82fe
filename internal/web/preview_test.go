package web_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/authoring"
	"milepost/internal/media/mediatest"
)

// previewSite is a draft page bundle with a photo, by kay.
func previewSite(t *testing.T) siteFiles {
	return siteFiles{
		"posts/plan/index.md": post("title: Next plan\ndate: 2024-06-01\nauthor: kay\ndraft: true",
			"The plan for spring.\n\n![Plan](plan.png)"),
		"posts/plan/plan.png": string(mediatest.PNG(t, mediatest.Halves(300, 200))),
	}
}

var previewLinkRE = regexp.MustCompile(`/preview/([0-9a-f]{64})/`)

// makePreviewLink makes a link to the post as b and returns its token.
func makePreviewLink(t *testing.T, b *browser, slug string) string {
	t.Helper()
	res := b.postForm("/admin/posts/"+slug+"/preview-links", url.Values{})
	wantStatus(t, "making a preview link", res, http.StatusCreated)
	m := previewLinkRE.FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no preview link on the page:\n%.2000s", res.body)
	}
	return m[1]
}

func checkDB(t *testing.T, h *harness) {
	t.Helper()
	if err := h.db.Check(context.Background()); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestAPreviewLinkShowsTheDraftAsReadersWillSeeItToAnyone(t *testing.T) {
	h := newHarness(t, previewSite(t), withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	mustContain(t, "the edit page", kay.get("/admin/posts/plan/edit").body, "Make a preview link", "no one without an account")
	token := makePreviewLink(t, kay, "plan")

	page := h.get("/preview/" + token + "/")
	wantStatus(t, "the preview", page, http.StatusOK)
	mustContain(t, "the preview", page.body, "Next plan", "The plan for spring.", `name="robots" content="noindex`,
		"/preview/"+token+"/plan.png")
	mustNotContain(t, "the preview", page.body, "/posts/plan/plan.png", `action="/posts/plan/comments"`)
	for k, v := range map[string]string{"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"} {
		if got := page.header.Get(k); got != v {
			t.Errorf("the preview's %s = %q, want %q", k, got, v)
		}
	}
	photo := h.get("/preview/" + token + "/plan.png")
	wantStatus(t, "the draft's photo through the link", photo, http.StatusOK)
	decodePhoto(t, "the draft's photo", photo.body)
	if got := photo.header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("the photo's Cache-Control = %q", got)
	}
	wantStatus(t, "a smaller variant", h.get("/preview/"+token+"/plan.png?w=480"), http.StatusOK)
	wantStatus(t, "a file that is not a photo", h.get("/preview/"+token+"/index.md"), http.StatusNotFound)
	wantStatus(t, "leaving the bundle", h.get("/preview/"+token+"/..%2F..%2Fsite.yaml"), http.StatusNotFound)

	// The draft stays closed to everyone else.
	wantStatus(t, "the post's own address", h.get("/posts/plan/"), http.StatusNotFound)
	wantStatus(t, "the photo's own address", h.get("/posts/plan/plan.png"), http.StatusNotFound)
	checkDB(t, h)
}

func TestAPreviewLinkFollowsEditsAndEndsWhenRevoked(t *testing.T) {
	h := newHarness(t, previewSite(t), withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	token := makePreviewLink(t, kay, "plan")
	keep := makePreviewLink(t, kay, "plan")

	edit := kay.get("/admin/posts/plan/edit")
	res := kay.postForm("/admin/posts/plan/edit", with(formFields(t, edit.body), "body", "A new plan: hills.\r\n", "action", "draft"))
	wantStatus(t, "saving the draft", res, http.StatusSeeOther)
	mustContain(t, "the preview after a save", h.get("/preview/"+token+"/").body, "A new plan: hills.")

	edit = kay.get("/admin/posts/plan/edit")
	revoke := "/admin/posts/plan/preview-links/" + authoring.PreviewTokenHash(token)
	mustContain(t, "the edit page", edit.body, revoke, "/admin/posts/plan/preview-links/"+authoring.PreviewTokenHash(keep))
	mustNotContain(t, "the edit page", edit.body, token, keep) // tokens are shown once, never listed
	wantStatus(t, "revoking", kay.postForm(revoke, url.Values{}), http.StatusSeeOther)
	wantStatus(t, "the revoked link", h.get("/preview/"+token+"/"), http.StatusNotFound)
	wantStatus(t, "the revoked link's photo", h.get("/preview/"+token+"/plan.png"), http.StatusNotFound)
	wantStatus(t, "the other link", h.get("/preview/"+keep+"/"), http.StatusOK)
	wantStatus(t, "revoking again", kay.postForm(revoke, url.Values{}), http.StatusNotFound)
	checkDB(t, h)
}

func TestDeletingThePostEndsItsPreviewLinks(t *testing.T) {
	h := newHarness(t, previewSite(t), withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	token := makePreviewLink(t, kay, "plan")
	edit := kay.get("/admin/posts/plan/edit")
	res := kay.postForm("/admin/posts/plan/edit", with(formFields(t, edit.body), "action", "delete"))
	wantStatus(t, "deleting", res, http.StatusSeeOther)
	wantStatus(t, "a deleted post's link", h.get("/preview/"+token+"/"), http.StatusNotFound)
	checkDB(t, h)
}

func TestOnlyWhoMayEditAPostMakesOrRevokesItsLinks(t *testing.T) {
	h := newHarness(t, previewSite(t), withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	lee := h.writerAs("lee", accounts.RoleAuthor, "lee")
	wantStatus(t, "another author making a link", lee.postForm("/admin/posts/plan/preview-links", url.Values{}), http.StatusForbidden)
	wantStatus(t, "a reader making a link", h.postForm("/admin/posts/plan/preview-links", url.Values{}), http.StatusUnauthorized)
	ed := h.writerAs("ed", accounts.RoleEditor, "")
	token := makePreviewLink(t, ed, "plan")
	hash := regexp.MustCompile(`/admin/posts/plan/preview-links/[0-9a-f]{64}`).FindString(kay.get("/admin/posts/plan/edit").body)
	if hash == "" {
		t.Fatal("kay's edit page does not list the editor's link")
	}
	wantStatus(t, "another author revoking", lee.postForm(hash, url.Values{}), http.StatusForbidden)
	wantStatus(t, "a link to no post", ed.postForm("/admin/posts/no-such-post/preview-links", url.Values{}), http.StatusNotFound)
	wantStatus(t, "the link after the refusals", h.get("/preview/"+token+"/"), http.StatusOK)
	checkDB(t, h)
}

func TestHostilePreviewTokensAreNotFound(t *testing.T) {
	h := newHarness(t, previewSite(t), withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	token := makePreviewLink(t, kay, "plan")
	for _, bad := range []string{
		"..%2F..%2Fposts%2Fplan", "..", strings.Repeat("a", 8000), strings.Repeat("z", 64), strings.ToUpper(token),
		token[:63], token + "0", "%00" + token[2:], url.PathEscape(token[:32] + "/" + token[33:]),
	} {
		res := h.get("/preview/" + bad + "/")
		// ".." is cleaned away by the router (a redirect to /); every
		// other token reaches the handler and is not found.
		if want := http.StatusNotFound; bad == ".." && res.status != http.StatusTemporaryRedirect || bad != ".." && res.status != want {
			t.Errorf("/preview/%.40s/: status %d, want %d", bad, res.status, want)
		}
		if strings.Contains(res.body, "The plan for spring") {
			t.Errorf("/preview/%.40s/ shows the draft", bad)
		}
	}
	for _, bad := range []string{"", "../../site.yaml", strings.Repeat("f", 64)} {
		wantStatus(t, "revoking "+bad, kay.postForm("/admin/posts/plan/preview-links/"+url.PathEscape(bad), url.Values{}), http.StatusNotFound)
	}
	wantStatus(t, "the link after it all", h.get("/preview/"+token+"/"), http.StatusOK)
	checkDB(t, h)
}

// syncBuffer is a log written by the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestPreviewTokensStayOutOfTheLog(t *testing.T) {
	var log syncBuffer
	h := newHarness(t, previewSite(t), withAuthoring, func(o *harnessConfig) { o.Log = slog.New(slog.NewTextHandler(&log, nil)) })
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	token := makePreviewLink(t, kay, "plan")
	wantStatus(t, "the preview", h.get("/preview/"+token+"/"), http.StatusOK)
	wantStatus(t, "the photo", h.get("/preview/"+token+"/plan.png"), http.StatusOK)
	wantStatus(t, "a guess", h.get("/preview/"+strings.Repeat("0", 64)+"/"), http.StatusNotFound)
	mustContain(t, "the log", log.String(), "path=/preview/TOKEN/plan.png")
	mustNotContain(t, "the log", log.String(), token, strings.Repeat("0", 64))
}

func TestAScheduledPostIsShownThroughItsLinkBeforeItsTime(t *testing.T) {
	files := previewSite(t)
	files["posts/later/index.md"] = post("title: Race report\ndate: 2027-03-01T09:00:00Z\nauthor: kay", "Coming soon.")
	h := newHarness(t, files, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	token := makePreviewLink(t, kay, "later")
	mustContain(t, "the scheduled post's preview", h.get("/preview/"+token+"/").body, "Race report", "Coming soon.")
	wantStatus(t, "the scheduled post's own address", h.get("/posts/later/"), http.StatusNotFound)
}

func TestMakingPreviewLinksIsRateLimited(t *testing.T) {
	h := newHarness(t, previewSite(t), withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	var res response
	for i := 0; i < 200; i++ {
		if res = kay.postForm("/admin/posts/plan/preview-links", url.Values{}); res.status != http.StatusCreated {
			break
		}
	}
	wantStatus(t, "making link after link", res, http.StatusTooManyRequests)
	if res.header.Get("Retry-After") == "" {
		t.Error("a refused link says not when to try again")
	}
	checkDB(t, h)
}
