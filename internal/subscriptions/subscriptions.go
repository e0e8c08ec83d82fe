// Package subscriptions owns who gets which email: readers subscribed to
// every new post, to one author's or to a weekly digest of the site's new
// posts, and readers following a post's comments or the replies to their
// own comment. It owns the double opt-in
// (an address is confirmed once, by a link that works once and expires;
// one confirmation waits at a time, and another is not mailed before a
// cool-down, so the form cannot be used to mail-bomb a stranger), the
// signed tokens that confirm and unsubscribe with no account, and the rule
// that a comment notification goes out only once the comment is approved.
// Every email is addressed to one reader and names no other.
package subscriptions

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/mail"
	"milepost/internal/outbox"
	"milepost/internal/publication"
)

// Scopes: what a subscription is to.
const (
	ScopeSite   = "site"   // every new post
	ScopeDigest = "digest" // one email a week listing the week's new posts (digest.go)
)

// AuthorScope is one author's new posts.
func AuthorScope(id string) string { return "author:" + id }

// PostScope is the new comments on a post.
func PostScope(slug string) string { return "post:" + slug }

// CommentScope is the replies to one comment.
func CommentScope(id uint64) string { return "comment:" + strconv.FormatUint(id, 10) }

// ValidScope reports whether scope is one of the forms above.
func ValidScope(scope string) bool {
	kind, rest, _ := strings.Cut(scope, ":")
	switch kind {
	case ScopeSite, ScopeDigest:
		return rest == "" && scope == kind
	case "post":
		return content.ValidSlug(rest)
	case "author":
		return rest != "" && len(rest) <= 200 && !strings.ContainsAny(rest, "\x00/")
	case "comment":
		n, err := strconv.ParseUint(rest, 10, 64)
		return err == nil && n > 0 && strconv.FormatUint(n, 10) == rest
	}
	return false
}

// Subscriber is one address and what it is subscribed to.
type Subscriber struct {
	Email   string    `json:"email"` // normalised: mail.NormalAddress
	Created time.Time `json:"created"`
	// Confirmed is when the address was confirmed; zero until then. A
	// confirmed address's new subscriptions are active at once.
	Confirmed time.Time `json:"confirmed,omitzero"`
	// ConfirmSent is when the confirmation waiting now was mailed; zero
	// when none waits. Only its link works.
	ConfirmSent time.Time      `json:"confirm_sent,omitzero"`
	Scopes      map[string]Sub `json:"scopes,omitempty"`
}

// Sub is one subscription of a Subscriber.
type Sub struct {
	Since  time.Time `json:"since"`
	Active bool      `json:"active"` // false until the address is confirmed
}

// Active lists the scopes mail goes to.
func (s Subscriber) Active() []string {
	var out []string
	for scope, sub := range s.Scopes {
		if sub.Active {
			out = append(out, scope)
		}
	}
	return out
}

// Counts are the subscriber figures the admin sees.
type Counts struct {
	Addresses int            // every address kept
	Confirmed int            // of them, confirmed
	Active    map[string]int // active subscriptions by scope
}

// Store keeps the subscribers. bolt.DB is one.
type Store interface {
	// UpdateSubscriber reads the subscriber with the address (a new one,
	// with Email set, when there is none), lets change alter it, and writes
	// it with its indexes and enqueues the messages change returns, in one
	// transaction. A subscriber left with no scopes is deleted. If change
	// fails, nothing is written.
	UpdateSubscriber(ctx context.Context, email string, change func(s *Subscriber) ([]outbox.Message, error)) error
	Subscriber(ctx context.Context, email string) (Subscriber, bool, error)
	// Subscribed lists the addresses with an active subscription to scope.
	Subscribed(ctx context.Context, scope string) ([]string, error)
	SubscriberCounts(ctx context.Context) (Counts, error)
	RemoveSubscriber(ctx context.Context, email string) error
	// UnnotifiedApproved lists up to limit approved comments created at or
	// after since (and after the store first answered this call, so that
	// the comments of a site before email are never notified) that
	// MarkNotified has not marked, oldest first.
	UnnotifiedApproved(ctx context.Context, since time.Time, limit int) ([]comments.Comment, error)
	// MarkNotified marks the comments and enqueues msgs in one
	// transaction.
	MarkNotified(ctx context.Context, ids []uint64, msgs []outbox.Message) error
	// Told is what the world was told of the posts (publication.Store's
	// Told): when each became public, for the digest.
	Told(ctx context.Context) (told map[string]publication.Announced, baselined bool, err error)
	// LastDigest is the digest time of the last weekly digest recorded;
	// zero for none.
	LastDigest(ctx context.Context) (time.Time, error)
	// RecordDigest records the digest of at as enqueued and enqueues msgs
	// in one transaction, unless a digest at or after at was recorded:
	// then it writes nothing and reports false.
	RecordDigest(ctx context.Context, at time.Time, msgs []outbox.Message) (bool, error)
}

// Errors of the reader-facing calls; the web layer words them.
var (
	ErrBadAddress    = errors.New("not an email address")
	ErrBadScope      = errors.New("nothing to subscribe to by that name")
	ErrTooMany       = errors.New("too many subscriptions for one address")
	ErrTokenInvalid  = errors.New("this link is not valid")
	ErrTokenExpired  = errors.New("this link has expired")
	ErrTokenUsed     = errors.New("this link was already used, or a newer one was sent")
	ErrNotConfigured = errors.New("email is not set up on this site")
)

// Limits.
const (
	ConfirmTTL      = 48 * time.Hour // how long a confirmation link works
	ConfirmCooldown = time.Hour      // no second confirmation mail to an address before this
	MaxScopes       = 200            // subscriptions of one address
	// NewsWindow: a post dated longer ago than this is not mailed when it
	// is published (an imported archive, a story back-dated by months is
	// not news); NotifyWindow: a comment created longer ago than this is
	// not notified when it is approved.
	NewsWindow   = 30 * 24 * time.Hour
	NotifyWindow = 30 * 24 * time.Hour
)

// Token kinds, the first field of a signed token.
const (
	tokenConfirm     = "c"
	tokenUnsubscribe = "u"
)

// signer makes and checks the tokens: the fields, base64url, a dot and an
// HMAC-SHA256 of them with the site's secret, cut to 128 bits.
type signer []byte

func (k signer) sign(fields ...string) string {
	payload := base64.RawURLEncoding.EncodeToString([]byte(strings.Join(fields, "\x00")))
	return payload + "." + base64.RawURLEncoding.EncodeToString(k.mac(payload))
}

func (k signer) mac(payload string) []byte {
	h := hmac.New(sha256.New, k)
	h.Write([]byte("milepost subscriptions\x00" + payload))
	return h.Sum(nil)[:16]
}

func (k signer) open(token string, n int) ([]string, error) {
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 2048 {
		return nil, ErrTokenInvalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, k.mac(payload)) {
		return nil, ErrTokenInvalid
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, ErrTokenInvalid
	}
	fields := strings.Split(string(raw), "\x00")
	if len(fields) != n {
		return nil, ErrTokenInvalid
	}
	return fields, nil
}

// normal is mail.NormalAddress with this package's error.
func normal(email string) (string, error) {
	a, err := mail.NormalAddress(email)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrBadAddress, err)
	}
	return a, nil
}
