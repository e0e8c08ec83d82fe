package authoring

import (
	"context"
	"errors"
	"time"

	"milepost/internal/comments"
)

// Store keeps what the files cannot: the versions a save replaced, and what
// is in the trash. internal/bolt implements it.
//
// Every method that records a step taken on a post takes the moderation
// log entry of that step, written in the same transaction as the record,
// so the log and the history never disagree.
//
// Errors: Revision and TrashItem return an error matching ErrNotFound for an
// ID they do not hold (for Revision, also one of another slug);
// RemoveTrashed for one that is not there.
type Store interface {
	// AddRevision keeps r (its ID is ignored) and returns the ID it was
	// given. IDs grow with every revision kept.
	AddRevision(ctx context.Context, r Revision, logged comments.Action) (uint64, error)
	// LogPostAction logs a step that keeps no record of its own: a new
	// post, which replaced no version.
	LogPostAction(ctx context.Context, logged comments.Action) error
	// Revisions lists the slug's revisions newest first, without their
	// Content.
	Revisions(ctx context.Context, slug string) ([]Revision, error)
	// Revision returns one revision of the slug with its Content.
	Revision(ctx context.Context, slug string, id uint64) (Revision, error)
	// RenamePost moves the revisions, review and preview links kept under
	// the slug from to the slug to, keeps r under to (none when r.Slug is
	// "") and logs logged (none when its Kind is ""), in one transaction.
	// It is refused, matching ErrHasComments, when any comment is kept
	// under from.
	RenamePost(ctx context.Context, from, to string, r Revision, logged comments.Action) error
	// SlugUsed reports whether any revision, preview link or comment is
	// kept under the slug, left by a post that had it before. RenamePost
	// refuses a move to such a slug, or one with a review, with
	// ErrSlugUsed.
	SlugUsed(ctx context.Context, slug string) (bool, error)
	// HasComments reports whether any comment is kept under the slug.
	HasComments(ctx context.Context, slug string) (bool, error)

	// EverPublished reports whether a version of the slug's post kept in
	// its history was out (Revision.Published), and whether that is
	// known: AddRevision and RenamePost note a version that was out in
	// their transaction, and NotePublished what was found by reading a
	// history kept before the Store noted it.
	EverPublished(ctx context.Context, slug string) (published, known bool, err error)
	// NotePublished records whether a version kept under the slug was out,
	// as found by reading them; "was out" always wins over "was not", so
	// a version kept meanwhile is never forgotten.
	NotePublished(ctx context.Context, slug string, published bool) error

	// BeginMove records a draft's move before its file or folder moves;
	// RenamePost then moves its records in the save's transaction, and
	// EndMove puts them under the slug whose place the file is in (at)
	// and forgets the move, in one transaction. A move left by a crash is
	// listed by PendingMoves (Service.SettleMoves).
	BeginMove(ctx context.Context, m Move) error
	EndMove(ctx context.Context, m Move, at string) error
	PendingMoves(ctx context.Context) ([]Move, error)

	// AddTrashed records an item moved into the trash (its ID is ignored)
	// and returns the ID it was given.
	AddTrashed(ctx context.Context, t Trashed, logged comments.Action) (uint64, error)
	// TrashItems lists the trash, newest first.
	TrashItems(ctx context.Context) ([]Trashed, error)
	// TrashItem returns one item of the trash.
	TrashItem(ctx context.Context, id uint64) (Trashed, error)
	// RemoveTrashed forgets an item, once it is back in content/.
	RemoveTrashed(ctx context.Context, id uint64, logged comments.Action) error

	// The preview links (previewlinks.go).
	PreviewLinkStore
	// Where posts stand in the editors' review (review.go).
	ReviewStore
}

// ErrNotFound is matched by the errors for a post, revision or trash item
// that does not exist.
var ErrNotFound = errors.New("not found")

// Revision is a version of a post file that a save replaced.
type Revision struct {
	ID   uint64
	Slug string
	// File is where the post was, relative to the content directory.
	File string
	// Version is the SHA-256 of Content: the version a form opened from it
	// would carry.
	Version Version
	// By is the user whose save replaced it; At is when.
	By      string
	At      time.Time
	Content []byte
	// Published says the version was out (published or scheduled): a
	// draft with such a version keeps its slug.
	Published bool `json:",omitempty"`
}

// Move is a draft's move to a new slug under way: From and To are its
// slugs, FromPath and ToPath (relative to the content directory) where
// what moves — its bundle's folder, or its single file — was and goes.
type Move struct {
	From, To         string
	FromPath, ToPath string
}

// Trashed is a post moved into the trash directory.
type Trashed struct {
	ID   uint64
	Slug string
	// File is the post's file relative to the content directory, as it
	// was; Bundle its folder (posts/SLUG) when it was a page bundle, moved
	// whole with its photos.
	File   string
	Bundle string
	// Dir is the item's folder in the trash directory (one name, no
	// separator); it holds the file or the bundle's folder.
	Dir     string
	Version Version
	By      string
	At      time.Time
}
