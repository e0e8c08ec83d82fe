package comments

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ThreadsPerPage is how many threads (top-level comments with their
// replies) one page of a post's comments shows.
const ThreadsPerPage = 50

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

// ForPost returns page page (from 1) of a post's comments: ThreadsPerPage
// threads, oldest first, with the approved comments, plus the viewer's own
// held ones (Comment.Pending() tells them apart) when viewer is their
// commenter id; pass "" for a viewer without one. A held comment in a
// thread that has no approved comment (a held new comment, typically) is
// shown on the last page, where new threads appear. A page past the last
// is ErrNoPage.
//
// It reads only what it shows: the store's thread index gives the threads
// of the page and their approved comments, and the viewer's held comments,
// without reading any other comment of the post.
func (s *Service) ForPost(ctx context.Context, slug, viewer string, page int) (ThreadPage, error) {
	p, err := s.currentSettings()
	if err != nil {
		return ThreadPage{}, err
	}
	if page < 1 {
		return ThreadPage{}, ErrNoPage
	}
	offset := (page - 1) * ThreadsPerPage
	if offset/ThreadsPerPage != page-1 {
		return ThreadPage{}, ErrNoPage // overflow
	}
	slice, err := s.store.Threads(ctx, ThreadQuery{Post: slug, Offset: offset, Limit: ThreadsPerPage, Viewer: viewer})
	if err != nil {
		return ThreadPage{}, fmt.Errorf("reading comments on %s: %w", slug, err)
	}
	tp := ThreadPage{Page: page, Pages: pagesOf(slice.Threads), Comments: slice.Comments}
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
	tp.Threads = s.nodes(cs, viewer, p)
	return tp, nil
}

// pagesOf is how many pages a post with this many threads has.
func pagesOf(threads int) int { return max(1, (threads+ThreadsPerPage-1)/ThreadsPerPage) }

// nodes arranges the comments of one page into threads and marks the
// viewer's own, with how long they may still change them. Every approved
// reply to a comment is in the same thread, so counting replies among cs
// counts them all.
func (s *Service) nodes(cs []Comment, viewer string, p Settings) []*Node {
	replies := map[uint64]int{}
	for _, c := range cs {
		if c.Parent != 0 && c.Status == StatusApproved {
			replies[c.Parent]++
		}
	}
	now := s.now()
	nodes := Thread(cs, nil)
	var walk func([]*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			s.markOwn(n, viewer, replies[n.Comment.ID], p, now)
			walk(n.Children)
		}
	}
	walk(nodes)
	return nodes
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
	r, err := s.store.ThreadRank(ctx, slug, c.Thread)
	if err != nil {
		return 0, fmt.Errorf("finding comment %d on %s: %w", id, slug, err)
	}
	if !r.Counted {
		return pagesOf(r.Total), nil
	}
	return r.Before/ThreadsPerPage + 1, nil
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
