package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"milepost/internal/accounts"
)

func mustContain(t *testing.T, what, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s: missing %q", what, w)
		}
	}
}

func mustNotContain(t *testing.T, what, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("%s: unexpectedly contains %q", what, w)
		}
	}
}

func TestHomeListsPostsNewestFirstWithTheirDetails(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/old.md": post("title: Old long run\ndate: 2024-03-01\nauthor: kay\ntags: [marathon]", "The old one."),
		"posts/new.md": post("title: New tempo run\ndate: 2024-05-01\nauthor: kay\ntags: [tempo, track]\nsummary: Fast and *hard*.", "Body text."),
	})
	res := h.get("/")
	if res.status != http.StatusOK {
		t.Fatalf("GET /: status %d", res.status)
	}
	body := res.body
	mustContain(t, "home", body,
		`<a href="/posts/new/">New tempo run</a>`,
		`<time datetime="2024-05-01T00:00:00Z">May 1, 2024</time>`,
		`<a href="/authors/kay/" rel="author">Kay-Kay&#39;s Bird Club</a>`,
		`<a href="/tags/tempo/" rel="tag">#tempo</a>`,
		`Fast and <em>hard</em>.`,
		`0 comments`,
	)
	if strings.Index(body, "New tempo run") > strings.Index(body, "Old long run") {
		t.Error("home: newest post is not first")
	}
}

func TestHomePaginatesTenAPage(t *testing.T) {
	files := siteFiles{}
	for i := 1; i <= 23; i++ {
		files[fmt.Sprintf("posts/p%02d.md", i)] = post(fmt.Sprintf("title: Run number %02d\ndate: 2024-01-%02d", i, i), "Miles.")
	}
	h := newHarness(t, files)
	count := func(body string) int { return strings.Count(body, `class="post-card"`) }

	first := h.get("/")
	if n := count(first.body); n != 10 {
		t.Errorf("page 1 shows %d posts, want 10", n)
	}
	mustContain(t, "page 1", first.body, "Run number 23", `href="/page/2/" rel="next"`, "Page 1 of 3")
	second := h.get("/page/2/")
	mustContain(t, "page 2", second.body, "Run number 13", `href="/page/3/" rel="next"`, `href="/" rel="prev"`)
	third := h.get("/page/3/")
	if n := count(third.body); n != 3 {
		t.Errorf("page 3 shows %d posts, want 3", n)
	}
	mustContain(t, "page 3", third.body, "Run number 01", `href="/page/2/" rel="prev"`)
	for _, path := range []string{"/page/4/", "/page/0/", "/page/x/", "/page/02/"} {
		if res := h.get(path); res.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.status)
		}
	}
}

func TestPostPageShowsEverythingAboutTheStory(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/massage-during-training.md": post(
			"title: Massage during training\ndate: 2011-10-03T21:30:00\nauthor: kay\ntags: [marathon, recovery]",
			"Just got home from a massage… a heavenly massage.\n\nI’m a happy, relaxed, resting runner."),
	})
	res := h.get("/posts/massage-during-training/")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	mustContain(t, "post", res.body,
		`<h1 class="p-name">Massage during training</h1>`,
		`<time datetime="2011-10-03T21:30:00Z">October 3, 2011</time>`,
		`Just got home from a massage… a heavenly massage.`,
		`I’m a happy, relaxed, resting runner.`,
		`1 min read`,
		`<a href="/tags/recovery/" rel="tag">#recovery</a>`,
		`Hat-maker, Bird lover, Star gazer, Scooter rider, and Running fool.`,
		`<form class="comment-form" id="comment-form" method="post" action="/posts/massage-during-training/comments#comment-form-errors"`,
		`<label for="field-name">`, `<label for="field-email">`, `<label for="field-website">`, `<label for="field-body">`,
		`<title>Massage during training · Test Runners</title>`,
		`<link rel="canonical" href="https://runners.example.org/posts/massage-during-training/">`,
	)
	// Without the trailing slash the post is one redirect away.
	if r := h.get("/posts/massage-during-training"); r.status/100 != 3 || r.header.Get("Location") != "/posts/massage-during-training/" {
		t.Errorf("GET without slash: %d %q", r.status, r.header.Get("Location"))
	}
}

// alternates returns the type and href of each <link rel="alternate"> in a page.
func alternates(t *testing.T, page string) map[string]string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "link" {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			if attr["rel"] == "alternate" {
				out[attr["href"]] = attr["type"]
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func TestEveryPageLinksTheFeeds(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay\ntags: [trail]", "x"),
	})
	siteFeeds := map[string]string{
		"https://runners.example.org/feed.xml":  "application/rss+xml",
		"https://runners.example.org/atom.xml":  "application/atom+xml",
		"https://runners.example.org/feed.json": "application/feed+json",
	}
	for _, path := range []string{"/", "/posts/a/", "/archive/", "/tags/", "/tags/trail/", "/authors/kay/", "/nope"} {
		got := alternates(t, h.get(path).body)
		for href, typ := range siteFeeds {
			if got[href] != typ {
				t.Errorf("%s: feed link %s has type %q, want %q", path, href, got[href], typ)
			}
		}
	}
	if got := alternates(t, h.get("/tags/trail/").body); got["https://runners.example.org/tags/trail/feed.xml"] != "application/rss+xml" {
		t.Errorf("tag page lacks its own feed: %v", got)
	}
	if got := alternates(t, h.get("/authors/kay/").body); got["https://runners.example.org/authors/kay/atom.xml"] != "application/atom+xml" {
		t.Errorf("author page lacks its own feed: %v", got)
	}
}

func TestTagAuthorArchiveAndTagIndexPages(t *testing.T) {
	h := newHarness(t, siteFiles{
		"authors/sam.md": post("name: Sam Strider", "Runs before dawn."),
		"posts/a.md":     post("title: Hill repeats\ndate: 2024-02-10\nauthor: kay\ntags: [hills, training]", "x"),
		"posts/b.md":     post("title: Easy recovery\ndate: 2024-03-05\nauthor: sam\ntags: [training]", "y"),
	})
	tag := h.get("/tags/training/")
	mustContain(t, "tag page", tag.body, "#training", "Hill repeats", "Easy recovery")
	hills := h.get("/tags/hills/")
	mustContain(t, "hills tag", hills.body, "Hill repeats")
	mustNotContain(t, "hills tag", hills.body, "Easy recovery")

	sam := h.get("/authors/sam/")
	mustContain(t, "author page", sam.body, "Sam Strider", "Runs before dawn.", "Easy recovery")
	mustNotContain(t, "author page", sam.body, "Hill repeats")

	archive := h.get("/archive/")
	mustContain(t, "archive", archive.body, "March 2024", "February 2024", `<a href="/posts/a/">Hill repeats</a>`)
	if strings.Index(archive.body, "March 2024") > strings.Index(archive.body, "February 2024") {
		t.Error("archive: months are not newest first")
	}
	mustContain(t, "tag index", h.get("/tags/").body, `href="/tags/hills/"`, `href="/tags/training/"`)
}

func TestUnknownAddressesAreRealNotFoundPages(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x")})
	for _, path := range []string{
		"/nope", "/posts/missing/", "/tags/none/", "/authors/nobody/", "/posts/", "/tags/none/feed.xml",
		"/authors/nobody/feed.json", "/feed.txt", "/posts/a/extra/", "/static/missing.css",
	} {
		res := h.get(path)
		if res.status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, res.status)
			continue
		}
		if !strings.Contains(res.body, "Page not found") || !strings.Contains(res.header.Get("Content-Type"), "text/html") {
			t.Errorf("GET %s: not the theme's 404 page", path)
		}
	}
}

func TestWrongMethodIsRefusedWithAllow(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x")})
	res := h.postForm("/archive/", nil)
	if res.status != http.StatusMethodNotAllowed {
		t.Fatalf("POST /archive/: status %d, want 405", res.status)
	}
	if allow := res.header.Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow = %q, want GET in it", allow)
	}
}

func TestDraftsAreHiddenUnlessAsked(t *testing.T) {
	files := siteFiles{
		"posts/done.md":  post("title: Finished story\ndate: 2024-01-01\nauthor: kay", "x"),
		"posts/draft.md": post("title: Half-written story\ndate: 2024-01-02\nauthor: kay\ndraft: true", "y"),
	}
	h := newHarness(t, files)
	mustNotContain(t, "home", h.get("/").body, "Half-written story")
	if res := h.get("/posts/draft/"); res.status != http.StatusNotFound {
		t.Errorf("draft post without -drafts: status %d, want 404", res.status)
	}
	if res := h.get("/feed.xml"); strings.Contains(res.body, "Half-written") {
		t.Error("draft appears in the feed")
	}

	withD := newHarness(t, files, withDrafts)
	mustContain(t, "home with drafts", withD.get("/").body, "Half-written story", ">Draft<")
	if res := withD.get("/posts/draft/"); res.status != http.StatusOK {
		t.Errorf("draft post with -drafts: status %d", res.status)
	}
}

func TestFuturePostAppearsWhenItsTimeComes(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/now.md":   post("title: Today’s run\ndate: 2026-11-20\nauthor: kay", "x"),
		"posts/later.md": post("title: Race day report\ndate: 2026-12-01T08:00:00Z\nauthor: kay", "y"),
	})
	mustNotContain(t, "home before", h.get("/").body, "Race day report")
	if res := h.get("/posts/later/"); res.status != http.StatusNotFound {
		t.Errorf("future post: status %d, want 404", res.status)
	}
	mustNotContain(t, "feed before", h.get("/feed.xml").body, "Race day report")

	h.clock.Set(time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC))
	mustContain(t, "home after", h.get("/").body, "Race day report")
	if res := h.get("/posts/later/"); res.status != http.StatusOK {
		t.Errorf("due post: status %d, want 200", res.status)
	}
	mustContain(t, "feed after", h.get("/feed.xml").body, "Race day report")
}

func TestResponsesCarrySecurityHeaders(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x")})
	for _, path := range []string{"/", "/posts/a/", "/nope", "/feed.xml", "/static/style.css"} {
		res := h.get(path)
		csp := res.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'none'") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: Content-Security-Policy = %q", path, csp)
		}
		// A reader's page fetched without cookies is the same for everyone
		// (page_encoding_test.go has the personal ones); an error page is
		// kept by no shared cache.
		if want := "public, max-age=60, stale-while-revalidate=300"; strings.Contains(res.header.Get("Content-Type"), "text/html") &&
			res.status == http.StatusOK && res.header.Get("Cache-Control") != want {
			t.Errorf("%s: Cache-Control %q, want %q", path, res.header.Get("Cache-Control"), want)
		}
		if res.status == http.StatusNotFound && res.header.Get("Cache-Control") != "private, no-cache" {
			t.Errorf("%s: Cache-Control %q, want private", path, res.header.Get("Cache-Control"))
		}
		if res.header.Get("X-Content-Type-Options") != "nosniff" || res.header.Get("Referrer-Policy") == "" || res.header.Get("Permissions-Policy") == "" {
			t.Errorf("%s: missing security headers: %v", path, res.header)
		}
	}
}

func TestThemeStylesheetIsServedAndPagesUseNoScript(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x")})
	css := h.get("/static/style.css")
	if css.status != http.StatusOK || !strings.Contains(css.header.Get("Content-Type"), "text/css") {
		t.Fatalf("style.css: %d %s", css.status, css.header.Get("Content-Type"))
	}
	mustContain(t, "style.css", css.body, "prefers-color-scheme: dark")
	if res := h.get("/static/"); res.status != http.StatusNotFound {
		t.Errorf("/static/ lists the directory: status %d", res.status)
	}
	external := regexp.MustCompile(`(?i)<script|<link[^>]+href="https?://(?:[^"]*)\.(?:css|woff2?)`)
	for _, path := range []string{"/", "/posts/a/"} {
		if m := external.FindString(h.get(path).body); m != "" {
			t.Errorf("%s: uses script or external assets: %s", path, m)
		}
	}
}

func TestABrokenPostIsSkippedAndTheRestServes(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/good.md":     post("title: A good long run\ndate: 2024-01-01\nauthor: kay", "Twenty miles."),
		"posts/broken.md":   "---\ntitle: [unclosed\ndate: 2024-01-02\n---\nBody.\n",
		"posts/untitled.md": post("date: 2024-01-03\nauthor: kay", "No title."),
		"posts/stranger.md": post("title: Who wrote this\ndate: 2024-01-04\nauthor: nobody", "x"),
	})
	home := h.get("/")
	if home.status != http.StatusOK {
		t.Fatalf("home: %d", home.status)
	}
	mustContain(t, "home", home.body, "A good long run")
	mustNotContain(t, "home", home.body, "Who wrote this")
	for _, path := range []string{"/posts/broken/", "/posts/untitled/", "/posts/stranger/"} {
		if res := h.get(path); res.status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404 for a skipped post", path, res.status)
		}
	}
}

func TestAdminPagesAreNeverStoredByAnyCache(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x")})
	h.postForm("/posts/a/comments", url.Values{"name": {"Sam"}, "email": {"sam@example.org"}, "body": {"Hello."}})
	h.addUser("coach", accounts.RoleAdmin)
	h.addUser("mod", accounts.RoleModerator)
	b := h.browser()
	if res := b.get("/admin/login"); res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("sign-in page: Cache-Control %q, want no-store", res.header.Get("Cache-Control"))
	}
	b.signIn("coach")
	for _, page := range []string{"/admin/", "/admin/comments/", "/admin/bans/", "/admin/posts/", "/admin/log/", "/admin/comments/1/edit", "/admin/nope"} {
		res := b.get(page)
		if res.header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s (%d): Cache-Control %q, want no-store", page, res.status, res.header.Get("Cache-Control"))
		}
	}
	if body := b.get("/admin/comments/").body; !strings.Contains(body, "sam@example.org") {
		t.Error("the recent comments page does not list the email it must keep out of caches")
	}
	mod := h.browser()
	mod.signIn("mod")
	if res := mod.get("/admin/backup"); res.status != http.StatusForbidden || res.header.Get("Cache-Control") != "no-store" {
		t.Errorf("refused backup: %d, Cache-Control %q", res.status, res.header.Get("Cache-Control"))
	}
}
