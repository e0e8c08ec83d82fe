package bolt

import (
	"context"
	"testing"
	"time"

	"milepost/internal/federation"
)

func fillFederation(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	for i, id := range []string{"https://a.example/1", "https://a.example/2"} {
		fresh, err := db.Seen(ctx, id, now.Add(time.Duration(i)*time.Hour), now.Add(-time.Hour))
		if err != nil || !fresh {
			t.Fatalf("Seen(%s) = %v, %v", id, fresh, err)
		}
	}
	if again, err := db.Seen(ctx, "https://a.example/1", now, now.Add(-time.Hour)); err != nil || again {
		t.Fatalf("Seen twice = %v, %v", again, err)
	}
	for _, r := range []federation.Reaction{
		{Activity: "https://a.example/like/1", Post: "run", Kind: federation.ReactionLike, Actor: "https://a.example/u"},
		{Activity: "https://a.example/boost/1", Post: "run", Kind: federation.ReactionAnnounce, Actor: "https://a.example/u"},
		{Activity: "https://a.example/like/1", Post: "run", Kind: federation.ReactionLike, Actor: "https://a.example/u"},
	} {
		if err := db.AddReaction(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.Reactions(ctx, "run"); err != nil || n[federation.ReactionLike] != 1 || n[federation.ReactionAnnounce] != 1 {
		t.Fatalf("Reactions = %v, %v", n, err)
	}
}

func TestFederationSeenForgetsOldIDs(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	if _, err := db.Seen(ctx, "old", t0, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Seen again long after: forgotten, so new once more.
	if fresh, err := db.Seen(ctx, "new", t0.Add(48*time.Hour), t0.Add(24*time.Hour)); err != nil || !fresh {
		t.Fatal(fresh, err)
	}
	if fresh, err := db.Seen(ctx, "old", t0.Add(48*time.Hour), t0.Add(24*time.Hour)); err != nil || !fresh {
		t.Errorf("an id older than the window was not forgotten: %v %v", fresh, err)
	}
	if err := db.Unsee(ctx, "new"); err != nil {
		t.Fatal(err)
	}
	if fresh, err := db.Seen(ctx, "new", t0.Add(48*time.Hour), t0.Add(24*time.Hour)); err != nil || !fresh {
		t.Errorf("an id unseen is not new again: %v %v", fresh, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestCheckCatchesFederationIndexes(t *testing.T) {
	checkCatches(t, fillFederation, func(b buckets) error {
		return b.bucket(bucketFedPostReactions).Delete([]byte("run\x00like\x00https://a.example/like/1"))
	}, "has no entry in fed_post_reactions")
	checkCatches(t, fillFederation, func(b buckets) error {
		return b.bucket(bucketFedSeen).Delete([]byte("https://a.example/2"))
	}, "names no seen activity")
}
