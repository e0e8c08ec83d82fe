// Package build writes a Milepost site as static files. It requests every
// page, feed, photo and asset from the site's own HTTP handler — the one
// `milepost serve` runs — starting from the home page, robots.txt and the
// sitemap and following every link of every page, so the output holds, by
// construction, exactly what the server serves, and only what some page
// links to. There is one code path for pages, never two.
//
// Pages are fetched by a bounded pool of workers and written as they come:
// memory holds the addresses seen, never the pages. A build into a
// directory it made before is incremental: a page whose state (its render
// cache key and what the key leaves out, state.go) is what the last build
// recorded is not rendered at all; of the others, a file whose bytes are
// the same is left alone, a changed one is replaced atomically, and files
// of pages that are gone are removed.
package build

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"milepost/internal/web"
)

// Options are what a build needs.
type Options struct {
	// Handler serves the site: web.Server, set up as for `milepost serve`.
	Handler http.Handler
	// BaseURL is the absolute URL the site is served at ("https://x.org",
	// "https://x.org/blog"). Links to it are the site's own; the output
	// directory is the site's root (the path's, for a base URL with one).
	BaseURL string
	// OutDir is the directory the site is written to: new, empty, or made
	// by an earlier build (which is updated).
	OutDir string
	// Workers is how many requests are served at once; 0 means two per
	// CPU.
	Workers int
	// Progress, when set, is told how far the build is, on one line
	// rewritten in place (a terminal).
	Progress io.Writer
	Log      *slog.Logger
	// Inputs, when set, let a build into the directory of an earlier one
	// skip the pages whose state is unchanged (state.go): Handler must
	// then give posts versions that mean the same in every process.
	Inputs *Inputs
}

// Result says what a build did.
type Result struct {
	// Pages is how many addresses were saved as files: pages, feeds,
	// photos, assets.
	Pages int
	// Written, Unchanged and Removed count the output's files (.gz and .br
	// copies included) that were written, found already as they should
	// be, and removed as no page leads to them any more.
	Written, Unchanged, Removed int
	// Skipped is how many of the Pages were not rendered, as the last
	// build made them under the same state (see Inputs).
	Skipped int
	// Bytes is the size of the files rendered and saved (not of their
	// compressed copies, nor of the pages skipped).
	Bytes int64
	// Redirects are addresses the server answers with a redirect, which a
	// static file server cannot give: none are saved.
	Redirects []Link
	// Broken are links of the site's pages to its own addresses that the
	// server does not answer with a page.
	Broken []Link
	// Elapsed is how long the build took.
	Elapsed time.Duration
}

// Link is a link the build followed: the address, the page it was on ("" for
// the build's starting points) and what the server answered.
type Link struct {
	URL, From string
	Status    int
}

func (l Link) String() string {
	from := l.From
	if from == "" {
		from = "the build's start"
	}
	return fmt.Sprintf("%s (linked from %s): %d %s", l.URL, from, l.Status, http.StatusText(l.Status))
}

// starts are where the crawl begins: every other address is found through
// their links. robots.txt names the sitemap, which lists every post, tag,
// author and training page; the pages link to the feeds, photos and assets.
var starts = []string{"/", "/robots.txt", "/sitemap.xml"}

// Run builds the site into opts.OutDir.
func Run(ctx context.Context, opts Options) (Result, error) {
	began := time.Now()
	b, err := newBuilder(opts)
	if err != nil {
		return Result{}, err
	}
	if err := b.out.prepare(); err != nil {
		return Result{}, err
	}
	if b.states, err = loadStates(opts.OutDir, opts.Inputs); err != nil {
		return Result{}, err
	}
	stopProgress := b.showProgress()
	for _, s := range starts {
		b.enqueue((&url.URL{Path: b.prefix + s}).EscapedPath())
	}
	err = b.crawl(ctx)
	stopProgress()
	if err != nil {
		return Result{}, err
	}
	var removed int
	if b.states.hadRecord() {
		removed, err = b.out.removeRecorded(b.states.prev)
	} else {
		removed, err = b.out.removeUnlisted()
	}
	if err != nil {
		return Result{}, err
	}
	if err := b.states.write(opts.OutDir); err != nil {
		return Result{}, err
	}
	res := Result{
		Pages:     int(b.pages.Load()),
		Written:   int(b.out.written.Load()),
		Unchanged: int(b.out.unchanged.Load()),
		Removed:   removed,
		Skipped:   int(b.skipped.Load()),
		Bytes:     b.out.bytes.Load(),
		Redirects: b.redirects,
		Broken:    b.broken,
		Elapsed:   time.Since(began),
	}
	return res, nil
}

// builder is one build's state.
type builder struct {
	handler http.Handler
	log     *slog.Logger
	base    *url.URL // the base URL, its path cut off
	prefix  string   // the base URL's path, unescaped: "" or "/blog"
	workers int
	out     *output
	states  *states
	targets sync.Map // link as written → target, for links that do not depend on their page

	progress io.Writer
	pages    atomic.Int64
	skipped  atomic.Int64

	mu        sync.Mutex
	wake      *sync.Cond
	seen      map[string]bool // every address queued, as request URIs
	queue     []Link          // addresses to fetch; Status unused
	active    int             // addresses being fetched
	failed    error
	redirects []Link
	broken    []Link
}

func newBuilder(opts Options) (*builder, error) {
	if opts.Handler == nil || opts.OutDir == "" {
		return nil, errors.New("build: a Handler and an OutDir are required")
	}
	base, err := url.Parse(strings.TrimSuffix(opts.BaseURL, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("a static build needs the site's absolute base URL (set base_url in site.yaml or pass -base-url), not %q", opts.BaseURL)
	}
	prefix := base.Path
	base.Path, base.RawPath, base.RawQuery, base.Fragment = "", "", "", ""
	workers := opts.Workers
	if workers <= 0 {
		// Two per CPU: while one waits on the disk, the other renders.
		workers = 2 * runtime.GOMAXPROCS(0)
	}
	log := opts.Log
	if log == nil {
		log = slog.Default()
	}
	b := &builder{handler: opts.Handler, log: log, base: base, prefix: prefix, workers: workers,
		out: newOutput(opts.OutDir), progress: opts.Progress, seen: map[string]bool{}}
	b.wake = sync.NewCond(&b.mu)
	return b, nil
}

// visit is one address being saved: the addresses of the site it links to
// are gathered as its page is read, and queued together once it is.
type visit struct {
	uri   string
	links []string
}

// enqueue queues the request URI uri (path and query, escaped), one of the
// build's starting points, unless it was queued before.
func (b *builder) enqueue(uri string) {
	b.enqueueLinks(&visit{links: []string{uri}})
}

// enqueueLinks queues the addresses the page v links to that were not
// queued before.
func (b *builder) enqueueLinks(v *visit) {
	b.mu.Lock()
	defer b.mu.Unlock()
	queued := false
	for _, uri := range v.links {
		if b.seen[uri] {
			continue
		}
		b.seen[uri] = true
		b.queue = append(b.queue, Link{URL: uri, From: v.uri})
		queued = true
	}
	if queued {
		b.wake.Broadcast()
	}
}

// next takes an address to fetch, waiting while others are being fetched
// (they may find more); false when there is nothing left, or the build
// failed.
func (b *builder) next() (Link, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for len(b.queue) == 0 && b.active > 0 && b.failed == nil {
		b.wake.Wait()
	}
	if len(b.queue) == 0 || b.failed != nil {
		b.wake.Broadcast()
		return Link{}, false
	}
	// The newest first: the crawl goes deep before wide, so the queue
	// stays short (a list page's posts are done before the next page's).
	l := b.queue[len(b.queue)-1]
	b.queue = b.queue[:len(b.queue)-1]
	b.active++
	return l, true
}

// done ends the fetch of an address, with its error.
func (b *builder) done(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active--
	if err != nil && b.failed == nil {
		b.failed = err
	}
	b.wake.Broadcast()
}

// crawl runs the workers until every address found is fetched.
func (b *builder) crawl(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() { b.done0(ctx.Err()) })
	defer stop()
	var wg sync.WaitGroup
	for range b.workers {
		wg.Go(func() {
			for {
				l, ok := b.next()
				if !ok {
					return
				}
				b.done(b.fetch(ctx, l))
			}
		})
	}
	wg.Wait()
	return b.failed
}

// done0 fails the build without ending a fetch (the context ended).
func (b *builder) done0(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.failed == nil {
		b.failed = err
	}
	b.wake.Broadcast()
}

// fetch requests one address from the handler and saves what it answers;
// or, when the page's state is what the last build recorded (state.go),
// leaves its files as they are and follows its links from the record.
func (b *builder) fetch(ctx context.Context, l Link) error {
	page, err := url.Parse(b.base.String() + l.URL)
	if err != nil {
		return fmt.Errorf("reading the address %s: %w", l.URL, err)
	}
	v := &visit{uri: l.URL}
	prev := b.states.previous(l.URL)
	var key []byte
	skipped := false
	probe := func(k []byte) bool {
		key = append(key[:0], k...)
		skipped = prev != nil && prev.state != nil && prev.file != "" &&
			bytes.Equal(prev.state, b.states.stateOf(key, l.URL, prev.links, b.prefix)) && b.out.exists(prev.file)
		return skipped
	}
	req, err := http.NewRequestWithContext(web.WithKeyProbe(ctx, probe), http.MethodGet, page.String(), nil)
	if err != nil {
		return fmt.Errorf("making the request for %s: %w", l.URL, err)
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.RequestURI = l.URL
	rec := newRecorder()
	defer rec.release()
	b.handler.ServeHTTP(rec, req)
	if err := ctx.Err(); err != nil {
		return err
	}
	if skipped {
		b.enqueueLinks(&visit{uri: l.URL, links: prev.links})
		b.pages.Add(1)
		b.skipped.Add(1)
		b.states.keep(l.URL, prev)
		return b.out.keep(prev.file, prev.copies, l.URL)
	}
	switch {
	case rec.status == http.StatusOK:
	case rec.status >= 300 && rec.status < 400:
		l.Status = rec.status
		b.note(&b.redirects, l)
		file, err := b.redirect(page, rec.header.Get("Location"), v)
		b.enqueueLinks(v)
		b.states.keep(l.URL, &pageRecord{file: file, links: v.links})
		return err
	default:
		l.Status = rec.status
		b.note(&b.broken, l)
		b.states.keep(l.URL, &pageRecord{})
		return nil
	}
	sitePath, ok := strings.CutPrefix(page.Path, b.prefix)
	sp, mapped := staticPath(sitePath, page.Query())
	if !ok || !mapped {
		return fmt.Errorf("%s has no file to be saved as", l.URL)
	}
	body := rec.body.Bytes()
	mediaType, _, _ := mime.ParseMediaType(rec.header.Get("Content-Type"))
	switch mediaType {
	case "text/html":
		body = b.scanHTML(page, body, v)
	case "text/plain":
		b.scanText(page, body, v)
	case "application/xml", "text/xml", "application/rss+xml", "application/atom+xml":
		body = b.scanFeed(page, body, v, false)
	case "application/json", "application/feed+json":
		body = b.scanFeed(page, body, v, true)
	}
	b.enqueueLinks(v)
	b.pages.Add(1)
	file := fileOf(sp)
	copies, err := b.out.save(file, l.URL, body, compressible(mediaType))
	if err != nil {
		return err
	}
	pr := &pageRecord{file: file, copies: copies, links: slices.Compact(slices.Sorted(slices.Values(v.links)))}
	if key != nil {
		pr.state = b.states.stateOf(key, l.URL, pr.links, b.prefix)
	}
	b.states.keep(l.URL, pr)
	return nil
}

// redirect follows a redirect of the address (page) to location and
// saves, in its place, a page that sends browsers there: a static server
// cannot redirect. A comment's lasting address (/posts/x/comments/12),
// which comment feeds link to, is one. A redirect to the same path with a
// slash added is left to the static server, which does that itself. It
// returns the file saved, or "".
func (b *builder) redirect(page *url.URL, location string, v *visit) (string, error) {
	loc, err := page.Parse(location)
	if err != nil {
		return "", nil
	}
	to, changed := b.follow(loc, false, false, v)
	if !changed {
		to = loc.String()
	}
	sitePath, ok := strings.CutPrefix(page.Path, b.prefix)
	sp, mapped := staticPath(sitePath, page.Query())
	if !ok || !mapped || loc.Host != page.Host || loc.Path == page.Path+"/" {
		return "", nil
	}
	file := fileOf(sp)
	if path.Ext(file) == "" {
		// A directory's page, which every static server sends as HTML
		// (an address without an extension has no type of its own): it
		// answers the address by adding a slash.
		file += "/index.html"
	}
	body := redirectPage(to, b.base.String()+loc.EscapedPath())
	_, err = b.out.save(file, v.uri, body, true)
	return file, err
}

// redirectPage is a page that sends a browser to the address to at once,
// without script, and tells search engines that canonical is the page.
func redirectPage(to, canonical string) []byte {
	to, canonical = html.EscapeString(to), html.EscapeString(canonical)
	return []byte(`<!doctype html>
<html><head><meta charset="utf-8"><title>Moved</title>
<meta http-equiv="refresh" content="0; url=` + to + `">
<link rel="canonical" href="` + canonical + `">
<meta name="robots" content="noindex"></head>
<body><p><a href="` + to + `">` + to + `</a></p></body></html>
`)
}

func (b *builder) note(list *[]Link, l Link) {
	b.mu.Lock()
	defer b.mu.Unlock()
	*list = append(*list, l)
}

// compressible reports whether files of a media type get .gz and .br
// copies: text, XML, JSON and SVG, not photos (already compressed).
func compressible(mediaType string) bool {
	return strings.HasPrefix(mediaType, "text/") || strings.HasSuffix(mediaType, "xml") ||
		strings.HasSuffix(mediaType, "json") || strings.HasSuffix(mediaType, "javascript")
}

// showProgress writes how far the build is every quarter second until the
// returned func is called, which clears the line.
func (b *builder) showProgress() func() {
	if b.progress == nil {
		return func() {}
	}
	tick := time.NewTicker(250 * time.Millisecond)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				fmt.Fprint(b.progress, "\r\033[K")
				return
			case <-tick.C:
				b.mu.Lock()
				queued := len(b.queue)
				b.mu.Unlock()
				fmt.Fprintf(b.progress, "\r\033[Kbuilding: %d saved (%d written, %d unchanged), %d to go",
					b.pages.Load(), b.out.written.Load(), b.out.unchanged.Load(), queued)
			}
		}
	})
	return func() {
		tick.Stop()
		close(done)
		wg.Wait()
	}
}

// recorder keeps what the handler answers one request with.
type recorder struct {
	header http.Header
	status int
	body   *bytes.Buffer
}

var buffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func newRecorder() *recorder {
	buf := buffers.Get().(*bytes.Buffer)
	buf.Reset()
	return &recorder{header: http.Header{}, body: buf}
}

// release gives the body's buffer back for the next request.
func (r *recorder) release() { buffers.Put(r.body) }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}
