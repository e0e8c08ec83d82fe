package bolt

import (
	"context"
	"testing"

	"milepost/internal/authoring"
	"milepost/internal/comments"
)

func keptVersion(slug string, published bool) authoring.Revision {
	text := []byte("---\ntitle: T\n---\n")
	return authoring.Revision{Slug: slug, File: "posts/" + slug + "/index.md", By: "kay", At: t0,
		Content: text, Version: authoring.VersionOf(text), Published: published}
}

func TestAVersionThatWasOutIsNotedInItsTransaction(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	want := func(slug string, published, known bool) {
		t.Helper()
		p, k, err := db.EverPublished(ctx, slug)
		if err != nil || p != published || k != known {
			t.Errorf("EverPublished(%s) = %v, %v, %v; want %v, %v", slug, p, k, err, published, known)
		}
	}
	if _, err := db.AddRevision(ctx, keptVersion("hills", false), logged(comments.ActionPostSave)); err != nil {
		t.Fatal(err)
	}
	want("hills", false, false) // a draft's version says nothing: older ones may have been out
	if err := db.NotePublished(ctx, "hills", false); err != nil {
		t.Fatal(err)
	}
	want("hills", false, true)
	if _, err := db.AddRevision(ctx, keptVersion("hills", true), logged(comments.ActionPostUnpublish)); err != nil {
		t.Fatal(err)
	}
	want("hills", true, true)
	if err := db.NotePublished(ctx, "hills", false); err != nil { // read before that version was kept
		t.Fatal(err)
	}
	want("hills", true, true)
	if err := db.RenamePost(ctx, "tempo", "tempo-run", keptVersion("tempo-run", true), comments.Action{}); err != nil {
		t.Fatal(err)
	}
	want("tempo-run", true, true)
}

func TestAMoveEndsWithTheRecordsUnderTheSlugGiven(t *testing.T) {
	ctx := context.Background()
	m := authoring.Move{From: "hills", To: "hill-reps", FromPath: "posts/hills", ToPath: "posts/hill-reps"}
	for _, c := range []struct {
		what    string
		renamed bool
		at      string
	}{
		{"not moved, ended where it was", false, "hills"},
		{"not moved, ended at the new slug", false, "hill-reps"},
		{"moved, ended back where it was", true, "hills"},
		{"moved, ended at the new slug", true, "hill-reps"},
	} {
		t.Run(c.what, func(t *testing.T) {
			db, _ := openTest(t)
			if _, err := db.AddRevision(ctx, keptVersion("hills", false), logged(comments.ActionPostSave)); err != nil {
				t.Fatal(err)
			}
			if err := db.PutReview(ctx, awaitingReview("hills", 1), reviewLogged(comments.ActionReviewSubmit, "hills")); err != nil {
				t.Fatal(err)
			}
			if err := db.BeginMove(ctx, m); err != nil {
				t.Fatal(err)
			}
			if err := db.BeginMove(ctx, m); err == nil {
				t.Error("a second move of the same post began")
			}
			if c.renamed {
				if err := db.RenamePost(ctx, m.From, m.To, keptVersion(m.To, false), logged(comments.ActionPostSave)); err != nil {
					t.Fatal(err)
				}
			}
			if moves, err := db.PendingMoves(ctx); err != nil || len(moves) != 1 || moves[0] != m {
				t.Fatalf("PendingMoves = %v, %v", moves, err)
			}
			if err := db.EndMove(ctx, m, c.at); err != nil {
				t.Fatal(err)
			}
			other := map[string]string{"hills": "hill-reps", "hill-reps": "hills"}[c.at]
			if revs, _ := db.Revisions(ctx, c.at); len(revs) == 0 {
				t.Errorf("no history under %s", c.at)
			}
			if _, err := db.Review(ctx, c.at); err != nil {
				t.Errorf("the review under %s: %v", c.at, err)
			}
			if used, _ := db.SlugUsed(ctx, other); used {
				t.Errorf("records left under %s", other)
			}
			if moves, _ := db.PendingMoves(ctx); len(moves) != 0 {
				t.Errorf("still under way: %v", moves)
			}
			if err := db.EndMove(ctx, m, c.at); err == nil {
				t.Error("a move ended twice")
			}
		})
	}
}

func TestUpgradeFromVersion8AddsMovesAndThePublishedFact(t *testing.T) {
	ctx := context.Background()
	path := olderDatabase(t, 8, func(db *DB) {
		if _, err := db.AddRevision(ctx, keptVersion("hills", false), logged(comments.ActionPostSave)); err != nil {
			t.Fatal(err)
		}
	}, bucketMoves, bucketPublished)
	wantUpgraded(t, path, func(_ int, db *DB) {
		if p, known, err := db.EverPublished(ctx, "hills"); err != nil || p || known {
			t.Errorf("a history kept before the fact: %v, %v, %v; want it unknown", p, known, err)
		}
		if moves, err := db.PendingMoves(ctx); err != nil || len(moves) != 0 {
			t.Errorf("PendingMoves = %v, %v", moves, err)
		}
	})
}

func TestCheckFindsBadMovesAndPublishedFacts(t *testing.T) {
	fill := func(t *testing.T, db *DB) {
		if _, err := db.AddRevision(context.Background(), keptVersion("tempo", true), logged(comments.ActionPostUnpublish)); err != nil {
			t.Fatal(err)
		}
	}
	for name, tc := range map[string]struct {
		corrupt func(buckets) error
		want    string
	}{
		"a version out with no fact": {func(b buckets) error {
			return b.tx.Bucket(bucketPublished).Delete([]byte("tempo"))
		}, `version 1 of "tempo" was out`},
		"a fact said never": {func(b buckets) error {
			return b.tx.Bucket(bucketPublished).Put([]byte("tempo"), publishedNo)
		}, `version 1 of "tempo" was out`},
		"a fact neither 1 nor 0": {func(b buckets) error {
			return b.tx.Bucket(bucketPublished).Put([]byte("x"), []byte("yes"))
		}, `post_published: "x" holds "yes"`},
		"an unreadable move": {func(b buckets) error {
			return b.tx.Bucket(bucketMoves).Put([]byte("x"), []byte("{"))
		}, "post_moves: decoding"},
		"a move under another slug": {func(b buckets) error {
			return b.tx.Bucket(bucketMoves).Put([]byte("x"), []byte(`{"From":"y","To":"z"}`))
		}, `key "x" holds the move of "y" to "z"`},
	} {
		t.Run(name, func(t *testing.T) { checkCatches(t, fill, tc.corrupt, tc.want) })
	}
}
