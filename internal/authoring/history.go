package authoring

import (
	"context"
	"fmt"
	"time"

	"milepost/internal/content"
)

// History lists the versions of the slug's post that saves replaced, newest
// first, without their text (Restore takes one back).
func (s *Service) History(ctx context.Context, slug string) ([]Revision, error) {
	if !content.ValidSlug(slug) {
		return nil, fmt.Errorf("listing the history of %q: %w", slug, ErrInvalidSlug)
	}
	revs, err := s.store.Revisions(ctx, slug)
	if err != nil {
		return nil, fmt.Errorf("listing the history of %q: %w", slug, err)
	}
	return revs, nil
}

// Revision returns one earlier version with its text, to show it.
func (s *Service) Revision(ctx context.Context, slug string, id uint64) (Revision, error) {
	if !content.ValidSlug(slug) {
		return Revision{}, fmt.Errorf("reading version %d of %q: %w", id, slug, ErrInvalidSlug)
	}
	r, err := s.store.Revision(ctx, slug, id)
	if err != nil {
		return Revision{}, fmt.Errorf("reading version %d of %q: %w", id, slug, err)
	}
	return r, nil
}

// Restore saves an earlier version of the post as a new save by by: with
// the same rules as Save (refused with a *ConflictError when the file is no
// longer basedOn, with an *InvalidError when content would not load it
// today), and keeping the version it replaces, so a restore can be undone.
func (s *Service) Restore(ctx context.Context, slug string, id uint64, basedOn Version, by string) (Post, error) {
	if err := ctx.Err(); err != nil {
		return Post{}, err
	}
	if !content.ValidSlug(slug) {
		return Post{}, fmt.Errorf("restoring version %d of %q: %w", id, slug, ErrInvalidSlug)
	}
	r, err := s.store.Revision(ctx, slug, id)
	if err != nil {
		return Post{}, fmt.Errorf("restoring version %d of %q: %w", id, slug, err)
	}
	unlock := s.locks.lock(slug)
	defer unlock()
	rel, old, err := s.current(slug, basedOn, r.Content)
	if err != nil {
		return Post{}, fmt.Errorf("restoring version %d of %q: %w", id, slug, err)
	}
	return s.write(ctx, slug, rel, old, basedOn, r.Content, by, fmt.Sprintf("the version of %s by %s", r.At.UTC().Format(time.RFC3339), r.By), change{})
}
