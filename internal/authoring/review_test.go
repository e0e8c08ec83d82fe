package authoring_test

import (
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"

	"milepost/internal/authoring"
	"milepost/internal/comments"
)

// logged returns the moderation log's entries of a kind, oldest first.
func (s *site) logged(kind comments.ActionKind) []comments.Action {
	s.t.Helper()
	as, _, err := s.db.Actions(context.Background(), kind, 0, 100)
	if err != nil {
		s.t.Fatalf("Actions(%s): %v", kind, err)
	}
	for i, j := 0, len(as)-1; i < j; i, j = i+1, j-1 {
		as[i], as[j] = as[j], as[i]
	}
	return as
}

func TestReviewSubmitReturnResubmitApprove(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	const slug = "massage-during-training"

	if _, err := s.svc.ReviewOf(ctx, slug); !errors.Is(err, authoring.ErrNotFound) {
		t.Fatalf("a post never submitted: ReviewOf = %v, want ErrNotFound", err)
	}
	r, err := s.svc.SubmitForReview(ctx, slug, "cora")
	if err != nil {
		t.Fatalf("SubmitForReview: %v", err)
	}
	if r.State != authoring.ReviewAwaiting || r.SubmittedBy != "cora" || !r.SubmittedAt.Equal(when) {
		t.Errorf("submitted: %+v", r)
	}
	if n, err := s.svc.AwaitingReview(ctx); err != nil || n != 1 {
		t.Errorf("AwaitingReview = %d, %v; want 1", n, err)
	}

	if _, err := s.svc.ReturnForReview(ctx, slug, "  \n ", "eddie"); !errors.Is(err, authoring.ErrNoteRequired) {
		t.Errorf("returning with a blank note: %v, want ErrNoteRequired", err)
	}
	if _, err := s.svc.ReturnForReview(ctx, slug, strings.Repeat("é", authoring.MaxReviewNote+1), "eddie"); !errors.Is(err, authoring.ErrNoteTooLong) {
		t.Errorf("returning with a long note: %v, want ErrNoteTooLong", err)
	}
	r, err = s.svc.ReturnForReview(ctx, slug, " Say which shoes you wore. ", "eddie")
	if err != nil {
		t.Fatalf("ReturnForReview: %v", err)
	}
	if r.State != authoring.ReviewReturned || r.Note != "Say which shoes you wore." || r.ReturnedBy != "eddie" || r.SubmittedBy != "cora" {
		t.Errorf("returned: %+v", r)
	}
	if got, err := s.svc.ReviewOf(ctx, slug); err != nil || got.Note != r.Note {
		t.Errorf("the writer reads back %+v, %v", got, err)
	}
	if n, _ := s.svc.AwaitingReview(ctx); n != 0 {
		t.Errorf("a returned post is still counted in the queue: %d", n)
	}
	if _, err := s.svc.ReturnForReview(ctx, slug, "again", "eddie"); !errors.Is(err, authoring.ErrNotAwaitingReview) {
		t.Errorf("returning a returned post: %v, want ErrNotAwaitingReview", err)
	}

	r, err = s.svc.SubmitForReview(ctx, slug, "cora")
	if err != nil {
		t.Fatalf("resubmitting: %v", err)
	}
	if r.State != authoring.ReviewAwaiting || r.Note != "" {
		t.Errorf("resubmitted, the note should be answered and gone: %+v", r)
	}
	if err := s.svc.ApproveReview(ctx, slug, "eddie"); err != nil {
		t.Fatalf("ApproveReview: %v", err)
	}
	if _, err := s.svc.ReviewOf(ctx, slug); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("an approved post is still in review: %v", err)
	}

	for kind, want := range map[comments.ActionKind][]string{
		comments.ActionReviewSubmit:  {"cora", "cora"},
		comments.ActionReviewReturn:  {"eddie"},
		comments.ActionReviewPublish: {"eddie"},
	} {
		got := s.logged(kind)
		if len(got) != len(want) {
			t.Errorf("%s: %d log entries, want %d: %+v", kind, len(got), len(want), got)
			continue
		}
		for i, a := range got {
			if a.By != want[i] || a.Post != slug || a.Target != "post "+slug {
				t.Errorf("%s entry %d: %+v", kind, i, a)
			}
		}
	}
	if ret := s.logged(comments.ActionReviewReturn); len(ret) == 1 && ret[0].Detail != "Say which shoes you wore." {
		t.Errorf("the return's log entry does not keep the note: %q", ret[0].Detail)
	}
}

func TestReviewRefusesWhatIsNoPost(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	for _, slug := range []string{"no-such-post", "../etc", "", "UPPER"} {
		if _, err := s.svc.SubmitForReview(ctx, slug, "cora"); err == nil {
			t.Errorf("SubmitForReview(%q) succeeded", slug)
		}
	}
	if _, err := s.svc.SubmitForReview(ctx, "no-such-post", "cora"); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("submitting a missing post: %v, want ErrNotFound", err)
	}
	if _, err := s.svc.ReturnForReview(ctx, "massage-during-training", "why", "eddie"); !errors.Is(err, authoring.ErrNotAwaitingReview) {
		t.Errorf("returning a post never submitted: %v, want ErrNotAwaitingReview", err)
	}
	if got := s.logged(""); len(got) != 0 {
		t.Errorf("refused steps were logged: %+v", got)
	}
}

func TestDeletingAPostEndsItsReview(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	const slug = "massage-during-training"
	p := s.open(slug)
	if _, err := s.svc.SubmitForReview(ctx, slug, "cora"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.Delete(ctx, slug, p.Version, "eddie"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.svc.ReviewOf(ctx, slug); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("a deleted post is still in review: %v", err)
	}
	if n, _ := s.svc.AwaitingReview(ctx); n != 0 {
		t.Errorf("the queue counts a deleted post: %d", n)
	}
}

// TestEveryStepOnAPostIsLogged: create, save, unpublish, publish, schedule,
// restore a version, delete and restore from the trash each leave one
// entry of their kind in the moderation log; a save that changes nothing
// leaves none.
func TestEveryStepOnAPostIsLogged(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	p := s.save(authoring.Edit{Slug: "tempo", Body: "Fast.", By: "kay",
		Fields: authoring.Fields{Title: "Tempo", Date: "2026-11-01", Author: "kay-kays-bird-club", Draft: true}}, "")
	e := unchanged(p)
	p = s.save(e, p.Version) // nothing changed: nothing written, nothing logged
	e.Body = "Faster."
	p = s.save(e, p.Version)
	e.Draft = false
	p = s.save(e, p.Version)
	e.Draft = true
	p = s.save(e, p.Version)
	e.Draft, e.Date = false, "2027-01-01"
	p = s.save(e, p.Version)
	hist, err := s.svc.History(ctx, "tempo")
	if err != nil || len(hist) == 0 {
		t.Fatalf("History = %v, %v", hist, err)
	}
	if p, err = s.svc.Restore(ctx, "tempo", hist[len(hist)-1].ID, p.Version, "eddie"); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	trashed, err := s.svc.Delete(ctx, "tempo", p.Version, "eddie")
	if err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.svc.RestoreFromTrash(ctx, trashed.ID, "eddie"); err != nil {
		t.Fatalf("RestoreFromTrash: %v", err)
	}
	var kinds []comments.ActionKind
	for _, a := range s.logged("") {
		if a.Post != "tempo" || a.Target != "post tempo" || !a.At.Equal(when) {
			t.Errorf("entry %+v names another post or time", a)
		}
		kinds = append(kinds, a.Kind)
	}
	want := []comments.ActionKind{comments.ActionPostCreate, comments.ActionPostSave, comments.ActionPostPublish,
		comments.ActionPostUnpublish, comments.ActionPostSchedule, comments.ActionPostRestore, comments.ActionPostDelete, comments.ActionPostRestore}
	if !slices.Equal(kinds, want) {
		t.Errorf("logged %v\nwant   %v", kinds, want)
	}
	if got := s.logged(comments.ActionPostCreate); len(got) == 1 && (got[0].By != "kay" || !strings.Contains(got[0].Detail, "a draft")) {
		t.Errorf("the creation's entry: %+v", got[0])
	}
}

// TestAPostMovedAwayByHandLeavesReview: the queue never counts a post no
// one can open, and a new post of the same slug starts with no review.
func TestAPostMovedAwayByHandLeavesReview(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	const slug = "massage-during-training"
	if _, err := s.svc.SubmitForReview(ctx, slug, "cora"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(s.path(samplePost), s.path("posts/massage-after-training.md")); err != nil {
		t.Fatal(err)
	}
	if n, err := s.svc.AwaitingReview(ctx); err != nil || n != 0 {
		t.Errorf("AwaitingReview after the file was renamed by hand = %d, %v; want 0", n, err)
	}
	if _, err := s.db.Review(ctx, slug); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("the record of the renamed post is kept: %v", err)
	}
	// Back under its slug, a record left some other way is not the new
	// post's.
	if err := os.Rename(s.path("posts/massage-after-training.md"), s.path(samplePost)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.SubmitForReview(ctx, slug, "cora"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.path(samplePost)); err != nil {
		t.Fatal(err)
	}
	s.save(authoring.Edit{Slug: slug, Body: "New.", By: "kay", Fields: authoring.Fields{Title: "New", Date: "2026-11-01",
		Author: "kay-kays-bird-club", Draft: true}}, "")
	if _, err := s.svc.ReviewOf(ctx, slug); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("a new post inherits an old review: %v", err)
	}
}

func TestPublishingAReturnedPostApprovesIt(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	const slug = "massage-during-training"
	if _, err := s.svc.SubmitForReview(ctx, slug, "cora"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.ReturnForReview(ctx, slug, "Shorter?", "eddie"); err != nil {
		t.Fatal(err)
	}
	if err := s.svc.ApproveReview(ctx, slug, "eddie"); err != nil {
		t.Fatalf("ApproveReview of a returned post: %v", err)
	}
	if err := s.svc.ApproveReview(ctx, slug, "eddie"); !errors.Is(err, authoring.ErrNotAwaitingReview) {
		t.Errorf("approving a post in no review: %v, want ErrNotAwaitingReview", err)
	}
}
