package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"milepost/internal/accounts"
)

// pageKinds are one page of each kind a reader is served, and the feeds.
var pageKinds = []string{
	"/", "/page/2/", "/posts/massage/", "/tags/", "/tags/recovery/", "/authors/kay/",
	"/archive/", "/feed.xml", "/tags/recovery/feed.xml", "/comments.xml", "/posts/massage/comments.xml",
}

// pagedSite has enough posts for a second home page, one of them tagged.
func pagedSite() siteFiles {
	files := massageSite("\ntags: [recovery]")
	for _, slug := range []string{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven"} {
		files["posts/"+slug+".md"] = post("title: Run "+slug+"\ndate: 2011-09-01\nauthor: kay", "Easy miles.")
	}
	return files
}

func decode(t *testing.T, coding string, body []byte) string {
	t.Helper()
	var r io.Reader
	switch coding {
	case "":
		return string(body)
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(body))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		defer zr.Close()
		r = zr
	default:
		t.Fatalf("unexpected Content-Encoding %q", coding)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", coding, err)
	}
	return string(b)
}

func TestEveryPageKindIsCompressedInEachEncodingToTheSameBytes(t *testing.T) {
	h := newHarness(t, pagedSite())
	h.postComment(commentForm("Dana", "A foam roller helps."))
	for _, path := range pageKinds {
		plain := h.get(path, "Accept-Encoding", "identity")
		if plain.status != http.StatusOK || plain.header.Get("Content-Encoding") != "" {
			t.Fatalf("%s plain: %d, Content-Encoding %q", path, plain.status, plain.header.Get("Content-Encoding"))
		}
		etags := map[string]string{plain.header.Get("ETag"): "identity"}
		for _, coding := range []string{"gzip", "br", "zstd"} {
			res := h.get(path, "Accept-Encoding", coding)
			if got := res.header.Get("Content-Encoding"); got != coding {
				t.Errorf("%s asked for %s: Content-Encoding %q", path, coding, got)
				continue
			}
			if !strings.Contains(res.header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s %s: Vary %q", path, coding, res.header.Get("Vary"))
			}
			if decode(t, coding, []byte(res.body)) != plain.body {
				t.Errorf("%s: %s decodes to other bytes than the plain page", path, coding)
			}
			if other, seen := etags[res.header.Get("ETag")]; seen {
				t.Errorf("%s: %s has the ETag of %s", path, coding, other)
			}
			etags[res.header.Get("ETag")] = coding
		}
	}
}

func TestTheClientsPreferredEncodingIsChosen(t *testing.T) {
	h := newHarness(t, massageSite(""))
	for accept, want := range map[string]string{
		"gzip, deflate, br, zstd": "zstd",
		"gzip, deflate, br":       "br",
		"gzip;q=1, br;q=0.5":      "gzip",
		"zstd, gzip;q=0.9":        "zstd",
		"br;q=0, gzip":            "gzip",
		"*":                       "zstd",
		"deflate":                 "",
		"identity":                "",
	} {
		if got := h.get("/posts/massage/", "Accept-Encoding", accept).header.Get("Content-Encoding"); got != want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", accept, got, want)
		}
	}
}

func TestEveryPageKindAnswersNotModifiedToItsETag(t *testing.T) {
	h := newHarness(t, pagedSite())
	for _, path := range pageKinds {
		for _, coding := range []string{"identity", "gzip", "br", "zstd"} {
			first := h.get(path, "Accept-Encoding", coding)
			etag := first.header.Get("ETag")
			if first.status != http.StatusOK || etag == "" {
				t.Fatalf("%s %s: %d, ETag %q", path, coding, first.status, etag)
			}
			again := h.get(path, "Accept-Encoding", coding, "If-None-Match", etag)
			if again.status != http.StatusNotModified || again.body != "" {
				t.Errorf("%s %s with its ETag: %d and %d bytes, want 304 and none", path, coding, again.status, len(again.body))
			}
		}
	}
}

func TestANewCommentChangesThePagesItShowsOn(t *testing.T) {
	h := newHarness(t, pagedSite())
	before := map[string]string{}
	for _, path := range pageKinds {
		before[path] = h.get(path, "Accept-Encoding", "br").header.Get("ETag")
	}
	h.postComment(commentForm("Dana", "A foam roller helps."))
	for _, path := range []string{"/", "/posts/massage/", "/tags/recovery/", "/authors/kay/", "/comments.xml", "/posts/massage/comments.xml"} {
		res := h.get(path, "Accept-Encoding", "br", "If-None-Match", before[path])
		if res.status != http.StatusOK {
			t.Errorf("%s after a new comment, asked with the old ETag: %d, want 200 with the comment", path, res.status)
		}
	}
}

func TestAnonymousPagesAreSharedAndPersonalOnesArePrivate(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: all\n"))
	h.addUser("mod", accounts.RoleModerator)
	shared := "public, max-age=60, stale-while-revalidate=300"
	for _, path := range []string{"/", "/posts/massage/", "/archive/", "/tags/", "/authors/kay/"} {
		if got := h.get(path).header.Get("Cache-Control"); got != shared {
			t.Errorf("%s without cookies: Cache-Control %q, want %q", path, got, shared)
		}
	}
	// A reader whose comment is held sees it; nobody else, and no shared
	// cache keeps their page.
	writer, stranger := h.browser(), h.browser()
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Linky", "See https://a.example/")))
	mine := writer.get("/posts/massage/?posted=" + id)
	mustContain(t, "writer's page", mine.body, `id="comment-`+id+`"`, `value="Linky"`)
	if got := mine.header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("the writer's own page: Cache-Control %q, want private", got)
	}
	theirs := stranger.get("/posts/massage/?posted=" + id)
	mustNotContain(t, "stranger's page", theirs.body, `id="comment-`+id+`"`, `value="Linky"`)
	if theirs.header.Get("ETag") == mine.header.Get("ETag") {
		t.Error("the stranger was sent the writer's page")
	}
	mod := h.browser()
	mod.signIn("mod")
	if got := mod.get("/posts/massage/").header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("a signed-in moderator's page: Cache-Control %q, want private", got)
	}
	for _, path := range []string{"/nope", "/admin/login"} {
		if got := h.get(path).header.Get("Cache-Control"); strings.Contains(got, "public") {
			t.Errorf("%s: Cache-Control %q, want no shared caching", path, got)
		}
	}
}

func TestTheDebugEndpointShowsRenderCacheHitsAndMisses(t *testing.T) {
	h := newHarness(t, massageSite(""))
	before := cacheFigures(t)
	h.get("/archive/", "Accept-Encoding", "gzip")
	h.get("/archive/", "Accept-Encoding", "gzip")
	after := cacheFigures(t)
	if after["misses"]-before["misses"] != 1 || after["hits"]-before["hits"] != 1 {
		t.Errorf("the same page twice: %d misses and %d hits, want 1 and 1", after["misses"]-before["misses"], after["hits"]-before["hits"])
	}
	if after["bytes"] <= 0 || after["pages"] <= 0 {
		t.Errorf("bytes kept: %d, pages: %d", after["bytes"], after["pages"])
	}
}
