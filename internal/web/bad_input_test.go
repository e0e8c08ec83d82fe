package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// TestBadRequestsGetAClearAnswerAndBreakNothing sends the requests a careless
// or hostile client sends; each gets its own 4xx and the site keeps serving.
func TestBadRequestsGetAClearAnswerAndBreakNothing(t *testing.T) {
	h := newHarness(t, massageSite(""))
	parent := h.postComment(commentForm("Ana", "A parent comment."))

	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const formType = "application/x-www-form-urlencoded"
	cases := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		want        int
	}{
		{"invalid UTF-8 in the body", "POST", "/posts/massage/comments", formType, "name=Kay&body=%ff%fe%fd", http.StatusUnprocessableEntity},
		{"invalid UTF-8 in the name", "POST", "/posts/massage/comments", formType, "name=%c3%28&body=hello", http.StatusUnprocessableEntity},
		{"NUL in the body", "POST", "/posts/massage/comments", formType, "name=Kay&body=a%00b", http.StatusUnprocessableEntity},
		{"empty body", "POST", "/posts/massage/comments", formType, "", http.StatusUnprocessableEntity},
		{"huge body", "POST", "/posts/massage/comments", formType, form("name", "Kay", "body", strings.Repeat("z", 65<<10)), http.StatusRequestEntityTooLarge},
		{"body over the site-wide limit", "POST", "/posts/massage/comments", formType, strings.Repeat("z", 2<<20), http.StatusRequestEntityTooLarge},
		{"JSON instead of a form", "POST", "/posts/massage/comments", "application/json", `{"name":"Kay","body":"hi"}`, http.StatusUnsupportedMediaType},
		{"no content type", "POST", "/posts/massage/comments", "", "name=Kay&body=hi", http.StatusUnsupportedMediaType},
		{"malformed form encoding", "POST", "/posts/massage/comments", formType, "name=%zz&body=%", http.StatusBadRequest},
		{"unknown parent", "POST", "/posts/massage/comments", formType, form("name", "Kay", "body", "hi", "parent", "424242"), http.StatusUnprocessableEntity},
		{"parent that is not a number", "POST", "/posts/massage/comments", formType, form("name", "Kay", "body", "hi", "parent", "../1"), http.StatusUnprocessableEntity},
		{"path traversal in the slug", "POST", "/posts/..%2f..%2fetc%2fpasswd/comments", formType, form("name", "Kay", "body", "hi"), http.StatusNotFound},
		{"path traversal in a post URL", "GET", "/posts/..%2f..%2fetc%2fpasswd/", "", "", http.StatusNotFound},
		{"path traversal in a tag", "GET", "/tags/..%2f..%2f/", "", "", http.StatusNotFound},
		{"path traversal in static files", "GET", "/static/..%2fthemes.go", "", "", http.StatusNotFound},
		{"wrong method on a page", "DELETE", "/posts/massage/", "", "", http.StatusMethodNotAllowed},
		{"GET on the comment endpoint", "GET", "/posts/massage/comments", "", "", http.StatusMethodNotAllowed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, h.srv.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res := h.do(req)
			if res.status != tc.want {
				t.Fatalf("%s %s: status %d, want %d\n%.300s", tc.method, tc.path, res.status, tc.want, res.body)
			}
			if !strings.Contains(res.header.Get("Content-Type"), "text/html") {
				t.Errorf("answer is %q, not the theme's page", res.header.Get("Content-Type"))
			}
		})
	}

	// A reply to a comment deleted since the page was loaded, and one past
	// the deepest level, are refused with the reader's text kept.
	doomed := h.postComment(commentForm("Ben", "Soon deleted."))
	if err := h.db.Delete(context.Background(), mustID(t, doomed)); err != nil {
		t.Fatal(err)
	}
	orphan := commentForm("Cleo", "Replying to a deleted comment")
	orphan.Set("parent", doomed)
	if res := h.postForm("/posts/massage/comments", orphan); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "Replying to a deleted comment") {
		t.Errorf("reply to a deleted comment: %d, want 422 with the text kept", res.status)
	}
	deepest := parent
	for range 4 {
		f := commentForm("Dee", "Deeper "+deepest)
		f.Set("parent", deepest)
		deepest = h.postComment(f)
	}
	tooDeep := commentForm("Eve", "One level too deep")
	tooDeep.Set("parent", deepest)
	if res := h.postForm("/posts/massage/comments", tooDeep); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "One level too deep") {
		t.Errorf("over-deep reply: %d, want 422 with the text kept", res.status)
	}

	// Nothing above was stored, and the site still serves.
	stored, err := h.db.ByPost(context.Background(), "massage")
	if err != nil || len(stored) != 5 || strconv.FormatUint(stored[0].ID, 10) != parent {
		t.Errorf("stored %d comments (%v); want the parent and its four replies only", len(stored), err)
	}
	if res := h.get("/posts/massage/"); res.status != http.StatusOK {
		t.Errorf("post page after bad input: %d", res.status)
	}
}
