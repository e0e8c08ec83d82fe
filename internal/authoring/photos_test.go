package authoring_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"milepost/internal/authoring"
	"milepost/internal/bolt"
	"milepost/internal/comments"
	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

const draftPost = "---\ntitle: Hills\ndate: 2026-11-01\nauthor: kay-kays-bird-club\ndraft: true\n---\n\nUp and down.\n"

func (s *site) files(dir string) []string {
	s.t.Helper()
	entries, err := os.ReadDir(s.path(dir))
	if err != nil && !os.IsNotExist(err) {
		s.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func photo(t *testing.T, name, alt string) authoring.PhotoUpload {
	return authoring.PhotoUpload{Name: name, Alt: alt, Data: bytes.NewReader(mediatest.JPEG(t, mediatest.Halves(40, 30)))}
}

func TestPhotosAreNamedOnTheServerAndNeverReplaceAFile(t *testing.T) {
	s := newSite(t)
	s.write("posts/hills/index.md", draftPost)
	s.write("posts/hills/race-day.jpg", "kept")
	p := s.open("hills")
	e := unchanged(p)
	e.Photos = []authoring.PhotoUpload{photo(t, "Race Day!.JPEG", "Start"), photo(t, "race day.jpeg", "Finish\nline"),
		photo(t, "C:\\Users\\kay\\Été.jpg", "Café")}
	e.Cover = authoring.FirstUpload
	saved := s.save(e, p.Version)
	if got, want := s.files("posts/hills"), []string{"ete.jpg", "index.md", "race-day-2.jpg", "race-day-3.jpg", "race-day.jpg"}; !slices.Equal(got, want) {
		t.Errorf("the bundle holds %v, want %v", got, want)
	}
	if got := s.read("posts/hills/race-day.jpg"); got != "kept" {
		t.Errorf("an existing file was replaced: %q", got)
	}
	wantBody := "Up and down.\n\n![Start](race-day-2.jpg)\n![Finish line](race-day-3.jpg)\n![Café](ete.jpg)\n"
	if saved.Body != wantBody || saved.Cover != "race-day-2.jpg" {
		t.Errorf("saved body %q and cover %q, want %q and race-day-2.jpg", saved.Body, saved.Cover, wantBody)
	}
}

func TestARefusedPhotoRefusesTheSaveNamingIt(t *testing.T) {
	s := newSite(t)
	s.write("posts/hills/index.md", draftPost)
	p := s.open("hills")
	e := unchanged(p)
	e.Body = "Changed."
	e.Photos = []authoring.PhotoUpload{photo(t, "ok.jpg", "fine"),
		{Name: "pano.png", Alt: "wide", Data: bytes.NewReader(mediatest.PNGHeader(20000, 5000))}}
	_, err := s.svc.Save(context.Background(), e, p.Version)
	var pe *authoring.PhotoError
	if !errors.As(err, &pe) || pe.Name != "pano.png" || !errors.Is(err, media.ErrRefused) || !errors.Is(err, authoring.ErrPhoto) {
		t.Fatalf("Save with a 100 MP photo = %v, want a PhotoError naming pano.png", err)
	}
	e.Photos = []authoring.PhotoUpload{photo(t, "ok.jpg", "  ")}
	if _, err := s.svc.Save(context.Background(), e, p.Version); !errors.Is(err, authoring.ErrNoAlt) {
		t.Errorf("Save with a photo without alt text = %v, want ErrNoAlt", err)
	}
	if got := s.files("posts/hills"); !slices.Equal(got, []string{"index.md"}) || s.read("posts/hills/index.md") != draftPost {
		t.Errorf("a refused save wrote: %v", got)
	}
}

// failingStore refuses to keep anything a save keeps before its file is
// written: the disk under the database is full.
type failingStore struct{ *bolt.DB }

var errStoreFull = errors.New("the database's disk is full")

func (failingStore) AddRevision(context.Context, authoring.Revision, comments.Action) (uint64, error) {
	return 0, errStoreFull
}

func (failingStore) RenamePost(context.Context, string, string, authoring.Revision, comments.Action) error {
	return errStoreFull
}

func TestASaveThatFailsTakesItsPhotosAndMoveBack(t *testing.T) {
	s := newSite(t)
	s.write("posts/tempo.md", strings.Replace(draftPost, "Hills", "Tempo", 1))
	svc, err := authoring.New(authoring.Config{Site: s.load, TrashDir: s.trash, Store: failingStore{s.db}, Now: func() time.Time { return when }})
	if err != nil {
		t.Fatal(err)
	}
	p := s.open("tempo")
	e := unchanged(p)
	e.Photos = []authoring.PhotoUpload{photo(t, "track.jpg", "The track")}
	if _, err := svc.Save(context.Background(), e, p.Version); !errors.Is(err, errStoreFull) {
		t.Fatalf("Save = %v, want the store's failure", err)
	}
	e.Photos = []authoring.PhotoUpload{photo(t, "track.jpg", "The track")}
	e.NewSlug = "tempo-run"
	if _, err := svc.Save(context.Background(), e, p.Version); !errors.Is(err, errStoreFull) {
		t.Fatalf("Save with a new slug = %v, want the store's failure", err)
	}
	if got := s.files("posts"); !slices.Contains(got, "tempo.md") || slices.Contains(got, "tempo") || slices.Contains(got, "tempo-run") {
		t.Errorf("after failed saves posts/ holds %v: the single file should be as it was, with no folder", got)
	}
	if got := s.read("posts/tempo.md"); got != strings.Replace(draftPost, "Hills", "Tempo", 1) {
		t.Errorf("the file changed:\n%s", got)
	}
	s.noStrayFiles()
}

func TestADraftsNewSlugMovesItAndAPublishedOneKeepsIt(t *testing.T) {
	s := newSite(t)
	s.write("posts/hills/index.md", draftPost)
	s.write("posts/hills/top.jpg", "photo")
	p := s.open("hills")
	e := unchanged(p)
	e.NewSlug = "hill-reps"
	moved := s.save(e, p.Version)
	if moved.Slug != "hill-reps" || moved.File != "posts/hill-reps/index.md" {
		t.Fatalf("moved to %s at %s", moved.Slug, moved.File)
	}
	if got := s.files("posts/hill-reps"); !slices.Equal(got, []string{"index.md", "top.jpg"}) {
		t.Errorf("the new folder holds %v", got)
	}
	if revs, _ := s.svc.History(context.Background(), "hill-reps"); len(revs) != 1 {
		t.Errorf("the history after the move: %+v", revs)
	}

	// Published, then taken down: its address was out, and stays.
	e = unchanged(moved)
	e.Draft = false
	out := s.save(e, moved.Version)
	e = unchanged(out)
	e.Draft = true
	down := s.save(e, out.Version)
	e = unchanged(down)
	e.NewSlug = "hills-again"
	if _, err := s.svc.Save(context.Background(), e, down.Version); !errors.Is(err, authoring.ErrRenamePublished) {
		t.Errorf("renaming a post that was published = %v, want ErrRenamePublished", err)
	}
	if err := s.svc.Renamable(context.Background(), s.open("hill-reps")); !errors.Is(err, authoring.ErrRenamePublished) {
		t.Errorf("Renamable = %v", err)
	}
}

func TestAProfilesReplacedVersionsAreKeptAndRestored(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	before, err := s.svc.OpenProfile(ctx, "kay-kays-bird-club")
	if err != nil {
		t.Fatal(err)
	}
	original := s.read(before.File)
	after, err := s.svc.SaveProfile(ctx, authoring.ProfileEdit{ID: before.ID, Name: "Kay", Bio: before.Bio, By: "kay"}, before.Version)
	if err != nil {
		t.Fatal(err)
	}
	revs, err := s.svc.ProfileHistory(ctx, before.ID)
	if err != nil || len(revs) != 1 || revs[0].Version != before.Version {
		t.Fatalf("ProfileHistory = %+v, %v", revs, err)
	}
	if _, err := s.svc.RestoreProfile(ctx, before.ID, revs[0].ID, before.Version, "kay"); asConflict(t, err) == nil {
		t.Fatal("a restore over a changed file was not refused")
	}
	if _, err := s.svc.RestoreProfile(ctx, before.ID, revs[0].ID, after.Version, "kay"); err != nil {
		t.Fatalf("RestoreProfile: %v", err)
	}
	if got := s.read(before.File); got != original {
		t.Errorf("the restored file:\n%s\nwant:\n%s", got, original)
	}
	if revs, _ := s.svc.ProfileHistory(ctx, before.ID); len(revs) != 2 {
		t.Errorf("after the restore, %d versions, want 2", len(revs))
	}
}
