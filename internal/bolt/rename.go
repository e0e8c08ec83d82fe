package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/authoring"
	"milepost/internal/comments"
	"milepost/internal/content"
)

// RenamePost moves what is kept under a post's slug to its new slug — its
// revisions (post_revisions), its review (post_reviews) and its preview
// links (preview_links' records and the post_preview_links index) — keeps
// r under the new slug when r.Slug is set, and logs logged when it has a
// Kind, all in one transaction: a draft taking a new slug never leaves
// half its records behind. A post with any comment (post_comments) is
// refused with authoring.ErrHasComments: comments stay with an address
// readers have used.
func (db *DB) RenamePost(ctx context.Context, from, to string, r authoring.Revision, logged comments.Action) error {
	if !content.ValidSlug(from) || !content.ValidSlug(to) || from == to {
		return fmt.Errorf("moving the records of post %q to %q: not two valid slugs", from, to)
	}
	if r.Slug != "" && r.Slug != to {
		return fmt.Errorf("moving the records of post %s to %s: the revision is of %q", from, to, r.Slug)
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		if k, _ := tx.Bucket(bucketIndex).Cursor().Seek(postPrefix(from)); k != nil && bytes.HasPrefix(k, postPrefix(from)) {
			return authoring.ErrHasComments
		}
		if err := renameRevisions(tx, from, to); err != nil {
			return err
		}
		if err := renameReview(tx, from, to); err != nil {
			return err
		}
		if err := renamePreviewLinks(tx, from, to); err != nil {
			return err
		}
		if r.Slug != "" {
			if err := putRevision(tx, &r); err != nil {
				return err
			}
		}
		if logged.Kind == "" {
			return nil
		}
		return appendAction(bucketsOf(tx), &logged)
	})
	if err != nil {
		return fmt.Errorf("moving the records of post %s to %s: %w", from, to, err)
	}
	return nil
}

// renameRevisions moves every revision of from to to, keeping its ID (so
// the history keeps its order, merged with any left under to by a post
// deleted before).
func renameRevisions(tx *bbolt.Tx, from, to string) error {
	revs := tx.Bucket(bucketRevisions)
	prefix := revisionPrefix(from)
	var keys [][]byte
	c := revs.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if len(k) == len(prefix)+8 {
			keys = append(keys, bytes.Clone(k))
		}
	}
	for _, k := range keys {
		rev, err := decodeRevision(k, revs.Get(k))
		if err != nil {
			return err
		}
		rev.Slug = to
		v, err := json.Marshal(rev)
		if err != nil {
			return err
		}
		if err := revs.Put(revisionKey(to, rev.ID), v); err != nil {
			return err
		}
		if err := revs.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// renameReview moves from's review record, replacing any under to.
func renameReview(tx *bbolt.Tx, from, to string) error {
	reviews := tx.Bucket(bucketReviews)
	v := reviews.Get([]byte(from))
	if v == nil {
		return nil
	}
	rev, err := decodeReview([]byte(from), v)
	if err != nil {
		return err
	}
	rev.Slug = to
	moved, err := json.Marshal(rev)
	if err != nil {
		return err
	}
	if err := reviews.Put([]byte(to), moved); err != nil {
		return err
	}
	return reviews.Delete([]byte(from))
}

// renamePreviewLinks gives from's links the slug to: their records and
// their index entries. The tokens stay the same, so a link shared before
// the move opens the post after it.
func renamePreviewLinks(tx *bbolt.Tx, from, to string) error {
	links, index := tx.Bucket(bucketPreviewLinks), tx.Bucket(bucketPostPreviewLinks)
	prefix := postPreviewPrefix(from)
	var keys [][]byte
	c := index.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		keys = append(keys, bytes.Clone(k))
	}
	for _, k := range keys {
		key := k[len(prefix):]
		l, err := decodePreviewLink(key, links.Get(key))
		if err != nil {
			return err
		}
		l.Slug = to
		v, err := json.Marshal(l)
		if err != nil {
			return err
		}
		if err := links.Put(key, v); err != nil {
			return err
		}
		if err := index.Delete(k); err != nil {
			return err
		}
		if err := index.Put(postPreviewKey(to, key), nil); err != nil {
			return err
		}
	}
	return nil
}
