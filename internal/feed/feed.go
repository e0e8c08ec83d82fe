// Package feed builds the RSS 2.0, Atom 1.0 and JSON Feed 1.1 documents of
// the site, a tag or an author. It is the only package that knows
// gorilla/feeds, so the rest of Milepost deals in content types only.
//
// Build is a pure function of its input: the same Channel and posts give the
// same bytes, which lets callers cache a feed and derive its ETag from the
// body.
package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"html/template"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/feeds"
	"golang.org/x/net/html"

	"milepost/internal/content"
)

// MaxItems is the number of posts a feed carries: the newest ones.
const MaxItems = 20

// Channel describes the page a feed belongs to.
type Channel struct {
	Title       string
	Description string
	Language    string // e.g. "en-GB"; omitted from the feed when empty
	// BaseURL is the absolute URL the site is served at, without a trailing
	// slash, as in content.Config.
	BaseURL string
	// Path is the page the feed belongs to, e.g. "/" or "/tags/marathon/".
	// Its feeds are served below it.
	Path string
	// Author is set for an author's own feed, which then names them as the
	// feed's author (Atom and JSON Feed; RSS's channel author must be an
	// email address, which Milepost never publishes).
	Author *content.Author
	// CoverBytes is the size in bytes of each post's shared cover variant
	// (content.Cover.Shared), by slug. A post with a cover gets an
	// enclosure (RSS, Atom) and an image (JSON Feed) only when its size
	// is here: RSS's enclosure must give the true length.
	CoverBytes map[string]int64
	// Hubs are the WebSub hubs the feed names (rel="hub"), where readers
	// may subscribe to be told of a new post at once.
	Hubs []string
}

const (
	atomNamespace = "http://www.w3.org/2005/Atom"
	// dcNamespace is Dublin Core's, for RSS items' dc:creator.
	dcNamespace = "http://purl.org/dc/elements/1.1/"
)

// Build returns the feed of ch in format f, with the MaxItems newest of
// posts, which must be sorted newest first (as a content.Listing is).
// It fails for an unknown format, a base URL that is not absolute, or a
// date a format cannot encode.
func Build(ch Channel, posts content.Listing, f Format) ([]byte, error) {
	if !f.valid() {
		return nil, fmt.Errorf("building a feed of %q: unknown format %v", ch.Path, f)
	}
	d, err := newDoc(ch, posts[:min(len(posts), MaxItems)], f)
	if err != nil {
		return nil, fmt.Errorf("building the %v feed of %q: %w", f, ch.Path, err)
	}
	var buf bytes.Buffer
	switch f {
	case RSS:
		err = d.writeRSS(&buf)
	case Atom:
		err = d.writeAtom(&buf)
	case JSON:
		err = d.writeJSON(&buf)
	}
	if err != nil {
		return nil, fmt.Errorf("writing the %v feed of %s: %w", f, d.page, err)
	}
	return buf.Bytes(), nil
}

// doc is a feed on its way out: gorilla/feeds' format-neutral Feed, plus
// what Milepost publishes that the neutral Feed has no field for. Each write
// method lets gorilla/feeds convert the Feed to its format's structs, then
// fills in the rest before marshalling them.
type doc struct {
	ch    Channel
	page  string // absolute URL of ch.Path
	self  string // absolute URL of the feed itself
	feed  *feeds.Feed
	posts content.Listing // the posts of feed.Items, in the same order
}

func newDoc(ch Channel, posts content.Listing, f Format) (*doc, error) {
	base := strings.TrimSuffix(ch.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("parsing the base URL: %w", err)
	}
	// Feed readers resolve nothing against the page they found a feed on,
	// so every link must be absolute, and ids need the host.
	if !u.IsAbs() || u.Hostname() == "" {
		return nil, fmt.Errorf("base URL %q is not an absolute URL", ch.BaseURL)
	}
	path := ch.Path
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if !strings.HasSuffix(path, "/") {
		path += "/"
	}
	d := &doc{
		ch:    ch,
		page:  base + path,
		self:  base + path + f.FileName(),
		posts: posts,
	}
	d.feed = &feeds.Feed{
		Title:       markupFree(ch.Title),
		Link:        &feeds.Link{Href: d.page},
		Description: markupFree(ch.Description),
		// Not the build time: a feed changes only when its posts do, so
		// that rebuilding it gives the same bytes.
		Updated: newest(posts),
		// The page URL is as stable as the posts' links; used as Atom's id.
		Id:    d.page,
		Items: make([]*feeds.Item, 0, len(posts)),
	}
	for _, p := range posts {
		link := base + "/posts/" + p.Slug + "/"
		postURL, err := url.Parse(link)
		if err != nil {
			return nil, fmt.Errorf("parsing the URL of post %q: %w", p.Slug, err)
		}
		it := &feeds.Item{
			Title: markupFree(p.Title),
			Link:  &feeds.Link{Href: link},
			// A reader shows the post away from its page: relative links
			// (a photo beside the post, a footnote's #fn:1) must be absolute.
			Description: string(absoluteURLs(p.Summary(), postURL)),
			// The run's figures lead the story, as its page's run card does.
			Content: runParagraph(p.Run) + string(absoluteURLs(p.HTML(), postURL)),
			Id:      tagURI(u.Hostname(), p),
			// The id is a tag URI, not a URL a reader could open.
			IsPermaLink: "false",
			Created:     p.Date,
			Updated:     p.Lastmod,
		}
		if size, ok := ch.CoverBytes[p.Slug]; ok && p.Cover != nil {
			sh := p.Cover.Shared()
			// gorilla/feeds writes it as RSS's <enclosure>, Atom's <link
			// rel="enclosure"> and, being an image, JSON Feed's image.
			it.Enclosure = &feeds.Enclosure{Url: base + sh.Path, Length: strconv.FormatInt(size, 10), Type: sh.MediaType}
		}
		// Only the name: content.Author has no email, and gorilla/feeds'
		// Author.Email is left empty so none can ever be published.
		if p.Author != nil && p.Author.Name != "" {
			it.Author = &feeds.Author{Name: markupFree(p.Author.Name)}
		}
		d.feed.Items = append(d.feed.Items, it)
	}
	return d, nil
}

// tagURI is a post's permanent id (RFC 4151). Unlike its URL or title it
// survives edits, so feed readers never show an edited post twice. The host
// is the base URL's without port, which a tag URI does not allow.
func tagURI(host string, p *content.Post) string {
	return "tag:" + host + "," + p.Date.Format(time.DateOnly) + ":/posts/" + p.Slug + "/"
}

// newest is the latest modification among posts, or the zero time for none.
// Updated is when a feed of posts last changed: the newest modification
// among the posts it carries. Servers send it as Last-Modified.
func Updated(posts content.Listing) time.Time {
	return newest(posts[:min(len(posts), MaxItems)])
}

func newest(posts content.Listing) time.Time {
	var t time.Time
	for _, p := range posts {
		m := p.Lastmod
		if m.IsZero() {
			m = p.Date
		}
		if m.After(t) {
			t = m
		}
	}
	return t
}

// rssDoc is gorilla/feeds' <rss> element with the Atom namespace declared,
// for the channel's atom:link, and Dublin Core's, for the items'
// dc:creator.
type rssDoc struct {
	*feeds.RssFeedXml
	AtomNamespace string `xml:"xmlns:atom,attr"`
	DCNamespace   string `xml:"xmlns:dc,attr"`
	// Shadows RssFeedXml.Channel: encoding/xml marshals the shallower field.
	Channel *rssChannel `xml:"channel"`
}

// FeedXml makes rssDoc a feeds.XmlFeed.
func (d *rssDoc) FeedXml() any { return d }

// rssChannel is gorilla/feeds' channel plus the self link that RSS Best
// Practices ask for and gorilla/feeds' RssFeed has no field for.
type rssChannel struct {
	Self rssAtomLink
	Hubs []rssAtomLink
	*feeds.RssFeed
	// Shadows RssFeed.Items, which come last there too.
	Items []rssItem `xml:"item"`
}

// rssItem is gorilla/feeds' item with the author's name as <dc:creator>
// and one <category> per tag. RSS's own <author> is for an email address,
// which Milepost never publishes, so the embedded RssItem's Author is left
// empty.
type rssItem struct {
	*feeds.RssItem
	Creator string `xml:"dc:creator,omitempty"`
	// Shadows RssItem.Category, which has room for one.
	Categories []string `xml:"category"`
}

// rssAtomLink is <atom:link>, written with the prefix the way gorilla/feeds
// writes content:encoded; feeds.AtomLink cannot be reused because its
// XMLName is "link", which would clash with RSS's own <link>.
type rssAtomLink struct {
	XMLName xml.Name `xml:"atom:link"`
	Href    string   `xml:"href,attr"`
	Rel     string   `xml:"rel,attr"`
	Type    string   `xml:"type,attr,omitempty"`
}

// rssHubs are the channel's WebSub hub links.
func (d *doc) rssHubs() []rssAtomLink {
	var out []rssAtomLink
	for _, h := range d.ch.Hubs {
		out = append(out, rssAtomLink{Href: h, Rel: "hub"})
	}
	return out
}

func (d *doc) writeRSS(w io.Writer) error {
	ch := (&feeds.Rss{Feed: d.feed}).RssFeed()
	ch.Language = d.ch.Language
	x := ch.FeedXml()
	root, ok := x.(*feeds.RssFeedXml)
	if !ok {
		return fmt.Errorf("unexpected RSS root %T from gorilla/feeds", x)
	}
	root.Channel = nil // replaced by rssDoc.Channel
	items := make([]rssItem, len(ch.Items))
	for i, it := range ch.Items {
		// gorilla/feeds puts the bare name in <author>.
		items[i] = rssItem{RssItem: it, Creator: it.Author, Categories: d.tags(i)}
		it.Author = ""
	}
	ch.Items = nil // replaced by rssChannel.Items
	return feeds.WriteXML(&rssDoc{
		RssFeedXml:    root,
		AtomNamespace: atomNamespace,
		DCNamespace:   dcNamespace,
		Channel: &rssChannel{
			Self:    rssAtomLink{Href: d.self, Rel: "self", Type: RSS.MediaType()},
			Hubs:    d.rssHubs(),
			RssFeed: ch,
			Items:   items,
		},
	}, w)
}

// atomDoc is gorilla/feeds' <feed> with the two links Atom feeds should
// have (AtomFeed has room for one), the feed's language and entries with
// their categories.
type atomDoc struct {
	// Shadows AtomFeed.Link: encoding/xml marshals the shallower field.
	// First, so that the links come before the entries, as in RSS.
	Links []feeds.AtomLink `xml:"link"`
	*feeds.AtomFeed
	Lang string `xml:"xml:lang,attr,omitempty"`
	// Shadows AtomFeed.Entries, which come last there too.
	Entries []atomEntry `xml:"entry"`
}

// atomEntry is gorilla/feeds' entry with one <category term="…"> per tag;
// AtomEntry's Category is a single element with text, not a term.
type atomEntry struct {
	*feeds.AtomEntry
	// Shadows AtomEntry.Category.
	Categories []atomCategory `xml:"category"`
}

type atomCategory struct {
	Term string `xml:"term,attr"`
}

// FeedXml makes atomDoc a feeds.XmlFeed; without it the embedded AtomFeed's
// method would marshal the feed without the fields added here.
func (d *atomDoc) FeedXml() any { return d }

func (d *doc) writeAtom(w io.Writer) error {
	af := (&feeds.Atom{Feed: d.feed}).AtomFeed()
	af.Link = nil // replaced by atomDoc.Links
	// Atom wants an author on the feed or on every entry, and posts may
	// have none: an author's feed names them, any other the site.
	if a := d.ch.Author; a != nil && a.Name != "" {
		af.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: markupFree(a.Name), Uri: a.Website}}
	} else {
		af.Author = &feeds.AtomAuthor{AtomPerson: feeds.AtomPerson{Name: markupFree(d.siteName())}}
	}
	entries := make([]atomEntry, len(af.Entries))
	for i, e := range af.Entries {
		entries[i].AtomEntry = e
		for _, tag := range d.tags(i) {
			entries[i].Categories = append(entries[i].Categories, atomCategory{Term: tag})
		}
		p := d.posts[i]
		// gorilla/feeds writes only <updated>, from Item.Updated.
		if !p.Date.IsZero() {
			e.Published = p.Date.Format(time.RFC3339)
		}
		if e.Author != nil {
			e.Author.Uri = p.Author.Website
		}
	}
	af.Entries = nil // replaced by atomDoc.Entries
	return feeds.WriteXML(&atomDoc{
		AtomFeed: af,
		Entries:  entries,
		Lang:     d.ch.Language,
		Links: append([]feeds.AtomLink{
			{Href: d.page, Rel: "alternate", Type: "text/html"},
			{Href: d.self, Rel: "self", Type: Atom.MediaType()},
		}, d.atomHubs()...),
	}, w)
}

// atomHubs are the feed's WebSub hub links.
func (d *doc) atomHubs() []feeds.AtomLink {
	var out []feeds.AtomLink
	for _, h := range d.ch.Hubs {
		out = append(out, feeds.AtomLink{Href: h, Rel: "hub"})
	}
	return out
}

// tags are the tags of the i-th post, as plain text, for the item's
// categories; nil for a feed of comments.
func (d *doc) tags(i int) []string {
	if i >= len(d.posts) {
		return nil
	}
	var out []string
	for _, t := range d.posts[i].Tags {
		out = append(out, markupFree(t))
	}
	return out
}

// siteName is the feed's title, or the host of its page for an untitled
// feed, so that a name made from it is never empty.
func (d *doc) siteName() string {
	if d.ch.Title != "" {
		return d.ch.Title
	}
	u, _ := url.Parse(d.page) // newDoc built it from a parsed base URL
	return u.Hostname()
}

// jsonDoc is gorilla/feeds' JSON Feed with items that may carry the
// _milepost extension, which JSONItem has no field for.
type jsonDoc struct {
	*feeds.JSONFeed
	// Shadows JSONFeed.Items: encoding/json marshals the shallower field.
	Items []jsonItem `json:"items,omitempty"`
}

type jsonItem struct {
	*feeds.JSONItem
	Milepost *milepostExtension `json:"_milepost,omitempty"`
}

func (d *doc) writeJSON(w io.Writer) error {
	jf := (&feeds.JSON{Feed: d.feed}).JSONFeed()
	jf.FeedUrl = d.self
	for _, h := range d.ch.Hubs {
		jf.Hubs = append(jf.Hubs, &feeds.JSONHub{Type: "WebSub", Url: h})
	}
	jf.Language = d.ch.Language
	if a := d.ch.Author; a != nil {
		// Both fields, as gorilla/feeds does for items: authors is JSON
		// Feed 1.1's, author what 1.0 readers understand.
		ja := &feeds.JSONAuthor{Name: markupFree(a.Name), Url: a.Website}
		jf.Author, jf.Authors = ja, []*feeds.JSONAuthor{ja}
	}
	items := make([]jsonItem, len(jf.Items))
	for i, it := range jf.Items {
		p := d.posts[i]
		items[i] = jsonItem{JSONItem: it, Milepost: runExtension(p.Run)}
		// JSON Feed's summary is plain text, unlike RSS's description and
		// Atom's summary, which are marked as HTML.
		it.Summary = markupFree(PlainText(p.Summary()))
		it.Tags = d.tags(i)
		if it.Author != nil {
			it.Author.Url = p.Author.Website // shared with it.Authors[0]
		}
	}
	e := json.NewEncoder(w)
	// The HTML in content_html needs no \u003c escapes: the feed is never
	// embedded in a page, and they would bloat it.
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(jsonDoc{JSONFeed: jf, Items: items}); err != nil {
		return fmt.Errorf("encoding JSON: %w", err)
	}
	return nil
}

// PlainText is h with its markup removed, entities decoded and runs of
// whitespace collapsed to one space.
func PlainText(h template.HTML) string {
	z := html.NewTokenizer(strings.NewReader(string(h)))
	var b strings.Builder
	skip := 0 // depth inside elements whose text is not prose
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF at the end; the tokenizer takes any other input, so
			// there is no other error to report.
			return strings.Join(strings.Fields(b.String()), " ")
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if tag == "script" || tag == "style" {
				switch tt {
				case html.StartTagToken:
					skip++
				case html.EndTagToken:
					skip = max(skip-1, 0)
				}
			}
			// "<p>a</p><p>b</p>" reads "a b", but "<em>a</em>b" reads "ab".
			if !inline[tag] {
				b.WriteByte(' ')
			}
		}
	}
}

// inline lists the elements that do not separate words.
var inline = map[string]bool{
	"a": true, "abbr": true, "b": true, "bdi": true, "bdo": true, "cite": true,
	"code": true, "data": true, "del": true, "dfn": true, "em": true, "i": true,
	"ins": true, "kbd": true, "mark": true, "q": true, "s": true, "samp": true,
	"small": true, "span": true, "strong": true, "sub": true, "sup": true,
	"time": true, "u": true, "var": true,
}
