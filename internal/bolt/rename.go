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
// readers have used. A new slug with anything kept under it — what
// SlugUsed finds, or a review — is refused with authoring.ErrSlugUsed:
// the draft would take over another post's history, comments, links or
// place in the review queue.
func (db *DB) RenamePost(ctx context.Context, from, to string, r authoring.Revision, logged comments.Action) error {
	if !content.ValidSlug(from) || !content.ValidSlug(to) || from == to {
		return fmt.Errorf("moving the records of post %q to %q: not two valid slugs", from, to)
	}
	if r.Slug != "" && r.Slug != to {
		return fmt.Errorf("moving the records of post %s to %s: the revision is of %q", from, to, r.Slug)
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		if hasKeyWithPrefix(tx.Bucket(bucketIndex), postPrefix(from)) {
			return authoring.ErrHasComments
		}
		if slugUsed(tx, to) || tx.Bucket(bucketReviews).Get([]byte(to)) != nil {
			return authoring.ErrSlugUsed
		}
		if err := moveRecords(tx, from, to); err != nil {
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

// SlugUsed reports whether a revision, a preview link or a comment is
// kept under the slug, which a post that had the slug before left behind:
// one in the trash keeps its history and comments for its restore, one
// moved away by hand keeps all of them. A review is not counted: a new
// post ends one left behind (authoring), and RenamePost refuses it.
func (db *DB) SlugUsed(ctx context.Context, slug string) (used bool, err error) {
	err = db.view(ctx, func(tx *bbolt.Tx) error {
		used = slugUsed(tx, slug)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("looking for records of post %q: %w", slug, err)
	}
	return used, nil
}

func slugUsed(tx *bbolt.Tx, slug string) bool {
	return hasKeyWithPrefix(tx.Bucket(bucketRevisions), revisionPrefix(slug)) ||
		hasKeyWithPrefix(tx.Bucket(bucketPostPreviewLinks), postPreviewPrefix(slug)) ||
		hasKeyWithPrefix(tx.Bucket(bucketIndex), postPrefix(slug))
}

func hasKeyWithPrefix(b *bbolt.Bucket, prefix []byte) bool {
	k, _ := b.Cursor().Seek(prefix)
	return k != nil && bytes.HasPrefix(k, prefix)
}

// renameRevisions moves every revision of from to to, keeping its ID (so
// the history keeps its order). to has none: RenamePost refuses a slug
// with any.
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

// renameReview moves from's review record (to has none).
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
