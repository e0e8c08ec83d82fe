// Package commentstest checks that a comments.Store keeps the contract its
// documentation states, in the style of testing/fstest.TestFS: every store
// (the bbolt one and the Service tests' in-memory fake) runs the same
// tests, so that no store can drift from what the Service relies on.
package commentstest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"milepost/internal/comments"
)

// T0 is the time the test comments are created around.
var T0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// TestStore runs every contract test, each on a new, empty store from
// newStore.
func TestStore(t *testing.T, newStore func(t *testing.T) comments.Store) {
	for _, tc := range []struct {
		name string
		test func(t *testing.T, s comments.Store)
	}{
		{"SubmitAssignsIDDepthAndThread", testSubmit},
		{"SubmitRefusesAParentOnAnotherPost", testSubmitParent},
		{"SubmitGathersTheFacts", testFacts},
		{"LastSameCountsAnIPv6Slash64AsOneWriter", testLastSameByAddressGroup},
		{"DecideRefusesAndNothingIsStored", testDecideRefuses},
		{"GetAndRepliesCountApprovedOnly", testGetReplies},
		{"ThreadsPagesApprovedThreads", testThreads},
		{"ThreadsGivesTheViewerTheirHeldComments", testThreadsHeld},
		{"ThreadsCutALongThreadOverPages", testThreadsPages},
		{"ApprovedOnAndCounts", testApprovedOn},
		{"SeedOnce", testSeed},
		{"ModifyChangesDeletesAndLogs", testModify},
		{"ModifyRefusesAnIdentityChange", testModifyIdentity},
		{"Bans", testBans},
		{"Closures", testClosures},
		{"ListingsNewestFirst", testListings},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.test(t, newStore(t)) })
	}
}

var ctx = context.Background()

// add submits c with the status it has, and returns it as stored.
func add(t *testing.T, s comments.Store, c comments.Comment) comments.Comment {
	t.Helper()
	status := c.Status
	if c.Created.IsZero() {
		c.Created = T0
	}
	if c.Body == "" {
		c.Body = fmt.Sprintf("comment at %v", c.Created)
	}
	err := s.Submit(ctx, &c, time.Time{}, func(sc *comments.Comment, _ comments.Facts) error {
		sc.Status = status
		return nil
	})
	if err != nil {
		t.Fatalf("Submit(%+v): %v", c, err)
	}
	return c
}

// at is a comment on post, minutes after T0, with a status.
func at(post string, minutes int, st comments.Status) comments.Comment {
	return comments.Comment{Post: post, Name: "Kay", Status: st, Created: T0.Add(time.Duration(minutes) * time.Minute),
		Body: fmt.Sprintf("%s at +%dm", post, minutes), HTML: "<p>x</p>\n"}
}

func reply(parent comments.Comment, minutes int, st comments.Status) comments.Comment {
	c := at(parent.Post, minutes, st)
	c.Parent = parent.ID
	return c
}

func idsOf(cs []comments.Comment) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func sortedIDs(cs []comments.Comment) []uint64 {
	out := idsOf(cs)
	slices.Sort(out)
	return out
}

func testSubmit(t *testing.T, s comments.Store) {
	root := add(t, s, at("p", 0, comments.StatusApproved))
	r1 := add(t, s, reply(root, 1, comments.StatusApproved))
	r2 := add(t, s, reply(r1, 2, comments.StatusPending))
	if root.ID == 0 || r1.ID <= root.ID || r2.ID <= r1.ID {
		t.Errorf("IDs %d, %d, %d are not new and increasing", root.ID, r1.ID, r2.ID)
	}
	if root.Depth != 0 || r1.Depth != 1 || r2.Depth != 2 {
		t.Errorf("depths %d, %d, %d; want 0, 1, 2", root.Depth, r1.Depth, r2.Depth)
	}
	if root.Thread != root.ID || r1.Thread != root.ID || r2.Thread != root.ID {
		t.Errorf("threads %d, %d, %d; want %d", root.Thread, r1.Thread, r2.Thread, root.ID)
	}
	got, err := s.Get(ctx, r2.ID)
	if err != nil || got.Thread != root.ID || got.Depth != 2 || got.Status != comments.StatusPending || got.Body != r2.Body {
		t.Errorf("Get = %+v, %v", got, err)
	}
}

func testSubmitParent(t *testing.T, s comments.Store) {
	other := add(t, s, at("q", 0, comments.StatusApproved))
	c := at("p", 1, comments.StatusApproved)
	c.Parent = other.ID
	err := s.Submit(ctx, &c, time.Time{}, func(*comments.Comment, comments.Facts) error { return nil })
	if !errors.Is(err, comments.ErrParent) || c.ID != 0 {
		t.Errorf("reply to another post's comment: %v, ID %d; want ErrParent and no ID", err, c.ID)
	}
	c.Parent = 12345
	if err := s.Submit(ctx, &c, time.Time{}, func(*comments.Comment, comments.Facts) error { return nil }); !errors.Is(err, comments.ErrParent) {
		t.Errorf("reply to no comment: %v; want ErrParent", err)
	}
}

func testFacts(t *testing.T, s comments.Store) {
	ban := comments.Ban{Kind: comments.BanIP, Value: "192.0.2.0/24", Reason: "spam", By: "mod", Created: T0}
	if err := s.PutBan(ctx, ban, comments.Action{At: T0, By: "mod", Kind: comments.ActionBan}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutBan(ctx, comments.Ban{Kind: comments.BanEmail, Value: "x@example.org", By: "mod", Created: T0},
		comments.Action{At: T0, By: "mod", Kind: comments.ActionBan}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetClosure(ctx, comments.Closure{Post: "p", Closed: true, By: "mod", At: T0},
		comments.Action{At: T0, By: "mod", Kind: comments.ActionClose}); err != nil {
		t.Fatal(err)
	}
	known := at("p", 0, comments.StatusApproved)
	known.Email, known.IP, known.CommenterID = "Kay@Example.org", "192.0.2.7", "kay"
	known = add(t, s, known)

	var f comments.Facts
	c := at("p", 5, "")
	c.Email, c.IP, c.Body = "KAY@example.org", "192.0.2.7", known.Body
	err := s.Submit(ctx, &c, time.Time{}, func(sc *comments.Comment, facts comments.Facts) error {
		f = facts
		sc.Status = comments.StatusApproved
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Bans) != 1 || f.Bans[0].Value != ban.Value {
		t.Errorf("Facts.Bans = %+v; want the network ban only", f.Bans)
	}
	if f.Closure == nil || !f.Closure.Closed {
		t.Errorf("Facts.Closure = %+v", f.Closure)
	}
	if !f.LastSame.Equal(known.Created) {
		t.Errorf("Facts.LastSame = %v, want %v", f.LastSame, known.Created)
	}
	if !f.Known {
		t.Error("Facts.Known is false for an approved writer's email in other case")
	}
	stranger := at("q", 6, "")
	stranger.CommenterID, stranger.IP = "new", "198.51.100.1"
	err = s.Submit(ctx, &stranger, time.Time{}, func(sc *comments.Comment, facts comments.Facts) error {
		f = facts
		sc.Status = comments.StatusPending
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Known || len(f.Bans) != 0 || f.Closure != nil || !f.LastSame.IsZero() {
		t.Errorf("Facts for a stranger on an open post = %+v", f)
	}
	byID := at("q", 7, "")
	byID.CommenterID = "kay"
	err = s.Submit(ctx, &byID, time.Time{}, func(sc *comments.Comment, facts comments.Facts) error {
		f = facts
		sc.Status = comments.StatusApproved
		return nil
	})
	if err != nil || !f.Known {
		t.Errorf("Facts.Known for an approved writer's commenter id = %v, %v", f.Known, err)
	}
}

// testLastSameByAddressGroup: the same text from another address in the
// same IPv6 /64 is the same writer's (clientaddr.Key); from another /64 or
// another IPv4 address it is not.
func testLastSameByAddressGroup(t *testing.T, s comments.Store) {
	first := at("p", 0, comments.StatusApproved)
	first.IP = "2001:db8:1:2::1"
	first = add(t, s, first)
	for _, tc := range []struct {
		ip   string
		same bool
	}{
		{"2001:db8:1:2:ffff:ffff:ffff:fffe", true},
		{"2001:db8:1:2::99", true},
		{"2001:db8:1:3::1", false},
		{"192.0.2.7", false},
	} {
		c := at("q", 5, "")
		c.IP, c.Body = tc.ip, first.Body
		var f comments.Facts
		err := s.Submit(ctx, &c, time.Time{}, func(sc *comments.Comment, facts comments.Facts) error {
			f = facts
			return errors.New("refused, so that the store stays as it was")
		})
		if err == nil {
			t.Fatal("Submit stored a comment its decision refused")
		}
		if got := !f.LastSame.IsZero(); got != tc.same {
			t.Errorf("from %s: LastSame = %v, want the same writer: %v", tc.ip, f.LastSame, tc.same)
		}
	}
}

func testDecideRefuses(t *testing.T, s comments.Store) {
	refusal := errors.New("no")
	c := at("p", 0, "")
	err := s.Submit(ctx, &c, time.Time{}, func(*comments.Comment, comments.Facts) error { return refusal })
	if err != refusal && !errors.Is(err, refusal) {
		t.Errorf("Submit = %v, want the decision's error", err)
	}
	if c.ID != 0 {
		t.Errorf("a refused comment got ID %d", c.ID)
	}
	if _, total, _ := s.Recent(ctx, 0, 10); total != 0 {
		t.Errorf("a refused comment was stored: %d comments", total)
	}
}

func testGetReplies(t *testing.T, s comments.Store) {
	if _, err := s.Get(ctx, 99); !errors.Is(err, comments.ErrNotFound) {
		t.Errorf("Get(99) = %v, want ErrNotFound", err)
	}
	root := add(t, s, at("p", 0, comments.StatusApproved))
	add(t, s, reply(root, 1, comments.StatusApproved))
	held := add(t, s, reply(root, 2, comments.StatusPending))
	add(t, s, reply(root, 3, comments.StatusSpam))
	add(t, s, reply(held, 4, comments.StatusApproved)) // not a direct reply to root
	if n, err := s.Replies(ctx, root.ID); err != nil || n != 1 {
		t.Errorf("Replies = %d, %v; want 1 (held and spam replies do not count)", n, err)
	}
	if n, err := s.Replies(ctx, 99); err != nil || n != 0 {
		t.Errorf("Replies(99) = %d, %v", n, err)
	}
}

// threadPost makes 5 threads on p: a (approved, with an approved and a
// spam reply), b (spam root with an approved reply), c (spam only), d
// (approved), e (held root, someone else's); and one on q.
func threadPost(t *testing.T, s comments.Store) map[string]comments.Comment {
	m := map[string]comments.Comment{}
	m["a"] = add(t, s, at("p", 0, comments.StatusApproved))
	m["a1"] = add(t, s, reply(m["a"], 10, comments.StatusApproved))
	m["a2"] = add(t, s, reply(m["a"], 11, comments.StatusSpam))
	m["b"] = add(t, s, at("p", 1, comments.StatusApproved))
	m["b1"] = add(t, s, reply(m["b"], 12, comments.StatusApproved))
	if _, err := s.Modify(ctx, m["b"].ID, func(c *comments.Comment, _ int) (comments.Change, error) {
		c.Status = comments.StatusSpam
		return comments.Change{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	m["c"] = add(t, s, at("p", 2, comments.StatusSpam))
	m["d"] = add(t, s, at("p", 3, comments.StatusApproved))
	e := at("p", 4, comments.StatusPending)
	e.CommenterID = "someone"
	m["e"] = add(t, s, e)
	m["q"] = add(t, s, at("q", 0, comments.StatusApproved))
	return m
}

func testThreads(t *testing.T, s comments.Store) {
	m := threadPost(t, s)
	all, err := s.Threads(ctx, comments.ThreadQuery{Post: "p", Page: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []uint64{m["a"].ID, m["a1"].ID, m["b1"].ID, m["d"].ID}
	if got := sortedIDs(all.Approved); !slices.Equal(got, want) {
		t.Errorf("Threads approved = %v, want %v", got, want)
	}
	if all.Pages != 1 || all.Threads != 3 || all.Comments != 4 || len(all.Held) != 0 {
		t.Errorf("Threads = %d pages, %d threads, %d comments, %d held; want 1, 3, 4, 0",
			all.Pages, all.Threads, all.Comments, len(all.Held))
	}
	for _, c := range all.Approved {
		if c.Thread == 0 {
			t.Errorf("comment %d has no thread", c.ID)
		}
	}
	if past, err := s.Threads(ctx, comments.ThreadQuery{Post: "p", Page: 2}); err != nil || len(past.Approved) != 0 || past.Pages != 1 {
		t.Errorf("Threads(page 2) = %+v, %v", past, err)
	}
	if none, err := s.Threads(ctx, comments.ThreadQuery{Post: "none", Page: 1}); err != nil || none.Threads != 0 || none.Pages != 1 || len(none.Approved) != 0 {
		t.Errorf("Threads(none) = %+v, %v", none, err)
	}
}

func testThreadsHeld(t *testing.T, s comments.Store) {
	m := threadPost(t, s)
	mine := func(c comments.Comment) comments.Comment {
		c.CommenterID = "me"
		return add(t, s, c)
	}
	inA := mine(reply(m["a"], 20, comments.StatusPending))
	newThread := mine(at("p", 22, comments.StatusPending))
	mine(at("q", 23, comments.StatusPending))
	mine(at("p", 24, comments.StatusSpam))

	page, err := s.Threads(ctx, comments.ThreadQuery{Post: "p", Page: 1, Viewer: "me"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sortedIDs(page.Held), []uint64{inA.ID, newThread.ID}; !slices.Equal(got, want) {
		t.Errorf("held = %v, want %v (in a thread shown, and in the thread no one sees)", got, want)
	}
	if page.Comments != 4 || page.Threads != 3 {
		t.Errorf("held comments were counted: %d comments, %d threads", page.Comments, page.Threads)
	}
	if other, _ := s.Threads(ctx, comments.ThreadQuery{Post: "p", Page: 1, Viewer: "someone-else"}); len(other.Held) != 0 {
		t.Errorf("another viewer gets held comments %v", idsOf(other.Held))
	}
	if anon, _ := s.Threads(ctx, comments.ThreadQuery{Post: "p", Page: 1}); len(anon.Held) != 0 {
		t.Errorf("a viewer without an id gets held comments %v", idsOf(anon.Held))
	}
}

// testThreadsPages lays out a short thread, then one longer than two
// pages of comments with a held reply of the viewer's in it, then more
// short threads than fit on one page, and checks every page against a
// Pager's layout and PageOf.
func testThreadsPages(t *testing.T, s comments.Store) {
	short := add(t, s, at("p", 0, comments.StatusApproved))
	add(t, s, reply(short, 1, comments.StatusApproved))
	long := add(t, s, at("p", 2, comments.StatusApproved))
	longReplies := 2*comments.CommentsPerPage + 10
	var held comments.Comment
	for i := range longReplies {
		add(t, s, reply(long, 3+i, comments.StatusApproved))
		if i == comments.CommentsPerPage+5 {
			h := reply(long, 3+i, comments.StatusPending)
			h.CommenterID = "me"
			held = add(t, s, h)
		}
	}
	for i := range comments.ThreadsPerPage + 1 {
		add(t, s, at("p", 1000+i, comments.StatusApproved))
	}
	spam := add(t, s, at("p", 5000, comments.StatusSpam))
	add(t, s, reply(spam, 5001, comments.StatusSpam))

	// The layout every store must follow: the short thread alone (the long
	// one does not fit after it), the long one over three pages, its last
	// piece with ThreadsPerPage-1 short threads, then the last two.
	var p comments.Pager
	p.Add(nil, short.ID, 2)
	p.Add(nil, long.ID, longReplies+1)
	if p.Pages() != 4 {
		t.Fatalf("Pager: %d pages after the long thread, want 4", p.Pages())
	}
	total := 2 + longReplies + 1 + comments.ThreadsPerPage + 1
	seen := map[uint64]int{}
	for page := 1; page <= 5; page++ {
		got, err := s.Threads(ctx, comments.ThreadQuery{Post: "p", Page: page, Viewer: "me"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Pages != 5 || got.Comments != total || got.Threads != comments.ThreadsPerPage+3 {
			t.Errorf("page %d: %d pages, %d comments, %d threads; want 5, %d, %d",
				page, got.Pages, got.Comments, got.Threads, total, comments.ThreadsPerPage+3)
		}
		if len(got.Approved) > comments.CommentsPerPage {
			t.Errorf("page %d has %d comments, more than %d", page, len(got.Approved), comments.CommentsPerPage)
		}
		for _, c := range got.Approved {
			if prev, ok := seen[c.ID]; ok {
				t.Errorf("comment %d is on page %d and %d", c.ID, prev, page)
			}
			seen[c.ID] = page
			if at, err := s.PageOf(ctx, c); err != nil || at != page {
				t.Errorf("PageOf(%d) = %d, %v; it is on page %d", c.ID, at, err, page)
			}
		}
		for _, c := range got.Held {
			seen[c.ID] = page
		}
		// The long thread's replies answer its first comment, on page 2.
		wantElsewhere := 0
		if page == 3 || page == 4 {
			wantElsewhere = min(len(got.Approved), longReplies+1-(page-2)*comments.CommentsPerPage)
		}
		if len(got.Elsewhere) != wantElsewhere {
			t.Errorf("page %d: %d comments answer one on another page, want %d", page, len(got.Elsewhere), wantElsewhere)
		}
	}
	if len(seen) != total+1 {
		t.Errorf("the pages show %d comments, want %d approved and 1 held", len(seen), total)
	}
	if seen[short.ID] != 1 || seen[long.ID] != 2 || seen[held.ID] != 3 {
		t.Errorf("pages of the short thread, the long one and the held reply = %d, %d, %d; want 1, 2, 3",
			seen[short.ID], seen[long.ID], seen[held.ID])
	}
	if at, err := s.PageOf(ctx, held); err != nil || at != 3 {
		t.Errorf("PageOf(held) = %d, %v; want 3", at, err)
	}
	if at, err := s.PageOf(ctx, spam); err != nil || at != 5 {
		t.Errorf("PageOf(a thread without approved comments) = %d, %v; want the last, 5", at, err)
	}
}

func testApprovedOn(t *testing.T, s comments.Store) {
	a := add(t, s, at("run", 5, comments.StatusApproved))
	b := add(t, s, at("run", 1, comments.StatusApproved))
	add(t, s, at("run", 9, comments.StatusSpam))
	add(t, s, at("run", 8, comments.StatusPending))
	add(t, s, at("run-club", 7, comments.StatusApproved))
	c := add(t, s, at("run", 3, comments.StatusApproved))
	got, err := s.ApprovedOn(ctx, "run", 10)
	if want := []uint64{a.ID, c.ID, b.ID}; err != nil || !slices.Equal(idsOf(got), want) {
		t.Errorf("ApprovedOn = %v, %v; want %v", idsOf(got), err, want)
	}
	if got, _ := s.ApprovedOn(ctx, "run", 2); !slices.Equal(idsOf(got), []uint64{a.ID, c.ID}) {
		t.Errorf("ApprovedOn(2) = %v", idsOf(got))
	}
	counts, err := s.Counts(ctx)
	if err != nil || len(counts) != 2 || counts["run"] != 3 || counts["run-club"] != 1 {
		t.Errorf("Counts = %v, %v", counts, err)
	}
}

func testSeed(t *testing.T, s comments.Store) {
	seeds := []comments.Comment{
		{ID: 10, Post: "p", Name: "Kay", Body: "root", Status: comments.StatusApproved, Created: T0},
		{ID: 12, Post: "p", Parent: 10, Name: "Ben", Body: "reply", Status: comments.StatusApproved, Created: T0.Add(time.Minute)},
	}
	added, err := s.Seed(ctx, seeds)
	if err != nil || !added {
		t.Fatalf("Seed = %v, %v", added, err)
	}
	r, err := s.Get(ctx, 12)
	if err != nil || r.Parent != 10 || r.Thread != 10 {
		t.Errorf("seeded reply = %+v, %v; want parent and thread 10", r, err)
	}
	if again, err := s.Seed(ctx, seeds); err != nil || again {
		t.Errorf("second Seed = %v, %v; want false", again, err)
	}
	next := add(t, s, at("p", 2, comments.StatusApproved))
	if next.ID <= 12 {
		t.Errorf("a comment after the seeds got ID %d", next.ID)
	}
}

func testModify(t *testing.T, s comments.Store) {
	root := add(t, s, at("p", 0, comments.StatusApproved))
	add(t, s, reply(root, 1, comments.StatusApproved))
	add(t, s, reply(root, 2, comments.StatusPending))
	var replies int
	got, err := s.Modify(ctx, root.ID, func(c *comments.Comment, n int) (comments.Change, error) {
		replies = n
		c.Body, c.Status = "edited", comments.StatusPending
		return comments.Change{Log: &comments.Action{At: T0, By: "mod", Kind: comments.ActionEdit, Comment: c.ID}}, nil
	})
	if err != nil || got.Body != "edited" || got.Status != comments.StatusPending || replies != 1 {
		t.Errorf("Modify = %+v, %v, with %d replies; want edited, held, 1 reply", got, err, replies)
	}
	if stored, _ := s.Get(ctx, root.ID); stored.Body != "edited" {
		t.Errorf("stored body %q", stored.Body)
	}
	if held, total, _ := s.Held(ctx, 0, 10); total != 2 || !slices.Contains(idsOf(held), root.ID) {
		t.Errorf("Held after Modify = %v (%d)", idsOf(held), total)
	}
	as, n, err := s.Actions(ctx, "", 0, 10)
	if err != nil || n != 1 || as[0].Kind != comments.ActionEdit || as[0].ID == 0 {
		t.Errorf("Actions = %+v, %d, %v", as, n, err)
	}
	refusal := errors.New("no")
	if _, err := s.Modify(ctx, root.ID, func(c *comments.Comment, _ int) (comments.Change, error) {
		c.Body = "lost"
		return comments.Change{}, refusal
	}); !errors.Is(err, refusal) {
		t.Errorf("Modify with a refusal = %v", err)
	}
	if stored, _ := s.Get(ctx, root.ID); stored.Body != "edited" {
		t.Errorf("a refused change was stored: %q", stored.Body)
	}
	gone, err := s.Modify(ctx, root.ID, func(*comments.Comment, int) (comments.Change, error) {
		return comments.Change{Delete: true}, nil
	})
	if err != nil || gone.ID != root.ID {
		t.Errorf("Modify delete = %+v, %v", gone, err)
	}
	if _, err := s.Get(ctx, root.ID); !errors.Is(err, comments.ErrNotFound) {
		t.Errorf("Get after delete = %v", err)
	}
	if _, err := s.Modify(ctx, root.ID, func(*comments.Comment, int) (comments.Change, error) {
		return comments.Change{}, nil
	}); !errors.Is(err, comments.ErrNotFound) {
		t.Errorf("Modify of a deleted comment = %v", err)
	}
}

func testModifyIdentity(t *testing.T, s comments.Store) {
	root := add(t, s, at("p", 0, comments.StatusApproved))
	for name, edit := range map[string]func(*comments.Comment){
		"post":    func(c *comments.Comment) { c.Post = "q" },
		"thread":  func(c *comments.Comment) { c.Thread = 77 },
		"depth":   func(c *comments.Comment) { c.Depth = 2 },
		"created": func(c *comments.Comment) { c.Created = c.Created.Add(time.Hour) },
	} {
		if _, err := s.Modify(ctx, root.ID, func(c *comments.Comment, _ int) (comments.Change, error) {
			edit(c)
			return comments.Change{}, nil
		}); err == nil {
			t.Errorf("Modify changing the %s succeeded", name)
		}
	}
}

func testBans(t *testing.T, s comments.Store) {
	first := comments.Ban{Kind: comments.BanEmail, Value: "a@example.org", By: "mod", Created: T0}
	second := comments.Ban{Kind: comments.BanIP, Value: "192.0.2.1", By: "mod", Created: T0.Add(time.Hour)}
	for _, b := range []comments.Ban{first, second} {
		if err := s.PutBan(ctx, b, comments.Action{At: b.Created, By: "mod", Kind: comments.ActionBan}); err != nil {
			t.Fatal(err)
		}
	}
	first.Reason = "again"
	if err := s.PutBan(ctx, first, comments.Action{At: T0, By: "mod", Kind: comments.ActionBan}); err != nil {
		t.Fatal(err)
	}
	bans, err := s.Bans(ctx)
	if err != nil || len(bans) != 2 || bans[0].Value != second.Value || bans[1].Reason != "again" {
		t.Errorf("Bans = %+v, %v; want two, newest first, the first replaced", bans, err)
	}
	if err := s.RemoveBan(ctx, comments.BanIP, "192.0.2.1", comments.Action{At: T0, By: "mod", Kind: comments.ActionUnban}); err != nil {
		t.Fatal(err)
	}
	if err := s.RemoveBan(ctx, comments.BanIP, "192.0.2.1", comments.Action{At: T0, By: "mod", Kind: comments.ActionUnban}); !errors.Is(err, comments.ErrNotBanned) {
		t.Errorf("RemoveBan of no ban = %v", err)
	}
	if _, n, _ := s.Actions(ctx, "", 0, 10); n != 4 {
		t.Errorf("%d actions logged, want 4", n)
	}
	bansLogged, n, err := s.Actions(ctx, comments.ActionBan, 0, 10)
	if err != nil || n != 3 || len(bansLogged) != 3 {
		t.Errorf("Actions(ban) = %d of %d, %v; want 3", len(bansLogged), n, err)
	}
	for i, a := range bansLogged {
		if a.Kind != comments.ActionBan || (i > 0 && a.ID >= bansLogged[i-1].ID) {
			t.Errorf("Actions(ban) = %+v; want bans only, newest first", bansLogged)
		}
	}
	if lifted, n, err := s.Actions(ctx, comments.ActionUnban, 0, 10); err != nil || n != 1 || len(lifted) != 1 || lifted[0].Kind != comments.ActionUnban {
		t.Errorf("Actions(unban) = %+v (%d), %v", lifted, n, err)
	}
	if page, n, err := s.Actions(ctx, comments.ActionBan, 1, 1); err != nil || n != 3 || len(page) != 1 || page[0].ID != bansLogged[1].ID {
		t.Errorf("Actions(ban, 1, 1) = %+v (%d), %v; want the second newest ban", page, n, err)
	}
	if none, n, err := s.Actions(ctx, comments.ActionSpam, 0, 10); err != nil || n != 0 || len(none) != 0 {
		t.Errorf("Actions(spam) = %+v (%d), %v; want none", none, n, err)
	}
}

func testClosures(t *testing.T, s comments.Store) {
	if _, found, err := s.Closure(ctx, "p"); err != nil || found {
		t.Errorf("Closure of an untouched post = %v, %v", found, err)
	}
	for _, closed := range []bool{true, false} {
		if err := s.SetClosure(ctx, comments.Closure{Post: "p", Closed: closed, By: "mod", At: T0},
			comments.Action{At: T0, By: "mod", Kind: comments.ActionClose}); err != nil {
			t.Fatal(err)
		}
		if cl, found, err := s.Closure(ctx, "p"); err != nil || !found || cl.Closed != closed {
			t.Errorf("Closure = %+v, %v, %v; want closed %v", cl, found, err, closed)
		}
	}
}

func testListings(t *testing.T, s comments.Store) {
	var all []comments.Comment
	for i, st := range []comments.Status{comments.StatusApproved, comments.StatusPending, comments.StatusSpam,
		comments.StatusPending, comments.StatusApproved} {
		all = append(all, add(t, s, at("p", i, st)))
	}
	recent, total, err := s.Recent(ctx, 1, 2)
	if err != nil || total != 5 || !slices.Equal(idsOf(recent), []uint64{all[3].ID, all[2].ID}) {
		t.Errorf("Recent(1, 2) = %v, %d, %v", idsOf(recent), total, err)
	}
	held, total, err := s.Held(ctx, 0, 10)
	if err != nil || total != 2 || !slices.Equal(idsOf(held), []uint64{all[3].ID, all[1].ID}) {
		t.Errorf("Held = %v, %d, %v", idsOf(held), total, err)
	}
	approved, err := s.RecentApproved(ctx, 1)
	if err != nil || !slices.Equal(idsOf(approved), []uint64{all[4].ID}) {
		t.Errorf("RecentApproved(1) = %v, %v", idsOf(approved), err)
	}
}
