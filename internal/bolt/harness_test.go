package bolt

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"milepost/internal/comments"
)

// harness is a comments.Service over a real database file, with a clock
// the test moves, a policy it can change and a few posts:
//
//	p, q    dated a day before the clock starts
//	old     dated 400 days before
//	off     front matter "comments: false"
type harness struct {
	t   *testing.T
	db  *DB
	svc *comments.Service
	ctx context.Context

	mu       sync.Mutex
	clock    time.Time
	settings comments.Settings
	posts    map[string]comments.PostInfo
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	db, _ := openTest(t)
	start := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	h := &harness{t: t, db: db, ctx: context.Background(), clock: start, settings: comments.DefaultSettings(),
		posts: map[string]comments.PostInfo{
			"p":   {Date: start.AddDate(0, 0, -1)},
			"q":   {Date: start.AddDate(0, 0, -1)},
			"old": {Date: start.AddDate(0, 0, -400)},
			"off": {Date: start.AddDate(0, 0, -1), CommentsOff: true},
		}}
	h.svc = comments.New(db, comments.Options{
		Now: func() time.Time { h.mu.Lock(); defer h.mu.Unlock(); return h.clock },
		Settings: func() comments.Settings {
			h.mu.Lock()
			defer h.mu.Unlock()
			return h.settings
		},
		Posts: func(slug string) (comments.PostInfo, bool) { info, ok := h.posts[slug]; return info, ok },
	})
	return h
}

// setSettings changes the settings in force, as a reloaded site.yaml would.
func (h *harness) setSettings(edit func(p *comments.Settings)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	edit(&h.settings)
}

// advance moves the clock on.
func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.clock = h.clock.Add(d)
}

func (h *harness) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clock
}

// reader is one person writing comments.
type reader struct {
	name, email, ip, id string
}

var (
	ana = reader{"Ana", "ana@example.org", "192.0.2.1", "cid-ana"}
	ben = reader{"Ben", "ben@example.org", "192.0.2.2", "cid-ben"}
	cy  = reader{"Cy", "", "198.51.100.3", "cid-cy"}
)

func (r reader) input(post, body string) comments.Input {
	return comments.Input{Post: post, Name: r.name, Email: r.email, Body: body}
}

func (r reader) author() comments.Author { return comments.Author{IP: r.ip, CommenterID: r.id} }

// post posts as r, and moves the clock on a second so that comments are
// in order and none is a duplicate by time alone.
func (h *harness) post(r reader, slug, body string) (comments.Comment, error) {
	h.t.Helper()
	c, err := h.svc.Post(h.ctx, r.input(slug, body), r.author())
	h.advance(time.Second)
	return c, err
}

// mustPost posts and wants the given status.
func (h *harness) mustPost(r reader, slug, body string, want comments.Status) comments.Comment {
	h.t.Helper()
	c, err := h.post(r, slug, body)
	if err != nil {
		h.t.Fatalf("Post(%s on %s, %q): %v", r.name, slug, body, err)
	}
	if c.Status != want {
		h.t.Fatalf("Post(%s on %s, %q): status %s (%s), want %s", r.name, slug, body, c.Status, c.HoldReason, want)
	}
	return c
}

// reply is mustPost of an answer to parent.
func (h *harness) reply(r reader, parent comments.Comment, body string, want comments.Status) comments.Comment {
	h.t.Helper()
	in := r.input(parent.Post, body)
	in.Parent = strconv.FormatUint(parent.ID, 10)
	c, err := h.svc.Post(h.ctx, in, r.author())
	h.advance(time.Second)
	if err != nil {
		h.t.Fatalf("reply to %d: %v", parent.ID, err)
	}
	if c.Status != want {
		h.t.Fatalf("reply to %d: status %s (%s), want %s", parent.ID, c.Status, c.HoldReason, want)
	}
	return c
}

// wantErr fails unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s = %v, want %v", what, err, target)
	}
}

// actionKinds lists the audit log, newest first, as kinds.
func (h *harness) actionKinds() []comments.ActionKind {
	h.t.Helper()
	as, total, err := h.svc.Actions(h.ctx, "", 1, comments.MaxPerPage)
	if err != nil {
		h.t.Fatal(err)
	}
	if total != len(as) {
		h.t.Fatalf("Actions total %d, but %d entries", total, len(as))
	}
	out := make([]comments.ActionKind, len(as))
	for i, a := range as {
		out[i] = a.Kind
	}
	return out
}

func (h *harness) get(id uint64) comments.Comment {
	h.t.Helper()
	c, err := h.db.Get(h.ctx, id)
	if err != nil {
		h.t.Fatal(err)
	}
	return c
}
