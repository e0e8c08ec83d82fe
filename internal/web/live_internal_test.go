package web

import (
	"bufio"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"milepost/internal/content"
)

func TestAnIdleEventStreamGetsHeartbeatComments(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte("title: Live\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := content.NewSource(context.Background(), dir, content.Overrides{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: Options{Content: src, Live: src}, log: slog.New(slog.DiscardHandler), live: newLiveState(time.Now())}
	s.live.heartbeat = 20 * time.Millisecond // liveHeartbeat is 15 s
	srv := httptest.NewServer(http.HandlerFunc(s.liveEvents))
	defer srv.Close()

	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	beats := 0
	for deadline := time.After(5 * time.Second); beats < 3; {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("the stream ended")
			}
			if l == ": heartbeat" {
				beats++
			}
		case <-deadline:
			t.Fatalf("%d heartbeats in 5 s", beats)
		}
	}
	s.Shutdown()
	for range lines { // the stream ends
	}
}

// A page rendered from the Site just replaced, and an event stream of the
// new one, may ask in either order: each Site keeps its one name.
func TestEachSiteKeepsItsLiveVersionWhateverAsksFirst(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte("title: Live\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	load := func() *content.Site {
		site, err := content.Load(context.Background(), dir, content.Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		return site
	}
	older, newer := load(), load()
	l := newLiveState(time.Now())
	first := l.versionOf(older)
	second := l.versionOf(newer)
	if first == second {
		t.Fatalf("two Sites are both %q", first)
	}
	if again := l.versionOf(older); again != first {
		t.Errorf("the older Site, named again after the newer: %q, first %q", again, first)
	}
	if again := l.versionOf(newer); again != second {
		t.Errorf("the newer Site, named again: %q, first %q", again, second)
	}
}
