package app

import (
	"context"
	"crypto/tls"
	"expvar"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/mail/mailtest"
	"milepost/internal/outbox"
	"milepost/internal/subscriptions"
)

// mailSite is a server with email, as Serve runs it, over a content
// directory whose site.yaml sends through smtp and holds every comment.
type mailSite struct {
	dir, db, base string
	st            *stores
	http          *httptest.Server
	stopOut       func()
}

// writeFile writes s to path, making its folder first (for this package's
// tests: the mail, kill -9 and WebSub ones).
func writeFile(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func newMailContent(t *testing.T, smtp *mailtest.Server, ln net.Listener) string {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "site.yaml"), fmt.Sprintf(`title: Club
base_url: http://%s
comments:
  moderation: all
email:
  host: %s
  port: %d
  tls: none
  from: "Club <news@club.example>"
`, ln.Addr(), smtp.Host, smtp.Port))
	writeFile(t, filepath.Join(dir, "authors", "kay.md"), "---\nname: Kay\n---\n")
	writeFile(t, filepath.Join(dir, "posts", "old.md"), "---\ntitle: Old\ndate: 2020-01-01\nauthor: kay\n---\nOld run.\n")
	return dir
}

// newMailSite starts a mail test server and a site sending through it,
// with its content directory.
func newMailSite(t *testing.T) (*mailtest.Server, string, *mailSite) {
	t.Helper()
	smtp := mailtest.Start(t)
	ln := listen(t)
	dir := newMailContent(t, smtp, ln)
	return smtp, dir, startMailSite(t, dir, filepath.Join(t.TempDir(), "milepost.db"), ln)
}

// startMailSite serves dir with the database db on ln.
func startMailSite(t *testing.T, dir, db string, ln net.Listener) *mailSite {
	t.Helper()
	return startMailSiteWith(t, ServeConfig{ContentDir: dir, DBPath: db}, ln, nil)
}

// startMailSiteWith serves cfg on ln, its SMTP client trusting tlsConfig's
// roots when it is not nil.
func startMailSiteWith(t *testing.T, cfg ServeConfig, ln net.Listener, tlsConfig *tls.Config) *mailSite {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStores(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	handler, err := buildHandler(ctx, cfg, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: handler}}
	srv.Start()
	st.out.worker.BaseDelay, st.out.worker.Poll = 20*time.Millisecond, 20*time.Millisecond
	st.out.notifyEvery = 20 * time.Millisecond
	st.out.smtp.tlsConfig = tlsConfig
	m := &mailSite{dir: cfg.ContentDir, db: cfg.DBPath, base: "http://" + ln.Addr().String(), st: st, http: srv, stopOut: st.out.start(ctx, st, log)}
	t.Cleanup(m.stop)
	return m
}

func (m *mailSite) stop() {
	if m.stopOut == nil {
		return
	}
	m.stopOut()
	m.stopOut = nil
	m.http.Close()
	m.st.db.Close()
}

// post sends a form to path with no cookies, as a reader's browser (or a
// mail provider's one-click unsubscribe) would.
func (m *mailSite) post(t *testing.T, path string, form url.Values) (int, string) {
	t.Helper()
	res, err := http.PostForm(m.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// confirmByMail follows the confirmation link in the newest email to addr:
// the page, then its button.
func (m *mailSite) confirmByMail(t *testing.T, smtp *mailtest.Server, addr string, n int) {
	t.Helper()
	ms := smtp.Wait(t, addr, n)
	c := ms[n-1]
	if !strings.Contains(c.Subject, "Confirm") {
		t.Fatalf("email %d to %s is %q, want the confirmation", n, addr, c.Subject)
	}
	u := c.Link(t, "/email/confirm")
	if !strings.Contains(c.HTML, strings.ReplaceAll(u, "&", "&amp;")) {
		t.Errorf("the HTML part lacks the confirmation link %s", u)
	}
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(page), addr) {
		t.Fatalf("GET the confirmation link: %d\n%s", res.StatusCode, page)
	}
	token, _ := url.ParseQuery(strings.SplitN(u, "?", 2)[1])
	if code, body := m.post(t, "/email/confirm", url.Values{"t": {token.Get("t")}}); code != http.StatusOK {
		t.Fatalf("confirming: %d\n%s", code, body)
	}
	if code, _ := m.post(t, "/email/confirm", url.Values{"t": {token.Get("t")}}); code != http.StatusGone {
		t.Errorf("confirming a second time with the same link: %d, want 410", code)
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// TestEmailSubscribeConfirmReceiveUnsubscribe goes through a reader's
// subscription with a real SMTP server: the form, the confirmation mail
// and its link (once), a new post by email with one-click unsubscribe
// headers, the one-click POST with no account, and no mail after it.
func TestEmailSubscribeConfirmReceiveUnsubscribe(t *testing.T) {
	smtp, dir, m := newMailSite(t)
	const reader = "reader@example.org"

	home := get(t, m.base+"/")
	if !strings.Contains(home, `action="/email/subscribe"`) {
		t.Fatal("the home page has no subscribe form")
	}
	if code, body := m.post(t, "/email/subscribe", url.Values{"email": {"Reader@Example.org"}, "scope": {"site"}}); code != http.StatusOK || !strings.Contains(body, "Check your inbox") {
		t.Fatalf("subscribing: %d\n%s", code, body)
	}
	// Again at once: no second confirmation mail (the cool-down), the
	// same answer.
	if code, _ := m.post(t, "/email/subscribe", url.Values{"email": {reader}}); code != http.StatusOK {
		t.Fatalf("subscribing again: %d", code)
	}
	m.confirmByMail(t, smtp, reader, 1)
	time.Sleep(100 * time.Millisecond)
	if n := len(smtp.To(reader)); n != 1 {
		t.Fatalf("%d emails to %s after two requests, want 1 confirmation", n, reader)
	}

	writeFile(t, filepath.Join(dir, "posts", "tempo.md"), "---\ntitle: Tempo Tuesday\ndate: "+time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)+
		"\nauthor: kay\n---\nFast laps.\n\n![the track](track.jpg)\n")
	m.st.src.Reload(context.Background())
	news := smtp.Wait(t, reader, 2)[1]
	if news.Subject != "Club: Tempo Tuesday" {
		t.Errorf("subject %q", news.Subject)
	}
	if len(news.To) != 1 || news.Header.Get("To") != "<"+reader+">" && !strings.Contains(news.Header.Get("To"), reader) {
		t.Errorf("addressed to %v / %q, want the reader alone", news.To, news.Header.Get("To"))
	}
	if !strings.Contains(news.Text, "Fast laps.") || !strings.Contains(news.HTML, "<p>Fast laps.</p>") {
		t.Errorf("the story is not in both parts:\n%s\n%s", news.Text, news.HTML)
	}
	if !strings.Contains(news.HTML, m.base+"/posts/tempo/track.jpg") {
		t.Errorf("the photo is not linked by absolute URL:\n%s", news.HTML)
	}
	unsub := news.Header.Get("List-Unsubscribe")
	if news.Header.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" || !strings.HasPrefix(unsub, "<"+m.base+"/email/unsubscribe?t=") {
		t.Fatalf("List-Unsubscribe %q, List-Unsubscribe-Post %q", unsub, news.Header.Get("List-Unsubscribe-Post"))
	}
	if !strings.Contains(news.Text, strings.Trim(unsub, "<>")) {
		t.Error("the body lacks the unsubscribe link")
	}
	if id := news.Header.Get("Message-ID"); !strings.HasSuffix(id, "@127.0.0.1>") {
		t.Errorf("Message-ID %q", id)
	}

	// RFC 8058: the mail provider POSTs List-Unsubscribe=One-Click to the
	// URL, with no cookie and no account.
	req, _ := http.NewRequest(http.MethodPost, strings.Trim(unsub, "<>"), strings.NewReader("List-Unsubscribe=One-Click"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe: %d", res.StatusCode)
	}
	writeFile(t, filepath.Join(dir, "posts", "easy.md"), "---\ntitle: Easy\ndate: "+time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)+"\n---\nSlow.\n")
	m.st.src.Reload(context.Background())
	time.Sleep(300 * time.Millisecond)
	if n := len(smtp.To(reader)); n != 2 {
		t.Errorf("%d emails after unsubscribing and a new post, want still 2", n)
	}
	if err := m.st.db.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

// TestReplyNotificationsOnlyAfterApproval: a commenter asks for replies;
// a held reply sends nothing; once approved, one email goes to the
// parent's writer and no one else, naming no other reader's address.
func TestReplyNotificationsOnlyAfterApproval(t *testing.T) {
	smtp, _, m := newMailSite(t)
	ctx := context.Background()
	svc := NewCommentService(m.st.db, m.st.src, false, nil)
	const ann, bob = "ann@example.org", "bob@example.net"

	page := get(t, m.base+"/posts/old/")
	if !strings.Contains(page, `name="notify_replies"`) || !strings.Contains(page, `name="notify_post"`) {
		t.Fatal("the comment form offers no email boxes")
	}
	comment := func(name, email, parent, body string, boxes ...string) {
		t.Helper()
		form := url.Values{"name": {name}, "email": {email}, "body": {body}, "parent": {parent}}
		for _, b := range boxes {
			form.Set(b, "1")
		}
		client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		res, err := client.PostForm(m.base+"/posts/old/comments", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("posting a comment: %d", res.StatusCode)
		}
	}
	comment("Ann", ann, "", "Great run!", "notify_replies")
	m.confirmByMail(t, smtp, ann, 1)
	held, _, err := svc.Held(ctx, 1, 10)
	if err != nil || len(held) != 1 {
		t.Fatalf("held comments: %v, %v", held, err)
	}
	if _, err := svc.Approve(ctx, "mod", held[0].ID); err != nil {
		t.Fatal(err)
	}
	comment("Bob", bob, fmt.Sprint(held[0].ID), "Thanks Ann, see you Sunday.", "notify_post")
	time.Sleep(300 * time.Millisecond)
	if n := len(smtp.To(ann)); n != 1 {
		t.Fatalf("%d emails to Ann while the reply is held, want only her confirmation", n)
	}
	held, _, _ = svc.Held(ctx, 1, 10)
	if len(held) != 1 {
		t.Fatalf("held: %v", held)
	}
	if _, err := svc.Approve(ctx, "mod", held[0].ID); err != nil {
		t.Fatal(err)
	}
	reply := smtp.Wait(t, ann, 2)[1]
	if !strings.Contains(reply.Subject, "Bob replied to your comment") || !strings.Contains(reply.Text, "see you Sunday") {
		t.Errorf("the reply email: %q\n%s", reply.Subject, reply.Text)
	}
	if strings.Contains(string(reply.Raw), bob) {
		t.Error("the email to Ann names Bob's address")
	}
	time.Sleep(200 * time.Millisecond)
	for _, msg := range smtp.Messages() {
		if !strings.Contains(strings.Join(msg.To, ","), ann) && !strings.Contains(msg.Subject, "Confirm") {
			t.Errorf("an email other than a confirmation went to %v: %q", msg.To, msg.Subject)
		}
	}
	if n := len(smtp.To(ann)); n != 2 {
		t.Errorf("%d emails to Ann, want the confirmation and one reply", n)
	}
}

// get fetches u, which must answer 200, and returns its body.
func get(t *testing.T, u string) string {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, res.StatusCode)
	}
	return string(b)
}

// TestEmailAdminAndLimits: an admin sees the subscriber counts and removes
// an address; a moderator may not; the subscribe form is limited per
// client and per address; without SMTP settings nothing offers email.
func TestEmailAdminAndLimits(t *testing.T) {
	smtp, _, m := newMailSite(t)
	ctx := context.Background()
	for _, u := range []struct {
		name string
		role accounts.Role
	}{{"boss", accounts.RoleAdmin}, {"mod", accounts.RoleModerator}} {
		if _, err := m.st.accts.Add(ctx, u.name, u.role, "a long enough password"); err != nil {
			t.Fatal(err)
		}
	}
	m.confirmed(t, smtp, "ann@example.org")
	m.confirmed(t, smtp, "bo@example.org")

	signIn := func(name string) *http.Client {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		res, err := c.PostForm(m.base+"/admin/login", url.Values{"name": {name}, "password": {"a long enough password"}})
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return c
	}
	admin := signIn("boss")
	page := func(c *http.Client) (int, string) {
		res, err := c.Get(m.base + "/admin/subscribers/")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	code, body := page(admin)
	if code != http.StatusOK || !strings.Contains(body, "<dt>Confirmed</dt><dd>2</dd>") || !strings.Contains(body, "every new post on Club</td><td>2</td>") {
		t.Fatalf("the admin's page: %d\n%s", code, body)
	}
	if strings.Contains(body, "ann@example.org") {
		t.Error("the counts page lists addresses")
	}
	if !strings.Contains(body, "Emails waiting to be sent: 0. Given up on after every retry: 0.") {
		t.Errorf("the admin's page does not count the outgoing emails:\n%s", body)
	}
	// An email the server refused at every try is counted as given up on.
	// (Due far ahead, so that the worker does not send it meanwhile.)
	later := time.Now().Add(time.Hour)
	if err := m.st.db.Enqueue(ctx, outbox.Message{Kind: subscriptions.Kind, Key: "refused", Payload: []byte("{}"), NotBefore: later}); err != nil {
		t.Fatal(err)
	}
	due, err := m.st.db.Due(ctx, later.Add(time.Minute), 100)
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(due, func(msg outbox.Message) bool { return msg.Key == "refused" })
	if i < 0 {
		t.Fatalf("the refused email is not due: %v", due)
	}
	if err := m.st.db.GiveUp(ctx, due[i].ID, "550 mailbox unavailable"); err != nil {
		t.Fatal(err)
	}
	if _, body := page(admin); !strings.Contains(body, "Given up on after every retry: 1 — these readers did not get them") {
		t.Errorf("the admin's page does not count the email given up on:\n%s", body)
	}
	if code, _ := page(signIn("mod")); code != http.StatusForbidden {
		t.Errorf("a moderator's GET: %d, want 403", code)
	}
	res, err := admin.PostForm(m.base+"/admin/subscribers/remove", url.Values{"email": {"Ann@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if sub, ok, _ := m.st.db.Subscriber(ctx, "ann@example.org"); ok {
		t.Errorf("removed, yet kept: %+v", sub)
	}
	if _, body := page(admin); !strings.Contains(body, "<dt>Addresses</dt><dd>1</dd>") {
		t.Errorf("after the removal:\n%s", body)
	}

	// Per address: five requests an hour, whoever sends them (each from a
	// loopback address of its own); per client: six a minute.
	for i := range 6 {
		code := m.postFrom(t, byte(10+i), "/email/subscribe", url.Values{"email": {"target@example.org"}})
		if want := map[bool]int{true: 200, false: 429}[i < 5]; code != want {
			t.Errorf("request %d for one address: %d, want %d", i+1, code, want)
		}
	}
	if n := len(smtp.To("target@example.org")); n != 1 {
		t.Errorf("%d confirmation emails to one address, want 1", n)
	}
	if v := expvar.Get("outbox"); v == nil || !strings.Contains(v.String(), `"Pending"`) {
		t.Errorf("/debug/vars has no outbox counts: %v", v)
	}
	for i := range 7 {
		code := m.postFrom(t, 99, "/email/subscribe", url.Values{"email": {fmt.Sprintf("r%d@example.org", i)}})
		if want := map[bool]int{true: 200, false: 429}[i < 6]; code != want {
			t.Errorf("request %d from one client: %d, want %d", i+1, code, want)
		}
	}
}

// postFrom posts the form from the loopback address 127.0.1.n.
func (m *mailSite) postFrom(t *testing.T, n byte, path string, form url.Values) int {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true,
		DialContext: (&net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 1, n)}}).DialContext}}
	res, err := client.PostForm(m.base+path, form)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// confirmed subscribes addr to the site through the form and the emailed
// link.
func (m *mailSite) confirmed(t *testing.T, smtp *mailtest.Server, addr string) {
	t.Helper()
	if code, body := m.post(t, "/email/subscribe", url.Values{"email": {addr}}); code != http.StatusOK {
		t.Fatalf("subscribing %s: %d\n%s", addr, code, body)
	}
	m.confirmByMail(t, smtp, addr, 1)
}

func TestNothingOffersEmailWithoutSMTPSettings(t *testing.T) {
	ln := listen(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "site.yaml"), fmt.Sprintf("title: Club\nbase_url: http://%s\n", ln.Addr()))
	writeFile(t, filepath.Join(dir, "posts", "old.md"), "---\ntitle: Old\ndate: 2020-01-01\n---\nOld run.\n")
	m := startMailSite(t, dir, filepath.Join(t.TempDir(), "milepost.db"), ln)
	for _, path := range []string{"/", "/posts/old/"} {
		page := get(t, m.base+path)
		if strings.Contains(page, "/email/subscribe") || strings.Contains(page, "notify_replies") || strings.Contains(page, "weekly digest") {
			t.Errorf("%s offers email without SMTP settings", path)
		}
	}
	if code, _ := m.post(t, "/email/subscribe", url.Values{"email": {"a@b.example"}}); code != http.StatusNotFound {
		t.Errorf("the subscribe form's address: %d, want 404", code)
	}
}
