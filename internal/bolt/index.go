package bolt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
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
		es = append(es, entry{bucket: bucketCounts, key: []byte(c.Post), count: true})
		if strings.TrimSpace(c.Email) != "" {
			es = append(es, entry{bucket: bucketKnown, key: knownEmailKey(c.Email), count: true})
		}
		if c.CommenterID != "" {
			es = append(es, entry{bucket: bucketKnown, key: knownIDKey(c.CommenterID), count: true})
		}
	case comments.StatusPending:
		es = append(es, entry{bucket: bucketHeld, key: timeIDKey(c.Created, c.ID)})
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
			if err := addCounter(bk, e.key, 1); err != nil {
				return fmt.Errorf("%s: %w", e.bucket, err)
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
			if err := addCounter(bk, e.key, -1); err != nil {
				return fmt.Errorf("%s: %w", e.bucket, err)
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

// putComment writes a new comment and its index entries. It is the one place
// a comment is added, so Add, Submit, Seed and Import cannot keep the indexes
// differently.
func putComment(b buckets, c *comments.Comment) error {
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
// so that a bucket of counters lists only what has some.
func addCounter(bk *bbolt.Bucket, key []byte, delta int) error {
	n, err := readCount(bk.Get(key))
	if err != nil {
		return fmt.Errorf("count of %q: %w", key, err)
	}
	switch {
	case delta < 0 && n < uint64(-delta):
		return fmt.Errorf("count of %q would go below zero", key)
	case int64(n)+int64(delta) == 0:
		return bk.Delete(key)
	}
	return bk.Put(key, countValue(uint64(int64(n)+int64(delta))))
}

// reindex empties every index and builds it again from the comments: the
// upgrade from schema version 1.
func reindex(tx *bbolt.Tx) error {
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
