package web

import (
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// securityHeaders sets the headers every response carries. The theme uses no
// script at all, so the policy allows none — unless live (serve -live, for
// writing locally), whose pages load the server's own live-reload script:
// then scripts from the site itself, and no other.
func securityHeaders(next http.Handler, live bool) http.Handler {
	// connect-src 'self' lets no page do anything (there is no script),
	// but lets audit tools running in the page fetch /robots.txt, and the
	// live-reload script its event stream.
	scripts := "'none'"
	if live {
		scripts = "'self'"
	}
	csp := "default-src 'none'; style-src 'self'; img-src 'self' https: http:; connect-src 'self'; " +
		"form-action 'self'; base-uri 'none'; frame-ancestors 'none'; script-src " + scripts
	// The values are made once and shared by every response (net/http
	// only ever replaces a header's values): a page served from the render
	// cache allocates little else.
	headers := []struct {
		name  string // in canonical form
		value []string
	}{
		{"Content-Security-Policy", []string{csp}},
		{"X-Content-Type-Options", []string{"nosniff"}},
		{"Referrer-Policy", []string{"strict-origin-when-cross-origin"}},
		{"X-Frame-Options", []string{"DENY"}},
		{"Permissions-Policy", []string{"camera=(), microphone=(), geolocation=(), interest-cohort=()"}},
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, hv := range headers {
			h[hv.name] = hv.value
		}
		next.ServeHTTP(w, r)
	})
}

// MaxBodyBytes bounds every request body; routes that take less (the
// comment form) bound theirs more tightly, and routes registered with
// withBodyLimit (the forms that carry photos) may take more.
const MaxBodyBytes = 1 << 20

// bodyLimited is a route's handler with its own body bound, above
// MaxBodyBytes.
type bodyLimited struct {
	http.Handler
	limit int64
	// streamed says the handler reads its body part by part and answers
	// a Content-Length over limit itself, with the text read before the
	// files (the editor): limitBody leaves that length to it.
	streamed bool
}

// withBodyLimit registers a route's body bound with the route: limitBody
// finds it on the handler the mux chose, so no list of paths repeats the
// route table. The handler bounds each kind of form it reads again (a
// plain one within its own limit).
func withBodyLimit(limit int64, h http.HandlerFunc) http.Handler {
	return bodyLimited{Handler: h, limit: limit}
}

// withStreamedBodyLimit is withBodyLimit for a handler that answers a
// Content-Length over limit itself (bodyLimited.streamed).
func withStreamedBodyLimit(limit int64, h http.HandlerFunc) http.Handler {
	return bodyLimited{Handler: h, limit: limit, streamed: true}
}

// limitBody caps the request's body, so no handler can be made to read an
// unbounded one: MaxBodyBytes, or the bound route (the handler the mux
// chose for the request) was registered with. It reports false, having
// answered, when the length the request declares is over it. dispatch
// calls it with the route it looked up, on site paths, after the base
// URL's path is cut off, as the mux routes them.
func (s *Server) limitBody(w http.ResponseWriter, r *http.Request, route http.Handler) bool {
	limit, streamed := int64(MaxBodyBytes), false
	if route, ok := route.(bodyLimited); ok {
		limit, streamed = max(limit, route.limit), route.streamed
	}
	if r.ContentLength > limit && !streamed {
		w.Header().Set("Connection", "close")
		s.fail(w, r, "", &http.MaxBytesError{Limit: limit})
		return false
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	return true
}

// ResponseWriteTimeout bounds how long sending a response may take, counted
// from its first byte: a client that stops reading is cut off, and its
// connection, goroutine and buffers are freed.
//
// It is not counted from the request, as http.Server's WriteTimeout is: a
// handler that took longer (a join hashing a password on a loaded machine,
// a save of many photos) would have its answer dropped after its work was
// done, and a browser resends a request whose kept-alive connection closed
// without an answer — a POST too. The work was then done twice: an invite
// used by the first join refused the second, and the runner saw "this link
// does not work" after joining.
const ResponseWriteTimeout = 30 * time.Second

// boundWrites gives each response a write deadline of timeout from its first
// byte, unless the handler sets its own through http.ResponseController (an
// event stream lifts it; the backup sets one per write).
func boundWrites(next http.Handler, timeout time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// net/http clears the deadline once each answer is sent, so the
		// previous answer's never reaches this one.
		dw := &deadlineWriter{ResponseWriter: w, timeout: timeout}
		next.ServeHTTP(dw, r)
		// What net/http sends once the handler returns (the headers of a
		// handler that wrote nothing, the buffered rest) is bounded too.
		dw.begin()
	})
}

// deadlineWriter sets the write deadline when the response begins.
type deadlineWriter struct {
	http.ResponseWriter
	timeout time.Duration
	set     bool // a deadline is in place: the first byte's or the handler's
}

func (d *deadlineWriter) begin() {
	if !d.set {
		d.set = true
		_ = http.NewResponseController(d.ResponseWriter).SetWriteDeadline(time.Now().Add(d.timeout))
	}
}

func (d *deadlineWriter) WriteHeader(code int) {
	d.begin()
	d.ResponseWriter.WriteHeader(code)
}

func (d *deadlineWriter) Write(b []byte) (int, error) {
	d.begin()
	return d.ResponseWriter.Write(b)
}

// SetWriteDeadline is the handler's own deadline, which http.ResponseController
// finds here before it unwraps: it replaces the first byte's.
func (d *deadlineWriter) SetWriteDeadline(t time.Time) error {
	d.set = true
	return http.NewResponseController(d.ResponseWriter).SetWriteDeadline(t)
}

// Unwrap lets http.ResponseController reach the real writer.
func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }

// statusRecorder remembers the status and size of a response for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the real writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog writes one structured line per request.
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		ctx, h := r.Context(), s.log.Handler()
		if s.opts.AccessLog == nil && !h.Enabled(ctx, slog.LevelInfo) {
			return
		}
		end := time.Now()
		line := accessLine{end: end, method: r.Method, path: loggedPath(r.URL.Path), status: rec.status,
			bytes: rec.bytes, duration: end.Sub(start), ip: s.clientIP(r)}
		// A log that cannot be written has nowhere to say so.
		if s.opts.AccessLog == nil {
			_ = h.Handle(ctx, line.record())
			return
		}
		buf := accessBuffers.Get().(*[]byte)
		*buf = line.append((*buf)[:0])
		_, _ = s.opts.AccessLog.Write(*buf)
		if cap(*buf) <= 4<<10 { // a long path's buffer is not kept
			accessBuffers.Put(buf)
		}
	})
}

// recoverPanics turns a panicking handler into a logged 500 instead of a
// dropped connection.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.ErrorContext(r.Context(), "handler panicked", "path", loggedPath(r.URL.Path), "panic", v)
				// Plain text, not the error table's page: rendering the
				// theme may be what panicked.
				http.Error(w, "Internal Server Error", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// static serves the theme's static files with a short public cache. Folders
// are not listed.
func (s *Server) static(files http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "" || strings.HasSuffix(r.URL.Path, "/") {
			s.notFound(w, r)
			return
		}
		if _, err := fs.Stat(s.staticFS, r.URL.Path); err != nil {
			s.notFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})
}
