package bolt

import (
	"context"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/content"
	"milepost/internal/outbox"
	"milepost/internal/publication"
)

// What the world was told of the posts (package publication):
//
//	announced  post slug → the version (publication.Fingerprint) the
//	           world was last told of; absent once told it went away
//	meta       "announced_from" → RFC 3339 time of the first Record, the
//	           baseline (before it, nothing was announced)
//
// Record writes them and enqueues the event's messages in one transaction.
var (
	bucketAnnounced  = []byte("announced")
	keyAnnouncedFrom = []byte("announced_from")
)

// The compile-time proof that DB keeps what was announced.
var _ publication.Store = (*DB)(nil)

// Told reads what the world was told, and whether the baseline was
// recorded.
func (db *DB) Told(ctx context.Context) (map[string]string, bool, error) {
	told := map[string]string{}
	var baselined bool
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		baselined = tx.Bucket(bucketMeta).Get(keyAnnouncedFrom) != nil
		return tx.Bucket(bucketAnnounced).ForEach(func(k, v []byte) error {
			told[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		return nil, false, fmt.Errorf("reading what was announced: %w", err)
	}
	return told, baselined, nil
}

// Record applies the events to what was told and enqueues msgs, in one
// transaction, and marks the baseline recorded.
func (db *DB) Record(ctx context.Context, events []publication.Event, msgs []outbox.Message) error {
	now := time.Now()
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		told := tx.Bucket(bucketAnnounced)
		for _, ev := range events {
			if !content.ValidSlug(ev.Slug) {
				return fmt.Errorf("event %s of %q: not a valid slug", ev.Kind, ev.Slug)
			}
			var err error
			switch ev.Kind {
			case publication.Published, publication.Updated:
				if ev.Version == "" {
					return fmt.Errorf("event %s of %s has no version", ev.Kind, ev.Slug)
				}
				err = told.Put([]byte(ev.Slug), []byte(ev.Version))
			case publication.Removed:
				err = told.Delete([]byte(ev.Slug))
			default:
				err = fmt.Errorf("unknown event kind %v", ev.Kind)
			}
			if err != nil {
				return err
			}
		}
		meta := tx.Bucket(bucketMeta)
		if meta.Get(keyAnnouncedFrom) == nil {
			if err := meta.Put(keyAnnouncedFrom, []byte(now.UTC().Format(time.RFC3339))); err != nil {
				return err
			}
		}
		return enqueueTx(tx, now, msgs)
	})
	if err != nil {
		return fmt.Errorf("recording %d announcement(s): %w", len(events), err)
	}
	return nil
}

// checkAnnounced checks that every entry of announced is a post slug with
// a version, and that the baseline is a time.
func checkAnnounced(tx *bbolt.Tx, report func(string, ...any)) error {
	if v := tx.Bucket(bucketMeta).Get(keyAnnouncedFrom); v != nil {
		if _, err := time.Parse(time.RFC3339, string(v)); err != nil {
			report("meta: announced_from %q is not a time", v)
		}
	}
	return tx.Bucket(bucketAnnounced).ForEach(func(k, v []byte) error {
		if !content.ValidSlug(string(k)) || len(v) == 0 {
			report("%s: entry %q → %q is not a slug and a version", bucketAnnounced, k, v)
		}
		return nil
	})
}
