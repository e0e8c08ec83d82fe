package authoring

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"time"

	"milepost/internal/atomicfile"
	"milepost/internal/comments"
	"milepost/internal/content"
)

// A profile's earlier versions are kept as a post's are: before its file
// is replaced, its bytes go to the Store as a Revision, under the key
// ProfileHistoryKey, which no post slug can be. RestoreProfile brings one
// back with the rules of a save. Only the text is kept: the photo is
// replaced by each new one.

// profileHistoryPrefix starts a profile's history key: a slug never holds
// a slash, so no post's history shares it.
const profileHistoryPrefix = "authors/"

// ProfileHistoryKey is the Store's key of the profile id's history.
func ProfileHistoryKey(id string) string { return profileHistoryPrefix + id }

// ValidHistoryKey reports whether key is one the history is kept under: a
// post's slug, or a profile's ProfileHistoryKey.
func ValidHistoryKey(key string) bool {
	if id, ok := strings.CutPrefix(key, profileHistoryPrefix); ok {
		return content.ValidSlug(id)
	}
	return content.ValidSlug(key)
}

// ProfileHistory lists the versions of the profile that saves replaced,
// newest first, without their text.
func (s *Service) ProfileHistory(ctx context.Context, id string) ([]Revision, error) {
	if !content.ValidSlug(id) {
		return nil, fmt.Errorf("listing the history of profile %q: %w", id, ErrInvalidSlug)
	}
	revs, err := s.store.Revisions(ctx, ProfileHistoryKey(id))
	if err != nil {
		return nil, fmt.Errorf("listing the history of profile %q: %w", id, err)
	}
	return revs, nil
}

// RestoreProfile saves an earlier version of the profile's file again, by
// by: refused with a *ConflictError when the file is no longer basedOn and
// with an *InvalidError when content would not read it today, and keeping
// the version it replaces, so a restore can be undone.
func (s *Service) RestoreProfile(ctx context.Context, id string, revID uint64, basedOn Version, by string) (Profile, error) {
	if err := ctx.Err(); err != nil {
		return Profile{}, err
	}
	if !content.ValidSlug(id) {
		return Profile{}, fmt.Errorf("restoring version %d of profile %q: %w", revID, id, ErrInvalidSlug)
	}
	r, err := s.store.Revision(ctx, ProfileHistoryKey(id), revID)
	if err != nil {
		return Profile{}, fmt.Errorf("restoring version %d of profile %q: %w", revID, id, err)
	}
	defer s.locks.lock(profileLock(id))()
	rel := profileFile(id)
	current, err := s.currentProfile(id)
	if err != nil {
		return Profile{}, err
	}
	if current == nil || VersionOf(current) != basedOn {
		return Profile{}, profileConflict(id, current, r.Content)
	}
	if _, problems := s.site().ParseAuthor(rel, r.Content); len(problems) > 0 {
		return Profile{}, fmt.Errorf("restoring version %d of profile %q: %w", revID, id, &InvalidError{Problems: problems})
	}
	detail := fmt.Sprintf("the version of %s by %s", r.At.UTC().Format(time.RFC3339), r.By)
	if err := s.writeProfile(ctx, id, current, r.Content, by, comments.ActionProfileRestore, detail); err != nil {
		return Profile{}, err
	}
	return s.profileOf(id, r.Content)
}

// currentProfile reads the profile's file as it is (nil: none).
func (s *Service) currentProfile(id string) ([]byte, error) {
	rel := profileFile(id)
	if err := s.noLinks(rel); err != nil {
		return nil, fmt.Errorf("reading profile %q: %w", id, err)
	}
	current, err := os.ReadFile(s.abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading profile %q: reading %s: %w", id, rel, err)
	}
	return current, nil
}

// profileConflict is the refusal of a profile save whose file is not the
// version the form was opened from.
func profileConflict(id string, current, yours []byte) *ConflictError {
	c := &ConflictError{Slug: id, File: profileFile(id), Current: current, Yours: yours}
	if current != nil {
		c.CurrentVersion = VersionOf(current)
	}
	return c
}

// writeProfile replaces the profile's file (current: its bytes now, nil
// for a new one) with src, keeping current in the history first with the
// log entry of kind, in one transaction.
func (s *Service) writeProfile(ctx context.Context, id string, current, src []byte, by string, kind comments.ActionKind, detail string) error {
	rel := profileFile(id)
	if current != nil {
		now := s.now()
		logged := comments.Action{At: now, By: by, Kind: kind, Target: "profile " + id, Detail: detail}
		rev := Revision{Slug: ProfileHistoryKey(id), File: rel, Version: VersionOf(current), By: by, At: now, Content: current}
		if _, err := s.store.AddRevision(ctx, rev, logged); err != nil {
			return fmt.Errorf("saving profile %q: keeping the previous version: %w", id, err)
		}
	}
	if err := atomicfile.WriteFile(s.abs(rel), src, 0o644); err != nil {
		return fmt.Errorf("saving profile %q: %w", id, err)
	}
	return nil
}
