package bolt

import (
	"context"
	"errors"
	"testing"

	"milepost/internal/authoring"
	"milepost/internal/comments"
)

func TestRenamePostMovesHistoryReviewAndPreviewLinksInOneStep(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	saved := comments.Action{At: t0, By: "kay", Kind: comments.ActionPostSave, Target: "post long-run", Post: "long-run"}
	first, err := db.AddRevision(ctx, revisionOf("long-run", "one", 1), saved)
	if err != nil {
		t.Fatal(err)
	}
	// A post whose slug starts the same is not moved with it.
	if _, err := db.AddRevision(ctx, revisionOf("long-run-2", "other", 2), saved); err != nil {
		t.Fatal(err)
	}
	if err := db.PutReview(ctx, awaitingReview("long-run", 3), reviewLogged(comments.ActionReviewSubmit, "long-run")); err != nil {
		t.Fatal(err)
	}
	link := previewLinkOf("token-a", "long-run", 4)
	if err := db.AddPreviewLink(ctx, link, linkLogged(comments.ActionPreviewLink, link)); err != nil {
		t.Fatal(err)
	}

	moved := comments.Action{At: t0, By: "kay", Kind: comments.ActionPostSave, Target: "post sunday-run", Post: "sunday-run",
		Detail: "moved from posts/long-run/index.md"}
	if err := db.RenamePost(ctx, "long-run", "sunday-run", revisionOf("sunday-run", "two", 5), moved); err != nil {
		t.Fatalf("RenamePost: %v", err)
	}
	revs, err := db.Revisions(ctx, "sunday-run")
	if err != nil || len(revs) != 2 || revs[1].ID != first || revs[1].Slug != "sunday-run" || revs[0].Version != authoring.VersionOf([]byte("two")) {
		t.Errorf("the moved history = %+v, %v", revs, err)
	}
	if old, _ := db.Revisions(ctx, "long-run"); len(old) != 0 {
		t.Errorf("left under the old slug: %+v", old)
	}
	if other, _ := db.Revisions(ctx, "long-run-2"); len(other) != 1 {
		t.Errorf("long-run-2's history = %+v", other)
	}
	if r, err := db.Review(ctx, "sunday-run"); err != nil || r.Slug != "sunday-run" {
		t.Errorf("the moved review = %+v, %v", r, err)
	}
	if _, err := db.Review(ctx, "long-run"); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("a review left under the old slug: %v", err)
	}
	if l, err := db.PreviewLink(ctx, link.Hash); err != nil || l.Slug != "sunday-run" {
		t.Errorf("the link's record = %+v, %v", l, err)
	}
	if ls, _ := db.PreviewLinks(ctx, "sunday-run"); len(ls) != 1 {
		t.Errorf("the new slug's links = %+v", ls)
	}
	if ls, _ := db.PreviewLinks(ctx, "long-run"); len(ls) != 0 {
		t.Errorf("the old slug's links = %+v", ls)
	}
	mustCheck(t, db)
}

func TestRenamePostRefusesAPostWithCommentsAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	saved := comments.Action{At: t0, By: "kay", Kind: comments.ActionPostSave, Target: "post race", Post: "race"}
	if _, err := db.AddRevision(ctx, revisionOf("race", "one", 1), saved); err != nil {
		t.Fatal(err)
	}
	add(t, db, newComment("race", 2))
	err := db.RenamePost(ctx, "race", "race-day", revisionOf("race-day", "two", 3), saved)
	if !errors.Is(err, authoring.ErrHasComments) {
		t.Fatalf("RenamePost of a post with a comment = %v, want ErrHasComments", err)
	}
	if revs, _ := db.Revisions(ctx, "race"); len(revs) != 1 {
		t.Errorf("the history after a refused move = %+v", revs)
	}
	if revs, _ := db.Revisions(ctx, "race-day"); len(revs) != 0 {
		t.Errorf("a refused move kept %+v", revs)
	}
}

func TestAProfilesHistoryIsKeptBesideThePostsAndChecked(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	r := authoring.Revision{Slug: authoring.ProfileHistoryKey("kay"), File: "authors/kay.md", Version: authoring.VersionOf([]byte("x")),
		By: "kay", At: t0, Content: []byte("x")}
	logged := comments.Action{At: t0, By: "kay", Kind: comments.ActionProfileSave, Target: "profile kay"}
	if _, err := db.AddRevision(ctx, r, logged); err != nil {
		t.Fatalf("AddRevision(profile): %v", err)
	}
	if revs, _ := db.Revisions(ctx, "kay"); len(revs) != 0 {
		t.Errorf("a post kay sees the profile's history: %+v", revs)
	}
	if revs, _ := db.Revisions(ctx, "authors/kay"); len(revs) != 1 {
		t.Errorf("the profile's history = %+v", revs)
	}
	r.Slug = "authors/../x"
	if _, err := db.AddRevision(ctx, r, logged); err == nil {
		t.Error("a history key that is neither a slug nor a profile's was kept")
	}
	mustCheck(t, db)
}

// leftovers are the records a post leaves under its slug, each put under
// slug by one function.
var leftovers = map[string]func(t *testing.T, db *DB, slug string){
	"a revision": func(t *testing.T, db *DB, slug string) {
		saved := comments.Action{At: t0, By: "kay", Kind: comments.ActionPostSave, Target: "post " + slug, Post: slug}
		if _, err := db.AddRevision(context.Background(), revisionOf(slug, "kay's story", 1), saved); err != nil {
			t.Fatal(err)
		}
	},
	"a review": func(t *testing.T, db *DB, slug string) {
		if err := db.PutReview(context.Background(), awaitingReview(slug, 1), reviewLogged(comments.ActionReviewSubmit, slug)); err != nil {
			t.Fatal(err)
		}
	},
	"a preview link": func(t *testing.T, db *DB, slug string) {
		link := previewLinkOf("token-kay", slug, 1)
		if err := db.AddPreviewLink(context.Background(), link, linkLogged(comments.ActionPreviewLink, link)); err != nil {
			t.Fatal(err)
		}
	},
	"a comment": func(t *testing.T, db *DB, slug string) { add(t, db, newComment(slug, 1)) },
}

func TestSlugUsedFindsTheHistoryLinksAndCommentsAPostLeavesUnderItsSlug(t *testing.T) {
	ctx := context.Background()
	for what, leave := range leftovers {
		if what == "a review" {
			continue // a new post ends it (authoring)
		}
		t.Run(what, func(t *testing.T) {
			db, _ := openTest(t)
			if used, err := db.SlugUsed(ctx, "race"); err != nil || used {
				t.Fatalf("SlugUsed of an empty database = %v, %v", used, err)
			}
			leave(t, db, "race")
			if used, err := db.SlugUsed(ctx, "race"); err != nil || !used {
				t.Errorf("SlugUsed with %s under the slug = %v, %v, want true", what, used, err)
			}
			// Only the slug itself: not one it starts, nor one starting it.
			for _, other := range []string{"rac", "race-day"} {
				if used, err := db.SlugUsed(ctx, other); err != nil || used {
					t.Errorf("SlugUsed(%q) with %s under race = %v, %v", other, what, used, err)
				}
			}
		})
	}
}

func TestRenamePostRefusesASlugWithAnotherPostsRecordsAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	for what, leave := range leftovers {
		t.Run(what, func(t *testing.T) {
			db, _ := openTest(t)
			// Kay's post, deleted to the trash, left its records under
			// "race"; Cora's draft asks for that slug.
			leave(t, db, "race")
			saved := comments.Action{At: t0, By: "cora", Kind: comments.ActionPostSave, Target: "post cora-draft", Post: "cora-draft"}
			if _, err := db.AddRevision(ctx, revisionOf("cora-draft", "cora's story", 2), saved); err != nil {
				t.Fatal(err)
			}
			moved := comments.Action{At: t0, By: "cora", Kind: comments.ActionPostSave, Target: "post race", Post: "race"}
			err := db.RenamePost(ctx, "cora-draft", "race", revisionOf("race", "cora's story, again", 3), moved)
			if !errors.Is(err, authoring.ErrSlugUsed) {
				t.Fatalf("RenamePost onto a slug with %s = %v, want ErrSlugUsed", what, err)
			}
			if revs, _ := db.Revisions(ctx, "cora-draft"); len(revs) != 1 {
				t.Errorf("the draft's history after a refused move = %+v", revs)
			}
			revs, _ := db.Revisions(ctx, "race")
			for _, r := range revs {
				if r.By == "cora" {
					t.Errorf("a refused move kept %+v under race", r)
				}
			}
			log, _, _ := db.Actions(ctx, comments.ActionPostSave, 0, 10)
			for _, a := range log {
				if a.Post == "race" && a.By == "cora" {
					t.Errorf("a refused move was logged: %+v", a)
				}
			}
			mustCheck(t, db)
		})
	}
}
