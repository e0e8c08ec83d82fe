package bolt

import (
	"context"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// Seed adds a site's sample comments the first time it is called on a
// database, keeping their IDs, and records that it ran; later calls do
// nothing and report false, so a seed comment a moderator deleted stays
// deleted. All of it is one transaction: a bad seed leaves nothing behind.
//
// Each comment needs a post; a parent, when given, must be in cs or already
// stored, on the same post. Depth is recomputed from the parents. An ID of 0
// is given a fresh one; an ID already in use is an error. The sequence is
// moved past the largest ID so that the next Add cannot collide with a seed.
func (db *DB) Seed(ctx context.Context, cs []comments.Comment) (bool, error) {
	seeded := false
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		if b.meta.Get(keySeeded) != nil {
			return nil
		}
		batch := make(map[uint64]*comments.Comment, len(cs))
		todo := make([]comments.Comment, len(cs))
		copy(todo, cs)
		var maxID uint64
		for i := range todo {
			c := &todo[i]
			if err := checkPost(c.Post); err != nil {
				return fmt.Errorf("seed comment %d (id %d): %w", i+1, c.ID, err)
			}
			if c.ID == 0 {
				continue
			}
			if _, dup := batch[c.ID]; dup {
				return fmt.Errorf("seed comment %d: id %d appears twice", i+1, c.ID)
			}
			if b.comments.Get(idKey(c.ID)) != nil {
				return fmt.Errorf("seed comment %d: id %d is already used by a stored comment", i+1, c.ID)
			}
			batch[c.ID] = c
			maxID = max(maxID, c.ID)
		}
		depths := depthFinder{b: b, batch: batch, known: map[uint64]int{}}
		for i := range todo {
			d, err := depths.of(&todo[i])
			if err != nil {
				return fmt.Errorf("seed comment %d (id %d): %w", i+1, todo[i].ID, err)
			}
			todo[i].Depth = d
		}
		if maxID > b.comments.Sequence() {
			if err := b.comments.SetSequence(maxID); err != nil {
				return fmt.Errorf("moving the ID sequence past the seeds: %w", err)
			}
		}
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

// depthFinder works out seed comments' depths, whose parents may come later
// in the batch or already be stored.
type depthFinder struct {
	b     buckets
	batch map[uint64]*comments.Comment
	known map[uint64]int
}

func (f *depthFinder) of(c *comments.Comment) (int, error) {
	depth := 0
	// Walk up until a parent of known depth; a walk longer than the batch
	// is a loop of parents.
	for id, post, steps := c.Parent, c.Post, 0; id != 0; steps++ {
		if steps > len(f.batch) {
			return 0, fmt.Errorf("%w: its parents form a loop", comments.ErrParent)
		}
		if p, ok := f.batch[id]; ok {
			if p.Post != post {
				return 0, fmt.Errorf("%w: parent %d is on post %q", comments.ErrParent, id, p.Post)
			}
			if d, ok := f.known[id]; ok {
				depth += d + 1
				break
			}
			depth++
			id = p.Parent
			continue
		}
		p, err := getComment(f.b, id)
		if errors.Is(err, comments.ErrNotFound) {
			return 0, fmt.Errorf("%w: parent %d is neither seeded nor stored", comments.ErrParent, id)
		}
		if err != nil {
			return 0, err
		}
		if p.Post != post {
			return 0, fmt.Errorf("%w: parent %d is on post %q", comments.ErrParent, id, p.Post)
		}
		depth += p.Depth + 1
		break
	}
	if c.ID != 0 {
		f.known[c.ID] = depth
	}
	return depth, nil
}
