package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// Add stores c under the next ID and sets c.ID, and c.Depth from its
// parent. A reply's parent must be on the same post (else
// comments.ErrParent); the check and the write are one transaction, so a
// parent deleted at the same moment cannot slip through. c is only changed
// once the write is committed. No policy applies: c is stored with the
// status it has.
func (db *DB) Add(ctx context.Context, c *comments.Comment) error {
	return db.insert(ctx, c, time.Time{}, nil)
}

// Submit is Add for a reader's comment: in the same transaction it forgets
// duplicate-detection entries of comments created before forgetBefore,
// gathers the comments.Facts about the writer and the post, and lets decide
// set the status or refuse. An error from decide is returned as it is.
func (db *DB) Submit(ctx context.Context, c *comments.Comment, forgetBefore time.Time,
	decide func(*comments.Comment, comments.Facts) error) error {
	if decide == nil {
		return errors.New("submitting comment: no decision function")
	}
	return db.insert(ctx, c, forgetBefore, decide)
}

// callbackError marks an error from a caller's function, which the store
// hands back as it is.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

func (db *DB) insert(ctx context.Context, c *comments.Comment, forgetBefore time.Time,
	decide func(*comments.Comment, comments.Facts) error) error {
	if err := checkPost(c.Post); err != nil {
		return fmt.Errorf("adding comment: %w", err)
	}
	if err := checkSource(c.Source); err != nil {
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
		if decide != nil {
			if !forgetBefore.IsZero() {
				if err := forgetDuplicates(b, forgetBefore); err != nil {
					return err
				}
			}
			f, err := factsFor(b, &stored)
			if err != nil {
				return err
			}
			before := stored
			if err := decide(&stored, f); err != nil {
				return callbackError{err}
			}
			if stored.Post != before.Post || stored.Parent != before.Parent || stored.Depth != before.Depth {
				return errors.New("the decision changed the comment's post or parent")
			}
		}
		id, err := b.comments.NextSequence()
		if err != nil {
			return fmt.Errorf("allocating an ID: %w", err)
		}
		stored.ID = id
		return putComment(b, &stored)
	})
	if cb, ok := err.(callbackError); ok {
		return cb.err
	}
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

// Delete removes a comment with its index entries and its share of the
// counts, recording nothing (Service.Delete is the moderator's, logged).
// Replies to it stay; comments.Thread shows them where the parent was.
func (db *DB) Delete(ctx context.Context, id uint64) error {
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		c, err := getComment(b, id)
		if err != nil {
			return err
		}
		return deleteComment(b, &c)
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
