package deploy_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/http/httputil"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/crypto/bcrypt"

	"milepost/internal/accounts"
	"milepost/internal/app"
	"milepost/internal/deploy"
	"milepost/internal/web"
)

// These tests run Debian's nginx with the shipped configuration in front of
// a real `milepost serve` (app.Serve on the sample site, with a bbolt file
// in a temporary directory), all on loopback.

const (
	postPath      = "/posts/massage-during-training/"
	adminName     = "nginx-admin"
	adminPassword = "correct horse battery"
)

// siteOptions change how startSite runs serve.
type siteOptions struct {
	guards web.Guards
	maxAge time.Duration // serve -cache-max-age; 0: its default
	// trustProxy runs serve with -trusted-proxy 127.0.0.1, the address
	// nginx connects from.
	trustProxy bool
	live       bool
	// between, when set, stands between nginx and serve.
	between func(serve http.Handler) http.Handler
}

// site is nginx in front of serve.
type site struct {
	nginx *deploy.Nginx
	// serveLog is everything serve logged (its access log names each
	// request's client address).
	serveLog *lockedBuffer
}

// startSite serves a copy of the sample site, with an admin account, behind
// nginx, until the test ends. On failure the test log shows nginx's error
// log.
func startSite(t *testing.T, o siteOptions) *site {
	t.Helper()
	bin := requireNginx(t)
	dir := t.TempDir()
	contentDir := filepath.Join(dir, "content")
	if err := os.CopyFS(contentDir, os.DirFS(filepath.Join("..", "..", "content"))); err != nil {
		t.Fatalf("copying the sample site: %v", err)
	}
	dbPath := filepath.Join(dir, "data", "milepost.db")
	err := app.UserAdd(t.Context(), app.UsersConfig{
		DBPath: dbPath, PasswordStdin: true, Stdin: strings.NewReader(adminPassword + "\n"),
		Stdout: io.Discard, Stderr: io.Discard, BcryptCost: bcrypt.MinCost,
	}, adminName, accounts.RoleAdmin)
	if err != nil {
		t.Fatalf("adding the admin: %v", err)
	}

	guards := o.guards
	if o.trustProxy {
		guards.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	}
	logBuf := &lockedBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- app.Serve(ctx, app.ServeConfig{
			Addr: "127.0.0.1:0", ContentDir: contentDir, DBPath: dbPath,
			Guards: guards, CacheMaxAge: o.maxAge, Live: o.live, CommentRate: 100,
			Log:   slog.New(slog.NewTextHandler(logBuf, nil)),
			Ready: func(addr string) { ready <- addr },
		})
	}()
	var upstream string
	select {
	case upstream = <-ready:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		})
	case err := <-done:
		cancel()
		t.Fatalf("serve stopped before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("serve was not ready within 10s")
	}
	if o.between != nil {
		target := &url.URL{Scheme: "http", Host: upstream}
		proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.Out.Host = r.In.Host
		}}
		mid := httptest.NewServer(o.between(proxy))
		t.Cleanup(mid.Close)
		upstream = mid.Listener.Addr().String()
	}

	n, err := deploy.StartNginx(t.Context(), deploy.NginxRun{Binary: bin, Dir: filepath.Join(dir, "nginx"), Upstream: upstream})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nginx's error log:\n%s", n.ErrorLog())
		}
		if err := n.Stop(); err != nil {
			t.Error(err)
		}
	})
	return &site{nginx: n, serveLog: logBuf}
}

// requireNginx finds nginx, or skips the test without it (fails it when CI
// is set: CI installs it).
func requireNginx(t *testing.T) string {
	t.Helper()
	bin, err := deploy.NginxBinary()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	return bin
}

// lockedBuffer is a log that serve writes while the test reads it.
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

// reply is a response with its body read, not decoded.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) cache() string { return r.header.Get("X-Cache-Status") }

// client is a reader's browser: its own cookies, from its own loopback
// address, sending exactly the headers it is told.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func (s *site) client(t *testing.T, from string) *client {
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	if from != "" {
		dialer.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	jar, _ := cookiejar.New(nil) // fails only on bad options; it has none
	return &client{t: t, base: s.nginx.URL, http: &http.Client{
		Timeout:       10 * time.Second,
		Jar:           jar,
		Transport:     &http.Transport{DialContext: dialer.DialContext, DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (c *client) do(method, path string, body io.Reader, header ...string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	if method == http.MethodPost && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b}
}

func (c *client) get(path string, header ...string) reply {
	c.t.Helper()
	return c.do(http.MethodGet, path, nil, header...)
}

func (c *client) postForm(path string, form url.Values) reply {
	c.t.Helper()
	return c.do(http.MethodPost, path, strings.NewReader(form.Encode()))
}

// TestNginxCachesReaderPages: an anonymous reader's page is fetched from
// serve once, then served by nginx, in each encoding serve negotiates —
// every one decoding to the same bytes — and answered 304 to a reader who
// holds it.
func TestNginxCachesReaderPages(t *testing.T) {
	s := startSite(t, siteOptions{})
	reader := s.client(t, "")

	for _, path := range []string{postPath, "/", "/tags/", "/feed.xml", "/static/style.css"} {
		first, second := reader.get(path), reader.get(path)
		if first.status != http.StatusOK || first.cache() != "MISS" || second.cache() != "HIT" {
			t.Errorf("GET %s twice: %d %q, then %q; want 200 MISS, then HIT", path, first.status, first.cache(), second.cache())
		}
		if !bytes.Equal(first.body, second.body) {
			t.Errorf("GET %s: the cached body differs from the first", path)
		}
	}

	plain := reader.get(postPath)
	if plain.header.Get("Content-Encoding") != "" || !bytes.Contains(plain.body, []byte("Massage during training")) {
		t.Fatalf("GET %s without Accept-Encoding: Content-Encoding %q, body %.200q", postPath, plain.header.Get("Content-Encoding"), plain.body)
	}
	for _, tc := range []struct{ accept, coding string }{
		{"gzip", "gzip"},
		{"br", "br"},
		{"zstd", "zstd"},
		{"gzip, deflate, br, zstd", "zstd"},
		{"gzip, br;q=0.5", "gzip"},
	} {
		first := reader.get(postPath, "Accept-Encoding", tc.accept)
		second := reader.get(postPath, "Accept-Encoding", tc.accept)
		if first.cache() != "MISS" || second.cache() != "HIT" {
			t.Errorf("Accept-Encoding %q: %q, then %q; want MISS, then HIT (an entry per Accept-Encoding)", tc.accept, first.cache(), second.cache())
		}
		for _, r := range []reply{first, second} {
			if got := r.header.Get("Content-Encoding"); got != tc.coding {
				t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tc.accept, got, tc.coding)
				continue
			}
			if !strings.Contains(r.header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("Accept-Encoding %q: Vary %q", tc.accept, r.header.Get("Vary"))
			}
			if got := decode(t, tc.coding, r.body); !bytes.Equal(got, plain.body) {
				t.Errorf("Accept-Encoding %q (%s): decodes to %d bytes unlike the plain page's %d", tc.accept, r.cache(), len(got), len(plain.body))
			}
		}
		etag := second.header.Get("ETag")
		again := reader.get(postPath, "Accept-Encoding", tc.accept, "If-None-Match", etag)
		if again.status != http.StatusNotModified || len(again.body) != 0 {
			t.Errorf("Accept-Encoding %q, If-None-Match %s: %d with %d bytes, want 304", tc.accept, etag, again.status, len(again.body))
		}
	}
	etag := plain.header.Get("ETag")
	if r := reader.get(postPath, "If-None-Match", etag); r.status != http.StatusNotModified || r.cache() != "HIT" {
		t.Errorf("If-None-Match %s: %d %q, want 304 from the cache", etag, r.status, r.cache())
	}
	if r := reader.get(postPath, "If-None-Match", `"something-else"`); r.status != http.StatusOK || !bytes.Equal(r.body, plain.body) {
		t.Errorf("If-None-Match of other bytes: %d, want 200 with the page", r.status)
	}
}

// decode undoes a Content-Encoding.
func decode(t *testing.T, coding string, b []byte) []byte {
	t.Helper()
	var r io.Reader
	switch coding {
	case "gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("gzip: %v", err)
		}
		r = zr
	case "br":
		r = brotli.NewReader(bytes.NewReader(b))
	case "zstd":
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		defer zr.Close()
		r = zr
	default:
		t.Fatalf("no decoder for %q", coding)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decoding %s: %v", coding, err)
	}
	return out
}

// TestNginxNeverCachesPersonalPages: a signed-in admin's pages, the sign-in
// itself and a reader's page with their remembered name are never stored,
// never served from the cache, and never reach an anonymous reader.
func TestNginxNeverCachesPersonalPages(t *testing.T) {
	s := startSite(t, siteOptions{})
	admin, reader, stranger := s.client(t, ""), s.client(t, ""), s.client(t, "")

	login := admin.postForm("/admin/login", url.Values{"name": {adminName}, "password": {adminPassword}, "next": {"/admin/"}})
	if login.status != http.StatusSeeOther || !strings.Contains(login.header.Get("Set-Cookie"), "milepost_session=") {
		t.Fatalf("signing in through nginx: %d, Set-Cookie %q", login.status, login.header.Get("Set-Cookie"))
	}
	if c := login.cache(); c != "" {
		t.Errorf("the sign-in POST went through the cache: X-Cache-Status %q", c)
	}
	// The admin fetches pages first: nothing they get may be kept.
	for _, path := range []string{"/admin/", "/admin/", "/admin/comments/"} {
		r := admin.get(path)
		if r.status != http.StatusOK || !bytes.Contains(r.body, []byte("Sign out")) {
			t.Fatalf("GET %s as the admin: %d", path, r.status)
		}
		if c := r.cache(); c != "" {
			t.Errorf("GET %s as the admin: X-Cache-Status %q, want the cache not asked", path, c)
		}
	}
	for _, path := range []string{"/tags/", "/tags/"} {
		if r := admin.get(path); r.cache() != "BYPASS" {
			t.Errorf("GET %s with a session: X-Cache-Status %q, want BYPASS", path, r.cache())
		}
	}
	for _, path := range []string{"/admin/", "/admin/comments/"} {
		r := stranger.get(path)
		if r.status != http.StatusSeeOther || bytes.Contains(r.body, []byte("Sign out")) {
			t.Errorf("GET %s without a session: %d, want 303 to the sign-in", path, r.status)
		}
	}
	if r := stranger.get("/tags/"); r.cache() != "MISS" {
		t.Errorf("GET /tags/ after only the admin fetched it: %q, want MISS (nothing of theirs kept)", r.cache())
	}

	// A reader comments: their name, email and website are remembered,
	// and the form on the post's page is filled in with them.
	const email = "ada@nginx.example"
	stranger.get(postPath) // the page is in the cache
	posted := reader.postForm(postPath+"comments", url.Values{
		"name": {"Ada"}, "email": {email}, "body": {"Through the proxy."},
	})
	if posted.status != http.StatusSeeOther || !strings.Contains(strings.Join(posted.header.Values("Set-Cookie"), " "), "milepost_reader=") {
		t.Fatalf("posting a comment: %d %s", posted.status, posted.body)
	}
	own := reader.get(postPath)
	if own.cache() != "BYPASS" || !bytes.Contains(own.body, []byte(email)) {
		t.Errorf("the reader's own page: X-Cache-Status %q, email shown %v; want BYPASS with their email in the form", own.cache(), bytes.Contains(own.body, []byte(email)))
	}
	if cc := own.header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
		t.Errorf("the reader's own page: Cache-Control %q", cc)
	}
	for range 3 {
		if r := stranger.get(postPath); bytes.Contains(r.body, []byte(email)) {
			t.Fatalf("a stranger got the page with the reader's email (%s)", r.cache())
		}
	}
}

// TestNginxNeverCachesSetCookie: a response that sets a cookie is not
// kept, even one that says it may be (here a proxy between nginx and serve
// adds the cookie): it would hand one reader's cookie to the next.
func TestNginxNeverCachesSetCookie(t *testing.T) {
	s := startSite(t, siteOptions{between: func(serve http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/archive/" {
				http.SetCookie(w, &http.Cookie{Name: "visitor", Value: "one-reader-only"})
			}
			serve.ServeHTTP(w, r)
		})
	}})
	reader := s.client(t, "")
	for range 3 {
		r := reader.get("/archive/")
		if !strings.HasPrefix(r.header.Get("Cache-Control"), "public") {
			t.Fatalf("GET /archive/: Cache-Control %q; the test needs a page that says it may be shared", r.header.Get("Cache-Control"))
		}
		if r.cache() != "MISS" {
			t.Errorf("GET /archive/ with a Set-Cookie: X-Cache-Status %q, want MISS every time", r.cache())
		}
	}
	if r := reader.get("/tags/"); r.cache() != "MISS" || reader.get("/tags/").cache() != "HIT" {
		t.Errorf("a page without a cookie is not cached through the same proxy")
	}
}

var tokenField = regexp.MustCompile(`name="ts" value="([^"]+)"`)

// TestNginxShowsNewCommentWithinMaxAge: a comment posted through nginx,
// with the form of a page nginx served from its cache, shows to anonymous
// readers once the page's max-age is over: the expired page is served once
// more while nginx fetches it again, then the new one.
func TestNginxShowsNewCommentWithinMaxAge(t *testing.T) {
	const maxAge = time.Second
	s := startSite(t, siteOptions{maxAge: maxAge, guards: web.Guards{MaxFormAge: time.Hour}})
	stranger, writer := s.client(t, ""), s.client(t, "")

	if r := stranger.get(postPath); r.cache() != "MISS" {
		t.Fatalf("first GET: %q", r.cache())
	}
	page := writer.get(postPath)
	if page.cache() != "HIT" {
		t.Fatalf("second GET: %q, want HIT", page.cache())
	}
	if cc := page.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=1,") {
		t.Fatalf("Cache-Control %q, want serve's -cache-max-age 1s", cc)
	}
	m := tokenField.FindSubmatch(page.body)
	if m == nil {
		t.Fatal("the cached page has no comment form token")
	}
	const text = "Seen through the cache within a second."
	posted := writer.postForm(postPath+"comments", url.Values{"name": {"Kay"}, "body": {text}, "ts": {string(m[1])}})
	if posted.status != http.StatusSeeOther {
		t.Fatalf("posting with the cached page's form: %d %s", posted.status, posted.body)
	}
	postedAt := time.Now()
	var seen []string
	for {
		r := stranger.get(postPath)
		seen = append(seen, r.cache())
		if bytes.Contains(r.body, []byte(text)) {
			break
		}
		// max-age, plus the one request served the expired page while
		// nginx fetches the new one, plus slack for a loaded machine.
		if time.Since(postedAt) > maxAge+3*time.Second {
			t.Fatalf("the comment did not show through nginx within %v of its max-age; cache statuses %v", 3*time.Second, seen)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !slices.Contains(seen, "STALE") {
		t.Errorf("no reader was served the expired page while nginx fetched it again (stale-while-revalidate); cache statuses %v", seen)
	}
	t.Logf("the comment showed %v after it was posted; cache statuses %v", time.Since(postedAt).Round(time.Millisecond), seen)
}

// TestNginxPassesClientAddress: serve sees the reader's own address through
// nginx when it trusts nginx (-trusted-proxy), whatever X-Forwarded-For the
// reader sends; without trusting it, nginx's.
func TestNginxPassesClientAddress(t *testing.T) {
	for _, tc := range []struct {
		trust bool
		want  string
	}{{true, "127.0.0.7"}, {false, "127.0.0.1"}} {
		t.Run(fmt.Sprintf("trusted=%v", tc.trust), func(t *testing.T) {
			s := startSite(t, siteOptions{trustProxy: tc.trust})
			reader := s.client(t, "127.0.0.7")
			for i, xff := range []string{"", "203.0.113.9"} {
				probe := fmt.Sprintf("/no-such-page-%d", i)
				var header []string
				if xff != "" {
					header = []string{"X-Forwarded-For", xff}
				}
				if r := reader.get(probe, header...); r.status != http.StatusNotFound {
					t.Fatalf("GET %s: %d", probe, r.status)
				}
				line := accessLine(t, s.serveLog, probe)
				if !strings.Contains(line, " ip="+tc.want+"\n") && !strings.HasSuffix(line, " ip="+tc.want) {
					t.Errorf("X-Forwarded-For %q: serve logged %q, want ip=%s", xff, line, tc.want)
				}
			}
		})
	}
}

// accessLine is serve's access log line for path, waiting for it a little:
// serve logs once the response is written.
func accessLine(t *testing.T, log *lockedBuffer, path string) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for {
		for line := range strings.Lines(log.String()) {
			if strings.Contains(line, "msg=request") && strings.Contains(line, "path="+path+" ") {
				return strings.TrimSpace(line)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve logged no request for %s", path)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestNginxBodyLimits: nginx refuses a body over serve's own bound before
// passing it on.
func TestNginxBodyLimits(t *testing.T) {
	s := startSite(t, siteOptions{})
	reader := s.client(t, "")
	big := strings.Repeat("x", web.MaxBodyBytes+1)
	r := reader.do(http.MethodPost, postPath+"comments", strings.NewReader(big))
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("a comment of %d bytes: %d, want 413", len(big), r.status)
	}
	if strings.Contains(s.serveLog.String(), "path="+postPath+"comments") {
		t.Error("the body over the bound reached serve")
	}
}

// TestNginxStreamsLiveEvents: serve -live's event stream passes through
// nginx as each event comes, not when a buffer fills, even when serve's
// X-Accel-Buffering: no, which tells nginx as much, is lost on the way (here
// a proxy in between drops it).
func TestNginxStreamsLiveEvents(t *testing.T) {
	s := startSite(t, siteOptions{live: true, between: func(serve http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			serve.ServeHTTP(withoutHeader{w, "X-Accel-Buffering"}, r)
		})
	}})
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.nginx.URL+"/_live/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /_live/events: %d", res.StatusCode)
	}
	lines := bufio.NewScanner(res.Body)
	for lines.Scan() {
		if strings.HasPrefix(lines.Text(), "data:") {
			return
		}
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatal("no event came through nginx within 5s: it buffers the stream")
	}
	t.Fatalf("the stream ended without an event: %v", lines.Err())
}

// withoutHeader is a ResponseWriter that drops one response header.
type withoutHeader struct {
	http.ResponseWriter
	name string
}

func (w withoutHeader) WriteHeader(status int) {
	w.Header().Del(w.name)
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets the proxy flush each event.
func (w withoutHeader) Unwrap() http.ResponseWriter { return w.ResponseWriter }
