package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
	"milepost/internal/outbox"
	"milepost/internal/subscriptions"
)

// Email subscriptions (package subscriptions):
//
//	subscribers        normalised address → subscriptions.Subscriber as JSON
//	subscriber_scopes  index: scope + 0x00 + address → empty, every active
//	                   subscription (who gets a post, a reply)
//	comments_notified  8-byte comment ID → empty, approved comments whose
//	                   notifications were enqueued
//	meta               "notify_from" → time key: comments created before
//	                   it are never notified (email came later);
//	                   "digest_last" → time key: the digest time
//	                   (subscriptions.DigestTime) of the last weekly
//	                   digest enqueued
//
// A subscriber, its index entries and the messages of the change are
// written in one transaction; Check rebuilds the index and compares.
var (
	bucketSubscribers      = []byte("subscribers")
	bucketSubscriberScopes = []byte("subscriber_scopes")
	bucketNotified         = []byte("comments_notified")
	keyNotifyFrom          = []byte("notify_from")
	keyDigestLast          = []byte("digest_last")
)

// The compile-time proof that DB keeps the subscribers.
var _ subscriptions.Store = (*DB)(nil)

func scopeKey(scope, email string) []byte {
	k := append([]byte(scope), 0)
	return append(k, email...)
}

func scopeEntries(s subscriptions.Subscriber) [][]byte {
	var out [][]byte
	for _, scope := range s.Active() {
		out = append(out, scopeKey(scope, s.Email))
	}
	return out
}

func readSubscriber(tx *bbolt.Tx, email string) (subscriptions.Subscriber, bool, error) {
	v := tx.Bucket(bucketSubscribers).Get([]byte(email))
	if v == nil {
		return subscriptions.Subscriber{Email: email}, false, nil
	}
	var s subscriptions.Subscriber
	if err := json.Unmarshal(v, &s); err != nil {
		return s, false, fmt.Errorf("subscriber %q: %w", email, err)
	}
	if s.Email != email {
		return s, false, fmt.Errorf("key %q holds subscriber %q", email, s.Email)
	}
	return s, true, nil
}

// writeSubscriber replaces old's index entries with s's and stores s, or
// deletes it when it has no scopes left.
func writeSubscriber(tx *bbolt.Tx, old, s subscriptions.Subscriber) error {
	idx := tx.Bucket(bucketSubscriberScopes)
	for _, k := range scopeEntries(old) {
		if err := idx.Delete(k); err != nil {
			return err
		}
	}
	if len(s.Scopes) == 0 {
		return tx.Bucket(bucketSubscribers).Delete([]byte(s.Email))
	}
	for _, k := range scopeEntries(s) {
		if err := idx.Put(k, nil); err != nil {
			return err
		}
	}
	v, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return tx.Bucket(bucketSubscribers).Put([]byte(s.Email), v)
}

// UpdateSubscriber applies change to the subscriber in one transaction
// with its index entries and messages.
func (db *DB) UpdateSubscriber(ctx context.Context, email string, change func(s *subscriptions.Subscriber) ([]outbox.Message, error)) error {
	if email == "" || len(email) > 254 {
		return fmt.Errorf("updating subscriber %q: not an address", email)
	}
	return db.update(ctx, func(tx *bbolt.Tx) error {
		old, _, err := readSubscriber(tx, email)
		if err != nil {
			return err
		}
		s := old
		s.Scopes = make(map[string]subscriptions.Sub, len(old.Scopes))
		for k, v := range old.Scopes {
			s.Scopes[k] = v
		}
		msgs, err := change(&s)
		if err != nil {
			return err
		}
		s.Email = email
		if err := writeSubscriber(tx, old, s); err != nil {
			return fmt.Errorf("writing subscriber: %w", err)
		}
		return enqueueTx(tx, time.Now(), msgs)
	})
}

// Subscriber reads one subscriber.
func (db *DB) Subscriber(ctx context.Context, email string) (subscriptions.Subscriber, bool, error) {
	var s subscriptions.Subscriber
	var ok bool
	err := db.view(ctx, func(tx *bbolt.Tx) (err error) {
		s, ok, err = readSubscriber(tx, email)
		return err
	})
	if err != nil {
		return s, false, fmt.Errorf("reading a subscriber: %w", err)
	}
	return s, ok, nil
}

// Subscribed lists the addresses with an active subscription to scope.
func (db *DB) Subscribed(ctx context.Context, scope string) ([]string, error) {
	var out []string
	prefix := scopeKey(scope, "")
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketSubscriberScopes).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			out = append(out, string(k[len(prefix):]))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the subscribers to %s: %w", scope, err)
	}
	return out, nil
}

// SubscriberCounts counts the addresses and the active subscriptions by
// scope.
func (db *DB) SubscriberCounts(ctx context.Context) (subscriptions.Counts, error) {
	n := subscriptions.Counts{Active: map[string]int{}}
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketSubscribers).ForEach(func(k, v []byte) error {
			s, _, err := readSubscriber(tx, string(k))
			if err != nil {
				return err
			}
			n.Addresses++
			if !s.Confirmed.IsZero() {
				n.Confirmed++
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Bucket(bucketSubscriberScopes).ForEach(func(k, _ []byte) error {
			if i := bytes.IndexByte(k, 0); i > 0 {
				n.Active[string(k[:i])]++
			}
			return nil
		})
	})
	if err != nil {
		return n, fmt.Errorf("counting subscribers: %w", err)
	}
	return n, nil
}

// RemoveSubscriber forgets an address and its subscriptions.
func (db *DB) RemoveSubscriber(ctx context.Context, email string) error {
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		old, ok, err := readSubscriber(tx, email)
		if err != nil || !ok {
			return err
		}
		return writeSubscriber(tx, old, subscriptions.Subscriber{Email: email})
	})
	if err != nil {
		return fmt.Errorf("removing a subscriber: %w", err)
	}
	return nil
}

// UnnotifiedApproved lists approved comments created at or after since
// (and after notify_from, which the first call sets) not yet marked.
func (db *DB) UnnotifiedApproved(ctx context.Context, since time.Time, limit int) ([]comments.Comment, error) {
	var from []byte
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		from = bytes.Clone(tx.Bucket(bucketMeta).Get(keyNotifyFrom))
		return nil
	})
	if err == nil && from == nil {
		err = db.update(ctx, func(tx *bbolt.Tx) error {
			if from = bytes.Clone(tx.Bucket(bucketMeta).Get(keyNotifyFrom)); from == nil {
				from = timeKey(time.Now())
				return tx.Bucket(bucketMeta).Put(keyNotifyFrom, from)
			}
			return nil
		})
	}
	if err != nil {
		return nil, fmt.Errorf("reading the comments to notify: %w", err)
	}
	start := timeKey(since)
	if bytes.Compare(from, start) > 0 {
		start = from
	}
	var out []comments.Comment
	err = db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		marked := tx.Bucket(bucketNotified)
		c := tx.Bucket(bucketApproved).Cursor()
		for k, _ := c.Seek(start); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) != timeKeyLen+8 {
				return fmt.Errorf("%s: malformed key %x", bucketApproved, k)
			}
			id := k[timeKeyLen:]
			if marked.Get(id) != nil {
				continue
			}
			cm, err := getComment(b, bytesID(id))
			if err != nil {
				return err
			}
			out = append(out, cm)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the comments to notify: %w", err)
	}
	return out, nil
}

func bytesID(k []byte) uint64 {
	id, _ := keyID(k)
	return id
}

// MarkNotified marks the comments and enqueues msgs in one transaction.
func (db *DB) MarkNotified(ctx context.Context, ids []uint64, msgs []outbox.Message) error {
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		marked := tx.Bucket(bucketNotified)
		for _, id := range ids {
			if err := marked.Put(idKey(id), nil); err != nil {
				return err
			}
		}
		return enqueueTx(tx, time.Now(), msgs)
	})
	if err != nil {
		return fmt.Errorf("marking %d comment(s) notified: %w", len(ids), err)
	}
	return nil
}

// LastDigest is the digest time of the last weekly digest enqueued; zero
// for none.
func (db *DB) LastDigest(ctx context.Context) (time.Time, error) {
	var at time.Time
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		at = digestLast(tx)
		return nil
	})
	if err != nil {
		return at, fmt.Errorf("reading when the last digest was enqueued: %w", err)
	}
	return at, nil
}

func digestLast(tx *bbolt.Tx) time.Time {
	if v := tx.Bucket(bucketMeta).Get(keyDigestLast); len(v) == timeKeyLen {
		return keyTime(v)
	}
	return time.Time{}
}

// RecordDigest records the digest of at as enqueued and enqueues msgs, in
// one transaction, unless the digest of at is the one recorded already:
// then it writes nothing and reports false, so that two runs of the
// weekly step (or one after a crash) enqueue the week once. A later week
// recorded (a clock that ran ahead) is replaced.
func (db *DB) RecordDigest(ctx context.Context, at time.Time, msgs []outbox.Message) (bool, error) {
	var done bool
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		if digestLast(tx).Equal(at) {
			return nil
		}
		if err := tx.Bucket(bucketMeta).Put(keyDigestLast, timeKey(at)); err != nil {
			return err
		}
		done = true
		return enqueueTx(tx, time.Now(), msgs)
	})
	if err != nil {
		return false, fmt.Errorf("recording the digest of %s: %w", at.UTC().Format(time.DateOnly), err)
	}
	return done, nil
}

// checkSubscribers rebuilds subscriber_scopes from the subscribers and
// compares it.
func checkSubscribers(tx *bbolt.Tx, report func(string, ...any)) error {
	want := map[string]bool{}
	err := tx.Bucket(bucketSubscribers).ForEach(func(k, _ []byte) error {
		s, _, err := readSubscriber(tx, string(k))
		if err != nil {
			report("%s: %v", bucketSubscribers, err)
			return nil
		}
		if len(s.Scopes) == 0 {
			report("%s: %q has no subscriptions, and should have been deleted", bucketSubscribers, k)
		}
		for scope := range s.Scopes {
			if !subscriptions.ValidScope(scope) {
				report("%s: %q has the scope %q", bucketSubscribers, k, scope)
			}
		}
		for _, e := range scopeEntries(s) {
			want[string(e)] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketSubscriberScopes).ForEach(func(k, _ []byte) error {
		if !want[string(k)] {
			report("%s: stale entry %q", bucketSubscriberScopes, k)
		}
		delete(want, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for k := range want {
		report("%s: no entry %q for an active subscription", bucketSubscriberScopes, k)
	}
	if v := tx.Bucket(bucketMeta).Get(keyNotifyFrom); v != nil && len(v) != timeKeyLen {
		report("meta: notify_from %x is not a time key", v)
	}
	if v := tx.Bucket(bucketMeta).Get(keyDigestLast); v != nil {
		if len(v) != timeKeyLen {
			report("meta: digest_last %x is not a time key", v)
		} else if at := keyTime(v); !subscriptions.DigestTime(at).Equal(at) {
			report("meta: digest_last %s is not a digest time", at.UTC().Format(time.RFC3339))
		}
	}
	return tx.Bucket(bucketNotified).ForEach(func(k, _ []byte) error {
		if len(k) != 8 {
			report("%s: malformed key %x", bucketNotified, k)
		}
		return nil
	})
}
