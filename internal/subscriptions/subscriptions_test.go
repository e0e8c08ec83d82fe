package subscriptions_test

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/bolt"
	"milepost/internal/content"
	"milepost/internal/feed"
	"milepost/internal/mail"
	"milepost/internal/outbox"
	"milepost/internal/publication"
	"milepost/internal/subscriptions"
)

type fixture struct {
	dir  string
	db   *bolt.DB
	svc  *subscriptions.Service
	site *content.Site
	now  time.Time
	sent []mail.Email
}

type recordTransport struct{ f *fixture }

func (r recordTransport) Send(ctx context.Context, e mail.Email) error {
	r.f.sent = append(r.f.sent, e)
	return nil
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	write := func(rel, s string) {
		p := filepath.Join(dir, rel)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("site.yaml", "title: Club\nbase_url: https://club.example\nemail:\n  host: smtp.club.example\n  from: news@club.example\n")
	write("authors/kay.md", "---\nname: Kay\n---\n")
	write("posts/run.md", "---\ntitle: Run\ndate: 2026-04-30\nauthor: kay\n---\nA run.\n")
	site, err := content.Load(context.Background(), dir, content.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(context.Background(), filepath.Join(dir, "db", "milepost.db"))
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{dir: dir, db: db, site: site, now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
	t.Cleanup(func() {
		if err := db.Check(context.Background()); err != nil {
			t.Error(err)
		}
		db.Close()
	})
	f.svc, err = subscriptions.New(subscriptions.Options{Store: db, Secret: []byte("0123456789abcdef0123456789abcdef"),
		Site: func() *content.Site { return f.site }, Transport: recordTransport{f}, Now: func() time.Time { return f.now },
		ForEmail: func(h template.HTML, pageURL string) (template.HTML, string) {
			h = feed.Absolute(h, pageURL)
			return h, feed.PlainText(h)
		}})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// confirmations are the pending confirmation emails' payload times, by
// address.
func (f *fixture) pending(t *testing.T) []outbox.Message {
	t.Helper()
	ms, err := f.db.Due(context.Background(), time.Now().Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	return ms
}

// deliver sends every pending email through the service, as the worker
// would, and returns what the transport got.
func (f *fixture) deliver(t *testing.T) []mail.Email {
	t.Helper()
	f.sent = nil
	for _, m := range f.pending(t) {
		if err := f.svc.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
		if err := f.db.Sent(context.Background(), m.ID); err != nil {
			t.Fatal(err)
		}
	}
	return f.sent
}

func tokenOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("t")
}

func confirmLink(t *testing.T, e mail.Email) string {
	t.Helper()
	for _, w := range strings.Fields(e.Text) {
		if strings.Contains(w, "/email/confirm?t=") {
			return w
		}
	}
	t.Fatalf("no confirmation link in %q", e.Text)
	return ""
}

func TestDoubleOptInOneConfirmationAtATime(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const addr = "ann@example.org"
	if err := f.svc.Subscribe(ctx, "Ann@Example.org", subscriptions.ScopeSite); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(10 * time.Minute)
	if err := f.svc.Subscribe(ctx, addr, subscriptions.AuthorScope("kay")); err != nil {
		t.Fatal(err)
	}
	sent := f.deliver(t)
	if len(sent) != 1 || sent[0].To != addr || sent[0].Unsubscribe != "" {
		t.Fatalf("within the cool-down: %d emails %+v, want one confirmation to %s", len(sent), sent, addr)
	}
	first := tokenOf(t, confirmLink(t, sent[0]))
	if !strings.Contains(sent[0].Text, "new posts by Kay") || !strings.Contains(sent[0].Text, "every new post on Club") {
		t.Errorf("the confirmation does not say what it confirms:\n%s", sent[0].Text)
	}

	// After the cool-down a new mail, whose link replaces the first.
	f.now = f.now.Add(subscriptions.ConfirmCooldown)
	if err := f.svc.Subscribe(ctx, addr, subscriptions.ScopeSite); err != nil {
		t.Fatal(err)
	}
	sent = f.deliver(t)
	if len(sent) != 1 {
		t.Fatalf("after the cool-down: %d emails, want one", len(sent))
	}
	second := tokenOf(t, confirmLink(t, sent[0]))
	if _, err := f.svc.Confirm(ctx, first); !errors.Is(err, subscriptions.ErrTokenUsed) {
		t.Errorf("the superseded link: %v, want ErrTokenUsed", err)
	}
	if _, err := f.svc.Confirm(ctx, second[:len(second)-2]+"xx"); !errors.Is(err, subscriptions.ErrTokenInvalid) {
		t.Errorf("a tampered link: %v, want ErrTokenInvalid", err)
	}
	if got, err := f.svc.Confirm(ctx, second); err != nil || got != addr {
		t.Fatalf("Confirm = %q, %v", got, err)
	}
	if _, err := f.svc.Confirm(ctx, second); !errors.Is(err, subscriptions.ErrTokenUsed) {
		t.Errorf("the link used again: %v, want ErrTokenUsed", err)
	}
	for _, scope := range []string{subscriptions.ScopeSite, subscriptions.AuthorScope("kay")} {
		if got, _ := f.db.Subscribed(ctx, scope); len(got) != 1 || got[0] != addr {
			t.Errorf("subscribed to %s: %v", scope, got)
		}
	}
	// A confirmed address's next subscription is active at once, with no
	// mail.
	if err := f.svc.Subscribe(ctx, addr, subscriptions.PostScope("run")); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.db.Subscribed(ctx, subscriptions.PostScope("run")); len(got) != 1 || len(f.pending(t)) != 0 {
		t.Errorf("a confirmed address following a post: subscribed %v, %d emails pending", got, len(f.pending(t)))
	}
}

func TestConfirmationLinksExpire(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.svc.Subscribe(ctx, "bo@example.org", subscriptions.ScopeSite); err != nil {
		t.Fatal(err)
	}
	token := tokenOf(t, confirmLink(t, f.deliver(t)[0]))
	f.now = f.now.Add(subscriptions.ConfirmTTL + time.Minute)
	if _, err := f.svc.Confirm(ctx, token); !errors.Is(err, subscriptions.ErrTokenExpired) {
		t.Errorf("a link past its time: %v, want ErrTokenExpired", err)
	}
	if got, _ := f.db.Subscribed(ctx, subscriptions.ScopeSite); len(got) != 0 {
		t.Errorf("subscribed without a confirmation: %v", got)
	}
}

func TestRefusals(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		addr, scope string
		want        error
	}{
		{"not an address", subscriptions.ScopeSite, subscriptions.ErrBadAddress},
		{"a@b.c, d@e.f", subscriptions.ScopeSite, subscriptions.ErrBadAddress},
		{"Ann <a@b.example>", subscriptions.ScopeSite, subscriptions.ErrBadAddress},
		{strings.Repeat("a", 250) + "@b.example", subscriptions.ScopeSite, subscriptions.ErrBadAddress},
		{"a@b.example", subscriptions.AuthorScope("nobody"), subscriptions.ErrBadScope},
		{"a@b.example", subscriptions.PostScope("no-such-post"), subscriptions.ErrBadScope},
		{"a@b.example", "everything", subscriptions.ErrBadScope},
	} {
		if err := f.svc.Subscribe(ctx, c.addr, c.scope); !errors.Is(err, c.want) {
			t.Errorf("Subscribe(%q, %q) = %v, want %v", c.addr, c.scope, err, c.want)
		}
	}
	if len(f.pending(t)) != 0 {
		t.Error("a refused subscription enqueued an email")
	}
}

// subscribe makes addr a confirmed subscriber to scopes.
func (f *fixture) subscribe(t *testing.T, addr string, scopes ...string) {
	t.Helper()
	for _, sc := range scopes {
		if err := f.svc.Subscribe(context.Background(), addr, sc); err != nil {
			t.Fatal(err)
		}
	}
	if sent := f.deliver(t); len(sent) == 1 {
		if _, err := f.svc.Confirm(context.Background(), tokenOf(t, confirmLink(t, sent[0]))); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNewPostGoesOnceToEachSubscriberAndUnsubscribingStopsIt(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.subscribe(t, "both@example.org", subscriptions.ScopeSite, subscriptions.AuthorScope("kay"))
	f.subscribe(t, "site@example.org", subscriptions.ScopeSite)
	post := content.View{Site: f.site, Now: f.now}.Post("run")
	ev := publication.Event{Kind: publication.Published, Slug: "run", Version: "v1", Post: post}
	msgs, err := f.svc.Messages(ctx, ev)
	if err != nil || len(msgs) != 2 {
		t.Fatalf("Messages = %d, %v; want one per subscriber", len(msgs), err)
	}
	if err := f.db.Enqueue(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	sent := f.deliver(t)
	if len(sent) != 2 {
		t.Fatalf("sent %d", len(sent))
	}
	for _, e := range sent {
		if e.Subject != "Club: Run" || !strings.Contains(e.HTML, "A run.") || !strings.HasPrefix(e.Unsubscribe, "https://club.example/email/unsubscribe?t=") {
			t.Errorf("email %+v", e)
		}
		// It says once what the reader subscribed to, with the site's name.
		if !strings.Contains(e.Text, "You get this because you subscribed to every new post on Club.\n") || strings.Contains(e.Text, "on Club on Club") {
			t.Errorf("the email's footer does not say what the reader subscribed to, once:\n%s", e.Text)
		}
	}
	// The same event again (a crash before the record) enqueues nothing new.
	again, _ := f.svc.Messages(ctx, ev)
	if err := f.db.Enqueue(ctx, again...); err != nil || len(f.pending(t)) != 0 {
		t.Errorf("the same post enqueued again: %d pending", len(f.pending(t)))
	}
	// An old post published now (an imported archive) is not news.
	old := *post
	old.Date = f.now.Add(-subscriptions.NewsWindow - time.Hour)
	if ms, _ := f.svc.Messages(ctx, publication.Event{Kind: publication.Published, Slug: "run", Post: &old}); len(ms) != 0 {
		t.Errorf("an archive post makes %d emails", len(ms))
	}

	// One-click unsubscribe, twice: the second finds nothing to do.
	var siteOnly mail.Email
	for _, e := range sent {
		if e.To == "site@example.org" {
			siteOnly = e
		}
	}
	for range 2 {
		if _, _, err := f.svc.Unsubscribe(ctx, tokenOf(t, siteOnly.Unsubscribe)); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok, _ := f.db.Subscriber(ctx, "site@example.org"); ok {
		t.Error("an address with no subscription left is kept")
	}
	// A message enqueued before the unsubscribe is not sent after it.
	var msg outbox.Message
	for _, m := range msgs {
		var p struct{ To string }
		json.Unmarshal(m.Payload, &p)
		if p.To == "site@example.org" {
			msg = m
		}
	}
	f.sent = nil
	if err := f.svc.Send(ctx, msg); err != nil || len(f.sent) != 0 {
		t.Errorf("after unsubscribing: Send = %v, %d sent", err, len(f.sent))
	}
	if _, _, err := f.svc.Unsubscribe(ctx, "forged.token"); !errors.Is(err, subscriptions.ErrTokenInvalid) {
		t.Errorf("a forged unsubscribe token: %v", err)
	}
}
