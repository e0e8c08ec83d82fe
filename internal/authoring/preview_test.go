package authoring_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"milepost/internal/authoring"
)

// A preview is the post as content would read it after the save, and
// nothing is written: not the file, not a revision.
func TestPreviewShowsTheEditAndWritesNothing(t *testing.T) {
	s := newSite(t)
	before := s.read(samplePost)
	e := unchanged(s.open("massage-during-training"))
	e.Title, e.Body = "Massage after the race", "A *new* body.\n"
	p, err := s.svc.Preview(context.Background(), e)
	if err != nil {
		t.Fatalf("Preview: %v", err)
	}
	if p.Title != "Massage after the race" || !strings.Contains(string(p.HTML()), "<em>new</em>") || p.File != samplePost {
		t.Errorf("preview = %q in %s, HTML %q", p.Title, p.File, p.HTML())
	}
	if got := s.read(samplePost); got != before {
		t.Errorf("a preview changed the file:\n%s", got)
	}
	if h, _ := s.svc.History(context.Background(), "massage-during-training"); len(h) != 0 {
		t.Errorf("a preview kept %d revisions", len(h))
	}

	fresh := authoring.Edit{Slug: "first-10k", Body: "Ten.\n",
		Fields: authoring.Fields{Title: "First 10k", Date: "2026-11-29 09:00", Author: "kay-kays-bird-club"}}
	if p, err := s.svc.Preview(context.Background(), fresh); err != nil || p.File != "posts/first-10k/index.md" {
		t.Errorf("preview of a new post: %v, %+v", err, p)
	}
	s.noStrayFiles()

	fresh.Author = "nobody"
	var inv *authoring.InvalidError
	if _, err := s.svc.Preview(context.Background(), fresh); !errors.As(err, &inv) {
		t.Errorf("preview with an unknown author: %v, want an *InvalidError", err)
	}
	fresh.Slug = "../x"
	if _, err := s.svc.Preview(context.Background(), fresh); !errors.Is(err, authoring.ErrInvalidSlug) {
		t.Errorf("preview of slug ../x: %v, want ErrInvalidSlug", err)
	}
}
