package bolt

import (
	"context"
	"strconv"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// logActions appends n entries to the log, cycling through kinds, and
// returns the IDs of each kind's, oldest first.
func logActions(t *testing.T, db *DB, n int, kinds ...comments.ActionKind) map[comments.ActionKind][]uint64 {
	t.Helper()
	out := map[comments.ActionKind][]uint64{}
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		for i := range n {
			a := comments.Action{At: t0.Add(time.Duration(i) * time.Second), By: "mod", Kind: kinds[i%len(kinds)],
				Target: "comment " + strconv.Itoa(i)}
			if err := appendAction(b, &a); err != nil {
				return err
			}
			out[a.Kind] = append(out[a.Kind], a.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestActionsOfAKindReadOnlyThatKind: a page of one kind of entry comes
// from the index by kind, newest first, with the count from its counter,
// and a kind whose name starts with another's and 0x00 stays apart.
func TestActionsOfAKindReadOnlyThatKind(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	ids := logActions(t, db, 3000, comments.ActionApprove, comments.ActionApprove, comments.ActionSpam, comments.ActionEditOwn,
		comments.ActionKind("edit-own\x00x"))
	want := ids[comments.ActionEditOwn]
	for _, tc := range []struct{ offset, limit int }{{0, 50}, {50, 50}, {len(want) - 7, 50}, {len(want), 50}} {
		got, total, err := db.Actions(ctx, comments.ActionEditOwn, tc.offset, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if total != len(want) {
			t.Errorf("offset %d: total %d, want %d", tc.offset, total, len(want))
		}
		if n := min(tc.limit, len(want)-tc.offset); len(got) != n {
			t.Fatalf("offset %d: %d entries, want %d", tc.offset, len(got), n)
		}
		for i, a := range got {
			if wantID := want[len(want)-1-tc.offset-i]; a.ID != wantID || a.Kind != comments.ActionEditOwn {
				t.Errorf("offset %d, entry %d = %d (%s), want %d", tc.offset, i, a.ID, a.Kind, wantID)
			}
		}
	}
	if got, total, _ := db.Actions(ctx, comments.ActionBan, 0, 50); total != 0 || len(got) != 0 {
		t.Errorf("Actions(ban) = %d of %d, want none", len(got), total)
	}
	if _, total, _ := db.Actions(ctx, "", 0, 50); total != 3000 {
		t.Errorf("the whole log counts %d, want 3000", total)
	}
}

// TestTheIndexOfTheLogIsRebuiltOnUpgrade: a schema version 3 file has the
// log but no index by kind; Check says so, and Open builds it.
func TestTheIndexOfTheLogIsRebuiltOnUpgrade(t *testing.T) {
	ctx := context.Background()
	db := openUnchecked(t)
	ids := logActions(t, db, 30, comments.ActionBan, comments.ActionApprove, comments.ActionEditOwn)
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketActionKinds, bucketActionCounts} {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("3"))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(ctx, db.Path())
	if err != nil {
		t.Fatalf("opening a version 3 database: %v", err)
	}
	defer db.Close()
	mustCheck(t, db)
	got, total, err := db.Actions(ctx, comments.ActionBan, 0, 100)
	if err != nil || total != 10 || len(got) != 10 || got[0].ID != ids[comments.ActionBan][9] {
		t.Errorf("Actions(ban) after the upgrade = %d of %d, %v", len(got), total, err)
	}
}

func TestCheckFindsTheIndexOfTheLogWrong(t *testing.T) {
	fill := func(t *testing.T, db *DB) { logActions(t, db, 6, comments.ActionBan, comments.ActionSpam) }
	for name, tc := range map[string]struct {
		corrupt func(b buckets) error
		want    string
	}{
		"entry missing": {func(b buckets) error { return b.bucket(bucketActionKinds).Delete(actionKindKey(comments.ActionBan, 1)) },
			`action_kinds: no entry "ban\x00`},
		"stale entry": {func(b buckets) error {
			return b.bucket(bucketActionKinds).Put(actionKindKey(comments.ActionBan, 99), nil)
		},
			"which no audit log entry accounts for"},
		"count wrong": {func(b buckets) error { return b.bucket(bucketActionCounts).Put([]byte("spam"), countValue(4)) },
			`action_counts: kind "spam" has count 4, but 3 audit log entries`},
		"count missing": {func(b buckets) error { return b.bucket(bucketActionCounts).Delete([]byte("ban")) },
			`action_counts: no count for kind "ban", which has 3 audit log entries`},
	} {
		t.Run(name, func(t *testing.T) { checkCatches(t, fill, tc.corrupt, tc.want) })
	}
}
