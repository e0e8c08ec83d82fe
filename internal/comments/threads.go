package comments

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ThreadsPerPage is how many threads (top-level comments with their
// replies), or parts of threads, one page of a post's comments shows at
// most.
const ThreadsPerPage = 50

// CommentsPerPage is how many approved comments one page shows at most, so
// that one thread with thousands of replies cannot make a page of megabytes:
// a thread longer than this goes on over as many pages as it needs.
const CommentsPerPage = 200

// Span is the part of one thread that one page shows: Take approved
// comments of the thread from the Skip-th (from 0, in order of ID).
type Span struct {
	Page       int
	Thread     uint64
	Skip, Take int
}

// Pager lays a post's threads out on pages, in the order they are added
// (the order of Thread ID): a page takes threads until it has
// ThreadsPerPage of them or the next one does not fit in CommentsPerPage;
// a thread longer than a whole page is cut into pieces of CommentsPerPage,
// each starting a page. It is the one definition of the layout, which
// every Store follows; its zero value is ready.
type Pager struct {
	page, comments, spans int
}

// Add places the next thread, which has approved approved comments, and
// appends the Spans it is shown in to dst (a buffer the caller may reuse:
// a store lays out every thread of a post for each page it serves).
func (p *Pager) Add(dst []Span, thread uint64, approved int) []Span {
	out := dst
	for skip := 0; skip < approved; {
		left := approved - skip
		if p.page == 0 || p.spans == ThreadsPerPage ||
			(p.comments > 0 && left > CommentsPerPage-p.comments) {
			p.page++
			p.comments, p.spans = 0, 0
		}
		take := min(left, CommentsPerPage-p.comments)
		out = append(out, Span{Page: p.page, Thread: thread, Skip: skip, Take: take})
		p.comments += take
		p.spans++
		skip += take
	}
	return out
}

// Pages is how many pages the threads added so far fill: at least 1, even
// for a post without comments.
func (p *Pager) Pages() int { return max(1, p.page) }

// SpanOf returns which of a thread's spans shows its approved comment at
// position i (from 0, in order of ID).
func SpanOf(spans []Span, i int) Span {
	for _, s := range spans {
		if i < s.Skip+s.Take {
			return s
		}
	}
	return spans[len(spans)-1]
}

// ErrNoPage is returned for a page of comments past the last.
var ErrNoPage = errors.New("no such page of comments")

// Node is one comment in a thread with the replies shown under it.
//
// In a thread from ForPost the Comment has no Email, IP, CommenterID or
// HoldReason: a thread is for public pages.
type Node struct {
	Comment  Comment
	Children []*Node
	// Own is true for the viewer's own comments (same commenter id).
	Own bool
	// Continues is true for a reply whose parent is approved but shown on
	// another page (a thread longer than a page goes on over several).
	Continues bool
	// EditUntil is, for the viewer's own comment while they may still edit
	// or delete it, when that ends; zero otherwise.
	EditUntil time.Time
}

// ThreadPage is one page of a post's comments.
type ThreadPage struct {
	Threads []*Node
	// Page is this page's number, from 1; Pages is how many there are (at
	// least 1, even for a post without comments).
	Page, Pages int
	// Comments is the number of approved comments on the post.
	Comments int
}

// ForPost returns page page (from 1) of a post's comments, laid out by a
// Pager: oldest threads first, with their approved comments, plus the
// viewer's own held ones (Comment.Pending() tells them apart) when viewer
// is their commenter id; pass "" for a viewer without one. A held comment
// in a thread that has no approved comment (a held new comment, typically)
// is shown on the last page, where new threads appear. A page past the
// last is ErrNoPage. A thread cut over pages starts on the next page with
// a reply whose parent is on the page before.
//
// It reads only what it shows: the store's thread index gives the spans of
// the page and their approved comments, and the viewer's held comments,
// without reading any other comment of the post.
func (s *Service) ForPost(ctx context.Context, slug, viewer string, page int) (ThreadPage, error) {
	p, err := s.currentSettings()
	if err != nil {
		return ThreadPage{}, err
	}
	if page < 1 {
		return ThreadPage{}, ErrNoPage
	}
	slice, err := s.store.Threads(ctx, ThreadQuery{Post: slug, Page: page, Viewer: viewer})
	if err != nil {
		return ThreadPage{}, fmt.Errorf("reading comments on %s: %w", slug, err)
	}
	tp := ThreadPage{Page: page, Pages: max(1, slice.Pages), Comments: slice.Comments}
	if page > tp.Pages {
		return ThreadPage{}, ErrNoPage
	}
	shown := make(map[uint64]bool, ThreadsPerPage)
	cs := slice.Approved
	for _, c := range cs {
		shown[c.Thread] = true
	}
	for _, c := range slice.Held {
		// The store gives held comments of the threads asked for and of
		// threads no one else can see; those go on the last page.
		if shown[c.Thread] || page == tp.Pages {
			cs = append(cs, c)
		}
	}
	if tp.Threads, err = s.nodes(ctx, cs, viewer, p); err != nil {
		return ThreadPage{}, err
	}
	elsewhere := make(map[uint64]bool, len(slice.Elsewhere))
	for _, id := range slice.Elsewhere {
		elsewhere[id] = true
	}
	for _, n := range tp.Threads {
		// Only a top-level node can answer a comment that is not on the page.
		n.Continues = elsewhere[n.Comment.ID]
	}
	return tp, nil
}

// nodes arranges the comments of one page into threads and marks the
// viewer's own, with how long they may still change them. A reply is in
// its parent's thread, but a thread cut over pages may have it on the next
// page: the store counts the replies of the viewer's comments that are
// still theirs to change and have none on this page.
func (s *Service) nodes(ctx context.Context, cs []Comment, viewer string, p Settings) ([]*Node, error) {
	replies := map[uint64]int{}
	for _, c := range cs {
		if c.Parent != 0 && c.Status == StatusApproved {
			replies[c.Parent]++
		}
	}
	now := s.now()
	for _, c := range cs {
		if replies[c.ID] == 0 && mayChangeOwn(c, viewer, 0, p, now) == nil {
			n, err := s.store.Replies(ctx, c.ID)
			if err != nil {
				return nil, fmt.Errorf("counting replies to comment %d: %w", c.ID, err)
			}
			replies[c.ID] = n
		}
	}
	nodes := Thread(cs, nil)
	var walk func([]*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			s.markOwn(n, viewer, replies[n.Comment.ID], p, now)
			walk(n.Children)
		}
	}
	walk(nodes)
	return nodes, nil
}

// markOwn sets n.Own and n.EditUntil for the viewer, and strips what a
// public page must not show.
func (s *Service) markOwn(n *Node, viewer string, replies int, p Settings, now time.Time) {
	c := &n.Comment
	if viewer != "" && c.CommenterID == viewer {
		n.Own = true
		if mayChangeOwn(*c, viewer, replies, p, now) == nil {
			n.EditUntil = c.Created.Add(p.editWindow())
		}
	}
	c.Email, c.IP, c.CommenterID, c.HoldReason = "", "", "", ""
}

// visibleTo returns comment id on post slug when the viewer may see it:
// approved, or held and theirs. Anything else is ErrNotFound, so that a
// hidden comment looks like a missing one.
func (s *Service) visibleTo(ctx context.Context, slug string, id uint64, viewer string) (Comment, error) {
	c, err := s.store.Get(ctx, id)
	if err != nil {
		return Comment{}, err
	}
	own := viewer != "" && c.CommenterID == viewer
	if c.Post != slug || !(c.Status == StatusApproved || (c.Status == StatusPending && own)) {
		return Comment{}, ErrNotFound
	}
	return c, nil
}

// PageOf returns the page of a post's comments that shows comment id to
// the viewer, so that a link to #comment-ID lands on it. A comment the
// viewer cannot see (or not on this post) is ErrNotFound.
func (s *Service) PageOf(ctx context.Context, slug string, id uint64, viewer string) (int, error) {
	c, err := s.visibleTo(ctx, slug, id, viewer)
	if err != nil {
		return 0, fmt.Errorf("finding comment %d on %s: %w", id, slug, err)
	}
	page, err := s.store.PageOf(ctx, c)
	if err != nil {
		return 0, fmt.Errorf("finding comment %d on %s: %w", id, slug, err)
	}
	return page, nil
}

// Own returns comment id on post slug as the viewer sees it on the page,
// with Own and EditUntil set, or ErrNotFound when they cannot see it.
func (s *Service) Own(ctx context.Context, slug string, id uint64, viewer string) (Node, error) {
	p, err := s.currentSettings()
	if err != nil {
		return Node{}, err
	}
	c, err := s.visibleTo(ctx, slug, id, viewer)
	if err != nil {
		return Node{}, fmt.Errorf("reading comment %d on %s: %w", id, slug, err)
	}
	replies, err := s.store.Replies(ctx, id)
	if err != nil {
		return Node{}, fmt.Errorf("counting replies to comment %d: %w", id, err)
	}
	n := Node{Comment: c}
	s.markOwn(&n, viewer, replies, p, s.now())
	return n, nil
}
