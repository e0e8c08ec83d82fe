package web_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
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
