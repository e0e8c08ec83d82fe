package authoring

import (
	"context"
	"errors"
	"fmt"
	"path"
	"strings"

	"milepost/internal/content"
)

// A draft's slug — its address, and the name of its file or folder — may
// change until it is first published: after that, links to it may exist.
// The move is part of the save that asks for it (Edit.NewSlug): the
// bundle's folder (or the single file) is renamed, and the history, review
// and preview links kept under the slug follow it in one transaction of
// the Store (RenamePost), which refuses a post with comments.

var (
	// ErrRenamePublished is matched by the error for a new slug asked for
	// a post that is, or ever was, published (or scheduled).
	ErrRenamePublished = errors.New("a post that has been published keeps its address")
	// ErrSlugInFrontMatter is matched by the error for a new slug asked
	// for a post whose slug is set by its front matter's slug key.
	ErrSlugInFrontMatter = errors.New("the slug is set in the file's front matter (slug:), which only a hand edit changes")
	// ErrHasComments is matched by the error for a new slug asked for a
	// post with comments, which are kept under its slug.
	ErrHasComments = errors.New("the post has comments, which stay with its address")
	// ErrSlugUsed is matched by the error for a new post, or a new slug,
	// whose slug another post used: its history, preview links or
	// comments are still kept under it (Store.SlugUsed), and a post taking
	// the slug would take them over.
	ErrSlugUsed = errors.New("the address was used by another post, whose records are kept under it")
)

// Renamable reports why the post may not take a new slug (nil: it may):
// the file sets its slug, or the post is published or scheduled now or in
// any version its history kept. Comments are the Store's to find, in the
// move's transaction.
func (s *Service) Renamable(ctx context.Context, p Post) error {
	if p.SlugKey != "" {
		return ErrSlugInFrontMatter
	}
	if !p.Draft {
		return ErrRenamePublished
	}
	revs, err := s.store.Revisions(ctx, p.Slug)
	if err != nil {
		return fmt.Errorf("reading the history of %q: %w", p.Slug, err)
	}
	site := s.site()
	for _, r := range revs {
		full, err := s.store.Revision(ctx, p.Slug, r.ID)
		if err != nil {
			return fmt.Errorf("reading the history of %q: %w", p.Slug, err)
		}
		// A version content cannot read was never out; one it reads
		// that is not a draft was (or was to be) published.
		if was, problems := site.ParsePost(full.File, full.Content); len(problems) == 0 && !was.Draft {
			return ErrRenamePublished
		}
	}
	return nil
}

// renamable checks a move of the post at rel (whose file is old) to the
// slug to.
func (s *Service) renamable(ctx context.Context, slug, rel string, old []byte, to string) error {
	if !content.ValidSlug(to) {
		return ErrInvalidSlug
	}
	p, err := postOf(slug, rel, old)
	if err != nil {
		return err
	}
	if err := s.Renamable(ctx, p); err != nil {
		return err
	}
	if taken, err := s.locate(to); err == nil {
		return fmt.Errorf("%w (%s)", ErrSlugTaken, taken)
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	return s.slugUnused(ctx, to)
}

// slugUnused refuses, with ErrSlugUsed, a slug under which the Store keeps
// records of another post. The Store's RenamePost checks again in its
// transaction; this check answers before any file is touched.
func (s *Service) slugUnused(ctx context.Context, slug string) error {
	used, err := s.store.SlugUsed(ctx, slug)
	if err != nil {
		return err
	}
	if used {
		return ErrSlugUsed
	}
	return nil
}

// movedTo is where the post at rel goes under the slug to, beside where it
// is: a bundle's index.md in the renamed folder, a single file renamed,
// or — with photos to add — a single file moved into a new bundle.
func (s *Service) movedTo(rel, to string, bundle bool) (string, error) {
	dir := path.Dir(rel)
	if b := content.BundleDir(rel); b != "" {
		dir = path.Dir(b)
	}
	var moved string
	if content.BundleDir(rel) != "" || bundle {
		moved = dir + "/" + to + "/index.md"
	} else {
		moved = dir + "/" + to + ".md"
	}
	if !content.ValidPostPath(moved) {
		return "", fmt.Errorf("%s is not where a post can be: %w", moved, ErrInvalidSlug)
	}
	return moved, nil
}

// asBundle is the index.md of the bundle a single post file posts/…/X.md
// becomes: posts/…/X/index.md, its folder named as the file.
func asBundle(rel string) string {
	return strings.TrimSuffix(rel, path.Ext(rel)) + "/index.md"
}
