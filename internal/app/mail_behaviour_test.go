package app

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/mail/mailtest"
	"milepost/internal/subscriptions"
)

// settled waits until every approved comment was looked at for
// notifications and the outbox holds no email: all that was owed was
// sent, so that what did not arrive never will.
func (m *mailSite) settled(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(15 * time.Second)
	for {
		cs, err := m.st.db.UnnotifiedApproved(ctx, time.Time{}, 1)
		if err != nil {
			t.Fatal(err)
		}
		st, err := m.st.db.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) == 0 && st.Pending[subscriptions.Kind] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled: %d unnotified comment(s), %d email(s) pending", len(cs), st.Pending[subscriptions.Kind])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestPerMinuteIsKeptWithoutBurningAttempts: with per_minute 60 (a burst
// of 6, then one a second) and sends allowed 100 ms each, the eight
// confirmations all arrive, the last two a second apart at least: waiting
// for the rate is not a failed attempt (here, with one attempt allowed,
// it would give the email up).
func TestPerMinuteIsKeptWithoutBurningAttempts(t *testing.T) {
	smtp := mailtest.Start(t)
	ln := listen(t)
	dir := newMailContent(t, smtp, ln)
	site := readFile(t, filepath.Join(dir, "site.yaml"))
	writeFile(t, filepath.Join(dir, "site.yaml"), strings.Replace(site, "  tls: none\n", "  tls: none\n  per_minute: 60\n", 1))
	m := startMailSite(t, dir, filepath.Join(t.TempDir(), "milepost.db"), ln)
	m.st.out.worker.SendTimeout, m.st.out.worker.MaxAttempts = 100*time.Millisecond, 1
	const n = 8
	for i := range n {
		if code := m.postFrom(t, byte(10+i), "/email/subscribe", url.Values{"email": {fmt.Sprintf("r%d@example.org", i)}}); code != 200 {
			t.Fatalf("subscribing %d: %d", i, code)
		}
	}
	var got []mailtest.Message
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < n {
		if time.Now().After(deadline) {
			st, _ := m.st.db.Stats(context.Background())
			t.Fatalf("%d of %d confirmations arrived; outbox %+v", len(got), n, st)
		}
		time.Sleep(20 * time.Millisecond)
		got = smtp.Messages()
	}
	if gap := got[n-1].Received.Sub(got[0].Received); gap < time.Second {
		t.Errorf("8 emails within %v at 60 a minute (a burst of 6)", gap)
	}
	m.settled(t)
	if st, _ := m.st.db.Stats(context.Background()); st.Dead[subscriptions.Kind] != 0 {
		t.Errorf("%d email(s) given up on while waiting for the rate", st.Dead[subscriptions.Kind])
	}
}
