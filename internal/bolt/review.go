package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/authoring"
	"milepost/internal/comments"
	"milepost/internal/content"
)

// The editors' review of posts (schema version 8), a record of its own:
//
//	post_reviews  post slug → authoring.Review as JSON, where the post
//	              stands in review (awaiting, or returned with a note)
//
// Every change to it appends the moderation log entry that records it in
// the same transaction.
var bucketReviews = []byte("post_reviews")

// Review returns the slug's review record.
func (db *DB) Review(ctx context.Context, slug string) (authoring.Review, error) {
	var r authoring.Review
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketReviews).Get([]byte(slug))
		if v == nil {
			return authoring.ErrNotFound
		}
		var err error
		r, err = decodeReview([]byte(slug), v)
		return err
	})
	if err != nil {
		return authoring.Review{}, fmt.Errorf("reading the review of post %s: %w", slug, err)
	}
	return r, nil
}

// Reviews lists every review record, oldest submission first.
func (db *DB) Reviews(ctx context.Context) ([]authoring.Review, error) {
	var out []authoring.Review
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketReviews).ForEach(func(k, v []byte) error {
			r, err := decodeReview(k, v)
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing the posts in review: %w", err)
	}
	// A queue holds a few posts: sorting them here is cheaper than an
	// index by time that every write would have to keep.
	sort.SliceStable(out, func(i, j int) bool { return out[i].SubmittedAt.Before(out[j].SubmittedAt) })
	return out, nil
}

// PutReview keeps r as its slug's record and logs logged, in one
// transaction.
func (db *DB) PutReview(ctx context.Context, r authoring.Review, logged comments.Action) error {
	if problem := reviewProblem(r); problem != "" {
		return fmt.Errorf("keeping the review of post %q: %s", r.Slug, problem)
	}
	if logged.Kind == "" {
		return fmt.Errorf("keeping the review of post %s: no log entry for it", r.Slug)
	}
	v, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("keeping the review of post %s: %w", r.Slug, err)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		if err := tx.Bucket(bucketReviews).Put([]byte(r.Slug), v); err != nil {
			return err
		}
		return appendAction(bucketsOf(tx), &logged)
	})
	if err != nil {
		return fmt.Errorf("keeping the review of post %s: %w", r.Slug, err)
	}
	return nil
}

// EndReview forgets the slug's record, if any, and logs logged when there
// was one and it has a Kind, in one transaction.
func (db *DB) EndReview(ctx context.Context, slug string, logged comments.Action) (bool, error) {
	var had bool
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		reviews := tx.Bucket(bucketReviews)
		if reviews.Get([]byte(slug)) == nil {
			return nil
		}
		had = true
		if err := reviews.Delete([]byte(slug)); err != nil {
			return err
		}
		if logged.Kind == "" {
			return nil
		}
		return appendAction(bucketsOf(tx), &logged)
	})
	if err != nil {
		return false, fmt.Errorf("ending the review of post %s: %w", slug, err)
	}
	return had, nil
}

func decodeReview(k, v []byte) (authoring.Review, error) {
	var r authoring.Review
	if err := json.Unmarshal(v, &r); err != nil {
		return authoring.Review{}, fmt.Errorf("decoding the review of %q: %w", k, err)
	}
	return r, nil
}

// reviewProblem says what is wrong with a review record, or "".
func reviewProblem(r authoring.Review) string {
	switch {
	case !content.ValidSlug(r.Slug):
		return "not a valid slug"
	case !r.State.Valid():
		return fmt.Sprintf("unknown state %q", r.State)
	case r.SubmittedBy == "" || r.SubmittedAt.IsZero():
		return "no submission (who and when)"
	case r.State == authoring.ReviewReturned && (r.Note == "" || r.ReturnedBy == "" || r.ReturnedAt.IsZero()):
		return "returned without a note, who or when"
	case r.State == authoring.ReviewAwaiting && (r.Note != "" || r.ReturnedBy != "" || !r.ReturnedAt.IsZero()):
		return "awaiting review with a return's note"
	}
	return ""
}

// checkReviews is Check's part for post_reviews: every record readable,
// under its own slug, and whole for its state.
func checkReviews(tx *bbolt.Tx, report func(string, ...any)) error {
	return tx.Bucket(bucketReviews).ForEach(func(k, v []byte) error {
		r, err := decodeReview(k, v)
		if err != nil {
			report("%s: %v", bucketReviews, err)
			return nil
		}
		if r.Slug != string(k) {
			report("%s: key %q holds the review of %q", bucketReviews, k, r.Slug)
		}
		if problem := reviewProblem(r); problem != "" {
			report("%s: the review of %q: %s", bucketReviews, k, problem)
		}
		return nil
	})
}
