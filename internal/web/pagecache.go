package web

import (
	"bytes"
	"container/list"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"expvar"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"milepost/internal/content"
)

// The render cache. Every public page and feed is kept as sent, by a key
// that names the page and the versions of everything it shows: the posts
// (content.Post.Version), their comments (comments.Service.PostVersion),
// the site's settings, authors and theme (siteFacts.settings), and, for a
// page that shows the whole site (the archive, the sitemap), the site
// itself (siteFacts.gen) and how many of its posts are published by now.
// A change gives what changed a new version, so the next request computes
// another key and renders the page afresh: nothing is ever invalidated by
// guessing, and a page kept under an old key is simply never asked for
// again, and drops out of the LRU.
//
// A key is computed per request from memory alone (no database read, no
// walk over every post), so a hit costs a map lookup and a write. Only a
// request that sees what everyone sees is served from the cache or fills
// it (Server.sharedView): a reader with a cookie of their own, a form sent
// back, -drafts, -live, admin and error pages are rendered for their
// request alone, as before.
//
// The comment form's token is the one thing on a story's page that changes
// with time alone (FormTokenStep, guards.go). A post page is rendered once per
// key with a placeholder where the token goes, kept split there, and the
// token of the current step is put in when the step changes: the page is
// joined again and compressed again at most once a step, never rendered
// again. Its ETag is weak and does not name the token (pageETag): a reader
// revalidating a page they hold is answered 304 and keeps their older
// token, which is still valid.

// pageCacheFigures are the render cache's figures, on the debug endpoint's
// /debug/vars as "page_cache": hits, misses, requests bypassed (not
// everyone's: Server.keyed), evictions, the bytes and pages kept, and the
// requests routed by their path alone (keptroutes.go). One set per
// process: expvar names are global.
var pageCacheFigures = expvar.NewMap("page_cache")

// defaultPageBudget bounds the memory kept for pages, plain and encoded:
// about 1,500 post pages of 40 KB with their three encodings.
const defaultPageBudget = 96 << 20

// pageCache keeps pages as sent, least recently used first out, within a
// byte budget counting the plain bytes and each encoding kept.
type pageCache struct {
	mu     sync.Mutex
	budget int
	used   int
	byKey  map[string]*list.Element // of *cachedPage, in lru
	lru    *list.List               // most recently used first
}

func newPageCache(budget int) *pageCache {
	return &pageCache{budget: budget, byKey: map[string]*list.Element{}, lru: list.New()}
}

// cachedPage is one page or feed as rendered, with what its responses say.
type cachedPage struct {
	key string
	// parts are the body, split where the comment form's token goes; a
	// page without a shared token is one part.
	parts [][]byte
	// tokenSlug is the post whose shared form token goes between parts.
	tokenSlug    string
	etag         string
	modified     time.Time // Last-Modified, rounded up to the second; zero for none
	contentType  string
	cacheControl string
	variant      atomic.Pointer[pageVariant]
	// header holds the values of the headers every response of the page
	// sends, made once: a hit sets them without allocating. net/http only
	// ever replaces a header's values, never writes into them.
	header pageHeader

	// Guarded by pageCache.mu:
	size int  // bytes counted against the budget
	kept bool // in the cache
}

// pageVariant is a page's body as sent in one token step, plain and in
// each encoding asked for so far.
type pageVariant struct {
	step    int64 // the token step's end (formStepEnd); 0 for a page without a token
	plain   []byte
	length  []string // the plain body's Content-Length
	encoded [len(encodings)]encodedBody
	counted int // bytes of this variant counted in its page's size; guarded by pageCache.mu
}

type encodedBody struct {
	once   sync.Once
	body   []byte
	err    error
	length []string // the Content-Length header's value
}

// pageHeader are a kept page's header values (cachedPage.header).
type pageHeader struct {
	contentType, cacheControl, lastModified []string
	etag                                    [len(encodings) + 1][]string // by encoding; the last for the plain body
}

// Header values every kept page sends alike.
var (
	varyAcceptEncoding = []string{"Accept-Encoding"}
	contentEncodings   = func() (v [len(encodings)][]string) {
		for i, e := range encodings {
			v[i] = []string{e.name}
		}
		return v
	}()
)

// newCachedPage keeps a rendered body. A body holding placeholder is kept
// split there, for the shared form token of post slug.
func newCachedPage(key string, body []byte, placeholder, slug string, modified time.Time, contentType, cacheControl string) *cachedPage {
	p := &cachedPage{key: key, contentType: contentType, cacheControl: cacheControl, modified: roundUpToSecond(modified)}
	if placeholder != "" && slug != "" {
		p.parts = bytes.Split(body, []byte(placeholder))
	} else {
		p.parts = [][]byte{body}
	}
	if len(p.parts) > 1 {
		p.tokenSlug = slug
		p.etag = pageETag(p.parts)
	} else {
		p.etag = etagOf(body)
	}
	p.size = len(key) + len(body) + 512
	p.header = pageHeader{contentType: []string{contentType}, cacheControl: []string{cacheControl}}
	if !p.modified.IsZero() {
		p.header.lastModified = []string{p.modified.UTC().Format(http.TimeFormat)}
	}
	for i, e := range encodings {
		p.header.etag[i] = []string{encodedETag(p.etag, e.name)}
	}
	p.header.etag[len(encodings)] = []string{p.etag}
	return p
}

// pageETag is the weak ETag of a page split at its form token: the same
// for every token put in, since the pages differ only there.
func pageETag(parts [][]byte) string {
	h := sha256.New()
	for _, part := range parts {
		h.Write(part)
		h.Write([]byte{0})
	}
	return `W/"` + base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:16]) + `"`
}

// roundUpToSecond is t at the next whole second (t itself when whole):
// HTTP dates have whole seconds, and a Last-Modified must not be earlier
// than the change it names.
func roundUpToSecond(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if r := t.Truncate(time.Second); r.Before(t) {
		return r.Add(time.Second)
	}
	return t
}

// get returns the page kept under key, or nil.
func (c *pageCache) get(key pageKey) *cachedPage {
	c.mu.Lock()
	el, ok := c.byKey[string(key)]
	if ok {
		c.lru.MoveToFront(el)
	}
	c.mu.Unlock()
	if !ok {
		pageCacheFigures.Add("misses", 1)
		return nil
	}
	pageCacheFigures.Add("hits", 1)
	return el.Value.(*cachedPage)
}

// put keeps p, unless a page is kept under its key already (rendered by
// another request meanwhile: the same bytes) or it is larger than the
// whole budget.
func (c *pageCache) put(p *cachedPage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[p.key]; ok || p.size > c.budget {
		return
	}
	p.kept = true
	c.byKey[p.key] = c.lru.PushFront(p)
	c.used += p.size
	c.evict()
}

// grow counts n more bytes of variant v of page p, when both are still
// kept.
func (c *pageCache) grow(p *cachedPage, v *pageVariant, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !p.kept || p.variant.Load() != v {
		return
	}
	v.counted += n
	p.size += n
	c.used += n
	c.evict()
}

// evict drops the least recently used pages until the budget holds them.
// The caller holds c.mu.
func (c *pageCache) evict() {
	for c.used > c.budget {
		oldest := c.lru.Back()
		p := oldest.Value.(*cachedPage)
		c.lru.Remove(oldest)
		delete(c.byKey, p.key)
		p.kept = false
		c.used -= p.size
		pageCacheFigures.Add("evictions", 1)
	}
	pageCacheFigures.Set("bytes", intVar(c.used))
	pageCacheFigures.Set("pages", intVar(c.lru.Len()))
}

func intVar(n int) *expvar.Int {
	v := new(expvar.Int)
	v.Set(int64(n))
	return v
}

// variantAt is p's body as sent at now: with the shared form token of
// now's step put in, joined once a step.
func (c *pageCache) variantAt(p *cachedPage, now time.Time, sg signer) *pageVariant {
	var step int64
	if len(p.parts) > 1 {
		step = formStepEnd(now)
	}
	v := p.variant.Load()
	if v != nil && v.step == step {
		return v
	}
	nv := &pageVariant{step: step, plain: p.parts[0]}
	if len(p.parts) > 1 {
		nv.plain = bytes.Join(p.parts, []byte(sg.sharedFormTokenOf(p.tokenSlug, step)))
	}
	nv.length = []string{strconv.Itoa(len(nv.plain))}
	if v != nil && v.step > step {
		// A request that read the clock before the step changed: its
		// variant is its own, not kept (a token naming a later end would
		// make a reader wait longer than the guard says).
		return nv
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if cur := p.variant.Load(); cur != nil && cur.step >= step {
		if cur.step == step {
			return cur // installed by another request meanwhile
		}
		return nv
	}
	if old := p.variant.Load(); old != nil && p.kept {
		p.size -= old.counted
		c.used -= old.counted
	}
	p.variant.Store(nv)
	if p.kept && len(p.parts) > 1 {
		nv.counted = len(nv.plain)
		p.size += nv.counted
		c.used += nv.counted
		c.evict()
	}
	return nv
}

// encodedBody is v's body in coding e, compressed once.
func (c *pageCache) encodedBody(p *cachedPage, v *pageVariant, e *contentEncoding) ([]byte, error) {
	eb := &v.encoded[e.index]
	eb.once.Do(func() {
		eb.body, eb.err = e.compress(v.plain)
		if eb.err == nil {
			eb.length = []string{strconv.Itoa(len(eb.body))}
			c.grow(p, v, len(eb.body))
		}
	})
	return eb.body, eb.err
}

// serve sends page p as a 200 to a GET or HEAD: its headers, the body in
// the coding the client prefers, and 304 to If-None-Match (weak
// comparison) or, without it, If-Modified-Since. Last-Modified is sent
// once its second has passed: a change later in the same second would
// otherwise carry the same date.
//
// The two answers nearly every request gets are written here, with the
// kept header values: a request with no condition and no range is sent
// the body in one write, and one that sends back the ETag it was given
// (If-None-Match alone) is answered 304 without touching the body, as
// http.ServeContent would answer it. Any other goes through
// http.ServeContent, which answers the conditions and ranges.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, p *cachedPage) {
	now := s.now()
	v := s.pages.variantAt(p, now, s.signer)
	h := w.Header()
	h["Cache-Control"] = p.header.cacheControl
	if vary := h["Vary"]; len(vary) == 0 {
		h["Vary"] = varyAcceptEncoding
	} else {
		h["Vary"] = append(vary, varyAcceptEncoding...)
	}
	var e *contentEncoding
	if len(v.plain) >= minCompressBytes {
		e = chooseEncoding(r.Header.Get("Accept-Encoding"))
	}
	etag := p.header.etag[len(encodings)]
	if e != nil {
		// An encoded body's ETag names its coding; a client holds it only
		// if it was sent that body.
		etag = p.header.etag[e.index]
	}
	if sentBack(r, etag[0]) {
		h["Etag"] = etag
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = p.header.contentType
	body, length := v.plain, v.length
	if e != nil {
		compressed, err := s.pages.encodedBody(p, v, e)
		if err != nil {
			// The plain page is as good, only larger.
			s.log.WarnContext(r.Context(), "compressing a page", "path", loggedPath(r.URL.Path), "err", err)
			e, etag = nil, p.header.etag[len(encodings)]
		} else {
			body, length = compressed, v.encoded[e.index].length
			h["Content-Encoding"] = contentEncodings[e.index]
		}
	}
	h["Etag"] = etag
	modified := p.modified
	if now.Before(modified) {
		modified = time.Time{}
	}
	if unconditional(r) {
		if !modified.IsZero() {
			h["Last-Modified"] = p.header.lastModified
		}
		h["Content-Length"] = length
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
		return
	}
	if e != nil && wholeBodyAnswer(r) {
		h["Content-Length"] = length
	}
	http.ServeContent(w, r, "", modified, bytes.NewReader(body))
}

// sentBack reports whether a request's only condition is If-None-Match
// holding etag alone, weakly compared (a W/ prefix on either side does
// not count): the client revalidating the page it holds, answered 304
// whatever If-Modified-Since says (RFC 9110, 13.2.2). A list of ETags, a
// "*" or another condition is left to http.ServeContent.
func sentBack(r *http.Request, etag string) bool {
	inm := r.Header["If-None-Match"]
	if len(inm) != 1 || hasHeader(r, "If-Match", "If-Unmodified-Since") {
		return false
	}
	return strings.TrimPrefix(strings.TrimSpace(inm[0]), "W/") == strings.TrimPrefix(etag, "W/")
}

// wholeBodyAnswer reports whether http.ServeContent answers r with the
// whole body or a 304 (which drops the length), never a range or a 412:
// only then may the caller set the Content-Length of an encoded body,
// which ServeContent leaves out (it would be chunked) though it is known.
// A 412's empty body would contradict it.
func wholeBodyAnswer(r *http.Request) bool {
	return !hasHeader(r, "Range", "If-Match", "If-Unmodified-Since")
}

// unconditional reports whether a request carries none of the headers
// http.ServeContent answers: no condition, no range.
func unconditional(r *http.Request) bool {
	return !hasHeader(r, "If-None-Match", "If-Modified-Since", "Range", "If-Match", "If-Unmodified-Since")
}

// hasHeader reports whether r carries any of the headers names (each in
// its canonical form).
func hasHeader(r *http.Request, names ...string) bool {
	for _, name := range names {
		if _, ok := r.Header[name]; ok {
			return true
		}
	}
	return false
}

// serveKept serves the page kept under key and reports true; false, with
// nothing written, when there is none.
func (s *Server) serveKept(w http.ResponseWriter, r *http.Request, key pageKey) bool {
	if probed(r, key) { // a static build holds the page already (static.go)
		return true
	}
	p := s.pages.get(key)
	if p == nil {
		return false
	}
	s.rememberRoute(r)
	s.serve(w, r, p)
	return true
}

// keepAndServe keeps a body built for key (a feed, the sitemap) and serves
// it. Such a body is built from an immutable Site and versions that only
// grow: one built while a version changed may show the change, under the
// old version's key, which no later request computes.
func (s *Server) keepAndServe(w http.ResponseWriter, r *http.Request, key pageKey, body []byte, modified time.Time, contentType, cacheControl string) {
	p := newCachedPage(string(key), body, "", "", modified, contentType, cacheControl)
	s.pages.put(p)
	s.serve(w, r, p)
}

// sharedView reports whether a request sees what every reader sees, so
// that it may be served a kept page and its page kept: one answered alike
// for everyone (everyones), by a server not showing drafts (-drafts).
func (s *Server) sharedView(r *http.Request) bool {
	return !s.opts.Drafts && s.everyones(r)
}

// pageKey builds a cache key: each part is written with its length, so
// no two lists of parts make the same key.
type pageKey []byte

func (k pageKey) str(s string) pageKey {
	k = binary.AppendUvarint(k, uint64(len(s)))
	return append(k, s...)
}

func (k pageKey) num(n uint64) pageKey { return binary.AppendUvarint(k, n) }

func (k pageKey) flag(b bool) pageKey {
	if b {
		return append(k, 1)
	}
	return append(k, 0)
}

// post adds what a post shows of itself; a nil post adds a zero.
func (k pageKey) post(p *content.Post) pageKey {
	if p == nil {
		return k.num(0)
	}
	return k.num(p.Version)
}

// newKey starts the key of a page of kind at the site path of the request,
// as linked from base (the base URL, which is the request's host when the
// site sets none) on the site f tells of.
func newKey(kind, path, base string, f *siteFacts) pageKey {
	k := make(pageKey, 0, 128)
	return k.str(kind).str(path).str(base).num(f.settings)
}

// siteFacts are what the render cache needs to know of a Site, worked out
// once per Site: which generation it is, the version of its settings,
// authors and theme, and where each published post is in the list of them.
type siteFacts struct {
	site *content.Site
	// gen is distinct for each Site the server has seen: pages that show
	// the whole site (the archive, the sitemap) key on it.
	gen uint64
	// settings changes with what every page shows besides posts: the
	// site's settings (site.yaml) and its authors; the theme is the
	// server's for its life. It is a digest of their content, so a reload
	// that changes neither keeps it.
	settings uint64
	// seen is when the server first served the site: no later than any
	// change it holds, so no Last-Modified is earlier (a post edited
	// without a new lastmod: is a change).
	seen time.Time
	// prefix is the path the site is served under (Server.prefix).
	prefix string
	// published are the site's published posts of every date, newest
	// first; index is each one's place in it.
	published content.Listing
	index     map[*content.Post]int
}

// siteGenerations numbers the sites seen (siteFacts.gen).
var siteGenerations atomic.Uint64

// farFuture is a time after every post's date.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

func newSiteFacts(site *content.Site, now time.Time) *siteFacts {
	f := &siteFacts{site: site, gen: siteGenerations.Add(1), seen: now, prefix: site.Config.BasePath()}
	f.published = content.View{Site: site, Now: farFuture}.Posts()
	f.index = make(map[*content.Post]int, len(f.published))
	for i, p := range f.published {
		f.index[p] = i
	}
	f.settings = f.gen << 32 // unique, should the digest fail
	if b, err := json.Marshal(struct {
		Config  content.Config
		Authors map[string]*content.Author
	}{site.Config, site.Authors}); err == nil {
		sum := sha256.Sum256(b)
		f.settings = binary.LittleEndian.Uint64(sum[:8])
	}
	return f
}

// facts are the siteFacts of site, worked out on the first request that
// sees it and kept while it is the site served.
func (s *Server) facts(site *content.Site) *siteFacts {
	if f := s.siteFacts.Load(); f != nil && f.site == site {
		return f
	}
	s.factsMu.Lock()
	defer s.factsMu.Unlock()
	if f := s.siteFacts.Load(); f != nil && f.site == site {
		return f
	}
	f := newSiteFacts(site, s.now())
	if site == s.opts.Content.Current() {
		s.siteFacts.Store(f)
	}
	return f
}

// neighbours are the posts published just before and just after p among
// posts, the published posts of f's site at some time (a suffix of
// f.published), or nil at either end.
func (f *siteFacts) neighbours(posts content.Listing, p *content.Post) (older, newer *content.Post) {
	i, ok := f.index[p]
	i -= len(f.published) - len(posts)
	if !ok || i < 0 || i >= len(posts) || posts[i] != p {
		return nil, nil
	}
	if i+1 < len(posts) {
		older = posts[i+1]
	}
	if i > 0 {
		newer = posts[i-1]
	}
	return older, newer
}

// newTokenPlaceholder is what a post page kept in the cache carries where
// its form token goes, until the token is put in: random, so that no
// comment can be written to carry it.
func newTokenPlaceholder() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "milepost-token-" + hex.EncodeToString(b)
}

// modifiedAt is the Last-Modified of a page of f's site showing posts (nil
// ones left out) and comments last changed at commentsChanged: the newest
// of when the site was first served, of the posts' dates (a post coming
// due is a change) and of the comments' changes.
func (f *siteFacts) modifiedAt(posts content.Listing, commentsChanged ...time.Time) time.Time {
	t := f.seen
	for _, p := range posts {
		if p != nil {
			t = latest(t, p.Date, p.Lastmod)
		}
	}
	return latest(t, commentsChanged...)
}

func latest(t time.Time, others ...time.Time) time.Time {
	for _, o := range others {
		if o.After(t) {
			t = o
		}
	}
	return t
}
