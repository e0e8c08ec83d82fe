package app

import (
	"io"
	"net/http"
	"sync/atomic"
)

// loadingGate is the server's handler from the moment its port opens:
// while the content and the database are being opened it answers every
// request 503 with Retry-After: 1 (a browser, a proxy or a health check
// asks again in a second), then hands every request to the site.
type loadingGate struct {
	site atomic.Pointer[http.Handler]
}

// open hands every request from now on to h.
func (g *loadingGate) open(h http.Handler) { g.site.Store(&h) }

func (g *loadingGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h := g.site.Load(); h != nil {
		(*h).ServeHTTP(w, r)
		return
	}
	w.Header().Set("Retry-After", "1")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		io.WriteString(w, "loading: the site is starting, try again in a moment\n")
	}
}
