package web

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
)

// Routes of kept pages. Routing a request is the same work every time for
// a path: the mux matches it against every pattern (twice a request:
// dispatch and the mux's own ServeHTTP each ask), and the
// middleware in front of it (cross-origin checks, the base URL's path, the
// body bound) has nothing to do for a GET or HEAD without a body. Once a
// page has been served from the render cache, the route the mux chose for
// its path is remembered, and a GET or HEAD for that path goes straight to
// the route's handler with the same path values, from one lookup keyed by
// the path. The handler then works out the page's key as always, so what
// is served is exactly what the mux's way would serve: only the routing is
// skipped, never a check of the page's freshness.
//
// Still in front of it: the write deadline, the access log, the panic
// handler and the security headers (server.go's chain).

// maxKnownRoutes bounds the paths remembered: when full, the memo starts
// afresh (only paths of pages that were kept are ever added, so it fills
// with a large site's pages, never with whatever a client asks for).
const maxKnownRoutes = 1 << 15

// knownRoutes remembers, by path, the routes of pages served from the
// render cache.
type knownRoutes struct {
	byPath sync.Map // site path → *knownRoute
	n      atomic.Int64
}

// knownRoute is the handler the mux chose for a path and the path values
// it matched.
type knownRoute struct {
	handler http.Handler
	pattern string
	values  []pathValue
}

type pathValue struct{ name, value string }

// shortcut is the middleware that sends a request for a remembered path to
// its route's handler; any other goes on through next, to the mux.
func (s *Server) shortcut(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route := s.knownRoute(r); route != nil {
			pageCacheFigures.Add("routed_by_path", 1)
			r.Pattern = route.pattern
			for _, v := range route.values {
				r.SetPathValue(v.name, v.value)
			}
			route.handler.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// routable reports whether r may take a remembered route: a GET or HEAD
// without a body (nothing for limitBody to bound, nothing for the
// cross-origin check to refuse), whose path is written in the one way its
// bytes are (the mux matches the escaped path: "/tags/a%2Fb/" must not be
// taken for "/tags/a/b/"), on a site at the root of its host (nothing for
// underPrefix to cut).
func (s *Server) routable(r *http.Request) bool {
	return (r.Method == http.MethodGet || r.Method == http.MethodHead) && r.ContentLength == 0 &&
		r.URL.RawPath == "" && s.facts(s.opts.Content.Current()).prefix == ""
}

// knownRoute is the remembered route of r's path, or nil.
func (s *Server) knownRoute(r *http.Request) *knownRoute {
	if !s.routable(r) {
		return nil
	}
	route, ok := s.keptRoutes.byPath.Load(r.URL.Path)
	if !ok {
		return nil
	}
	return route.(*knownRoute)
}

// rememberRoute remembers the route of a request served a kept page, the
// first time its path is. A path remembered already (every request the
// shortcut routed) costs one lookup.
func (s *Server) rememberRoute(r *http.Request) {
	if r.Pattern == "" {
		return
	}
	if _, ok := s.keptRoutes.byPath.Load(r.URL.Path); ok || !s.routable(r) {
		return
	}
	h, pattern := s.mux.Handler(r)
	if pattern != r.Pattern {
		return // not the mux's own choice (a handler called another)
	}
	route := &knownRoute{handler: h, pattern: pattern}
	for _, name := range wildcards(pattern) {
		route.values = append(route.values, pathValue{name, r.PathValue(name)})
	}
	if s.keptRoutes.n.Add(1) > maxKnownRoutes {
		s.keptRoutes.byPath.Clear()
		s.keptRoutes.n.Store(1)
	}
	s.keptRoutes.byPath.Store(r.URL.Path, route)
}

// wildcards are the names of a mux pattern's wildcards, in order:
// "GET /tags/{tag}/page/{n}/{$}" has tag and n.
func wildcards(pattern string) []string {
	var names []string
	for {
		_, rest, ok := strings.Cut(pattern, "{")
		if !ok {
			return names
		}
		name, after, _ := strings.Cut(rest, "}")
		if name = strings.TrimSuffix(name, "..."); name != "$" {
			names = append(names, name)
		}
		pattern = after
	}
}
