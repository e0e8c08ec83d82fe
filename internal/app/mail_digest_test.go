package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/subscriptions"
)

// TestWeeklyDigestByEmail goes through a reader who wants one email a
// week, with a real SMTP server: the footer form's "a weekly digest", the
// confirmation mail and its link, no email when a post is published, and
// at the digest time one email listing the week's post, read as a mail
// client reads it (subject, both parts, List-Unsubscribe headers, links);
// the weekly step run again sends nothing more, and one click stops it.
func TestWeeklyDigestByEmail(t *testing.T) {
	smtp, dir, m := newMailSite(t)
	ctx := context.Background()
	const reader = "weekly@example.org"

	home := get(t, m.base+"/")
	if !strings.Contains(home, `name="scope" value="digest"`) || !strings.Contains(home, "a weekly digest") ||
		!strings.Contains(home, `value="site" checked`) {
		t.Fatalf("the footer form offers no choice of a weekly digest:\n%s", home)
	}
	code, body := m.post(t, "/email/subscribe", url.Values{"email": {reader}, "scope": {"digest"}})
	if code != http.StatusOK || !strings.Contains(body, "a weekly digest of the new posts on Club") {
		t.Fatalf("subscribing to the digest: %d\n%s", code, body)
	}
	m.confirmByMail(t, smtp, reader, 1)
	if !strings.Contains(smtp.To(reader)[0].Text, "a weekly digest of the new posts on Club") {
		t.Errorf("the confirmation does not say it is for the digest:\n%s", smtp.To(reader)[0].Text)
	}

	writeFile(t, filepath.Join(dir, "posts", "tempo.md"), "---\ntitle: Tempo Tuesday\ndate: "+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)+
		"\nauthor: kay\nsummary: Six laps at threshold.\nrun:\n  type: workout\n  distance: 8 km\n  time: '34:10'\n---\nFast laps.\n")
	m.st.src.Reload(ctx)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		told, _, err := m.st.db.Told(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := told["tempo"]; ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new post was never announced")
		}
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(smtp.To(reader)); n != 1 {
		t.Fatalf("%d emails to a digest subscriber after a new post, want only the confirmation", n)
	}

	// The next Monday, 06:00 UTC.
	next := subscriptions.DigestTime(time.Now()).Add(subscriptions.DigestPeriod)
	m.st.out.ahead.Store(int64(time.Until(next) + subscriptions.DigestGrace + time.Minute))
	m.st.out.subs.Wake()
	digest := smtp.Wait(t, reader, 2)[1]
	week := next.Add(-subscriptions.DigestPeriod).Format("January 2") + " – " + next.AddDate(0, 0, -1).Format("January 2, 2006")
	if want := "Club: 1 new post, " + week; digest.Subject != want {
		t.Errorf("subject %q, want %q", digest.Subject, want)
	}
	if len(digest.To) != 1 || digest.To[0] != reader {
		t.Errorf("addressed to %v, want the reader alone", digest.To)
	}
	postURL := m.base + "/posts/tempo/"
	for _, want := range []string{"Tempo Tuesday", "Kay · ", "Six laps at threshold.", "Workout · 8 km in 34:10 (4:16 /km)", postURL} {
		if !strings.Contains(digest.Text, want) {
			t.Errorf("the text part lacks %q:\n%s", want, digest.Text)
		}
	}
	if !strings.Contains(digest.HTML, `<a href="`+postURL+`"`) || !strings.Contains(digest.HTML, "Six laps at threshold.") {
		t.Errorf("the HTML part does not link the post:\n%s", digest.HTML)
	}
	if strings.Contains(digest.Text, "Fast laps.") {
		t.Error("the digest carries the whole story, not its summary")
	}
	unsub := digest.Header.Get("List-Unsubscribe")
	if digest.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(unsub, "<"+m.base+"/email/unsubscribe?t=") {
		t.Fatalf("List-Unsubscribe %q, List-Unsubscribe-Post %q", unsub, digest.Header.Get("List-Unsubscribe-Post"))
	}
	if link := digest.Link(t, "/email/unsubscribe"); link != strings.Trim(unsub, "<>") {
		t.Errorf("the body's unsubscribe link %s is not the header's %s", link, unsub)
	}
	if id := digest.Header.Get("Message-ID"); !strings.HasSuffix(id, "@127.0.0.1>") {
		t.Errorf("Message-ID %q", id)
	}

	// The weekly step again, later in the week: nothing more. (First the
	// digest's own message leaves the outbox: the mail server has it a
	// moment before the outbox records it sent.)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if st, err := m.st.db.Stats(ctx); err == nil && st.Pending["email"] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the digest's message was never recorded sent")
		}
	}
	m.st.out.ahead.Store(int64(time.Until(next) + time.Hour))
	if err := m.st.out.subs.EnqueueDigests(ctx); err != nil {
		t.Fatal(err)
	}
	if st, err := m.st.db.Stats(ctx); err != nil || st.Pending["email"] != 0 {
		t.Errorf("the weekly step ran again and enqueued %d emails (%v), want none", st.Pending["email"], err)
	}
	if n := len(smtp.To(reader)); n != 2 {
		t.Errorf("%d emails after the weekly step ran again, want still 2", n)
	}

	// The admin counts the digest's subscribers apart.
	if _, err := m.st.accts.Add(ctx, "boss", accounts.RoleAdmin, "a long enough password"); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	admin := &http.Client{Jar: jar}
	if res, err := admin.PostForm(m.base+"/admin/login", url.Values{"name": {"boss"}, "password": {"a long enough password"}}); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	res, err := admin.Get(m.base + "/admin/subscribers/")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(page), "a weekly digest of the new posts on Club</td><td>1</td>") {
		t.Errorf("the admin's page does not count the digest's subscriber:\n%s", page)
	}

	// RFC 8058 one-click unsubscribe ends the digest.
	req, _ := http.NewRequest(http.MethodPost, strings.Trim(unsub, "<>"), strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if _, ok, _ := m.st.db.Subscriber(ctx, reader); res.StatusCode != http.StatusOK || ok {
		t.Errorf("one-click unsubscribe: %d, still subscribed: %v", res.StatusCode, ok)
	}
	if err := m.st.db.Check(ctx); err != nil {
		t.Error(err)
	}
}
