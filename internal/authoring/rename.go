package authoring

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
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
// the file sets its slug, the post is published or scheduled now or was
// in any version its history kept, or comments are kept under its slug.
// The edit page asks it to show the slug field or say why not; the Store
// checks the comments again in the move's transaction.
func (s *Service) Renamable(ctx context.Context, p Post) error {
	if p.SlugKey != "" {
		return ErrSlugInFrontMatter
	}
	if !p.Draft {
		return ErrRenamePublished
	}
	if has, err := s.store.HasComments(ctx, p.Slug); err != nil {
		return fmt.Errorf("looking for comments of %q: %w", p.Slug, err)
	} else if has {
		return ErrHasComments
	}
	if was, err := s.everPublished(ctx, p.Slug); err != nil {
		return err
	} else if was {
		return ErrRenamePublished
	}
	return nil
}

// everPublished reports whether a version of the post kept in its history
// was out. The Store keeps the fact with each version; a history kept
// before it did is read once, and what was found noted.
func (s *Service) everPublished(ctx context.Context, slug string) (bool, error) {
	was, known, err := s.store.EverPublished(ctx, slug)
	if err != nil || known {
		return was, err
	}
	revs, err := s.store.Revisions(ctx, slug)
	if err != nil {
		return false, fmt.Errorf("reading the history of %q: %w", slug, err)
	}
	if len(revs) == 0 {
		return false, nil // nothing to read, nor to note: an edit page writes nothing
	}
	site := s.site()
	for _, r := range revs {
		full, err := s.store.Revision(ctx, slug, r.ID)
		if err != nil {
			return false, fmt.Errorf("reading the history of %q: %w", slug, err)
		}
		if was = wasOut(site, full.File, full.Content); was {
			break
		}
	}
	if err := s.store.NotePublished(ctx, slug, was); err != nil {
		return false, err
	}
	return was, nil
}

// wasOut reports whether a version of a post file was out: content reads
// it, and it is not a draft (published, or scheduled to be). A version
// content cannot read was never out.
func wasOut(site *content.Site, rel string, src []byte) bool {
	was, problems := site.ParsePost(rel, src)
	return len(problems) == 0 && was != nil && !was.Draft
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

// movedPath is what moves with the post file rel: its bundle's folder, or
// the file itself.
func movedPath(rel string) string {
	if b := content.BundleDir(rel); b != "" {
		return b
	}
	return rel
}

// settleMove ends the move m from where the post's file is: under m.To
// when its folder (or file) has left m.FromPath for m.ToPath, otherwise
// under m.From — also when something else took m.ToPath meanwhile, whose
// post must not be given this one's records. The records follow
// (Store.EndMove). A save ends its own move, done or undone; SettleMoves
// ends those a crash left.
func (s *Service) settleMove(ctx context.Context, m Move) error {
	at := m.From
	if _, err := os.Lstat(s.abs(m.FromPath)); errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Lstat(s.abs(m.ToPath)); err == nil {
			at = m.To
		}
	} else if err != nil {
		return fmt.Errorf("looking for %s: %w", m.FromPath, err)
	}
	return s.store.EndMove(ctx, m, at)
}

// SettleMoves ends the moves of drafts to new slugs that a crash (or a
// failing disk) left under way, each from where its file is, so that the
// history, review and preview links are kept under the slug the post has.
// The server calls it at start-up, before any save.
func (s *Service) SettleMoves(ctx context.Context) error {
	moves, err := s.store.PendingMoves(ctx)
	if err != nil {
		return err
	}
	for _, m := range moves {
		if err := s.settleMove(ctx, m); err != nil {
			return err
		}
		s.log.Warn("a post's move left under way was ended", "from", m.From, "to", m.To)
	}
	return nil
}
