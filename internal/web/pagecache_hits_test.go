package web_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"milepost/internal/content"
)

// A reader sending back the ETag they were sent is answered 304 by the
// render cache itself; the answer is the one http.ServeContent gives the
// same revalidation written as a list (which the cache leaves to it):
// the same headers, no body, nothing of the body's (type, length,
// coding). An ETag of another coding, or none of the page's, is sent the
// page.
func TestARevalidationIsAnsweredAsServeContentWould(t *testing.T) {
	h := newHarness(t, pagedSite())
	h.postComment(commentForm("Dana", "A foam roller helps."))
	for _, path := range []string{"/", "/posts/massage/", "/tags/recovery/", "/feed.xml", "/posts/massage/comments.xml", "/robots.txt"} {
		etags := map[string]string{}
		for _, coding := range []string{"identity", "gzip", "br", "zstd"} {
			first := h.get(path, "Accept-Encoding", coding)
			etag := first.header.Get("ETag")
			if first.status != http.StatusOK || etag == "" {
				t.Fatalf("%s %s: %d, ETag %q", path, coding, first.status, etag)
			}
			etags[coding] = etag
			for _, sent := range []string{etag, "W/" + strings.TrimPrefix(etag, "W/"), " " + etag + " "} {
				fast := h.get(path, "Accept-Encoding", coding, "If-None-Match", sent)
				listed := h.get(path, "Accept-Encoding", coding, "If-None-Match", `"not-this-one", `+etag)
				if fast.status != http.StatusNotModified || fast.body != "" {
					t.Fatalf("%s %s with If-None-Match %s: %d and %d bytes, want 304 and none", path, coding, sent, fast.status, len(fast.body))
				}
				if listed.status != http.StatusNotModified {
					t.Fatalf("%s %s with a list of ETags: %d, want 304", path, coding, listed.status)
				}
				fast.header.Del("Date")
				listed.header.Del("Date")
				if !sameHeaders(fast.header, listed.header) {
					t.Errorf("%s %s: the 304 sends\n%v\nhttp.ServeContent's sends\n%v", path, coding, fast.header, listed.header)
				}
			}
		}
		// The plain page's ETag does not revalidate an encoded one.
		if res := h.get(path, "Accept-Encoding", "br", "If-None-Match", etags["identity"]); etags["br"] != etags["identity"] &&
			(res.status != http.StatusOK || res.header.Get("ETag") != etags["br"] || res.body == "") {
			t.Errorf("%s br with the plain page's ETag: %d, ETag %q, %d bytes; want the page, ETag %q", path, res.status, res.header.Get("ETag"), len(res.body), etags["br"])
		}
		if res := h.get(path, "Accept-Encoding", "gzip", "If-None-Match", `"not-this-one"`); res.status != http.StatusOK || res.body == "" {
			t.Errorf("%s with another ETag: %d and %d bytes, want the page", path, res.status, len(res.body))
		}
		// Another condition beside it is left to http.ServeContent, which
		// answers it: If-Match names no ETag of the page.
		if res := h.get(path, "Accept-Encoding", "gzip", "If-None-Match", etags["gzip"], "If-Match", `"not-this-one"`); res.status != http.StatusPreconditionFailed {
			t.Errorf("%s with If-Match of another ETag: %d, want 412", path, res.status)
		}
	}
}

func sameHeaders(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

// A condition the server answers 412 gets no Content-Length of a body it
// does not send, on a kept page and on a reader's own (never kept) alike.
// (A reader's own page has no Last-Modified: If-Unmodified-Since is
// ignored there.)
func TestAFailedPreconditionSendsNoBodyLength(t *testing.T) {
	h := newHarness(t, pagedSite())
	for _, cookie := range []string{"", "milepost_reader=" + "Dana"} {
		conds := [][2]string{{"If-Match", `"not-this-one"`}}
		if cookie == "" {
			conds = append(conds, [2]string{"If-Unmodified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"})
		}
		for _, cond := range conds {
			res := h.get("/posts/massage/", "Accept-Encoding", "gzip", "Cookie", cookie, cond[0], cond[1])
			if res.status != http.StatusPreconditionFailed || res.body != "" {
				t.Errorf("cookie %q, %s: %d and %d bytes, want 412 and none", cookie, cond[0], res.status, len(res.body))
			}
		}
	}
}

// A page served from the render cache is asked for again without the mux:
// its path alone finds its route, with the same path values, and the
// answer is the one the mux's way gave, in every encoding and to HEAD.
func TestAKeptPageIsRoutedByItsPathAlone(t *testing.T) {
	h := newHarness(t, pagedSite())
	h.postComment(commentForm("Dana", "A foam roller helps."))
	for _, path := range []string{"/", "/page/2/", "/posts/massage/", "/tags/recovery/", "/authors/kay/", "/archive/",
		"/feed.xml", "/tags/recovery/feed.xml", "/authors/kay/atom.xml", "/posts/massage/comments.xml", "/sitemap.xml"} {
		for i, coding := range []string{"identity", "br"} {
			h.get(path, "Accept-Encoding", coding) // kept
			before := cacheFigures(t)["routed_by_path"]
			byMux := h.get(path, "Accept-Encoding", coding) // served kept: its route is remembered
			byPath := h.get(path, "Accept-Encoding", coding)
			// In the second coding, the route is known from the first.
			if routed := cacheFigures(t)["routed_by_path"] - before; routed != int64(i+1) {
				t.Errorf("%s %s: %d of two requests for a kept page were routed by its path, want %d", path, coding, routed, i+1)
			}
			byMux.header.Del("Date")
			byPath.header.Del("Date")
			if byPath.status != byMux.status || byPath.body != byMux.body || !sameHeaders(byPath.header, byMux.header) {
				t.Errorf("%s %s routed by its path: %d %v, by the mux: %d %v (or their bodies differ)", path, coding, byPath.status, byPath.header, byMux.status, byMux.header)
			}
		}
	}
	req, err := http.NewRequest(http.MethodHead, h.srv.URL+"/tags/recovery/", nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := h.do(req); res.status != http.StatusOK || res.body != "" || res.header.Get("Content-Security-Policy") == "" {
		t.Errorf("HEAD of a kept page: %d, %d bytes, CSP %q", res.status, len(res.body), res.header.Get("Content-Security-Policy"))
	}
	// Neither a POST nor a request with a body takes the path's route.
	if res := h.postForm("/tags/recovery/", nil); res.status != http.StatusMethodNotAllowed {
		t.Errorf("POST to a kept page: %d, want 405", res.status)
	}
}

// A path remembered while the site was at the root of its host is not
// routed by it once the site moves under a path: the request is outside
// the site.
func TestARememberedRouteIsNotTakenOnceTheSiteMovesUnderAPath(t *testing.T) {
	h := newHarness(t, pagedSite(), withAuthoring)
	for range 3 {
		if res := h.get("/tags/recovery/"); res.status != http.StatusOK {
			t.Fatalf("/tags/recovery/: %d", res.status)
		}
	}
	yaml := strings.Replace(siteYAML, "base_url: https://runners.example.org", "base_url: https://runners.example.org/blog/", 1)
	if err := os.WriteFile(filepath.Join(h.dir, "site.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	h.source.(*content.Source).Reload(context.Background())
	if res := h.get("/tags/recovery/"); res.status != http.StatusNotFound {
		t.Errorf("/tags/recovery/ once the site is under /blog/: %d, want 404", res.status)
	}
	if res := h.get("/blog/tags/recovery/"); res.status != http.StatusOK {
		t.Errorf("/blog/tags/recovery/: %d, want 200", res.status)
	}
}
