package bolt

import (
	"context"
	"fmt"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

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
		return b.bucket(bucketFedPostReactions).Delete([]byte("run\x00like\x00https://a.example/u"))
	}, "is not its account's entry in fed_post_reactions")
	checkCatches(t, fillFederation, func(b buckets) error {
		return b.bucket(bucketFedPostReactions).Put([]byte("run\x00like\x00https://b.example/u"), []byte("https://a.example/like/1"))
	}, "names no reaction of its account")
	checkCatches(t, fillFederation, func(b buckets) error {
		return b.bucket(bucketFedSeen).Delete([]byte("https://a.example/2"))
	}, "names no seen activity")
}

func like(id, actor string) federation.Reaction {
	return federation.Reaction{Activity: id, Post: "run", Kind: federation.ReactionLike, Actor: actor}
}

// TestReactionsCountEachAccountOnce: an account sending five Likes of a
// post, each with its own id, counts once; another account once more; a
// boost is counted apart. Only the account that made a reaction removes
// it, and the latest Like of an account is the one its Undo names.
func TestReactionsCountEachAccountOnce(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	for i := range 5 {
		if err := db.AddReaction(ctx, like(fmt.Sprintf("https://a.example/like/%d", i), "https://a.example/u")); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AddReaction(ctx, like("https://b.example/like/1", "https://b.example/u")); err != nil {
		t.Fatal(err)
	}
	boost := like("https://a.example/boost/1", "https://a.example/u")
	boost.Kind = federation.ReactionAnnounce
	if err := db.AddReaction(ctx, boost); err != nil {
		t.Fatal(err)
	}
	if n, err := db.Reactions(ctx, "run"); err != nil || n[federation.ReactionLike] != 2 || n[federation.ReactionAnnounce] != 1 {
		t.Fatalf("Reactions = %v, %v; want 2 likes (one per account) and 1 boost", n, err)
	}
	if _, ok, err := db.RemoveReaction(ctx, federation.Reaction{Activity: "https://a.example/like/4", Actor: "https://b.example/u"}); err != nil || ok {
		t.Errorf("another account removed a's like: %v, %v", ok, err)
	}
	if _, ok, err := db.RemoveReaction(ctx, federation.Reaction{Activity: "https://a.example/like/4", Actor: "https://a.example/u"}); err != nil || !ok {
		t.Errorf("a's own Undo of its latest like: %v, %v", ok, err)
	}
	if n, _ := db.Reactions(ctx, "run"); n[federation.ReactionLike] != 1 {
		t.Errorf("likes after a's Undo = %d, want 1", n[federation.ReactionLike])
	}
	mustCheck(t, db)
}

// TestUpgradeFromSchemaVersion10CountsReactionsByAccount: a version 10
// file indexed reactions by activity id, and one account's three Likes
// counted three; opened, the index is by account, one Like is kept, and
// Check passes. A reaction that cannot be read is dropped rather than
// keeping the file from opening. The account's Undo of any of its likes,
// carrying the Like as Mastodon's does, takes back the one kept.
func TestUpgradeFromSchemaVersion10CountsReactionsByAccount(t *testing.T) {
	ctx := context.Background()
	path := olderDatabase(t, 10, func(db *DB) {})
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(func(tx *bbolt.Tx) error {
		for _, r := range []federation.Reaction{
			like("https://a.example/like/1", "https://a.example/u"),
			like("https://a.example/like/2", "https://a.example/u"),
			like("https://a.example/like/3", "https://a.example/u"),
			like("https://b.example/like/1", "https://b.example/u"),
		} {
			if err := putJSON(tx.Bucket(bucketFedReactions), []byte(r.Activity), r); err != nil {
				return err
			}
			// Version 10's index key: post, kind, activity id.
			if err := tx.Bucket(bucketFedPostReactions).Put([]byte(r.Post+"\x00"+r.Kind+"\x00"+r.Activity), nil); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketFedReactions).Put([]byte("https://c.example/like/1"), []byte("{damaged"))
	}); err != nil {
		t.Fatal(err)
	}
	raw.Close()
	wantUpgraded(t, path, func(i int, db *DB) {
		if n, err := db.Reactions(ctx, "run"); err != nil || n[federation.ReactionLike] != 2 {
			t.Errorf("opening %d: Reactions = %v, %v; want 2 likes, one per account", i, n, err)
		}
	})
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	undo := federation.Reaction{Activity: "https://a.example/like/1", Actor: "https://a.example/u",
		Post: "run", Kind: federation.ReactionLike}
	if _, ok, err := db.RemoveReaction(ctx, undo); err != nil || !ok {
		t.Errorf("a's Undo of its first like, carrying the Like: %v, %v", ok, err)
	}
	if n, _ := db.Reactions(ctx, "run"); n[federation.ReactionLike] != 1 {
		t.Errorf("likes after a's Undo = %d, want b's alone", n[federation.ReactionLike])
	}
	mustCheck(t, db)
}

// TestArticleActorKeepsItsRound: who announced a post and its round round
// trip; a name alone, as written before rounds were kept, reads as round 0.
func TestArticleActorKeepsItsRound(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketFedArticleActors).Put([]byte("old"), []byte("kay"))
	}); err != nil {
		t.Fatal(err)
	}
	if actor, round, ok, err := db.ArticleActor(ctx, "old"); err != nil || !ok || actor != "kay" || round != 0 {
		t.Errorf("a name alone: %q, %d, %v, %v; want kay, round 0", actor, round, ok, err)
	}
	if err := db.SetArticleActor(ctx, "new", "site", 3); err != nil {
		t.Fatal(err)
	}
	if actor, round, ok, err := db.ArticleActor(ctx, "new"); err != nil || !ok || actor != "site" || round != 3 {
		t.Errorf("site in round 3: %q, %d, %v, %v", actor, round, ok, err)
	}
	if _, _, ok, err := db.ArticleActor(ctx, "none"); err != nil || ok {
		t.Errorf("a post never announced: %v, %v", ok, err)
	}
}
