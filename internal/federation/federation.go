// Package federation makes a Milepost site part of the fediverse
// (ActivityPub): each author is an actor @ID@host and the site itself is one
// more, for all posts. Readers on Mastodon and other servers follow them, are
// sent each post as it is published, changed or taken down, and reply; a
// reply becomes a comment on the post through the comments Service, held or
// published by the same moderation rules as a comment written on the site.
//
// The package owns the rules: who the actors are and what their documents
// say, the checks an incoming activity must pass (HTTP signature, digest,
// date, the signer being the activity's actor, blocked domains, a rate per
// instance and one per client address for what fails them), what each activity does, and which deliveries a post's change
// makes. It reaches the network only through its own client, which refuses
// private and loopback addresses; HTTP handlers live in internal/web and
// storage in internal/bolt.
package federation

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/time/rate"

	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/outbox"
)

// Content types of ActivityPub documents. Mastodon sends and accepts both.
const (
	ContentTypeActivity = "application/activity+json"
	ContentTypeLD       = `application/ld+json; profile="https://www.w3.org/ns/activitystreams"`
	ContentTypeJRD      = "application/jrd+json"
)

// SiteActor is the preferred username of the site's own actor, which
// announces every post. An author whose ID is "site" is not reachable by
// WebFinger (the site actor is).
const SiteActor = "site"

// Limits on what comes in and goes out.
const (
	// MaxInboxBytes bounds an activity POSTed to an inbox.
	MaxInboxBytes = 256 << 10
	// MaxFetchBytes bounds a remote document fetched (an actor, a key).
	MaxFetchBytes = 1 << 20
	// DateWindow is how far a signed request's Date may be from now.
	DateWindow = 10 * time.Minute
	// SeenFor is how long an activity id is remembered, so that the same
	// activity delivered again (a replay, or a retry) does nothing.
	SeenFor = 7 * 24 * time.Hour
	// keyRefetchAfter is how old a cached key must be before a failed
	// verification fetches it again (the sender may have rotated it).
	keyRefetchAfter = time.Minute
)

// Errors the Service returns; internal/web maps them to statuses.
var (
	ErrNotFound       = errors.New("no such actor or object")
	ErrNotEnabled     = errors.New("federation needs the site's base_url")
	ErrBadSignature   = errors.New("the request's HTTP signature is missing or does not verify")
	ErrActorMismatch  = errors.New("the activity's actor is not the signer")
	ErrBlocked        = errors.New("the instance or actor is blocked")
	ErrRateLimited    = errors.New("too many activities from one instance")
	ErrBadActivity    = errors.New("the activity is not one Milepost understands")
	ErrUnsafeAddress  = errors.New("the address is private, loopback or otherwise not public")
	ErrAlreadyBlocked = errors.New("already blocked")
	ErrNotBlocked     = errors.New("not blocked")
)

// Follower is a remote actor following one of ours.
type Follower struct {
	Actor       string    `json:"actor"` // the remote actor's id
	Inbox       string    `json:"inbox"`
	SharedInbox string    `json:"shared_inbox,omitempty"`
	Since       time.Time `json:"since"`
}

// DeliveryInbox is where deliveries to f go: its server's shared inbox when
// it has one, so one delivery reaches all its followers there.
func (f Follower) DeliveryInbox() string {
	if f.SharedInbox != "" {
		return f.SharedInbox
	}
	return f.Inbox
}

// RemoteActor is what is kept of a remote actor: its key, where to deliver
// to it and how to name it.
type RemoteActor struct {
	ID           string    `json:"id"`
	KeyID        string    `json:"key_id"`
	PublicKeyPEM string    `json:"public_key_pem"`
	Inbox        string    `json:"inbox"`
	SharedInbox  string    `json:"shared_inbox,omitempty"`
	Username     string    `json:"username,omitempty"`
	Name         string    `json:"name,omitempty"`
	URL          string    `json:"url,omitempty"` // the profile page
	Fetched      time.Time `json:"fetched"`
}

// Note ties a remote note to the comment it became.
type Note struct {
	ID      string `json:"id"` // the note's id
	Actor   string `json:"actor"`
	Comment uint64 `json:"comment"`
	Post    string `json:"post"`
}

// Reaction kinds.
const (
	ReactionLike     = "like"
	ReactionAnnounce = "announce"
)

// Reaction is a remote Like or Announce of a post.
type Reaction struct {
	Activity string `json:"activity"` // the Like or Announce activity's id
	Post     string `json:"post"`
	Kind     string `json:"kind"`
	Actor    string `json:"actor"`
}

// Block keeps an instance (a domain, "example.social") or one actor (its
// id) out: their activities are refused and nothing is delivered to them.
type Block struct {
	Value   string    `json:"value"`
	Reason  string    `json:"reason,omitempty"`
	By      string    `json:"by"`
	Created time.Time `json:"created"`
}

// Store keeps what federation needs. internal/bolt implements it; every
// method has committed durably when it returns nil.
type Store interface {
	// ActorKey returns the PEM private key of a local actor; when there
	// is none yet it stores generated (unless nil) and returns it.
	ActorKey(ctx context.Context, actor string, generated []byte) ([]byte, error)
	// AddFollower adds or replaces f as a follower of actor.
	AddFollower(ctx context.Context, actor string, f Follower) error
	// RemoveFollower forgets a follower; no error when there was none.
	RemoveFollower(ctx context.Context, actor, follower string) error
	// Followers returns actor's followers, oldest first, skipping offset
	// and returning at most limit (all when limit <= 0), with their number.
	Followers(ctx context.Context, actor string, offset, limit int) ([]Follower, int, error)
	// RemoteActor returns the cached actor whose key has keyID.
	RemoteActor(ctx context.Context, keyID string) (RemoteActor, bool, error)
	PutRemoteActor(ctx context.Context, a RemoteActor) error
	// Seen records an activity id and reports whether it is new;
	// ids first seen before forgetBefore may be forgotten.
	Seen(ctx context.Context, id string, at, forgetBefore time.Time) (bool, error)
	// Unsee forgets a seen id (its handling failed on our side).
	Unsee(ctx context.Context, id string) error
	// ClaimNote records n unless a note with its id is kept, and reports
	// whether it did; Note and DeleteNote read and forget one.
	ClaimNote(ctx context.Context, n Note) (bool, error)
	SetNoteComment(ctx context.Context, id string, comment uint64) error
	Note(ctx context.Context, id string) (Note, bool, error)
	DeleteNote(ctx context.Context, id string) error
	// AddReaction keeps r once per activity id and at most one reaction
	// of a kind per account and post: a newer one replaces the account's
	// older. RemoveReaction forgets one reaction of undo.Actor's and
	// returns it: the one with the activity id undo.Activity when they
	// made it, else, when undo names a Post and Kind, theirs of that kind
	// on that post. Reactions counts a post's by kind: the accounts that
	// liked it, the accounts that boosted it.
	AddReaction(ctx context.Context, r Reaction) error
	RemoveReaction(ctx context.Context, undo Reaction) (Reaction, bool, error)
	Reactions(ctx context.Context, post string) (map[string]int, error)
	// SetArticleActor records which local actor announced a post, so
	// that its Delete, made when the post is gone, comes from them, and
	// how many times it was made public (its round: see Messages);
	// ArticleActor reads them (a round of 0 for a post recorded before
	// rounds were kept).
	SetArticleActor(ctx context.Context, slug, actor string, round int) error
	ArticleActor(ctx context.Context, slug string) (actor string, round int, ok bool, err error)
	// Blocks lists every block, by value; PutBlock adds one
	// (ErrAlreadyBlocked), RemoveBlock lifts one (ErrNotBlocked).
	Blocks(ctx context.Context) ([]Block, error)
	PutBlock(ctx context.Context, b Block) error
	RemoveBlock(ctx context.Context, value string) error
}

// Options configure a Service.
type Options struct {
	Store    Store
	Comments *comments.Service
	// Outbox takes the deliveries made outside a post's publication (an
	// Accept); Wake tells its worker there is work.
	Outbox outbox.Store
	Wake   func()
	// Site gives the current site: its base URL, authors and posts.
	Site func() *content.Site
	Now  func() time.Time
	Log  *slog.Logger
	// UserAgent is sent with every request; "Milepost" when empty.
	UserAgent string
	// InstanceRate is how many activities one instance (domain) may
	// deliver a minute, with a burst of the same size, and how many
	// requests whose signature does not verify one client address may
	// make; 0 means 120.
	InstanceRate int
}

// keyFetchesAtOnce is how many keys are fetched at once, at most.
const keyFetchesAtOnce = 8

// Service is the federation of one site.
type Service struct {
	opts   Options
	now    func() time.Time
	log    *slog.Logger
	client *http.Client

	// allowLoopback lets remote fetches and deliveries reach loopback
	// addresses; see AllowLoopbackForTests.
	allowLoopback bool

	keysMu sync.Mutex
	keys   map[string]*localKey

	limitMu sync.Mutex
	limits  map[string]*rateLimiter

	// keyFetches bounds the fetches of keys not yet known, across every
	// client: each address has its own allowance, and many addresses
	// naming servers that answer slowly must not hold many fetches open.
	keyFetches *semaphore.Weighted

	// reactionsVersion changes whenever a post's likes or boosts do, so
	// that cached pages showing them are made again.
	reactionsMu      sync.Mutex
	reactionsVersion map[string]uint64
}

// New returns a Service. Store, Comments and Site are required.
func New(opts Options) (*Service, error) {
	if opts.Store == nil || opts.Comments == nil || opts.Site == nil {
		return nil, errors.New("federation: Store, Comments and Site are required")
	}
	s := &Service{opts: opts, now: opts.Now, log: opts.Log, keys: map[string]*localKey{},
		limits: map[string]*rateLimiter{}, reactionsVersion: map[string]uint64{},
		keyFetches: semaphore.NewWeighted(keyFetchesAtOnce)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.opts.UserAgent == "" {
		s.opts.UserAgent = "Milepost"
	}
	if s.opts.InstanceRate <= 0 {
		s.opts.InstanceRate = 120
	}
	s.client = s.newClient()
	return s, nil
}

// AllowLoopbackForTests lets the Service fetch from and deliver to
// loopback addresses (127.0.0.0/8, ::1) over plain http. It exists for
// tests, whose fake remote instance listens on loopback; no flag or
// setting of Milepost calls it, so a running site always refuses them.
// Private, link-local and other non-public addresses stay refused.
func (s *Service) AllowLoopbackForTests() {
	s.allowLoopback = true
	s.client = s.newClient()
}

// UserAgent is what the Service sends as User-Agent.
func (s *Service) UserAgent() string { return s.opts.UserAgent }

// limited takes one activity from key's allowance (an instance's, or a
// client address's failures), reporting whether none was left.
func (s *Service) limited(key string) bool {
	s.limitMu.Lock()
	defer s.limitMu.Unlock()
	return !s.limiter(key).AllowN(s.now(), 1)
}

// charge takes one from key's allowance before the work it pays for,
// reporting false when none was left; refund gives it back once the work
// turns out to be owed nothing (a request whose signature verified). Taken
// first, not after: requests sent at the same moment would otherwise all
// find the allowance whole.
func (s *Service) charge(key string) (ok bool, refund func()) {
	s.limitMu.Lock()
	defer s.limitMu.Unlock()
	now := s.now()
	r := s.limiter(key).ReserveN(now, 1)
	if !r.OK() || r.DelayFrom(now) > 0 {
		r.CancelAt(now)
		return false, nil
	}
	return true, func() {
		s.limitMu.Lock()
		defer s.limitMu.Unlock()
		r.CancelAt(s.now())
	}
}

// limiter is key's allowance; limitMu is held.
func (s *Service) limiter(key string) *rateLimiter {
	l := s.limits[key]
	if l == nil {
		if len(s.limits) > 10000 {
			s.forgetIdle()
		}
		n := s.opts.InstanceRate
		l = rate.NewLimiter(rate.Every(time.Minute/time.Duration(n)), n)
		s.limits[key] = l
	}
	return l
}

// forgetIdle drops the allowances that are whole again, and all of them
// if that leaves too many: a flood of made-up domains or addresses must
// not grow the map for ever, nor, by filling it, give back the allowance
// of an address that has used its own up. limitMu is held.
func (s *Service) forgetIdle() {
	now := s.now()
	for key, l := range s.limits {
		if l.TokensAt(now) >= float64(l.Burst()) {
			delete(s.limits, key)
		}
	}
	if len(s.limits) > 10000 {
		clear(s.limits)
	}
}

// The keys of the allowances: an instance's verified activities, and the
// requests from one client address whose signature did not verify.
func instanceLimit(domain string) string { return "instance " + domain }
func clientLimit(addr string) string     { return "client " + addr }

// ReactionsVersion changes whenever the likes or boosts of post do.
func (s *Service) ReactionsVersion(post string) uint64 {
	s.reactionsMu.Lock()
	defer s.reactionsMu.Unlock()
	return s.reactionsVersion[post]
}

func (s *Service) reactionsChanged(post string) {
	s.reactionsMu.Lock()
	s.reactionsVersion[post]++
	s.reactionsMu.Unlock()
}

// Reactions counts a post's likes and boosts from the fediverse.
func (s *Service) Reactions(ctx context.Context, post string) (likes, boosts int, err error) {
	m, err := s.opts.Store.Reactions(ctx, post)
	if err != nil {
		return 0, 0, err
	}
	return m[ReactionLike], m[ReactionAnnounce], nil
}

// FollowersCount is the number of followers of a local actor (an author's
// ID or SiteActor).
func (s *Service) FollowersCount(ctx context.Context, actor string) (int, error) {
	_, n, err := s.opts.Store.Followers(ctx, actor, 0, 1)
	return n, err
}

// rateLimiter is one instance's allowance of activities.
type rateLimiter = rate.Limiter
