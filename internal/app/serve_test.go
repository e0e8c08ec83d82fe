package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
	"milepost/internal/bolt"

	"github.com/mmcdole/gofeed"
)

// running is one Serve call on a free port, stopped by stop.
type running struct {
	base string
	stop func() error
}

func start(t *testing.T, db string) running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, app.ServeConfig{
			Addr:       "127.0.0.1:0",
			ContentDir: filepath.Join("..", "..", "content"),
			DBPath:     db,
			BaseURL:    "http://milepost.test",
			Log:        slog.New(slog.NewTextHandler(io.Discard, nil)),
			Ready:      func(addr string) { ready <- addr },
		})
	}()
	select {
	case addr := <-ready:
		return running{base: "http://" + addr, stop: func() error { cancel(); return <-done }}
	case err := <-done:
		cancel()
		t.Fatalf("Serve stopped before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("Serve did not become ready")
	}
	return running{}
}

func get(t *testing.T, u string) string {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	return string(b)
}

const (
	firstComment  = "I’ve gotten a few massages throughout training, mostly when I was hurting from the workouts."
	secondComment = "Got a massage yesterday from a woman from Eugene who was up in pdx for a technique conference."
)

// TestNewcomersFirstRun is what a new user sees on a fresh clone: the sample
// post with its author and both seed comments, the feeds, and a comment of
// their own that survives a restart.
func TestNewcomersFirstRun(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "milepost.db")
	srv := start(t, db)

	home := get(t, srv.base+"/")
	for _, want := range []string{"Massage during training", "Kay-Kay&#39;s Bird Club", "2 comments", "October 3, 2011"} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %q", want)
		}
	}
	page := get(t, srv.base+"/posts/massage-during-training/")
	for _, want := range []string{
		"Just got home from a massage… a heavenly massage. Feeling very mellow.",
		"I am a happy, relaxed, resting runner.",
		"Sunday is the marathon. I didn’t want to massaged too close to the event. What do others out there do?",
		"Hat-maker, Bird lover, Star gazer, Scooter rider, and Running fool.",
		firstComment,
		secondComment,
		"Pressure point work on the points where the muscle/tendon connect to my hip and pubic bones",
		"Anonymous reader",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("post page lacks %q", want)
		}
	}
	if strings.Index(page, firstComment) > strings.Index(page, secondComment) {
		t.Error("seed comments are not oldest first")
	}

	for _, path := range []string{"/feed.xml", "/atom.xml", "/feed.json"} {
		f, err := gofeed.NewParser().ParseString(get(t, srv.base+path))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(f.Items) != 1 || f.Items[0].Link != "http://milepost.test/posts/massage-during-training/" ||
			!strings.Contains(f.Items[0].Content, "I am a happy, relaxed, resting runner.") {
			t.Errorf("%s: unexpected items %+v", path, f.Items)
		}
	}

	// A comment posted through the form...
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.PostForm(srv.base+"/posts/massage-during-training/comments", url.Values{
		"name": {"New Runner"}, "body": {"Massage the Monday before worked for me too."},
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("posting a comment: %d", res.StatusCode)
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}

	// ...survives a restart, and the seed comments are not loaded twice.
	srv = start(t, db)
	defer srv.stop()
	page = get(t, srv.base+"/posts/massage-during-training/")
	if !strings.Contains(page, "Massage the Monday before worked for me too.") {
		t.Error("the posted comment did not survive a restart")
	}
	if n := strings.Count(page, firstComment); n != 1 {
		t.Errorf("first seed comment shown %d times, want 1", n)
	}
	if !strings.Contains(page, "3 comments") {
		t.Error("post page does not count 3 comments")
	}
}

func TestDeletedSeedCommentStaysDeleted(t *testing.T) {
	db := filepath.Join(t.TempDir(), "milepost.db")
	srv := start(t, db)
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	store, err := bolt.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Delete(context.Background(), 1); err != nil {
		t.Fatalf("deleting seed comment 1: %v", err)
	}
	store.Close()

	srv = start(t, db)
	defer srv.stop()
	page := get(t, srv.base+"/posts/massage-during-training/")
	if strings.Contains(page, firstComment) {
		t.Error("a deleted seed comment came back after a restart")
	}
	if !strings.Contains(page, secondComment) {
		t.Error("the other seed comment is gone")
	}
}

func TestSecondServerOnTheSameDatabaseFailsFast(t *testing.T) {
	db := filepath.Join(t.TempDir(), "milepost.db")
	srv := start(t, db)
	defer srv.stop()

	begin := time.Now()
	err := app.Serve(context.Background(), app.ServeConfig{
		Addr: "127.0.0.1:0", ContentDir: filepath.Join("..", "..", "content"), DBPath: db,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err == nil || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Serve: %v, want an in-use error", err)
	}
	if took := time.Since(begin); took > 2*time.Second {
		t.Errorf("second Serve took %v to fail, want under 2s", took)
	}
	if errors.Is(err, context.Canceled) {
		t.Error("error is a cancellation, not the lock")
	}
}

func TestDebugAddressReportsTheLiveHeap(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, app.ServeConfig{
			Addr: "127.0.0.1:0", ContentDir: filepath.Join("..", "..", "content"), DBPath: filepath.Join(t.TempDir(), "m.db"),
			DebugAddr: addr, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Ready: func(a string) { ready <- a },
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatal(err)
	}
	var heap map[string]uint64
	res, err := http.Get("http://" + addr + "/debug/heap")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&heap); err != nil || heap["heap_alloc"] == 0 || heap["num_gc"] == 0 {
		t.Fatalf("/debug/heap = %v, %v", heap, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
