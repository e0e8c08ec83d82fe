package app_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
)

var liveScriptTag = regexp.MustCompile(`<script src="/static/live.js" data-version="([^"]+)" defer></script>`)

// pageVersion is the content version a page says it was rendered from.
func pageVersion(t *testing.T, page string) string {
	t.Helper()
	m := liveScriptTag.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the page loads no live.js with its version:\n%s", page)
	}
	return m[1]
}

// A change saved while a page loads (after it was rendered, before its
// script connects) still reloads it: the script compares the stream's
// version with the one the page was rendered from, not with the first
// the stream names.
func TestServeLivePagesSayWhichContentTheyWereRenderedFrom(t *testing.T) {
	dir, postFile := liveSite(t)
	srv := startWith(t, app.ServeConfig{ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "m.db"), Live: true,
		WatchInterval: 100 * time.Millisecond})
	defer srv.stop()

	shown := pageVersion(t, get(t, srv.base+"/posts/long-run/"))
	ctx, cancel := context.WithCancel(context.Background())
	if v := openEvents(t, ctx, srv.base).nextVersion(t, 5*time.Second); v != shown {
		t.Errorf("the stream names the content %q, the page rendered from it %q", v, shown)
	}
	cancel()

	// The page was rendered; the file changes before its script connects.
	if err := os.WriteFile(postFile, []byte("---\ntitle: Long run\ndate: 2024-05-01\n---\nTwenty-two miles.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute) // a change even on a coarse clock
	if err := os.Chtimes(postFile, later, later); err != nil {
		t.Fatal(err)
	}
	var now string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if page := get(t, srv.base+"/posts/long-run/"); strings.Contains(page, "Twenty-two miles.") {
			now = pageVersion(t, page)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the change was not served within 5 s")
		}
	}
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	connected := openEvents(t, ctx, srv.base).nextVersion(t, 5*time.Second)
	if connected == shown {
		t.Errorf("a script connecting after the change is told %q, the version its page was rendered from: it would not reload", connected)
	}
	if connected != now {
		t.Errorf("the stream names %q, a page rendered after the change %q", connected, now)
	}
}

// Only a reader's page asked for with GET reloads by itself: an admin page
// or a form shown back after a POST would lose what is typed, or ask to
// send it again.
func TestServeLiveLeavesAdminPagesAndAnswersToFormsAlone(t *testing.T) {
	dir, _ := liveSite(t)
	srv := startWith(t, app.ServeConfig{ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "m.db"), Live: true})
	defer srv.stop()

	pageVersion(t, get(t, srv.base+"/posts/long-run/")) // a reader's page does
	if page := get(t, srv.base+"/admin/login"); strings.Contains(page, "<script") {
		t.Errorf("the sign-in page loads a script under -live:\n%s", page)
	}
	res, err := http.PostForm(srv.base+"/posts/long-run/comments", url.Values{"name": {"Kay"}, "body": {""}})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(page), "</html>") {
		t.Fatalf("a refused comment: %d, no page:\n%s", res.StatusCode, page)
	}
	if strings.Contains(string(page), "<script") {
		t.Errorf("the page answering a comment form (%d) loads a script under -live:\n%s", res.StatusCode, page)
	}
}
