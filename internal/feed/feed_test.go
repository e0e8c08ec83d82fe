package feed_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	"github.com/mmcdole/gofeed/rss"

	"milepost/internal/content"
	"milepost/internal/feed"
)

const baseURL = "https://run.example.com"

var (
	edt  = time.FixedZone("EDT", -4*60*60)
	cest = time.FixedZone("CEST", 2*60*60)

	// The authors' emails sit where a careless feed might pick them up;
	// no feed may contain them.
	jane = &content.Author{
		ID: "jane", Name: "Jane Strider", Website: "https://jane.example.net/",
		Params: map[string]any{"email": "jane@example.org"},
	}
	omar = &content.Author{
		ID: "omar", Name: "Omar Pace",
		Params: map[string]any{"email": "omar@example.org"},
	}
)

// trickyHTML has what XML and JSON must carry through unharmed: named,
// numeric and hex entities, curly quotes and ellipses, markup-like text,
// newlines, and "]]>", which ends a CDATA section.
const trickyHTML = `<p>It’s “done” … 2:59:59 &amp; a PR &lt;finally&gt;&nbsp;&#8212; &#x1F3C3;</p>
<pre><code>if splits[km[0]]>pace { // ]]> and ]]&gt; and <![CDATA[x]]>
}</code></pre>
<p>Café &copy; 2024 &quot;quoted&quot; ‘single’ <a href="https://example.net/?a=1&amp;b=2">link</a></p>`

// samplePosts are three posts, newest first. The second has the latest
// modification, so a feed's updated time is not simply its first post's.
func samplePosts() content.Listing {
	return content.Listing{
		content.PostWithBody(content.Post{
			Slug:    "boston-2024",
			Title:   `Boston: “sub-3” & it’s done…`,
			Date:    time.Date(2024, 4, 21, 9, 0, 0, 0, edt),
			Lastmod: time.Date(2024, 4, 22, 18, 30, 0, 0, edt),
			Author:  jane,
			Tags:    []string{"marathon", "race report"},
		}, trickyHTML, `<p>Sub-3 at last &amp; a <em>PR</em>…</p>`),
		content.PostWithBody(content.Post{
			Slug:    "long-run",
			Title:   "Long run",
			Date:    time.Date(2024, 4, 14, 7, 0, 0, 0, cest),
			Lastmod: time.Date(2024, 4, 25, 10, 0, 0, 0, time.UTC),
			Author:  omar,
			Tags:    []string{"training"},
		}, "<p>32 km at easy pace.</p>\n<p>Felt fine.</p>", "<p>32 km at easy pace.</p>"),
		content.PostWithBody(content.Post{
			Slug:    "rest-day",
			Title:   "Rest day",
			Date:    time.Date(2024, 4, 10, 20, 0, 0, 0, time.UTC),
			Lastmod: time.Date(2024, 4, 10, 20, 0, 0, 0, time.UTC),
		}, "<p>Nothing at all.</p>", "<p>Nothing.</p>"),
	}
}

func siteChannel() feed.Channel {
	return feed.Channel{
		Title:       "Milepost & friends",
		Description: "Miles, splits and “race reports”",
		Language:    "en-GB",
		BaseURL:     baseURL,
		Path:        "/",
	}
}

// parsed is what a feed reader sees of a feed, for comparison.
type parsed struct {
	Title, Description, Link, FeedLink, Language, Version string
	Updated                                               time.Time
	Authors                                               []gofeed.Person
	Items                                                 []parsedItem
}

type parsedItem struct {
	Title, Link, ID, Summary, Content string
	Published, Updated                time.Time
	Authors                           []gofeed.Person
	Categories                        []string
}

func parse(t testing.TB, data []byte) *gofeed.Feed {
	t.Helper()
	f, err := gofeed.NewParser().ParseString(string(data))
	if err != nil {
		t.Fatalf("parsing the feed back: %v\n%s", err, data)
	}
	return f
}

func toParsed(f *gofeed.Feed) parsed {
	p := parsed{
		Title: f.Title, Description: f.Description, Link: f.Link, FeedLink: f.FeedLink,
		Language: f.Language, Version: f.FeedVersion, Updated: deref(f.UpdatedParsed),
		Authors: persons(f.Authors),
	}
	for _, it := range f.Items {
		p.Items = append(p.Items, parsedItem{
			Title: it.Title, Link: it.Link, ID: it.GUID, Summary: it.Description, Content: it.Content,
			Published: deref(it.PublishedParsed), Updated: deref(it.UpdatedParsed),
			Authors: persons(it.Authors), Categories: it.Categories,
		})
	}
	return p
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

func persons(ps []*gofeed.Person) []gofeed.Person {
	var out []gofeed.Person
	for _, p := range ps {
		out = append(out, *p)
	}
	return out
}

// cmpOpts compares times as instants (cmp uses time.Time.Equal) and treats
// nil and empty slices alike.
var cmpOpts = cmp.Options{cmpopts.EquateEmpty()}

// TestBuildRoundTrip builds each format and reads it back as a feed reader
// would.
func TestBuildRoundTrip(t *testing.T) {
	posts := samplePosts()
	tests := []struct {
		format  feed.Format
		version string
		// summary is what the reader gets of a post's summary.
		summary func(*content.Post) string
		// itemUpdated: RSS has no per-item modification date.
		itemUpdated bool
		// feedUpdated: JSON Feed has no feed-level date.
		feedUpdated bool
		// feedAuthors: only Atom needs one on a site feed.
		feedAuthors []gofeed.Person
	}{
		{
			format: feed.RSS, version: "2.0",
			summary:     func(p *content.Post) string { return string(p.Summary()) },
			feedUpdated: true,
		},
		{
			format: feed.Atom, version: "1.0",
			summary:     func(p *content.Post) string { return string(p.Summary()) },
			itemUpdated: true, feedUpdated: true,
			feedAuthors: []gofeed.Person{{Name: "Milepost & friends"}},
		},
		{
			format: feed.JSON, version: "https://jsonfeed.org/version/1.1",
			summary: func(p *content.Post) string {
				// JSON Feed's summary is plain text.
				return map[string]string{
					"boston-2024": "Sub-3 at last & a PR…",
					"long-run":    "32 km at easy pace.",
					"rest-day":    "Nothing.",
				}[p.Slug]
			},
			itemUpdated: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.format.String(), func(t *testing.T) {
			data, err := feed.Build(siteChannel(), posts, tt.format)
			if err != nil {
				t.Fatal(err)
			}
			want := parsed{
				Title:       "Milepost & friends",
				Description: "Miles, splits and “race reports”",
				Link:        baseURL + "/",
				FeedLink:    baseURL + "/" + tt.format.FileName(),
				Language:    "en-GB",
				Version:     tt.version,
				Authors:     tt.feedAuthors,
			}
			if tt.feedUpdated {
				want.Updated = time.Date(2024, 4, 25, 10, 0, 0, 0, time.UTC)
			}
			for _, p := range posts {
				it := parsedItem{
					Title:     p.Title,
					Link:      baseURL + "/posts/" + p.Slug + "/",
					ID:        "tag:run.example.com," + p.Date.Format("2006-01-02") + ":/posts/" + p.Slug + "/",
					Summary:   tt.summary(p),
					Content:   string(p.HTML()),
					Published: p.Date,
				}
				if tt.itemUpdated {
					it.Updated = p.Lastmod
				}
				if p.Author != nil {
					it.Authors = []gofeed.Person{{Name: p.Author.Name}}
				}
				// Every format carries the tags: RSS and Atom as
				// categories, JSON Feed as tags.
				it.Categories = p.Tags
				want.Items = append(want.Items, it)
			}
			got := toParsed(parse(t, data))
			if tt.format == feed.JSON {
				// gofeed makes one up from the first item.
				got.Updated = time.Time{}
			}
			if diff := cmp.Diff(want, got, cmpOpts); diff != "" {
				t.Errorf("parsed feed mismatch (-want +got):\n%s\nfeed:\n%s", diff, data)
			}
		})
	}
}

// TestBuildRSSDetails checks what gofeed's universal Feed does not show.
func TestBuildRSSDetails(t *testing.T) {
	data, err := feed.Build(siteChannel(), samplePosts(), feed.RSS)
	if err != nil {
		t.Fatal(err)
	}
	f, err := (&rss.Parser{}).Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range f.Items {
		if it.GUID == nil || it.GUID.IsPermalink != "false" {
			t.Errorf("item %q: guid %+v, want isPermaLink=false", it.Title, it.GUID)
		}
	}
	links := f.Extensions["atom"]["link"]
	if len(links) != 1 {
		t.Fatalf("got %d atom:link, want 1", len(links))
	}
	wantAttrs := map[string]string{"href": baseURL + "/feed.xml", "rel": "self", "type": "application/rss+xml"}
	if diff := cmp.Diff(wantAttrs, links[0].Attrs); diff != "" {
		t.Errorf("atom:link attributes (-want +got):\n%s", diff)
	}
	// No managingEditor: RSS wants an email there.
	if f.ManagingEditor != "" {
		t.Errorf("managingEditor = %q, want none", f.ManagingEditor)
	}
	// The authors' names are in dc:creator, and <author>, which RSS keeps
	// for an email address, is left out.
	var creators []string
	for _, it := range f.Items {
		if it.Author != "" {
			t.Errorf("item %q: author %q, want none", it.Title, it.Author)
		}
		c := ""
		if it.DublinCoreExt != nil && len(it.DublinCoreExt.Creator) > 0 {
			c = strings.Join(it.DublinCoreExt.Creator, "|")
		}
		creators = append(creators, c)
	}
	if diff := cmp.Diff([]string{"Jane Strider", "Omar Pace", ""}, creators); diff != "" {
		t.Errorf("items' dc:creator (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Jane Strider", "Omar Pace", ""}, rssCreators(t, data)); diff != "" {
		t.Errorf("items' dc:creator in the XML (-want +got):\n%s", diff)
	}
}

const dcNamespace = "http://purl.org/dc/elements/1.1/"

// rssCreators reads an RSS feed as XML and returns the dc:creator of each
// item, "" for none. It fails t unless the root declares the Dublin Core
// namespace, and if an item has an <author> element or a creator in any
// other namespace.
func rssCreators(t testing.TB, data []byte) []string {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	var (
		creators []string
		path     []xml.Name // open elements
		text     string
	)
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("reading the XML: %v\n%s", err, data)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if len(path) == 0 {
				declared := false
				for _, a := range tok.Attr {
					if a.Name.Space == "xmlns" && a.Name.Local == "dc" && a.Value == dcNamespace {
						declared = true
					}
				}
				if tok.Name.Local != "rss" || !declared {
					t.Errorf("root <%s> does not declare xmlns:dc=%q: %v", tok.Name.Local, dcNamespace, tok.Attr)
				}
			}
			if len(path) == 2 && tok.Name.Local == "item" {
				creators = append(creators, "")
			}
			if len(path) == 3 && path[2].Local == "item" {
				switch {
				case tok.Name.Local == "author":
					t.Errorf("item %d has an <%s:author>, which RSS keeps for an email", len(creators), tok.Name.Space)
				case tok.Name.Local == "creator" && tok.Name.Space != dcNamespace:
					t.Errorf("item %d has a creator in namespace %q, want %q", len(creators), tok.Name.Space, dcNamespace)
				}
			}
			path = append(path, tok.Name)
			text = ""
		case xml.CharData:
			text += string(tok)
		case xml.EndElement:
			path = path[:len(path)-1]
			if len(path) == 3 && path[2].Local == "item" && tok.Name.Local == "creator" && tok.Name.Space == dcNamespace {
				creators[len(creators)-1] = text
			}
		}
	}
	return creators
}

func TestBuildAtomDetails(t *testing.T) {
	data, err := feed.Build(siteChannel(), samplePosts(), feed.Atom)
	if err != nil {
		t.Fatal(err)
	}
	f, err := (&atom.Parser{}).Parse(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	type link struct{ Href, Rel, Type string }
	var got []link
	for _, l := range f.Links {
		got = append(got, link{l.Href, l.Rel, l.Type})
	}
	want := []link{
		{baseURL + "/", "alternate", "text/html"},
		{baseURL + "/atom.xml", "self", "application/atom+xml"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("feed links (-want +got):\n%s", diff)
	}
	if f.ID != baseURL+"/" {
		t.Errorf("feed id = %q, want the page URL", f.ID)
	}
	for _, e := range f.Entries {
		if e.Content == nil || e.Content.Type != "html" {
			t.Errorf("entry %q: content %+v, want type html", e.Title, e.Content)
		}
	}
}

// TestBuildAtomFeedAuthor checks that an Atom feed always has a feed-level
// author, which Atom requires unless every entry has one: the channel's
// author for an author's feed, else the site, by its title or its host.
func TestBuildAtomFeedAuthor(t *testing.T) {
	anonymous := samplePosts()
	for _, p := range anonymous {
		p.Author = nil
	}
	untitled := siteChannel()
	untitled.Title = ""
	tagged := siteChannel()
	tagged.Path = "/tags/marathon/"
	authors := siteChannel()
	authors.Path = "/authors/jane/"
	authors.Author = jane
	nameless := siteChannel()
	nameless.Author = &content.Author{ID: "x"}
	tests := []struct {
		name string
		ch   feed.Channel
		want gofeed.Person
	}{
		{"site", siteChannel(), gofeed.Person{Name: "Milepost & friends"}},
		{"tag", tagged, gofeed.Person{Name: "Milepost & friends"}},
		{"untitled", untitled, gofeed.Person{Name: "run.example.com"}},
		{"author", authors, gofeed.Person{Name: "Jane Strider"}},
		{"nameless author", nameless, gofeed.Person{Name: "Milepost & friends"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := feed.Build(tt.ch, anonymous, feed.Atom)
			if err != nil {
				t.Fatal(err)
			}
			f, err := (&atom.Parser{}).Parse(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			var got []gofeed.Person
			for _, a := range f.Authors {
				got = append(got, gofeed.Person{Name: a.Name, Email: a.Email})
			}
			if diff := cmp.Diff([]gofeed.Person{tt.want}, got); diff != "" {
				t.Errorf("feed authors (-want +got):\n%s\n%s", diff, data)
			}
			for _, e := range f.Entries {
				if len(e.Authors) != 0 {
					t.Errorf("entry %q: authors %+v, want none", e.Title, e.Authors)
				}
			}
		})
	}
}

// jsonFeed is the part of a JSON Feed that gofeed does not show.
type jsonFeed struct {
	Version string       `json:"version"`
	Authors []jsonAuthor `json:"authors"`
	Items   []struct {
		ID      string       `json:"id"`
		Authors []jsonAuthor `json:"authors"`
	} `json:"items"`
}

type jsonAuthor struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

func TestBuildJSONDetails(t *testing.T) {
	data, err := feed.Build(siteChannel(), samplePosts(), feed.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var f jsonFeed
	if err := json.Unmarshal(data, &f); err != nil {
		t.Fatal(err)
	}
	if f.Version != "https://jsonfeed.org/version/1.1" {
		t.Errorf("version = %q", f.Version)
	}
	wantAuthors := [][]jsonAuthor{
		{{Name: "Jane Strider", URL: "https://jane.example.net/"}},
		{{Name: "Omar Pace"}},
		nil,
	}
	var gotAuthors [][]jsonAuthor
	for _, it := range f.Items {
		gotAuthors = append(gotAuthors, it.Authors)
	}
	if diff := cmp.Diff(wantAuthors, gotAuthors, cmpOpts); diff != "" {
		t.Errorf("item authors (-want +got):\n%s", diff)
	}
	if bytes.Contains(data, []byte(`\u003c`)) {
		t.Errorf("HTML is \\u-escaped; want it as is")
	}
}

// TestBuildAuthorFeed checks that an author's feed names them, in the
// formats that can without an email.
func TestBuildAuthorFeed(t *testing.T) {
	ch := siteChannel()
	ch.Path = "/authors/jane/"
	ch.Author = jane
	posts := samplePosts()[:1]
	want := map[feed.Format][]gofeed.Person{
		feed.RSS:  nil,
		feed.Atom: {{Name: "Jane Strider"}},
		feed.JSON: {{Name: "Jane Strider"}},
	}
	for _, f := range feed.Formats {
		t.Run(f.String(), func(t *testing.T) {
			data, err := feed.Build(ch, posts, f)
			if err != nil {
				t.Fatal(err)
			}
			got := parse(t, data)
			if diff := cmp.Diff(want[f], persons(got.Authors), cmpOpts); diff != "" {
				t.Errorf("feed authors (-want +got):\n%s", diff)
			}
			if wantSelf := baseURL + "/authors/jane/" + f.FileName(); got.FeedLink != wantSelf {
				t.Errorf("self link = %q, want %q", got.FeedLink, wantSelf)
			}
		})
	}
	data, err := feed.Build(ch, posts, feed.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var jf jsonFeed
	if err := json.Unmarshal(data, &jf); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]jsonAuthor{{"Jane Strider", "https://jane.example.net/"}}, jf.Authors); diff != "" {
		t.Errorf("JSON feed authors (-want +got):\n%s", diff)
	}
}

// TestBuildLinks checks the links and ids built from the base URL, the
// page path and the post.
func TestBuildLinks(t *testing.T) {
	post := content.PostWithBody(content.Post{
		Slug: "night-run", Title: "Night run",
		// Past midnight in UTC: the id keeps the date the post was written
		// on.
		Date:    time.Date(2024, 4, 21, 23, 30, 0, 0, edt),
		Lastmod: time.Date(2024, 4, 21, 23, 30, 0, 0, edt),
	}, "<p>Dark.</p>", "")
	tests := []struct {
		name, baseURL, path string
		wantPage            string // the feed's own page; the self link is below it
		wantPost, wantID    string
	}{
		{
			name: "site", baseURL: "https://run.example.com", path: "/",
			wantPage: "https://run.example.com/",
			wantPost: "https://run.example.com/posts/night-run/",
			wantID:   "tag:run.example.com,2024-04-21:/posts/night-run/",
		},
		{
			name: "tag", baseURL: "https://run.example.com", path: "/tags/marathon/",
			wantPage: "https://run.example.com/tags/marathon/",
			wantPost: "https://run.example.com/posts/night-run/",
			wantID:   "tag:run.example.com,2024-04-21:/posts/night-run/",
		},
		{
			name: "port and subdirectory", baseURL: "http://localhost:8080/blog", path: "/",
			wantPage: "http://localhost:8080/blog/",
			wantPost: "http://localhost:8080/blog/posts/night-run/",
			// A tag URI has no room for a port.
			wantID: "tag:localhost,2024-04-21:/posts/night-run/",
		},
		{
			name: "trailing slash and bare path", baseURL: "https://run.example.com/", path: "tags/5k",
			wantPage: "https://run.example.com/tags/5k/",
			wantPost: "https://run.example.com/posts/night-run/",
			wantID:   "tag:run.example.com,2024-04-21:/posts/night-run/",
		},
		{
			name: "empty path", baseURL: "https://run.example.com", path: "",
			wantPage: "https://run.example.com/",
			wantPost: "https://run.example.com/posts/night-run/",
			wantID:   "tag:run.example.com,2024-04-21:/posts/night-run/",
		},
	}
	for _, tt := range tests {
		for _, f := range feed.Formats {
			t.Run(tt.name+"/"+f.String(), func(t *testing.T) {
				ch := feed.Channel{Title: "T", BaseURL: tt.baseURL, Path: tt.path}
				data, err := feed.Build(ch, content.Listing{post}, f)
				if err != nil {
					t.Fatal(err)
				}
				got := parse(t, data)
				type links struct{ Page, Self, Post, ID string }
				want := links{tt.wantPage, tt.wantPage + f.FileName(), tt.wantPost, tt.wantID}
				g := links{Page: got.Link, Self: got.FeedLink}
				if len(got.Items) == 1 {
					g.Post, g.ID = got.Items[0].Link, got.Items[0].GUID
				}
				if diff := cmp.Diff(want, g); diff != "" {
					t.Errorf("links (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// manyPosts returns n posts, newest first, a day apart.
func manyPosts(n int, html template.HTML) content.Listing {
	start := time.Date(2024, 6, 1, 6, 0, 0, 0, time.UTC)
	posts := make(content.Listing, n)
	for i := range posts {
		d := start.AddDate(0, 0, -i)
		posts[i] = content.PostWithBody(content.Post{
			Slug:    fmt.Sprintf("run-%02d", i),
			Title:   fmt.Sprintf("Run %d", i),
			Date:    d,
			Lastmod: d,
			Author:  jane,
			Tags:    []string{"training"},
		}, html, "<p>Another run.</p>")
	}
	return posts
}

func TestBuildKeepsNewest20(t *testing.T) {
	posts := manyPosts(25, "<p>Run.</p>")
	var want []string
	for _, p := range posts[:feed.MaxItems] {
		want = append(want, p.Slug)
	}
	for _, f := range feed.Formats {
		t.Run(f.String(), func(t *testing.T) {
			data, err := feed.Build(siteChannel(), posts, f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, it := range parse(t, data).Items {
				got = append(got, strings.TrimSuffix(strings.TrimPrefix(it.Link, baseURL+"/posts/"), "/"))
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("items (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildEmpty(t *testing.T) {
	for _, f := range feed.Formats {
		t.Run(f.String(), func(t *testing.T) {
			data, err := feed.Build(siteChannel(), nil, f)
			if err != nil {
				t.Fatal(err)
			}
			got := parse(t, data)
			if got.Title != "Milepost & friends" || len(got.Items) != 0 {
				t.Errorf("got title %q and %d items, want the channel's and none", got.Title, len(got.Items))
			}
		})
	}
}

// TestBuildZeroLastmod: a post without a modification time counts as
// modified when published.
func TestBuildZeroLastmod(t *testing.T) {
	posts := samplePosts()[2:]
	posts[0].Lastmod = time.Time{}
	for _, f := range []feed.Format{feed.RSS, feed.Atom} {
		t.Run(f.String(), func(t *testing.T) {
			data, err := feed.Build(siteChannel(), posts, f)
			if err != nil {
				t.Fatal(err)
			}
			if got := deref(parse(t, data).UpdatedParsed); !got.Equal(posts[0].Date) {
				t.Errorf("feed updated = %v, want the post's date %v", got, posts[0].Date)
			}
		})
	}
}

// TestBuildDeterministic: callers cache feeds and derive ETags from the
// bytes, so the same input must give the same bytes, whatever the pointers.
func TestBuildDeterministic(t *testing.T) {
	for _, f := range feed.Formats {
		t.Run(f.String(), func(t *testing.T) {
			first, err := feed.Build(siteChannel(), samplePosts(), f)
			if err != nil {
				t.Fatal(err)
			}
			second, err := feed.Build(siteChannel(), samplePosts(), f)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first, second) {
				t.Errorf("two builds differ:\n%s\n---\n%s", first, second)
			}
		})
	}
}

// TestBuildIDsStable: editing a post must not make readers see it as new.
func TestBuildIDsStable(t *testing.T) {
	ids := func(t *testing.T, posts content.Listing, f feed.Format) []string {
		t.Helper()
		data, err := feed.Build(siteChannel(), posts, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range parse(t, data).Items {
			out = append(out, it.GUID)
		}
		return out
	}
	want := []string{
		"tag:run.example.com,2024-04-21:/posts/boston-2024/",
		"tag:run.example.com,2024-04-14:/posts/long-run/",
		"tag:run.example.com,2024-04-10:/posts/rest-day/",
	}
	for _, f := range feed.Formats {
		t.Run(f.String(), func(t *testing.T) {
			edited := samplePosts()
			for _, p := range edited {
				p.Title += " (updated)"
				*p = *content.PostWithBody(*p, p.HTML()+"<p>Edit: typo.</p>", "<p>Rewritten.</p>")
				p.Lastmod = p.Lastmod.AddDate(0, 1, 0)
				p.Tags = append(p.Tags, "edited")
			}
			if diff := cmp.Diff(want, ids(t, samplePosts(), f)); diff != "" {
				t.Errorf("ids (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, ids(t, edited, f)); diff != "" {
				t.Errorf("ids after editing (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildNoEmail(t *testing.T) {
	ch := siteChannel()
	ch.Author = jane
	for _, f := range feed.Formats {
		t.Run(f.String(), func(t *testing.T) {
			data, err := feed.Build(ch, samplePosts(), f)
			if err != nil {
				t.Fatal(err)
			}
			// Nothing in the sample posts has an "@" but the authors' emails.
			if i := bytes.IndexByte(data, '@'); i >= 0 {
				t.Errorf("feed has an email-like %q", data[max(i-20, 0):min(i+20, len(data))])
			}
			got := parse(t, data)
			for _, it := range got.Items {
				for _, a := range it.Authors {
					if a.Email != "" {
						t.Errorf("item %q: author email %q", it.Title, a.Email)
					}
				}
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	// A date JSON cannot encode, as a typo in front matter could give.
	farFuture := samplePosts()[:1]
	farFuture[0].Date = time.Date(20240, 4, 21, 9, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		baseURL string
		posts   content.Listing // samplePosts() when nil
		format  feed.Format
	}{
		{"zero format", baseURL, nil, 0},
		{"unknown format", baseURL, nil, 99},
		{"empty base URL", "", nil, feed.RSS},
		{"no scheme", "run.example.com", nil, feed.Atom},
		{"relative base URL", "/blog", nil, feed.JSON},
		{"no host", "https://", nil, feed.RSS},
		{"unparsable base URL", "http://[::1", nil, feed.Atom},
		{"date out of JSON's range", baseURL, farFuture, feed.JSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := siteChannel()
			ch.BaseURL = tt.baseURL
			posts := tt.posts
			if posts == nil {
				posts = samplePosts()
			}
			data, err := feed.Build(ch, posts, tt.format)
			if err == nil {
				t.Fatalf("Build succeeded with %d bytes, want an error", len(data))
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		format                                 feed.Format
		name, mediaType, contentType, fileName string
	}{
		{feed.RSS, "RSS", "application/rss+xml", "application/rss+xml; charset=utf-8", "feed.xml"},
		{feed.Atom, "Atom", "application/atom+xml", "application/atom+xml; charset=utf-8", "atom.xml"},
		{feed.JSON, "JSON Feed", "application/feed+json", "application/feed+json; charset=utf-8", "feed.json"},
		{0, "", "", "", ""},
		{4, "", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.format.String(), func(t *testing.T) {
			type info struct{ Name, MediaType, ContentType, FileName string }
			want := info{tt.name, tt.mediaType, tt.contentType, tt.fileName}
			got := info{tt.format.Name(), tt.format.MediaType(), tt.format.ContentType(), tt.format.FileName()}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if tt.fileName == "" {
				return
			}
			if f, ok := feed.ByFileName(tt.fileName); !ok || f != tt.format {
				t.Errorf("ByFileName(%q) = %v, %t", tt.fileName, f, ok)
			}
		})
	}
	for _, name := range []string{"", "index.xml", "FEED.XML", "rss"} {
		if f, ok := feed.ByFileName(name); ok {
			t.Errorf("ByFileName(%q) = %v, want none", name, f)
		}
	}
	if got := feed.Format(0).String(); got != "Format(0)" {
		t.Errorf("Format(0).String() = %q", got)
	}
}

// longHTML is about n words of post HTML, with the entities and inline
// markup a real post has.
func longHTML(n int) template.HTML {
	words := strings.Fields("the long run felt easy at first &amp; then the hills came “again” and it’s <em>hard</em> to hold pace")
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i%60 == 0 {
			if i > 0 {
				b.WriteString("</p>\n")
			}
			b.WriteString("<p>")
		}
		b.WriteString(words[i%len(words)])
		b.WriteByte(' ')
	}
	b.WriteString("</p>\n")
	return template.HTML(b.String())
}

func BenchmarkBuild(b *testing.B) {
	posts := manyPosts(feed.MaxItems, longHTML(1500))
	ch := siteChannel()
	for _, f := range feed.Formats {
		b.Run(f.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				data, err := feed.Build(ch, posts, f)
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(data)))
			}
		})
	}
}
