package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// Add stores c under the next ID and sets c.ID, and c.Depth from its
// parent. A reply's parent must be on the same post (else
// comments.ErrParent); the check and the write are one transaction, so a
// parent deleted at the same moment cannot slip through. c is only changed
// once the write is committed.
func (db *DB) Add(ctx context.Context, c *comments.Comment) error {
	if err := checkPost(c.Post); err != nil {
		return fmt.Errorf("adding comment: %w", err)
	}
	stored := *c
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		stored.Depth = 0
		if stored.Parent != 0 {
			parent, err := getComment(b, stored.Parent)
			if errors.Is(err, comments.ErrNotFound) {
				return comments.ErrParent
			}
			if err != nil {
				return err
			}
			if parent.Post != stored.Post {
				return comments.ErrParent
			}
			stored.Depth = parent.Depth + 1
		}
		id, err := b.comments.NextSequence()
		if err != nil {
			return fmt.Errorf("allocating an ID: %w", err)
		}
		stored.ID = id
		return putComment(b, &stored)
	})
	if err != nil {
		return fmt.Errorf("adding comment on %s: %w", c.Post, err)
	}
	*c = stored
	return nil
}

// Get returns one comment, or an error matching comments.ErrNotFound.
func (db *DB) Get(ctx context.Context, id uint64) (comments.Comment, error) {
	var c comments.Comment
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		c, err = getComment(bucketsOf(tx), id)
		return err
	})
	if err != nil {
		return comments.Comment{}, fmt.Errorf("getting comment %d: %w", id, err)
	}
	return c, nil
}

// ByPost returns every comment on a post, whatever its status, oldest first.
// It reads only that post's comments, through the index.
func (db *DB) ByPost(ctx context.Context, post string) ([]comments.Comment, error) {
	var out []comments.Comment
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		prefix := postPrefix(post)
		cur := b.index.Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			_, id, err := splitIndexKey(k)
			if err != nil {
				return err
			}
			c, err := getComment(b, id)
			if err != nil {
				return fmt.Errorf("index entry for post %q: %w", post, err)
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading comments on %s: %w", post, err)
	}
	// The index is in ID order, which for seeded or imported comments need
	// not be the order they were written in.
	comments.SortOldestFirst(out)
	return out, nil
}

// Counts returns how many approved comments each post has; posts with none
// are absent.
func (db *DB) Counts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		return bucketsOf(tx).counts.ForEach(func(k, v []byte) error {
			n, err := readCount(v)
			if err != nil {
				return fmt.Errorf("post %q: %w", k, err)
			}
			out[string(k)] = int(n)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("counting comments: %w", err)
	}
	return out, nil
}

// Delete removes a comment with its index entry and its share of the count.
// Replies to it stay; comments.Thread shows them where the parent was.
func (db *DB) Delete(ctx context.Context, id uint64) error {
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		c, err := getComment(b, id)
		if err != nil {
			return err
		}
		if err := b.comments.Delete(idKey(id)); err != nil {
			return err
		}
		if err := b.index.Delete(indexKey(c.Post, id)); err != nil {
			return err
		}
		if c.Status == comments.StatusApproved {
			return addCount(b, c.Post, -1)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("deleting comment %d: %w", id, err)
	}
	return nil
}

// getComment reads one comment inside a transaction.
func getComment(b buckets, id uint64) (comments.Comment, error) {
	v := b.comments.Get(idKey(id))
	if v == nil {
		return comments.Comment{}, comments.ErrNotFound
	}
	var c comments.Comment
	if err := json.Unmarshal(v, &c); err != nil {
		return comments.Comment{}, fmt.Errorf("decoding comment %d: %w", id, err)
	}
	return c, nil
}

// putComment writes a new comment and its index entries. It is the one place
// a comment is added, so Add and Seed cannot keep the indexes differently.
func putComment(b buckets, c *comments.Comment) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding comment %d: %w", c.ID, err)
	}
	if err := b.comments.Put(idKey(c.ID), data); err != nil {
		return fmt.Errorf("writing comment %d: %w", c.ID, err)
	}
	if err := b.index.Put(indexKey(c.Post, c.ID), nil); err != nil {
		return fmt.Errorf("indexing comment %d: %w", c.ID, err)
	}
	if c.Status == comments.StatusApproved {
		return addCount(b, c.Post, 1)
	}
	return nil
}

// addCount changes a post's approved count by delta, removing the key at
// zero so that Counts lists only posts that have comments.
func addCount(b buckets, post string, delta int) error {
	key := []byte(post)
	n, err := readCount(b.counts.Get(key))
	if err != nil {
		return fmt.Errorf("count of post %q: %w", post, err)
	}
	switch {
	case delta < 0 && n < uint64(-delta):
		return fmt.Errorf("count of post %q would go below zero", post)
	case int64(n)+int64(delta) == 0:
		return b.counts.Delete(key)
	}
	return b.counts.Put(key, countValue(uint64(int64(n)+int64(delta))))
}
