package build

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

// TestScanHTMLRewritesOnlyWhatAStaticServerCannotAnswer: a srcset's sized
// copies become their files, a reply link and the form's action go to the
// live server, and every other tag keeps its bytes; the site's addresses
// are queued, other sites' are not.
func TestScanHTMLRewritesOnlyWhatAStaticServerCannotAnswer(t *testing.T) {
	b, err := newBuilder(Options{Handler: http.NotFoundHandler(), BaseURL: "https://runners.example.org/blog/", OutDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	page, _ := url.Parse("https://runners.example.org/blog/posts/x/")
	in := `<p class=a><A HREF='/blog/tags/y/'>y</A> <a href="https://elsewhere.example/">e</a>` +
		`<img src="/blog/posts/x/f.jpg" srcset="/blog/posts/x/f.jpg?w=480 480w, /blog/posts/x/f.jpg 900w" alt="F &amp; G">` +
		`<a href="?reply=3#comment-form">Reply</a><a href="/blog/posts/x/?comments=2#comments">Later</a>` +
		`<meta property="og:image" content="https://runners.example.org/blog/posts/x/f.jpg?w=480">` +
		`<form method="post" action="/blog/posts/x/comments#comment-form-errors" novalidate></form></p>`
	want := `<p class=a><A HREF='/blog/tags/y/'>y</A> <a href="https://elsewhere.example/">e</a>` +
		`<img src="/blog/posts/x/f.jpg" srcset="/blog/posts/x/f.w-480.jpg 480w, /blog/posts/x/f.jpg 900w" alt="F &amp; G">` +
		`<a href="https://runners.example.org/blog/posts/x/?reply=3#comment-form">Reply</a><a href="/blog/posts/x/comments-2/#comments">Later</a>` +
		`<meta property="og:image" content="https://runners.example.org/blog/posts/x/f.w-480.jpg">` +
		`<form method="post" action="https://runners.example.org/blog/posts/x/comments#comment-form-errors" novalidate="">` +
		`</form></p>`
	v := &visit{uri: "/blog/posts/x/"}
	if got := string(b.scanHTML(page, []byte(in), v)); got != want {
		t.Errorf("scanHTML:\n got %s\nwant %s", got, want)
	}
	b.enqueueLinks(v)
	var queued []string
	for _, l := range b.queue {
		queued = append(queued, l.URL)
	}
	slices.Sort(queued)
	if want := []string{"/blog/posts/x/?comments=2", "/blog/posts/x/f.jpg", "/blog/posts/x/f.jpg?w=480", "/blog/tags/y/"}; !slices.Equal(queued, want) {
		t.Errorf("queued %q, want %q", queued, want)
	}
}
