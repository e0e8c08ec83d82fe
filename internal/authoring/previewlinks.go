package authoring

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"milepost/internal/comments"
	"milepost/internal/content"
)

// A preview link shows a post that readers cannot see yet (a draft, a
// scheduled post) to whoever has the link: a writer sends it to a friend
// or a coach before publishing. The link points at the slug, so it keeps
// showing the post as it is edited, and dies when it is revoked or the post
// is deleted.
//
// Its token is 256 random bits, given out once; only the token's SHA-256 is
// kept, so a copy of the database opens no draft.

// previewTokenBytes is a token's randomness: 256 bits, written as 64 hex
// digits.
const previewTokenBytes = 32

// PreviewTokenLen is the length of a token as written in a link.
const PreviewTokenLen = 2 * previewTokenBytes

// PreviewLink is a preview link as kept: never its token.
type PreviewLink struct {
	// Hash is the hex SHA-256 of the token, the link's key; it names the
	// link on the edit page (revoking it) and opens nothing.
	Hash string
	Slug string
	// By is the user who made it; At is when.
	By string
	At time.Time
}

// PreviewLinkStore keeps preview links; internal/bolt implements it.
//
// Errors: PreviewLink and RemovePreviewLink return an error matching
// ErrNotFound for a hash they do not hold.
type PreviewLinkStore interface {
	// AddPreviewLink keeps l and logs logged, in one transaction.
	AddPreviewLink(ctx context.Context, l PreviewLink, logged comments.Action) error
	// PreviewLink returns the link with the hash.
	PreviewLink(ctx context.Context, hash string) (PreviewLink, error)
	// PreviewLinks lists the slug's links, oldest first.
	PreviewLinks(ctx context.Context, slug string) ([]PreviewLink, error)
	// RemovePreviewLink forgets one link and logs logged, in one
	// transaction.
	RemovePreviewLink(ctx context.Context, hash string, logged comments.Action) error
	// RemovePreviewLinks forgets every link of the slug (the post's
	// deletion is what the log records).
	RemovePreviewLinks(ctx context.Context, slug string) error
}

// PreviewTokenHash is the key a token is kept under: its hex SHA-256.
func PreviewTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// ValidPreviewToken reports whether token could be one this package gave
// out: 64 lowercase hex digits. Anything else is refused before a lookup.
func ValidPreviewToken(token string) bool {
	if len(token) != PreviewTokenLen {
		return false
	}
	for i := 0; i < len(token); i++ {
		c := token[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// CreatePreviewLink makes a preview link to the slug's post by by and
// returns its token, the only time it is known. Errors: ErrInvalidSlug,
// ErrNotFound (no such post), or what the store said. Who may make one is
// the caller's to check, as for Save.
func (s *Service) CreatePreviewLink(ctx context.Context, slug, by string) (string, PreviewLink, error) {
	if err := ctx.Err(); err != nil {
		return "", PreviewLink{}, err
	}
	if _, err := s.locate(slug); err != nil {
		return "", PreviewLink{}, fmt.Errorf("making a preview link to %q: %w", slug, err)
	}
	raw := make([]byte, previewTokenBytes)
	if _, err := rand.Read(raw); err != nil {
		return "", PreviewLink{}, fmt.Errorf("making a preview link to %q: %w", slug, err)
	}
	token := hex.EncodeToString(raw)
	l := PreviewLink{Hash: PreviewTokenHash(token), Slug: slug, By: by, At: s.now()}
	logged := postAction(comments.ActionPreviewLink, slug, by, l.At, "link "+l.Hash[:12])
	if err := s.store.AddPreviewLink(ctx, l, logged); err != nil {
		return "", PreviewLink{}, fmt.Errorf("making a preview link to %q: %w", slug, err)
	}
	s.log.InfoContext(ctx, "preview link made", "slug", slug, "by", by, "link", l.Hash[:12])
	return token, l, nil
}

// PreviewLinks lists the slug's preview links, oldest first.
func (s *Service) PreviewLinks(ctx context.Context, slug string) ([]PreviewLink, error) {
	if !content.ValidSlug(slug) {
		return nil, fmt.Errorf("listing the preview links of %q: %w", slug, ErrInvalidSlug)
	}
	ls, err := s.store.PreviewLinks(ctx, slug)
	if err != nil {
		return nil, fmt.Errorf("listing the preview links of %q: %w", slug, err)
	}
	return ls, nil
}

// RevokePreviewLink ends the slug's link with the hash at once. A hash of
// another post's link is ErrNotFound: the edit page of one post revokes
// only its own links.
func (s *Service) RevokePreviewLink(ctx context.Context, slug, hash, by string) error {
	l, err := s.store.PreviewLink(ctx, hash)
	if err == nil && l.Slug != slug {
		err = ErrNotFound
	}
	if err == nil {
		err = s.store.RemovePreviewLink(ctx, hash, postAction(comments.ActionPreviewRevoke, slug, by, s.now(), "link "+hash[:12]))
	}
	if err != nil {
		return fmt.Errorf("revoking a preview link to %q: %w", slug, err)
	}
	s.log.InfoContext(ctx, "preview link revoked", "slug", slug, "by", by, "link", hash[:12])
	return nil
}

// PreviewLinkOf returns the link a token opens. Every token that opens
// nothing — malformed, unknown, revoked, or to a post deleted since —
// matches ErrNotFound, and a malformed one is refused without a lookup.
func (s *Service) PreviewLinkOf(ctx context.Context, token string) (PreviewLink, error) {
	if !ValidPreviewToken(token) {
		return PreviewLink{}, fmt.Errorf("opening a preview link: %w", ErrNotFound)
	}
	l, err := s.store.PreviewLink(ctx, PreviewTokenHash(token))
	if err != nil {
		return PreviewLink{}, fmt.Errorf("opening a preview link: %w", err)
	}
	// Delete forgets a post's links; a post removed by hand instead
	// shows nothing through them while it is gone.
	if _, err := s.locate(l.Slug); err != nil {
		if errors.Is(err, ErrNotFound) {
			return PreviewLink{}, fmt.Errorf("opening a preview link to %q: %w", l.Slug, ErrNotFound)
		}
		return PreviewLink{}, fmt.Errorf("opening a preview link to %q: %w", l.Slug, err)
	}
	return l, nil
}
