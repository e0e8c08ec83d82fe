package web_test

import (
	"fmt"
	"net/http"
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
