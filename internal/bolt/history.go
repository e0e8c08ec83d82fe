package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/authoring"
	"milepost/internal/comments"
	"milepost/internal/content"
)

// The web editor's history and trash (schema version 5), both records of
// their own with no index to derive:
//
//	post_revisions  post slug + 0x00 + 8-byte ID → authoring.Revision as
//	                JSON, a version of a post file a save replaced (its
//	                bytes included); IDs come from the bucket's sequence,
//	                so a slug's keys are in the order they were kept
//	trash           8-byte ID → authoring.Trashed as JSON, a post moved
//	                into the trash directory
//
// A slug is lowercase letters, digits and hyphens (content.ValidSlug), so
// 0x00 never occurs in one and a slug's keys are exactly those with its
// prefix. An author profile's versions are kept the same way under
// authoring.ProfileHistoryKey ("authors/ID"), which no slug can be.
var (
	bucketRevisions = []byte("post_revisions")
	bucketTrash     = []byte("trash")
)

// The compile-time proof that DB keeps the editor's history and trash.
var _ authoring.Store = (*DB)(nil)

func revisionPrefix(slug string) []byte {
	return append([]byte(slug), 0)
}

func revisionKey(slug string, id uint64) []byte {
	return binary.BigEndian.AppendUint64(revisionPrefix(slug), id)
}

// AddRevision keeps a version of a post file and returns its ID, and logs
// the save that replaced it, in one transaction.
func (db *DB) AddRevision(ctx context.Context, r authoring.Revision, logged comments.Action) (uint64, error) {
	if !authoring.ValidHistoryKey(r.Slug) {
		return 0, fmt.Errorf("keeping a version of post %q: not a valid slug", r.Slug)
	}
	if logged.Kind == "" {
		return 0, fmt.Errorf("keeping a version of post %s: no log entry for the save", r.Slug)
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		if err := putRevision(tx, &r); err != nil {
			return err
		}
		return appendAction(bucketsOf(tx), &logged)
	})
	if err != nil {
		return 0, fmt.Errorf("keeping a version of post %s: %w", r.Slug, err)
	}
	return r.ID, nil
}

// putRevision keeps r under the next ID, which it sets.
func putRevision(tx *bbolt.Tx, r *authoring.Revision) error {
	revs := tx.Bucket(bucketRevisions)
	id, err := revs.NextSequence()
	if err != nil {
		return err
	}
	r.ID = id
	v, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := notePublished(tx, r); err != nil {
		return err
	}
	return revs.Put(revisionKey(r.Slug, id), v)
}

// Revisions lists a post's kept versions newest first, without their bytes.
func (db *DB) Revisions(ctx context.Context, slug string) ([]authoring.Revision, error) {
	var out []authoring.Revision
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		prefix := revisionPrefix(slug)
		c := tx.Bucket(bucketRevisions).Cursor()
		// Walk back from the last key of the prefix: newest first.
		k, v := c.Seek(revisionKey(slug, ^uint64(0)))
		if k == nil {
			k, v = c.Last()
		} else if !bytes.Equal(k, revisionKey(slug, ^uint64(0))) {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(k) == len(prefix)+8; k, v = c.Prev() {
			r, err := decodeRevision(k, v)
			if err != nil {
				return err
			}
			r.Content = nil
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the versions of post %s: %w", slug, err)
	}
	return out, nil
}

// Revision returns one kept version of a post with its bytes.
func (db *DB) Revision(ctx context.Context, slug string, id uint64) (authoring.Revision, error) {
	var r authoring.Revision
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		k := revisionKey(slug, id)
		v := tx.Bucket(bucketRevisions).Get(k)
		if v == nil {
			return authoring.ErrNotFound
		}
		var err error
		r, err = decodeRevision(k, v)
		return err
	})
	if err != nil {
		return authoring.Revision{}, fmt.Errorf("reading version %d of post %s: %w", id, slug, err)
	}
	return r, nil
}

func decodeRevision(k, v []byte) (authoring.Revision, error) {
	var r authoring.Revision
	if err := json.Unmarshal(v, &r); err != nil {
		return authoring.Revision{}, fmt.Errorf("decoding post version %x: %w", k, err)
	}
	return r, nil
}

// LogPostAction logs a step taken on a post that keeps no record here (a
// new post replaced no version).
func (db *DB) LogPostAction(ctx context.Context, logged comments.Action) error {
	if logged.Kind == "" {
		return errors.New("logging a post's change: the entry has no kind")
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error { return appendAction(bucketsOf(tx), &logged) })
	if err != nil {
		return fmt.Errorf("logging %s of post %s: %w", logged.Kind, logged.Post, err)
	}
	return nil
}

// AddTrashed records a post moved into the trash and returns its ID, and
// logs the deletion, in one transaction.
func (db *DB) AddTrashed(ctx context.Context, t authoring.Trashed, logged comments.Action) (uint64, error) {
	if logged.Kind == "" {
		return 0, fmt.Errorf("recording post %s in the trash: no log entry for it", t.Slug)
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		trash := tx.Bucket(bucketTrash)
		id, err := trash.NextSequence()
		if err != nil {
			return err
		}
		t.ID = id
		v, err := json.Marshal(t)
		if err != nil {
			return err
		}
		if err := trash.Put(idKey(id), v); err != nil {
			return err
		}
		return appendAction(bucketsOf(tx), &logged)
	})
	if err != nil {
		return 0, fmt.Errorf("recording post %s in the trash: %w", t.Slug, err)
	}
	return t.ID, nil
}

// TrashItems lists the trash newest first.
func (db *DB) TrashItems(ctx context.Context) ([]authoring.Trashed, error) {
	var out []authoring.Trashed
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketTrash).Cursor()
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			t, err := decodeTrashed(k, v)
			if err != nil {
				return err
			}
			out = append(out, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the trash: %w", err)
	}
	return out, nil
}

// TrashItem returns one item of the trash.
func (db *DB) TrashItem(ctx context.Context, id uint64) (authoring.Trashed, error) {
	var t authoring.Trashed
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketTrash).Get(idKey(id))
		if v == nil {
			return authoring.ErrNotFound
		}
		var err error
		t, err = decodeTrashed(idKey(id), v)
		return err
	})
	if err != nil {
		return authoring.Trashed{}, fmt.Errorf("reading trash item %d: %w", id, err)
	}
	return t, nil
}

// RemoveTrashed forgets an item of the trash, back in content/, and logs
// the restore, in one transaction.
func (db *DB) RemoveTrashed(ctx context.Context, id uint64, logged comments.Action) error {
	if logged.Kind == "" {
		return fmt.Errorf("forgetting trash item %d: no log entry for it", id)
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		trash := tx.Bucket(bucketTrash)
		if trash.Get(idKey(id)) == nil {
			return authoring.ErrNotFound
		}
		if err := trash.Delete(idKey(id)); err != nil {
			return err
		}
		return appendAction(bucketsOf(tx), &logged)
	})
	if err != nil {
		return fmt.Errorf("forgetting trash item %d: %w", id, err)
	}
	return nil
}

func decodeTrashed(k, v []byte) (authoring.Trashed, error) {
	var t authoring.Trashed
	if err := json.Unmarshal(v, &t); err != nil {
		return authoring.Trashed{}, fmt.Errorf("decoding trash item %x: %w", k, err)
	}
	return t, nil
}

// checkHistory is Check's part for post_revisions and trash: every record
// readable, under its own key, below its bucket's sequence, with a valid
// slug; a revision's Version the SHA-256 of its bytes; a trash item's
// folder one name inside the trash directory and its file a post path.
func checkHistory(tx *bbolt.Tx, report func(string, ...any)) error {
	revs := tx.Bucket(bucketRevisions)
	seq := revs.Sequence()
	err := revs.ForEach(func(k, v []byte) error {
		r, err := decodeRevision(k, v)
		if err != nil {
			report("%s: %v", bucketRevisions, err)
			return nil
		}
		if !bytes.Equal(k, revisionKey(r.Slug, r.ID)) {
			report("%s: key %x holds version %d of %q", bucketRevisions, k, r.ID, r.Slug)
		}
		if !authoring.ValidHistoryKey(r.Slug) {
			report("%s: version %d has the slug %q", bucketRevisions, r.ID, r.Slug)
		}
		if r.ID > seq {
			report("%s: version %d is above the sequence %d", bucketRevisions, r.ID, seq)
		}
		if authoring.VersionOf(r.Content) != r.Version {
			report("%s: version %d of %q: its bytes are not version %.12s", bucketRevisions, r.ID, r.Slug, r.Version)
		}
		return nil
	})
	if err != nil {
		return err
	}
	trash := tx.Bucket(bucketTrash)
	seq = trash.Sequence()
	return trash.ForEach(func(k, v []byte) error {
		t, err := decodeTrashed(k, v)
		if err != nil {
			report("%s: %v", bucketTrash, err)
			return nil
		}
		if id, err := keyID(k); err != nil || id != t.ID {
			report("%s: key %x holds item %d", bucketTrash, k, t.ID)
		}
		if t.ID > seq {
			report("%s: item %d is above the sequence %d", bucketTrash, t.ID, seq)
		}
		if !content.ValidSlug(t.Slug) || !content.ValidPostPath(t.File) || t.Bundle != content.BundleDir(t.File) && t.Bundle != "" {
			report("%s: item %d names no post: slug %q, file %q, bundle %q", bucketTrash, t.ID, t.Slug, t.File, t.Bundle)
		}
		if t.Dir == "" || t.Dir != filepath.Base(t.Dir) || t.Dir == "." || t.Dir == ".." {
			report("%s: item %d has the folder %q, not one name in the trash directory", bucketTrash, t.ID, t.Dir)
		}
		return nil
	})
}
