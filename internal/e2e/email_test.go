package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"milepost/internal/mail/mailtest"
)

// withEmail serves the site with email through smtp, on a port opened
// now and kept open, so that the links in the emails lead back to the
// server.
func withEmail(t *testing.T, smtp *mailtest.Server) (serverOption, map[string]string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() }) // Serve closes it too; this is for a test that stops before
	addr := ln.Addr().String()
	site, err := os.ReadFile(filepath.Join("..", "..", "content", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	extra := map[string]string{"site.yaml": string(site) + fmt.Sprintf(
		"\nemail:\n  host: %s\n  port: %d\n  tls: none\n  from: \"Milepost <club@example.org>\"\n", smtp.Host, smtp.Port)}
	return func(s *serverSetup) { s.listener, s.baseURL = ln, "http://"+addr }, extra
}

// TestReaderSubscribesConfirmsReadsAndUnsubscribes is a reader who wants
// the club's stories by email: they type their address in the footer,
// follow the link in the email that comes, get the next story in their
// inbox, and stop it with one click from that email.
func TestReaderSubscribesConfirmsReadsAndUnsubscribes(t *testing.T) {
	smtp := mailtest.Start(t)
	opt, extra := withEmail(t, smtp)
	srv := startServer(t, extra, opt)
	tb := newTabWithin(t, 2*time.Minute)
	const reader = "pat@example.org"

	if status := tb.navigate(srv.base + postPath); status != 200 {
		t.Fatalf("the story: status %d", status)
	}
	tb.do("typing an address in the footer", chromedp.SendKeys(chromedp.ID("subscribe-email"), reader))
	if status := tb.clickAndLoad(`form.subscribe button[type="submit"]`); status != 200 {
		t.Fatalf("subscribing: status %d", status)
	}
	if got := tb.text("h1"); got != "Check your inbox" {
		t.Fatalf("after subscribing the page says %q", got)
	}

	confirm := smtp.Wait(t, reader, 1)[0]
	if status := tb.navigate(confirm.Link(t, "/email/confirm")); status != 200 {
		t.Fatalf("the confirmation link: status %d", status)
	}
	if status := tb.clickAndLoad(`form.email-action button`); status != 200 {
		t.Fatalf("confirming: status %d", status)
	}
	if got := tb.text("h1"); got != "Subscribed" {
		t.Fatalf("after confirming the page says %q", got)
	}

	story := "---\ntitle: Hill repeats in the rain\ndate: " + time.Now().Add(-time.Minute).UTC().Format(time.RFC3339) +
		"\nauthor: kay-kays-bird-club\n---\nEight times up Mount Tabor, soaked.\n"
	if err := os.WriteFile(filepath.Join(srv.contentDir, "posts", "hill-repeats.md"), []byte(story), 0o644); err != nil {
		t.Fatal(err)
	}
	news := smtp.Wait(t, reader, 2)[1]
	if !strings.Contains(news.Subject, "Hill repeats in the rain") || !strings.Contains(news.HTML, "Eight times up Mount Tabor") {
		t.Fatalf("the story's email: %q\n%s", news.Subject, news.HTML)
	}
	// The story's link in the email leads to the story.
	if status := tb.navigate(news.Link(t, "/posts/hill-repeats/")); status != 200 {
		t.Fatalf("the story's link: status %d", status)
	}

	if status := tb.navigate(news.Link(t, "/email/unsubscribe")); status != 200 {
		t.Fatalf("the unsubscribe link: status %d", status)
	}
	if status := tb.clickAndLoad(`form.email-action button`); status != 200 {
		t.Fatalf("unsubscribing: status %d", status)
	}
	if got := tb.text("h1"); got != "Unsubscribed" {
		t.Fatalf("after unsubscribing the page says %q", got)
	}
	later := strings.Replace(strings.Replace(story, "hill-repeats", "x", 1), "Hill repeats in the rain", "Recovery jog", 1)
	if err := os.WriteFile(filepath.Join(srv.contentDir, "posts", "recovery-jog.md"), []byte(later), 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the watcher, the announcer and the outbox would have sent it by now
	if n := len(smtp.To(reader)); n != 2 {
		t.Errorf("%d emails to the reader after unsubscribing and a new story, want still 2", n)
	}
}
