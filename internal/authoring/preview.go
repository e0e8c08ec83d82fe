package authoring

import (
	"context"
	"errors"
	"fmt"

	"milepost/internal/content"
)

// Preview returns the post an edit would make, as content reads it (the
// page a reader would see), without writing anything: the edit applied to
// the post's file as it is now, or a new post's file for a slug no post
// has. Errors: ErrInvalidSlug, ErrLink, *InvalidError (content would not
// load it, with its file:line problems), or what reading the file said.
func (s *Service) Preview(ctx context.Context, e Edit) (*content.Post, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rel, err := s.locate(e.Slug)
	var src []byte
	switch {
	case errors.Is(err, ErrNotFound):
		rel = "posts/" + e.Slug + "/index.md"
		if src, err = newFile(e.Fields, e.Body); err != nil {
			return nil, fmt.Errorf("previewing new post %q: %w", e.Slug, err)
		}
	case err != nil:
		return nil, fmt.Errorf("previewing post %q: %w", e.Slug, err)
	default:
		old, err := s.read(rel)
		if err != nil {
			return nil, fmt.Errorf("previewing post %q: %w", e.Slug, err)
		}
		split, err := content.SplitSource(old)
		if err != nil {
			return nil, fmt.Errorf("previewing post %q: %w", e.Slug, invalid(rel, err))
		}
		if src, err = editFile(old, split, e.Fields, e.Body); err != nil {
			return nil, fmt.Errorf("previewing %s: %w", rel, err)
		}
	}
	p, problems := s.site().ParsePost(rel, src)
	if len(problems) > 0 {
		return nil, fmt.Errorf("previewing %s: %w", rel, &InvalidError{Problems: problems})
	}
	return p, nil
}
