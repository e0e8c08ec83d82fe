package web_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// finishPNG stands for a photo: the first bytes of a PNG file and a marker.
const finishPNG = "\x89PNG\r\n\x1a\n the finish line"

// bundleSite serves a content directory with page bundles beside a
// single-file post, files that must never be served among the photos, and
// symbolic links that try to lead out of a bundle. It returns the server's
// URL.
func bundleSite(t *testing.T, opts ...harnessOption) string {
	t.Helper()
	files := siteFiles{
		"posts/race-day/index.md": post("title: Race day\ndate: 2024-05-01\nauthor: kay",
			"![The finish line](finish.png)\n\n<!--more-->\n\nWe crossed it together.\n\n![Start](photos/start.jpg)"),
		"posts/race-day/finish.png":       finishPNG,
		"posts/race-day/photos/start.jpg": "a JPEG of the start",
		"posts/race-day/run.fit":          "FIT: the route from the runner's front door",
		"posts/race-day/route.gpx":        "<gpx>the route from the runner's front door</gpx>",
		"posts/race-day/.notes.png":       "a hidden file's text",
		"posts/race-day/notes.md":         "private notes",
		"posts/single.md":                 post("title: Single file\ndate: 2024-04-01\nauthor: kay", "Still works."),
		"posts/plan/index.md":             post("title: Next plan\ndate: 2024-06-01\nauthor: kay\ndraft: true", "![Plan](plan.png)"),
		"posts/plan/plan.png":             "the draft's photo",
	}
	h := newHarness(t, files, opts...)
	site := h.site
	if len(site.Problems) > 0 {
		t.Fatalf("content problems: %v", site.Problems)
	}
	dir := site.Dir()
	// Bundle files are opened when asked for, so links made now count.
	secret := filepath.Join(t.TempDir(), "secret.png")
	if err := os.WriteFile(secret, []byte("a file outside the content directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"posts/race-day/secret.png": secret,
		"posts/race-day/config.png": "../../site.yaml",
		"posts/race-day/up":         "..",
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	return h.srv.URL
}

// fetch GETs a URL, following redirects as a browser would.
func fetch(t *testing.T, u string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

var imgSrcRE = regexp.MustCompile(`<img src="([^"]*)"`)

// imageURLs are the absolute URLs of the images of the page at pageURL, as
// a browser resolves them.
func imageURLs(t *testing.T, pageURL string) []string {
	t.Helper()
	res, body := fetch(t, pageURL)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", pageURL, res.StatusCode)
	}
	base := res.Request.URL // after any redirect
	var out []string
	for _, m := range imgSrcRE.FindAllStringSubmatch(body, -1) {
		ref, err := url.Parse(m[1])
		if err != nil {
			t.Fatalf("image URL %q: %v", m[1], err)
		}
		out = append(out, base.ResolveReference(ref).String())
	}
	return out
}

func TestBundlePhotosLoadFromThePostAndTheListsThatShowThem(t *testing.T) {
	srv := bundleSite(t)
	pages := map[string][]string{
		// The post's own page: Markdown's relative URLs as written.
		srv + "/posts/race-day/": {srv + "/posts/race-day/finish.png", srv + "/posts/race-day/photos/start.jpg"},
		// Pages of summaries: resolved against the post's URL.
		srv + "/":              {srv + "/posts/race-day/finish.png"},
		srv + "/authors/kay/":  {srv + "/posts/race-day/finish.png"},
		srv + "/posts/single/": nil,
		// Redirected to the post's URL, against which they resolve.
		srv + "/posts/race-day": {srv + "/posts/race-day/finish.png", srv + "/posts/race-day/photos/start.jpg"},
	}
	for page, want := range pages {
		got := imageURLs(t, page)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("images of %s = %q, want %q", page, got, want)
		}
	}
	for u, want := range map[string]struct{ mediaType, body string }{
		srv + "/posts/race-day/finish.png":       {"image/png", finishPNG},
		srv + "/posts/race-day/photos/start.jpg": {"image/jpeg", "a JPEG of the start"},
	} {
		res, body := fetch(t, u)
		if res.StatusCode != http.StatusOK || body != want.body {
			t.Errorf("GET %s: %d %q, want 200 with the file", u, res.StatusCode, body)
			continue
		}
		if got := res.Header.Get("Content-Type"); got != want.mediaType {
			t.Errorf("GET %s: Content-Type %q, want %q", u, got, want.mediaType)
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=2592000" {
			t.Errorf("GET %s: Cache-Control %q, want thirty days, public", u, got)
		}
		etag, lastMod := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
		if etag == "" || lastMod == "" {
			t.Fatalf("GET %s: ETag %q, Last-Modified %q: want both validators", u, etag, lastMod)
		}
		if res, body := fetch(t, u, "If-None-Match", etag); res.StatusCode != http.StatusNotModified || body != "" {
			t.Errorf("GET %s with If-None-Match: %d, want 304 and no body", u, res.StatusCode)
		}
		if res, _ := fetch(t, u, "If-Modified-Since", lastMod); res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-Modified-Since: %d, want 304", u, res.StatusCode)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", u, got)
		}
	}
}

func TestBundleServesOnlyWhatReadersShouldGet(t *testing.T) {
	srv := bundleSite(t)
	leaks := []string{"front door", "outside the content", "a hidden file", "private notes", "title:", "the draft's photo"}
	for _, path := range []string{
		"/posts/race-day/index.md",
		"/posts/race-day/notes.md",
		"/posts/race-day/run.fit",
		"/posts/race-day/route.gpx",
		"/posts/race-day/.notes.png",
		"/posts/race-day/secret.png",          // a link out of the content directory
		"/posts/race-day/config.png",          // a link to site.yaml
		"/posts/race-day/up/site.yaml",        // through a linked folder
		"/posts/race-day/up/race-day/run.fit", // and back in
		"/posts/race-day/../../site.yaml",
		"/posts/race-day/..%2f..%2fsite.yaml",
		"/posts/race-day/%2e%2e/%2e%2e/site.yaml",
		"/posts/race-day/photos",
		"/posts/race-day/nothing.png",
		"/posts/single/finish.png",
		"/posts/plan/plan.png", // a draft, without -drafts
		"/posts/nobody/finish.png",
	} {
		res, body := fetch(t, srv+path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
		for _, leak := range leaks {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s leaks %q", path, leak)
			}
		}
	}
}

func TestBundleOfADraftOnlyWithDrafts(t *testing.T) {
	srv := bundleSite(t, withDrafts)
	res, body := fetch(t, srv+"/posts/plan/plan.png")
	if res.StatusCode != http.StatusOK || body != "the draft's photo" {
		t.Fatalf("the draft's photo with -drafts: %d %q", res.StatusCode, body)
	}
	if got := res.Header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("the draft's photo: Cache-Control %q, want private, no-cache: no shared cache keeps a preview", got)
	}
}

func TestBundleFilesLeaveOtherRoutesTheirAnswers(t *testing.T) {
	srv := bundleSite(t)
	for _, path := range []string{"/posts/race-day/comments", "/posts/race-day/comments/1/delete"} {
		res, _ := fetch(t, srv+path)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
			t.Errorf("GET %s: %d, Allow %q; want 405, Allow POST", path, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	req, err := http.NewRequest(http.MethodHead, srv+"/posts/race-day/finish.png", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.ContentLength != int64(len(finishPNG)) {
		t.Errorf("HEAD of a photo: %d, length %d", res.StatusCode, res.ContentLength)
	}
}
