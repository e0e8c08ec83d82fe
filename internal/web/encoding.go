package web

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Pages and feeds are sent compressed when the reader's client accepts it
// (gzip, brotli or zstd), each encoding with an ETag of its own, and
// answered 304 when the client already holds the same bytes. A page kept by
// the render cache (pagecache.go) is compressed once per encoding, and the
// encoded bytes kept with it; a page rendered for one reader is compressed
// for its response alone.

// contentEncoding is one of the codings pages are sent in.
type contentEncoding struct {
	name     string // the Content-Encoding token
	index    int    // its place in encodings
	compress func([]byte) ([]byte, error)
}

// encodings in the server's order of preference among those a client
// accepts equally: zstd and brotli are about half gzip's size on a page,
// and zstd compresses a 40 KB page some three times faster than brotli
// (BenchmarkCompression) — which counts for pages rendered for one reader.
var encodings = [...]contentEncoding{
	{"zstd", 0, zstdBytes},
	{"br", 1, brotliBytes},
	{"gzip", 2, gzipBytes},
}

// brotliLevel 4 is the fastest of brotli's levels that still model the
// text: on a page of comments it came out smaller than level 5, at less
// than half its time, and at a small fraction of level 11's.
const brotliLevel = 4

// brotliWriters are reused: a new writer allocates its window and tables,
// which costs more than compressing a page.
var brotliWriters = sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, brotliLevel) }}

func brotliBytes(b []byte) ([]byte, error) { return compressPooled(&brotliWriters, "brotli", b) }

var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

func gzipBytes(b []byte) ([]byte, error) { return compressPooled(&gzipWriters, "gzip", b) }

// pooledCompressor is a compressing writer that can be reused.
type pooledCompressor interface {
	io.WriteCloser
	Reset(io.Writer)
}

// compressPooled compresses b with a writer from pool.
func compressPooled(pool *sync.Pool, name string, b []byte) ([]byte, error) {
	var out bytes.Buffer
	w := pool.Get().(pooledCompressor)
	defer pool.Put(w)
	w.Reset(&out)
	if _, err := w.Write(b); err != nil {
		return nil, fmt.Errorf("%s-compressing: %w", name, err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("%s-compressing: %w", name, err)
	}
	return out.Bytes(), nil
}

// zstdEncoder is shared: EncodeAll may be called from many goroutines.
var zstdEncoder = sync.OnceValue(func() *zstd.Encoder {
	// NewWriter fails only on invalid options; these are constants.
	e, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(fmt.Sprintf("zstd encoder: %v", err))
	}
	return e
})

func zstdBytes(b []byte) ([]byte, error) {
	return zstdEncoder().EncodeAll(b, nil), nil
}

// minCompressBytes is the size below which a body is sent as it is: the
// codings' headers would eat most of what they save.
const minCompressBytes = 256

// chooseEncoding picks the coding to send a body in from the request's
// Accept-Encoding: the one with the highest q-value, the server's order
// breaking ties; nil for the plain bytes ("identity", or nothing
// accepted). It allocates nothing: it runs on every request the render
// cache answers.
func chooseEncoding(acceptEncoding string) *contentEncoding {
	if acceptEncoding == "" {
		return nil
	}
	// The q-value of each of encodings, then of "*"; -1 when not named.
	var q [len(encodings) + 1]float64
	for i := range q {
		q[i] = -1
	}
	for rest := acceptEncoding; rest != ""; {
		var part string
		part, rest, _ = strings.Cut(rest, ",")
		name, params, _ := strings.Cut(part, ";")
		name = strings.TrimSpace(name)
		i := len(encodings)
		if name != "*" {
			i = -1
			for j := range encodings {
				if strings.EqualFold(name, encodings[j].name) {
					i = j
				}
			}
			if i < 0 {
				continue
			}
		}
		weight := 1.0
		for params != "" {
			var p string
			p, params, _ = strings.Cut(params, ";")
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				weight = f
			}
		}
		q[i] = weight
	}
	var best *contentEncoding
	bestQ := 0.0
	for i := range encodings {
		w := q[i]
		if w < 0 {
			w = q[len(encodings)]
		}
		if w > bestQ {
			best, bestQ = &encodings[i], w
		}
	}
	return best
}

// encodedETag is the ETag of a body's encoded form: the plain body's ETag
// with the coding's name added, as the bytes sent differ.
func encodedETag(etag, coding string) string {
	return strings.TrimSuffix(etag, `"`) + "-" + coding + `"`
}

// serveBody sends a page's or feed's plain bytes, with ETag etag (a
// quoted strong ETag of plain), compressed when the client accepts a
// coding, with Vary: Accept-Encoding; a GET or HEAD answered 200 goes
// through http.ServeContent, which answers If-None-Match (and
// If-Modified-Since when modified is set) with 304, and ranges. Headers
// other than these (Content-Type, Cache-Control) are the caller's.
func (s *Server) serveBody(w http.ResponseWriter, r *http.Request, status int, plain []byte, etag string, modified time.Time) {
	h := w.Header()
	h.Add("Vary", "Accept-Encoding")
	body := plain
	if e := chooseEncoding(r.Header.Get("Accept-Encoding")); e != nil && len(plain) >= minCompressBytes {
		// Compressed for this response alone: a page rendered for one
		// reader is not kept (pagecache.go keeps the shared ones).
		encoded, err := e.compress(plain)
		if err != nil {
			// The plain page is as good, only larger.
			s.log.WarnContext(r.Context(), "compressing a page", "path", loggedPath(r.URL.Path), "err", err)
		} else {
			body, etag = encoded, encodedETag(etag, e.name)
			h.Set("Content-Encoding", e.name)
		}
	}
	if status != http.StatusOK || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
		return
	}
	h.Set("ETag", etag)
	if h.Get("Content-Encoding") != "" && wholeBodyAnswer(r) {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	http.ServeContent(w, r, "", modified, bytes.NewReader(body))
}
