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

// Submit is Add for a reader's comment: in the same transaction it forgets
// duplicate-detection entries of comments created before forgetBefore,
// gathers the comments.Facts about the writer and the post, and lets decide
// set the status or refuse. An error from decide is returned as it is.
//
// Concurrent Submits share one transaction and so one fsync (see
// groupCommit): each still returns only once the transaction holding its
// comment is committed, with its own error. The transaction may be run
// more than once, so decide may be called more than once; the last call
// is the one that counts.
func (db *DB) Submit(ctx context.Context, c *comments.Comment, forgetBefore time.Time,
	decide func(*comments.Comment, comments.Facts) error) error {
	if decide == nil {
		return errors.New("submitting comment: no decision function")
	}
	return db.insert(ctx, c, forgetBefore, decide, db.groupCommit)
}

// callbackError marks an error from a caller's function, which the store
// hands back as it is.
type callbackError struct{ err error }

func (e callbackError) Error() string { return e.err.Error() }

// insert stores c through commit, which is db.update for a write of its
// own or db.groupCommit for one that shares its transaction.
//
// The transaction function starts afresh from c every time it runs (a
// shared transaction is run again when another writer's part of it
// fails), and decides everything — the parent, the facts, the decision,
// the ID — from what it reads inside the transaction, so a second run
// gives the answer the committed state calls for. A refusal (no such
// parent, or decide's error) writes nothing of the comment and is not an
// error of the transaction: it is handed to this caller alone, and the
// other writers sharing the transaction commit without being run again.
func (db *DB) insert(ctx context.Context, c *comments.Comment, forgetBefore time.Time,
	decide func(*comments.Comment, comments.Facts) error, commit func(context.Context, func(*bbolt.Tx) error) error) error {
	if err := checkPost(c.Post); err != nil {
		return fmt.Errorf("adding comment: %w", err)
	}
	if err := checkSource(c.Source); err != nil {
		return fmt.Errorf("adding comment: %w", err)
	}
	var (
		stored  comments.Comment
		refusal error // this caller's, from the run that was committed
	)
	err := commit(ctx, func(tx *bbolt.Tx) error {
		stored = *c
		var err error
		refusal, err = insertTx(bucketsOf(tx), &stored, forgetBefore, decide)
		return err
	})
	if err == nil {
		err = refusal
	}
	if cb, ok := err.(callbackError); ok {
		return cb.err
	}
	if err != nil {
		return fmt.Errorf("adding comment on %s: %w", c.Post, err)
	}
	*c = stored
	return nil
}

// insertTx is one run of insert's transaction function: it stores c, or
// returns why not — a refusal, which writes nothing of c, or an error,
// which must roll the transaction back.
func insertTx(b buckets, c *comments.Comment, forgetBefore time.Time,
	decide func(*comments.Comment, comments.Facts) error) (refusal, err error) {
	c.Depth = 0
	if c.Parent != 0 {
		parent, err := getComment(b, c.Parent)
		if errors.Is(err, comments.ErrNotFound) {
			return comments.ErrParent, nil
		}
		if err != nil {
			return nil, err
		}
		if parent.Post != c.Post {
			return comments.ErrParent, nil
		}
		c.Depth = parent.Depth + 1
	}
	if decide != nil {
		if !forgetBefore.IsZero() {
			// Kept even when the comment is refused: it only drops
			// entries that no longer count, whoever asks.
			if err := forgetDuplicates(b, forgetBefore); err != nil {
				return nil, err
			}
		}
		f, err := factsFor(b, c)
		if err != nil {
			return nil, err
		}
		before := *c
		if err := decide(c, f); err != nil {
			return callbackError{err}, nil
		}
		if c.Post != before.Post || c.Parent != before.Parent || c.Depth != before.Depth {
			return nil, errors.New("the decision changed the comment's post or parent")
		}
	}
	id, err := b.comments.NextSequence()
	if err != nil {
		return nil, fmt.Errorf("allocating an ID: %w", err)
	}
	c.ID = id
	return nil, putComment(b, c)
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
// It lays the post's threads out from their counters in threads (reading
// no comment), reads the approved comments of the page's spans through
// thread_comments and the viewer's held ones through held_by: it decodes
// no comment it does not return.
func (db *DB) Threads(ctx context.Context, q comments.ThreadQuery) (comments.ThreadSlice, error) {
	var out comments.ThreadSlice
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		var err error
		if out.Threads, out.Comments, err = postCounts(b, q.Post); err != nil {
			return err
		}
		var shown []comments.Span
		out.Pages, err = layout(b, q.Post, func(sp comments.Span) {
			if sp.Page == q.Page {
				shown = append(shown, sp)
			}
		})
		if err != nil {
			return err
		}
		bounds := make(map[uint64][]spanBounds, len(shown))
		for _, sp := range shown {
			cs, sb, err := spanComments(b, q.Post, sp)
			if err != nil {
				return err
			}
			out.Approved = append(out.Approved, cs...)
			bounds[sp.Thread] = append(bounds[sp.Thread], sb)
		}
		out.Elsewhere = parentsElsewhere(b, q.Post, out.Approved)
		out.Held, err = heldShown(b, q, bounds)
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

// layout lays a post's threads out on pages with a comments.Pager, from the
// counters in threads, calling fn with every span, and returns the number
// of pages. It reads no comment.
func layout(b buckets, post string, fn func(comments.Span)) (int, error) {
	var p comments.Pager
	var spans []comments.Span
	prefix := postPrefix(post)
	cur := b.bucket(bucketThreads).Cursor()
	for k, v := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = cur.Next() {
		t, err := splitThreadKey(k, post)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", bucketThreads, err)
		}
		n, err := readCount(v)
		if err != nil {
			return 0, fmt.Errorf("%s of thread %d: %w", bucketThreads, t, err)
		}
		spans = p.Add(spans[:0], t, int(n))
		for _, sp := range spans {
			fn(sp)
		}
	}
	return p.Pages(), nil
}

// spanBounds are the IDs a span's held comments lie between (see
// Store.PageOf): after first, unless the span starts its thread, and
// before next, unless it ends it (0).
type spanBounds struct {
	starts      bool
	first, next uint64
}

func (sb spanBounds) holds(id uint64) bool {
	return (sb.starts || id > sb.first) && (sb.next == 0 || id < sb.next)
}

// spanComments reads the approved comments of one span, stepping over the
// keys of the thread before it without reading those comments.
func spanComments(b buckets, post string, sp comments.Span) ([]comments.Comment, spanBounds, error) {
	out := make([]comments.Comment, 0, sp.Take)
	sb := spanBounds{starts: sp.Skip == 0}
	prefix := threadKey(post, sp.Thread)
	cur := b.bucket(bucketThreadComments).Cursor()
	i := 0
	for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
		if i < sp.Skip {
			i++
			continue
		}
		id, err := keyID(k[len(prefix):])
		if err != nil {
			return nil, sb, fmt.Errorf("%s: %w", bucketThreadComments, err)
		}
		if len(out) == sp.Take {
			sb.next = id
			break
		}
		c, err := getComment(b, id)
		if err != nil {
			return nil, sb, fmt.Errorf("%s entry of post %q: %w", bucketThreadComments, post, err)
		}
		if len(out) == 0 {
			sb.first = id
		}
		out = append(out, c)
	}
	return out, sb, nil
}

// parentsElsewhere returns the IDs of the comments in cs whose parent is
// approved but not in cs, looking the parent up in thread_comments (a
// reply is in its parent's thread) without reading it.
func parentsElsewhere(b buckets, post string, cs []comments.Comment) []uint64 {
	in := make(map[uint64]bool, len(cs))
	for _, c := range cs {
		in[c.ID] = true
	}
	var out []uint64
	// A cursor, as the entries have empty values, which Get cannot tell
	// from no entry.
	cur := b.bucket(bucketThreadComments).Cursor()
	for _, c := range cs {
		if c.Parent == 0 || in[c.Parent] {
			continue
		}
		key := threadCommentKey(post, c.Thread, c.Parent)
		if k, _ := cur.Seek(key); bytes.Equal(k, key) {
			out = append(out, c.ID)
		}
	}
	return out
}

// heldShown reads the viewer's newest held comments on the post, keeping
// those that go with one of the spans shown (bounds, by thread) or are in
// a thread that is not one of the post's threads.
func heldShown(b buckets, q comments.ThreadQuery, bounds map[uint64][]spanBounds) ([]comments.Comment, error) {
	if q.Viewer == "" {
		return nil, nil
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
		shown := threads.Get(threadKey(c.Post, c.Thread)) == nil
		for _, sb := range bounds[c.Thread] {
			shown = shown || sb.holds(c.ID)
		}
		if shown {
			out = append(out, c)
		}
	}
	return out, nil
}

// PageOf finds the page that shows c (see comments.Store) from the
// counters in threads and the keys of c's thread in thread_comments,
// reading no comment.
func (db *DB) PageOf(ctx context.Context, c comments.Comment) (int, error) {
	var page int
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		var spans []comments.Span
		pages, err := layout(b, c.Post, func(sp comments.Span) {
			if sp.Thread == c.Thread {
				spans = append(spans, sp)
			}
		})
		if err != nil {
			return err
		}
		if len(spans) == 0 {
			page = pages
			return nil
		}
		// i is the number of the thread's approved comments before c.
		i, found := 0, false
		prefix := threadKey(c.Post, c.Thread)
		cur := b.bucket(bucketThreadComments).Cursor()
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			id, err := keyID(k[len(prefix):])
			if err != nil {
				return fmt.Errorf("%s: %w", bucketThreadComments, err)
			}
			if id >= c.ID {
				found = id == c.ID
				break
			}
			i++
		}
		if !found {
			i = max(i-1, 0)
		}
		page = comments.SpanOf(spans, i).Page
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("placing comment %d of %s: %w", c.ID, c.Post, err)
	}
	return page, nil
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
