package feed_test

import (
	"html/template"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"

	"milepost/internal/content"
	"milepost/internal/feed"
)

// hostile is what a stranger can type as a commenter's name, and what an
// author can put in a title, a name or a tag: markup, an entity that
// decodes to markup, and a numeric reference.
const hostile = `"><script>alert(1)</script> &lt;img src=x onerror=alert(2)&gt; &#60;b&#62;`

// readsAsPlainText fails t unless s, a parsed feed field, shows as the
// same text when a reader renders it as HTML: it has no tag and no
// character reference.
func readsAsPlainText(t *testing.T, field, s string) {
	t.Helper()
	if strings.ContainsAny(s, "<>") {
		t.Errorf("%s = %q: contains markup", field, s)
	}
	if html.UnescapeString(s) != s {
		t.Errorf("%s = %q: contains a character reference a reader would decode", field, s)
	}
}

func TestHostileNamesReadAsPlainTextInEveryFeedField(t *testing.T) {
	author := &content.Author{ID: "x", Name: hostile, Website: "https://x.example/"}
	posts := content.Listing{content.PostWithBody(content.Post{
		Slug: "p", Title: hostile, Date: time.Date(2024, 5, 1, 7, 0, 0, 0, time.UTC), Author: author,
		Tags: []string{hostile},
	}, "<p>Body.</p>", "<p>"+template.HTML(template.HTMLEscapeString(hostile))+"</p>")}
	ch := feed.Channel{Title: "Posts by " + hostile, Description: hostile, BaseURL: baseURL, Path: "/authors/x/", Author: author}
	for _, f := range feed.Formats {
		t.Run(f.String(), func(t *testing.T) {
			data, err := feed.Build(ch, posts, f)
			if err != nil {
				t.Fatal(err)
			}
			parsed := parse(t, data)
			readsAsPlainText(t, "feed title", parsed.Title)
			readsAsPlainText(t, "feed description", parsed.Description)
			for _, a := range parsed.Authors {
				readsAsPlainText(t, "feed author", a.Name)
			}
			if len(parsed.Items) != 1 {
				t.Fatalf("%d items, want 1", len(parsed.Items))
			}
			it := parsed.Items[0]
			readsAsPlainText(t, "item title", it.Title)
			if !strings.Contains(it.Title, "script") || !strings.Contains(it.Title, "alert(1)") {
				t.Errorf("item title = %q: the name's text is lost", it.Title)
			}
			for _, a := range it.Authors {
				readsAsPlainText(t, "item author", a.Name)
			}
			if len(it.Categories) != 1 {
				t.Errorf("categories = %q, want the one tag", it.Categories)
			}
			for _, c := range it.Categories {
				readsAsPlainText(t, "item category", c)
			}
			if f == feed.JSON { // the only format whose summary is plain text
				readsAsPlainText(t, "item summary", it.Description)
			}
		})
	}
}

func TestCommentFeedTitlesCarryTheNameAsPlainText(t *testing.T) {
	data, err := feed.BuildComments(feed.Channel{Title: "Comments on “" + hostile + "”", BaseURL: baseURL, Path: "/posts/p/"},
		[]feed.CommentItem{{ID: 7, PostSlug: "p", PostTitle: hostile, Name: hostile, HTML: "<p>Hi.</p>", Created: time.Date(2024, 5, 1, 7, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := gofeed.NewParser().ParseString(string(data))
	if err != nil {
		t.Fatal(err)
	}
	readsAsPlainText(t, "feed title", f.Title)
	it := f.Items[0]
	readsAsPlainText(t, "item title", it.Title)
	if it.Author == nil {
		t.Fatal("no author")
	}
	readsAsPlainText(t, "item author", it.Author.Name)
	for _, c := range rssCreators(t, data) {
		readsAsPlainText(t, "dc:creator", c)
	}
}

func TestAmpersandsThatCannotStartAReferenceStay(t *testing.T) {
	posts := samplePosts()[:1] // "Boston: “sub-3” & it’s done…"
	data, err := feed.Build(siteChannel(), posts, feed.RSS)
	if err != nil {
		t.Fatal(err)
	}
	if got := parse(t, data).Items[0].Title; got != posts[0].Title {
		t.Errorf("title = %q, want %q unchanged", got, posts[0].Title)
	}
}

// linkPost has relative links of every kind a post's HTML can hold.
func linkPost() *content.Post {
	return content.PostWithBody(content.Post{
		Slug: "trail-50k", Title: "Trail 50k", Date: time.Date(2024, 6, 1, 7, 0, 0, 0, time.UTC),
	}, `<p><img src="photo.jpg" alt="the start"> and <img srcset="small.jpg 1x, /img/big.jpg 2x" src="./small.jpg" alt="">`+
		`<sup id="fnref:1"><a href="#fn:1" class="footnote-ref" role="doc-noteref">1</a></sup>`+
		` <a href="../boston-2024/">Boston</a> <a href="/tags/trail/">trail</a> <a href="//cdn.example.net/x.png">cdn</a>`+
		` <a href="https://example.net/?a=1&amp;b=2">elsewhere</a> <a href="mailto:kay@example.org">mail</a></p>`+
		`<blockquote cite="notes.html"><p>Quote &amp; more</p></blockquote>`+
		`<video poster="poster.png" src="clip.mp4"></video>`,
		`<p>See <a href="map.html">the map</a>.</p>`)
}

func TestFeedContentLinksAreAbsolute(t *testing.T) {
	const post = baseURL + "/posts/trail-50k/"
	want := map[string]bool{
		post + "photo.jpg":              true,
		post + "small.jpg":              true,
		baseURL + "/img/big.jpg":        true,
		post + "#fn:1":                  true,
		baseURL + "/posts/boston-2024/": true,
		baseURL + "/tags/trail/":        true,
		"https://cdn.example.net/x.png": true,
		"https://example.net/?a=1&b=2":  true,
		"mailto:kay@example.org":        true,
		post + "notes.html":             true,
		post + "poster.png":             true,
		post + "clip.mp4":               true,
	}
	for _, f := range feed.Formats {
		t.Run(f.String(), func(t *testing.T) {
			data, err := feed.Build(siteChannel(), content.Listing{linkPost()}, f)
			if err != nil {
				t.Fatal(err)
			}
			it := parse(t, data).Items[0]
			got := map[string]bool{}
			for _, u := range urlsIn(t, it.Content) {
				got[u] = true
				if pu, err := url.Parse(u); err != nil || !pu.IsAbs() {
					t.Errorf("content keeps a relative URL %q", u)
				}
			}
			for u := range want {
				if !got[u] {
					t.Errorf("content lacks %q; has %v", u, got)
				}
			}
			if !strings.Contains(it.Content, "Quote &amp; more") {
				t.Errorf("text around the links changed: %q", it.Content)
			}
			if f != feed.JSON { // JSON Feed's summary is plain text
				if urls := urlsIn(t, it.Description); len(urls) != 1 || urls[0] != post+"map.html" {
					t.Errorf("summary links = %q, want the absolute map.html", urls)
				}
			}
		})
	}
}

// urlsIn lists the URLs of the href, src, poster, cite and srcset
// attributes in h, as a browser would read them.
func urlsIn(t *testing.T, h string) []string {
	t.Helper()
	var out []string
	z := html.NewTokenizer(strings.NewReader(h))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return out
		case html.StartTagToken, html.SelfClosingTagToken:
			for _, a := range z.Token().Attr {
				switch a.Key {
				case "href", "src", "poster", "cite":
					out = append(out, a.Val)
				case "srcset":
					for _, c := range strings.Split(a.Val, ",") {
						out = append(out, strings.Fields(c)[0])
					}
				}
			}
		}
	}
}
