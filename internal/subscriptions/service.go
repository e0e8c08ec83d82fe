package subscriptions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/mail"
	"milepost/internal/outbox"
	"milepost/internal/publication"
)

// Kind is the outbox Kind of every email.
const Kind = "email"

// Options are what a Service is built from.
type Options struct {
	Store  Store
	Secret []byte // keys the tokens; the same across restarts
	// Site is the site served now: its base URL (every link in an email is
	// absolute; without one nothing offers email), title, email settings
	// and posts.
	Site func() *content.Site
	// Transport delivers the emails; nil when email is not set up.
	Transport mail.Transport
	// Comment reads a comment, for the notifications.
	Comment func(ctx context.Context, id uint64) (comments.Comment, error)
	// ForEmail is HTML of the site (a post's story, its summary) made fit
	// for an email: its links and photo addresses absolute against the
	// page at pageURL, and as plain text.
	ForEmail func(h template.HTML, pageURL string) (template.HTML, string)
	// Notify wakes the outbox worker after messages were enqueued.
	Notify func()
	Now    func() time.Time
	Log    *slog.Logger
}

// Service is the subscriptions' rules over a Store.
type Service struct {
	o    Options
	keys signer
	wake chan struct{}

	// digestMu guards lastDigest, the last week's digest made: it is the
	// same for every subscriber, so the outbox's emails of one week, sent
	// one after another, share it until the site changes.
	digestMu   sync.Mutex
	lastDigest struct {
		site *content.Site
		due  time.Time
		d    mail.Digest
	}
}

// New builds a Service.
func New(o Options) (*Service, error) {
	if o.Store == nil || o.Site == nil || len(o.Secret) < 16 {
		return nil, errors.New("subscriptions: Store, Site and a Secret of at least 16 bytes are required")
	}
	if o.Transport != nil && o.ForEmail == nil {
		return nil, errors.New("subscriptions: a Transport needs ForEmail")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Notify == nil {
		o.Notify = func() {}
	}
	return &Service{o: o, keys: signer(o.Secret), wake: make(chan struct{}, 1)}, nil
}

// Enabled reports whether the site offers email now: SMTP settings, a
// base URL for the links, and a transport.
func (s *Service) Enabled() bool {
	if s == nil {
		return false
	}
	cfg := s.o.Site().Config
	return cfg.Email.Enabled() && cfg.BaseURL != "" && s.o.Transport != nil
}

func (s *Service) base() string { return strings.TrimSuffix(s.o.Site().Config.BaseURL, "/") }

// postURL is a post's absolute URL, which emails link to.
func (s *Service) postURL(p *content.Post) string { return s.base() + "/posts/" + p.Slug + "/" }

// Subscribe subscribes the address to scope: at once if the address was
// confirmed before, else once it is, and then a confirmation is mailed
// unless one was mailed within ConfirmCooldown. The caller learns nothing
// of which happened, so that a form cannot tell who subscribes.
func (s *Service) Subscribe(ctx context.Context, email, scope string) error {
	if !s.Enabled() {
		return ErrNotConfigured
	}
	addr, err := normal(email)
	if err != nil {
		return err
	}
	if !s.knownScope(scope) {
		return ErrBadScope
	}
	now := s.o.Now().UTC()
	var queued bool
	err = s.o.Store.UpdateSubscriber(ctx, addr, func(sub *Subscriber) ([]outbox.Message, error) {
		if sub.Created.IsZero() {
			sub.Created = now
		}
		if sub.Scopes == nil {
			sub.Scopes = map[string]Sub{}
		}
		if old, ok := sub.Scopes[scope]; ok && (old.Active || sub.Confirmed.IsZero()) {
			// Already there; a pending one may still ask for a new mail.
		} else if len(sub.Scopes) >= MaxScopes {
			return nil, ErrTooMany
		} else {
			sub.Scopes[scope] = Sub{Since: now, Active: !sub.Confirmed.IsZero()}
		}
		if !sub.Confirmed.IsZero() {
			return nil, nil
		}
		if !sub.ConfirmSent.IsZero() && now.Sub(sub.ConfirmSent) < ConfirmCooldown {
			return nil, nil // one waits already: no second mail so soon
		}
		sub.ConfirmSent = now
		queued = true
		return []outbox.Message{s.message(payload{Type: "confirm", To: addr, Issued: now},
			"confirm", addr, strconv.FormatInt(now.UnixNano(), 10))}, nil
	})
	if err != nil {
		return fmt.Errorf("subscribing: %w", err)
	}
	if queued {
		s.o.Notify()
	}
	return nil
}

// knownScope: the site, its digest, an author of the site, a public post, or a
// comment (the web layer passes a comment's scope only for the comment
// just posted).
func (s *Service) knownScope(scope string) bool {
	if !ValidScope(scope) {
		return false
	}
	kind, rest, _ := strings.Cut(scope, ":")
	site := s.o.Site()
	switch kind {
	case "author":
		return site.Authors[rest] != nil
	case "post":
		return content.View{Site: site, Now: s.o.Now()}.Post(rest) != nil
	}
	return true
}

// payload is an email outbox message's Payload: what to compose when it
// is sent, so that the outbox keeps a few bytes per email, not a story.
type payload struct {
	Type    string    `json:"type"` // confirm, post, reply, digest
	To      string    `json:"to"`
	Issued  time.Time `json:"issued,omitzero"`   // confirm
	Slug    string    `json:"slug,omitempty"`    // post
	Scope   string    `json:"scope,omitempty"`   // post, reply, digest: the subscription it is sent for
	Comment uint64    `json:"comment,omitempty"` // reply
	Week    time.Time `json:"week,omitzero"`     // digest: its digest time (DigestTime)
}

func (s *Service) message(p payload, key ...string) outbox.Message {
	b, _ := json.Marshal(p) // plain fields: cannot fail
	return outbox.Message{Kind: Kind, Key: outbox.KeyOf(append([]string{Kind}, key...)...), Payload: b}
}

func (s *Service) confirmToken(addr string, issued time.Time) string {
	return s.keys.sign(tokenConfirm, addr, strconv.FormatInt(issued.UnixNano(), 10))
}

// UnsubscribeToken stops the address's subscription to scope ("" for all).
func (s *Service) UnsubscribeToken(addr, scope string) string {
	return s.keys.sign(tokenUnsubscribe, addr, scope)
}

// ConfirmURL and UnsubscribeURL are the links the emails carry.
func (s *Service) ConfirmURL(addr string, issued time.Time) string {
	return s.base() + "/email/confirm?t=" + url.QueryEscape(s.confirmToken(addr, issued))
}

func (s *Service) UnsubscribeURL(addr, scope string) string {
	return s.base() + "/email/unsubscribe?t=" + url.QueryEscape(s.UnsubscribeToken(addr, scope))
}

// Pending is what a confirmation link would confirm, for the page that
// asks the reader to press the button (a GET changes nothing: mail
// scanners follow links).
func (s *Service) Pending(ctx context.Context, token string) (email string, scopes []string, err error) {
	addr, issued, err := s.openConfirm(token)
	if err != nil {
		return "", nil, err
	}
	sub, ok, err := s.o.Store.Subscriber(ctx, addr)
	if err != nil {
		return "", nil, err
	}
	if !ok || !sub.ConfirmSent.Equal(issued) {
		return "", nil, ErrTokenUsed
	}
	for scope := range sub.Scopes {
		scopes = append(scopes, scope)
	}
	slices.Sort(scopes)
	return addr, scopes, nil
}

func (s *Service) openConfirm(token string) (string, time.Time, error) {
	f, err := s.keys.open(token, 3)
	if err != nil || f[0] != tokenConfirm {
		return "", time.Time{}, ErrTokenInvalid
	}
	n, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil {
		return "", time.Time{}, ErrTokenInvalid
	}
	issued := time.Unix(0, n).UTC()
	if s.o.Now().Sub(issued) > ConfirmTTL {
		return "", time.Time{}, ErrTokenExpired
	}
	return f[1], issued, nil
}

// Confirm confirms the address of a confirmation link and activates its
// subscriptions. The link works once: it is the newest one's, and no
// longer waits afterwards.
func (s *Service) Confirm(ctx context.Context, token string) (email string, err error) {
	addr, issued, err := s.openConfirm(token)
	if err != nil {
		return "", err
	}
	now := s.o.Now().UTC()
	err = s.o.Store.UpdateSubscriber(ctx, addr, func(sub *Subscriber) ([]outbox.Message, error) {
		if sub.ConfirmSent.IsZero() || !sub.ConfirmSent.Equal(issued) {
			return nil, ErrTokenUsed
		}
		sub.Confirmed, sub.ConfirmSent = now, time.Time{}
		for scope, x := range sub.Scopes {
			x.Active = true
			sub.Scopes[scope] = x
		}
		return nil, nil
	})
	if err != nil {
		return "", err
	}
	return addr, nil
}

// Unsubscribe ends the subscription an unsubscribe link names (every one
// of the address, for a link with no scope). It needs no account and is
// idempotent: a second use finds nothing to end.
func (s *Service) Unsubscribe(ctx context.Context, token string) (email, scope string, err error) {
	f, err := s.keys.open(token, 3)
	if err != nil || f[0] != tokenUnsubscribe {
		return "", "", ErrTokenInvalid
	}
	addr, scope := f[1], f[2]
	err = s.o.Store.UpdateSubscriber(ctx, addr, func(sub *Subscriber) ([]outbox.Message, error) {
		if scope == "" {
			clear(sub.Scopes)
		} else {
			delete(sub.Scopes, scope)
		}
		return nil, nil
	})
	if err != nil {
		return "", "", fmt.Errorf("unsubscribing: %w", err)
	}
	return addr, scope, nil
}

// Counts are the figures for the admin.
func (s *Service) Counts(ctx context.Context) (Counts, error) { return s.o.Store.SubscriberCounts(ctx) }

// Remove forgets an address entirely (the admin's removal).
func (s *Service) Remove(ctx context.Context, email string) error {
	addr, err := normal(email)
	if err != nil {
		return err
	}
	return s.o.Store.RemoveSubscriber(ctx, addr)
}

// ScopeName is a scope as a reader reads it, whole: an email says "you
// subscribed to" it and adds nothing.
func (s *Service) ScopeName(scope string) string {
	kind, rest, _ := strings.Cut(scope, ":")
	site := s.o.Site()
	switch kind {
	case ScopeSite:
		return "every new post on " + site.Config.Title
	case ScopeDigest:
		return "a weekly digest of the new posts on " + site.Config.Title
	case "author":
		name := rest
		if a := site.Authors[rest]; a != nil && a.Name != "" {
			name = a.Name
		}
		return "new posts by " + name + " on " + site.Config.Title
	case "post":
		if p := (content.View{Site: site, Now: s.o.Now()}).Post(rest); p != nil {
			return "new comments on “" + p.Title + "”"
		}
		return "new comments on a post"
	case "comment":
		return "replies to your comment"
	}
	return scope
}

// Messages is the publication.Fanout of new posts: one email per
// subscriber to the site or to the post's author, for a post published
// (or come due) within NewsWindow of its date. Its Key is the post and the
// address, not the version: a post unpublished and published again is not
// sent again.
func (s *Service) Messages(ctx context.Context, ev publication.Event) ([]outbox.Message, error) {
	if ev.Kind != publication.Published || ev.Post == nil || !s.Enabled() {
		return nil, nil
	}
	if !news(ev.Post, s.o.Now()) {
		return nil, nil
	}
	scopes := []string{ScopeSite}
	if ev.Post.Author != nil {
		scopes = append(scopes, AuthorScope(ev.Post.Author.ID))
	}
	var out []outbox.Message
	err := s.eachSubscriber(ctx, scopes, map[string]bool{}, func(a, scope string) {
		out = append(out, s.message(payload{Type: "post", To: a, Slug: ev.Slug, Scope: scope}, "post", ev.Slug, a))
	})
	return out, err
}

// news reports whether p, made public at at, is news: dated within
// NewsWindow before it (not an imported archive, nor a story back-dated by
// months).
func news(p *content.Post, at time.Time) bool { return at.Sub(p.Date) <= NewsWindow }

// eachSubscriber calls fn once for each address subscribed to any of
// scopes and not in seen, with the first of its scopes, adding it to seen:
// one email per address, however many of the scopes it is subscribed to.
func (s *Service) eachSubscriber(ctx context.Context, scopes []string, seen map[string]bool, fn func(addr, scope string)) error {
	for _, scope := range scopes {
		addrs, err := s.o.Store.Subscribed(ctx, scope)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if !seen[a] {
				seen[a] = true
				fn(a, scope)
			}
		}
	}
	return nil
}

var _ publication.Fanout = (*Service)(nil)
