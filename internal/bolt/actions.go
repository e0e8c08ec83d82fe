package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// The index of the audit log by kind (schema version 4): the moderation
// log's filter reads one kind's page and count from it, in one
// transaction, instead of reading the whole log.
var (
	bucketActionKinds  = []byte("action_kinds")
	bucketActionCounts = []byte("action_counts")
)

// actionKindKey is an entry's key in action_kinds: its kind, 0x00, its ID.
// A kind is any string (imports bring what they bring), so a kind's keys are
// told apart by their length as well as their prefix.
func actionKindKey(kind comments.ActionKind, id uint64) []byte {
	return binary.BigEndian.AppendUint64(actionKindPrefix(kind), id)
}

func actionKindPrefix(kind comments.ActionKind) []byte {
	k := make([]byte, 0, len(kind)+9)
	k = append(k, kind...)
	return append(k, 0)
}

// indexAction adds a's entries to the index by kind. appendAction calls it
// in the transaction that writes a, so the two cannot disagree.
func indexAction(b buckets, a *comments.Action) error {
	if err := b.bucket(bucketActionKinds).Put(actionKindKey(a.Kind, a.ID), nil); err != nil {
		return fmt.Errorf("indexing audit log entry %d: %w", a.ID, err)
	}
	if _, err := addCounter(b.bucket(bucketActionCounts), []byte(a.Kind), 1); err != nil {
		return fmt.Errorf("%s: %w", bucketActionCounts, err)
	}
	return nil
}

// reindexActions empties the index by kind and builds it again from the
// log: the upgrade from schema versions before 4.
func reindexActions(tx *bbolt.Tx) error {
	for _, name := range [][]byte{bucketActionKinds, bucketActionCounts} {
		if err := tx.DeleteBucket(name); err != nil {
			return fmt.Errorf("emptying %s: %w", name, err)
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return fmt.Errorf("creating %s: %w", name, err)
		}
	}
	b := bucketsOf(tx)
	return b.actions.ForEach(func(k, v []byte) error {
		a, err := decodeAction(k, v)
		if err != nil {
			return err
		}
		return indexAction(b, &a)
	})
}

func decodeAction(k, v []byte) (comments.Action, error) {
	var a comments.Action
	if err := json.Unmarshal(v, &a); err != nil {
		return comments.Action{}, fmt.Errorf("decoding audit log entry %x: %w", k, err)
	}
	return a, nil
}

// Actions returns audit log entries newest first, skipping offset and
// returning at most limit, with their number: all of them, or with a kind
// those of that kind through action_kinds and action_counts, decoding only
// the entries it returns. Page and count come from one read transaction.
func (db *DB) Actions(ctx context.Context, kind comments.ActionKind, offset, limit int) ([]comments.Action, int, error) {
	var out []comments.Action
	total := 0
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		if kind == "" {
			total = b.actions.Stats().KeyN
			cur := b.actions.Cursor()
			skip := max(offset, 0)
			for k, v := cur.Last(); k != nil && len(out) < limit; k, v = cur.Prev() {
				if skip > 0 {
					skip--
					continue
				}
				a, err := decodeAction(k, v)
				if err != nil {
					return err
				}
				out = append(out, a)
			}
			return nil
		}
		n, err := readCount(b.bucket(bucketActionCounts).Get([]byte(kind)))
		if err != nil {
			return fmt.Errorf("%s of %q: %w", bucketActionCounts, kind, err)
		}
		total = int(n)
		prefix := actionKindPrefix(kind)
		cur := b.bucket(bucketActionKinds).Cursor()
		// Seek past the prefix, then step back: newest (highest ID) first.
		k, _ := cur.Seek(append(bytes.Clone(prefix), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))
		if k == nil {
			k, _ = cur.Last()
		} else {
			k, _ = cur.Prev()
		}
		skip := max(offset, 0)
		for ; k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = cur.Prev() {
			if len(k) != len(prefix)+8 {
				continue // a kind that starts with this one and 0x00
			}
			if skip > 0 {
				skip--
				continue
			}
			id := binary.BigEndian.Uint64(k[len(prefix):])
			v := b.actions.Get(idKey(id))
			if v == nil {
				return fmt.Errorf("%s: entry %d of kind %q is not in the log", bucketActionKinds, id, kind)
			}
			a, err := decodeAction(idKey(id), v)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("listing moderation actions: %w", err)
	}
	return out, total, nil
}

// checkActionIndex rebuilds the index by kind from the log, in memory, and
// compares it with the stored one.
func checkActionIndex(b buckets, report func(string, ...any)) error {
	keys := map[string]bool{}
	counts := map[string]uint64{}
	err := b.actions.ForEach(func(k, v []byte) error {
		a, err := decodeAction(k, v)
		if err != nil {
			return nil // checkRecords reports it
		}
		keys[string(actionKindKey(a.Kind, a.ID))] = true
		counts[string(a.Kind)]++
		return nil
	})
	if err != nil {
		return err
	}
	err = b.bucket(bucketActionKinds).ForEach(func(k, _ []byte) error {
		if !keys[string(k)] {
			report("%s: stale entry %q, which no audit log entry accounts for", bucketActionKinds, k)
		}
		delete(keys, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for k := range keys {
		report("%s: no entry %q", bucketActionKinds, k)
	}
	err = b.bucket(bucketActionCounts).ForEach(func(k, v []byte) error {
		n, err := readCount(v)
		if err != nil {
			report("%s: kind %q: %v", bucketActionCounts, k, err)
		} else if w := counts[string(k)]; n != w {
			report("%s: kind %q has count %d, but %d audit log entries", bucketActionCounts, k, n, w)
		}
		delete(counts, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for kind, n := range counts {
		report("%s: no count for kind %q, which has %d audit log entries", bucketActionCounts, kind, n)
	}
	return nil
}
