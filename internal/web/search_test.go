package web_test

import (
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/content"
	"milepost/internal/search"
	"milepost/internal/web"
	"milepost/themes"
)

// searchHarness serves files through a content.Source that the test
// reloads after changing dir, with a search index following it as serve's
// does. With ready false, the index is left unbuilt.
func searchHarness(t *testing.T, files siteFiles, ready bool) (*harness, *content.Source) {
	t.Helper()
	dir := siteDir(t, files)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	src, err := content.NewSource(ctx, dir, content.Overrides{}, log)
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(ctx, filepath.Join(t.TempDir(), "milepost.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ix := search.New()
	if ready {
		if _, err := ix.Sync(ctx, src.Current(), time.Now()); err != nil {
			t.Fatal(err)
		}
		go ix.Follow(ctx, src, nil, log)
	}
	h, err := web.New(web.Options{
		Content: src, Comments: app.NewCommentService(db, src, false, nil), Theme: themes.Default(), Log: log,
		Secret: []byte("a test key of thirty-two bytes!!"), Search: ix,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, dir: dir, source: src, client: srv.Client()}, src
}

// storyPost is a published post by kay.
func storyPost(title, date, tags, body string) string {
	return post("title: "+title+"\ndate: "+date+"\nauthor: kay\ntags: ["+tags+"]", body)
}

// searchFor fetches the search page for q.
func (h *harness) searchFor(q string) response {
	h.t.Helper()
	return h.get("/search?q=" + url.QueryEscape(q))
}

var resultTitle = regexp.MustCompile(`<h2><a href="/posts/([^/]+)/">`)

// resultSlugs are the slugs of a search page's results, in order.
func resultSlugs(body string) []string {
	var slugs []string
	for _, m := range resultTitle.FindAllStringSubmatch(body, -1) {
		slugs = append(slugs, m[1])
	}
	return slugs
}

func wantResults(t *testing.T, res response, q string, want ...string) {
	t.Helper()
	if res.status != http.StatusOK {
		t.Fatalf("search %q: status %d\n%.600s", q, res.status, res.body)
	}
	got := resultSlugs(res.body)
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("search %q found %q, want %q", q, got, want)
	}
}

var searchSite = siteFiles{
	"posts/it-band.md":      storyPost("Fixing my IT band", "2024-03-01T08:00:00Z", "injury", "A foam roller and patience."),
	"posts/long-run.md":     storyPost("Sunday long run", "2024-03-05T08:00:00Z", "training", "Twenty miles, and my IT band complained near the end. Running by the river was lovely."),
	"posts/race.md":         storyPost("Spring 10k", "2024-04-01T08:00:00Z", "race-report, trail", "We ran a negative split and finished strong."),
	"posts/splits.md":       storyPost("Split decisions", "2024-04-02T08:00:00Z", "training", "A split second; negative thoughts left behind."),
	"posts/draft.md":        post("title: Secret draft\ndate: 2024-01-01T08:00:00Z\ndraft: true\nauthor: kay", "Zanzibar marathon plans."),
	"posts/future.md":       storyPost("Future race", "2099-01-01T08:00:00Z", "race-report", "Zanzibar at last."),
	"posts/escape.md":       storyPost("Escaping", "2024-05-01T08:00:00Z", "misc", "Type `<script>alert('tempo')</script>` & run a tempo run."),
	"authors/bo.md":         "---\nname: Bo Runner\n---\nBo.\n",
	"posts/bo-tempo.md":     post("title: Bo's tempo\ndate: 2024-05-02T08:00:00Z\nauthor: bo\ntags: [trail]", "A tempo on the trail."),
	"posts/massage-time.md": storyPost("Recovery week", "2024-06-01T08:00:00Z", "recovery", "A massage after the marathon."),
}

func TestSearchRanksTitleAboveBody(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	wantResults(t, h.searchFor("IT band"), "IT band", "it-band", "long-run")
}

func TestSearchStems(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	// "run" finds "Running" and "ran"? No: stemming joins forms of a word
	// ("running", "runs"), not irregular ones ("ran").
	res := h.searchFor("run")
	wantResults(t, res, "run", "long-run", "escape")
	mustContain(t, "snippet", res.body, "<mark>Running</mark>")
	wantResults(t, h.searchFor("massages"), "massages", "massage-time")
}

func TestSearchPhrase(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	wantResults(t, h.searchFor(`"negative split"`), "negative split", "race")
	// Both words, apart: both posts, the phrase is what tells them apart.
	wantResults(t, h.searchFor(`negative split`), "negative split", "splits", "race")
}

func TestSearchFilters(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	wantResults(t, h.searchFor("tempo author:bo"), "tempo author:bo", "bo-tempo")
	wantResults(t, h.searchFor(`tempo author:"Bo Runner"`), "tempo by name", "bo-tempo")
	wantResults(t, h.searchFor("tempo author:kay"), "tempo author:kay", "escape")
	// A filter alone lists its posts, newest first.
	wantResults(t, h.searchFor("tag:trail"), "tag:trail", "bo-tempo", "race")
	wantResults(t, h.searchFor("tag:Trail tag:race-report"), "two tags", "race")
}

func TestSearchNeverFindsDraftsOrFuturePosts(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	res := h.searchFor("zanzibar")
	wantResults(t, res, "zanzibar")
	mustContain(t, "no results", res.body, "No story matches")
	mustNotContain(t, "no results", res.body, "Secret draft", "Future race")
}

func TestSearchSnippetIsEscapedText(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	res := h.searchFor("tempo")
	mustContain(t, "snippet", res.body, `&lt;script&gt;alert(&#39;<mark>tempo</mark>&#39;)&lt;/script&gt; &amp; run a <mark>tempo</mark>`)
	snippets := strings.Join(regexp.MustCompile(`(?s)<p class="snippet">.*?</p>`).FindAllString(res.body, -1), "\n")
	mustNotContain(t, "snippets", snippets, "<script>", "<code>")
	mustNotContain(t, "page", res.body, "<script")
}

func TestSearchDidYouMean(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	res := h.searchFor("masage tag:recovery")
	wantResults(t, res, "masage")
	mustContain(t, "suggestion", res.body, `Did you mean <a href="/search?q=massage&#43;tag%3Arecovery">massage tag:recovery</a>?`)
	wantResults(t, h.get("/search?q=massage+tag%3Arecovery"), "the suggestion", "massage-time")
	// A word the index knows gets no suggestion, found or not.
	mustNotContain(t, "known word", h.searchFor("massage tag:trail").body, "Did you mean")
}

func TestSearchPagination(t *testing.T) {
	files := siteFiles{}
	for i := range 25 {
		day := time.Date(2024, 1, 1+i, 8, 0, 0, 0, time.UTC).Format(time.RFC3339)
		files["posts/p"+string(rune('a'+i))+".md"] = storyPost("Hill repeats", day, "hills", "Hills again.")
	}
	h, _ := searchHarness(t, files, true)
	first := h.searchFor("hills")
	if n := len(resultSlugs(first.body)); n != search.PerPage {
		t.Fatalf("page 1 has %d results", n)
	}
	mustContain(t, "page 1", first.body, "25 stories found. Page 1 of 3.", `href="/search?page=2&amp;q=hills" rel="next"`)
	last := h.get("/search?q=hills&page=3")
	if n := len(resultSlugs(last.body)); n != 5 {
		t.Fatalf("page 3 has %d results", n)
	}
	mustContain(t, "page 3", last.body, `href="/search?page=2&amp;q=hills" rel="prev"`)
	mustNotContain(t, "page 3", last.body, `rel="next"`)
	// Equal scores: newest first, and no post on two pages.
	seen := map[string]bool{}
	for p := 1; p <= 3; p++ {
		for _, s := range resultSlugs(h.get("/search?q=hills&page=" + string(rune('0'+p))).body) {
			if seen[s] {
				t.Fatalf("%s on two pages", s)
			}
			seen[s] = true
		}
	}
	if len(seen) != 25 {
		t.Fatalf("%d posts over the pages, want 25", len(seen))
	}
	if got := resultSlugs(first.body)[0]; got != "py" {
		t.Fatalf("first result %s, want the newest (py)", got)
	}
	if res := h.get("/search?q=hills&page=4"); res.status != http.StatusNotFound {
		t.Fatalf("page past the last: %d", res.status)
	}
	for _, bad := range []string{"0", "-1", "x", "101", "99999999999999999999"} {
		if res := h.get("/search?q=hills&page=" + bad); res.status != http.StatusBadRequest {
			t.Fatalf("page=%s: %d", bad, res.status)
		}
	}
}

// waitForResults polls the search page until q finds want: the index
// follows a reload in the background.
func waitForResults(t *testing.T, h *harness, q string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := h.searchFor(q)
		if strings.Join(resultSlugs(res.body), " ") == strings.Join(want, " ") {
			return
		}
		if time.Now().After(deadline) {
			wantResults(t, res, q, want...)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSearchFollowsContentChanges(t *testing.T) {
	h, src := searchHarness(t, maps.Clone(searchSite), true)
	ctx := context.Background()
	write := func(name, text string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(h.dir, "posts", name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// An edit: the new word is found, the old one no longer.
	write("massage-time.md", storyPost("Recovery week", "2024-06-01T08:00:00Z", "recovery", "A sauna after the marathon."))
	src.Reload(ctx)
	waitForResults(t, h, "sauna", "massage-time")
	wantResults(t, h.searchFor("massage"), "massage")
	// A new post.
	write("new.md", storyPost("Track night", "2024-07-01T08:00:00Z", "track", "Sauna and intervals."))
	src.Reload(ctx)
	waitForResults(t, h, "sauna", "new", "massage-time")
	// A deleted one.
	if err := os.Remove(filepath.Join(h.dir, "posts", "massage-time.md")); err != nil {
		t.Fatal(err)
	}
	src.Reload(ctx)
	waitForResults(t, h, "sauna", "new")
	// A scheduled post is found once it comes due, not before.
	due := time.Now().Add(700 * time.Millisecond).UTC().Truncate(time.Second).Add(time.Second)
	write("soon.md", storyPost("Soon", due.Format(time.RFC3339), "track", "Sauna soon."))
	src.Reload(ctx)
	time.Sleep(100 * time.Millisecond)
	if time.Now().Before(due) {
		wantResults(t, h.searchFor("sauna"), "before it is due", "new")
	}
	waitForResults(t, h, "sauna", "soon", "new")
}

func TestSearchHostileQueries(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	cases := []struct {
		name, rawQuery string
		status         int
		message        string
	}{
		{"huge", "q=" + strings.Repeat("a", 100_000), http.StatusBadRequest, "A search may be up to 512 characters long."},
		{"just too long", "q=" + strings.Repeat("b", search.MaxQueryBytes+1), http.StatusBadRequest, "up to 512 characters"},
		{"thousands of terms", "q=" + strings.Repeat("a+", 2000), http.StatusBadRequest, "A search may be up to 512"},
		{"many terms", "q=" + strings.Repeat("a+", search.MaxTerms+1), http.StatusBadRequest, "up to 24 words and filters"},
		{"only operators", "q=" + url.QueryEscape(`"" ( ) + - * ! tag: author: ""`), http.StatusBadRequest, "Nothing to search for"},
		{"regex characters", "q=" + url.QueryEscape(`.*(tempo)+?[a-z]\d{2}|^$`), http.StatusOK, "tempo</mark>"},
		{"regex alone", "q=" + url.QueryEscape(`.*+?[]{}()|^$\`), http.StatusBadRequest, "Nothing to search for"},
		{"invalid UTF-8", "q=%ff%fe+tempo", http.StatusBadRequest, "not readable text (UTF-8)"},
		{"empty", "q=", http.StatusOK, `id="search-q"`},
		{"blank", "q=+++", http.StatusOK, `id="search-q"`},
		{"no q", "", http.StatusOK, `id="search-q"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := h.get("/search?" + c.rawQuery)
			if res.status != c.status {
				t.Fatalf("status %d, want %d\n%.800s", res.status, c.status, res.body)
			}
			mustContain(t, c.name, res.body, c.message, `<form class="search-form"`)
			if c.status == http.StatusOK && c.rawQuery != "" && !strings.Contains(c.name, "regex") {
				mustNotContain(t, c.name, res.body, "No story matches", "search-count")
			}
			if len(res.body) > 64<<10 {
				t.Fatalf("answer of %d bytes: the query is echoed whole", len(res.body))
			}
		})
	}
}

func TestSearchWhileIndexIsBuilt(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), false)
	res := h.searchFor("tempo")
	if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" {
		t.Fatalf("status %d, Retry-After %q", res.status, res.header.Get("Retry-After"))
	}
	mustContain(t, "building", res.body, "The search index is still being built")
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Fatalf("Cache-Control %q", cc)
	}
	// The rest of the site serves meanwhile.
	if res := h.get("/"); res.status != http.StatusOK {
		t.Fatalf("home: %d", res.status)
	}
}

func TestOpenSearchDescription(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	res := h.get("/opensearch.xml")
	if res.status != http.StatusOK || res.header.Get("Content-Type") != "application/opensearchdescription+xml; charset=utf-8" {
		t.Fatalf("status %d, type %q", res.status, res.header.Get("Content-Type"))
	}
	var doc struct {
		XMLName   xml.Name `xml:"http://a9.com/-/spec/opensearch/1.1/ OpenSearchDescription"`
		ShortName string
		Encoding  string `xml:"InputEncoding"`
		URLs      []struct {
			Type     string `xml:"type,attr"`
			Template string `xml:"template,attr"`
		} `xml:"Url"`
	}
	if err := xml.Unmarshal([]byte(res.body), &doc); err != nil {
		t.Fatalf("%v\n%s", err, res.body)
	}
	if doc.ShortName != "Test Runners" || doc.Encoding != "UTF-8" || len(doc.URLs) == 0 ||
		doc.URLs[0].Type != "text/html" || doc.URLs[0].Template != "https://runners.example.org/search?q={searchTerms}" {
		t.Fatalf("description: %+v", doc)
	}
	// Every page points to it, and has the search box.
	for _, path := range []string{"/", "/posts/race/", "/tags/", "/search?q=tempo", "/nope"} {
		page := h.get(path)
		mustContain(t, path, page.body,
			`<link rel="search" type="application/opensearchdescription+xml" title="Test Runners" href="/opensearch.xml">`,
			`<form class="site-search" role="search" aria-label="Site" action="/search" method="get">`)
		mustContain(t, path, page.header.Get("Content-Security-Policy"), "script-src 'none'")
	}
}

// TestSearchFindsRunFields: a post is found by its run's type, race name
// and shoes, which are in no other field of it.
func TestSearchFindsRunFields(t *testing.T) {
	files := maps.Clone(searchSite)
	files["posts/marathon.md"] = post("title: Autumn day\ndate: 2024-10-06T08:00:00Z\nauthor: kay\nrun:\n  type: Race\n  distance: 26.2 mi\n  time: 3:28:15\n"+
		"  race: Portland Marathon\n  shoes: Pegasus 40", "Ran it.")
	files["posts/easy.md"] = post("title: Shakeout\ndate: 2024-10-05T08:00:00Z\nauthor: kay\nrun:\n  type: Easy\n  distance: 5 km\n  shoes: Ghost 15", "Legs loose.")
	h, _ := searchHarness(t, files, true)
	for q, want := range map[string]string{
		"Portland":       "marathon",
		"pegasus":        "marathon",
		"ghost":          "easy",
		"shakeout ghost": "easy",
	} {
		wantResults(t, h.searchFor(q), q, want)
	}
	// The run's type: the marathon is the one race run (the race reports
	// say "race" in their tags, not in a run).
	if got := resultSlugs(h.searchFor("race portland").body); len(got) == 0 || got[0] != "marathon" {
		t.Errorf("race portland found %q, want the marathon first", got)
	}
}

// TestSearchNoPostHasEveryWord: when no post has all the words, the page
// says so and lists the posts with some of them.
func TestSearchNoPostHasEveryWord(t *testing.T) {
	h, _ := searchHarness(t, maps.Clone(searchSite), true)
	res := h.searchFor("foam massage")
	if res.status != http.StatusOK {
		t.Fatalf("status %d", res.status)
	}
	mustContain(t, "the partial count", res.body, "No story has all of these words; 2 stories have some of them.")
	got := resultSlugs(res.body)
	if strings.Join(got, " ") != "it-band massage-time" && strings.Join(got, " ") != "massage-time it-band" {
		t.Errorf("foam massage found %q, want the foam roller and the massage posts", got)
	}
	mustNotContain(t, "a word both posts know", res.body, "Did you mean")
}
