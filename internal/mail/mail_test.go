package mail_test

import (
	"context"
	"strings"
	"testing"

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
