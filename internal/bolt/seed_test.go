package bolt

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// seedFile is a hand-written seed, as a site ships it: IDs with gaps, a
// reply listed before its parent, no depths, no HTML.
const seedFile = `{
  "version": 1,
  "comments": [
    {"id": 12, "post": "massage-during-training", "parent": 10, "body": "A reply, listed first.", "created": "2011-10-04T10:00:00-07:00"},
    {"id": 10, "post": "massage-during-training", "body": "Good **luck**!", "status": "approved", "created": "2011-10-04T09:12:00-07:00"},
    {"id": 3, "post": "first-marathon", "body": "Held back.", "status": "pending", "created": "2011-09-01T08:00:00-07:00"},
    {"id": 13, "post": "massage-during-training", "parent": 12, "body": "Deeper.", "created": "2011-10-04T11:00:00-07:00"}
  ]
}`

func readSeed(t *testing.T) []comments.Comment {
	t.Helper()
	e, err := comments.ReadExport(strings.NewReader(seedFile))
	if err != nil {
		t.Fatal(err)
	}
	return e.Comments
}

func TestSeedOnce(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	seed := readSeed(t)

	seeded, err := db.Seed(ctx, seed)
	if err != nil || !seeded {
		t.Fatalf("first Seed = %v, %v; want true, nil", seeded, err)
	}
	mustCheck(t, db)
	if got := readMetaOpen(t, db, keySeeded); got == "" {
		t.Error("meta has no seeded key")
	} else if _, err := time.Parse(time.RFC3339, got); err != nil {
		t.Errorf("seeded = %q: %v", got, err)
	}

	got, err := db.ByPost(ctx, "massage-during-training")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{10, 12, 13}, ids(got)); diff != "" {
		t.Errorf("seeded IDs (-want +got):\n%s", diff)
	}
	for i, want := range []int{0, 1, 2} {
		if got[i].Depth != want {
			t.Errorf("comment %d depth %d, want %d", got[i].ID, got[i].Depth, want)
		}
	}
	if !strings.Contains(got[0].HTML, "<strong>luck</strong>") {
		t.Errorf("seeded HTML = %q", got[0].HTML)
	}
	counts, _ := db.Counts(ctx)
	if diff := cmp.Diff(map[string]int{"massage-during-training": 3}, counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}

	// A moderator deletes a seed comment; the next start seeds again, and
	// must not bring it back.
	if err := db.Delete(ctx, 10); err != nil {
		t.Fatal(err)
	}
	seeded, err = db.Seed(ctx, seed)
	if err != nil || seeded {
		t.Fatalf("second Seed = %v, %v; want false, nil", seeded, err)
	}
	if _, err := db.Get(ctx, 10); !errors.Is(err, comments.ErrNotFound) {
		t.Errorf("deleted seed comment came back: %v", err)
	}
	mustCheck(t, db)

	// New comments get IDs above every seeded one.
	if c := add(t, db, newComment("massage-during-training", 60)); c.ID != 14 {
		t.Errorf("first ID after seeding = %d, want 14", c.ID)
	}
}

func TestSeedAfterCommentsExist(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	for range 20 {
		add(t, db, newComment("p", 0)) // IDs 1..20: the sequence is past the seeds
	}
	seeded, err := db.Seed(ctx, []comments.Comment{
		{ID: 0, Post: "s", Body: "no ID: gets a fresh one", Status: comments.StatusApproved, Created: t0},
		{ID: 30, Post: "s", Body: "kept", Status: comments.StatusApproved, Created: t0},
	})
	if err != nil || !seeded {
		t.Fatalf("Seed = %v, %v", seeded, err)
	}
	got, _ := db.ByPost(ctx, "s")
	if diff := cmp.Diff([]uint64{30, 31}, ids(got)); diff != "" {
		t.Errorf("IDs (-want +got):\n%s", diff)
	}
	if c := add(t, db, newComment("p", 0)); c.ID != 32 {
		t.Errorf("next ID = %d, want 32", c.ID)
	}
	mustCheck(t, db)
}

func TestSeedReplyToStoredComment(t *testing.T) {
	db, _ := openTest(t)
	root := add(t, db, newComment("p", 0))
	if _, err := db.Seed(context.Background(), []comments.Comment{
		{ID: 50, Post: "p", Parent: root.ID, Body: "reply", Status: comments.StatusApproved, Created: t0},
	}); err != nil {
		t.Fatal(err)
	}
	c, err := db.Get(context.Background(), 50)
	if err != nil || c.Depth != 1 {
		t.Errorf("Get(50) = %+v, %v; want depth 1", c, err)
	}
	mustCheck(t, db)
}

func TestBadSeedLeavesNothingBehind(t *testing.T) {
	ok := comments.Comment{ID: 1, Post: "p", Body: "fine", Status: comments.StatusApproved, Created: t0}
	cases := []struct {
		name string
		cs   []comments.Comment
		want string
		err  error
	}{
		{"unknown parent", []comments.Comment{ok, {ID: 2, Post: "p", Parent: 9, Body: "x", Created: t0}}, "parent 9", comments.ErrParent},
		{"parent on another post", []comments.Comment{ok, {ID: 2, Post: "q", Parent: 1, Body: "x", Created: t0}}, `another post ("p")`, comments.ErrParent},
		{"parent loop", []comments.Comment{{ID: 1, Post: "p", Parent: 2, Body: "x", Created: t0}, {ID: 2, Post: "p", Parent: 1, Body: "y", Created: t0}}, "loop", comments.ErrParent},
		{"own parent", []comments.Comment{{ID: 1, Post: "p", Parent: 1, Body: "x", Created: t0}}, "loop", comments.ErrParent},
		{"too deep", []comments.Comment{ok, {ID: 2, Post: "p", Parent: 1, Body: "x", Created: t0}, {ID: 3, Post: "p", Parent: 2, Body: "x", Created: t0},
			{ID: 4, Post: "p", Parent: 3, Body: "x", Created: t0}, {ID: 5, Post: "p", Parent: 4, Body: "x", Created: t0}, {ID: 6, Post: "p", Parent: 5, Body: "x", Created: t0}},
			"nest more than", comments.ErrParent},
		{"an address that is not one", []comments.Comment{ok, {ID: 2, Post: "p", Body: "x", Created: t0, IP: "999.1.1.1"}}, "not an IP address", nil},
		{"duplicate ID", []comments.Comment{ok, ok}, "the id is also comment 1's", nil},
		{"no post", []comments.Comment{ok, {ID: 2, Body: "x"}}, "post", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTest(t)
			ctx := context.Background()
			seeded, err := db.Seed(ctx, tc.cs)
			if err == nil || seeded {
				t.Fatalf("Seed = %v, %v; want an error", seeded, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not mention %q", err, tc.want)
			}
			if tc.err != nil && !errors.Is(err, tc.err) {
				t.Errorf("error %v does not match %v", err, tc.err)
			}
			if got, _ := db.ByPost(ctx, "p"); len(got) != 0 {
				t.Errorf("failed Seed stored %v", ids(got))
			}
			if readMetaOpen(t, db, keySeeded) != "" {
				t.Error("failed Seed marked the database as seeded")
			}
			mustCheck(t, db)
		})
	}
}

func TestSeedIDAlreadyStored(t *testing.T) {
	db, _ := openTest(t)
	add(t, db, newComment("p", 0))
	_, err := db.Seed(context.Background(), []comments.Comment{{ID: 1, Post: "p", Body: "x", Created: t0}})
	if err == nil || !strings.Contains(err.Error(), "already used") {
		t.Errorf("Seed = %v, want an already-used error", err)
	}
}

func readMetaOpen(t *testing.T, db *DB, key []byte) string {
	t.Helper()
	var v string
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(key))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}
