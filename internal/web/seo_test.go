package web_test

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"milepost/internal/accounts"
	"milepost/internal/web"
	"milepost/themes"
)

func withTrustedProxy(cidr string) harnessOption {
	return func(o *harnessConfig) {
		p, err := web.ParseTrustedProxy(cidr)
		if err != nil {
			panic(err)
		}
		o.Guards.TrustedProxies = append(o.Guards.TrustedProxies, p)
	}
}

// getAs asks the test server for path by another host name, as a browser
// that reached it by that name would.
func getAs(h *harness, host, path string, header ...string) response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Host = host
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return h.do(req)
}

// siteWithoutBaseURL is the test site.yaml with its base_url line removed.
var siteWithoutBaseURL = strings.Replace(siteYAML, "base_url: https://runners.example.org\n", "", 1)

// pageLink is one URL a page points at, and where.
type pageLink struct{ tag, attr, url string }

// pageLinks returns every href, src and action of a page, and the content of
// its Open Graph and Twitter <meta> tags by property or name.
func pageLinks(t *testing.T, page string) (links []pageLink, meta map[string]string) {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	meta = map[string]string{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			attr := map[string]string{}
			for _, a := range n.Attr {
				attr[a.Key] = a.Val
			}
			for _, k := range []string{"href", "src", "action"} {
				if v, ok := attr[k]; ok {
					links = append(links, pageLink{n.Data, k, v})
				}
			}
			if n.Data == "meta" {
				if p := attr["property"] + attr["name"]; p != "" {
					meta[p] = attr["content"]
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return links, meta
}

func TestABaseURLWithAPathServesTheSiteUnderItAndEveryLinkUsesIt(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/a.md": post("title: Hill repeats\ndate: 2024-02-10\nauthor: kay\ntags: [hills]", "Up and down.[^1]\n\n[^1]: Six times."),
		// Its summary, on the list pages, links relative to the post.
		"posts/b.md": post("title: Easy recovery\ndate: 2024-03-05\nauthor: kay\ntags: [easy]", "Slowly, after the [hill repeats](../a/)."),
	}, withBaseURL("http://h/blog/")) // site.yaml says https://runners.example.org: the flag wins
	follow := &http.Client{} // follows redirects, as a reader's browser does
	resolve := func(from, link string) (int, string) {
		t.Helper()
		base, _ := url.Parse(h.srv.URL + from)
		u, err := base.Parse(link)
		if err != nil {
			t.Fatalf("%s: link %q: %v", from, link, err)
		}
		res, err := follow.Get(u.String())
		if err != nil {
			t.Fatalf("%s: GET %s: %v", from, u, err)
		}
		res.Body.Close()
		return res.StatusCode, res.Request.URL.Path
	}
	pages := []string{"/blog/", "/blog/posts/a/", "/blog/posts/b/", "/blog/tags/", "/blog/tags/hills/",
		"/blog/authors/kay/", "/blog/archive/", "/blog/admin/login"}
	for _, page := range pages {
		res := h.get(page)
		if res.status != http.StatusOK {
			t.Errorf("GET %s: %d", page, res.status)
			continue
		}
		links, meta := pageLinks(t, res.body)
		for _, l := range links {
			switch {
			case strings.HasPrefix(l.url, "#"), strings.HasPrefix(l.url, "?"):
				continue // within the page
			case strings.HasPrefix(l.url, "http://h/"):
				if !strings.HasPrefix(l.url, "http://h/blog/") {
					t.Errorf("%s: <%s %s=%q> is outside the base URL", page, l.tag, l.attr, l.url)
				}
				continue // absolute: canonical and feed links, checked by path below
			case !strings.HasPrefix(l.url, "/"):
				// Relative, as a post's own links are: it must resolve under the prefix.
				if u, err := url.Parse(page); err != nil || !strings.HasPrefix(u.ResolveReference(&url.URL{Path: l.url}).Path, "/blog/") {
					t.Errorf("%s: <%s %s=%q> resolves outside /blog/", page, l.tag, l.attr, l.url)
					continue
				}
			case !strings.HasPrefix(l.url, "/blog/"):
				t.Errorf("%s: <%s %s=%q> does not start with /blog/", page, l.tag, l.attr, l.url)
				continue
			}
			if l.attr == "action" {
				continue // forms are posted below
			}
			if status, _ := resolve(page, l.url); status != http.StatusOK {
				t.Errorf("%s: <%s %s=%q> answers %d", page, l.tag, l.attr, l.url, status)
			}
		}
		if og := meta["og:url"]; !strings.HasPrefix(og, "http://h/blog/") {
			t.Errorf("%s: og:url %q", page, og)
		}
	}
	for _, abs := range []string{"http://h/blog/feed.xml", "http://h/blog/tags/hills/atom.xml", "http://h/blog/posts/a/comments.xml"} {
		path := strings.TrimPrefix(abs, "http://h")
		if status, _ := resolve("/", path); status != http.StatusOK {
			t.Errorf("%s answers %d", path, status)
		}
	}

	// Redirects land under the prefix too: the trailing slash, a posted
	// comment, signing in.
	if res := h.get("/blog/archive"); res.status != http.StatusPermanentRedirect || res.header.Get("Location") != "/blog/archive/" {
		t.Errorf("GET /blog/archive: %d %q", res.status, res.header.Get("Location"))
	}
	if res := h.get("/blog"); res.status != http.StatusPermanentRedirect || res.header.Get("Location") != "/blog/" {
		t.Errorf("GET /blog: %d %q", res.status, res.header.Get("Location"))
	}
	posted := h.postForm("/blog/posts/a/comments", url.Values{"name": {"Sam"}, "body": {"Nice hills."}})
	if loc := posted.header.Get("Location"); posted.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/blog/posts/a/") {
		t.Errorf("posting a comment: %d, Location %q", posted.status, loc)
	}
	h.addUser("coach", accounts.RoleAdmin)
	b := h.browser()
	if res := b.get("/blog/admin/"); res.header.Get("Location") != "/blog/admin/login?next=%2Fadmin%2F" {
		t.Errorf("admin without a session: %d %q", res.status, res.header.Get("Location"))
	}
	in := b.postForm("/blog/admin/login", url.Values{"name": {"coach"}, "password": {"coach has a long password"}, "next": {"/admin/"}})
	if in.status != http.StatusSeeOther || in.header.Get("Location") != "/blog/admin/" {
		t.Fatalf("signing in under /blog/: %d %q", in.status, in.header.Get("Location"))
	}
	for _, page := range []string{"/blog/admin/", "/blog/admin/comments/", "/blog/admin/bans/", "/blog/admin/posts/", "/blog/admin/log/"} {
		res := b.get(page)
		if res.status != http.StatusOK {
			t.Errorf("GET %s: %d", page, res.status)
			continue
		}
		links, _ := pageLinks(t, res.body)
		for _, l := range links {
			if strings.HasPrefix(l.url, "/") && !strings.HasPrefix(l.url, "/blog/") {
				t.Errorf("%s: <%s %s=%q> does not start with /blog/", page, l.tag, l.attr, l.url)
			}
		}
	}

	// Nothing is served outside the prefix.
	for _, path := range []string{"/", "/posts/a/", "/feed.xml", "/static/style.css", "/blogx/"} {
		if res := h.get(path); res.status != http.StatusNotFound {
			t.Errorf("GET %s outside the prefix: %d, want 404", path, res.status)
		}
	}
}

func TestWithoutABaseURLLinksUseTheAddressEachRequestCameTo(t *testing.T) {
	h := newHarness(t, siteFiles{
		"site.yaml":  siteWithoutBaseURL,
		"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x"),
	}, withTrustedProxy("127.0.0.1"))
	served := h.srv.URL // http://127.0.0.1:PORT, a port no site.yaml names
	mustContain(t, "post", h.get("/posts/a/").body,
		`<link rel="canonical" href="`+served+`/posts/a/">`,
		`<meta property="og:url" content="`+served+`/posts/a/">`,
		`href="`+served+`/feed.xml"`)
	mustContain(t, "feed", h.get("/feed.xml").body, "<link>"+served+"/</link>", served+"/posts/a/")

	// Another name for the same server gets links with that name, in pages
	// and in the (cached) feeds alike.
	other := getAs(h, "runs.example:8443", "/feed.xml")
	mustContain(t, "feed by another name", other.body, "http://runs.example:8443/posts/a/")
	mustNotContain(t, "feed by another name", other.body, served)
	mustContain(t, "feed again", h.get("/feed.xml").body, served+"/posts/a/")

	// A trusted proxy that terminated TLS makes the links https.
	tls := getAs(h, "runs.example", "/posts/a/", "X-Forwarded-Proto", "https")
	mustContain(t, "behind TLS", tls.body, `<link rel="canonical" href="https://runs.example/posts/a/">`)
	mustContain(t, "sitemap", h.get("/sitemap.xml").body, "<loc>"+served+"/posts/a/</loc>")
}

func TestXForwardedProtoIsBelievedOnlyFromATrustedProxy(t *testing.T) {
	h := newHarness(t, siteFiles{
		"site.yaml":  siteWithoutBaseURL,
		"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x"),
	})
	res := getAs(h, "runs.example", "/posts/a/", "X-Forwarded-Proto", "https")
	mustContain(t, "untrusted proto", res.body, `<link rel="canonical" href="http://runs.example/posts/a/">`)
}

func TestRobotsTxtLetsCrawlersInExceptAdminAndNamesTheSitemap(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x")})
	res := h.get("/robots.txt")
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("robots.txt: %d %q", res.status, res.header.Get("Content-Type"))
	}
	rules := parseRobots(res.body)
	for path, want := range map[string]bool{
		"/": true, "/posts/a/": true, "/feed.xml": true, "/sitemap.xml": true,
		"/admin/": false, "/admin/login": false, "/admin/comments/": false,
	} {
		if got := rules.allowed("Googlebot", path); got != want {
			t.Errorf("robots.txt: crawling %s allowed = %v, want %v", path, got, want)
		}
	}
	if len(rules.sitemaps) != 1 || rules.sitemaps[0] != "https://runners.example.org/sitemap.xml" {
		t.Errorf("robots.txt: Sitemap lines %q", rules.sitemaps)
	}
	// Audit tools (Lighthouse) fetch robots.txt from inside the page, which
	// the page's policy must allow; there is no script to use it otherwise.
	if csp := h.get("/").header.Get("Content-Security-Policy"); !strings.Contains(csp, "connect-src 'self'") || !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("a page's policy does not let it fetch robots.txt: %q", csp)
	}
}

// robotsRules is robots.txt as a crawler reads it (RFC 9309): the group for
// the most specific matching user agent, and the longest matching rule wins,
// allow on a tie.
type robotsRules struct {
	groups   map[string][][2]string // agent → [allow|disallow, path]
	sitemaps []string
}

func parseRobots(text string) robotsRules {
	r := robotsRules{groups: map[string][][2]string{}}
	var agents []string
	inRules := false
	for _, line := range strings.Split(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		key, val, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key, val = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val)
		switch key {
		case "user-agent":
			if inRules {
				agents, inRules = nil, false
			}
			agents = append(agents, strings.ToLower(val))
		case "allow", "disallow":
			inRules = true
			for _, a := range agents {
				r.groups[a] = append(r.groups[a], [2]string{key, val})
			}
		case "sitemap":
			r.sitemaps = append(r.sitemaps, val)
		}
	}
	return r
}

func (r robotsRules) allowed(agent, path string) bool {
	group, ok := r.groups[strings.ToLower(agent)]
	if !ok {
		group = r.groups["*"]
	}
	best, allow := -1, true
	for _, rule := range group {
		if rule[1] == "" || !strings.HasPrefix(path, rule[1]) {
			continue
		}
		if n := len(rule[1]); n > best || (n == best && rule[0] == "allow") {
			best, allow = n, rule[0] == "allow"
		}
	}
	return allow
}

type sitemapDoc struct {
	XMLName xml.Name `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []struct {
		Loc     string `xml:"loc"`
		LastMod string `xml:"lastmod"`
	} `xml:"url"`
}

func TestSitemapListsEveryPublishedPageWithLastmodAndNeverADraft(t *testing.T) {
	h := newHarness(t, siteFiles{
		"authors/sam.md":  post("name: Sam Strider", "Runs before dawn."),
		"posts/a.md":      post("title: Hill repeats\ndate: 2024-02-10\nauthor: kay\ntags: [hills]\nlastmod: 2024-04-01", "x"),
		"posts/b.md":      post("title: Easy recovery\ndate: 2024-03-05\nauthor: sam\ntags: [easy]", "y"),
		"posts/draft.md":  post("title: Half-written\ndate: 2024-03-06\nauthor: kay\ntags: [secret]\ndraft: true", "z"),
		"posts/future.md": post("title: Race day\ndate: 2027-01-01\nauthor: kay\ntags: [race]", "z"),
	}, withDrafts) // even when -drafts shows drafts on the pages
	res := h.get("/sitemap.xml")
	if res.status != http.StatusOK || !strings.Contains(res.header.Get("Content-Type"), "xml") {
		t.Fatalf("sitemap.xml: %d %q", res.status, res.header.Get("Content-Type"))
	}
	var doc sitemapDoc
	if err := xml.Unmarshal([]byte(res.body), &doc); err != nil {
		t.Fatalf("sitemap.xml does not parse: %v\n%s", err, res.body)
	}
	got := map[string]string{}
	for _, u := range doc.URLs {
		got[u.Loc] = u.LastMod
	}
	const base = "https://runners.example.org"
	want := map[string]string{
		base + "/":             "2024-04-01T00:00:00Z",
		base + "/archive/":     "2024-04-01T00:00:00Z",
		base + "/tags/":        "2024-04-01T00:00:00Z",
		base + "/posts/a/":     "2024-04-01T00:00:00Z",
		base + "/posts/b/":     "2024-03-05T00:00:00Z",
		base + "/tags/hills/":  "2024-04-01T00:00:00Z",
		base + "/tags/easy/":   "2024-03-05T00:00:00Z",
		base + "/authors/kay/": "2024-04-01T00:00:00Z",
		base + "/authors/sam/": "2024-03-05T00:00:00Z",
	}
	for loc, lastmod := range want {
		if got[loc] != lastmod {
			t.Errorf("sitemap: %s lastmod %q, want %q", loc, got[loc], lastmod)
		}
	}
	if len(got) != len(want) {
		t.Errorf("sitemap has %d URLs, want %d: %v", len(got), len(want), got)
	}
	for loc := range got {
		if res := h.get(strings.TrimPrefix(loc, base)); res.status != http.StatusOK {
			t.Errorf("sitemap URL %s answers %d", loc, res.status)
		}
	}
	mustNotContain(t, "sitemap", res.body, "draft", "secret", "future", "race")
}

func TestEveryPageHasOpenGraphAndTwitterCardTags(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/a.md": post("title: Hill repeats\ndate: 2024-02-10T07:30:00Z\nauthor: kay\ntags: [hills]\nsummary: Six times up the *big* hill.", "x"),
	})
	const base = "https://runners.example.org"
	for path, want := range map[string]map[string]string{
		"/": {"og:type": "website", "og:url": base + "/", "og:title": "Test Runners",
			"og:description": "Stories from the test club."},
		"/posts/a/": {"og:type": "article", "og:url": base + "/posts/a/", "og:title": "Hill repeats · Test Runners",
			"og:description": "Six times up the big hill.", "article:published_time": "2024-02-10T07:30:00Z"},
		"/tags/hills/":  {"og:type": "website", "og:url": base + "/tags/hills/"},
		"/authors/kay/": {"og:type": "website", "og:url": base + "/authors/kay/"},
		"/archive/":     {"og:type": "website", "og:url": base + "/archive/", "og:title": "Archive · Test Runners"},
		"/tags/":        {"og:type": "website", "og:url": base + "/tags/"},
		"/nope":         {"og:type": "website", "og:url": base + "/nope"},
	} {
		_, meta := pageLinks(t, h.get(path).body)
		for _, name := range []string{"og:title", "og:description", "og:url", "og:type", "og:site_name", "twitter:card", "twitter:title"} {
			if meta[name] == "" {
				t.Errorf("%s: no %s", path, name)
			}
		}
		if meta["twitter:card"] != "summary" {
			t.Errorf("%s: twitter:card %q", path, meta["twitter:card"])
		}
		for name, v := range want {
			if meta[name] != v {
				t.Errorf("%s: %s = %q, want %q", path, name, meta[name], v)
			}
		}
	}
}

func TestAPostLinksTheStoriesBeforeAndAfterIt(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/first.md":  post("title: First run\ndate: 2024-01-01\nauthor: kay", "x"),
		"posts/second.md": post("title: Second run\ndate: 2024-02-01\nauthor: kay", "x"),
		"posts/third.md":  post("title: Third run\ndate: 2024-03-01\nauthor: kay", "x"),
	})
	mid := h.get("/posts/second/").body
	mustContain(t, "middle post", mid, `href="/posts/first/" rel="prev"`, `href="/posts/third/" rel="next"`, "First run", "Third run")
	mustContain(t, "oldest post", h.get("/posts/first/").body, `href="/posts/second/" rel="next"`)
	mustNotContain(t, "oldest post", h.get("/posts/first/").body, `rel="prev"`)
	mustNotContain(t, "newest post", h.get("/posts/third/").body, `rel="next"`)
}

func TestFaviconIcoLeadsToTheThemesIcon(t *testing.T) {
	h := newHarness(t, siteFiles{})
	res := h.get("/favicon.ico")
	if res.status != http.StatusMovedPermanently || res.header.Get("Location") != "/static/favicon.svg" {
		t.Fatalf("/favicon.ico: %d %q", res.status, res.header.Get("Location"))
	}
	icon := h.get("/static/favicon.svg")
	if icon.status != http.StatusOK || !strings.HasPrefix(icon.header.Get("Content-Type"), "image/svg+xml") {
		t.Errorf("favicon.svg: %d %q", icon.status, icon.header.Get("Content-Type"))
	}
}

func TestFaviconIcoIsTheThemesOwnWhenItHasOne(t *testing.T) {
	dir := t.TempDir()
	ico := "\x00\x00\x01\x00 an icon"
	if err := os.MkdirAll(filepath.Join(dir, "static"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "static", "favicon.ico"), []byte(ico), 0o644); err != nil {
		t.Fatal(err)
	}
	theme, err := themes.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, siteFiles{}, func(o *harnessConfig) { o.Theme = theme })
	res := h.get("/favicon.ico")
	if res.status != http.StatusOK || res.body != ico {
		t.Errorf("/favicon.ico with a theme that has one: %d %q", res.status, res.body)
	}
}

func TestAddressesWithoutTheirSlashAndPageOneRedirectPermanently(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay\ntags: [hills]", "x")})
	for from, to := range map[string]string{
		"/archive":             "/archive/",
		"/tags":                "/tags/",
		"/admin":               "/admin/",
		"/page/1/":             "/",
		"/tags/hills/page/1/":  "/tags/hills/",
		"/authors/kay/page/1/": "/authors/kay/",
	} {
		res := h.get(from)
		if res.status != http.StatusPermanentRedirect || res.header.Get("Location") != to {
			t.Errorf("GET %s: %d %q, want 308 to %s", from, res.status, res.header.Get("Location"), to)
		}
	}
}

func TestTheMenuMarksTheCurrentPage(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay\ntags: [hills]", "x")})
	for path, want := range map[string]string{
		"/":            `<a href="/" aria-current="page">Stories</a>`,
		"/archive/":    `<a href="/archive/" aria-current="page">Archive</a>`,
		"/tags/":       `<a href="/tags/" aria-current="page">Tags</a>`,
		"/tags/hills/": `<a href="/tags/" aria-current="true">Tags</a>`,
	} {
		body := h.get(path).body
		mustContain(t, path, body, want)
		if n := strings.Count(body, "aria-current"); n != 1 {
			t.Errorf("%s: %d entries marked current, want 1", path, n)
		}
	}
	mustNotContain(t, "a post", h.get("/posts/a/").body, "aria-current")
}

func TestTimesAreShownInTheSitesZoneWithTheZoneNamed(t *testing.T) {
	h := newHarness(t, siteFiles{
		"site.yaml":  siteYAML + "timezone: America/Los_Angeles\n",
		"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x"),
	})
	// The harness clock is 2026-11-24 12:00 UTC: 4 AM in Los Angeles.
	if res := h.postForm("/posts/a/comments", url.Values{"name": {"Sam"}, "body": {"Early start."}}); res.status != http.StatusSeeOther {
		t.Fatalf("posting a comment: %d", res.status)
	}
	mustContain(t, "post page", h.get("/posts/a/").body,
		`<time datetime="2026-11-24T04:00:00-08:00">November 24, 2026 at 4:00 AM PST</time>`,
		`<time datetime="2024-01-01T00:00:00-08:00">January 1, 2024</time>`)
	h.addUser("coach", accounts.RoleAdmin)
	b := h.browser()
	b.signIn("coach")
	if res := b.postForm("/admin/bans/", url.Values{"kind": {"email"}, "value": {"spam@example.org"}, "duration": {"1d"}, "back": {"/admin/bans/"}}); res.status != http.StatusSeeOther {
		t.Fatalf("banning: %d\n%.300s", res.status, res.body)
	}
	for page, want := range map[string]string{
		"/admin/comments/": "November 24, 2026 at 4:00 AM PST",
		"/admin/log/":      "November 24, 2026 at 4:00 AM PST",
		"/admin/bans/":     "November 25, 2026 at 4:00 AM PST",
	} {
		body := b.get(page).body
		mustContain(t, page, body, want)
		mustNotContain(t, page, body, "12:00 PM")
	}
}
