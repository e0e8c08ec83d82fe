package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
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
	return startWith(t, app.ServeConfig{DBPath: db})
}

// startWith runs Serve with cfg on a free loopback port, serving the sample
// content unless cfg names other content.
func startWith(t *testing.T, cfg app.ServeConfig) running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	cfg.Addr = "127.0.0.1:0"
	if cfg.ContentDir == "" {
		cfg.ContentDir = filepath.Join("..", "..", "content")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://milepost.test"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfg.Ready = func(addr string) { ready <- addr }
	go func() { done <- app.Serve(ctx, cfg) }()
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

// get is package app's own (mail_test.go): a GET that must answer 200.
var get = app.Get

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
	var logs lockedBuffer
	srv := startWith(t, app.ServeConfig{DBPath: filepath.Join(t.TempDir(), "m.db"), DebugAddr: "127.0.0.1:0",
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	var heap map[string]uint64
	res, err := http.Get(debugHeapURL(t, &logs))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if err := json.NewDecoder(res.Body).Decode(&heap); err != nil || heap["heap_alloc"] == 0 || heap["num_gc"] == 0 {
		t.Fatalf("/debug/heap = %v, %v", heap, err)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
}

// debugHeapURL reads where the debug server listens from the start-up log.
// Tests give the debug server port 0: a port picked beforehand could be
// taken by another process before Serve binds it.
func debugHeapURL(t *testing.T, logs *lockedBuffer) string {
	t.Helper()
	m := regexp.MustCompile(`msg="debug server listening" url=(http://\S+/debug/heap)`).FindStringSubmatch(logs.String())
	if m == nil {
		t.Fatalf("the start-up log does not say where the debug server listens:\n%s", logs.String())
	}
	return m[1]
}

// status fetches u and returns its status code and body.
func status(t *testing.T, u string) (int, string) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// TestThemeLinksOutsideTheThemeAreNotServed is the attack of issue 7 item 9:
// a symbolic link in the -theme directory to a file outside it — the live
// database — must not be served.
func TestThemeLinksOutsideTheThemeAreNotServed(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "data", "milepost.db")
	theme := filepath.Join(dir, "theme")
	if err := os.MkdirAll(filepath.Join(theme, "static"), 0o755); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(dir, "secret.txt")
	if err := os.WriteFile(secret, []byte("operator's secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{"link": secret, "db": db, "up": dir} {
		if err := os.Symlink(target, filepath.Join(theme, "static", name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(theme, "static", "extra.css"), []byte("p{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	srv := startWith(t, app.ServeConfig{DBPath: db, ThemeDir: theme})
	defer srv.stop()
	for _, path := range []string{"/static/link", "/static/db", "/static/up/secret.txt", "/static/up/data/milepost.db"} {
		code, body := status(t, srv.base+path)
		if code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, code)
		}
		if strings.Contains(body, "operator's secret") || strings.Contains(body, "bolt") {
			t.Errorf("GET %s served the file outside the theme", path)
		}
	}
	// The theme's own files and the default theme's still are.
	for _, path := range []string{"/static/extra.css", "/static/style.css"} {
		if code, _ := status(t, srv.base+path); code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", path, code)
		}
	}
}

func TestThemeTemplateLinkedFromOutsideIsNotLoaded(t *testing.T) {
	dir := t.TempDir()
	theme := filepath.Join(dir, "theme")
	if err := os.MkdirAll(filepath.Join(theme, "templates"), 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(dir, "post.html")
	if err := os.WriteFile(outside, []byte(`{{define "main"}}from outside the theme{{end}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(theme, "templates", "post.html")); err != nil {
		t.Fatal(err)
	}
	// A Serve that loaded the template would run until the deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	err := app.Serve(ctx, app.ServeConfig{
		Addr: "127.0.0.1:0", ContentDir: filepath.Join("..", "..", "content"), DBPath: filepath.Join(dir, "m.db"),
		ThemeDir: theme, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err == nil || !strings.Contains(err.Error(), "post.html") {
		t.Fatalf("Serve with a template linked from outside the theme: %v; want it refused, naming the file", err)
	}
}

// keepAliveRequest opens a keep-alive connection to base and sends one request on
// it, leaving it open; the response arrives on the returned reader.
func keepAliveRequest(t *testing.T, base string) (net.Conn, *bufio.Reader) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: "+u.Host+"\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	return c, bufio.NewReader(c)
}

// answered reads one response from r within d, and says whether there was
// one.
func answered(t *testing.T, c net.Conn, r *bufio.Reader, d time.Duration) bool {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode == http.StatusOK
}

// TestConnectionLimitHoldsExtraClientsUntilOneCloses: with MaxConns open
// connections, the next client is not served until one of them closes.
func TestConnectionLimitHoldsExtraClientsUntilOneCloses(t *testing.T) {
	srv := startWith(t, app.ServeConfig{DBPath: filepath.Join(t.TempDir(), "m.db"), MaxConns: 2})
	defer srv.stop()
	first, r1 := keepAliveRequest(t, srv.base)
	second, r2 := keepAliveRequest(t, srv.base)
	if !answered(t, first, r1, 5*time.Second) || !answered(t, second, r2, 5*time.Second) {
		t.Fatal("the first two connections were not served")
	}
	third, r3 := keepAliveRequest(t, srv.base)
	if answered(t, third, r3, 500*time.Millisecond) {
		t.Fatal("a third connection was served while two were open with MaxConns 2")
	}
	first.Close()
	if !answered(t, third, r3, 5*time.Second) {
		t.Error("the third connection was not served once the first closed")
	}
}

func TestIdleKeepAliveConnectionsAreClosed(t *testing.T) {
	if app.DefaultIdleTimeout > 30*time.Second {
		t.Errorf("DefaultIdleTimeout = %v; idle connections hold connection slots, keep it at 30s or less", app.DefaultIdleTimeout)
	}
	srv := startWith(t, app.ServeConfig{DBPath: filepath.Join(t.TempDir(), "m.db"), IdleTimeout: 200 * time.Millisecond})
	defer srv.stop()
	c, r := keepAliveRequest(t, srv.base)
	if !answered(t, c, r, 5*time.Second) {
		t.Fatal("not served")
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.ReadByte(); err != io.EOF {
		t.Errorf("reading from an idle connection: %v, want the server to close it (EOF)", err)
	}
}

func TestDebugAddressMustBeLoopbackUnlessForced(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0", "example.com:0"} {
		// A Serve that accepted the address would run until the deadline.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := app.Serve(ctx, app.ServeConfig{
			Addr: "127.0.0.1:0", ContentDir: filepath.Join("..", "..", "content"), DBPath: filepath.Join(t.TempDir(), "m.db"),
			DebugAddr: addr, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		cancel()
		if err == nil || !strings.Contains(err.Error(), "-debug-addr-public") {
			t.Errorf("-debug-addr %s: %v; want a refusal that names -debug-addr-public", addr, err)
		}
	}
	// Forced, an address on every interface is served.
	var logs lockedBuffer
	srv := startWith(t, app.ServeConfig{DBPath: filepath.Join(t.TempDir(), "m.db"), DebugAddr: ":0", DebugAddrPublic: true,
		Log: slog.New(slog.NewTextHandler(&logs, nil))})
	defer srv.stop()
	_, port, _ := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(debugHeapURL(t, &logs), "http://"), "/debug/heap"))
	if code, _ := status(t, "http://127.0.0.1:"+port+"/debug/heap"); code != http.StatusOK {
		t.Errorf("forced public debug address: /debug/heap %d", code)
	}
}
