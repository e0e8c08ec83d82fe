// Package comments is Milepost's comment model: what a comment is, the rules a
// new one must pass, how its Markdown becomes safe HTML, how comments form
// threads, and the Store they are kept in.
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
	StatusPending  Status = "pending"  // held for a moderator
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
)

// Comment is one reader comment on one post.
type Comment struct {
	ID     uint64 `json:"id"`
	Post   string `json:"post"`             // the post's slug
	Parent uint64 `json:"parent,omitempty"` // 0 for a top-level comment
	Depth  int    `json:"depth"`            // 0 for a top-level comment
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
}

// Errors a Store returns.
var (
	ErrNotFound = errors.New("comment not found")
	// ErrParent is returned for a reply whose parent is not a comment on the
	// same post.
	ErrParent = errors.New("parent comment not found on this post")
)

// Store keeps comments. Every method that changes data has committed the change
// durably when it returns nil.
type Store interface {
	// Add assigns c an ID and stores it. A reply's parent must be on the same post.
	Add(ctx context.Context, c *Comment) error
	// Get returns one comment or ErrNotFound.
	Get(ctx context.Context, id uint64) (Comment, error)
	// ByPost returns every comment on a post, whatever its status, oldest first.
	ByPost(ctx context.Context, post string) ([]Comment, error)
	// Counts returns the number of approved comments per post slug.
	Counts(ctx context.Context) (map[string]int, error)
	// Delete removes a comment.
	Delete(ctx context.Context, id uint64) error
	// Seed adds comments to a database that has never been seeded, keeping
	// their IDs, and records that it has been; on any later call it does
	// nothing and reports false, so a deleted seed comment stays deleted.
	Seed(ctx context.Context, cs []Comment) (bool, error)
}
