package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/comments"
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

// comment posts a comment on the post slug from the loopback address
// 127.0.2.from, ticking the form's email boxes.
func (m *mailSite) comment(t *testing.T, from byte, slug, name, email, body string, boxes ...string) {
	t.Helper()
	form := url.Values{"name": {name}, "email": {email}, "body": {body}}
	for _, b := range boxes {
		form.Set(b, "1")
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport: &http.Transport{DisableKeepAlives: true,
			DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 2, from)}}).DialContext}}
	res, err := client.PostForm(m.base+"/posts/"+slug+"/comments", form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("posting %s's comment: %d", name, res.StatusCode)
	}
}

// heldComment is the one comment held for moderation.
func heldComment(t *testing.T, svc *comments.Service) comments.Comment {
	t.Helper()
	held, _, err := svc.Held(context.Background(), 1, 10)
	if err != nil || len(held) != 1 {
		t.Fatalf("held comments: %v, %v", held, err)
	}
	return held[0]
}

// TestPostWatchersGetApprovedCommentsOnly: a reader who ticked "email me
// new comments on this post" and confirmed gets "X commented on …" once a
// comment is approved, nothing while it is held, nothing for one marked
// as spam, and nothing for their own comment.
func TestPostWatchersGetApprovedCommentsOnly(t *testing.T) {
	smtp, _, m := newMailSite(t)
	ctx := context.Background()
	svc := NewCommentService(m.st.db, m.st.src, false, nil)
	const ann = "ann@example.org"

	m.comment(t, 1, "old", "Ann", ann, "Lovely loop.", "notify_post")
	m.confirmByMail(t, smtp, ann, 1)
	if _, err := svc.Approve(ctx, "mod", heldComment(t, svc).ID); err != nil {
		t.Fatal(err)
	}
	m.settled(t)
	if n := len(smtp.To(ann)); n != 1 {
		t.Fatalf("%d emails to Ann after her own comment was approved, want only her confirmation", n)
	}

	m.comment(t, 2, "old", "Spammer", "spam@example.net", "Cheap watches here.")
	if _, err := svc.MarkSpam(ctx, "mod", heldComment(t, svc).ID); err != nil {
		t.Fatal(err)
	}
	m.comment(t, 3, "old", "Bob", "bob@example.net", "Which loop, Ann?")
	bob := heldComment(t, svc)
	m.settled(t)
	if n := len(smtp.To(ann)); n != 1 {
		t.Fatalf("%d emails to Ann with a spam comment and a held one, want only her confirmation", n)
	}
	if _, err := svc.Approve(ctx, "mod", bob.ID); err != nil {
		t.Fatal(err)
	}
	news := smtp.Wait(t, ann, 2)[1]
	if news.Subject != "Club: Bob commented on “Old”" && !strings.Contains(news.Subject, "Bob commented on “Old”") {
		t.Errorf("subject %q", news.Subject)
	}
	if !strings.Contains(news.Text, "Which loop, Ann?") || strings.Contains(string(news.Raw), "bob@example.net") {
		t.Errorf("the email lacks Bob's words or names his address:\n%s", news.Text)
	}
	if u := news.Header.Get("List-Unsubscribe"); !strings.Contains(u, "/email/unsubscribe?t=") {
		t.Errorf("List-Unsubscribe %q", u)
	}

	// Ann again, her address written otherwise: not emailed about it.
	m.comment(t, 4, "old", "Ann", "Ann@Example.ORG", "The river one, Bob.")
	if _, err := svc.Approve(ctx, "mod", heldComment(t, svc).ID); err != nil {
		t.Fatal(err)
	}
	m.settled(t)
	for _, msg := range smtp.Messages() {
		if strings.Contains(msg.Subject, "Spammer") || strings.Contains(msg.Text, "Cheap watches") {
			t.Errorf("the spam comment was emailed to %v", msg.To)
		}
	}
	if n := len(smtp.To(ann)); n != 2 {
		t.Errorf("%d emails to Ann, want her confirmation and Bob's comment", n)
	}
	if n := len(smtp.To("bob@example.net")); n != 0 {
		t.Errorf("%d emails to Bob, who asked for none", n)
	}
}

// TestAuthorPageSubscribesToThatAuthorOnly: the form on an author's page
// subscribes to that author's posts; a post by another author is not
// sent (while a site subscriber gets both).
func TestAuthorPageSubscribesToThatAuthorOnly(t *testing.T) {
	smtp := mailtest.Start(t)
	ln := listen(t)
	dir := newMailContent(t, smtp, ln)
	writeFile(t, filepath.Join(dir, "authors", "lee.md"), "---\nname: Lee\n---\n")
	m := startMailSite(t, dir, filepath.Join(t.TempDir(), "milepost.db"), ln)
	const fan, all = "fan@example.org", "all@example.org"

	page := get(t, m.base+"/authors/kay/")
	if !strings.Contains(page, `name="scope" value="author:kay"`) || !strings.Contains(page, "Get this author’s new posts by email") {
		t.Fatal("kay's page has no subscribe form for kay")
	}
	if code, body := m.post(t, "/email/subscribe", url.Values{"email": {fan}, "scope": {"author:kay"}}); code != http.StatusOK || !strings.Contains(body, "Kay") {
		t.Fatalf("subscribing from kay's page: %d\n%s", code, body)
	}
	m.confirmByMail(t, smtp, fan, 1)
	m.confirmed(t, smtp, all)

	date := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	writeFile(t, filepath.Join(dir, "posts", "lees.md"), "---\ntitle: Lee's long run\ndate: "+date+"\nauthor: lee\n---\nTwenty miles.\n")
	m.st.src.Reload(context.Background())
	smtp.Wait(t, all, 2)
	writeFile(t, filepath.Join(dir, "posts", "kays.md"), "---\ntitle: Kay's tempo\ndate: "+date+"\nauthor: kay\n---\nFast.\n")
	m.st.src.Reload(context.Background())
	smtp.Wait(t, all, 3)
	smtp.Wait(t, fan, 2)
	m.settled(t)
	got := smtp.To(fan)
	if len(got) != 2 || !strings.Contains(got[1].Subject, "Kay's tempo") {
		var subjects []string
		for _, g := range got {
			subjects = append(subjects, g.Subject)
		}
		t.Fatalf("kay's subscriber got %q, want the confirmation and Kay's post", subjects)
	}
	if !strings.Contains(got[1].Text, "Kay") {
		t.Errorf("the email does not say why it came:\n%s", got[1].Text)
	}
}

// TestScheduledPostIsEmailedOnceWhenDue: a post dated a moment ahead is
// not sent when it is written, is sent when it comes due with no reload
// to tell of it, and is not sent again by later reloads.
func TestScheduledPostIsEmailedOnceWhenDue(t *testing.T) {
	smtp, dir, m := newMailSite(t)
	const reader = "reader@example.org"
	m.confirmed(t, smtp, reader)

	due := time.Now().Add(1500 * time.Millisecond)
	writeFile(t, filepath.Join(dir, "posts", "later.md"), "---\ntitle: Race day\ndate: "+due.UTC().Format(time.RFC3339Nano)+"\nauthor: kay\n---\nGun at nine.\n")
	m.st.src.Reload(context.Background())
	m.settled(t)
	if n := len(smtp.To(reader)); n != 1 {
		t.Fatalf("%d emails before the post is due, want the confirmation alone", n)
	}
	news := smtp.Wait(t, reader, 2)[1]
	if news.Subject != "Club: Race day" || news.Received.Before(due) {
		t.Errorf("%q received at %v, due %v", news.Subject, news.Received, due)
	}
	for range 2 {
		m.st.src.Reload(context.Background())
		writeFile(t, filepath.Join(dir, "posts", "other.md"), "---\ntitle: Other\ndate: 2020-02-02\n---\nOld news.\n")
		m.st.src.Reload(context.Background())
	}
	m.settled(t)
	if n := len(smtp.To(reader)); n != 2 {
		t.Errorf("%d emails to the reader, want the confirmation and the post once", n)
	}
}

// TestSMTPPasswordComesFromTheFlagFileOrTheEnvironment: serve's password
// is -smtp-password-file's (its line break dropped), else
// MILEPOST_SMTP_PASSWORD; with it the site logs in over STARTTLS and a
// confirmation goes through.
func TestSMTPPasswordComesFromTheFlagFileOrTheEnvironment(t *testing.T) {
	file := filepath.Join(t.TempDir(), "smtp-password")
	writeFile(t, file, "from the file\n")
	t.Setenv("MILEPOST_SMTP_PASSWORD", "from the environment")
	if p, err := SMTPPassword(file); err != nil || p != "from the file" {
		t.Errorf("with a file: %q, %v", p, err)
	}
	if p, err := SMTPPassword(""); err != nil || p != "from the environment" {
		t.Errorf("without a file: %q, %v", p, err)
	}
	if _, err := SMTPPassword(filepath.Join(t.TempDir(), "none")); err == nil {
		t.Error("a password file that is not there is no error")
	}

	smtp := mailtest.StartWith(t, mailtest.Options{TLS: mailtest.TLSStartTLS, User: "club", Password: "from the file"})
	ln := listen(t)
	dir := newMailContent(t, smtp, ln)
	site := readFile(t, filepath.Join(dir, "site.yaml"))
	writeFile(t, filepath.Join(dir, "site.yaml"), strings.Replace(site, "  tls: none\n", "  tls: starttls\n  user: club\n", 1))
	password, err := SMTPPassword(file)
	if err != nil {
		t.Fatal(err)
	}
	m := startMailSiteWith(t, ServeConfig{ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "milepost.db"), SMTPPassword: password}, ln, smtp.ClientTLS())
	m.confirmed(t, smtp, "reader@example.org")
	if got := smtp.To("reader@example.org")[0]; !got.Encrypted || got.User != "club" {
		t.Errorf("the confirmation came encrypted %v, logged in as %q", got.Encrypted, got.User)
	}
}
