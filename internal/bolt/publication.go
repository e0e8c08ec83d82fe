package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/content"
	"milepost/internal/outbox"
	"milepost/internal/publication"
)

// What the world was told of the posts (package publication):
//
//	announced  post slug → the version (publication.Fingerprint) the
//	           world was last told of, then, after a space, its author,
//	           tags and when it was first told public as JSON when it has
//	           any ({"author": ID, "tags": [...], "at": RFC 3339}; a
//	           version alone before they were kept, no "at" before
//	           schema version 12);
//	           absent once told it went away
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
func (db *DB) Told(ctx context.Context) (map[string]publication.Announced, bool, error) {
	told := map[string]publication.Announced{}
	var baselined bool
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		baselined = tx.Bucket(bucketMeta).Get(keyAnnouncedFrom) != nil
		return tx.Bucket(bucketAnnounced).ForEach(func(k, v []byte) error {
			// A value that cannot be read whole is taken for what can be
			// read of it rather than halting every announcement: its
			// version alone, or, with none, a version no post has, so
			// that the post's next look sends an Update and writes it
			// anew (or a Delete, if the post is gone).
			a, err := decodeAnnounced(v)
			if err != nil && a.Version == "" {
				a.Version = unreadableVersion
			}
			told[string(k)] = a
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
				a := publication.Announced{Version: ev.Version}
				if ev.Post != nil {
					a = publication.AnnouncedOf(ev.Post, ev.Version)
				}
				a.At = ev.At
				if ev.Kind == publication.Updated {
					// Still public since it was first told: its time
					// stays (a value unreadable now has none).
					was, _ := decodeAnnounced(told.Get([]byte(ev.Slug)))
					a.At = was.At
				}
				var v []byte
				if v, err = encodeAnnounced(a); err == nil {
					err = told.Put([]byte(ev.Slug), v)
				}
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
		if _, err := decodeAnnounced(v); !content.ValidSlug(string(k)) || err != nil {
			report("%s: entry %q → %q is not a slug and a version (and where it was listed): %v", bucketAnnounced, k, v, err)
		}
		return nil
	})
}

// listed is where an announced post was listed, as stored after its
// version.
type listed struct {
	Author string    `json:"author,omitempty"`
	Tags   []string  `json:"tags,omitempty"`
	At     time.Time `json:"at,omitzero"` // when it was first told public
}

// encodeAnnounced is a's value in the announced bucket: the version, and
// where it was listed when it was anywhere but the site's own feeds.
func encodeAnnounced(a publication.Announced) ([]byte, error) {
	if a.Version == "" || strings.ContainsRune(a.Version, ' ') {
		return nil, fmt.Errorf("version %q is empty or has a space", a.Version)
	}
	if a.Author == "" && len(a.Tags) == 0 && a.At.IsZero() {
		return []byte(a.Version), nil
	}
	where, err := json.Marshal(listed{Author: a.Author, Tags: a.Tags, At: a.At.UTC()})
	if err != nil {
		return nil, fmt.Errorf("encoding where %s was listed: %w", a.Version, err)
	}
	return append([]byte(a.Version+" "), where...), nil
}

// unreadableVersion stands for the version of an announced value that has
// none: no post's fingerprint is ever it.
const unreadableVersion = "unreadable"

// decodeAnnounced reads an announced value; on an error, what it could
// read of it (the version, without where the post was listed).
func decodeAnnounced(v []byte) (publication.Announced, error) {
	version, where, found := strings.Cut(string(v), " ")
	if version == "" {
		return publication.Announced{}, errors.New("no version")
	}
	a := publication.Announced{Version: version}
	if found {
		var l listed
		if err := json.Unmarshal([]byte(where), &l); err != nil {
			return a, fmt.Errorf("reading where %s was listed: %w", version, err)
		}
		a.Author, a.Tags, a.At = l.Author, l.Tags, l.At
	}
	return a, nil
}
