package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"milepost/internal/comments"
)

// inOneGroup calls each of writes on a goroutine of its own, in order,
// while the test holds the database's write lock, and lets go of it once
// they are all queued: the first is committed alone (it leads, and waits
// for the lock), the others together in the next transaction, in the
// order given. It returns when every write has.
func inOneGroup(t *testing.T, db *DB, writes ...func()) {
	t.Helper()
	tx, err := db.bolt.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i, write := range writes {
		wg.Go(write)
		// The leader takes its own write off the queue; the others stay.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			db.commits.mu.Lock()
			queued, leading := len(db.commits.queue), db.commits.leading
			db.commits.mu.Unlock()
			if leading && queued == i {
				break
			}
			if time.Now().After(deadline) {
				tx.Rollback()
				t.Fatalf("write %d was not queued: %d queued", i, queued)
			}
		}
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
}

// submitInOneGroup submits newComment("p", w) for each writer w of n, with
// the decision decide(w), through inOneGroup, and returns each writer's
// comment, error and the panic it recovered from, if any.
func submitInOneGroup(t *testing.T, db *DB, n int, decide func(w int) func(*comments.Comment, comments.Facts) error) (
	got []comments.Comment, errs []error, panics []any) {
	t.Helper()
	got, errs, panics = make([]comments.Comment, n), make([]error, n), make([]any, n)
	writes := make([]func(), n)
	for w := range n {
		writes[w] = func() {
			defer func() { panics[w] = recover() }()
			got[w] = newComment("p", w)
			errs[w] = db.Submit(context.Background(), &got[w], time.Time{}, decide(w))
		}
	}
	inOneGroup(t, db, writes...)
	return got, errs, panics
}

// wantStored fails the test unless post has n comments in the file.
func wantStored(t *testing.T, db *DB, post string, n int) {
	t.Helper()
	all, err := db.ByPost(context.Background(), post)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != n {
		t.Errorf("%d comments stored on %s, want %d", len(all), post, n)
	}
}

// approveOrFail is a decision that approves, counting its calls, or, for a
// failing writer, breaks the rule that a decision leaves the comment's post
// alone: an error of the transaction, not a refusal.
func approveOrFail(calls *atomic.Int32, fail bool) func(*comments.Comment, comments.Facts) error {
	return func(c *comments.Comment, _ comments.Facts) error {
		calls.Add(1)
		c.Status = comments.StatusApproved
		if fail {
			c.Post = "elsewhere"
		}
		return nil
	}
}

// TestConcurrentCommentsKeepEveryIndexAndSurviveReopening: 64 readers post
// top-level comments, held ones and replies two deep on one post at once,
// through the Service's rules. Every comment acknowledged is in the file
// after it is closed and opened again, as it was acknowledged, and every
// index agrees with the comments (Check).
func TestConcurrentCommentsKeepEveryIndexAndSurviveReopening(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "milepost.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	settings := openSettings()
	settings.HoldWords = []string{"casino"}
	svc := comments.New(db, comments.Options{Settings: func() comments.Settings { return settings }})
	const post = "massage-during-training"
	root, err := svc.Post(ctx, comments.Input{Post: post, Name: "Kay", Body: "Where do we meet on Sunday?"},
		comments.Author{IP: "198.51.100.1"})
	if err != nil {
		db.Close()
		t.Fatal(err)
	}

	const writers, each = 64, 6
	var (
		mu    sync.Mutex
		acked = []comments.Comment{root}
		wg    sync.WaitGroup
	)
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			who := comments.Author{IP: fmt.Sprintf("192.0.2.%d", w), CommenterID: fmt.Sprintf("writer-%d", w)}
			var last uint64 // this writer's last approved reply to the root
			for i := range each {
				in := comments.Input{Post: post, Name: "Runner", Body: fmt.Sprintf("Comment %d of writer %d.", i, w)}
				switch {
				case i == 3:
					in.Body += " Try the casino." // held
				case i%3 == 1:
					in.Parent = strconv.FormatUint(root.ID, 10)
				case i%3 == 2:
					in.Parent = strconv.FormatUint(last, 10) // two deep
				}
				c, err := svc.Post(ctx, in, who)
				if err != nil {
					errs <- fmt.Errorf("writer %d, comment %d: %w", w, i, err)
					return
				}
				if c.ID == 0 || (in.Parent != "" && c.Depth == 0) {
					errs <- fmt.Errorf("writer %d, comment %d acknowledged as %+v", w, i, c)
					return
				}
				if i%3 == 1 {
					last = c.ID
				}
				mu.Lock()
				acked = append(acked, c)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	for err := range errs {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	mustCheck(t, db)
	held, approved := 0, 0
	for _, want := range acked {
		got, err := db.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("acknowledged comment %d: %v", want.ID, err)
		}
		if got.Body != want.Body || got.Status != want.Status || got.Parent != want.Parent ||
			got.Depth != want.Depth || got.Thread != want.Thread {
			t.Errorf("comment %d was acknowledged as %+v, is stored as %+v", want.ID, want, got)
		}
		if want.Status == comments.StatusPending {
			held++
		} else {
			approved++
		}
	}
	all, err := db.ByPost(ctx, post)
	if err != nil {
		t.Fatal(err)
	}
	counts, err := db.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(acked) || counts[post] != approved || held == 0 {
		t.Errorf("%d comments stored, %d approved counted; want %d acknowledged, %d approved (and some of %d held)",
			len(all), counts[post], len(acked), approved, held)
	}
}

// TestTheSameCommentPostedAtOnceIsStoredOnce: 16 copies of one comment from
// one address, sharing one transaction: the duplicate rule is decided
// inside it, so the first is stored and the others are refused as
// duplicates.
func TestTheSameCommentPostedAtOnceIsStoredOnce(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	const copies = 16
	svc := comments.New(db, comments.Options{Settings: openSettings, Now: func() time.Time { return t0 }})
	var stored, duplicates atomic.Int32
	post := func(body string) func() {
		return func() {
			_, err := svc.Post(ctx, comments.Input{Post: "p", Name: "Kay", Body: body}, comments.Author{IP: "192.0.2.7"})
			switch {
			case err == nil:
				stored.Add(1)
			case errors.Is(err, comments.ErrDuplicate):
				duplicates.Add(1)
			default:
				t.Error(err)
			}
		}
	}
	writes := []func(){post("Another comment, which leads.")}
	for range copies {
		writes = append(writes, post("Great run!"))
	}
	inOneGroup(t, db, writes...)
	if stored.Load() != 2 || duplicates.Load() != copies-1 {
		t.Errorf("%d stored, %d refused as duplicates; want 2 (one copy), %d", stored.Load(), duplicates.Load(), copies-1)
	}
	wantStored(t, db, "p", 2)
}

// TestARefusalInASharedCommitRefusesOnlyItsWriter: one of 15 writers
// sharing a transaction (behind a 16th, committed alone) is refused by its
// decision. It gets its refusal as it is
// and nothing of its comment is stored; the others are stored, and as a
// refusal is no failure of the transaction, no decision is run twice.
func TestARefusalInASharedCommitRefusesOnlyItsWriter(t *testing.T) {
	db, _ := openTest(t)
	const writers, refused = 16, 3
	refusal := errors.New("refused by the test's rule")
	var calls atomic.Int32
	got, errs, _ := submitInOneGroup(t, db, writers, func(w int) func(*comments.Comment, comments.Facts) error {
		return func(*comments.Comment, comments.Facts) error {
			calls.Add(1)
			if w == refused {
				return refusal
			}
			return nil
		}
	})
	for w, err := range errs {
		switch {
		case w == refused && (err != refusal || got[w].ID != 0):
			t.Errorf("the refused writer got %v and ID %d, want its refusal as it is and no ID", err, got[w].ID)
		case w != refused && err != nil:
			t.Errorf("writer %d: %v", w, err)
		}
	}
	if n := calls.Load(); n != writers {
		t.Errorf("%d decisions for %d writers: the shared transaction was run again", n, writers)
	}
	wantStored(t, db, "p", writers-1)
}

// TestAFailingWriteInASharedCommitFailsOnlyItsWriter: the last of 15
// writers sharing a transaction (behind a 16th, committed alone) makes it
// fail. The group is rolled back and run again without it, and the
// failing one alone: that one gets its own
// error (after exactly two tries) with its comment untouched; each of the
// others gets the ID its comment has in the file, though its first run
// may have taken another, and the IDs are 1 to 15, none lost to the
// failed run.
func TestAFailingWriteInASharedCommitFailsOnlyItsWriter(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	const writers = 16
	calls := make([]atomic.Int32, writers)
	// The failing writer comes last in the group, so that the others
	// have run before it fails and must be run again.
	got, errs, _ := submitInOneGroup(t, db, writers, func(w int) func(*comments.Comment, comments.Facts) error {
		return approveOrFail(&calls[w], w == writers-1)
	})

	if err := errs[writers-1]; err == nil || got[writers-1].ID != 0 || got[writers-1].Post != "p" {
		t.Errorf("the failing writer got %v and %+v, want an error and its comment as it was", err, got[writers-1])
	}
	if n := calls[writers-1].Load(); n != 2 {
		t.Errorf("the failing writer's decision ran %d times, want 2 (in the group, then alone)", n)
	}
	again, seen := 0, map[uint64]bool{}
	for w := range writers - 1 {
		if errs[w] != nil {
			t.Fatalf("writer %d: %v", w, errs[w])
		}
		if calls[w].Load() > 1 {
			again++
		}
		stored, err := db.Get(ctx, got[w].ID)
		if err != nil || stored.Body != got[w].Body || seen[got[w].ID] || got[w].ID >= writers {
			t.Errorf("writer %d was given ID %d, which holds %q (%v)", w, got[w].ID, stored.Body, err)
		}
		seen[got[w].ID] = true
	}
	if again != writers-2 {
		t.Errorf("%d writers were run again after the failure, want the %d before it in its group", again, writers-2)
	}
	wantStored(t, db, "p", writers-1)
}

// TestAPanickingWriteInASharedCommitPanicsOnlyItsWriter: a write that
// panics in a group fails only itself: the others are committed, and the
// panic is raised on its own writer's goroutine when it is run alone, as
// it would have been without the group.
func TestAPanickingWriteInASharedCommitPanicsOnlyItsWriter(t *testing.T) {
	db, _ := openTest(t)
	const writers, panicking = 6, 3
	_, errs, panics := submitInOneGroup(t, db, writers, func(w int) func(*comments.Comment, comments.Facts) error {
		return func(*comments.Comment, comments.Facts) error {
			if w == panicking {
				panic("a broken rule")
			}
			return nil
		}
	})
	for w, err := range errs {
		if w == panicking && panics[w] != "a broken rule" {
			t.Errorf("the panicking writer recovered %v", panics[w])
		}
		if w != panicking && (err != nil || panics[w] != nil) {
			t.Errorf("writer %d: %v, %v", w, err, panics[w])
		}
	}
	wantStored(t, db, "p", writers-1)
}
