package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"testing"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

// bulk stores comments in one transaction, as the store's own writes do,
// and returns them as stored; a reply's Parent is an index into cs plus
// one, turned into the ID the parent got.
func bulk(t testing.TB, db *DB, cs []comments.Comment) []comments.Comment {
	t.Helper()
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		for i := range cs {
			c := &cs[i]
			if c.Parent != 0 {
				p := cs[c.Parent-1]
				c.Parent, c.Depth = p.ID, p.Depth+1
			}
			id, err := b.comments.NextSequence()
			if err != nil {
				return err
			}
			c.ID = id
			if err := putComment(b, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

func status(post string, minutes int, st comments.Status) comments.Comment {
	c := newComment(post, minutes)
	c.Status = st
	return c
}

// decodes returns how many comments fn decoded.
func decodes(fn func()) uint64 {
	before := commentsDecoded.Load()
	fn()
	return commentsDecoded.Load() - before
}

// TestAPageReadsOnlyWhatItShows is the spam flood: 5,000 spam comments and
// a reader's held ones around 2 approved ones. A page view decodes the 2
// approved comments and the viewer's own held one, nothing else.
func TestAPageReadsOnlyWhatItShows(t *testing.T) {
	db, _ := openTest(t)
	var cs []comments.Comment
	for i := range 5000 {
		cs = append(cs, status("p", i, comments.StatusSpam))
	}
	cs = append(cs, status("p", 5001, comments.StatusApproved), status("p", 5002, comments.StatusApproved))
	for i := range 30 {
		other := status("p", 6000+i, comments.StatusPending)
		other.CommenterID = "someone-else"
		cs = append(cs, other)
	}
	mine := status("p", 7000, comments.StatusPending)
	mine.CommenterID = "me"
	cs = append(cs, mine, status("q", 1, comments.StatusApproved))
	cs = bulk(t, db, cs)

	var slice comments.ThreadSlice
	n := decodes(func() {
		var err error
		slice, err = db.Threads(context.Background(), comments.ThreadQuery{Post: "p", Page: 1, Viewer: "me"})
		if err != nil {
			t.Fatal(err)
		}
	})
	if n != 3 {
		t.Errorf("a page view decoded %d comments, want 3 (2 approved, 1 of the viewer's held)", n)
	}
	if len(slice.Approved) != 2 || len(slice.Held) != 1 || slice.Held[0].ID != cs[len(cs)-2].ID ||
		slice.Threads != 2 || slice.Comments != 2 {
		t.Errorf("Threads = %d approved, %d held, %d threads, %d comments", len(slice.Approved), len(slice.Held), slice.Threads, slice.Comments)
	}
	if n := decodes(func() {
		if _, err := db.Threads(context.Background(), comments.ThreadQuery{Post: "p", Page: 1}); err != nil {
			t.Fatal(err)
		}
	}); n != 2 {
		t.Errorf("a page view without a commenter id decoded %d comments, want 2", n)
	}
	// The comment feeds, the site's and the post's, skip the spam too.
	var feed []comments.Comment
	if n := decodes(func() {
		var err error
		if feed, err = db.RecentApproved(context.Background(), 20); err != nil {
			t.Fatal(err)
		}
	}); n != 3 || len(feed) != 3 {
		t.Errorf("the site's comment feed decoded %d comments for %d", n, len(feed))
	}
	if n := decodes(func() {
		if feed, err := db.ApprovedOn(context.Background(), "p", 20); err != nil || len(feed) != 2 {
			t.Fatalf("ApprovedOn = %d, %v", len(feed), err)
		}
	}); n != 2 {
		t.Errorf("the post's comment feed decoded %d comments for 2", n)
	}
}

// TestALongPostReadsOnePageOfThreads: 5,000 threads of two comments each;
// any page decodes its own 50 threads' comments, and finding a comment's
// page decodes none.
func TestALongPostReadsOnePageOfThreads(t *testing.T) {
	db, _ := openTest(t)
	var cs []comments.Comment
	for i := range 5000 {
		cs = append(cs, newComment("p", 2*i))
		reply := newComment("p", 2*i+1)
		reply.Parent = uint64(len(cs))
		cs = append(cs, reply)
	}
	cs = bulk(t, db, cs)
	ctx := context.Background()
	per := comments.ThreadsPerPage
	for _, page := range []int{1, 51, 100} {
		var slice comments.ThreadSlice
		n := decodes(func() {
			var err error
			slice, err = db.Threads(ctx, comments.ThreadQuery{Post: "p", Page: page})
			if err != nil {
				t.Fatal(err)
			}
		})
		if n != uint64(2*per) || len(slice.Approved) != 2*per || slice.Threads != 5000 || slice.Comments != 10000 || slice.Pages != 100 {
			t.Errorf("page %d: decoded %d, got %d comments of %d threads, %d pages", page, n, len(slice.Approved), slice.Threads, slice.Pages)
		}
		if first := cs[2*(page-1)*per].ID; slice.Approved[0].Thread != first {
			t.Errorf("page %d starts at thread %d, want %d", page, slice.Approved[0].Thread, first)
		}
	}
	reply := cs[2*4321+1]
	var page int
	if n := decodes(func() {
		var err error
		if page, err = db.PageOf(ctx, reply); err != nil {
			t.Fatal(err)
		}
	}); n != 0 || page != 4321/per+1 {
		t.Errorf("PageOf = %d after %d decodes, want %d", page, n, 4321/per+1)
	}
	if page, _ := db.PageOf(ctx, comments.Comment{ID: 999999, Post: "p", Thread: 999999}); page != 100 {
		t.Errorf("PageOf a comment in no thread = %d, want the last, 100", page)
	}
}

// TestAHugeThreadReadsOnePageOfComments: one thread of 5,000 replies goes
// on over pages of at most comments.CommentsPerPage, each page decoding no
// more than it shows, and PageOf finds every reply's page without decoding.
func TestAHugeThreadReadsOnePageOfComments(t *testing.T) {
	db, _ := openTest(t)
	cs := []comments.Comment{newComment("p", 0)}
	for i := range 5000 {
		reply := newComment("p", i+1)
		reply.Parent = 1
		cs = append(cs, reply)
	}
	cs = bulk(t, db, cs)
	ctx := context.Background()
	per := comments.CommentsPerPage
	pages := (len(cs) + per - 1) / per
	for _, page := range []int{1, 2, pages / 2, pages} {
		var slice comments.ThreadSlice
		n := decodes(func() {
			var err error
			slice, err = db.Threads(ctx, comments.ThreadQuery{Post: "p", Page: page})
			if err != nil {
				t.Fatal(err)
			}
		})
		want := min(per, len(cs)-(page-1)*per)
		if n != uint64(want) || len(slice.Approved) != want || slice.Pages != pages {
			t.Errorf("page %d: decoded %d, got %d of %d pages; want %d", page, n, len(slice.Approved), slice.Pages, want)
		}
		if len(slice.Approved) > 0 && slice.Approved[0].ID != cs[(page-1)*per].ID {
			t.Errorf("page %d starts at comment %d, want %d", page, slice.Approved[0].ID, cs[(page-1)*per].ID)
		}
	}
	for i, c := range cs {
		var page int
		if n := decodes(func() {
			var err error
			if page, err = db.PageOf(ctx, c); err != nil {
				t.Fatal(err)
			}
		}); n != 0 || page != i/per+1 {
			t.Fatalf("PageOf(comment %d) = %d after %d decodes, want %d", c.ID, page, n, i/per+1)
		}
	}
}

// TestThreadIndexesFollowEveryChange: approving, holding, marking spam and
// deleting move a comment in and out of its thread, and the threads in and
// out of the count, with Check agreeing at every step.
func TestThreadIndexesFollowEveryChange(t *testing.T) {
	h := newHarness(t)
	h.setSettings(func(p *comments.Settings) { p.Moderation = comments.ModerationOpen })
	root := h.mustPost(ana, "p", "root", comments.StatusApproved)
	reply := h.reply(ben, root, "reply", comments.StatusApproved)
	other := h.mustPost(ben, "p", "another thread", comments.StatusApproved)
	threads := func() int {
		t.Helper()
		s, err := h.db.Threads(h.ctx, comments.ThreadQuery{Post: "p", Page: 1})
		if err != nil {
			t.Fatal(err)
		}
		mustCheck(t, h.db)
		return s.Threads
	}
	if reply.Thread != root.ID || other.Thread != other.ID || threads() != 2 {
		t.Fatalf("threads of %d, %d = %d, %d; %d threads", reply.ID, other.ID, reply.Thread, other.Thread, threads())
	}
	if _, err := h.svc.MarkSpam(h.ctx, "mod", root.ID); err != nil {
		t.Fatal(err)
	}
	if threads() != 2 { // the reply still shows the thread
		t.Errorf("spam root: %d threads, want 2", threads())
	}
	if _, err := h.svc.MarkSpam(h.ctx, "mod", reply.ID); err != nil {
		t.Fatal(err)
	}
	if threads() != 1 {
		t.Errorf("whole thread spam: %d threads, want 1", threads())
	}
	if page, _ := h.db.PageOf(h.ctx, other); page != 1 {
		t.Errorf("PageOf = %d", page)
	}
	if _, err := h.svc.Approve(h.ctx, "mod", reply.ID); err != nil {
		t.Fatal(err)
	}
	if err := h.svc.Delete(h.ctx, "mod", other.ID); err != nil {
		t.Fatal(err)
	}
	if threads() != 1 {
		t.Errorf("after approving and deleting: %d threads, want 1", threads())
	}
	if n, _ := h.db.Replies(h.ctx, root.ID); n != 1 {
		t.Errorf("Replies(root) = %d, want 1", n)
	}
}

// TestUpgradeFromSchemaVersion2 opens a database written before comments
// had threads: Open gives every comment its thread, builds the thread
// indexes, and the pages read right.
func TestUpgradeFromSchemaVersion2(t *testing.T) {
	ctx := context.Background()
	db := openUnchecked(t)
	path := db.Path()
	var cs []comments.Comment
	for i := range 3 {
		cs = append(cs, newComment("p", 10*i))
	}
	r1 := newComment("p", 31)
	r1.Parent = 1
	cs = append(cs, r1)
	r2 := newComment("p", 32)
	r2.Parent = 4 // a reply to the reply
	cs = append(cs, r2)
	held := status("p", 33, comments.StatusPending)
	held.CommenterID = "me"
	cs = append(cs, held)
	cs = bulk(t, db, cs)
	// Make it a version 2 file: no Thread in the records, no new buckets.
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		for _, c := range cs {
			var raw map[string]any
			if err := json.Unmarshal(b.comments.Get(idKey(c.ID)), &raw); err != nil {
				return err
			}
			delete(raw, "thread")
			data, _ := json.Marshal(raw)
			if err := b.comments.Put(idKey(c.ID), data); err != nil {
				return err
			}
		}
		for _, name := range [][]byte{bucketThreads, bucketPostThreads, bucketThreadComments, bucketHeldBy, bucketReplies, bucketPostApproved} {
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		return b.meta.Put(keySchemaVersion, []byte("2"))
	})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("opening a version 2 database: %v", err)
	}
	defer db.Close()
	mustCheck(t, db)
	if got := readMetaOpen(t, db, keySchemaVersion); got != strconv.Itoa(SchemaVersion) {
		t.Errorf("schema_version after the upgrade = %q", got)
	}
	deep, err := db.Get(ctx, cs[4].ID)
	if err != nil || deep.Thread != cs[0].ID {
		t.Errorf("the reply to a reply is in thread %d, %v; want %d", deep.Thread, err, cs[0].ID)
	}
	slice, err := db.Threads(ctx, comments.ThreadQuery{Post: "p", Page: 1, Viewer: "me"})
	// The held comment starts a thread no one sees: the store gives it with
	// every page, and the Service shows it on the last.
	if err != nil || slice.Threads != 3 || slice.Pages != 1 || len(slice.Approved) != 5 || len(slice.Held) != 1 {
		t.Errorf("the page after the upgrade = %d threads, %d approved, %d held, %v", slice.Threads, len(slice.Approved), len(slice.Held), err)
	}
	if feed, err := db.ApprovedOn(ctx, "p", 2); err != nil || len(feed) != 2 || feed[0].ID != cs[4].ID {
		t.Errorf("ApprovedOn after the upgrade = %v, %v", ids(feed), err)
	}
}

// TestApprovedOnIsNewestFirstAndPerPost reads a post's feed through its own
// index: approved comments only, newest first, not another post's whose
// slug starts the same.
func TestApprovedOnIsNewestFirstAndPerPost(t *testing.T) {
	db, _ := openTest(t)
	cs := bulk(t, db, []comments.Comment{
		newComment("run", 5), newComment("run", 1), status("run", 9, comments.StatusSpam),
		newComment("run-club", 7), newComment("runs", 8), newComment("run", 3),
	})
	got, err := db.ApprovedOn(context.Background(), "run", 10)
	want := []uint64{cs[0].ID, cs[5].ID, cs[1].ID}
	if err != nil || fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Errorf("ApprovedOn(run) = %v, %v; want %v", ids(got), err, want)
	}
	if got, _ := db.ApprovedOn(context.Background(), "run", 1); len(got) != 1 || got[0].ID != cs[0].ID {
		t.Errorf("ApprovedOn(run, 1) = %v", ids(got))
	}
}
