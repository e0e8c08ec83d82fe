package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// factsFor gathers what decide needs to know about a new comment, inside
// the transaction that will store it.
func factsFor(b buckets, c *comments.Comment) (comments.Facts, error) {
	var f comments.Facts
	// Bans are few; reading them all lets an IP ban be a network.
	err := b.bans.ForEach(func(k, v []byte) error {
		var ban comments.Ban
		if err := json.Unmarshal(v, &ban); err != nil {
			return fmt.Errorf("decoding ban %q: %w", k, err)
		}
		if ban.Matches(c) {
			f.Bans = append(f.Bans, ban)
		}
		return nil
	})
	if err != nil {
		return f, err
	}
	if v := b.closures.Get([]byte(c.Post)); v != nil {
		var cl comments.Closure
		if err := json.Unmarshal(v, &cl); err != nil {
			return f, fmt.Errorf("decoding the closure of %q: %w", c.Post, err)
		}
		f.Closure = &cl
	}
	if c.IP != "" {
		prefix := dupPrefix(c.IP, c.Body)
		cur := b.dups.Cursor()
		// Keys with one prefix are in time order: the last is the newest.
		for k, _ := cur.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = cur.Next() {
			if len(k) == dupPrefixLen+timeKeyLen+8 {
				f.LastSame = keyTime(k[dupPrefixLen:])
			}
		}
	}
	f.Known = (strings.TrimSpace(c.Email) != "" && b.known.Get(knownEmailKey(c.Email)) != nil) ||
		(c.CommenterID != "" && b.known.Get(knownIDKey(c.CommenterID)) != nil)
	return f, nil
}

// forgetDuplicates drops the duplicates index entries of comments created
// before t, walking the recent index from meta's duplicates_from to t, and
// moves duplicates_from to t. It costs one step per comment made in that
// span, so running it on every new comment is cheap.
func forgetDuplicates(b buckets, t time.Time) error {
	from := b.meta.Get(keyDupsFrom)
	cut := timeKey(t)
	if from != nil && bytes.Compare(cut, from) <= 0 {
		return nil
	}
	cur := b.recent.Cursor()
	var k []byte
	if from == nil {
		k, _ = cur.First()
	} else {
		k, _ = cur.Seek(from)
	}
	for ; k != nil && bytes.Compare(k[:min(len(k), timeKeyLen)], cut) < 0; k, _ = cur.Next() {
		_, id, err := splitTimeIDKey(k)
		if err != nil {
			return fmt.Errorf("recent: %w", err)
		}
		c, err := getComment(b, id)
		if err != nil {
			return fmt.Errorf("recent index entry: %w", err)
		}
		if c.IP != "" {
			if err := b.dups.Delete(dupKey(&c)); err != nil {
				return err
			}
		}
	}
	if err := b.meta.Put(keyDupsFrom, cut); err != nil {
		return fmt.Errorf("recording duplicates_from: %w", err)
	}
	return nil
}

// Modify changes or deletes one comment through fn, in one transaction with
// its indexes and the audit entry fn asks for; see comments.Store. An error
// from fn is returned as it is.
func (db *DB) Modify(ctx context.Context, id uint64, fn func(*comments.Comment, int) (comments.Change, error)) (comments.Comment, error) {
	var out comments.Comment
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		old, err := getComment(b, id)
		if err != nil {
			return err
		}
		replies, err := approvedReplies(b, old.ID)
		if err != nil {
			return err
		}
		c := old
		ch, err := fn(&c, replies)
		if err != nil {
			return callbackError{err}
		}
		if c.ID != old.ID || c.Post != old.Post || c.Parent != old.Parent || c.Depth != old.Depth || c.Thread != old.Thread ||
			!c.Created.Equal(old.Created) {
			return errors.New("the change would alter the comment's ID, post, parent, depth, thread or creation time")
		}
		if err := checkSource(c.Source); err != nil {
			return err
		}
		if ch.Delete {
			err = deleteComment(b, &old)
			out = old
		} else {
			err = replaceComment(b, &old, &c)
			out = c
		}
		if err != nil {
			return err
		}
		if ch.Log != nil {
			return appendAction(b, ch.Log)
		}
		return nil
	})
	if cb, ok := err.(callbackError); ok {
		return comments.Comment{}, cb.err
	}
	if err != nil {
		return comments.Comment{}, fmt.Errorf("changing comment %d: %w", id, err)
	}
	return out, nil
}

// approvedReplies is the number of comment id's approved direct replies,
// read from its counter.
func approvedReplies(b buckets, id uint64) (int, error) {
	n, err := readCount(b.bucket(bucketReplies).Get(idKey(id)))
	if err != nil {
		return 0, fmt.Errorf("%s of comment %d: %w", bucketReplies, id, err)
	}
	return int(n), nil
}

// appendAction adds an entry to the audit log under the next sequence
// number, which becomes its ID.
func appendAction(b buckets, a *comments.Action) error {
	id, err := b.actions.NextSequence()
	if err != nil {
		return fmt.Errorf("allocating an audit log ID: %w", err)
	}
	a.ID = id
	data, err := json.Marshal(a)
	if err != nil {
		return fmt.Errorf("encoding audit log entry: %w", err)
	}
	if err := b.actions.Put(idKey(id), data); err != nil {
		return fmt.Errorf("writing audit log entry: %w", err)
	}
	return indexAction(b, a)
}

// PutBan stores a ban, replacing one on the same kind and value, and logs a
// in the same transaction. The value must be as comments.NormalizeBan
// leaves it.
func (db *DB) PutBan(ctx context.Context, ban comments.Ban, a comments.Action) error {
	if v, err := comments.NormalizeBan(ban.Kind, ban.Value); err != nil {
		return fmt.Errorf("storing ban: %w", err)
	} else if v != ban.Value {
		return fmt.Errorf("storing ban: value %q is not normalised (want %q)", ban.Value, v)
	}
	data, err := json.Marshal(ban)
	if err != nil {
		return fmt.Errorf("encoding ban: %w", err)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		if err := b.bans.Put(banKey(ban.Kind, ban.Value), data); err != nil {
			return err
		}
		return appendAction(b, &a)
	})
	if err != nil {
		return fmt.Errorf("storing ban on %s %s: %w", ban.Kind, ban.Value, err)
	}
	return nil
}

// RemoveBan lifts a ban and logs a in the same transaction; it returns
// comments.ErrNotBanned when there is no such ban.
func (db *DB) RemoveBan(ctx context.Context, kind comments.BanKind, value string, a comments.Action) error {
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		key := banKey(kind, value)
		if b.bans.Get(key) == nil {
			return comments.ErrNotBanned
		}
		if err := b.bans.Delete(key); err != nil {
			return err
		}
		return appendAction(b, &a)
	})
	if err != nil {
		return fmt.Errorf("removing ban on %s %s: %w", kind, value, err)
	}
	return nil
}

// Bans returns every ban, expired ones too, newest first.
func (db *DB) Bans(ctx context.Context) ([]comments.Ban, error) {
	var out []comments.Ban
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = readBans(bucketsOf(tx))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reading bans: %w", err)
	}
	slices.SortStableFunc(out, func(a, b comments.Ban) int { return b.Created.Compare(a.Created) })
	return out, nil
}

// readBans returns the bans in key order.
func readBans(b buckets) ([]comments.Ban, error) {
	var out []comments.Ban
	err := b.bans.ForEach(func(k, v []byte) error {
		var ban comments.Ban
		if err := json.Unmarshal(v, &ban); err != nil {
			return fmt.Errorf("decoding ban %q: %w", k, err)
		}
		out = append(out, ban)
		return nil
	})
	return out, err
}

// SetClosure records a moderator's close or reopen of a post, and logs a in
// the same transaction.
func (db *DB) SetClosure(ctx context.Context, cl comments.Closure, a comments.Action) error {
	if err := checkPost(cl.Post); err != nil {
		return fmt.Errorf("closing or reopening: %w", err)
	}
	data, err := json.Marshal(cl)
	if err != nil {
		return fmt.Errorf("encoding closure: %w", err)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		if err := b.closures.Put([]byte(cl.Post), data); err != nil {
			return err
		}
		return appendAction(b, &a)
	})
	if err != nil {
		return fmt.Errorf("recording whether %s is closed: %w", cl.Post, err)
	}
	return nil
}

// Closure returns a moderator's close or reopen of a post, and false when
// there has been none.
func (db *DB) Closure(ctx context.Context, post string) (comments.Closure, bool, error) {
	var cl comments.Closure
	found := false
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		v := bucketsOf(tx).closures.Get([]byte(post))
		if v == nil {
			return nil
		}
		found = true
		return json.Unmarshal(v, &cl)
	})
	if err != nil {
		return comments.Closure{}, false, fmt.Errorf("reading whether %s is closed: %w", post, err)
	}
	return cl, found, nil
}

// newestFirst walks an index of time+ID keys (held, recent) from its end,
// skipping offset comments that keep accepts and returning up to limit of
// the rest.
func newestFirst(b buckets, idx *bbolt.Bucket, offset, limit int, keep func(comments.Comment) bool) ([]comments.Comment, error) {
	var out []comments.Comment
	cur := idx.Cursor()
	for k, _ := cur.Last(); k != nil && len(out) < limit; k, _ = cur.Prev() {
		_, id, err := splitTimeIDKey(k)
		if err != nil {
			return nil, err
		}
		if keep == nil && offset > 0 {
			offset-- // no need to read a comment that is skipped anyway
			continue
		}
		c, err := getComment(b, id)
		if err != nil {
			return nil, fmt.Errorf("index entry: %w", err)
		}
		if keep != nil && !keep(c) {
			continue
		}
		if offset > 0 {
			offset--
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// Held returns held comments across all posts, newest first, and how many
// there are.
func (db *DB) Held(ctx context.Context, offset, limit int) ([]comments.Comment, int, error) {
	return db.listing(ctx, bucketHeld, offset, limit)
}

// Recent returns comments of every status across all posts, newest first,
// and how many there are.
func (db *DB) Recent(ctx context.Context, offset, limit int) ([]comments.Comment, int, error) {
	return db.listing(ctx, bucketRecent, offset, limit)
}

func (db *DB) listing(ctx context.Context, name []byte, offset, limit int) ([]comments.Comment, int, error) {
	var out []comments.Comment
	total := 0
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		idx := b.bucket(name)
		total = idx.Stats().KeyN
		var err error
		out, err = newestFirst(b, idx, max(offset, 0), limit, nil)
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("listing %s comments: %w", name, err)
	}
	return out, total, nil
}

// RecentApproved returns the newest approved comments across all posts.
func (db *DB) RecentApproved(ctx context.Context, limit int) ([]comments.Comment, error) {
	var out []comments.Comment
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		var err error
		// Through the approved index: a flood of spam costs nothing here.
		out, err = newestFirst(b, b.bucket(bucketApproved), 0, limit, nil)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("listing recent approved comments: %w", err)
	}
	return out, nil
}
