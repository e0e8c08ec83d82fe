package bolt

import (
	"bytes"
	"context"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// Direct access for tests and tools. Add, ByPost and Delete are not part of
// comments.Store and nothing that serves the site calls them: they go
// round the Service's rules (no policy, no duplicate or ban check, no
// moderation log entry) and ByPost reads every comment of a post, which a
// page must never do. Tests in this and other packages use them to set up
// a database and to look at what was stored; a tool may, with the server
// stopped. Site code goes through comments.Service.

// Add stores c under the next ID and sets c.ID, and c.Depth and Thread
// from its parent. A reply's parent must be on the same post (else
// comments.ErrParent); the check and the write are one transaction, so a
// parent deleted at the same moment cannot slip through. c is only changed
// once the write is committed. No policy applies: c is stored with the
// status it has.
func (db *DB) Add(ctx context.Context, c *comments.Comment) error {
	return db.insert(ctx, c, time.Time{}, nil, db.update)
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
