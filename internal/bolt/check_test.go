package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// TestCheckFindsEveryKindOfDisagreement corrupts a healthy database one way
// at a time, behind the store's back, and expects Check to say what is wrong.
// The first case is the bug this package's single-transaction rule exists to
// prevent: a comment deleted without its index entry.
func TestCheckFindsEveryKindOfDisagreement(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(b buckets) error
		want    string
	}{
		{"comment deleted, index entry left stale", func(b buckets) error {
			return b.comments.Delete(idKey(1))
		}, "entry for comment 1 under post \"p\", which does not exist"},
		{"index entry missing", func(b buckets) error {
			return b.index.Delete(indexKey("p", 2))
		}, "no entry for comment 2 on post \"p\""},
		{"index entry under the wrong post", func(b buckets) error {
			if err := b.index.Delete(indexKey("p", 2)); err != nil {
				return err
			}
			return b.index.Put(indexKey("q", 2), nil)
		}, "entry for comment 2 under post \"q\", but it is on \"p\""},
		{"malformed index key", func(b buckets) error {
			return b.index.Put([]byte("p"), nil)
		}, "post_comments: index key"},
		{"count too high", func(b buckets) error {
			return b.counts.Put([]byte("p"), countValue(5))
		}, "post \"p\" has count 5, but 3 approved comments"},
		{"count missing", func(b buckets) error {
			return b.counts.Delete([]byte("p"))
		}, "no count for post \"p\", which has 3 approved comments"},
		{"count for a post without comments", func(b buckets) error {
			return b.counts.Put([]byte("ghost"), countValue(1))
		}, "post \"ghost\" has count 1, but 0"},
		{"count unreadable", func(b buckets) error {
			return b.counts.Put([]byte("p"), []byte("3"))
		}, "not 8 bytes"},
		{"ID above the sequence", func(b buckets) error {
			return b.comments.SetSequence(2)
		}, "id 3 is above the sequence 2"},
		{"key and ID disagree", func(b buckets) error {
			return rewrite(b, 2, func(c *comments.Comment) { c.ID = 9 })
		}, "key 2 holds comment 9"},
		{"undecodable comment", func(b buckets) error {
			return b.comments.Put(idKey(2), []byte("{"))
		}, "decoding comment 2"},
		{"wrong depth", func(b buckets) error {
			return rewrite(b, 3, func(c *comments.Comment) { c.Depth = 4 })
		}, "comment 3 has depth 4, its parent 1 has depth 0"},
		{"top-level comment with depth", func(b buckets) error {
			return rewrite(b, 2, func(c *comments.Comment) { c.Depth = 1 })
		}, "top-level comment 2 has depth 1"},
		{"reply to a comment on another post", func(b buckets) error {
			return rewrite(b, 4, func(c *comments.Comment) { c.Parent = 1 })
		}, "comment 4 on \"q\" replies to 1 on \"p\""},
		{"schema version", func(b buckets) error {
			return b.meta.Put(keySchemaVersion, []byte("0"))
		}, "schema_version is \"0\""},
		{"reply in another thread than its parent", func(b buckets) error {
			return rewrite(b, 3, func(c *comments.Comment) { c.Thread = 2 })
		}, "comment 3 has thread 2, its parent 1 is in thread 1"},
		{"top-level comment in another thread", func(b buckets) error {
			return rewrite(b, 2, func(c *comments.Comment) { c.Thread = 1 })
		}, "top-level comment 2 has thread 1"},
		{"thread count wrong", func(b buckets) error {
			return b.bucket(bucketThreads).Put(threadKey("p", 1), countValue(7))
		}, "threads: entry \"p\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x01\" is count 7, want count 2"},
		{"thread counter missing", func(b buckets) error {
			return b.bucket(bucketThreads).Delete(threadKey("p", 2))
		}, "threads: no entry"},
		{"number of threads wrong", func(b buckets) error {
			return b.bucket(bucketPostThreads).Put([]byte("p"), countValue(3))
		}, "post_threads: post \"p\" has count 3, but 2 threads"},
		{"number of threads missing", func(b buckets) error {
			return b.bucket(bucketPostThreads).Delete([]byte("q"))
		}, "post_threads: no count for post \"q\", which has 1 threads"},
		{"page entry of a comment gone", func(b buckets) error {
			return b.bucket(bucketThreadComments).Put(threadCommentKey("p", 1, 99), nil)
		}, "thread_comments: stale entry"},
		{"page entry missing", func(b buckets) error {
			return b.bucket(bucketThreadComments).Delete(threadCommentKey("p", 1, 3))
		}, "thread_comments: no entry"},
		{"held-by entry missing", func(b buckets) error {
			return b.bucket(bucketHeldBy).Delete(heldByKey("cid-5", "p", 5))
		}, "held_by: no entry"},
		{"reply count wrong", func(b buckets) error {
			return b.bucket(bucketReplies).Put(idKey(1), countValue(2))
		}, "reply_counts: entry for replies to comment 1 is count 2, want count 1"},
		{"site feed entry missing", func(b buckets) error {
			return b.bucket(bucketApproved).Delete(timeIDKey(t0, 4))
		}, "approved: no entry for comment 4"},
		{"feed entry missing", func(b buckets) error {
			return b.bucket(bucketPostApproved).Delete(postTimeKey("q", t0, 4))
		}, "post_approved: no entry"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkCatches(t, fillForCheck, tc.corrupt, tc.want)
		})
	}
}

func TestCheckLimitsItsReport(t *testing.T) {
	db := openUnchecked(t)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		for i := range uint64(30) {
			if err := b.index.Put(indexKey("p", i+1), nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	err := db.Check(context.Background())
	if err == nil || !strings.Contains(err.Error(), "30 problem(s)") || !strings.Contains(err.Error(), "and 10 more") {
		t.Errorf("Check = %v", err)
	}
}

// fillForCheck stores: 1 and 2, approved top-level on p; 3, an approved
// reply to 1; 4, an approved comment on q; 5, a pending one on p.
func fillForCheck(t *testing.T, db *DB) {
	t.Helper()
	add(t, db, newComment("p", 0))
	add(t, db, newComment("p", 1))
	reply := newComment("p", 2)
	reply.Parent = 1
	add(t, db, reply)
	add(t, db, newComment("q", 0))
	pending := newComment("p", 3)
	pending.Status = comments.StatusPending
	pending.CommenterID = "cid-5"
	add(t, db, pending)
}

func rewrite(b buckets, id uint64, edit func(*comments.Comment)) error {
	c, err := getComment(b, id)
	if err != nil {
		return err
	}
	edit(&c)
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return b.comments.Put(idKey(id), data)
}

// openUnchecked is openTest without the final Check, for databases a test
// corrupts on purpose.
func openUnchecked(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "milepost.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// checkCatches fills a database, checks it is consistent, corrupts it and
// checks that Check reports the corruption with want in its message.
func checkCatches(t *testing.T, fill func(*testing.T, *DB), corrupt func(buckets) error, want string) {
	t.Helper()
	db := openUnchecked(t)
	fill(t, db)
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("Check before corrupting: %v", err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return corrupt(bucketsOf(tx)) }); err != nil {
		t.Fatal(err)
	}
	err := db.Check(context.Background())
	if !errors.Is(err, ErrInconsistent) {
		t.Fatalf("Check = %v, want ErrInconsistent", err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("Check error does not mention %q:\n%v", want, err)
	}
}
