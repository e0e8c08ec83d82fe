// Package comments is Milepost's comment model: what a comment is, the rules a
// new one must pass, the moderation policy that decides whether it is shown at
// once or held, how its Markdown becomes safe HTML, how comments form threads,
// and the Store they are kept in.
//
// The web layer talks to a Service (see service.go). Readers post, read
// threads and edit or delete their own comments for a short while;
// moderators approve, mark as spam, edit, delete, ban and close posts, and
// every one of those actions is written to an audit log in the same
// transaction as the change it records.
package comments

import (
	"context"
	"errors"
	"time"
)

// Status says who may see a comment.
type Status string

const (
	StatusApproved Status = "approved" // shown to everyone
	StatusPending  Status = "pending"  // held for a moderator; shown to its writer only
	StatusSpam     Status = "spam"     // shown to no one
)

// Limits on what a reader may write.
const (
	MaxBodyChars    = 10000
	MaxNameChars    = 100
	MaxEmailChars   = 254
	MaxWebsiteChars = 2000
	// MaxDepth is how deep a thread goes: a top-level comment has depth 0, so a
	// reply to a comment at depth MaxDepth-1 is refused.
	MaxDepth = 5
	// MaxCommenterIDChars bounds the commenter id the web layer passes in.
	MaxCommenterIDChars = 128
	// MaxSourceChars bounds an imported comment's Source key.
	MaxSourceChars = 512
)

// Comment is one reader comment on one post.
//
// Email, IP and CommenterID are private: no page, feed or API a reader can see
// may show them. Feeds should use PublicComment, which does not have them.
type Comment struct {
	ID     uint64 `json:"id"`
	Post   string `json:"post"`             // the post's slug
	Parent uint64 `json:"parent,omitempty"` // 0 for a top-level comment
	Depth  int    `json:"depth"`            // 0 for a top-level comment
	// Thread is the ID of the top-level comment whose thread this one is
	// in: its own ID for a top-level comment, else its parent's Thread (its
	// own ID when the parent was already gone). A Store sets it when it adds
	// the comment, and it never changes: pages of a post's comments are cut
	// between threads.
	Thread uint64 `json:"thread,omitempty"`
	// Name is empty for an anonymous reader.
	Name    string `json:"name,omitempty"`
	Email   string `json:"email,omitempty"` // never shown, never in a feed
	Website string `json:"website,omitempty"`
	// Body is the Markdown the reader wrote; HTML is its sanitised rendering.
	Body    string    `json:"body"`
	HTML    string    `json:"html,omitempty"`
	Status  Status    `json:"status"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated,omitzero"`
	// IP is the address the comment came from, kept for moderation.
	IP string `json:"ip,omitempty"`
	// CommenterID is the random id the web layer keeps in the writer's
	// signed cookie. It lets the writer see their held comment and edit or
	// delete it for a while, and counts towards "first-time" moderation.
	// Never shown.
	CommenterID string `json:"commenter,omitempty"`
	// HoldReason says, for moderators, why the policy held the comment
	// ("first comment from this reader", "3 links; the limit is 2", …).
	// It is kept after approval as a record.
	HoldReason string `json:"hold_reason,omitempty"`
	// Source is a stable key for an imported comment in the system it came
	// from ("wxr:123", "disqus:456", "milepost:12"), or for a reply from
	// the fediverse ("activitypub:" and the note's id); empty for a comment
	// written here. Importing the same comment twice adds it once.
	Source string `json:"source,omitempty"`
	// Actor is the fediverse account that wrote a reply from there: its
	// actor's address, which moderators see and may ban (BanFediverse).
	Actor string `json:"actor,omitempty"`
}

// Pending reports whether the comment is held for a moderator. In a thread
// from Service.ForPost only the viewer's own comments can be pending, and a
// template should say so ("awaiting moderation") and offer no reply link.
func (c Comment) Pending() bool { return c.Status == StatusPending }

// PublicComment is what anyone may see of an approved comment: what a feed
// or a public API prints. It has no email, IP or commenter id.
type PublicComment struct {
	ID      uint64
	Post    string
	Parent  uint64
	Name    string
	Website string
	Body    string // Markdown as the reader wrote it
	HTML    string // sanitised, safe to put in a page or a feed
	Created time.Time
	Updated time.Time
}

// Public returns the publicly visible part of c.
func (c Comment) Public() PublicComment {
	return PublicComment{ID: c.ID, Post: c.Post, Parent: c.Parent, Name: c.Name, Website: c.Website,
		Body: c.Body, HTML: c.HTML, Created: c.Created, Updated: c.Updated}
}

// Errors a Store returns.
var (
	ErrNotFound = errors.New("comment not found")
	// ErrParent is returned for a reply whose parent is not a comment on the
	// same post.
	ErrParent = errors.New("parent comment not found on this post")
	// ErrNotBanned is returned when lifting a ban that does not exist.
	ErrNotBanned = errors.New("no such ban")
	// ErrSourceTaken is returned for a comment whose Source is already used.
	ErrSourceTaken = errors.New("another comment has the same source")
)

// Store keeps comments and everything moderation needs. Every method that
// changes data has committed the change durably when it returns nil, and
// changes a comment, all the indexes derived from it and the audit entry
// recording it in one transaction.
//
// Package commentstest checks that an implementation keeps this contract.
type Store interface {
	// Get returns one comment or ErrNotFound.
	Get(ctx context.Context, id uint64) (Comment, error)
	// Replies returns the number of a comment's direct replies that are
	// approved (0 for a comment that does not exist).
	Replies(ctx context.Context, id uint64) (int, error)
	// Threads returns what one page of a post's comments shows; see
	// ThreadQuery. It reads only the comments it returns: never a spam
	// comment, nor another reader's held one, nor one on another page.
	Threads(ctx context.Context, q ThreadQuery) (ThreadSlice, error)
	// PageOf returns the page of c.Post's comments (laid out by a Pager)
	// that shows c: for an approved comment, the page of its Span; for a
	// held one, that of the approved comment of its thread before it (by
	// ID), or of the thread's first when there is none; for a comment in a
	// thread without an approved comment, the last page. It reads no
	// comment.
	PageOf(ctx context.Context, c Comment) (int, error)
	// ApprovedOn returns the newest approved comments on a post, at most
	// limit, newest first.
	ApprovedOn(ctx context.Context, post string, limit int) ([]Comment, error)
	// Counts returns the number of approved comments per post slug; posts
	// with none are absent.
	Counts(ctx context.Context) (map[string]int, error)
	// Seed adds comments to a database that has never been seeded, keeping
	// their IDs, and records that it has been; on any later call it does
	// nothing and reports false, so a deleted seed comment stays deleted.
	Seed(ctx context.Context, cs []Comment) (bool, error)

	// Submit assigns c an ID, sets its Depth and Thread from its parent
	// (which must be on the same post, else ErrParent) and stores it, but
	// first, in the same write transaction, gathers the Facts about its
	// writer and post and calls decide, which sets c's Status and
	// HoldReason or returns an error that aborts the write (and which
	// Submit returns as it is). Duplicate-detection entries of comments
	// created before forgetBefore may be dropped. decide must be quick and
	// do no I/O. c is changed only once the write is committed. The store
	// may share the transaction with other writers and run it more than
	// once, so decide may be called more than once: it must decide from c
	// and f alone, and its last call is the one that counts.
	Submit(ctx context.Context, c *Comment, forgetBefore time.Time, decide func(c *Comment, f Facts) error) error
	// Modify reads comment id in a write transaction and calls fn with it
	// and the number of its approved direct replies. fn changes the
	// comment in place (not its ID, Post, Parent, Depth, Thread or
	// Created) or returns an error, which aborts and is returned as it is.
	// Modify then stores the comment, or removes it when Change.Delete is
	// set, and appends Change.Log to the audit log, all in that
	// transaction. It returns the comment as stored (as it was, when
	// deleted).
	Modify(ctx context.Context, id uint64, fn func(c *Comment, replies int) (Change, error)) (Comment, error)

	// PutBan adds a ban or replaces the one on the same Kind and Value,
	// and logs a.
	PutBan(ctx context.Context, b Ban, a Action) error
	// RemoveBan lifts a ban (ErrNotBanned if there is none) and logs a.
	RemoveBan(ctx context.Context, kind BanKind, value string, a Action) error
	// Bans returns every stored ban, expired ones included, newest first.
	Bans(ctx context.Context) ([]Ban, error)

	// SetClosure records a moderator's closing or reopening of a post, and
	// logs a.
	SetClosure(ctx context.Context, c Closure, a Action) error
	// Closure returns a post's closure, and false when no moderator has
	// closed or reopened it.
	Closure(ctx context.Context, post string) (Closure, bool, error)

	// Held returns held comments across all posts, newest first, skipping
	// offset and returning at most limit, with the number held in all.
	Held(ctx context.Context, offset, limit int) ([]Comment, int, error)
	// Recent is Held for comments of every status.
	Recent(ctx context.Context, offset, limit int) ([]Comment, int, error)
	// RecentApproved returns the newest approved comments across all posts.
	RecentApproved(ctx context.Context, limit int) ([]Comment, error)
	// Actions returns audit log entries newest first, skipping offset and
	// returning at most limit, with the number of them: every entry when
	// kind is "", else those of that kind, read and counted through an
	// index, never by reading the others.
	Actions(ctx context.Context, kind ActionKind, offset, limit int) ([]Action, int, error)
}

// ThreadQuery asks a Store for one page of a post's comments. A thread is a
// top-level comment with every reply under it (the comments sharing a
// Thread); a post's threads, for paging, are those with at least one
// approved comment, in order of Thread ID (the order they were started),
// laid out on pages by a Pager.
type ThreadQuery struct {
	Post string
	// Page is the page asked for, from 1.
	Page int
	// Viewer is the commenter id whose held comments are wanted, or "".
	Viewer string
}

// MaxHeldShown bounds how many of a reader's own held comments on one post
// a page shows them: the newest.
const MaxHeldShown = 100

// ThreadSlice is a Store's answer to a ThreadQuery.
type ThreadSlice struct {
	// Approved are the approved comments of the page's Spans.
	Approved []Comment
	// Held are the viewer's held comments on the post (the newest
	// MaxHeldShown) that go with one of the page's Spans (see
	// Store.PageOf), or are in a thread that has no approved comment.
	Held []Comment
	// Elsewhere are the IDs of the comments in Approved whose parent is
	// approved but not in Approved: a thread cut over pages.
	Elsewhere []uint64
	// Pages is the number of pages (at least 1); Threads is the number of
	// the post's threads, and Comments that of its approved comments.
	Pages, Threads, Comments int
}

// ReplyDepth returns the Depth of a reply to a comment at depth parent,
// and whether a reply may be there: threads nest at most MaxDepth levels
// (depths 0 to MaxDepth-1). It is the one statement of that rule, which
// the Service, batches, the store's import and the importer's placing
// all ask.
func ReplyDepth(parent int) (depth int, ok bool) {
	return parent + 1, parent+1 < MaxDepth
}

// ThreadOf returns the Thread of a new comment with this id whose parent
// is parent (nil for a top-level comment, or when the parent is gone). It
// is the rule every Store follows.
func ThreadOf(id uint64, parent *Comment) uint64 {
	if parent == nil {
		return id
	}
	if parent.Thread == 0 {
		return parent.ID
	}
	return parent.Thread
}

// Facts are what a Store knows about a new comment's writer and post, read
// in the transaction that stores the comment.
type Facts struct {
	// Bans are the stored bans that match the writer's email or IP,
	// expired or not.
	Bans []Ban
	// Closure is a moderator's closing or reopening of the post, or nil.
	Closure *Closure
	// LastSame is when the newest stored comment with the same body from
	// the same address group (clientaddr.Key: an IPv6 /64 is one writer)
	// was created; zero if there is none (or it has been forgotten).
	LastSame time.Time
	// Known is true when a comment with the writer's email (compared
	// without regard to case) or commenter id is approved.
	Known bool
}

// Change is what a Store.Modify callback decided.
type Change struct {
	// Delete removes the comment instead of storing it.
	Delete bool
	// Log, when not nil, is appended to the audit log in the same
	// transaction; the store assigns its ID.
	Log *Action
}
