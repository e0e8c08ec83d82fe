package bolt

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// ErrInconsistent is matched by Check's error when the indexes disagree with
// the comments.
var ErrInconsistent = errors.New("database indexes disagree with its comments")

// maxReported bounds the problems Check spells out; the count is always given.
const maxReported = 20

// Check rebuilds every index from the comments bucket, in memory, and
// compares it with the stored one; it also checks each comment's key, post,
// parent and depth, the ID sequence and the schema version. It reads a
// consistent snapshot and changes nothing. Tests run it after every kind of
// write; an operator can run it on a live database.
func (db *DB) Check(ctx context.Context) error {
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		if v := string(b.meta.Get(keySchemaVersion)); v != strconv.Itoa(SchemaVersion) {
			report("meta: schema_version is %q, want %q", v, strconv.Itoa(SchemaVersion))
		}

		all := map[uint64]comments.Comment{}
		wantIndex := map[string]bool{}
		wantCounts := map[string]uint64{}
		seq := b.comments.Sequence()
		err := b.comments.ForEach(func(k, v []byte) error {
			id, err := keyID(k)
			if err != nil {
				report("comments: %v", err)
				return nil
			}
			c, err := getComment(b, id)
			if err != nil {
				report("comments: %v", err)
				return nil
			}
			if c.ID != id {
				report("comments: key %d holds comment %d", id, c.ID)
			}
			if id > seq {
				report("comments: id %d is above the sequence %d, so Add could reuse it", id, seq)
			}
			if err := checkPost(c.Post); err != nil {
				report("comments: comment %d: %v", id, err)
				return nil
			}
			all[id] = c
			wantIndex[string(indexKey(c.Post, id))] = true
			if c.Status == comments.StatusApproved {
				wantCounts[c.Post]++
			}
			return nil
		})
		if err != nil {
			return err
		}

		for id, c := range all {
			if c.Parent == 0 {
				if c.Depth != 0 {
					report("comments: top-level comment %d has depth %d", id, c.Depth)
				}
				continue
			}
			p, ok := all[c.Parent]
			if !ok {
				continue // the parent was deleted; Thread lifts the reply up
			}
			if p.Post != c.Post {
				report("comments: comment %d on %q replies to %d on %q", id, c.Post, p.ID, p.Post)
			}
			if c.Depth != p.Depth+1 {
				report("comments: comment %d has depth %d, its parent %d has depth %d", id, c.Depth, p.ID, p.Depth)
			}
		}

		err = b.index.ForEach(func(k, _ []byte) error {
			post, id, err := splitIndexKey(k)
			switch {
			case err != nil:
				report("post_comments: %v", err)
			case !wantIndex[string(k)]:
				if c, ok := all[id]; ok {
					report("post_comments: entry for comment %d under post %q, but it is on %q", id, post, c.Post)
				} else {
					report("post_comments: entry for comment %d under post %q, which does not exist", id, post)
				}
			default:
				delete(wantIndex, string(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for k := range wantIndex {
			post, id, _ := splitIndexKey([]byte(k))
			report("post_comments: no entry for comment %d on post %q", id, post)
		}

		err = b.counts.ForEach(func(k, v []byte) error {
			n, err := readCount(v)
			if err != nil {
				report("post_counts: post %q: %v", k, err)
			} else if want := wantCounts[string(k)]; n != want {
				report("post_counts: post %q has count %d, but %d approved comments", k, n, want)
			}
			delete(wantCounts, string(k))
			return nil
		})
		if err != nil {
			return err
		}
		for post, n := range wantCounts {
			report("post_counts: no count for post %q, which has %d approved comments", post, n)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("checking database: %w", err)
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems) // map order would make the report differ run to run
	total := len(problems)
	if total > maxReported {
		problems = append(problems[:maxReported], fmt.Sprintf("and %d more", total-maxReported))
	}
	return fmt.Errorf("checking database: %w: %d problem(s):\n\t%s", ErrInconsistent, total, strings.Join(problems, "\n\t"))
}
