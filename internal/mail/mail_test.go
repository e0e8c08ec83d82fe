package mail_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"milepost/internal/mail"
	"milepost/internal/mail/mailtest"
	"milepost/internal/outbox"
)

func TestSettings(t *testing.T) {
	var none mail.Settings
	if err := none.Validate(); err != nil || none.Enabled() {
		t.Errorf("no email block: %v, enabled %v", err, none.Enabled())
	}
	s := mail.Settings{Host: "smtp.example.org", From: "Club <club@example.org>"}
	if err := s.Validate(); err != nil || s.TLS != mail.TLSStartTLS || s.Port != 587 || !s.Enabled() {
		t.Errorf("defaults: %+v, %v", s, err)
	}
	for _, bad := range []mail.Settings{
		{Host: "smtp.example.org"},
		{From: "club@example.org"},
		{Host: "h", From: "not an address"},
		{Host: "h", From: "a@b.example", TLS: "ssl"},
		{Host: "h", From: "a@b.example", Port: 70000},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestNormalAddress(t *testing.T) {
	if a, err := mail.NormalAddress(" Ann@Example.ORG "); err != nil || a != "ann@example.org" {
		t.Errorf("NormalAddress = %q, %v", a, err)
	}
	for _, bad := range []string{"", "ann", "Ann <ann@example.org>", "a@b.example, c@d.example", "a@b.example\r\nBcc: x@y.example"} {
		if _, err := mail.NormalAddress(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestComposeEscapesAndKeepsTheSubjectOneLine(t *testing.T) {
	e, err := mail.ComposePost("a@b.example", mail.Post{Site: mail.Site{Title: "Club", URL: "https://club.example"},
		Title: "<script>x</script>\r\nBcc: evil@example.org", URL: "https://club.example/posts/x/", Body: "<p>ok</p>", Text: "ok",
		Why: "every new post", Unsubscribe: "https://club.example/email/unsubscribe?t=a&b"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(e.Subject, "\r\n") {
		t.Errorf("subject %q spans lines", e.Subject)
	}
	if strings.Contains(e.HTML, "<script>") || !strings.Contains(e.HTML, "&lt;script&gt;") || !strings.Contains(e.HTML, "<p>ok</p>") {
		t.Errorf("HTML part:\n%s", e.HTML)
	}
	if !strings.Contains(e.Text, "https://club.example/email/unsubscribe?t=a&b") || !strings.Contains(e.HTML, "unsubscribe?t=a&amp;b") {
		t.Errorf("the unsubscribe link is not in both parts")
	}
	if a, b := mail.MessageID("k1", "club.example"), mail.MessageID("k1", "club.example"); a != b || a == mail.MessageID("k2", "club.example") || !strings.HasSuffix(a, "@club.example") {
		t.Errorf("MessageID: %q %q", a, b)
	}
}

func TestSMTPSendsMultipartWithHeadersAndRetriesATemporaryRefusal(t *testing.T) {
	srv := mailtest.Start(t)
	s := mail.Settings{Host: srv.Host, Port: srv.Port, TLS: mail.TLSNone, From: "Club <club@example.org>"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	tr := mail.NewSMTP(s, "")
	e := mail.Email{To: "reader@example.org", Subject: "Café run — “fast”", Text: "plain ✓", HTML: "<p>html ✓</p>",
		MessageID: mail.MessageID("key", "club.example"), Unsubscribe: "https://club.example/email/unsubscribe?t=x"}
	srv.RefuseNext(1)
	err := tr.Send(context.Background(), e)
	if err == nil || outbox.IsPermanent(err) {
		t.Fatalf("a 451: err = %v, want a temporary error", err)
	}
	if err := tr.Send(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	ms := srv.To("reader@example.org")
	if len(ms) != 1 {
		t.Fatalf("%d messages", len(ms))
	}
	m := ms[0]
	if m.Subject != e.Subject || strings.TrimSpace(m.Text) != "plain ✓" || strings.TrimSpace(m.HTML) != "<p>html ✓</p>" {
		t.Errorf("received %q, text %q, html %q", m.Subject, m.Text, m.HTML)
	}
	if m.Header.Get("Message-ID") != "<"+e.MessageID+">" || m.Header.Get("List-Unsubscribe") != "<"+e.Unsubscribe+">" ||
		m.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || m.From != "club@example.org" {
		t.Errorf("headers %v, envelope from %q", m.Header, m.From)
	}
}

// sendOne sends a message to reader@example.org through srv with s and
// password, trusting srv's certificate.
func sendOne(t *testing.T, srv *mailtest.Server, s mail.Settings, password string) error {
	t.Helper()
	s.Host, s.Port, s.From = srv.Host, srv.Port, "Club <club@example.org>"
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	tr := mail.NewSMTP(s, password)
	tr.TLSConfig = srv.ClientTLS()
	return tr.Send(context.Background(), mail.Email{To: "reader@example.org", Subject: "Tempo", Text: "laps", HTML: "<p>laps</p>"})
}

// TestSMTPLogsInOverTLS: with tls: starttls the connection is upgraded
// before the login, with tls: tls it is encrypted from the start; either
// way the user and password log in (by PLAIN or LOGIN, whichever the
// server offers) and the message arrives.
func TestSMTPLogsInOverTLS(t *testing.T) {
	for _, c := range []struct{ mode, mech string }{
		{mail.TLSStartTLS, "PLAIN"}, {mail.TLSStartTLS, "LOGIN"}, {mail.TLSImplicit, "PLAIN"}, {mail.TLSImplicit, "LOGIN"},
	} {
		t.Run(c.mode+" "+c.mech, func(t *testing.T) {
			srv := mailtest.StartWith(t, mailtest.Options{TLS: c.mode, User: "club", Password: "right horse", Mechanisms: []string{c.mech}})
			if err := sendOne(t, srv, mail.Settings{TLS: c.mode, User: "club"}, "right horse"); err != nil {
				t.Fatal(err)
			}
			ms := srv.To("reader@example.org")
			if len(ms) != 1 || !ms[0].Encrypted || ms[0].User != "club" || ms[0].Subject != "Tempo" {
				t.Fatalf("received %d message(s): %+v", len(ms), ms)
			}
		})
	}
}

// TestSMTPWrongPasswordIsATemporaryFailure: the server's refusal of the
// login names the login, and sends nothing. It is not permanent: the
// password is the site's to mend (and serve's to be restarted with), not
// the reader's, so the outbox keeps the emails and tries again rather
// than giving every one of them up.
func TestSMTPWrongPasswordIsATemporaryFailure(t *testing.T) {
	srv := mailtest.StartWith(t, mailtest.Options{TLS: mailtest.TLSStartTLS, User: "club", Password: "right horse"})
	err := sendOne(t, srv, mail.Settings{TLS: mail.TLSStartTLS, User: "club"}, "wrong horse")
	if err == nil {
		t.Fatal("sent with a wrong password")
	}
	if outbox.IsPermanent(err) {
		t.Errorf("a wrong password is a permanent failure: %v", err)
	}
	if msg := err.Error(); !strings.Contains(msg, `logging in to the SMTP server as "club"`) || !strings.Contains(msg, "535") ||
		!strings.Contains(msg, "-smtp-password-file") || strings.Contains(msg, "horse") {
		t.Errorf("the error does not say clearly that the login failed (or names the password): %v", err)
	}
	if srv.FailedLogins() != 1 || len(srv.Messages()) != 0 {
		t.Errorf("%d failed logins, %d messages; want 1 and none", srv.FailedLogins(), len(srv.Messages()))
	}
	if !outbox.IsHeld(err) {
		t.Errorf("a refused login is not held (it would be given up with its retries): %v", err)
	}
}

// TestSMTPARefusedLoginHoldsTheOthersBack: after the server refuses the
// login, the next email's turn (Wait) does not come for a while: every
// email would be refused alike, and a server counting failed logins locks
// the account. A new transport (serve restarted with the right password)
// is not held.
func TestSMTPARefusedLoginHoldsTheOthersBack(t *testing.T) {
	srv := mailtest.StartWith(t, mailtest.Options{TLS: mailtest.TLSStartTLS, User: "club", Password: "right horse"})
	s := mail.Settings{TLS: mail.TLSStartTLS, User: "club", Host: srv.Host, Port: srv.Port, From: "Club <club@example.org>"}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	wrong := mail.NewSMTP(s, "wrong horse")
	wrong.TLSConfig = srv.ClientTLS()
	if err := wrong.Send(context.Background(), mail.Email{To: "reader@example.org", Subject: "Tempo", Text: "laps"}); err == nil {
		t.Fatal("sent with a wrong password")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := wrong.Wait(ctx); err == nil {
		t.Error("the next email's turn came at once after a refused login")
	}
	right := mail.NewSMTP(s, "right horse")
	right.TLSConfig = srv.ClientTLS()
	if err := right.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := right.Send(context.Background(), mail.Email{To: "reader@example.org", Subject: "Tempo", Text: "laps"}); err != nil {
		t.Fatal(err)
	}
	if srv.FailedLogins() != 1 || len(srv.Messages()) != 1 {
		t.Errorf("%d failed logins, %d messages; want 1 and 1", srv.FailedLogins(), len(srv.Messages()))
	}
}

// TestSMTPNeverFallsBackToClearText: tls: starttls against a server that
// does not offer STARTTLS, or whose certificate is not trusted, fails
// before anything is sent (the password included), rather than going on
// in clear.
func TestSMTPNeverFallsBackToClearText(t *testing.T) {
	for _, user := range []string{"club", ""} {
		plain := mailtest.StartWith(t, mailtest.Options{User: user, Password: "right horse"})
		err := sendOne(t, plain, mail.Settings{TLS: mail.TLSStartTLS, User: user}, "right horse")
		if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
			t.Errorf("starttls against a server without it (user %q): %v", user, err)
		}
		if len(plain.Messages()) != 0 || plain.FailedLogins() != 0 {
			t.Errorf("a server without STARTTLS got %d message(s) (user %q)", len(plain.Messages()), user)
		}
	}

	untrusted := mailtest.StartWith(t, mailtest.Options{TLS: mailtest.TLSStartTLS})
	s := mail.Settings{Host: untrusted.Host, Port: untrusted.Port, From: "club@example.org", TLS: mail.TLSStartTLS}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	err := mail.NewSMTP(s, "").Send(context.Background(), mail.Email{To: "reader@example.org", Subject: "x", Text: "x", HTML: "x"})
	if err == nil || len(untrusted.Messages()) != 0 {
		t.Errorf("a certificate no root vouches for: err %v, %d message(s)", err, len(untrusted.Messages()))
	}
}

// TestSMTPWaitKeepsPerMinute: at 6 a minute (a burst of one, then one
// every ten seconds) the second turn is ten seconds off: a wait bounded
// by a second fails at once, without waiting it out.
func TestSMTPWaitKeepsPerMinute(t *testing.T) {
	s := mail.Settings{Host: "127.0.0.1", From: "club@example.org", TLS: mail.TLSNone, PerMinute: 6}
	if err := s.Validate(); err != nil {
		t.Fatal(err)
	}
	tr := mail.NewSMTP(s, "")
	if err := tr.Wait(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	if err := tr.Wait(ctx); err == nil || time.Since(start) > 900*time.Millisecond {
		t.Errorf("a second turn within a second at 6 a minute: %v after %v", err, time.Since(start))
	}
}
