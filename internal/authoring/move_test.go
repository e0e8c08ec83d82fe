package authoring_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"milepost/internal/authoring"
	"milepost/internal/bolt"
	"milepost/internal/comments"
)

// A draft's move to a new slug has four steps — the move recorded, the
// folder moved, the records moved with the previous version kept, the
// file written — and the move ended from where the file is. Whichever
// step fails, or wherever a crash stops it, the post's history, review
// and preview links end up under the slug of the place its file is in.

// stepStore is the database with one step of a move failing, after the
// steps before it succeeded.
type stepStore struct {
	*bolt.DB
	fail string // "begin", "rename", "end": that call fails
	// afterBegin and afterRename run once that call succeeded: what
	// another process does meanwhile.
	afterBegin, afterRename func()
}

var errStep = errors.New("the step failed")

func (s stepStore) BeginMove(ctx context.Context, m authoring.Move) error {
	if s.fail == "begin" {
		return errStep
	}
	err := s.DB.BeginMove(ctx, m)
	if err == nil && s.afterBegin != nil {
		s.afterBegin()
	}
	return err
}

func (s stepStore) RenamePost(ctx context.Context, from, to string, r authoring.Revision, logged comments.Action) error {
	if s.fail == "rename" {
		return errStep
	}
	err := s.DB.RenamePost(ctx, from, to, r, logged)
	if err == nil && s.afterRename != nil {
		s.afterRename()
	}
	return err
}

func (s stepStore) EndMove(ctx context.Context, m authoring.Move, at string) error {
	if s.fail == "end" {
		return errStep
	}
	return s.DB.EndMove(ctx, m, at)
}

// draftWithHistory is the draft posts/hills/index.md saved once in the
// editor (one version kept) with a preview link.
func draftWithHistory(t *testing.T) *site {
	t.Helper()
	s := newSite(t)
	s.write("posts/hills/index.md", draftPost)
	p := s.open("hills")
	e := unchanged(p)
	e.Body = "\nUp and down, twice.\n"
	s.save(e, p.Version)
	if _, _, err := s.svc.CreatePreviewLink(context.Background(), "hills", "kay"); err != nil {
		t.Fatal(err)
	}
	return s
}

// moveEdit is the draft's edit that takes it to hill-reps.
func (s *site) moveEdit() (authoring.Edit, authoring.Version) {
	p := s.open("hills")
	e := unchanged(p)
	e.Body = "\nUp and down, three times.\n"
	e.NewSlug = "hill-reps"
	return e, p.Version
}

// wantTogether fails unless the post's file is under the slug at, the
// other slug has neither file nor records, and no move is under way.
func (s *site) wantTogether(at, other string) {
	s.t.Helper()
	ctx := context.Background()
	if _, err := os.Stat(s.path("posts/" + at + "/index.md")); err != nil {
		s.t.Errorf("the file is not under %s: %v", at, err)
	}
	if _, err := os.Stat(s.path("posts/" + other)); !os.IsNotExist(err) {
		s.t.Errorf("posts/%s is there: %v", other, err)
	}
	if revs, err := s.db.Revisions(ctx, at); err != nil || len(revs) == 0 {
		s.t.Errorf("the history under %s: %v, %v", at, revs, err)
	}
	if links, err := s.db.PreviewLinks(ctx, at); err != nil || len(links) != 1 {
		s.t.Errorf("the preview links under %s: %v, %v", at, links, err)
	}
	if used, err := s.db.SlugUsed(ctx, other); err != nil || used {
		s.t.Errorf("records left under %s: %v, %v", other, used, err)
	}
	if moves, err := s.db.PendingMoves(ctx); err != nil || len(moves) != 0 {
		s.t.Errorf("moves under way: %v, %v", moves, err)
	}
}

func (s *site) service(store authoring.Store) *authoring.Service {
	s.t.Helper()
	svc, err := authoring.New(authoring.Config{Site: s.load, TrashDir: s.trash, Store: store, Now: func() time.Time { return when }})
	if err != nil {
		s.t.Fatal(err)
	}
	return svc
}

func TestADraftsMoveThatFailsAtAnyStepLeavesItsFileAndRecordsTogether(t *testing.T) {
	for _, c := range []struct {
		step string
		make func(s *site) stepStore
		file string // what the file holds after
	}{
		{"recording the move", func(s *site) stepStore { return stepStore{DB: s.db, fail: "begin"} }, "twice"},
		{"moving the folder, its place taken meanwhile", func(s *site) stepStore {
			return stepStore{DB: s.db, afterBegin: func() { s.write("posts/hill-reps/notes.txt", "someone else's") }}
		}, "twice"},
		{"keeping the records", func(s *site) stepStore { return stepStore{DB: s.db, fail: "rename"} }, "twice"},
		{"writing the file, after the records moved", func(s *site) stepStore {
			// The file is changed by hand at its new place before the
			// rename: the write refuses to overwrite it, and the hand
			// edit goes back with the folder.
			return stepStore{DB: s.db, afterRename: func() { s.write("posts/hill-reps/index.md", draftPost+"A hand edit.\n") }}
		}, "A hand edit."},
	} {
		t.Run(c.step, func(t *testing.T) {
			s := draftWithHistory(t)
			e, v := s.moveEdit()
			if _, err := s.service(c.make(s)).Save(context.Background(), e, v); err == nil {
				t.Fatal("the save succeeded")
			}
			if strings.Contains(c.step, "taken") {
				// The other's folder stays, and gets nothing of this post.
				if revs, _ := s.db.Revisions(context.Background(), "hill-reps"); len(revs) != 0 {
					t.Errorf("the taken slug got the history: %v", revs)
				}
				os.RemoveAll(s.path("posts/hill-reps"))
			}
			if got := s.read("posts/hills/index.md"); !strings.Contains(got, c.file) {
				t.Errorf("the file is not as it was:\n%s", got)
			}
			s.wantTogether("hills", "hill-reps")
			s.noStrayFiles()
		})
	}
}

func TestAMoveWhoseEndFailedIsEndedAtStartUp(t *testing.T) {
	s := draftWithHistory(t)
	e, v := s.moveEdit()
	if _, err := s.service(stepStore{DB: s.db, fail: "end"}).Save(context.Background(), e, v); err != nil {
		t.Fatalf("the save failed: %v", err)
	}
	if moves, _ := s.db.PendingMoves(context.Background()); len(moves) != 1 {
		t.Fatalf("moves under way: %v", moves)
	}
	if err := s.svc.SettleMoves(context.Background()); err != nil {
		t.Fatal(err)
	}
	s.wantTogether("hill-reps", "hills")
}

func TestAMoveACrashLeftIsSettledFromWhereTheFileIs(t *testing.T) {
	ctx := context.Background()
	move := authoring.Move{From: "hills", To: "hill-reps", FromPath: "posts/hills", ToPath: "posts/hill-reps"}
	moveFolder := func(s *site) {
		if err := os.Rename(s.path(move.FromPath), s.path(move.ToPath)); err != nil {
			t.Fatal(err)
		}
	}
	moveRecords := func(s *site) {
		if err := s.db.RenamePost(ctx, move.From, move.To, authoring.Revision{}, comments.Action{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		after string
		steps []func(*site)
		at    string
	}{
		{"the move was recorded", nil, "hills"},
		{"the folder moved", []func(*site){moveFolder}, "hill-reps"},
		{"the records moved", []func(*site){moveFolder, moveRecords}, "hill-reps"},
		{"the records moved and the folder went back (a failed write's undo)", []func(*site){moveRecords}, "hills"},
	} {
		t.Run(c.after, func(t *testing.T) {
			s := draftWithHistory(t)
			if err := s.db.BeginMove(ctx, move); err != nil {
				t.Fatal(err)
			}
			for _, step := range c.steps {
				step(s)
			}
			// The server starts again.
			if err := s.service(s.db).SettleMoves(ctx); err != nil {
				t.Fatal(err)
			}
			other := map[string]string{"hills": "hill-reps", "hill-reps": "hills"}[c.at]
			s.wantTogether(c.at, other)
		})
	}
}

// countingStore counts the kept versions read whole.
type countingStore struct {
	*bolt.DB
	reads *int
}

func (s countingStore) Revision(ctx context.Context, slug string, id uint64) (authoring.Revision, error) {
	*s.reads++
	return s.DB.Revision(ctx, slug, id)
}

func TestWhetherADraftWasEverOutIsKeptNotReadAgain(t *testing.T) {
	ctx := context.Background()
	published := strings.Replace(draftPost, "draft: true\n", "", 1)
	t.Run("a version kept as out", func(t *testing.T) {
		s := newSite(t)
		s.write("posts/hills/index.md", published)
		p := s.open("hills")
		e := unchanged(p)
		e.Draft = true // taken down: the version replaced was out
		s.save(e, p.Version)
		reads := 0
		svc := s.service(countingStore{s.db, &reads})
		if err := svc.Renamable(ctx, s.open("hills")); !errors.Is(err, authoring.ErrRenamePublished) {
			t.Errorf("Renamable = %v, want ErrRenamePublished", err)
		}
		if reads != 0 {
			t.Errorf("%d versions read: the fact was kept with the version", reads)
		}
	})
	t.Run("a history kept before the fact", func(t *testing.T) {
		s := newSite(t)
		s.write("posts/hills/index.md", draftPost)
		// Versions kept by an older Milepost say nothing of being out.
		for i, text := range []string{published, draftPost + "Older.\n", draftPost + "Old.\n"} {
			r := authoring.Revision{Slug: "hills", File: "posts/hills/index.md", Version: authoring.VersionOf([]byte(text)),
				By: "kay", At: when.Add(time.Duration(i) * time.Minute), Content: []byte(text)}
			if _, err := s.db.AddRevision(ctx, r, comments.Action{At: when, By: "kay", Kind: comments.ActionPostSave, Target: "post hills", Post: "hills"}); err != nil {
				t.Fatal(err)
			}
		}
		reads := 0
		svc := s.service(countingStore{s.db, &reads})
		for range 3 {
			if err := svc.Renamable(ctx, s.open("hills")); !errors.Is(err, authoring.ErrRenamePublished) {
				t.Errorf("Renamable = %v, want ErrRenamePublished", err)
			}
		}
		if reads == 0 || reads > 3 {
			t.Errorf("%d versions read for three edit pages: want the history read once", reads)
		}
	})
}
