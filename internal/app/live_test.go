package app_test

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
)

// liveSite is a content directory of one post, which tests change.
func liveSite(t *testing.T) (dir, postFile string) {
	t.Helper()
	dir = t.TempDir()
	postFile = filepath.Join(dir, "posts", "long-run.md")
	for name, text := range map[string]string{
		"site.yaml":         "title: Live\n",
		"posts/long-run.md": "---\ntitle: Long run\ndate: 2024-05-01\n---\nTwenty miles.\n",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, postFile
}

// eventStream is an open GET /_live/events, read line by line.
type eventStream struct {
	res   *http.Response
	lines chan string
}

func openEvents(t *testing.T, ctx context.Context, base string) *eventStream {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/_live/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("opening the event stream: %v", err)
	}
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		res.Body.Close()
		t.Fatalf("event stream: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	s := &eventStream{res: res, lines: make(chan string, 100)}
	go func() {
		defer close(s.lines)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { res.Body.Close() })
	return s
}

// nextVersion waits for the next version event and returns its data.
func (s *eventStream) nextVersion(t *testing.T, within time.Duration) string {
	t.Helper()
	deadline := time.After(within)
	event := ""
	for {
		select {
		case l, ok := <-s.lines:
			if !ok {
				t.Fatal("the event stream ended")
			}
			switch {
			case l == "event: version":
				event = "version"
			case event == "version" && strings.HasPrefix(l, "data: "):
				return strings.TrimPrefix(l, "data: ")
			}
		case <-deadline:
			t.Fatalf("no version event within %v", within)
		}
	}
}

func TestServeLiveTellsOpenPagesWhenAPostFileChanges(t *testing.T) {
	dir, postFile := liveSite(t)
	srv := startWith(t, app.ServeConfig{ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "m.db"), Live: true,
		WatchInterval: 100 * time.Millisecond})
	defer srv.stop()

	// Every page loads the script, which the policy allows from the site.
	res, err := http.Get(srv.base + "/posts/long-run/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP under -live: %s", csp)
	}
	pageVersion(t, get(t, srv.base+"/posts/long-run/")) // the page loads live.js
	if js := get(t, srv.base+"/static/live.js"); !strings.Contains(js, "EventSource") {
		t.Errorf("live.js: %s", js)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	events := openEvents(t, ctx, srv.base)
	first := events.nextVersion(t, 5*time.Second)
	if err := os.WriteFile(postFile, []byte("---\ntitle: Long run\ndate: 2024-05-01\n---\nTwenty-two miles.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute) // a change even on a coarse clock
	if err := os.Chtimes(postFile, later, later); err != nil {
		t.Fatal(err)
	}
	if next := events.nextVersion(t, 5*time.Second); next == first {
		t.Errorf("after the change the version is still %q", next)
	}
	if page := get(t, srv.base+"/posts/long-run/"); !strings.Contains(page, "Twenty-two miles.") {
		t.Error("the page does not show the change")
	}
}

func TestServeWithoutLiveServesNoScriptAndNoEventStream(t *testing.T) {
	dir, _ := liveSite(t)
	srv := startWith(t, app.ServeConfig{ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "m.db")})
	defer srv.stop()
	for _, path := range []string{"/static/live.js", "/_live/events"} {
		if code, _ := status(t, srv.base+path); code != http.StatusNotFound {
			t.Errorf("GET %s without -live: %d, want 404", path, code)
		}
	}
	res, err := http.Get(srv.base + "/posts/long-run/")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if csp := res.Header.Get("Content-Security-Policy"); !strings.HasSuffix(csp, "script-src 'none'") || strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP without -live: %s", csp)
	}
	if page := get(t, srv.base+"/posts/long-run/"); strings.Contains(page, "<script") || strings.Contains(page, "live.js") {
		t.Errorf("a page names a script without -live:\n%s", page)
	}
}

func TestLiveEventStreamsEndWithTheirClientAndWithTheServer(t *testing.T) {
	dir, _ := liveSite(t)
	srv := startWith(t, app.ServeConfig{ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "m.db"), Live: true,
		ShutdownTimeout: 20 * time.Second})
	stopped := false
	defer func() {
		if !stopped {
			srv.stop()
		}
	}()
	before := settledGoroutines(t, -1)

	// Clients that go away take their stream's goroutines with them.
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		s := openEvents(t, ctx, srv.base)
		s.nextVersion(t, 5*time.Second)
		cancel()
		for range s.lines { // until the body is closed
		}
	}
	http.DefaultClient.CloseIdleConnections()
	if after := settledGoroutines(t, before); after > before {
		t.Errorf("%d goroutines after five streams came and went, %d before", after, before)
	}

	// A stream still open does not hold up the shutdown: it ends at once.
	s := openEvents(t, context.Background(), srv.base)
	s.nextVersion(t, 5*time.Second)
	began := time.Now()
	stopped = true
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("shutting down with an open event stream took %v", took)
	}
	select {
	case _, open := <-s.lines:
		for open {
			_, open = <-s.lines
		}
	case <-time.After(5 * time.Second):
		t.Error("the event stream is still open after the shutdown")
	}
}

// settledGoroutines waits for the number of goroutines to come down to
// want (or to stop changing, when want is -1) and returns it.
func settledGoroutines(t *testing.T, want int) int {
	t.Helper()
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		m := runtime.NumGoroutine()
		if (want >= 0 && m <= want) || (want < 0 && m == n) {
			return m
		}
		n = m
	}
	return n
}
