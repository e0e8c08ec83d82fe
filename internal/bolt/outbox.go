package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/outbox"
)

// The outbox of outgoing work (email, WebSub pings, ActivityPub
// deliveries), see package outbox:
//
//	outbox         8-byte ID → pending outbox.Message as JSON; the
//	               bucket's sequence numbers the messages
//	outbox_dead    8-byte ID → given-up outbox.Message as JSON
//	outbox_keys    message Key → 8-byte ID of the message it was enqueued
//	               as; kept after the message is sent, so that a Key is
//	               enqueued once, ever
//	outbox_due     index: time key of NotBefore + 8-byte ID → empty, the
//	               pending messages in the order they come due
//	outbox_counts  index: 'p' (pending) or 'd' (dead) + kind → 8-byte
//	               count
//
// Every write keeps the record and its indexes in one transaction; Check
// proves they agree.
var (
	bucketOutbox       = []byte("outbox")
	bucketOutboxDead   = []byte("outbox_dead")
	bucketOutboxKeys   = []byte("outbox_keys")
	bucketOutboxDue    = []byte("outbox_due")
	bucketOutboxCounts = []byte("outbox_counts")
)

// The compile-time proof that DB keeps the outbox.
var _ outbox.Store = (*DB)(nil)

func outboxCountKey(dead bool, kind string) []byte {
	if dead {
		return append([]byte{'d'}, kind...)
	}
	return append([]byte{'p'}, kind...)
}

// Enqueue stores the messages whose Key was never enqueued before, in one
// transaction, synced to disk before it returns.
func (db *DB) Enqueue(ctx context.Context, msgs ...outbox.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		return enqueueTx(tx, time.Now(), msgs)
	})
	if err != nil {
		return fmt.Errorf("enqueuing %d outgoing message(s): %w", len(msgs), err)
	}
	return nil
}

// enqueueTx is Enqueue inside a transaction that may write other records
// too: a post's announcement and its emails are one write.
func enqueueTx(tx *bbolt.Tx, now time.Time, msgs []outbox.Message) error {
	for _, m := range msgs {
		if err := outbox.Valid(m); err != nil {
			return fmt.Errorf("message %q: %w", m.Key, err)
		}
	}
	pending, keys := tx.Bucket(bucketOutbox), tx.Bucket(bucketOutboxKeys)
	due, counts := tx.Bucket(bucketOutboxDue), tx.Bucket(bucketOutboxCounts)
	for _, m := range msgs {
		if keys.Get([]byte(m.Key)) != nil {
			continue
		}
		id, err := pending.NextSequence()
		if err != nil {
			return err
		}
		m.ID, m.Attempts, m.LastError = id, 0, ""
		if m.Created.IsZero() {
			m.Created = now
		}
		if m.NotBefore.IsZero() {
			m.NotBefore = now
		}
		m.Created, m.NotBefore = m.Created.UTC(), m.NotBefore.UTC()
		if err := putOutboxMessage(pending, m); err != nil {
			return err
		}
		if err := keys.Put([]byte(m.Key), idKey(id)); err != nil {
			return err
		}
		if err := due.Put(timeIDKey(m.NotBefore, id), nil); err != nil {
			return err
		}
		if _, err := addCounter(counts, outboxCountKey(false, m.Kind), 1); err != nil {
			return err
		}
	}
	return nil
}

func putOutboxMessage(bk *bbolt.Bucket, m outbox.Message) error {
	v, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("encoding message %d: %w", m.ID, err)
	}
	return bk.Put(idKey(m.ID), v)
}

func decodeOutboxMessage(k, v []byte) (outbox.Message, error) {
	var m outbox.Message
	if err := json.Unmarshal(v, &m); err != nil {
		return m, fmt.Errorf("message %x: %w", k, err)
	}
	if len(k) != 8 || binary.BigEndian.Uint64(k) != m.ID {
		return m, fmt.Errorf("key %x holds message %d", k, m.ID)
	}
	return m, nil
}

// Due lists up to limit pending messages with NotBefore at or before now,
// in the order they came due.
func (db *DB) Due(ctx context.Context, now time.Time, limit int, skip ...string) ([]outbox.Message, error) {
	var out []outbox.Message
	end := timeKey(now)
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		pending := tx.Bucket(bucketOutbox)
		c := tx.Bucket(bucketOutboxDue).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			if len(k) != timeKeyLen+8 {
				return fmt.Errorf("%s: malformed key %x", bucketOutboxDue, k)
			}
			if bytes.Compare(k[:timeKeyLen], end) > 0 {
				break
			}
			id := k[timeKeyLen:]
			v := pending.Get(id)
			if v == nil {
				return fmt.Errorf("%s names message %x, which is not pending", bucketOutboxDue, id)
			}
			m, err := decodeOutboxMessage(id, v)
			if err != nil {
				return err
			}
			if !slices.Contains(skip, m.Kind) {
				out = append(out, m)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the due outgoing messages: %w", err)
	}
	return out, nil
}

// takePending removes a pending message and its due entry and count,
// returning it.
func takePending(tx *bbolt.Tx, id uint64) (outbox.Message, error) {
	pending := tx.Bucket(bucketOutbox)
	v := pending.Get(idKey(id))
	if v == nil {
		return outbox.Message{}, outbox.ErrNotFound
	}
	m, err := decodeOutboxMessage(idKey(id), v)
	if err != nil {
		return m, err
	}
	if err := pending.Delete(idKey(id)); err != nil {
		return m, err
	}
	if err := tx.Bucket(bucketOutboxDue).Delete(timeIDKey(m.NotBefore, id)); err != nil {
		return m, err
	}
	_, err = addCounter(tx.Bucket(bucketOutboxCounts), outboxCountKey(false, m.Kind), -1)
	return m, err
}

// Sent removes a pending message; its Key stays in outbox_keys.
func (db *DB) Sent(ctx context.Context, id uint64) error {
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		_, err := takePending(tx, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("marking outgoing message %d sent: %w", id, err)
	}
	return nil
}

// Retry counts a failed attempt and moves the message to its next time.
func (db *DB) Retry(ctx context.Context, id uint64, next time.Time, lastErr string) error {
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		m, err := takePending(tx, id)
		if err != nil {
			return err
		}
		m.Attempts++
		m.NotBefore, m.LastError = next.UTC(), lastErr
		if err := putOutboxMessage(tx.Bucket(bucketOutbox), m); err != nil {
			return err
		}
		if err := tx.Bucket(bucketOutboxDue).Put(timeIDKey(m.NotBefore, id), nil); err != nil {
			return err
		}
		_, err = addCounter(tx.Bucket(bucketOutboxCounts), outboxCountKey(false, m.Kind), 1)
		return err
	})
	if err != nil {
		return fmt.Errorf("recording a failed attempt of outgoing message %d: %w", id, err)
	}
	return nil
}

// GiveUp moves a pending message to outbox_dead.
func (db *DB) GiveUp(ctx context.Context, id uint64, lastErr string) error {
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		m, err := takePending(tx, id)
		if err != nil {
			return err
		}
		m.Attempts++
		m.LastError = lastErr
		if err := putOutboxMessage(tx.Bucket(bucketOutboxDead), m); err != nil {
			return err
		}
		_, err = addCounter(tx.Bucket(bucketOutboxCounts), outboxCountKey(true, m.Kind), 1)
		return err
	})
	if err != nil {
		return fmt.Errorf("giving up outgoing message %d: %w", id, err)
	}
	return nil
}

// Stats reads the counts by kind.
func (db *DB) Stats(ctx context.Context) (outbox.Stats, error) {
	st := outbox.Stats{Pending: map[string]int{}, Dead: map[string]int{}}
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketOutboxCounts).ForEach(func(k, v []byte) error {
			n, err := readCount(v)
			if err != nil || len(k) < 1 {
				return fmt.Errorf("%s: entry %q: malformed", bucketOutboxCounts, k)
			}
			switch k[0] {
			case 'p':
				st.Pending[string(k[1:])] = int(n)
			case 'd':
				st.Dead[string(k[1:])] = int(n)
			}
			return nil
		})
	})
	if err != nil {
		return st, fmt.Errorf("counting outgoing messages: %w", err)
	}
	return st, nil
}

// DeadMessages lists up to limit given-up messages, newest first, for the
// admin.
func (db *DB) DeadMessages(ctx context.Context, limit int) ([]outbox.Message, error) {
	var out []outbox.Message
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketOutboxDead).Cursor()
		for k, v := c.Last(); k != nil && len(out) < limit; k, v = c.Prev() {
			m, err := decodeOutboxMessage(k, v)
			if err != nil {
				return err
			}
			out = append(out, m)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading given-up outgoing messages: %w", err)
	}
	return out, nil
}

// checkOutbox rebuilds outbox_due and outbox_counts from the messages and
// compares them, and checks that every message's Key names it.
func checkOutbox(tx *bbolt.Tx, report func(string, ...any)) error {
	wantDue := map[string]bool{}
	wantCounts := map[string]uint64{}
	keys := tx.Bucket(bucketOutboxKeys)
	seq := tx.Bucket(bucketOutbox).Sequence()
	for _, name := range [][]byte{bucketOutbox, bucketOutboxDead} {
		dead := bytes.Equal(name, bucketOutboxDead)
		err := tx.Bucket(name).ForEach(func(k, v []byte) error {
			m, err := decodeOutboxMessage(k, v)
			if err != nil {
				report("%s: %v", name, err)
				return nil
			}
			if m.ID > seq {
				report("%s: message %d is above the sequence %d", name, m.ID, seq)
			}
			if err := outbox.Valid(m); err != nil {
				report("%s: message %d: %v", name, m.ID, err)
			}
			if id := keys.Get([]byte(m.Key)); !bytes.Equal(id, k) {
				report("%s: message %d's key %q names %x in %s", name, m.ID, m.Key, id, bucketOutboxKeys)
			}
			if dead && tx.Bucket(bucketOutbox).Get(k) != nil {
				report("%s: message %d is both pending and dead", name, m.ID)
			}
			if !dead {
				wantDue[string(timeIDKey(m.NotBefore, m.ID))] = true
			}
			wantCounts[string(outboxCountKey(dead, m.Kind))]++
			return nil
		})
		if err != nil {
			return err
		}
	}
	err := keys.ForEach(func(k, v []byte) error {
		if len(v) != 8 || binary.BigEndian.Uint64(v) > seq || binary.BigEndian.Uint64(v) == 0 {
			report("%s: key %q names %x, which no message could have", bucketOutboxKeys, k, v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = tx.Bucket(bucketOutboxDue).ForEach(func(k, _ []byte) error {
		if !wantDue[string(k)] {
			report("%s: stale entry %x", bucketOutboxDue, k)
		}
		delete(wantDue, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for k := range wantDue {
		report("%s: no entry %x for a pending message", bucketOutboxDue, k)
	}
	have := map[string]uint64{}
	err = tx.Bucket(bucketOutboxCounts).ForEach(func(k, v []byte) error {
		n, err := readCount(v)
		if err != nil {
			report("%s: %q: %v", bucketOutboxCounts, k, err)
		}
		have[string(k)] = n
		return nil
	})
	if err != nil {
		return err
	}
	if !maps.Equal(have, wantCounts) {
		report("%s: counts %v, but the messages make %v", bucketOutboxCounts, have, wantCounts)
	}
	return nil
}
