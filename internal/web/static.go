package web

import (
	"context"
	"net/http"
	"sync"

	"github.com/andybalholm/brotli"
)

// For `milepost build`, which saves what this handler serves as files and
// precompresses each beside it (page.html.gz, page.html.br) for a static
// file server: the same codings that pages and feeds are sent in, so there
// is one owner of how Milepost compresses.

// GzipBytes is b gzip-compressed, as pages are sent with Content-Encoding:
// gzip.
func GzipBytes(b []byte) ([]byte, error) { return gzipBytes(b) }

// BrotliBytes is b brotli-compressed for a static copy, sent as it is
// with Content-Encoding: br. A static copy is made once and sent many
// times, so it is made at staticBrotliLevel, a level above the pages'
// (brotliLevel). On 40 pages and feeds of the 10,000-post site, level 4
// came out larger than the gzip copy (0.257 of the plain size against
// gzip's 0.249) at over twice gzip's time; level 5 is smaller than gzip's
// (0.239) for about a third more time than level 4; level 6 gains 2% more
// for another tenth.
func BrotliBytes(b []byte) ([]byte, error) {
	return compressPooled(&staticBrotliWriters, "brotli", b)
}

const staticBrotliLevel = 5

var staticBrotliWriters = sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, staticBrotliLevel) }}

// A build asks for every page once, so the render cache would only hold
// pages nobody asks for again; but the key the cache computes for a page
// (pagecache.go) names everything the page shows, which is what an
// incremental build needs to know without rendering the page. A request
// whose context carries a key probe (WithKeyProbe) hands the probe the
// key of a page the cache would keep, before looking it up: when the probe
// answers true, the page is not rendered and nothing is written — the
// build holds the page already, made under the same key.

type keyProbeContextKey struct{}

// WithKeyProbe returns ctx carrying probe, which a request made with it
// asks, with the render cache's key of the page it asks for, whether the
// page may be left unrendered.
func WithKeyProbe(ctx context.Context, probe func(key []byte) bool) context.Context {
	return context.WithValue(ctx, keyProbeContextKey{}, probe)
}

// probed reports whether the request's key probe (WithKeyProbe) says the
// page kept under key need not be rendered.
func probed(r *http.Request, key pageKey) bool {
	probe, _ := r.Context().Value(keyProbeContextKey{}).(func([]byte) bool)
	return probe != nil && probe(key)
}

// KeepNoPages turns the render cache off: a static build renders each page
// once, and keeping them would only hold memory. Call it before serving.
func (s *Server) KeepNoPages() { s.pages = newPageCache(0) }
