package web_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"milepost/internal/comments"
)

// leavingReader is a store whose Submit sees the reader's connection
// close first, as when a reader shuts the tab while the comment is sent.
type leavingReader struct {
	comments.Store
	leave context.CancelFunc
}

func (s *leavingReader) Submit(ctx context.Context, c *comments.Comment, forgetBefore time.Time, decide func(*comments.Comment, comments.Facts) error) error {
	s.leave()
	return s.Store.Submit(ctx, c, forgetBefore, decide)
}

// TestAReaderWhoLeavesIsNoServerError: a comment POST whose reader has
// gone — before the handler starts, or while the comment is being stored
// — is answered 499, as nginx logs it, and not logged as an error or
// answered 5xx: nothing failed on the server.
func TestAReaderWhoLeavesIsNoServerError(t *testing.T) {
	var log syncBuffer
	store := &leavingReader{}
	h := newHarness(t, massageSite(""), func(o *harnessConfig) { o.Log = slog.New(slog.NewTextHandler(&log, nil)) },
		withStore(func(s comments.Store) comments.Store { store.Store = s; return store }))
	post := func(ctx context.Context) int {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/posts/massage/comments",
			strings.NewReader(commentForm("Kay", "Negative splits all the way.").Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		h.srv.Config.Handler.ServeHTTP(rec, req)
		return rec.Code
	}

	gone, leave := context.WithCancel(context.Background())
	leave()
	store.leave = func() {}
	if code := post(gone); code != 499 {
		t.Errorf("a reader gone before the handler started: %d, want 499", code)
	}
	leaving, leave := context.WithCancel(context.Background())
	store.leave = leave
	if code := post(leaving); code != 499 {
		t.Errorf("a reader gone while the comment was stored: %d, want 499", code)
	}
	mustNotContain(t, "the log", log.String(), "level=ERROR")
	if stored, err := h.db.ByPost(context.Background(), "massage"); err != nil || len(stored) != 0 {
		t.Errorf("stored: %+v, %v; want nothing", stored, err)
	}
}
