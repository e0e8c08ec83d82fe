package authoring

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"syscall"

	"milepost/internal/atomicfile"
	"milepost/internal/comments"
	"milepost/internal/content"
)

// syscallNotDir is what looking for posts/SLUG/index.md gives when
// posts/SLUG is a file: not found, as far as a slug goes.
var syscallNotDir = syscall.ENOTDIR

// Delete moves the post into the trash directory, whole (a bundle with its
// photos), if its file is still the version basedOn; the trash keeps a
// record of where it was. Nothing is copied: it is one rename, refused with
// ErrOtherFileSystem when the trash is on another file system. Errors as
// Save's.
func (s *Service) Delete(ctx context.Context, slug string, basedOn Version, by string) (Trashed, error) {
	if err := ctx.Err(); err != nil {
		return Trashed{}, err
	}
	if !content.ValidSlug(slug) {
		return Trashed{}, fmt.Errorf("deleting post %q: %w", slug, ErrInvalidSlug)
	}
	unlock := s.locks.lock(slug)
	defer unlock()
	rel, _, err := s.current(slug, basedOn, nil)
	if err != nil {
		return Trashed{}, fmt.Errorf("deleting post %q: %w", slug, err)
	}
	t := Trashed{Slug: slug, File: rel, Bundle: content.BundleDir(rel), Version: basedOn, By: by, At: s.now()}
	moved := rel // what moves: the file, or the bundle's folder
	if t.Bundle != "" {
		moved = t.Bundle
	}
	if err := os.MkdirAll(s.trashDir, 0o750); err != nil {
		return Trashed{}, fmt.Errorf("deleting post %q: creating the trash directory: %w", slug, err)
	}
	// The item's folder is named by the slug and the time, so a person
	// looking into the trash directory knows what is there.
	itemDir, err := os.MkdirTemp(s.trashDir, slug+"-"+strconv.FormatInt(t.At.Unix(), 10)+"-")
	if err != nil {
		return Trashed{}, fmt.Errorf("deleting post %q: making its folder in the trash: %w", slug, err)
	}
	t.Dir = filepath.Base(itemDir)
	dst := filepath.Join(itemDir, path.Base(moved))
	// The last look before the rename, as before a save's.
	if err := s.recheck(slug, rel, basedOn, nil); err != nil {
		os.Remove(itemDir)
		return Trashed{}, fmt.Errorf("deleting post %q: %w", slug, err)
	}
	if err := rename(s.abs(moved), dst); err != nil {
		os.Remove(itemDir)
		return Trashed{}, fmt.Errorf("deleting post %q: %w", slug, err)
	}
	// The log entry goes with the trash record, after the move: a crash
	// in between leaves the post in the trash directory with neither,
	// to be moved back by hand, and never a logged deletion that did not
	// happen.
	logged := postAction(comments.ActionPostDelete, slug, by, t.At, rel+" to the trash")
	if t.ID, err = s.store.AddTrashed(ctx, t, logged); err != nil {
		if berr := rename(dst, s.abs(moved)); berr != nil {
			return Trashed{}, fmt.Errorf("deleting post %q: recording it in the trash: %w; and moving it back: %w (it is in %s)", slug, err, berr, itemDir)
		}
		os.Remove(itemDir)
		return Trashed{}, fmt.Errorf("deleting post %q: recording it in the trash: %w", slug, err)
	}
	s.syncDirs(filepath.Dir(s.abs(moved)), itemDir)
	s.log.Info("post moved to the trash", "slug", slug, "file", rel, "by", by, "trash", t.Dir)
	if err := s.endReview(ctx, slug); err != nil {
		// The post is gone; a record left behind would keep a queue entry
		// that opens nothing, until the post is submitted again.
		s.log.ErrorContext(ctx, "forgetting a deleted post's review", "slug", slug, "err", err)
	}
	if err := s.store.RemovePreviewLinks(ctx, slug); err != nil {
		// The post is gone, so its links open nothing (PreviewLinkOf);
		// only a restore from the trash would bring them back.
		s.log.ErrorContext(ctx, "forgetting a deleted post's preview links", "slug", slug, "err", err)
	}
	return t, nil
}

// Trash lists what is in the trash, newest first.
func (s *Service) Trash(ctx context.Context) ([]Trashed, error) {
	items, err := s.store.TrashItems(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the trash: %w", err)
	}
	return items, nil
}

// RestoreFromTrash puts a trashed post back where it was, unless its slug
// has been taken meanwhile (ErrSlugTaken) or its place is occupied. It
// returns the post as restored.
func (s *Service) RestoreFromTrash(ctx context.Context, id uint64, by string) (Post, error) {
	if err := ctx.Err(); err != nil {
		return Post{}, err
	}
	t, err := s.store.TrashItem(ctx, id)
	if err != nil {
		return Post{}, fmt.Errorf("restoring trash item %d: %w", id, err)
	}
	// The record is the database's; the path it gives is checked like
	// any other before it is used.
	if !content.ValidSlug(t.Slug) || !content.ValidPostPath(t.File) || t.Dir == "" || t.Dir != filepath.Base(t.Dir) ||
		t.Dir == "." || t.Dir == ".." || (t.Bundle != "" && t.Bundle != content.BundleDir(t.File)) {
		return Post{}, fmt.Errorf("restoring trash item %d: its record names no place a post can be", id)
	}
	unlock := s.locks.lock(t.Slug)
	defer unlock()
	moved := t.File
	if t.Bundle != "" {
		moved = t.Bundle
	}
	if taken, err := s.locate(t.Slug); err == nil {
		return Post{}, fmt.Errorf("restoring %s from the trash: %w (%s)", t.Slug, ErrSlugTaken, taken)
	} else if !errors.Is(err, ErrNotFound) {
		return Post{}, fmt.Errorf("restoring %s from the trash: %w", t.Slug, err)
	}
	if err := s.noLinks(moved); err != nil {
		return Post{}, fmt.Errorf("restoring %s from the trash: %w", t.Slug, err)
	}
	if _, err := os.Lstat(s.abs(moved)); err == nil {
		return Post{}, fmt.Errorf("restoring %s from the trash: %s exists: %w", t.Slug, moved, ErrSlugTaken)
	}
	itemDir := filepath.Join(s.trashDir, t.Dir)
	src := filepath.Join(itemDir, path.Base(moved))
	if _, err := os.Lstat(src); errors.Is(err, fs.ErrNotExist) {
		return Post{}, fmt.Errorf("restoring %s from the trash: %s is no longer in the trash directory: %w", t.Slug, src, ErrNotFound)
	}
	parent := filepath.Dir(s.abs(moved))
	if err := os.MkdirAll(parent, 0o750); err != nil {
		return Post{}, fmt.Errorf("restoring %s from the trash: %w", t.Slug, err)
	}
	if err := rename(src, s.abs(moved)); err != nil {
		return Post{}, fmt.Errorf("restoring %s from the trash: %w", t.Slug, err)
	}
	// As for Delete: logged with the record's removal, after the move.
	logged := postAction(comments.ActionPostRestore, t.Slug, by, s.now(), t.File+" from the trash")
	if err := s.store.RemoveTrashed(ctx, id, logged); err != nil {
		if berr := rename(s.abs(moved), src); berr != nil {
			return Post{}, fmt.Errorf("restoring %s from the trash: forgetting its trash record: %w; and moving it back: %w", t.Slug, err, berr)
		}
		return Post{}, fmt.Errorf("restoring %s from the trash: forgetting its trash record: %w", t.Slug, err)
	}
	os.Remove(itemDir) // empty now; a leftover folder is harmless
	s.syncDirs(parent, s.trashDir)
	s.log.Info("post restored from the trash", "slug", t.Slug, "file", t.File, "by", by)
	b, err := s.read(t.File)
	if err != nil {
		return Post{}, fmt.Errorf("restoring %s from the trash: %w", t.Slug, err)
	}
	return postOf(t.Slug, t.File, b)
}

// rename moves within one file system, and says so plainly when the two
// places are on different ones.
func rename(from, to string) error {
	err := os.Rename(from, to)
	if errors.Is(err, syscall.EXDEV) {
		return fmt.Errorf("moving %s to %s: %w", from, to, ErrOtherFileSystem)
	}
	if err != nil {
		return fmt.Errorf("moving %s: %w", from, err)
	}
	return nil
}

// syncDirs makes renames durable; a failure is logged, as the move itself
// has happened.
func (s *Service) syncDirs(dirs ...string) {
	for _, d := range dirs {
		if err := atomicfile.SyncDir(d); err != nil {
			s.log.Warn("syncing a directory after a move", "err", err)
		}
	}
}
