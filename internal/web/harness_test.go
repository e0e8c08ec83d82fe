package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"milepost/internal/accounts"
	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/comments"
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
	// accounts holds the moderators; addUser makes them.
	accounts *accounts.Service
	// site is the content served (as first loaded); dir its directory.
	site *content.Site
	dir  string
	// source serves the content: a *content.Source with withAuthoring,
	// which a test may Reload after changing dir.
	source web.SiteSource
}

// addUser creates a moderator account.
func (h *harness) addUser(name string, role accounts.Role) {
	h.t.Helper()
	if _, err := h.accounts.Add(context.Background(), name, role, name+" has a long password"); err != nil {
		h.t.Fatalf("adding user %s: %v", name, err)
	}
}

// browser is one reader's or moderator's browser: its own cookies, and
// redirects left for the test to see.
type browser struct {
	h      *harness
	client *http.Client
	jar    *cookiejar.Jar
}

func (h *harness) browser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &browser{h: h, jar: jar, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (b *browser) get(path string) response {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.h.srv.URL+path, nil)
	if err != nil {
		b.h.t.Fatal(err)
	}
	return b.do(req)
}

func (b *browser) postForm(path string, form url.Values, header ...string) response {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.h.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

func (b *browser) do(req *http.Request) response {
	b.h.t.Helper()
	return b.h.send(b.client, req)
}

// signIn signs a browser in as name, whose password addUser chose.
func (b *browser) signIn(name string) {
	b.h.t.Helper()
	res := b.postForm("/admin/login", url.Values{"name": {name}, "password": {name + " has a long password"}})
	if res.status != http.StatusSeeOther {
		b.h.t.Fatalf("signing in as %s: %d\n%.400s", name, res.status, res.body)
	}
}

// harnessConfig is what a harnessOption may change: the server's options,
// the content overrides serve's flags would give, and a store between the
// comment service and the database.
type harnessConfig struct {
	web.Options
	overrides content.Overrides
	wrapStore func(comments.Store) comments.Store
	// authoring serves the content through a content.Source (reloaded
	// after each save) with the editor wired to it.
	authoring bool
}

type harnessOption func(*harnessConfig)

func withDrafts(o *harnessConfig) { o.Drafts = true }

func withCommentRate(n int) harnessOption { return func(o *harnessConfig) { o.CommentRate = n } }

func withGuards(g web.Guards) harnessOption { return func(o *harnessConfig) { o.Guards = g } }

// withBaseURL serves the site as serve -base-url u would.
func withBaseURL(u string) harnessOption { return func(o *harnessConfig) { o.overrides.BaseURL = u } }

// withStore puts wrap's store between the comment service and the
// database, to inject store failures at the store's boundary.
func withStore(wrap func(comments.Store) comments.Store) harnessOption {
	return func(o *harnessConfig) { o.wrapStore = wrap }
}

// writeSiteFiles writes a site's files into dir.
func writeSiteFiles(tb testing.TB, dir string, files siteFiles) {
	tb.Helper()
	for name, text := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}

// siteDir writes files (plus a default site.yaml and author when absent)
// into a temporary content directory, and returns it.
func siteDir(t *testing.T, files siteFiles) string {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["site.yaml"]; !ok {
		files["site.yaml"] = siteYAML
	}
	if _, ok := files["authors/kay.md"]; !ok {
		files["authors/kay.md"] = authorFile
	}
	writeSiteFiles(t, dir, files)
	return dir
}

// newHarness writes files into a temporary content directory (siteDir)
// and serves it.
func newHarness(t *testing.T, files siteFiles, opts ...harnessOption) *harness {
	t.Helper()
	dir := siteDir(t, files)
	cfg := harnessConfig{Options: web.Options{
		Theme: themes.Default(),
		Log:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		// Tests post many comments from one address; the limit has its own test.
		CommentRate: 1000,
		// The guards are off here, as tests post forms they never fetched;
		// the guards have tests of their own.
		Secret: []byte("a test key of thirty-two bytes!!"),
		Media:  photoCache(t),
	}}
	for _, opt := range opts {
		opt(&cfg)
	}
	ctx := context.Background()
	site, err := content.Load(ctx, dir, cfg.overrides)
	if err != nil {
		t.Fatalf("loading content: %v", err)
	}
	db, err := bolt.Open(ctx, filepath.Join(t.TempDir(), "milepost.db"))
	if err != nil {
		t.Fatalf("opening database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{now: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	o := cfg.Options
	o.Content = staticSource{site}
	if cfg.authoring {
		o.Content, o.Authoring = editorSource(t, dir, cfg.overrides, db)
	}
	o.Now = clk.Now
	var store comments.Store = db
	if cfg.wrapStore != nil {
		store = cfg.wrapStore(store)
	}
	o.Comments = app.NewCommentService(store, o.Content, o.Drafts, o.Now)
	accts, err := accounts.NewService(db, accounts.Options{Cost: bcrypt.MinCost, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	o.Accounts = accts
	o.Backup = db.Backup
	h, err := web.New(o)
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &harness{
		t: t, srv: srv, db: db, clock: clk, accounts: accts, site: site, dir: dir, source: o.Content,
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
	return h.send(h.client, req)
}

// send makes one request with a client and reads the whole answer.
func (h *harness) send(client *http.Client, req *http.Request) response {
	h.t.Helper()
	res, err := client.Do(req)
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
