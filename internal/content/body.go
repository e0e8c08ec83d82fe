package content

import (
	"crypto/sha256"
	"fmt"
	"html/template"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// A post's Markdown is rendered the first time a page asks for its HTML,
// summary, description or length, not when the post is loaded: a site of
// thousands of posts is ready as soon as their front matter is read, a post
// dated in the future is not rendered before it comes due, and a reload
// renders only what readers then ask for. Until then a post loaded from
// the content directory holds no Markdown: its first render reads its file
// again (a site's Markdown is most of what its posts would otherwise hold,
// 48 MB of 10,000 posts), and the digest the post was loaded with says
// whether the file is still the one its front matter came from. Once
// rendered, it holds only the rendered page. The search index reads every
// post's text but keeps none of their pages (Post.Text).
//
// Rendering cannot fail in a way the load would have reported: what can
// go wrong with a file (its encoding, front matter, keys) is found when it
// is loaded, and goldmark only fails when writing to its buffer fails,
// which a bytes.Buffer never does. Should it fail all the same, the post
// is served without a body and the error logged with its file.

// parses numbers the parses of a post in this process: a post's Version
// until the tree gives it the digest of its files (tree.postVersion).
var parses atomic.Uint64

// postBody is a post's body, rendered on first use; safe for concurrent
// readers.
type postBody struct {
	once sync.Once
	// render renders the body; nil once the page is kept, so that the
	// Markdown it holds can be collected. Atomic: Post.Text renders with
	// it outside once.
	render atomic.Pointer[func() (page, error)]
	file   string // for the log, should rendering fail
	page   page
	// rendered is set once the page is there: the tests and benchmarks
	// count what was rendered.
	rendered atomic.Bool
}

// get renders the body if it has not been rendered yet and returns it. A
// nil body (a Post made outside a load) is empty.
func (b *postBody) get() *page {
	if b == nil {
		return &page{}
	}
	b.once.Do(func() {
		b.page = b.run(*b.render.Load())
		b.rendered.Store(true)
		b.render.Store(nil)
	})
	return &b.page
}

// peek is the body's page: the one kept when it has been rendered, else
// one rendered for the caller alone and not kept.
func (b *postBody) peek() page {
	if b != nil && !b.rendered.Load() {
		if render := b.render.Load(); render != nil {
			return b.run(*render)
		}
	}
	return *b.get() // kept, or being rendered to be kept
}

// run renders the body with render, logging a failure.
func (b *postBody) run(render func() (page, error)) page {
	pg, err := render()
	if err != nil {
		slog.Error("rendering a post failed; it is served without its text", "file", b.file, "err", err)
	}
	return pg
}

// lazyBody is the body of the post p, whose Markdown is body and whose
// front matter's summary (Markdown) is summary, rendered when first asked
// for.
func (l *loader) lazyBody(p *Post, body []byte, summary string) *postBody {
	postPath := l.basePath + "/posts/" + p.Slug + "/"
	var photos photoFinder
	if p.Bundle != "" && l.dir != "" {
		photos = l.bundlePhotos(p.Bundle)
	}
	md := l.md
	b := &postBody{file: p.File}
	markdown := func() ([]byte, error) { return body, nil }
	if l.bodiesOnDisk {
		markdown = bodyFromDisk(filepath.Join(l.dir, filepath.FromSlash(p.File)), p.sum)
	}
	render := func() (page, error) {
		body, err := markdown()
		if err != nil {
			return page{}, err
		}
		pg, err := md.render(body, postPath, photos)
		if err != nil {
			return page{}, err
		}
		if strings.TrimSpace(summary) != "" {
			if pg.summary, pg.description, err = md.summary([]byte(summary), postPath); err != nil {
				return pg, err
			}
		}
		return pg, nil
	}
	b.render.Store(&render)
	return b
}

// bodyFromDisk returns what reads the Markdown body of the post file name,
// loaded with the digest sum, again. A file changed since is being read
// again by the site's reload, which replaces this post: until then the
// body is what the file now holds, as a reader editing it would expect,
// and a file that no longer reads as a post has none.
func bodyFromDisk(name string, sum [sha256.Size]byte) func() ([]byte, error) {
	return func() ([]byte, error) {
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("reading the post again to render it: %w", err)
		}
		if sha256.Sum256(src) != sum {
			if lerr := checkUTF8(src); lerr != nil {
				return nil, fmt.Errorf("the post changed since it was loaded: line %d: %w", lerr.line, lerr.err)
			}
		}
		doc, lerr := splitDocument(src)
		if lerr != nil {
			return nil, fmt.Errorf("the post changed since it was loaded: line %d: %w", lerr.line, lerr.err)
		}
		return doc.body, nil
	}
}

// HTML is the post's body rendered.
func (p *Post) HTML() template.HTML { return p.body.get().html }

// Summary is the front matter's summary, else the part before a
// <!--more--> line, else about 70 words of the post's first paragraphs.
// It is made for other pages than the post's: no heading ids or footnote
// references, relative URLs resolved.
func (p *Post) Summary() template.HTML { return p.body.get().summary }

// Description is Summary as plain text shorter than 160 characters, for
// the page's meta description.
func (p *Post) Description() string { return p.body.get().description }

// Text is the body as plain text, its white space collapsed: what search
// indexes and quotes from, never the HTML itself. A body no page has asked
// for yet is rendered for the text alone and not kept: the index reads
// every post once, and keeping all their HTML for it would hold the whole
// site's pages in memory.
func (p *Post) Text() string { return plainText(p.body.peek().html) }

// WordCount is the number of words a reader reads in the body.
func (p *Post) WordCount() int { return p.body.get().words }

// ReadingMinutes is how long the body takes to read; at least 1.
func (p *Post) ReadingMinutes() int {
	return max(1, int(math.Ceil(float64(p.WordCount())/wordsPerMinute)))
}

// PostWithBody returns a copy of p whose body is html and summary, already
// rendered: a post made by hand rather than loaded from a file (the tests
// of the packages that show posts).
func PostWithBody(p Post, html, summary template.HTML) *Post {
	p.body = prerendered(page{html: html, summary: summary, description: description(summary)})
	return &p
}

// prerendered is a body already rendered as pg.
func prerendered(pg page) *postBody {
	b := &postBody{page: pg}
	b.once.Do(func() {})
	b.rendered.Store(true)
	return b
}

// WithHTML returns a copy of p whose body's HTML is h, and whose summary,
// description and length are p's: a page that shows the post with its
// links changed (a draft's preview link).
func (p *Post) WithHTML(h template.HTML) *Post {
	pg := *p.body.get()
	pg.html = h
	cp := *p
	cp.body = prerendered(pg)
	return &cp
}
