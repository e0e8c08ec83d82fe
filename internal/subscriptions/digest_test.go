package subscriptions_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"html/template"

	"milepost/internal/content"
	"milepost/internal/mail"
	"milepost/internal/publication"
	"milepost/internal/subscriptions"
)

// write writes a file of the fixture's site, and reload loads the site
// again and tells the announcer (at the fixture's clock), as serve does on
// a change.
func (f *fixture) write(t *testing.T, rel, s string) {
	t.Helper()
	p := filepath.Join(f.dir, rel)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) reload(t *testing.T, a *publication.Announcer) {
	t.Helper()
	site, err := content.Load(context.Background(), f.dir, content.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	f.site = site
	if err := a.SiteChanged(context.Background(), site); err != nil {
		t.Fatal(err)
	}
}

// weekly runs the weekly step at the fixture's clock and sends what it
// enqueued.
func (f *fixture) weekly(t *testing.T) []mail.Email {
	t.Helper()
	if err := f.svc.EnqueueDigests(context.Background()); err != nil {
		t.Fatal(err)
	}
	return f.deliver(t)
}

func TestDigestTimeIsMonday0600UTC(t *testing.T) {
	mon := time.Date(2026, 5, 4, 6, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		at   time.Time
		want time.Time
	}{
		{mon, mon},
		{mon.Add(-time.Second), mon.AddDate(0, 0, -7)},
		{mon.Add(6*24*time.Hour + 23*time.Hour), mon},
		{mon.Add(7 * 24 * time.Hour), mon.AddDate(0, 0, 7)},
		// 08:30 on Monday in Berlin is 06:30 UTC: past the digest time.
		{time.Date(2026, 5, 4, 8, 30, 0, 0, time.FixedZone("CEST", 2*3600)), mon},
	} {
		if got := subscriptions.DigestTime(c.at); !got.Equal(c.want) {
			t.Errorf("DigestTime(%v) = %v, want %v", c.at, got, c.want)
		}
	}
}

// TestWeeklyDigest: a digest subscriber gets one email a week listing the
// posts that became public that week (a draft published this week
// though dated earlier included; drafts, posts dated in the future and an
// imported archive not), nothing for an empty week, each week once however
// often the step runs, and after a server was down only the latest week
// it missed. A reader subscribed to each post and to the digest gets both.
func TestWeeklyDigest(t *testing.T) {
	f := newFixture(t) // Friday May 1, 2026; "Run" by Kay, dated April 30
	ctx := context.Background()
	a := &publication.Announcer{Store: f.db, Fanouts: []publication.Fanout{f.svc}, Now: func() time.Time { return f.now }}
	f.reload(t, a) // the baseline: the site as it was when email came
	f.subscribe(t, "weekly@example.org", subscriptions.ScopeDigest)
	f.subscribe(t, "both@example.org", subscriptions.ScopeSite, subscriptions.ScopeDigest)
	f.subscribe(t, "each@example.org", subscriptions.ScopeSite)

	// The week before (April 20–26) had no post: no email.
	if sent := f.weekly(t); len(sent) != 0 {
		t.Fatalf("an empty week sent %d emails", len(sent))
	}

	// This week: a story with its run on Saturday; on Sunday a draft
	// begun on April 20 is published. A draft, a post dated May 14 and an
	// archive post dated in January are there too.
	f.now = time.Date(2026, 5, 2, 12, 0, 0, 0, time.UTC)
	f.write(t, "posts/tempo.md", "---\ntitle: Tempo Saturday\ndate: 2026-05-02T10:00:00Z\nauthor: kay\nsummary: Six laps at threshold.\nrun:\n  type: workout\n  distance: 8 km\n  time: '34:10'\n---\nThe whole story of the laps.\n")
	f.write(t, "posts/plan.md", "---\ntitle: Secret Plan\ndate: 2026-05-02\ndraft: true\n---\nNot yet.\n")
	f.write(t, "posts/soon.md", "---\ntitle: Coming Soon\ndate: 2026-05-14T07:00:00Z\n---\nLater.\n")
	f.reload(t, a)
	f.now = time.Date(2026, 5, 3, 18, 0, 0, 0, time.UTC)
	f.write(t, "posts/begun.md", "---\ntitle: Begun Long Ago\ndate: 2026-04-20\n---\nFinally done.\n")
	f.write(t, "posts/archive.md", "---\ntitle: From the Archive\ndate: 2026-01-10\n---\nImported.\n")
	f.reload(t, a)
	if each := f.deliver(t); len(each) != 4 { // Tempo and Begun, to each@ and both@
		t.Fatalf("the new posts sent %d emails one by one, want 4", len(each))
	}

	f.now = time.Date(2026, 5, 4, 6, 0, 0, 0, time.UTC) // Monday, the digest time: not yet
	if err := f.svc.EnqueueDigests(ctx); err != nil || len(f.pending(t)) != 0 {
		t.Fatalf("at the digest time itself, before its grace: %d emails, %v", len(f.pending(t)), err)
	}
	f.now = f.now.Add(subscriptions.DigestGrace)
	sent := f.weekly(t)
	if len(sent) != 2 {
		t.Fatalf("the digest went out %d times, want one to each digest subscriber", len(sent))
	}
	to := map[string]mail.Email{}
	for _, e := range sent {
		to[e.To] = e
	}
	for _, addr := range []string{"weekly@example.org", "both@example.org"} {
		e, ok := to[addr]
		if !ok {
			t.Errorf("no digest to %s", addr)
			continue
		}
		if want := "Club: 3 new posts, April 27 – May 3, 2026"; e.Subject != want {
			t.Errorf("subject %q, want %q", e.Subject, want)
		}
		for _, want := range []string{"Tempo Saturday", "Six laps at threshold.", "Workout · 8 km in 34:10 (4:16 /km)", "https://club.example/posts/tempo/",
			"Kay · May 2, 2026", "Begun Long Ago", "https://club.example/posts/begun/", "Run", "https://club.example/posts/run/"} {
			if !strings.Contains(e.Text, want) || !strings.Contains(e.HTML, want) {
				t.Errorf("the digest to %s lacks %q in a part:\n%s", addr, want, e.Text)
			}
		}
		for _, not := range []string{"Secret Plan", "Coming Soon", "From the Archive", "The whole story"} {
			if strings.Contains(e.Text, not) || strings.Contains(e.HTML, not) {
				t.Errorf("the digest to %s lists %q", addr, not)
			}
		}
		if !strings.HasPrefix(e.Unsubscribe, "https://club.example/email/unsubscribe?t=") || !strings.Contains(e.Text, e.Unsubscribe) {
			t.Errorf("the digest's unsubscribe link %q is not in its body", e.Unsubscribe)
		}
	}

	// The step again, and again after a restart (a new Service over the
	// same database): nothing new.
	f.now = f.now.Add(time.Hour)
	if sent := f.weekly(t); len(sent) != 0 {
		t.Errorf("the weekly step run again sent %d emails", len(sent))
	}
	restarted, err := subscriptions.New(subscriptions.Options{Store: f.db, Secret: []byte("0123456789abcdef0123456789abcdef"),
		Site: func() *content.Site { return f.site }, Transport: recordTransport{f}, Now: func() time.Time { return f.now }, ForEmail: noChange})
	if err != nil {
		t.Fatal(err)
	}
	if err := restarted.EnqueueDigests(ctx); err != nil || len(f.pending(t)) != 0 {
		t.Errorf("after a restart: %v, %d emails enqueued", err, len(f.pending(t)))
	}

	// Unsubscribing from the digest stops it alone.
	if _, _, err := f.svc.Unsubscribe(ctx, tokenOf(t, to["both@example.org"].Unsubscribe)); err != nil {
		t.Fatal(err)
	}
	if sub, _, _ := f.db.Subscriber(ctx, "both@example.org"); !sub.Scopes[subscriptions.ScopeSite].Active || len(sub.Scopes) != 1 {
		t.Errorf("after unsubscribing from the digest: %+v", sub.Scopes)
	}

	// "Coming Soon" comes due on May 14; the server is down at the digest
	// time on Monday 18 and back on Tuesday: that week's digest goes then.
	f.now = time.Date(2026, 5, 14, 8, 0, 0, 0, time.UTC)
	f.reload(t, a)
	f.deliver(t)
	f.now = time.Date(2026, 5, 19, 9, 0, 0, 0, time.UTC)
	sent = f.weekly(t)
	if len(sent) != 1 || sent[0].To != "weekly@example.org" || !strings.Contains(sent[0].Text, "Coming Soon") || strings.Contains(sent[0].Text, "Tempo") {
		t.Fatalf("the digest missed while down: %d emails %+v", len(sent), sent)
	}

	// Down for three weeks: only the latest week is owed, not the ones
	// before it (a post of May 27 is in none of them).
	if err := f.db.Record(ctx, []publication.Event{{Kind: publication.Published, Slug: "tempo", Version: "x", At: time.Date(2026, 5, 27, 0, 0, 0, 0, time.UTC)}}, nil); err != nil {
		t.Fatal(err)
	}
	f.now = time.Date(2026, 6, 9, 10, 0, 0, 0, time.UTC)
	if sent := f.weekly(t); len(sent) != 0 {
		t.Errorf("after three weeks down, %d emails for weeks long gone", len(sent))
	}
	if last, _ := f.db.LastDigest(ctx); !last.Equal(time.Date(2026, 6, 8, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("the last digest recorded is %v, want June 8", last)
	}
}

// The digest names its week from Monday to Sunday, with both years when
// it spans two.
func TestDigestWeekName(t *testing.T) {
	for _, c := range []struct {
		due  time.Time
		want string
	}{
		{time.Date(2026, 5, 4, 6, 0, 0, 0, time.UTC), ", April 27 – May 3, 2026"},
		{time.Date(2027, 1, 4, 6, 0, 0, 0, time.UTC), ", December 28, 2026 – January 3, 2027"},
	} {
		f := newFixture(t)
		f.now = c.due.Add(-time.Hour)
		a := &publication.Announcer{Store: f.db, Fanouts: []publication.Fanout{f.svc}, Now: func() time.Time { return f.now }}
		f.reload(t, a)
		f.subscribe(t, "weekly@example.org", subscriptions.ScopeDigest)
		f.write(t, "posts/late.md", "---\ntitle: Late\ndate: "+f.now.Format(time.RFC3339)+"\n---\nLate.\n")
		f.reload(t, a)
		f.now = c.due.Add(subscriptions.DigestGrace)
		if sent := f.weekly(t); len(sent) != 1 || !strings.HasSuffix(sent[0].Subject, c.want) {
			t.Errorf("the digest of %v: %d emails, want one whose subject ends %q: %+v", c.due, len(sent), c.want, sent)
		}
	}
}

func noChange(h template.HTML, _ string) (template.HTML, string) { return h, string(h) }
