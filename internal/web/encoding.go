package web

import (
	"bytes"
	"container/list"
	"expvar"
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
// answered 304 when the client already holds the same bytes. The encoded
// bytes are kept by the ETag of the plain bytes they encode, so a page
// rendered alike for many readers is compressed once per encoding; a page
// rendered differently (a changed thread, a new form token) has another
// ETag, so nothing kept can ever be sent for bytes it does not encode.

// contentEncoding is one of the codings pages are sent in.
type contentEncoding struct {
	name     string // the Content-Encoding token
	compress func([]byte) ([]byte, error)
}

// encodings in the server's order of preference among those a client
// accepts equally: zstd and brotli are about half gzip's size on a page,
// and zstd compresses a 40 KB page some three times faster than brotli
// (BenchmarkCompression) — which counts for pages rendered for one reader.
var encodings = []contentEncoding{
	{"zstd", zstdBytes},
	{"br", brotliBytes},
	{"gzip", gzipBytes},
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
// accepted).
func chooseEncoding(acceptEncoding string) *contentEncoding {
	q := map[string]float64{}
	for _, part := range strings.Split(acceptEncoding, ",") {
		name, params, _ := strings.Cut(part, ";")
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		weight := 1.0
		for _, p := range strings.Split(params, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
				f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
				if err != nil {
					f = 0
				}
				weight = f
			}
		}
		q[name] = weight
	}
	var best *contentEncoding
	bestQ := 0.0
	for i := range encodings {
		e := &encodings[i]
		w, ok := q[e.name]
		if !ok {
			w, ok = q["*"]
		}
		if ok && w > bestQ {
			best, bestQ = e, w
		}
	}
	return best
}

// encodedETag is the ETag of a body's encoded form: the plain body's ETag
// with the coding's name added, as the bytes sent differ.
func encodedETag(etag, coding string) string {
	return strings.TrimSuffix(etag, `"`) + "-" + coding + `"`
}

// compressionFigures are the encoded-body cache's hits and misses, on the
// debug endpoint's /debug/vars as "page_compression". One set per process:
// expvar names are global.
var compressionFigures = expvar.NewMap("page_compression")

// encodedBodies keeps encoded bodies, least recently used first out, within
// a byte budget.
type encodedBodies struct {
	mu     sync.Mutex
	budget int
	used   int
	byKey  map[string]*list.Element // of *encodedBody, in lru
	lru    *list.List               // most recently used first
}

type encodedBody struct {
	key  string // the encoded ETag: the plain body's ETag and the coding
	body []byte
}

// defaultEncodedBudget bounds the memory kept for encoded bodies: about
// 2,000 post pages of 16 KB compressed.
const defaultEncodedBudget = 32 << 20

func newEncodedBodies(budget int) *encodedBodies {
	return &encodedBodies{budget: budget, byKey: map[string]*list.Element{}, lru: list.New()}
}

// get returns the body encoded with e, compressing it (once) on a miss.
func (c *encodedBodies) get(key string, e *contentEncoding, plain []byte) ([]byte, error) {
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(el)
		body := el.Value.(*encodedBody).body
		c.mu.Unlock()
		compressionFigures.Add("hits", 1)
		return body, nil
	}
	c.mu.Unlock()
	compressionFigures.Add("misses", 1)
	// Compressed outside the lock: two readers missing the same body at
	// once both compress it, rather than every reader waiting on one.
	body, err := e.compress(plain)
	if err != nil {
		return nil, err
	}
	c.put(key, body)
	return body, nil
}

func (c *encodedBodies) put(key string, body []byte) {
	if len(body) > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return
	}
	c.byKey[key] = c.lru.PushFront(&encodedBody{key: key, body: body})
	c.used += len(body)
	for c.used > c.budget {
		oldest := c.lru.Back()
		b := oldest.Value.(*encodedBody)
		c.lru.Remove(oldest)
		delete(c.byKey, b.key)
		c.used -= len(b.body)
		compressionFigures.Add("evictions", 1)
	}
	compressionFigures.Set("bytes", intVar(c.used))
}

func intVar(n int) *expvar.Int {
	v := new(expvar.Int)
	v.Set(int64(n))
	return v
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
		etag = encodedETag(etag, e.name)
		encoded, err := s.encoded.get(etag, e, plain)
		if err != nil {
			// The plain page is as good, only larger.
			s.log.WarnContext(r.Context(), "compressing a page", "path", loggedPath(r.URL.Path), "err", err)
			etag = strings.TrimSuffix(etag, "-"+e.name+`"`) + `"`
		} else {
			body = encoded
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
	if h.Get("Content-Encoding") != "" && r.Header.Get("Range") == "" {
		// ServeContent leaves the length out of an encoded body (it would
		// be chunked); the whole body's is known.
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	http.ServeContent(w, r, "", modified, bytes.NewReader(body))
}
