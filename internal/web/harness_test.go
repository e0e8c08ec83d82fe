package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"milepost/internal/bolt"
	"milepost/internal/content"
	"milepost/internal/web"
	"milepost/themes"
)

// siteFiles is a whole content directory written inline: path → file text.
type siteFiles map[string]string

const siteYAML = `title: Test Runners
description: Stories from the test club.
base_url: https://runners.example.org
language: en
` + openComments

// openComments publishes every comment at once; moderation has its own tests.
const openComments = `comments:
  moderation: open
`

const authorFile = `---
name: Kay-Kay's Bird Club
---
Hat-maker, Bird lover, Star gazer, Scooter rider, and Running fool.
`

// clock is a settable time source shared by the server and the test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

type staticSource struct{ site *content.Site }

func (s staticSource) Current() *content.Site { return s.site }

// harness is a running server over real HTTP with a real bbolt file.
type harness struct {
	t      *testing.T
	srv    *httptest.Server
	db     *bolt.DB
	clock  *clock
	client *http.Client
}

type harnessOption func(*web.Options)

func withDrafts(o *web.Options) { o.Drafts = true }

func withCommentRate(n int) harnessOption { return func(o *web.Options) { o.CommentRate = n } }

func withGuards(g web.Guards) harnessOption { return func(o *web.Options) { o.Guards = g } }

// newHarness writes files (plus a default site.yaml and author when absent)
// into a temporary content directory and serves it.
func newHarness(t *testing.T, files siteFiles, opts ...harnessOption) *harness {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["site.yaml"]; !ok {
		files["site.yaml"] = siteYAML
	}
	if _, ok := files["authors/kay.md"]; !ok {
		files["authors/kay.md"] = authorFile
	}
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	site, err := content.Load(ctx, dir)
	if err != nil {
		t.Fatalf("loading content: %v", err)
	}
	db, err := bolt.Open(ctx, filepath.Join(t.TempDir(), "milepost.db"))
	if err != nil {
		t.Fatalf("opening database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	o := web.Options{
		Content: staticSource{site},
		Store:   db,
		Theme:   themes.Default(),
		Log:     slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:     clk.Now,
		// Tests post many comments from one address; the limit has its own test.
		CommentRate: 1000,
		// The guards are off here, as tests post forms they never fetched;
		// the guards have tests of their own.
		Secret: []byte("a test key of thirty-two bytes!!"),
	}
	for _, opt := range opts {
		opt(&o)
	}
	h, err := web.New(o)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &harness{
		t: t, srv: srv, db: db, clock: clk,
		client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
	}
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   string
}

func (h *harness) do(req *http.Request) response {
	h.t.Helper()
	res, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		h.t.Fatalf("reading %s: %v", req.URL, err)
	}
	return response{res.StatusCode, res.Header, string(b)}
}

func (h *harness) get(path string, header ...string) response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, h.srv.URL+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return h.do(req)
}

func (h *harness) postForm(path string, form url.Values, header ...string) response {
	h.t.Helper()
	return h.postBody(path, "application/x-www-form-urlencoded", form.Encode(), header...)
}

func (h *harness) postBody(path, contentType, body string, header ...string) response {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return h.do(req)
}

// post is a post file with the given front matter lines and body.
func post(front, body string) string {
	return "---\n" + front + "\n---\n" + body + "\n"
}
