package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/authoring"
	"milepost/internal/content"
)

// What a draft's move and the slug field need besides the records
// themselves (schema version 9):
//
//	post_moves      post slug (the one moved from) → authoring.Move as JSON,
//	                a draft's move between its folder and its records begun
//	                and not yet ended (a crash leaves it, for
//	                authoring.SettleMoves)
//	post_published  post slug → "1" when a version kept in post_revisions
//	                was out (Revision.Published), set in the transaction
//	                that keeps it; "0" when authoring found none was (or
//	                "1" one was), reading revisions kept before the flag
//	                (NotePublished); no key: not known
var (
	bucketMoves     = []byte("post_moves")
	bucketPublished = []byte("post_published")
)

var (
	publishedYes = []byte("1")
	publishedNo  = []byte("0")
)

// HasComments reports whether any comment, of any state, is kept under
// the slug.
func (db *DB) HasComments(ctx context.Context, slug string) (has bool, err error) {
	err = db.view(ctx, func(tx *bbolt.Tx) error {
		has = hasKeyWithPrefix(tx.Bucket(bucketIndex), postPrefix(slug))
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("looking for comments of post %q: %w", slug, err)
	}
	return has, nil
}

// EverPublished reports whether a version of the slug's post kept in its
// history was out, and whether that is known: it is not for a history
// kept before the flag was, until NoteNeverPublished records it.
func (db *DB) EverPublished(ctx context.Context, slug string) (published, known bool, err error) {
	err = db.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketPublished).Get([]byte(slug))
		published, known = bytes.Equal(v, publishedYes), v != nil
		return nil
	})
	if err != nil {
		return false, false, fmt.Errorf("reading whether post %q was published: %w", slug, err)
	}
	return published, known, nil
}

// NotePublished records whether a version kept under the slug was out,
// as authoring found by reading them: "1" is always written, "0" only
// when nothing is known yet — a version kept meanwhile that was out has
// set "1", which wins.
func (db *DB) NotePublished(ctx context.Context, slug string, published bool) error {
	if !content.ValidSlug(slug) {
		return fmt.Errorf("noting whether post %q was published: not a valid slug", slug)
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketPublished)
		if published {
			return b.Put([]byte(slug), publishedYes)
		}
		if b.Get([]byte(slug)) != nil {
			return nil
		}
		return b.Put([]byte(slug), publishedNo)
	})
	if err != nil {
		return fmt.Errorf("noting whether post %q was published: %w", slug, err)
	}
	return nil
}

// notePublished sets the fact for a revision being kept (putRevision).
func notePublished(tx *bbolt.Tx, r *authoring.Revision) error {
	if !r.Published {
		return nil
	}
	return tx.Bucket(bucketPublished).Put([]byte(r.Slug), publishedYes)
}

// BeginMove records m before its folder moves.
func (db *DB) BeginMove(ctx context.Context, m authoring.Move) error {
	if !content.ValidSlug(m.From) || !content.ValidSlug(m.To) || m.From == m.To {
		return fmt.Errorf("beginning the move of post %q to %q: not two valid slugs", m.From, m.To)
	}
	v, err := json.Marshal(m)
	if err != nil {
		return err
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMoves).Get([]byte(m.From)) != nil {
			return fmt.Errorf("a move of %s is already under way", m.From)
		}
		return tx.Bucket(bucketMoves).Put([]byte(m.From), v)
	})
	if err != nil {
		return fmt.Errorf("beginning the move of post %s to %s: %w", m.From, m.To, err)
	}
	return nil
}

// EndMove ends the move m begun with BeginMove, with the post's file under
// the slug at (m.From or m.To): its records — revisions, review and
// preview links, which RenamePost moves to m.To in the save's own
// transaction — are put under at if they are under the other slug, and
// the move's record is removed, in one transaction. The records are
// under m.To exactly when RenamePost ran: BeginMove found none there
// (authoring checks the slug is unused, and RenamePost refuses a used one).
func (db *DB) EndMove(ctx context.Context, m authoring.Move, at string) error {
	if at != m.From && at != m.To {
		return fmt.Errorf("ending the move of post %s to %s: %q is neither", m.From, m.To, at)
	}
	other := m.To
	if at == m.To {
		other = m.From
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		if tx.Bucket(bucketMoves).Get([]byte(m.From)) == nil {
			return fmt.Errorf("no move of %s is under way", m.From)
		}
		if hasRecords(tx, other) {
			if err := moveRecords(tx, other, at); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMoves).Delete([]byte(m.From))
	})
	if err != nil {
		return fmt.Errorf("ending the move of post %s to %s at %s: %w", m.From, m.To, at, err)
	}
	return nil
}

// moveRecords moves what a post keeps under its slug — its revisions,
// review and preview links — from the slug from to the slug to, which
// has none of them.
func moveRecords(tx *bbolt.Tx, from, to string) error {
	if err := renameRevisions(tx, from, to); err != nil {
		return err
	}
	if err := renameReview(tx, from, to); err != nil {
		return err
	}
	return renamePreviewLinks(tx, from, to)
}

// hasRecords reports whether a revision, a review or a preview link is
// kept under the slug: what a move carries.
func hasRecords(tx *bbolt.Tx, slug string) bool {
	return hasKeyWithPrefix(tx.Bucket(bucketRevisions), revisionPrefix(slug)) ||
		tx.Bucket(bucketReviews).Get([]byte(slug)) != nil ||
		hasKeyWithPrefix(tx.Bucket(bucketPostPreviewLinks), postPreviewPrefix(slug))
}

// PendingMoves lists the moves begun and not ended.
func (db *DB) PendingMoves(ctx context.Context) ([]authoring.Move, error) {
	var out []authoring.Move
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMoves).ForEach(func(k, v []byte) error {
			m, err := decodeMove(k, v)
			if err != nil {
				return err
			}
			out = append(out, m)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing the posts' moves under way: %w", err)
	}
	return out, nil
}

func decodeMove(k, v []byte) (authoring.Move, error) {
	var m authoring.Move
	if err := json.Unmarshal(v, &m); err != nil {
		return authoring.Move{}, fmt.Errorf("decoding the move of %q: %w", k, err)
	}
	return m, nil
}

// checkMovesAndPublished reports a move record that cannot be read or is
// under another slug than its own, a published fact that is neither "1"
// nor "0", and a version kept as out whose slug's fact is not "1".
func checkMovesAndPublished(tx *bbolt.Tx, report func(string, ...any)) error {
	err := tx.Bucket(bucketMoves).ForEach(func(k, v []byte) error {
		m, err := decodeMove(k, v)
		switch {
		case err != nil:
			report("%s: %v", bucketMoves, err)
		case string(k) != m.From || !content.ValidSlug(m.From) || !content.ValidSlug(m.To):
			report("%s: key %q holds the move of %q to %q", bucketMoves, k, m.From, m.To)
		}
		return nil
	})
	if err != nil {
		return err
	}
	published := tx.Bucket(bucketPublished)
	err = published.ForEach(func(k, v []byte) error {
		if !bytes.Equal(v, publishedYes) && !bytes.Equal(v, publishedNo) {
			report("%s: %q holds %q", bucketPublished, k, v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tx.Bucket(bucketRevisions).ForEach(func(k, v []byte) error {
		r, err := decodeRevision(k, v)
		if err != nil {
			return nil // checkHistory reports it
		}
		if r.Published && !bytes.Equal(published.Get([]byte(r.Slug)), publishedYes) {
			report("%s: version %d of %q was out, but %s does not say so", bucketRevisions, r.ID, r.Slug, bucketPublished)
		}
		return nil
	})
}
