package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"testing"
	"time"

	"milepost/internal/authoring"
	"milepost/internal/comments"
)

func awaitingReview(slug string, minutes int) authoring.Review {
	return authoring.Review{Slug: slug, State: authoring.ReviewAwaiting, SubmittedBy: "cora",
		SubmittedAt: t0.Add(time.Duration(minutes) * time.Minute)}
}

func reviewLogged(kind comments.ActionKind, slug string) comments.Action {
	return comments.Action{At: t0, By: "cora", Kind: kind, Target: "post " + slug, Post: slug}
}

func TestReviewsAreKeptWithTheirLogEntry(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if _, err := db.Review(ctx, "easy-run"); !errors.Is(err, authoring.ErrNotFound) {
		t.Fatalf("Review of a post in none = %v, want ErrNotFound", err)
	}
	// Submitted later, listed later: the queue is first come, first read.
	for i, slug := range []string{"tempo", "easy-run"} {
		if err := db.PutReview(ctx, awaitingReview(slug, 10-i), reviewLogged(comments.ActionReviewSubmit, slug)); err != nil {
			t.Fatalf("PutReview(%s): %v", slug, err)
		}
	}
	rs, err := db.Reviews(ctx)
	if err != nil || len(rs) != 2 || rs[0].Slug != "easy-run" || rs[1].Slug != "tempo" {
		t.Fatalf("Reviews = %+v, %v; want easy-run then tempo", rs, err)
	}
	returned := awaitingReview("tempo", 10)
	returned.State, returned.Note, returned.ReturnedBy, returned.ReturnedAt = authoring.ReviewReturned, "Splits?", "eddie", t0.Add(time.Hour)
	if err := db.PutReview(ctx, returned, reviewLogged(comments.ActionReviewReturn, "tempo")); err != nil {
		t.Fatalf("PutReview(returned): %v", err)
	}
	if got, err := db.Review(ctx, "tempo"); err != nil || got.Note != "Splits?" || got.State != authoring.ReviewReturned {
		t.Errorf("Review(tempo) = %+v, %v", got, err)
	}
	if had, err := db.EndReview(ctx, "easy-run", reviewLogged(comments.ActionReviewPublish, "easy-run")); err != nil || !had {
		t.Errorf("EndReview(easy-run) = %v, %v", had, err)
	}
	if had, err := db.EndReview(ctx, "easy-run", reviewLogged(comments.ActionReviewPublish, "easy-run")); err != nil || had {
		t.Errorf("ending a review twice = %v, %v; want false and nothing logged", had, err)
	}
	if had, err := db.EndReview(ctx, "tempo", comments.Action{}); err != nil || !had {
		t.Errorf("EndReview(tempo) with no entry = %v, %v", had, err)
	}
	for kind, want := range map[comments.ActionKind]int{
		comments.ActionReviewSubmit: 2, comments.ActionReviewReturn: 1, comments.ActionReviewPublish: 1,
	} {
		if _, n, err := db.Actions(ctx, kind, 0, 10); err != nil || n != want {
			t.Errorf("%s: %d log entries, %v; want %d", kind, n, err, want)
		}
	}
	if rs, err := db.Reviews(ctx); err != nil || len(rs) != 0 {
		t.Errorf("Reviews after both ended = %+v, %v", rs, err)
	}
}

func TestPutReviewRefusesBadRecordsAndLogsNothing(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	noNote := awaitingReview("tempo", 1)
	noNote.State = authoring.ReviewReturned
	for name, r := range map[string]authoring.Review{
		"a slug that climbs":      awaitingReview("../etc", 1),
		"an unknown state":        {Slug: "tempo", State: "approved", SubmittedBy: "cora", SubmittedAt: t0},
		"no submitter":            {Slug: "tempo", State: authoring.ReviewAwaiting, SubmittedAt: t0},
		"returned without a note": noNote,
	} {
		if err := db.PutReview(ctx, r, reviewLogged(comments.ActionReviewSubmit, r.Slug)); err == nil {
			t.Errorf("%s: PutReview succeeded", name)
		}
	}
	if err := db.PutReview(ctx, awaitingReview("tempo", 1), comments.Action{}); err == nil {
		t.Error("PutReview without a log entry succeeded")
	}
	if _, n, _ := db.Actions(ctx, "", 0, 10); n != 0 {
		t.Errorf("refused reviews logged %d entries", n)
	}
}

func TestUpgradeFromVersion7AddsReviews(t *testing.T) {
	ctx := context.Background()
	var c comments.Comment
	path := olderDatabase(t, 7, func(db *DB) { c = add(t, db, newComment("massage-during-training", 1)) }, bucketReviews)
	wantUpgraded(t, path, func(i int, db *DB) {
		slug := "post-" + strconv.Itoa(i)
		if err := db.PutReview(ctx, awaitingReview(slug, 1), reviewLogged(comments.ActionReviewSubmit, slug)); err != nil {
			t.Errorf("PutReview after the upgrade: %v", err)
		}
		if got, err := db.Get(ctx, c.ID); err != nil || got.Body != c.Body {
			t.Errorf("the comment after the upgrade: %+v, %v", got, err)
		}
	})
}

func TestCheckFindsBadReviews(t *testing.T) {
	fill := func(t *testing.T, db *DB) {
		if err := db.PutReview(context.Background(), awaitingReview("tempo", 1), reviewLogged(comments.ActionReviewSubmit, "tempo")); err != nil {
			t.Fatal(err)
		}
	}
	rewrite := func(edit func(*authoring.Review)) func(buckets) error {
		return func(b buckets) error {
			reviews := b.tx.Bucket(bucketReviews)
			var r authoring.Review
			if err := json.Unmarshal(reviews.Get([]byte("tempo")), &r); err != nil {
				return err
			}
			edit(&r)
			v, _ := json.Marshal(r)
			return reviews.Put([]byte("tempo"), v)
		}
	}
	for name, tc := range map[string]struct {
		corrupt func(buckets) error
		want    string
	}{
		"a review under another slug": {rewrite(func(r *authoring.Review) { r.Slug = "other" }), `holds the review of "other"`},
		"an unknown state":            {rewrite(func(r *authoring.Review) { r.State = "lost" }), `unknown state "lost"`},
		"returned without a note":     {rewrite(func(r *authoring.Review) { r.State = authoring.ReviewReturned }), "returned without a note"},
		"awaiting with a note":        {rewrite(func(r *authoring.Review) { r.Note = "old" }), "awaiting review with a return's note"},
		"an unreadable review": {func(b buckets) error {
			return b.tx.Bucket(bucketReviews).Put([]byte("x"), []byte("{"))
		}, "post_reviews: decoding"},
		"a key that is no slug": {func(b buckets) error {
			v, _ := json.Marshal(awaitingReview("../x", 1))
			return b.tx.Bucket(bucketReviews).Put([]byte("../x"), v)
		}, "not a valid slug"},
	} {
		t.Run(name, func(t *testing.T) { checkCatches(t, fill, tc.corrupt, tc.want) })
	}
}

// logged is a log entry of a step taken on the post easy-run.
func logged(kind comments.ActionKind) comments.Action {
	return comments.Action{At: t0, By: "kay", Kind: kind, Target: "post easy-run", Post: "easy-run"}
}

// TestPostStepsAreLoggedWithTheirRecords: a revision, a trash record and
// its removal each write their log entry in their own transaction; a
// refused record logs nothing, and an entry with no kind is refused.
func TestPostStepsAreLoggedWithTheirRecords(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if _, err := db.AddRevision(ctx, revisionOf("../x", "bad", 1), logged(comments.ActionPostSave)); err == nil {
		t.Fatal("AddRevision took the slug ../x")
	}
	if _, err := db.AddRevision(ctx, revisionOf("easy-run", "old", 1), comments.Action{}); err == nil {
		t.Error("AddRevision without a log entry succeeded")
	}
	if err := db.LogPostAction(ctx, comments.Action{Post: "easy-run"}); err == nil {
		t.Error("LogPostAction without a kind succeeded")
	}
	if _, n, _ := db.Actions(ctx, "", 0, 10); n != 0 {
		t.Fatalf("refused steps logged %d entries", n)
	}
	if err := db.LogPostAction(ctx, logged(comments.ActionPostCreate)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddRevision(ctx, revisionOf("easy-run", "old", 1), logged(comments.ActionPostPublish)); err != nil {
		t.Fatal(err)
	}
	id, err := db.AddTrashed(ctx, authoring.Trashed{Slug: "easy-run", File: "posts/easy-run.md", Dir: "easy-run-1-2", At: t0}, logged(comments.ActionPostDelete))
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveTrashed(ctx, id, logged(comments.ActionPostRestore)); err != nil {
		t.Fatal(err)
	}
	if err := db.RemoveTrashed(ctx, id, logged(comments.ActionPostRestore)); !errors.Is(err, authoring.ErrNotFound) {
		t.Fatalf("RemoveTrashed twice = %v", err)
	}
	all, n, err := db.Actions(ctx, "", 0, 10)
	if err != nil || n != 4 {
		t.Fatalf("the log: %d entries, %v; want 4 (the refused restore not logged)", n, err)
	}
	for i, want := range []comments.ActionKind{comments.ActionPostRestore, comments.ActionPostDelete, comments.ActionPostPublish, comments.ActionPostCreate} {
		if all[i].Kind != want || all[i].Post != "easy-run" {
			t.Errorf("entry %d (newest first): %+v, want %s", i, all[i], want)
		}
	}
}
