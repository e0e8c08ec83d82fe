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
