package bolt

import (
	"context"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// Seed adds a site's sample comments the first time it is called on a
// database, keeping their IDs, and records that it ran; later calls do
// nothing and report false, so a seed comment a moderator deleted stays
// deleted. All of it is one transaction: a bad seed leaves nothing behind.
//
// The seeds must make a valid batch (comments.ValidateBatch), except that a
// parent may also be a stored comment, and an ID of 0 is given a fresh
// one; an ID already in use is an error. Depth is recomputed from the
// parents. The sequence is moved past the largest ID so that the next Add
// cannot collide with a seed.
func (db *DB) Seed(ctx context.Context, cs []comments.Comment) (bool, error) {
	seeded := false
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		if b.meta.Get(keySeeded) != nil {
			return nil
		}
		todo := slices.Clone(cs)
		err := comments.ValidateBatch(todo, comments.BatchOptions{
			NoID:   true,
			Stored: func(id uint64) (comments.Comment, error) { return getComment(b, id) },
		})
		if err != nil {
			return err
		}
		var maxID uint64
		for i, c := range todo {
			if err := checkPost(c.Post); err != nil {
				return fmt.Errorf("seed comment %d (id %d): %w", i+1, c.ID, err)
			}
			if c.ID != 0 && b.comments.Get(idKey(c.ID)) != nil {
				return fmt.Errorf("seed comment %d: id %d is already used by a stored comment", i+1, c.ID)
			}
			maxID = max(maxID, c.ID)
		}
		if maxID > b.comments.Sequence() {
			if err := b.comments.SetSequence(maxID); err != nil {
				return fmt.Errorf("moving the ID sequence past the seeds: %w", err)
			}
		}
		// Parents first: putComment takes a reply's thread from its parent.
		slices.SortStableFunc(todo, func(x, y comments.Comment) int { return x.Depth - y.Depth })
		for i := range todo {
			c := &todo[i]
			if c.ID == 0 {
				id, err := b.comments.NextSequence()
				if err != nil {
					return fmt.Errorf("allocating an ID: %w", err)
				}
				c.ID = id
			}
			// HTML from elsewhere is never trusted: pages print it as is.
			c.HTML = comments.Render(c.Body)
			if err := putComment(b, c); err != nil {
				return err
			}
		}
		if err := b.meta.Put(keySeeded, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
			return fmt.Errorf("recording that the database is seeded: %w", err)
		}
		seeded = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("seeding comments: %w", err)
	}
	return seeded, nil
}
