package authoring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"milepost/internal/comments"
	"milepost/internal/content"
)

// Review is where a post stands in the editors' review: a contributor
// submitted it (ReviewAwaiting), or an editor returned it with a note
// (ReviewReturned). A post with no Review is not in review; publishing a
// post awaiting review ends its review, and so does deleting it.
//
// Review state is not content: it is kept in the Store, not in the file,
// so a hand edit or a git pull never loses or fakes it.
type Review struct {
	Slug  string
	State ReviewState
	// SubmittedBy is the user who last submitted the post; SubmittedAt
	// when.
	SubmittedBy string
	SubmittedAt time.Time
	// Note is the editor's note of a returned post, for its writer;
	// ReturnedBy and ReturnedAt say who returned it and when. They are
	// empty while the post awaits review.
	Note       string
	ReturnedBy string
	ReturnedAt time.Time
}

// ReviewState is a post's place in review.
type ReviewState string

const (
	// ReviewAwaiting: in the editors' queue.
	ReviewAwaiting ReviewState = "awaiting"
	// ReviewReturned: an editor sent it back to its writer with a note.
	ReviewReturned ReviewState = "returned"
)

// Valid reports whether s is a state a Review may have.
func (s ReviewState) Valid() bool { return s == ReviewAwaiting || s == ReviewReturned }

// MaxReviewNote is the longest note an editor may return a post with, in
// characters: a note is advice, not a second post.
const MaxReviewNote = 4000

// Errors of the review. Match them with errors.Is.
var (
	// ErrNotAwaitingReview: an editor returned or approved a post that is
	// not in the queue (never submitted, already returned, or published).
	ErrNotAwaitingReview = errors.New("the post is not awaiting review")
	// ErrNoteRequired: a post is returned to its writer with a note saying
	// why, or the writer cannot tell what to change.
	ErrNoteRequired = errors.New("a returned post needs a note for its writer")
	// ErrNoteTooLong: the note is over MaxReviewNote characters.
	ErrNoteTooLong = fmt.Errorf("the note is over %d characters", MaxReviewNote)
)

// ReviewStore keeps the review records, one per slug. Every change comes
// with the moderation log entry that records it, written in the same
// transaction, so the log never misses a step nor tells of one that did
// not happen.
//
// Errors: Review returns one matching ErrNotFound for a slug with no record.
type ReviewStore interface {
	// Review returns the slug's record.
	Review(ctx context.Context, slug string) (Review, error)
	// Reviews lists every record, oldest submission first (the queue's
	// order: first come, first read).
	Reviews(ctx context.Context) ([]Review, error)
	// PutReview keeps r as the slug's record, replacing any, and logs
	// logged.
	PutReview(ctx context.Context, r Review, logged comments.Action) error
	// EndReview forgets the slug's record, if it has one, and logs logged
	// (unless its Kind is empty: the step that ended it is logged by
	// itself); it reports whether there was one. Without a record nothing
	// is logged.
	EndReview(ctx context.Context, slug string, logged comments.Action) (bool, error)
}

// SubmitForReview puts the slug's post in the editors' queue as by's
// submission. A returned post submitted again is back in the queue, its
// note answered and cleared. The post must exist: the writer saves the
// draft first.
func (s *Service) SubmitForReview(ctx context.Context, slug, by string) (Review, error) {
	if err := s.reviewable(ctx, slug); err != nil {
		return Review{}, fmt.Errorf("submitting %q for review: %w", slug, err)
	}
	unlock := s.locks.lock(slug)
	defer unlock()
	now := s.now()
	r := Review{Slug: slug, State: ReviewAwaiting, SubmittedBy: by, SubmittedAt: now}
	logged := postAction(comments.ActionReviewSubmit, slug, by, now, "")
	if err := s.store.PutReview(ctx, r, logged); err != nil {
		return Review{}, fmt.Errorf("submitting %q for review: %w", slug, err)
	}
	s.log.Info("post submitted for review", "slug", slug, "by", by)
	return r, nil
}

// ReturnForReview sends a post awaiting review back to its writer with
// note, as by (an editor). It stays a draft; the writer sees the note
// until they submit it again.
func (s *Service) ReturnForReview(ctx context.Context, slug, note, by string) (Review, error) {
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return Review{}, fmt.Errorf("returning %q to its writer: %w", slug, ErrNoteRequired)
	case utf8.RuneCountInString(note) > MaxReviewNote:
		return Review{}, fmt.Errorf("returning %q to its writer: %w", slug, ErrNoteTooLong)
	case !utf8.ValidString(note):
		return Review{}, fmt.Errorf("returning %q to its writer: the note is not UTF-8 text", slug)
	}
	if err := s.reviewable(ctx, slug); err != nil {
		return Review{}, fmt.Errorf("returning %q to its writer: %w", slug, err)
	}
	unlock := s.locks.lock(slug)
	defer unlock()
	r, err := s.awaiting(ctx, slug)
	if err != nil {
		return Review{}, fmt.Errorf("returning %q to its writer: %w", slug, err)
	}
	now := s.now()
	r.State, r.Note, r.ReturnedBy, r.ReturnedAt = ReviewReturned, note, by, now
	logged := postAction(comments.ActionReviewReturn, slug, by, now, note)
	if err := s.store.PutReview(ctx, r, logged); err != nil {
		return Review{}, fmt.Errorf("returning %q to its writer: %w", slug, err)
	}
	s.log.Info("post returned to its writer", "slug", slug, "by", by)
	return r, nil
}

// ApproveReview ends the review of a post that by (an editor) has just
// published: call it after the Save that published it. A returned post
// published all the same is approved too: its note is answered. The log
// says who approved whose submission. ErrNotAwaitingReview: the post is in
// no review.
func (s *Service) ApproveReview(ctx context.Context, slug, by string) error {
	if !content.ValidSlug(slug) {
		return fmt.Errorf("approving %q: %w", slug, ErrInvalidSlug)
	}
	unlock := s.locks.lock(slug)
	defer unlock()
	r, err := s.store.Review(ctx, slug)
	if errors.Is(err, ErrNotFound) {
		err = ErrNotAwaitingReview
	}
	if err != nil {
		return fmt.Errorf("approving %q: %w", slug, err)
	}
	logged := postAction(comments.ActionReviewPublish, slug, by, s.now(), "submitted by "+r.SubmittedBy)
	if _, err := s.store.EndReview(ctx, slug, logged); err != nil {
		return fmt.Errorf("approving %q: %w", slug, err)
	}
	s.log.Info("post approved in review", "slug", slug, "by", by, "submitted_by", r.SubmittedBy)
	return nil
}

// ReviewOf returns the slug's review, or ErrNotFound when it is in none.
func (s *Service) ReviewOf(ctx context.Context, slug string) (Review, error) {
	if !content.ValidSlug(slug) {
		return Review{}, fmt.Errorf("reading the review of %q: %w", slug, ErrInvalidSlug)
	}
	r, err := s.store.Review(ctx, slug)
	if err != nil {
		return Review{}, fmt.Errorf("reading the review of %q: %w", slug, err)
	}
	return r, nil
}

// Reviews returns every post in review, oldest submission first; those
// with State ReviewAwaiting are the editors' queue.
//
// A post whose file was moved or removed by hand (the editor's Delete ends
// the review itself) is in content/ no more: its review ends here, so the
// queue never counts a post no one can open.
func (s *Service) Reviews(ctx context.Context) ([]Review, error) {
	rs, err := s.store.Reviews(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing the posts in review: %w", err)
	}
	out := rs[:0]
	for _, r := range rs {
		if _, err := s.locate(r.Slug); errors.Is(err, ErrNotFound) {
			s.log.InfoContext(ctx, "ending the review of a post no longer in content", "slug", r.Slug)
			if err := s.endReview(ctx, r.Slug); err != nil {
				s.log.ErrorContext(ctx, "ending the review of a post no longer in content", "slug", r.Slug, "err", err)
			}
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

// AwaitingReview is how many posts are in the editors' queue.
func (s *Service) AwaitingReview(ctx context.Context) (int, error) {
	rs, err := s.Reviews(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rs {
		if r.State == ReviewAwaiting {
			n++
		}
	}
	return n, nil
}

// endReview forgets the review of a post that leaves content/ (deleted to
// the trash), logging nothing of its own: the deletion is the step logged.
func (s *Service) endReview(ctx context.Context, slug string) error {
	if _, err := s.store.EndReview(ctx, slug, comments.Action{}); err != nil {
		return fmt.Errorf("ending the review of %q: %w", slug, err)
	}
	return nil
}

// reviewable checks that slug names a post content/ holds now.
func (s *Service) reviewable(ctx context.Context, slug string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if !content.ValidSlug(slug) {
		return ErrInvalidSlug
	}
	_, err := s.locate(slug)
	return err
}

// awaiting returns the slug's review if it is in the queue.
func (s *Service) awaiting(ctx context.Context, slug string) (Review, error) {
	r, err := s.store.Review(ctx, slug)
	if errors.Is(err, ErrNotFound) || err == nil && r.State != ReviewAwaiting {
		return Review{}, ErrNotAwaitingReview
	}
	return r, err
}

// postAction is the moderation log entry of a step taken on a post.
func postAction(kind comments.ActionKind, slug, by string, at time.Time, detail string) comments.Action {
	return comments.Action{At: at, By: by, Kind: kind, Target: "post " + slug, Post: slug, Detail: detail}
}

// changeKind is the log's name for a save of the post at rel from old (nil
// for a new post) to now: publishing or scheduling a post that was not
// out, taking one down, or an edit that leaves it as it was. A previous
// file the site cannot read was not out.
func (s *Service) changeKind(site *content.Site, rel string, old []byte, now *content.Post) comments.ActionKind {
	if old == nil {
		return comments.ActionPostCreate
	}
	wasOut := wasOut(site, rel, old)
	switch {
	case !wasOut && !now.Draft && now.Date.After(s.now()):
		return comments.ActionPostSchedule
	case !wasOut && !now.Draft:
		return comments.ActionPostPublish
	case wasOut && now.Draft:
		return comments.ActionPostUnpublish
	}
	return comments.ActionPostSave
}
