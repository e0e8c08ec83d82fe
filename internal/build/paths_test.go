package build

import (
	"net/url"
	"testing"
)

func TestStaticPathWritesAPagesQueryIntoItsPath(t *testing.T) {
	for _, tc := range []struct {
		in, path, file string
		ok             bool
	}{
		{"/", "/", "index.html", true},
		{"/posts/x/", "/posts/x/", "posts/x/index.html", true},
		{"/feed.xml", "/feed.xml", "feed.xml", true},
		{"/posts/x/finish.jpg?w=960", "/posts/x/finish.w-960.jpg", "posts/x/finish.w-960.jpg", true},
		{"/posts/x/?comments=2", "/posts/x/comments-2/", "posts/x/comments-2/index.html", true},
		{"/authors/a/log/?year=2024", "/authors/a/log/year-2024/", "authors/a/log/year-2024/index.html", true},
		{"/tags/half%20marathon/", "/tags/half marathon/", "tags/half marathon/index.html", true},
		{"/posts/x/?reply=3", "", "", false},
		{"/posts/x/?comments=2&comments=3", "", "", false},
		{"/posts/x/?comments=..%2F..", "", "", false},
		{"/posts/../etc/", "", "", false},
	} {
		u, err := url.Parse(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := staticPath(u.Path, u.Query())
		if ok != tc.ok || got != tc.path {
			t.Errorf("staticPath(%s) = %q, %v; want %q, %v", tc.in, got, ok, tc.path, tc.ok)
			continue
		}
		if ok && fileOf(got) != tc.file {
			t.Errorf("fileOf(%s) = %q, want %q", got, fileOf(got), tc.file)
		}
	}
}
