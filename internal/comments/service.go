package comments

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Service is what the web layer calls: it applies the rules a new comment
// must pass before the Store sees it, and shapes what readers see.
type Service struct {
	store Store
	now   func() time.Time
}

// NewService returns a Service over store. now gives the time stamped on new
// comments; tests pass a fixed clock. A nil now means time.Now.
func NewService(store Store, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, now: now}
}

// Sentences for a reply the store cannot place.
var (
	msgParentGone = "The comment you are replying to could not be found. Please reply to the post instead."
	msgTooDeep    = "This conversation is already " + strconv.Itoa(MaxDepth) +
		" replies deep. Please reply to an earlier comment in it, or to the post."
)

// Post validates a reader's comment, places it in its thread, renders it and
// stores it. Mistakes the reader can fix come back as FieldErrors (find them
// with errors.As); any other error is the server's. Until moderation exists a
// comment is approved as soon as it is posted.
func (s *Service) Post(ctx context.Context, in Input, ip string) (Comment, error) {
	c, errs := Validate(in)
	if errs != nil {
		return c, errs
	}
	if c.Parent != 0 {
		parent, err := s.store.Get(ctx, c.Parent)
		switch {
		case errors.Is(err, ErrNotFound):
			return c, FieldErrors{"parent": msgParentGone}
		case err != nil:
			return c, fmt.Errorf("looking up parent comment %d: %w", c.Parent, err)
		}
		// A hidden comment cannot be seen, so it cannot be replied to;
		// saying so would tell a reader what moderation has hidden.
		if parent.Post != c.Post || parent.Status != StatusApproved {
			return c, FieldErrors{"parent": msgParentGone}
		}
		c.Depth = parent.Depth + 1
		if c.Depth >= MaxDepth {
			return c, FieldErrors{"parent": msgTooDeep}
		}
	}
	c.HTML = Render(c.Body)
	c.Status = StatusApproved
	// Round(0) drops the monotonic reading, so the comment returned equals
	// the one read back from the store.
	c.Created = s.now().Round(0)
	c.IP = ip
	if err := s.store.Add(ctx, &c); err != nil {
		if errors.Is(err, ErrParent) {
			// The parent was deleted between the check and the write.
			return c, FieldErrors{"parent": msgParentGone}
		}
		return c, fmt.Errorf("storing comment on %s: %w", c.Post, err)
	}
	return c, nil
}

// ForPost returns the approved comments on a post as threads, oldest first.
func (s *Service) ForPost(ctx context.Context, slug string) ([]*Node, error) {
	cs, err := s.store.ByPost(ctx, slug)
	if err != nil {
		return nil, fmt.Errorf("reading comments on %s: %w", slug, err)
	}
	return Thread(cs, func(c Comment) bool { return c.Status == StatusApproved }), nil
}
