package comments

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestForPostShowsApprovedThreadsAndTheViewersHeldComments(t *testing.T) {
	s, st := newTestService()
	for _, c := range []Comment{
		{ID: 1, Post: "p", Body: "a", Status: StatusApproved, Created: now.Add(2 * time.Minute)},
		{ID: 2, Post: "p", Body: "b", Status: StatusApproved, Created: now.Add(1 * time.Minute)},
		{ID: 3, Post: "p", Parent: 1, Depth: 1, Body: "c", Status: StatusApproved, Created: now.Add(3 * time.Minute)},
		{ID: 4, Post: "p", Body: "spam", Status: StatusSpam, Created: now},
		{ID: 5, Post: "p", Parent: 4, Depth: 1, Body: "answer to spam", Status: StatusApproved, Created: now.Add(4 * time.Minute)},
		{ID: 6, Post: "p", Body: "pending", Status: StatusPending, Created: now, CommenterID: "other"},
		{ID: 7, Post: "q", Body: "elsewhere", Status: StatusApproved, Created: now},
		{ID: 8, Post: "p", Body: "mine, held", Status: StatusPending, Created: now.Add(5 * time.Minute), CommenterID: "me"},
		{ID: 9, Post: "p", Parent: 2, Depth: 1, Body: "my held reply", Status: StatusPending, Created: now.Add(6 * time.Minute), CommenterID: "me"},
	} {
		st.put(c)
	}
	page, err := s.ForPost(context.Background(), "p", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := shape(page.Threads); got != "2 1(3) 5" {
		t.Errorf("ForPost = %q, want %q", got, "2 1(3) 5")
	}
	if page.Comments != 4 || page.Page != 1 || page.Pages != 1 {
		t.Errorf("ForPost counts = %d comments, page %d of %d", page.Comments, page.Page, page.Pages)
	}
	mine, err := s.ForPost(context.Background(), "p", "me", 1)
	if err != nil {
		t.Fatal(err)
	}
	if got := shape(mine.Threads); got != "2(9) 1(3) 5 8" {
		t.Errorf("ForPost for the writer = %q, want %q", got, "2(9) 1(3) 5 8")
	}
	if mine.Comments != 4 {
		t.Errorf("the writer's held comments were counted: %d", mine.Comments)
	}
	for _, n := range mine.Threads {
		if n.Comment.Email != "" || n.Comment.IP != "" || n.Comment.CommenterID != "" {
			t.Errorf("a thread carries private fields: %+v", n.Comment)
		}
	}
	if page, err := s.ForPost(context.Background(), "none", "", 1); err != nil || len(page.Threads) != 0 || page.Pages != 1 {
		t.Errorf("ForPost(none) = %+v, %v", page, err)
	}
}

// bigPost posts n top-level comments on "p", each with a reply, and
// returns their IDs in order.
func bigPost(t *testing.T, s *Service, n int) []uint64 {
	t.Helper()
	var ids []uint64
	for i := range n {
		c := post(t, s, Input{Post: "p", Name: "R", Body: "thread " + strconv.Itoa(i)})
		post(t, s, Input{Post: "p", Name: "R", Body: "reply in " + strconv.Itoa(i), Parent: strconv.FormatUint(c.ID, 10)})
		ids = append(ids, c.ID)
	}
	return ids
}

func TestForPostPagesThreadsOldestFirst(t *testing.T) {
	s, _ := newTestService()
	ids := bigPost(t, s, 2*ThreadsPerPage+3)
	ctx := context.Background()
	for page, want := range map[int][]uint64{1: ids[:ThreadsPerPage], 2: ids[ThreadsPerPage : 2*ThreadsPerPage], 3: ids[2*ThreadsPerPage:]} {
		got, err := s.ForPost(ctx, "p", "", page)
		if err != nil {
			t.Fatal(err)
		}
		if got.Pages != 3 || got.Page != page || got.Comments != 2*len(ids) {
			t.Errorf("page %d: page %d of %d, %d comments", page, got.Page, got.Pages, got.Comments)
		}
		if len(got.Threads) != len(want) {
			t.Fatalf("page %d has %d threads, want %d", page, len(got.Threads), len(want))
		}
		for i, n := range got.Threads {
			if n.Comment.ID != want[i] || len(n.Children) != 1 {
				t.Errorf("page %d thread %d = comment %d with %d replies, want %d with its reply", page, i, n.Comment.ID, len(n.Children), want[i])
			}
		}
	}
	for _, page := range []int{0, -1, 4, 1 << 62} {
		if _, err := s.ForPost(ctx, "p", "", page); !errors.Is(err, ErrNoPage) {
			t.Errorf("ForPost page %d = %v, want ErrNoPage", page, err)
		}
	}
}

func TestPageOfLandsOnTheCommentsPage(t *testing.T) {
	s, st := newTestService()
	ids := bigPost(t, s, ThreadsPerPage+5)
	ctx := context.Background()
	deep := post(t, s, Input{Post: "p", Name: "R", Body: "late reply to an early thread", Parent: strconv.FormatUint(ids[3], 10)})
	for _, tc := range []struct {
		id   uint64
		want int
	}{
		{ids[0], 1}, {ids[ThreadsPerPage-1], 1}, {ids[ThreadsPerPage], 2}, {ids[ThreadsPerPage+4], 2},
		{deep.ID, 1}, {ids[ThreadsPerPage] + 1, 2}, // a reply goes with its thread
	} {
		if got, err := s.PageOf(ctx, "p", tc.id, ""); err != nil || got != tc.want {
			t.Errorf("PageOf(%d) = %d, %v; want %d", tc.id, got, err, tc.want)
		}
	}
	// The writer's own held comment starts a thread no one else sees yet:
	// it is shown on the last page, where new threads appear.
	st.put(Comment{ID: 9000, Post: "p", Body: "held", Status: StatusPending, CommenterID: "me", Created: now})
	if got, err := s.PageOf(ctx, "p", 9000, "me"); err != nil || got != 2 {
		t.Errorf("PageOf(own held) = %d, %v; want 2", got, err)
	}
	last, err := s.ForPost(ctx, "p", "me", 2)
	if err != nil || !strings.Contains(shape(last.Threads), "9000") {
		t.Errorf("the last page does not show the writer's held comment: %q, %v", shape(last.Threads), err)
	}
	first, _ := s.ForPost(ctx, "p", "me", 1)
	if strings.Contains(shape(first.Threads), "9000") {
		t.Error("the writer's held comment is on the first page too")
	}
	// Hidden comments, and comments of other posts, have no page.
	st.put(Comment{ID: 9001, Post: "p", Body: "spam", Status: StatusSpam, CommenterID: "me", Created: now})
	st.put(Comment{ID: 9002, Post: "q", Body: "elsewhere", Status: StatusApproved, Created: now})
	for _, tc := range []struct {
		id     uint64
		viewer string
	}{{9000, ""}, {9000, "someone"}, {9001, "me"}, {9002, ""}, {99999, ""}} {
		if _, err := s.PageOf(ctx, "p", tc.id, tc.viewer); !errors.Is(err, ErrNotFound) {
			t.Errorf("PageOf(%d, %q) = %v, want ErrNotFound", tc.id, tc.viewer, err)
		}
	}
}

// TestAHeldReplyDoesNotTakeAwayTheEditRight: only a reply others can see
// stops its parent's writer from changing what it answers.
func TestAHeldReplyDoesNotTakeAwayTheEditRight(t *testing.T) {
	st := newMemStore()
	settings := openSettings()
	settings.HoldWords = []string{"casino"}
	s := New(st, Options{Now: func() time.Time { return now }, Settings: func() Settings { return settings }})
	ctx := context.Background()
	mine, err := s.Post(ctx, Input{Post: "p", Name: "Kay", Body: "my comment"}, Author{IP: "192.0.2.1", CommenterID: "kay"})
	if err != nil {
		t.Fatal(err)
	}
	reply, err := s.Post(ctx, Input{Post: "p", Name: "Spammer", Body: "casino!", Parent: strconv.FormatUint(mine.ID, 10)},
		Author{IP: "192.0.2.2", CommenterID: "spammer"})
	if err != nil || reply.Status != StatusPending {
		t.Fatalf("reply = %+v, %v; want it held", reply, err)
	}
	n, err := s.Own(ctx, "p", mine.ID, "kay")
	if err != nil || !n.Own || n.EditUntil.IsZero() {
		t.Fatalf("Own = %+v, %v; want it still editable", n, err)
	}
	page, _ := s.ForPost(ctx, "p", "kay", 1)
	if len(page.Threads) != 1 || page.Threads[0].EditUntil.IsZero() {
		t.Errorf("the page offers no edit: %+v", page.Threads)
	}
	if _, err := s.EditOwn(ctx, mine.ID, "kay", "my comment, edited"); err != nil {
		t.Fatalf("EditOwn with only a held reply = %v", err)
	}
	if _, err := s.Approve(ctx, "mod", reply.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.EditOwn(ctx, mine.ID, "kay", "again"); !errors.Is(err, ErrHasReplies) {
		t.Errorf("EditOwn once the reply is published = %v, want ErrHasReplies", err)
	}
	if err := s.DeleteOwn(ctx, mine.ID, "kay"); !errors.Is(err, ErrHasReplies) {
		t.Errorf("DeleteOwn once the reply is published = %v, want ErrHasReplies", err)
	}
	if n, _ := s.Own(ctx, "p", mine.ID, "kay"); !n.EditUntil.IsZero() {
		t.Error("Own still offers an edit once the reply is published")
	}
}
