package bolt

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// The buckets a page of a post's comments is read through (schema version
// 3); see the layout in db.go.
var (
	bucketThreads        = []byte("threads")
	bucketPostThreads    = []byte("post_threads")
	bucketThreadComments = []byte("thread_comments")
	bucketHeldBy         = []byte("held_by")
	bucketReplies        = []byte("reply_counts")
	bucketPostApproved   = []byte("post_approved")
	bucketApproved       = []byte("approved")
)

// entry is one index entry a comment contributes: a key with a value, or,
// when count is set, one towards the 8-byte counter under the key.
type entry struct {
	bucket []byte
	key    []byte
	value  []byte
	count  bool
}

// entriesOf lists every index entry of c. It is the single definition of
// the indexes: writes add and remove exactly these, and Check rebuilds them
// with it, so the two cannot drift apart. dupsFrom is meta's
// duplicates_from (nil when never set).
func entriesOf(c *comments.Comment, dupsFrom []byte) []entry {
	es := []entry{
		{bucket: bucketIndex, key: indexKey(c.Post, c.ID)},
		{bucket: bucketRecent, key: timeIDKey(c.Created, c.ID)},
	}
	switch c.Status {
	case comments.StatusApproved:
		es = append(es,
			entry{bucket: bucketCounts, key: []byte(c.Post), count: true},
			entry{bucket: bucketThreads, key: threadKey(c.Post, c.Thread), count: true},
			entry{bucket: bucketThreadComments, key: threadCommentKey(c.Post, c.Thread, c.ID)},
			entry{bucket: bucketPostApproved, key: postTimeKey(c.Post, c.Created, c.ID)},
			entry{bucket: bucketApproved, key: timeIDKey(c.Created, c.ID)})
		if c.Parent != 0 {
			es = append(es, entry{bucket: bucketReplies, key: idKey(c.Parent), count: true})
		}
		if strings.TrimSpace(c.Email) != "" {
			es = append(es, entry{bucket: bucketKnown, key: knownEmailKey(c.Email), count: true})
		}
		if c.CommenterID != "" {
			es = append(es, entry{bucket: bucketKnown, key: knownIDKey(c.CommenterID), count: true})
		}
	case comments.StatusPending:
		es = append(es, entry{bucket: bucketHeld, key: timeIDKey(c.Created, c.ID)})
		// A commenter id is printable ASCII (the Service checks it), so
		// 0x00 can separate it from the post; one that is not is skipped
		// rather than misfiled.
		if c.CommenterID != "" && strings.IndexByte(c.CommenterID, 0) < 0 {
			es = append(es, entry{bucket: bucketHeldBy, key: heldByKey(c.CommenterID, c.Post, c.ID)})
		}
	}
	if c.IP != "" && bytes.Compare(timeKey(c.Created), dupsFrom) >= 0 {
		es = append(es, entry{bucket: bucketDups, key: dupKey(c)})
	}
	if c.Source != "" {
		es = append(es, entry{bucket: bucketSources, key: []byte(c.Source), value: idKey(c.ID)})
	}
	return es
}

// index adds c's index entries.
func index(b buckets, c *comments.Comment) error {
	for _, e := range entriesOf(c, b.meta.Get(keyDupsFrom)) {
		bk := b.bucket(e.bucket)
		if e.count {
			n, err := addCounter(bk, e.key, 1)
			if err != nil {
				return fmt.Errorf("%s: %w", e.bucket, err)
			}
			if n == 1 && bytes.Equal(e.bucket, bucketThreads) {
				// A thread's first approved comment: one more thread.
				if _, err := addCounter(b.bucket(bucketPostThreads), []byte(c.Post), 1); err != nil {
					return fmt.Errorf("%s: %w", bucketPostThreads, err)
				}
			}
			continue
		}
		if old := bk.Get(e.key); old != nil && !bytes.Equal(old, e.value) && bytes.Equal(e.bucket, bucketSources) {
			id, _ := keyID(old)
			return fmt.Errorf("comment %d: %w: %q is comment %d's", c.ID, comments.ErrSourceTaken, c.Source, id)
		}
		if err := bk.Put(e.key, e.value); err != nil {
			return fmt.Errorf("indexing comment %d in %s: %w", c.ID, e.bucket, err)
		}
	}
	return nil
}

// unindex removes c's index entries.
func unindex(b buckets, c *comments.Comment) error {
	for _, e := range entriesOf(c, b.meta.Get(keyDupsFrom)) {
		bk := b.bucket(e.bucket)
		if e.count {
			n, err := addCounter(bk, e.key, -1)
			if err != nil {
				return fmt.Errorf("%s: %w", e.bucket, err)
			}
			if n == 0 && bytes.Equal(e.bucket, bucketThreads) {
				// The thread's last approved comment: one thread fewer.
				if _, err := addCounter(b.bucket(bucketPostThreads), []byte(c.Post), -1); err != nil {
					return fmt.Errorf("%s: %w", bucketPostThreads, err)
				}
			}
			continue
		}
		if err := bk.Delete(e.key); err != nil {
			return fmt.Errorf("unindexing comment %d in %s: %w", c.ID, e.bucket, err)
		}
	}
	return nil
}

// writeComment writes the record alone.
func writeComment(b buckets, c *comments.Comment) error {
	data, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding comment %d: %w", c.ID, err)
	}
	if err := b.comments.Put(idKey(c.ID), data); err != nil {
		return fmt.Errorf("writing comment %d: %w", c.ID, err)
	}
	return nil
}

// putComment writes a new comment and its index entries, and sets its
// Thread from its parent (comments.ThreadOf): a batch must put parents
// first. It is the one place a comment is added, so Add, Submit, Seed and
// Import cannot keep the indexes differently.
func putComment(b buckets, c *comments.Comment) error {
	var parent *comments.Comment
	if c.Parent != 0 {
		p, err := getComment(b, c.Parent)
		switch {
		case err == nil:
			parent = &p
		case !errors.Is(err, comments.ErrNotFound):
			return err
		}
	}
	c.Thread = comments.ThreadOf(c.ID, parent)
	if err := writeComment(b, c); err != nil {
		return err
	}
	return index(b, c)
}

// replaceComment stores new in place of old (the same ID), moving every
// index entry that changed.
func replaceComment(b buckets, old, new *comments.Comment) error {
	if err := unindex(b, old); err != nil {
		return err
	}
	if err := writeComment(b, new); err != nil {
		return err
	}
	return index(b, new)
}

// deleteComment removes a comment and its index entries.
func deleteComment(b buckets, c *comments.Comment) error {
	if err := b.comments.Delete(idKey(c.ID)); err != nil {
		return fmt.Errorf("deleting comment %d: %w", c.ID, err)
	}
	return unindex(b, c)
}

// addCounter changes an 8-byte counter by delta, removing the key at zero
// so that a bucket of counters lists only what has some, and returns the
// new count.
func addCounter(bk *bbolt.Bucket, key []byte, delta int) (uint64, error) {
	n, err := readCount(bk.Get(key))
	if err != nil {
		return 0, fmt.Errorf("count of %q: %w", key, err)
	}
	switch {
	case delta < 0 && n < uint64(-delta):
		return 0, fmt.Errorf("count of %q would go below zero", key)
	case int64(n)+int64(delta) == 0:
		return 0, bk.Delete(key)
	}
	n = uint64(int64(n) + int64(delta))
	return n, bk.Put(key, countValue(n))
}

// reindex gives every comment its Thread, then empties every index and
// builds it again from the comments: the upgrade from schema versions 1
// to 3.
func reindex(tx *bbolt.Tx) error {
	if err := fillThreads(bucketsOf(tx)); err != nil {
		return err
	}
	for _, name := range derivedBuckets {
		if err := tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("emptying %s: %w", name, err)
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("creating %s: %w", name, err)
		}
	}
	b := bucketsOf(tx)
	return b.comments.ForEach(func(k, _ []byte) error {
		id, err := keyID(k)
		if err != nil {
			return err
		}
		c, err := getComment(b, id)
		if err != nil {
			return err
		}
		if err := checkPost(c.Post); err != nil {
			return fmt.Errorf("comment %d: %w", id, err)
		}
		return index(b, &c)
	})
}

// fillThreads sets the Thread of every comment from its parents, as
// putComment would have: the top-level ancestor's ID, or that of the
// topmost ancestor still stored. A loop of parents (a damaged record) ends
// the walk where it closes.
func fillThreads(b buckets) error {
	parents := map[uint64]uint64{}
	err := b.comments.ForEach(func(k, _ []byte) error {
		id, err := keyID(k)
		if err != nil {
			return err
		}
		c, err := getComment(b, id)
		if err != nil {
			return err
		}
		parents[id] = c.Parent
		return nil
	})
	if err != nil {
		return err
	}
	for id := range parents {
		thread := id
		for steps := 0; steps <= len(parents); steps++ {
			p, ok := parents[thread]
			if !ok || p == 0 {
				break
			}
			if _, stored := parents[p]; !stored {
				break
			}
			thread = p
		}
		c, err := getComment(b, id)
		if err != nil {
			return err
		}
		if c.Thread != thread {
			c.Thread = thread
			if err := writeComment(b, &c); err != nil {
				return err
			}
		}
	}
	return nil
}
