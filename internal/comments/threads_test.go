package comments

import (
	"context"
	"errors"
	"slices"
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

// TestPagerLaysOutThreads: a page takes whole threads up to ThreadsPerPage
// of them or CommentsPerPage comments; a thread that does not fit what is
// left starts the next page, and one longer than a page is cut into pieces
// of a page each.
func TestPagerLaysOutThreads(t *testing.T) {
	var p Pager
	var got []Span
	for i, n := range []int{3, CommentsPerPage - 3, 1, CommentsPerPage - 10, 11, 2*CommentsPerPage + 5, 1} {
		got = p.Add(got, uint64(i+1), n)
	}
	want := []Span{
		{Page: 1, Thread: 1, Skip: 0, Take: 3},
		{Page: 1, Thread: 2, Skip: 0, Take: CommentsPerPage - 3},
		{Page: 2, Thread: 3, Skip: 0, Take: 1},
		{Page: 2, Thread: 4, Skip: 0, Take: CommentsPerPage - 10},
		{Page: 3, Thread: 5, Skip: 0, Take: 11}, // 11 do not fit in the 9 left
		{Page: 4, Thread: 6, Skip: 0, Take: CommentsPerPage},
		{Page: 5, Thread: 6, Skip: CommentsPerPage, Take: CommentsPerPage},
		{Page: 6, Thread: 6, Skip: 2 * CommentsPerPage, Take: 5},
		{Page: 6, Thread: 7, Skip: 0, Take: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("spans =\n%v\nwant\n%v", got, want)
	}
	if p.Pages() != 6 {
		t.Errorf("Pages = %d, want 6", p.Pages())
	}
	if i := SpanOf(want[5:8], CommentsPerPage+7); i.Page != 5 {
		t.Errorf("SpanOf the thread's comment %d = %+v, want page 5", CommentsPerPage+7, i)
	}

	var many Pager
	var spans []Span
	for i := range ThreadsPerPage + 1 {
		spans = many.Add(spans[:0], uint64(i+1), 1)
	}
	if spans[0].Page != 2 || many.Pages() != 2 {
		t.Errorf("thread %d of one comment each is on page %d of %d, want 2 of 2", ThreadsPerPage+1, spans[0].Page, many.Pages())
	}
	var none Pager
	if none.Pages() != 1 {
		t.Errorf("a post without threads has %d pages, want 1", none.Pages())
	}
}

// TestAThreadCutOverPagesKeepsItsReplies: the viewer's comment ends page 1
// and the reply to it starts page 2. The reply says what it answers, and
// the comment offers no edit, though its reply is not on its page.
func TestAThreadCutOverPagesKeepsItsReplies(t *testing.T) {
	s, st := newTestService()
	ctx := context.Background()
	add := func(id, parent uint64, who string) {
		st.put(Comment{ID: id, Post: "p", Parent: parent, Name: "R", Body: "comment " + strconv.FormatUint(id, 10),
			Status: StatusApproved, Created: now.Add(-time.Minute), CommenterID: who})
	}
	add(1, 0, "someone")
	for id := uint64(2); id < CommentsPerPage; id++ {
		add(id, 1, "someone")
	}
	add(CommentsPerPage, 1, "kay")
	add(CommentsPerPage+1, CommentsPerPage, "someone")

	first, err := s.ForPost(ctx, "p", "kay", 1)
	if err != nil {
		t.Fatal(err)
	}
	if first.Pages != 2 || len(first.Threads) != 1 || len(first.Threads[0].Children) != CommentsPerPage-1 {
		t.Fatalf("page 1: %d pages, %d threads", first.Pages, len(first.Threads))
	}
	mine := first.Threads[0].Children[CommentsPerPage-2]
	if mine.Comment.ID != CommentsPerPage || !mine.Own || !mine.EditUntil.IsZero() {
		t.Errorf("the viewer's comment %d: own %v, editable until %v; want no edit, for its reply on page 2",
			mine.Comment.ID, mine.Own, mine.EditUntil)
	}
	if first.Threads[0].Continues {
		t.Error("the thread's first comment says it continues one on another page")
	}
	second, err := s.ForPost(ctx, "p", "kay", 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Threads) != 1 || second.Threads[0].Comment.ID != CommentsPerPage+1 || !second.Threads[0].Continues {
		t.Errorf("page 2 = %d threads, first %+v; want the reply, continuing", len(second.Threads), second.Threads)
	}
	if page, err := s.PageOf(ctx, "p", CommentsPerPage+1, ""); err != nil || page != 2 {
		t.Errorf("PageOf(the reply) = %d, %v; want 2", page, err)
	}
}
