//go:build unix

package app_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"milepost/internal/app"
)

// blockedContent is a copy of the sample content whose site.yaml is a
// named pipe: loading it waits until release writes the settings into the
// pipe, so a test holds the server where it is between opening its port
// and serving the site. Once the load has read them, site.yaml becomes a
// plain file with the same settings.
func blockedContent(t *testing.T) (dir string, release func()) {
	t.Helper()
	dir = t.TempDir()
	sample := filepath.Join("..", "..", "content")
	if err := os.CopyFS(dir, os.DirFS(sample)); err != nil {
		t.Fatal(err)
	}
	settings, err := os.ReadFile(filepath.Join(sample, "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	pipe := filepath.Join(dir, "site.yaml")
	if err := os.Remove(pipe); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(pipe, 0o644); err != nil {
		t.Skipf("no named pipes here: %v", err)
	}
	regular := filepath.Join(t.TempDir(), "site.yaml")
	if err := os.WriteFile(regular, settings, 0o644); err != nil {
		t.Fatal(err)
	}
	stop, done, released := make(chan struct{}), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		select {
		case <-released:
		case <-stop:
			return
		}
		f, err := os.OpenFile(pipe, os.O_WRONLY, 0) // waits for the load to read
		if err != nil {
			t.Error(err)
			return
		}
		f.Write(settings)
		f.Close()
		// The load has its settings; from now on site.yaml is a plain
		// file, for the watcher.
		if err := os.Rename(regular, pipe); err != nil {
			t.Error(err)
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
	})
	return dir, func() { close(released) }
}

// The port opens before the content loads: while it loads, every request,
// /healthz included, is answered 503 with Retry-After, and the site is
// served as soon as it is loaded.
func TestRequestsWhileLoadingAreAnswered503(t *testing.T) {
	dir, release := blockedContent(t)
	ctx, cancel := context.WithCancel(context.Background())
	listening, ready := make(chan string, 1), make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, app.ServeConfig{
			Addr: "127.0.0.1:0", ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "milepost.db"),
			BaseURL: "http://milepost.test", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Listening: func(addr string) { listening <- addr },
			Ready:     func(addr string) { ready <- addr },
		})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	var base string
	select {
	case addr := <-listening:
		base = "http://" + addr
	case err := <-done:
		t.Fatalf("Serve stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("the port did not open")
	}
	for _, path := range []string{"/", "/healthz", "/posts/massage-during-training/", "/feed.xml"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") != "1" ||
			!strings.Contains(string(body), "loading") {
			t.Errorf("GET %s while loading: %d, Retry-After %q, %q; want 503, Retry-After 1 and a word that it is loading",
				path, resp.StatusCode, resp.Header.Get("Retry-After"), body)
		}
	}
	select {
	case <-ready:
		t.Fatal("Ready before the content could be read")
	default:
	}

	release()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Serve stopped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not become ready once the content could be read")
	}
	for path, want := range map[string]string{"/healthz": "ok", "/": "Massage during training"} {
		if code, body := status(t, base+path); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s once loaded: %d %.80q, want 200 with %q", path, code, body, want)
		}
	}
}

// A port in use is reported at once, before any content is read: here the
// content would never finish loading.
func TestBusyPortIsReportedBeforeLoading(t *testing.T) {
	dir, _ := blockedContent(t) // never released
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(context.Background(), app.ServeConfig{
			Addr: busy.Addr().String(), ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "milepost.db"),
			Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
	}()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "listening on "+busy.Addr().String()) ||
			!strings.Contains(err.Error(), "address already in use") {
			t.Errorf("Serve on a busy port: %v, want the listen error", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve on a busy port did not fail: it is waiting for the content instead")
	}
}
