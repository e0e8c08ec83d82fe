package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"milepost/internal/comments"
	"milepost/internal/mail"
	"milepost/internal/outbox"
	"milepost/internal/subscriptions"
)

// Email: the subscribe form on every page, the confirmation and
// unsubscribe links emails carry, the comment form's "email me" boxes and
// the admin's page of subscribers. Nothing here is offered unless
// Options.Email is set and enabled (SMTP settings and a base URL).

// maxEmailFormBytes bounds the subscribe, confirm and unsubscribe forms.
const maxEmailFormBytes = 4 << 10

// Rate limits of the email forms: per client (address group) and per
// email address, on top of subscriptions' one confirmation per address
// an hour.
const (
	emailFormsPerMinute = 6
	emailAddressPerHour = 5
	emailAddressesKept  = 10000
	limitEmailForm      = "email"
)

// emailState is the email forms' own limiters.
type emailState struct {
	clients *ipLimiter
	mu      sync.Mutex
	byAddr  map[string][]time.Time // recent requests naming each address
}

func newEmailState() *emailState {
	return &emailState{clients: newIPLimiter(emailFormsPerMinute, time.Minute), byAddr: map[string][]time.Time{}}
}

// allowAddress counts a request naming addr and reports whether it is
// within emailAddressPerHour.
func (e *emailState) allowAddress(addr string, now time.Time) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.byAddr) > emailAddressesKept {
		clear(e.byAddr) // a flood of addresses: start counting afresh rather than grow
	}
	recent := slices.DeleteFunc(e.byAddr[addr], func(t time.Time) bool { return now.Sub(t) > time.Hour })
	if len(recent) >= emailAddressPerHour {
		e.byAddr[addr] = recent
		return false
	}
	e.byAddr[addr] = append(recent, now)
	return true
}

// emailOffered reports whether pages offer email now.
func (s *Server) emailOffered() bool { return s.opts.Email.Enabled() }

// emailRoutes registers the email pages.
func (s *Server) emailRoutes(m *http.ServeMux) {
	m.HandleFunc("POST /email/subscribe", s.subscribe)
	m.HandleFunc("GET /email/confirm", s.confirmPage)
	m.HandleFunc("POST /email/confirm", s.confirm)
	m.HandleFunc("GET /email/unsubscribe", s.unsubscribePage)
	m.HandleFunc("POST /email/unsubscribe", s.unsubscribe)
	if s.opts.Accounts != nil {
		m.HandleFunc("GET /admin/subscribers/{$}", s.admin(s.adminSubscribers))
		m.HandleFunc("POST /admin/subscribers/remove", s.admin(s.removeSubscriber))
	}
}

// emailPage is the email page's data: a message, and a form to press when
// the page asks for a confirmation.
type emailPage struct {
	Heading, Message string
	Action, Token    string // a POST form with the token, when Action is set
	Button           string
	Counts           *subscriptions.Counts // the admin's page
	Scopes           []scopeCount
	Outgoing         *outgoing // the admin's page: emails waiting and given up on
	Removed          string
}

// OutboxCounts counts the outgoing messages waiting and given up on, by
// kind. bolt.DB is one.
type OutboxCounts interface {
	Stats(ctx context.Context) (outbox.Stats, error)
}

// outgoing is what admins are shown of one kind of outgoing work: a
// message given up on after its tries is one a subscriber or a follower
// never got, and the log names each failure.
type outgoing struct {
	Waiting, GivenUp int
}

// outgoing counts the messages of kind, nil when there is no outbox or it
// cannot be read (the page shows the rest; the log says why).
func (s *Server) outgoing(r *http.Request, kind string) *outgoing {
	if s.opts.Outbox == nil {
		return nil
	}
	st, err := s.opts.Outbox.Stats(r.Context())
	if err != nil {
		s.log.Warn("counting the outgoing messages", "err", err)
		return nil
	}
	return &outgoing{Waiting: st.Pending[kind], GivenUp: st.Dead[kind]}
}

type scopeCount struct {
	Name  string
	Count int
}

func (s *Server) emailPage(w http.ResponseWriter, r *http.Request, status int, p emailPage) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer") // the URL holds a token
	s.render(w, r, status, "email", pageData{Title: p.Heading, NoIndex: true, Email: &p}, s.opts.Content.Current())
}

// emailRefused answers a request the limits or the rules refuse, through
// problemTable.
func (s *Server) emailRefused(w http.ResponseWriter, r *http.Request, err error) {
	w.Header().Set("Cache-Control", "no-store")
	s.fail(w, r, "handling an email form", err)
}

var errTooManyEmailRequests = errors.New("too many requests")

// readEmailForm checks that email is offered and the client within its
// limit, and reads the form; false when it has answered the request.
func (s *Server) readEmailForm(w http.ResponseWriter, r *http.Request) bool {
	if !s.emailOffered() {
		s.emailRefused(w, r, subscriptions.ErrNotConfigured)
		return false
	}
	if ok, _ := s.email.clients.allow(limitEmailForm, s.clientIP(r), s.now()); !ok {
		s.emailRefused(w, r, errTooManyEmailRequests)
		return false
	}
	if err := readForm(w, r, maxEmailFormBytes); err != nil {
		s.fail(w, r, "", err)
		return false
	}
	return true
}

// subscribe handles the subscribe form: the whole site (each new post, or
// the weekly digest), or one author.
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) {
	if !s.readEmailForm(w, r) {
		return
	}
	addr, err := mail.NormalAddress(r.PostForm.Get("email"))
	if err != nil {
		s.emailRefused(w, r, subscriptions.ErrBadAddress)
		return
	}
	if !s.email.allowAddress(addr, s.now()) {
		s.emailRefused(w, r, errTooManyEmailRequests)
		return
	}
	scope := r.PostForm.Get("scope")
	if scope == "" {
		scope = subscriptions.ScopeSite
	}
	if !strings.HasPrefix(scope, "author:") && scope != subscriptions.ScopeSite && scope != subscriptions.ScopeDigest {
		s.emailRefused(w, r, subscriptions.ErrBadScope)
		return
	}
	if err := s.opts.Email.Subscribe(r.Context(), addr, scope); err != nil {
		s.emailRefused(w, r, err)
		return
	}
	// The same answer whatever the address's state: the page tells no one
	// who subscribes here.
	s.emailPage(w, r, http.StatusOK, emailPage{Heading: "Check your inbox",
		Message: "If " + addr + " is new here, we have sent it a link to confirm the subscription to " +
			s.opts.Email.ScopeName(scope) + ". If it was confirmed before, you are subscribed already."})
}

// confirmPage shows what a confirmation link confirms, with the button
// that does it: a GET changes nothing, as mail scanners open links.
func (s *Server) confirmPage(w http.ResponseWriter, r *http.Request) {
	if !s.emailOffered() {
		s.emailRefused(w, r, subscriptions.ErrNotConfigured)
		return
	}
	token := r.URL.Query().Get("t")
	addr, scopes, err := s.opts.Email.Pending(r.Context(), token)
	if err != nil {
		s.emailRefused(w, r, err)
		return
	}
	var names []string
	for _, sc := range scopes {
		names = append(names, s.opts.Email.ScopeName(sc))
	}
	s.emailPage(w, r, http.StatusOK, emailPage{Heading: "Confirm your subscription",
		Message: "Confirm that " + addr + " should get " + strings.Join(names, ", ") + ".",
		Action:  "/email/confirm", Token: token, Button: "Confirm"})
}

func (s *Server) confirm(w http.ResponseWriter, r *http.Request) {
	if !s.readEmailForm(w, r) {
		return
	}
	addr, err := s.opts.Email.Confirm(r.Context(), r.PostForm.Get("t"))
	if err != nil {
		s.emailRefused(w, r, err)
		return
	}
	s.emailPage(w, r, http.StatusOK, emailPage{Heading: "Subscribed",
		Message: addr + " is confirmed. Every email has a link to unsubscribe with one click."})
}

// unsubscribePage asks for the click; unsubscribe does it. A mail client's
// one-click unsubscribe (RFC 8058) POSTs "List-Unsubscribe=One-Click" to
// the link itself, with the token in the URL; no account, no cookie.
func (s *Server) unsubscribePage(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("t")
	s.emailPage(w, r, http.StatusOK, emailPage{Heading: "Unsubscribe",
		Message: "Stop these emails? One click, and no more will be sent.",
		Action:  "/email/unsubscribe?t=" + token, Token: token, Button: "Unsubscribe"})
}

func (s *Server) unsubscribe(w http.ResponseWriter, r *http.Request) {
	if s.opts.Email == nil {
		s.emailRefused(w, r, subscriptions.ErrNotConfigured)
		return
	}
	// The body is "List-Unsubscribe=One-Click" (form or multipart) or the
	// page's form; the token is in the URL either way, or in the form.
	r.Body = http.MaxBytesReader(w, r.Body, maxEmailFormBytes)
	token := r.URL.Query().Get("t")
	if token == "" && isForm(r) && r.ParseForm() == nil {
		token = r.PostForm.Get("t")
	}
	_, _ = io.Copy(io.Discard, r.Body)
	_, scope, err := s.opts.Email.Unsubscribe(r.Context(), token)
	if err != nil {
		s.emailRefused(w, r, err)
		return
	}
	what := "these emails"
	if scope != "" {
		what = s.opts.Email.ScopeName(scope)
	}
	s.emailPage(w, r, http.StatusOK, emailPage{Heading: "Unsubscribed",
		Message: "You will get no more emails for " + what + "."})
}

// followComment subscribes a comment's writer to what the comment form's
// boxes ask for, once the comment is stored: the replies to it, and the
// post's new comments. A failure is logged: the comment itself is posted.
func (s *Server) followComment(r *http.Request, c comments.Comment) {
	if !s.emailOffered() || c.Email == "" {
		return
	}
	var scopes []string
	if r.PostForm.Get("notify_replies") != "" {
		scopes = append(scopes, subscriptions.CommentScope(c.ID))
	}
	if r.PostForm.Get("notify_post") != "" {
		scopes = append(scopes, subscriptions.PostScope(c.Post))
	}
	addr, err := mail.NormalAddress(c.Email)
	if err != nil || len(scopes) == 0 || !s.email.allowAddress(addr, s.now()) {
		return
	}
	for _, scope := range scopes {
		if err := s.opts.Email.Subscribe(r.Context(), addr, scope); err != nil {
			s.log.WarnContext(r.Context(), "following a comment by email", "scope", scope, "err", err)
		}
	}
	s.opts.Email.Wake()
}

// adminSubscribers shows the counts and the form that removes an address.
func (s *Server) adminSubscribers(w http.ResponseWriter, r *http.Request) {
	s.showSubscribers(w, r, "")
}

func (s *Server) showSubscribers(w http.ResponseWriter, r *http.Request, removed string) {
	if s.opts.Email == nil {
		s.notFound(w, r)
		return
	}
	n, err := s.opts.Email.Counts(r.Context())
	if err != nil {
		s.serverError(w, r, "counting subscribers", err)
		return
	}
	var scopes []scopeCount
	for scope, c := range n.Active {
		scopes = append(scopes, scopeCount{Name: s.opts.Email.ScopeName(scope), Count: c})
	}
	slices.SortFunc(scopes, func(a, b scopeCount) int { return strings.Compare(a.Name, b.Name) })
	s.emailPage(w, r, http.StatusOK, emailPage{Heading: "Subscribers", Counts: &n, Scopes: scopes, Removed: removed,
		Outgoing: s.outgoing(r, subscriptions.Kind)})
}

func (s *Server) removeSubscriber(w http.ResponseWriter, r *http.Request) {
	if ok, wait := s.writes.allow(limitStaff, s.clientIP(r), s.now()); !ok {
		s.fail(w, r, "", &waitError{errTooManyWrites, wait})
		return
	}
	if err := readForm(w, r, maxEmailFormBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	addr := r.PostForm.Get("email")
	if err := s.opts.Email.Remove(r.Context(), addr); err != nil {
		s.emailRefused(w, r, err)
		return
	}
	s.showSubscribers(w, r, addr)
}

// subscribeScope is the subscribe form's scope on the page at path: an
// author's own on their pages, else the whole site's.
func subscribeScope(path string) string {
	if rest, ok := strings.CutPrefix(path, "/authors/"); ok {
		if id, _, ok := strings.Cut(rest, "/"); ok && id != "" {
			return subscriptions.AuthorScope(id)
		}
	}
	return subscriptions.ScopeSite
}
