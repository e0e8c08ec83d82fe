package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"milepost/internal/app"
)

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestTheSampleSiteLinksToWhereverItIsServed serves the sample site as a new
// user would, without -base-url, on a port no file names: canonical and feed
// links point at that address, not at another port, and the start-up log says
// where links come from.
func TestTheSampleSiteLinksToWhereverItIsServed(t *testing.T) {
	var logs lockedBuffer
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, app.ServeConfig{
			Addr:       "127.0.0.1:0",
			ContentDir: filepath.Join("..", "..", "content"),
			DBPath:     filepath.Join(t.TempDir(), "milepost.db"),
			Log:        slog.New(slog.NewTextHandler(&logs, nil)),
			Ready:      func(addr string) { ready <- addr },
		})
	}()
	var base string
	select {
	case addr := <-ready:
		base = "http://" + addr
	case err := <-done:
		cancel()
		t.Fatalf("Serve stopped before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("Serve did not become ready")
	}
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()

	if !strings.Contains(logs.String(), "no base_url set: links use the address each request came to") {
		t.Errorf("the start-up log does not say where links come from:\n%s", logs.String())
	}
	home := get(t, base+"/")
	for _, want := range []string{
		`<link rel="canonical" href="` + base + `/">`,
		`title="Milepost (RSS)" href="` + base + `/feed.xml">`,
	} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %s", want)
		}
	}
	if feed := get(t, base+"/feed.xml"); !strings.Contains(feed, "<link>"+base+"/posts/massage-during-training/</link>") {
		t.Errorf("the feed's story link is not at %s:\n%.600s", base, feed)
	}
}
