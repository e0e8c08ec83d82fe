package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
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

// commentsDecoded counts the comments this process has decoded: what a
// read costs, which tests use to prove that a page reads only what it
// shows.
var commentsDecoded atomic.Uint64

// getComment reads one comment inside a transaction.
func getComment(b buckets, id uint64) (comments.Comment, error) {
	v := b.comments.Get(idKey(id))
	if v == nil {
		return comments.Comment{}, comments.ErrNotFound
	}
	commentsDecoded.Add(1)
	var c comments.Comment
	if err := json.Unmarshal(v, &c); err != nil {
		return comments.Comment{}, fmt.Errorf("decoding comment %d: %w", id, err)
	}
	return c, nil
}

// Replies returns the number of a comment's approved direct replies.
func (db *DB) Replies(ctx context.Context, id uint64) (int, error) {
	var n int
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = approvedReplies(bucketsOf(tx), id)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("counting replies to comment %d: %w", id, err)
	}
	return n, nil
}

// Threads returns one page of a post's comments (see comments.ThreadQuery).
// It walks the keys of the post's threads to the offset, reads the approved
// comments of the threads asked for through thread_comments and the
// viewer's held ones through held_by, and takes the numbers of threads and
// comments from their counters: it decodes no comment it does not return.
func (db *DB) Threads(ctx context.Context, q comments.ThreadQuery) (comments.ThreadSlice, error) {
	var out comments.ThreadSlice
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		var err error
		if out.Threads, out.Comments, err = postCounts(b, q.Post); err != nil {
			return err
		}
		asked, err := threadsFrom(b, q.Post, q.Offset, q.Limit)
		if err != nil {
			return err
		}
		for _, t := range asked {
			cs, err := threadComments(b, q.Post, t)
			if err != nil {
				return err
			}
			out.Approved = append(out.Approved, cs...)
		}
		out.Held, err = heldShown(b, q, asked)
		return err
	})
	if err != nil {
		return comments.ThreadSlice{}, fmt.Errorf("reading comments on %s: %w", q.Post, err)
	}
	return out, nil
}

// postCounts reads a post's numbers of threads and approved comments.
func postCounts(b buckets, post string) (threads, approved int, err error) {
	t, err := readCount(b.bucket(bucketPostThreads).Get([]byte(post)))
	if err != nil {
		return 0, 0, fmt.Errorf("%s of %q: %w", bucketPostThreads, post, err)
	}
	a, err := readCount(b.counts.Get([]byte(post)))
	if err != nil {
		return 0, 0, fmt.Errorf("%s of %q: %w", bucketCounts, post, err)
	}
	return int(t), int(a), nil
}

// threadsFrom returns the Threads of a post's threads from the offset-th,
// at most limit of them, stepping over the keys before it without reading
// any comment.
func threadsFrom(b buckets, post string, offset, limit int) ([]uint64, error) {
	var out []uint64
	prefix := postPrefix(post)
	cur := b.bucket(bucketThreads).Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = cur.Next() {
		if offset > 0 {
			offset--
			continue
		}
		t, err := splitThreadKey(k, post)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bucketThreads, err)
		}
		out = append(out, t)
	}
	return out, nil
}

// threadComments reads the approved comments of one thread.
func threadComments(b buckets, post string, thread uint64) ([]comments.Comment, error) {
	var out []comments.Comment
	prefix := threadKey(post, thread)
	cur := b.bucket(bucketThreadComments).Cursor()
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		id, err := keyID(k[len(prefix):])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", bucketThreadComments, err)
		}
		c, err := getComment(b, id)
		if err != nil {
			return nil, fmt.Errorf("%s entry of post %q: %w", bucketThreadComments, post, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// heldShown reads the viewer's newest held comments on the post, keeping
// those in one of the threads asked for or in a thread that is not one of
// the post's threads.
func heldShown(b buckets, q comments.ThreadQuery, asked []uint64) ([]comments.Comment, error) {
	if q.Viewer == "" {
		return nil, nil
	}
	in := make(map[uint64]bool, len(asked))
	for _, t := range asked {
		in[t] = true
	}
	threads := b.bucket(bucketThreads)
	var out []comments.Comment
	prefix := heldByPrefix(q.Viewer, q.Post)
	cur := b.bucket(bucketHeldBy).Cursor()
	read := 0
	// Seek past the prefix, then step back: newest (highest ID) first.
	k, _ := cur.Seek(append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
	if k == nil {
		k, _ = cur.Last()
	} else {
		k, _ = cur.Prev()
	}
	for ; k != nil && bytes.HasPrefix(k, prefix) && read < comments.MaxHeldShown; k, _ = cur.Prev() {
		if len(k) != len(prefix)+8 {
			continue // another post whose slug starts with this one's, then 0x00
		}
		read++
		c, err := getComment(b, binary.BigEndian.Uint64(k[len(prefix):]))
		if err != nil {
			return nil, fmt.Errorf("%s entry: %w", bucketHeldBy, err)
		}
		if in[c.Thread] || threads.Get(threadKey(c.Post, c.Thread)) == nil {
			out = append(out, c)
		}
	}
	return out, nil
}

// ThreadRank counts the post's threads before thread by stepping over
// their keys, reading no comment.
func (db *DB) ThreadRank(ctx context.Context, post string, thread uint64) (comments.ThreadRank, error) {
	var r comments.ThreadRank
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		var err error
		if r.Total, _, err = postCounts(b, post); err != nil {
			return err
		}
		prefix, key := postPrefix(post), threadKey(post, thread)
		cur := b.bucket(bucketThreads).Cursor()
		k, _ := cur.Seek(prefix)
		for ; k != nil && bytes.HasPrefix(k, prefix) && bytes.Compare(k, key) < 0; k, _ = cur.Next() {
			r.Before++
		}
		r.Counted = k != nil && bytes.Equal(k, key)
		return nil
	})
	if err != nil {
		return comments.ThreadRank{}, fmt.Errorf("placing thread %d of %s: %w", thread, post, err)
	}
	return r, nil
}

// ApprovedOn returns a post's newest approved comments, newest first,
// through post_approved.
func (db *DB) ApprovedOn(ctx context.Context, post string, limit int) ([]comments.Comment, error) {
	var out []comments.Comment
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		prefix := postPrefix(post)
		cur := b.bucket(bucketPostApproved).Cursor()
		// The key after every key with the prefix: the slug then 0x01.
		end := append([]byte(post), 1)
		k, _ := cur.Seek(end)
		if k == nil {
			k, _ = cur.Last()
		} else {
			k, _ = cur.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = cur.Prev() {
			_, id, err := splitTimeIDKey(k[len(prefix):])
			if err != nil {
				return fmt.Errorf("%s: %w", bucketPostApproved, err)
			}
			c, err := getComment(b, id)
			if err != nil {
				return fmt.Errorf("%s entry: %w", bucketPostApproved, err)
			}
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing approved comments on %s: %w", post, err)
	}
	return out, nil
}
