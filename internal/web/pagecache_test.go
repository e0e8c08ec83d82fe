package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/content"
	"milepost/internal/web"
)

// cachedPages are the pages and feeds the render-cache tests watch: one
// of each kind, and pages beside the one a change is about.
var cachedPages = []string{
	"/", "/page/2/", "/posts/massage/", "/posts/eight/", "/posts/one/",
	"/tags/", "/tags/recovery/", "/authors/kay/", "/archive/",
	"/feed.xml", "/tags/recovery/feed.xml", "/authors/kay/feed.xml",
	"/comments.xml", "/posts/massage/comments.xml", "/posts/one/comments.xml",
	"/sitemap.xml", "/robots.txt",
}

// cacheFigures are the render cache's figures on /debug/vars.
func cacheFigures(t *testing.T) map[string]int64 {
	t.Helper()
	rec := httptest.NewRecorder()
	web.DebugHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/debug/vars", nil))
	var vars struct {
		PageCache map[string]int64 `json:"page_cache"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &vars); err != nil {
		t.Fatalf("reading /debug/vars: %v", err)
	}
	return vars.PageCache
}

// kept fetches path as an anonymous reader and reports whether the render
// cache answered it (a hit, nothing rendered).
func (h *harness) kept(path string) (response, bool) {
	h.t.Helper()
	before := cacheFigures(h.t)
	res := h.get(path, "Accept-Encoding", "br")
	if res.status != http.StatusOK {
		h.t.Fatalf("%s: %d", path, res.status)
	}
	after := cacheFigures(h.t)
	return res, after["hits"]-before["hits"] == 1 && after["misses"] == before["misses"]
}

// warm fetches every page once, so that each is kept.
func (h *harness) warm() {
	h.t.Helper()
	for _, path := range cachedPages {
		h.get(path, "Accept-Encoding", "br")
	}
}

// checkFresh checks that after a change exactly the pages in fresh are
// rendered again, and every other page is answered from the cache.
func checkFresh(t *testing.T, h *harness, change string, fresh ...string) {
	t.Helper()
	want := map[string]bool{}
	for _, p := range fresh {
		want[p] = true
	}
	for _, path := range cachedPages {
		_, hit := h.kept(path)
		switch {
		case want[path] && hit:
			t.Errorf("after %s, %s was served as kept before it", change, path)
		case !want[path] && !hit:
			t.Errorf("after %s, %s was rendered again: nothing it shows changed", change, path)
		}
	}
}

// Each kind of change to the comments renders again exactly the pages that
// show it, and every one of them shows it; the others stay kept.
func TestEachCommentChangeRendersExactlyThePagesThatShowIt(t *testing.T) {
	files := pagedSite()
	files["site.yaml"] = strings.Replace(siteYAML, openComments, "comments:\n  moderation: all\n", 1)
	h := newHarness(t, files)
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	h.warm()
	for _, path := range cachedPages {
		if _, hit := h.kept(path); !hit {
			t.Fatalf("%s fetched twice was rendered twice", path)
		}
	}

	id := heldID(t, h.postForm("/posts/massage/comments", commentForm("Dana", "A foam roller helps.")))
	checkFresh(t, h, "a held comment")

	mod.postForm("/admin/comments/"+id+"/approve", url.Values{})
	checkFresh(t, h, "approving it", "/", "/posts/massage/", "/tags/recovery/", "/authors/kay/", "/comments.xml", "/posts/massage/comments.xml")
	mustContain(t, "the post after approving", h.get("/posts/massage/").body, "A foam roller helps.")
	mustContain(t, "the home page after approving", h.get("/").body, "1 comment")
	mustContain(t, "the comment feed after approving", h.get("/posts/massage/comments.xml").body, "A foam roller helps.")

	mod.postForm("/admin/comments/"+id+"/edit", url.Values{"body": {"A foam roller helps, daily."}})
	// The count is the same: the lists stay kept.
	checkFresh(t, h, "editing it", "/posts/massage/", "/comments.xml", "/posts/massage/comments.xml")
	mustContain(t, "the post after editing", h.get("/posts/massage/").body, "A foam roller helps, daily.")
	mustContain(t, "the comment feed after editing", h.get("/comments.xml").body, "A foam roller helps, daily.")

	mod.postForm("/admin/posts/massage/close", url.Values{})
	checkFresh(t, h, "closing the post", "/posts/massage/")
	mustNotContain(t, "the closed post", h.get("/posts/massage/").body, `name="ts"`)
	mod.postForm("/admin/posts/massage/reopen", url.Values{})
	checkFresh(t, h, "reopening the post", "/posts/massage/")
	mustContain(t, "the reopened post", h.get("/posts/massage/").body, `name="ts"`)

	mod.postForm("/admin/comments/"+id+"/spam", url.Values{})
	checkFresh(t, h, "marking it spam", "/", "/posts/massage/", "/tags/recovery/", "/authors/kay/", "/comments.xml", "/posts/massage/comments.xml")
	for _, path := range []string{"/posts/massage/", "/comments.xml", "/posts/massage/comments.xml"} {
		mustNotContain(t, path+" after spam", h.get(path).body, "A foam roller helps")
	}
	mustContain(t, "the home page after spam", h.get("/").body, "0 comments")
}

// A post dated in the future appears on every list and feed at the moment
// it comes due, and on its neighbour's page; other posts' pages stay kept.
func TestAScheduledPostAppearsAtOnceWhenItComesDue(t *testing.T) {
	files := pagedSite()
	files["posts/tomorrow.md"] = post("title: Race day report\ndate: 2026-11-25T08:00:00Z\nauthor: kay\ntags: [recovery]", "Ran it.")
	h := newHarness(t, files)
	h.warm()
	shows := []string{"/", "/tags/recovery/", "/authors/kay/", "/archive/",
		"/feed.xml", "/tags/recovery/feed.xml", "/authors/kay/feed.xml", "/sitemap.xml"}
	for _, path := range shows {
		mustNotContain(t, path+" before its time", h.get(path).body, "Race day report", "/posts/tomorrow/")
	}
	if res := h.get("/posts/tomorrow/"); res.status != http.StatusNotFound {
		t.Fatalf("the post before its time: %d", res.status)
	}
	h.clock.Set(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	for _, path := range shows {
		mustContain(t, path+" when it came due", h.get(path).body, "/posts/tomorrow/")
	}
	// The second page starts a post later; the tag index counts it.
	mustContain(t, "the second page when it came due", h.get("/page/2/").body, "/posts/ten/")
	mustContain(t, "the tag index when it came due", h.get("/tags/").body, `#recovery</a> <span class="n">2</span>`)
	// Its neighbour links to it; a post further down does not change.
	mustContain(t, "the neighbour's page", h.get("/posts/massage/").body, "Race day report")
	if _, hit := h.kept("/posts/one/"); !hit {
		t.Error("a post whose page did not change was rendered again")
	}
	if _, hit := h.kept("/posts/one/comments.xml"); !hit {
		t.Error("a comment feed whose post did not change was rendered again")
	}
}

// A changed post or setting is on every page that shows it as soon as the
// content is loaded again.
func TestAContentOrSettingChangeIsShownAtOnce(t *testing.T) {
	h := newHarness(t, pagedSite(), withAuthoring)
	h.warm()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(h.dir, filepath.FromSlash(name)), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		h.source.(*content.Source).Reload(context.Background())
	}
	write("posts/massage.md", post("title: Massage after training\ndate: 2011-10-03\nauthor: kay\ntags: [recovery]", "Edited."))
	for _, path := range []string{"/", "/posts/massage/", "/posts/eight/", "/tags/recovery/", "/authors/kay/", "/archive/",
		"/feed.xml", "/tags/recovery/feed.xml", "/authors/kay/feed.xml", "/posts/massage/comments.xml"} {
		mustContain(t, path+" after the post was edited", h.get(path).body, "Massage after training")
	}
	write("site.yaml", strings.Replace(siteYAML, "title: Test Runners", "title: Renamed Runners", 1))
	for _, path := range cachedPages {
		if path == "/robots.txt" || path == "/sitemap.xml" {
			continue // they show no title
		}
		mustContain(t, path+" after the site was renamed", h.get(path).body, "Renamed Runners")
	}
}

// No page that is a reader's own is kept, nor served from what was kept
// for others, and none of it reaches another reader.
func TestNoPrivateViewIsKeptOrServedToAnotherReader(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: all\n"))
	h.addUser("mod", accounts.RoleModerator)
	h.warm()
	var notServedKept func(what string, b *browser, path string, wantStatus int, wantIn ...string) response
	notKept := func(what string, b *browser, path string, wantStatus int, wantIn ...string) {
		t.Helper()
		res := notServedKept(what, b, path, wantStatus, wantIn...)
		if cc := res.header.Get("Cache-Control"); strings.Contains(cc, "public") {
			t.Errorf("%s: Cache-Control %q", what, cc)
		}
	}
	notServedKept = func(what string, b *browser, path string, wantStatus int, wantIn ...string) response {
		t.Helper()
		before := cacheFigures(t)
		var res response
		if b != nil {
			res = b.get(path)
		} else {
			res = h.get(path)
		}
		after := cacheFigures(t)
		if res.status != wantStatus {
			t.Fatalf("%s: %d, want %d", what, res.status, wantStatus)
		}
		mustContain(t, what, res.body, wantIn...)
		if after["hits"] != before["hits"] || after["pages"] > before["pages"] {
			t.Errorf("%s was served from the cache or kept in it (hits %d → %d, pages %d → %d)", what, before["hits"], after["hits"], before["pages"], after["pages"])
		}
		return res
	}
	// A reader whose comment is held, with their name remembered.
	writer := h.browser()
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Linky", "Held for now")))
	notKept("the writer's page", writer, "/posts/massage/", http.StatusOK, `id="comment-`+id+`"`, `value="Linky"`)
	notKept("the writer's home page", writer, "/", http.StatusOK)
	// A signed-in moderator.
	mod := h.browser()
	mod.signIn("mod")
	notKept("a moderator's page", mod, "/posts/massage/", http.StatusOK)
	// The page one lands on after posting, and a reply form, are rendered
	// for their request: to whoever sent the comment (with its cookie) it
	// shows their comment; any ID may be asked for.
	notServedKept("the page after posting", nil, "/posts/massage/?posted="+id, http.StatusOK)
	notServedKept("a reply form", nil, "/posts/massage/?reply=1", http.StatusOK)
	// A form sent back after a refusal.
	before := cacheFigures(t)
	refused := h.postForm("/posts/massage/comments", commentForm("", "No name, refused: keep my words"))
	if refused.status != http.StatusUnprocessableEntity || cacheFigures(t)["pages"] != before["pages"] {
		t.Errorf("a refused form: %d, and the pages kept went from %d to %d", refused.status, before["pages"], cacheFigures(t)["pages"])
	}
	// Error and admin pages.
	notKept("a missing post", nil, "/posts/nope/", http.StatusNotFound)
	notKept("a missing post again", nil, "/posts/nope/", http.StatusNotFound)
	notKept("the sign-in page", nil, "/admin/login", http.StatusOK)

	// Everyone else gets the page everyone gets, from the cache.
	res, hit := h.kept("/posts/massage/")
	if !hit {
		t.Error("an anonymous reader's page was not served from the cache")
	}
	mustNotContain(t, "a stranger's page", res.body, `id="comment-`+id+`"`, `value="Linky"`, "Held for now", "keep my words", "Sign out")
}

func TestDraftsAndLivePagesAreNeverKept(t *testing.T) {
	files := pagedSite()
	files["posts/plan.md"] = post("title: Secret plan\ndate: 2011-10-05\nauthor: kay\ndraft: true", "Not yet.")
	h := newHarness(t, files, withDrafts)
	for range 2 {
		before := cacheFigures(t)
		res := h.get("/")
		after := cacheFigures(t)
		mustContain(t, "the home page with drafts", res.body, "Secret plan")
		if after["hits"] != before["hits"] || after["pages"] > before["pages"] {
			t.Error("a page of a server showing drafts was kept or served kept")
		}
	}
}

// A kept post page carries the form token of the step it is served in,
// without being rendered again, and keeps its ETag: a reader revalidating
// is answered 304 and keeps their older token, which is still valid.
func TestAKeptPostPageGetsEachStepsFormTokenWithoutRenderingAgain(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(web.Guards{MinFormAge: 2 * time.Second, MaxFormAge: 24 * time.Hour}))
	first := h.get("/posts/massage/", "Accept-Encoding", "br")
	h.clock.Set(h.clock.Now().Add(1500 * time.Millisecond))
	second, hit := h.kept("/posts/massage/")
	if !hit {
		t.Error("the page was rendered again for a new token step")
	}
	token := func(body string) string {
		m := formToken.FindStringSubmatch(body)
		if m == nil {
			t.Fatal("no form token on the page")
		}
		return m[1]
	}
	firstToken := token(decode(t, "br", []byte(first.body)))
	if firstToken == token(decode(t, "br", []byte(second.body))) {
		t.Error("the token is the same a step later")
	}
	if first.header.Get("ETag") != second.header.Get("ETag") || !strings.HasPrefix(first.header.Get("ETag"), `W/"`) {
		t.Errorf("ETags %q and %q: want the same weak one", first.header.Get("ETag"), second.header.Get("ETag"))
	}
	if res := h.get("/posts/massage/", "Accept-Encoding", "br", "If-None-Match", first.header.Get("ETag")); res.status != http.StatusNotModified {
		t.Errorf("revalidating the first page: %d, want 304", res.status)
	}
	// The older token still posts, after the minimum age.
	h.clock.Set(h.clock.Now().Add(5 * time.Second))
	form := commentForm("Kay", "From the page I kept")
	form.Set("ts", firstToken)
	h.postComment(form)
}

// Every kind of page and feed, and the training pages, answer 304 to their
// ETag and to their Last-Modified, in every encoding.
func TestEveryKeptPageKindAnswersNotModified(t *testing.T) {
	h := newHarness(t, pagedSite())
	h.postComment(commentForm("Dana", "A foam roller helps."))
	paths := append([]string{"/club/", "/authors/kay/log/", "/authors/kay/records/"}, cachedPages...)
	for _, path := range paths {
		for _, coding := range []string{"identity", "gzip", "br", "zstd"} {
			first := h.get(path, "Accept-Encoding", coding)
			etag, modified := first.header.Get("ETag"), first.header.Get("Last-Modified")
			if first.status != http.StatusOK || etag == "" || modified == "" {
				t.Fatalf("%s %s: %d, ETag %q, Last-Modified %q", path, coding, first.status, etag, modified)
			}
			if !strings.Contains(first.header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s %s: Vary %q", path, coding, first.header.Get("Vary"))
			}
			for _, cond := range [][2]string{{"If-None-Match", etag}, {"If-Modified-Since", modified}} {
				again := h.get(path, "Accept-Encoding", coding, cond[0], cond[1])
				if again.status != http.StatusNotModified || again.body != "" {
					t.Errorf("%s %s with %s: %d and %d bytes, want 304 and none", path, coding, cond[0], again.status, len(again.body))
				}
			}
		}
	}
}
