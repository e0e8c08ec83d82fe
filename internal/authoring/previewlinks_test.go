package authoring_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"milepost/internal/authoring"
	"milepost/internal/comments"
)

func TestAPreviewLinkOpensItsPostUntilRevoked(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	token, link := s.previewLink("massage-during-training")
	if !authoring.ValidPreviewToken(token) || len(token) != 64 {
		t.Errorf("token %q is not 64 hex digits", token)
	}
	if link.Hash == token || link.Hash != authoring.PreviewTokenHash(token) {
		t.Errorf("kept %q for token %q: want its SHA-256, never the token", link.Hash, token)
	}
	other, _, err := s.svc.CreatePreviewLink(ctx, "massage-during-training", "kay")
	if err != nil || other == token {
		t.Errorf("a second link: %q, %v; want a new token", other, err)
	}
	got, err := s.svc.PreviewLinkOf(ctx, token)
	if err != nil || got.Slug != "massage-during-training" || got.By != "kay" {
		t.Errorf("PreviewLinkOf = %+v, %v", got, err)
	}
	ls, err := s.svc.PreviewLinks(ctx, "massage-during-training")
	if err != nil || len(ls) != 2 {
		t.Fatalf("PreviewLinks = %+v, %v; want both", ls, err)
	}
	if err := s.svc.RevokePreviewLink(ctx, "massage-during-training", link.Hash, "kay"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.PreviewLinkOf(ctx, token); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("a revoked link: %v, want ErrNotFound", err)
	}
	if _, err := s.svc.PreviewLinkOf(ctx, other); err != nil {
		t.Errorf("the other link went too: %v", err)
	}
	// Who made and revoked which link is in the moderation log.
	for kind, want := range map[comments.ActionKind]int{comments.ActionPreviewLink: 2, comments.ActionPreviewRevoke: 1} {
		logged, n, err := s.db.Actions(ctx, kind, 0, 10)
		if err != nil || n != want || logged[0].By != "kay" || logged[0].Post != "massage-during-training" {
			t.Errorf("the log's %s entries: %+v (%d), %v; want %d by kay", kind, logged, n, err, want)
		}
	}
}

func TestAPreviewLinkIsMadeOnlyForAPost(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	for _, slug := range []string{"no-such-post", "../etc", "", "A"} {
		if _, _, err := s.svc.CreatePreviewLink(ctx, slug, "kay"); !errors.Is(err, authoring.ErrNotFound) && !errors.Is(err, authoring.ErrInvalidSlug) {
			t.Errorf("CreatePreviewLink(%q) = %v, want ErrNotFound or ErrInvalidSlug", slug, err)
		}
	}
}

func TestAPostsLinkIsRevokedOnlyFromIt(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	token, link := s.previewLink("massage-during-training")
	if err := s.svc.RevokePreviewLink(ctx, "race-day", link.Hash, "kay"); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("revoking through another post: %v, want ErrNotFound", err)
	}
	if _, err := s.svc.PreviewLinkOf(ctx, token); err != nil {
		t.Errorf("the link after a refused revoke: %v", err)
	}
}

func TestDeletingAPostEndsItsLinksForGood(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	token, _ := s.previewLink("massage-during-training")
	p := s.open("massage-during-training")
	item, err := s.svc.Delete(ctx, p.Slug, p.Version, "kay")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.PreviewLinkOf(ctx, token); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("a deleted post's link: %v, want ErrNotFound", err)
	}
	if _, err := s.svc.RestoreFromTrash(ctx, item.ID, "kay"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.PreviewLinkOf(ctx, token); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("the link after the post came back from the trash: %v, want ErrNotFound", err)
	}
}

func TestAPostRemovedByHandShowsNothingThroughItsLinks(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	token, _ := s.previewLink("massage-during-training")
	p := s.open("massage-during-training")
	if err := os.Remove(s.path(p.File)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.PreviewLinkOf(ctx, token); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("a link to a removed post: %v, want ErrNotFound", err)
	}
}

func TestHostileTokensOpenNothing(t *testing.T) {
	ctx := context.Background()
	s := newSite(t)
	token, _ := s.previewLink("massage-during-training")
	for _, bad := range []string{"", "../../etc/passwd", strings.Repeat("a", 1<<20), strings.ToUpper(token),
		token[:63], token + "0", strings.Repeat("g", 64), authoring.PreviewTokenHash(token), token[:62] + "\x00a"} {
		if _, err := s.svc.PreviewLinkOf(ctx, bad); !errors.Is(err, authoring.ErrNotFound) {
			t.Errorf("PreviewLinkOf(%.20q) = %v, want ErrNotFound", bad, err)
		}
	}
}
