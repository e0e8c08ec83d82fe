package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"
)

func feedSite() siteFiles {
	files := siteFiles{
		"authors/sam.md": post("name: Sam Strider", "Runs before dawn."),
	}
	for i := 1; i <= 25; i++ {
		author, tag := "kay", "road"
		if i%5 == 0 {
			author, tag = "sam", "trail"
		}
		files[fmt.Sprintf("posts/run-%02d.md", i)] = post(
			fmt.Sprintf("title: Run %02d\ndate: 2024-01-%02dT07:00:00Z\nauthor: %s\ntags: [%s]\nsummary: Summary of run %02d.", i, i, author, tag, i),
			fmt.Sprintf("Full text of run %02d, with “curly quotes” & an ampersand.\n\n## Splits\n\n| km | pace |\n|---|---|\n| 1 | 5:01 |", i))
	}
	return files
}

func TestFeedsParseBackWithFullTextAndAbsoluteLinks(t *testing.T) {
	h := newHarness(t, feedSite())
	for _, path := range []string{"/feed.xml", "/atom.xml", "/feed.json"} {
		t.Run(path, func(t *testing.T) {
			res := h.get(path)
			if res.status != http.StatusOK {
				t.Fatalf("status %d", res.status)
			}
			f, err := gofeed.NewParser().ParseString(res.body)
			if err != nil {
				t.Fatalf("parsing %s: %v\n%s", path, err, res.body)
			}
			if f.Title != "Test Runners" || len(f.Items) != 20 {
				t.Fatalf("title %q with %d items, want Test Runners with 20", f.Title, len(f.Items))
			}
			if f.FeedLink != "https://runners.example.org"+path {
				t.Errorf("self link = %q", f.FeedLink)
			}
			newest := f.Items[0]
			if newest.Title != "Run 25" || newest.Link != "https://runners.example.org/posts/run-25/" {
				t.Errorf("newest item = %q %q", newest.Title, newest.Link)
			}
			if !strings.Contains(newest.Description, "Summary of run 25.") {
				t.Errorf("description = %q, want the summary", newest.Description)
			}
			if !strings.Contains(newest.Content, "Full text of run 25, with “curly quotes” &amp; an ampersand.") || !strings.Contains(newest.Content, "<table>") {
				t.Errorf("content = %q, want the full HTML", newest.Content)
			}
			if newest.GUID != "tag:runners.example.org,2024-01-25:/posts/run-25/" {
				t.Errorf("id = %q", newest.GUID)
			}
		})
	}
}

func TestTagAndAuthorFeedsHoldOnlyTheirPosts(t *testing.T) {
	h := newHarness(t, feedSite())
	for _, path := range []string{"/tags/trail/feed.xml", "/authors/sam/atom.xml", "/authors/sam/feed.json"} {
		res := h.get(path)
		f, err := gofeed.NewParser().ParseString(res.body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(f.Items) != 5 {
			t.Errorf("%s: %d items, want 5", path, len(f.Items))
		}
		for _, it := range f.Items {
			if it.Title != "Run 05" && it.Title != "Run 10" && it.Title != "Run 15" && it.Title != "Run 20" && it.Title != "Run 25" {
				t.Errorf("%s: holds %q", path, it.Title)
			}
		}
		if !strings.HasPrefix(f.FeedLink, "https://runners.example.org/") || !strings.HasSuffix(f.FeedLink, path) {
			t.Errorf("%s: self link %q", path, f.FeedLink)
		}
	}
}

func TestUnchangedFeedsAnswer304(t *testing.T) {
	h := newHarness(t, feedSite())
	for _, path := range []string{"/feed.xml", "/atom.xml", "/feed.json", "/tags/road/feed.xml"} {
		first := h.get(path)
		etag, modified := first.header.Get("ETag"), first.header.Get("Last-Modified")
		if etag == "" || modified == "" {
			t.Fatalf("%s: ETag %q Last-Modified %q", path, etag, modified)
		}
		if res := h.get(path, "If-None-Match", etag); res.status != http.StatusNotModified || res.body != "" {
			t.Errorf("%s with If-None-Match: %d (%d bytes), want 304 and no body", path, res.status, len(res.body))
		}
		if res := h.get(path, "If-Modified-Since", modified); res.status != http.StatusNotModified {
			t.Errorf("%s with If-Modified-Since: %d, want 304", path, res.status)
		}
		if res := h.get(path, "If-None-Match", `"stale"`); res.status != http.StatusOK {
			t.Errorf("%s with a stale ETag: %d, want 200", path, res.status)
		}
	}
}

func TestDraftsShownWithDraftsFlagStayOutOfEveryFeed(t *testing.T) {
	files := feedSite()
	files["posts/secret-plan.md"] = post("title: Secret plan\ndate: 2024-02-01T07:00:00Z\nauthor: kay\ntags: [road]\ndraft: true", "Not for subscribers yet.")
	h := newHarness(t, files, withDrafts)

	if res := h.get("/posts/secret-plan/"); res.status != http.StatusOK || !strings.Contains(res.body, "Not for subscribers yet.") {
		t.Fatalf("the draft's page with -drafts: %d; want it shown", res.status)
	}
	// A comment on the draft, which -drafts lets a reader write.
	if res := h.postForm("/posts/secret-plan/comments", url.Values{"name": {"Early Reader"}, "body": {"Sneak peek!"}}); res.status != http.StatusSeeOther {
		t.Logf("commenting on the draft: %d", res.status)
	}
	for _, path := range []string{
		"/feed.xml", "/atom.xml", "/feed.json",
		"/tags/road/feed.xml", "/tags/road/atom.xml", "/authors/kay/feed.json",
		"/comments.xml",
	} {
		res := h.get(path)
		if res.status != http.StatusOK {
			t.Errorf("%s: status %d", path, res.status)
			continue
		}
		if _, err := gofeed.NewParser().ParseString(res.body); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		for _, leak := range []string{"secret-plan", "Secret plan", "Sneak peek"} {
			if strings.Contains(res.body, leak) {
				t.Errorf("%s carries the draft (%q)", path, leak)
			}
		}
	}
	if res := h.get("/posts/secret-plan/comments.xml"); res.status != http.StatusNotFound {
		t.Errorf("the draft's comment feed: %d, want 404", res.status)
	}
}

func TestFeedsCarryTagsAndAbsoluteLinksFromPostContent(t *testing.T) {
	files := siteFiles{"posts/trail.md": post("title: Trail day\ndate: 2024-03-01T07:00:00Z\nauthor: kay\ntags: [trail, hills]",
		"![the start](start.jpg) and a note.[^1] See [the last one](../road/).\n\n[^1]: Muddy.")}
	h := newHarness(t, files)
	const page = "https://runners.example.org/posts/trail/"
	for _, path := range []string{"/feed.xml", "/atom.xml", "/feed.json"} {
		f, err := gofeed.NewParser().ParseString(h.get(path).body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		it := f.Items[0]
		if strings.Join(it.Categories, "|") != "trail|hills" {
			t.Errorf("%s: categories %q, want the post's tags", path, it.Categories)
		}
		for _, want := range []string{`src="` + page + `start.jpg"`, `href="` + page + `#fn:1"`, `href="https://runners.example.org/posts/road/"`} {
			if !strings.Contains(it.Content, want) {
				t.Errorf("%s: content lacks %s:\n%s", path, want, it.Content)
			}
		}
	}
}

// TestHostileCommenterNameIsPlainTextInCommentFeeds is issue 7 item 10: a
// name with markup, posted through the form, must not become markup in a
// comment feed's titles once a reader parses them.
func TestHostileCommenterNameIsPlainTextInCommentFeeds(t *testing.T) {
	h := newHarness(t, siteFiles{"posts/long-run.md": post("title: Long run\ndate: 2024-03-01T07:00:00Z\nauthor: kay", "32 km.")})
	const name = `"><script>alert(1)</script>&lt;b&gt;`
	if res := h.postForm("/posts/long-run/comments", url.Values{"name": {name}, "body": {"Nice run."}}); res.status != http.StatusSeeOther {
		t.Fatalf("posting the comment: %d\n%.400s", res.status, res.body)
	}
	for _, path := range []string{"/comments.xml", "/posts/long-run/comments.xml"} {
		f, err := gofeed.NewParser().ParseString(h.get(path).body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(f.Items) != 1 {
			t.Fatalf("%s: %d items, want 1", path, len(f.Items))
		}
		it := f.Items[0]
		fields := map[string]string{"title": it.Title}
		if it.Author != nil {
			fields["author"] = it.Author.Name
		}
		for field, v := range fields {
			if strings.ContainsAny(v, "<>") || html.UnescapeString(v) != v {
				t.Errorf("%s: item %s %q would be markup in a reader that renders it as HTML", path, field, v)
			}
		}
		if !strings.Contains(it.Title, "alert(1)") || !strings.Contains(it.Title, "on “Long run”") {
			t.Errorf("%s: title %q lost the name's text", path, it.Title)
		}
	}
}
