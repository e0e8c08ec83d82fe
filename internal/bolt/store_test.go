package bolt

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"milepost/internal/comments"
)

func TestAddAndGet(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	in := newComment("massage-during-training", 0)
	in.Email, in.Website, in.IP = "kay@example.org", "https://kay.example.org/", "192.0.2.1"
	in.Updated = t0.Add(time.Hour)
	in.ID, in.Depth = 77, 3 // ignored: the store assigns both

	c := in
	if err := db.Add(ctx, &c); err != nil {
		t.Fatal(err)
	}
	if c.ID != 1 || c.Depth != 0 {
		t.Errorf("Add set ID %d depth %d, want 1 and 0", c.ID, c.Depth)
	}
	got, err := db.Get(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got); diff != "" {
		t.Errorf("Get (-added +got):\n%s", diff)
	}
	if c2 := add(t, db, newComment("other", 1)); c2.ID != 2 {
		t.Errorf("second ID = %d, want 2", c2.ID)
	}
	mustCheck(t, db)
}

func TestGetMissing(t *testing.T) {
	db, _ := openTest(t)
	_, err := db.Get(context.Background(), 42)
	if !errors.Is(err, comments.ErrNotFound) {
		t.Fatalf("Get(42) = %v, want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), "42") {
		t.Errorf("error %q does not name the comment", err)
	}
}

func TestByPostOrderAndIsolation(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	// Added out of time order, as an import would; "run" is a prefix of
	// "run-club" and "run\x01"-like neighbours, which must not leak in.
	a := add(t, db, newComment("run", 30))
	add(t, db, newComment("run-club", 5))
	b := add(t, db, newComment("run", 10))
	add(t, db, newComment("ru", 1))
	c := add(t, db, newComment("run", 20))
	d := add(t, db, newComment("run", 10)) // same instant as b: ID breaks the tie
	spam := newComment("run", 0)
	spam.Status = comments.StatusSpam
	spam = add(t, db, spam)

	got, err := db.ByPost(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{spam.ID, b.ID, d.ID, c.ID, a.ID}
	if diff := cmp.Diff(want, ids(got)); diff != "" {
		t.Errorf("ByPost(run) IDs (-want +got):\n%s", diff)
	}
	for _, post := range []string{"", "r", "runs", "run-", "nothing"} {
		if got, err := db.ByPost(ctx, post); err != nil || len(got) != 0 {
			t.Errorf("ByPost(%q) = %v, %v; want none", post, ids(got), err)
		}
	}
	mustCheck(t, db)
}

func TestCountsApprovedOnly(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	if got, err := db.Counts(ctx); err != nil || len(got) != 0 {
		t.Fatalf("Counts of an empty database = %v, %v", got, err)
	}
	for i, s := range []comments.Status{comments.StatusApproved, comments.StatusApproved, comments.StatusPending, comments.StatusSpam} {
		c := newComment("a", i)
		c.Status = s
		add(t, db, c)
	}
	add(t, db, newComment("b", 0))
	pending := newComment("c", 0)
	pending.Status = comments.StatusPending
	add(t, db, pending)

	got, err := db.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]int{"a": 2, "b": 1}, got); diff != "" {
		t.Errorf("Counts (-want +got):\n%s", diff)
	}
	mustCheck(t, db)
}

func TestDeleteUpdatesIndexesAndCounts(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	a := add(t, db, newComment("p", 0))
	b := add(t, db, newComment("p", 1))
	pending := newComment("p", 2)
	pending.Status = comments.StatusPending
	pending = add(t, db, pending)
	reply := newComment("p", 3)
	reply.Parent = a.ID
	reply = add(t, db, reply)
	other := add(t, db, newComment("q", 0))

	// Deleting a parent keeps its reply, which the thread then lifts up.
	if err := db.Delete(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, db)
	if _, err := db.Get(ctx, a.ID); !errors.Is(err, comments.ErrNotFound) {
		t.Errorf("Get(deleted) = %v, want ErrNotFound", err)
	}
	got, _ := db.ByPost(ctx, "p")
	if diff := cmp.Diff([]uint64{b.ID, pending.ID, reply.ID}, ids(got)); diff != "" {
		t.Errorf("ByPost after delete (-want +got):\n%s", diff)
	}
	counts, _ := db.Counts(ctx)
	if diff := cmp.Diff(map[string]int{"p": 2, "q": 1}, counts); diff != "" {
		t.Errorf("Counts after delete (-want +got):\n%s", diff)
	}

	// A pending comment was never counted, so deleting it changes no count.
	if err := db.Delete(ctx, pending.ID); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, db)
	// The last approved comments of a post: its count disappears.
	for _, id := range []uint64{b.ID, reply.ID, other.ID} {
		if err := db.Delete(ctx, id); err != nil {
			t.Fatal(err)
		}
		mustCheck(t, db)
	}
	if counts, _ := db.Counts(ctx); len(counts) != 0 {
		t.Errorf("Counts after deleting everything = %v", counts)
	}
	if got, _ := db.ByPost(ctx, "p"); len(got) != 0 {
		t.Errorf("ByPost after deleting everything = %v", ids(got))
	}

	if err := db.Delete(ctx, a.ID); !errors.Is(err, comments.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	// IDs are never reused, even after a delete.
	if c := add(t, db, newComment("p", 9)); c.ID != other.ID+1 {
		t.Errorf("ID after deletes = %d, want %d", c.ID, other.ID+1)
	}
}

func TestReplyParentRules(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	root := add(t, db, newComment("p", 0))
	elsewhere := add(t, db, newComment("q", 0))

	reply := newComment("p", 1)
	reply.Parent = root.ID
	reply = add(t, db, reply)
	if reply.Depth != 1 {
		t.Errorf("reply depth = %d, want 1", reply.Depth)
	}
	deeper := newComment("p", 2)
	deeper.Parent = reply.ID
	deeper.Depth = 0 // the store computes it
	if deeper = add(t, db, deeper); deeper.Depth != 2 {
		t.Errorf("reply to a reply has depth %d, want 2", deeper.Depth)
	}

	for name, parent := range map[string]uint64{"unknown parent": 999, "parent on another post": elsewhere.ID} {
		t.Run(name, func(t *testing.T) {
			c := newComment("p", 3)
			c.Parent = parent
			before := c
			err := db.Add(ctx, &c)
			if !errors.Is(err, comments.ErrParent) {
				t.Fatalf("Add = %v, want ErrParent", err)
			}
			if diff := cmp.Diff(before, c); diff != "" {
				t.Errorf("failed Add changed the comment (-before +after):\n%s", diff)
			}
		})
	}
	got, _ := db.ByPost(ctx, "p")
	if len(got) != 3 {
		t.Errorf("ByPost(p) has %d comments, want 3", len(got))
	}
	// A refused Add used up no ID.
	if c := add(t, db, newComment("p", 4)); c.ID != deeper.ID+1 {
		t.Errorf("ID after refused adds = %d, want %d", c.ID, deeper.ID+1)
	}
	mustCheck(t, db)
}

func TestAddRefusesUnusablePostSlug(t *testing.T) {
	db, _ := openTest(t)
	for _, post := range []string{"", "a\x00b"} {
		c := newComment(post, 0)
		if err := db.Add(context.Background(), &c); err == nil {
			t.Errorf("Add with post %q succeeded", post)
		}
	}
}

func TestCancelledContextStartsNoTransaction(t *testing.T) {
	db, _ := openTest(t)
	existing := add(t, db, newComment("p", 0))
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := newComment("p", 1)
	checks := map[string]error{
		"Add":    db.Add(ctx, &c),
		"Delete": db.Delete(ctx, existing.ID),
		"Check":  db.Check(ctx),
	}
	_, checks["Get"] = db.Get(ctx, existing.ID)
	_, checks["ByPost"] = db.ByPost(ctx, "p")
	_, checks["Counts"] = db.Counts(ctx)
	_, checks["Seed"] = db.Seed(ctx, nil)
	for name, err := range checks {
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a cancelled context = %v", name, err)
		}
	}
	if got, _ := db.ByPost(context.Background(), "p"); len(got) != 1 {
		t.Errorf("a cancelled call changed the database: %v", ids(got))
	}
	if seeded, _ := db.Seed(context.Background(), nil); !seeded {
		t.Error("a cancelled Seed marked the database as seeded")
	}
}

func TestConcurrentAdds(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	const workers, each = 16, 8
	posts := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	got := make(chan uint64, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				c := newComment(posts[(w+i)%len(posts)], w*each+i)
				if err := db.Add(ctx, &c); err != nil {
					errs <- err
					return
				}
				got <- c.ID
			}
		})
	}
	// Readers alongside the writers: bbolt gives them consistent snapshots.
	wg.Go(func() {
		for range 20 {
			if _, err := db.ByPost(ctx, "a"); err != nil {
				errs <- err
			}
			if _, err := db.Counts(ctx); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	close(got)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for id := range got {
		if seen[id] {
			t.Fatalf("ID %d given twice", id)
		}
		seen[id] = true
	}
	if len(seen) != workers*each {
		t.Fatalf("%d IDs, want %d", len(seen), workers*each)
	}
	total := 0
	for _, post := range posts {
		cs, err := db.ByPost(ctx, post)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if !seen[c.ID] {
				t.Errorf("stored comment %d was not reported by Add", c.ID)
			}
			delete(seen, c.ID)
		}
		total += len(cs)
	}
	if total != workers*each || len(seen) != 0 {
		t.Errorf("ByPost finds %d comments, want %d; missing %v", total, workers*each, seen)
	}
	counts, _ := db.Counts(ctx)
	if sum := counts["a"] + counts["b"] + counts["c"]; sum != workers*each {
		t.Errorf("Counts sum to %d, want %d", sum, workers*each)
	}
	mustCheck(t, db)
}
