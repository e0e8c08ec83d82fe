package web

import "testing"

func TestLoggedPathHidesPreviewTokens(t *testing.T) {
	for path, want := range map[string]string{
		"/preview/0123abcd/":              "/preview/TOKEN/",
		"/preview/0123abcd/photo.jpg":     "/preview/TOKEN/photo.jpg",
		"/preview/0123abcd":               "/preview/TOKEN",
		"/blog/preview/0123abcd/a/b.png":  "/blog/preview/TOKEN/a/b.png", // under a base URL's path
		"/posts/long-run/":                "/posts/long-run/",
		"/admin/posts/plan/preview-links": "/admin/posts/plan/preview-links",
	} {
		if got := loggedPath(path); got != want {
			t.Errorf("loggedPath(%q) = %q, want %q", path, got, want)
		}
	}
}
