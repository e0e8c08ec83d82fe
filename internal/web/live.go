package web

import (
	"bytes"
	_ "embed"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
	"weak"

	"milepost/internal/content"
)

// serve -live reloads a browser tab when the content changes, as Hugo's
// server does: every reader's page loads /static/live.js, which listens to
// the Server-Sent Events of /_live/events, and the content security policy
// allows scripts from the site itself. Both routes exist only in that
// mode, and only then does any page name the script: a site served
// without -live runs no script at all. Admin pages, the editor's among
// them, never load it: a reload would lose what is being typed.
//
// The script is the server's, not the theme's: a theme cannot change how
// live reload works, nor serve the script without -live.

//go:embed live.js
var liveScript []byte

// Changes tells of the content's reloads; content.Source is one.
type Changes interface {
	// Subscribe returns a channel that receives a value after each
	// reload, and the function that ends the subscription.
	Subscribe() (<-chan struct{}, func())
}

// liveHeartbeat is how often an idle event stream gets a comment line, so
// that proxies and browsers, which close a connection silent for a minute
// or so, keep it open.
const liveHeartbeat = 15 * time.Second

// liveState is what the event streams share: the version numbers of the
// sites they announce, and the end of the server.
type liveState struct {
	// started tells this process's versions from an earlier one's, so a
	// tab open across a restart reloads.
	started string

	// versions numbers each Site in the order it was first named, so
	// that pages and event streams name a Site alike whichever comes
	// first — a page rendered from the Site just replaced included. The
	// pointers are weak: a Site no longer served is not kept for its
	// number, and its entry goes when it is collected.
	mu       sync.Mutex
	versions map[weak.Pointer[content.Site]]uint64
	last     uint64

	// closing is closed by Shutdown: the streams end, as they would
	// otherwise hold up a graceful shutdown.
	closing   chan struct{}
	closeOnce sync.Once
	heartbeat time.Duration
}

func newLiveState(now time.Time) *liveState {
	return &liveState{
		started:   strconv.FormatInt(now.UnixNano(), 36),
		versions:  make(map[weak.Pointer[content.Site]]uint64),
		closing:   make(chan struct{}),
		heartbeat: liveHeartbeat,
	}
}

// versionOf names the site: a new name for each Site swapped in, the
// same name for it every time.
func (l *liveState) versionOf(site *content.Site) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	key := weak.Make(site)
	n, ok := l.versions[key]
	if !ok {
		for k := range l.versions {
			if k.Value() == nil {
				delete(l.versions, k)
			}
		}
		l.last++
		n = l.last
		l.versions[key] = n
	}
	return l.started + "-" + strconv.FormatUint(n, 10)
}

// Shutdown ends the server's long-lived responses, serve -live's event
// streams, which http.Server.Shutdown would otherwise wait for until its
// deadline: register it with http.Server.RegisterOnShutdown. Pages and
// other requests are left to finish.
func (s *Server) Shutdown() {
	if s.live != nil {
		s.live.closeOnce.Do(func() { close(s.live.closing) })
	}
}

func (s *Server) liveRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /static/live.js", s.liveJS)
	m.HandleFunc("GET /_live/events", s.liveEvents)
}

// liveJS serves the script every page loads under serve -live.
func (s *Server) liveJS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(liveScript))
}

// liveEvents streams a "version" event naming the content being served:
// once on connecting, then after each reload. It ends when the client goes
// away or the server shuts down.
func (s *Server) liveEvents(w http.ResponseWriter, r *http.Request) {
	changes, stop := s.opts.Live.Subscribe()
	defer stop()
	rc := http.NewResponseController(w)
	// The stream outlives the server's write timeout, which is for pages.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		s.log.WarnContext(r.Context(), "an event stream cannot lift its write deadline; it ends with it", "err", err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	// Proxies that buffer responses (nginx) would hold the events back.
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)

	send := func(format string, args ...any) bool {
		if _, err := fmt.Fprintf(w, format, args...); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	// retry: the browser reconnects a second after losing the stream (a
	// restart), not after its default of several.
	if !send("retry: 1000\nevent: version\ndata: %s\n\n", s.live.versionOf(s.opts.Content.Current())) {
		return
	}
	beat := time.NewTicker(s.live.heartbeat)
	defer beat.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.live.closing:
			return
		case <-changes:
			if !send("event: version\ndata: %s\n\n", s.live.versionOf(s.opts.Content.Current())) {
				return
			}
		case <-beat.C:
			if !send(": heartbeat\n\n") {
				return
			}
		}
	}
}
