package authoring_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"milepost/internal/authoring"
)

func TestEverySaveKeepsThePreviousVersionAndRestoreBringsOneBack(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	original := s.read(samplePost)
	p := s.open("massage-during-training")
	e := unchanged(p)
	e.Title = "Second title"
	e.By = "sam"
	p = s.save(e, p.Version)
	second := s.read(samplePost)
	e = unchanged(p)
	e.Body = "Rewritten.\n"
	p = s.save(e, p.Version)

	h, err := s.svc.History(ctx, "massage-during-training")
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 {
		t.Fatalf("History = %+v, want the two versions the saves replaced", h)
	}
	if h[0].Version != authoring.VersionOf([]byte(second)) || h[1].Version != authoring.VersionOf([]byte(original)) {
		t.Errorf("History versions %.8s, %.8s; want the second text, then the original", h[0].Version, h[1].Version)
	}
	if h[1].By != "sam" || !h[1].At.Equal(when) || h[1].File != samplePost {
		t.Errorf("the first revision %+v: want replaced by sam at %v, of %s", h[1], when, samplePost)
	}
	r, err := s.svc.Revision(ctx, "massage-during-training", h[1].ID)
	if err != nil || string(r.Content) != original {
		t.Fatalf("Revision = %q, %v; want the original text", r.Content, err)
	}

	// A restore based on an old version is refused like a save.
	_, err = s.svc.Restore(ctx, "massage-during-training", h[1].ID, h[0].Version, "kay")
	if c := asConflict(t, err); string(c.Yours) != original {
		t.Errorf("the refused restore's own text is not the version restored")
	}
	restored, err := s.svc.Restore(ctx, "massage-during-training", h[1].ID, p.Version, "kay")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.read(samplePost); got != original {
		t.Errorf("after the restore the file is:\n%.200s\nwant the original", got)
	}
	if restored.Version != authoring.VersionOf([]byte(original)) || restored.Title != "Massage during training" {
		t.Errorf("restored post %+v", restored.Fields)
	}
	// The restore is a save: what it replaced is kept, so it can be undone.
	if h, _ := s.svc.History(ctx, "massage-during-training"); len(h) != 3 || h[0].Version != p.Version {
		t.Errorf("after the restore History has %d versions, newest %.8s; want 3, newest the rewritten one", len(h), h[0].Version)
	}
	if _, err := s.svc.Restore(ctx, "massage-during-training", 999, restored.Version, "kay"); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("restoring a version that does not exist: %v", err)
	}
}

func TestDeleteMovesABundleToTheTrashAndBack(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	post := "---\ntitle: Race day\ndate: 2024-06-01\n---\n![Finish](finish.jpg)\n"
	s.write("posts/race-day/index.md", post)
	s.write("posts/race-day/finish.jpg", "not really a photo")
	p := s.open("race-day")

	if _, err := s.svc.Delete(ctx, "race-day", authoring.VersionOf([]byte("an older text")), "kay"); err == nil {
		t.Fatal("Delete based on another version succeeded")
	} else {
		asConflict(t, err)
	}
	item, err := s.svc.Delete(ctx, "race-day", p.Version, "kay")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.path("posts/race-day")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the bundle is still in content/: %v", err)
	}
	inTrash := filepath.Join(s.trash, item.Dir, "race-day")
	if b, err := os.ReadFile(filepath.Join(inTrash, "finish.jpg")); err != nil || string(b) != "not really a photo" {
		t.Errorf("the photo in the trash: %q, %v", b, err)
	}
	if _, err := s.svc.Open(ctx, "race-day"); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("Open after Delete = %v, want ErrNotFound", err)
	}
	if st := s.load(); st.PostFile("race-day") != "" {
		t.Error("the site still loads the deleted post")
	}
	items, err := s.svc.Trash(ctx)
	if err != nil || len(items) != 1 || items[0].Slug != "race-day" || items[0].Bundle != "posts/race-day" || items[0].By != "kay" {
		t.Fatalf("Trash = %+v, %v", items, err)
	}

	back, err := s.svc.RestoreFromTrash(ctx, item.ID, "kay")
	if err != nil {
		t.Fatal(err)
	}
	if got := s.read("posts/race-day/index.md"); got != post || back.Version != p.Version {
		t.Errorf("restored post %q, version %.8s; want it as it was", got, back.Version)
	}
	if got := s.read("posts/race-day/finish.jpg"); got != "not really a photo" {
		t.Errorf("restored photo %q", got)
	}
	if items, _ := s.svc.Trash(ctx); len(items) != 0 {
		t.Errorf("the trash still lists %+v", items)
	}
	if _, err := os.Stat(filepath.Join(s.trash, item.Dir)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the item's folder is left in the trash: %v", err)
	}
}

func TestRestoreFromTrashRefusesATakenSlug(t *testing.T) {
	s := newSite(t)
	ctx := context.Background()
	p := s.open("massage-during-training")
	original := s.read(samplePost)
	item, err := s.svc.Delete(ctx, "massage-during-training", p.Version, "kay")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(s.trash, item.Dir, "massage-during-training.md")); err != nil || string(b) != original {
		t.Fatalf("the single file in the trash: %v", err)
	}
	// Someone writes a new post with the slug meanwhile.
	s.save(authoring.Edit{Slug: "massage-during-training", Fields: authoring.Fields{Title: "Another massage", Date: "2024-01-01"}, Body: "New.\n"}, "")
	if _, err := s.svc.RestoreFromTrash(ctx, item.ID, "kay"); !errors.Is(err, authoring.ErrSlugTaken) {
		t.Fatalf("RestoreFromTrash over a new post = %v, want ErrSlugTaken", err)
	}
	if got := s.read("posts/massage-during-training/index.md"); !strings.Contains(got, "Another massage") {
		t.Error("the new post was touched")
	}
	if items, _ := s.svc.Trash(ctx); len(items) != 1 {
		t.Errorf("the refused item left the trash: %+v", items)
	}
	// Once the new post is gone, the old one comes back where it was.
	np := s.open("massage-during-training")
	if _, err := s.svc.Delete(ctx, "massage-during-training", np.Version, "kay"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.svc.RestoreFromTrash(ctx, item.ID, "kay"); err != nil {
		t.Fatal(err)
	}
	if got := s.read(samplePost); got != original {
		t.Error("the sample post did not come back as it was")
	}
	if _, err := s.svc.RestoreFromTrash(ctx, item.ID, "kay"); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("restoring the same item twice: %v, want ErrNotFound", err)
	}
}

func TestTheTrashMayNotBeInsideTheContentDirectory(t *testing.T) {
	s := newSite(t)
	for _, trash := range []string{s.dir, filepath.Join(s.dir, "trash"), filepath.Join(s.dir, "posts", ".trash")} {
		if _, err := authoring.New(authoring.Config{Site: s.load, TrashDir: trash, Store: s.db}); err == nil {
			t.Errorf("New took the trash directory %s", trash)
		}
	}
}
