package bolt

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"milepost/internal/comments"
)

var t0 = time.Date(2011, 10, 4, 9, 12, 0, 0, time.UTC)

// openTest opens a fresh database file in a temporary directory, closed (and
// checked) when the test ends.
func openTest(t testing.TB) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", "milepost.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if tt, ok := t.(*testing.T); ok && !tt.Failed() {
			mustCheck(t, db)
		}
		db.Close()
	})
	return db, path
}

// mustCheck fails the test when the indexes disagree with the comments.
func mustCheck(t testing.TB, db *DB) {
	t.Helper()
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

// newComment is an approved top-level comment on post, minutes after t0.
func newComment(post string, minutes int) comments.Comment {
	return comments.Comment{
		Post: post, Name: "Kay", Body: fmt.Sprintf("comment at +%dm", minutes),
		HTML:   fmt.Sprintf("<p>comment at +%dm</p>\n", minutes),
		Status: comments.StatusApproved, Created: t0.Add(time.Duration(minutes) * time.Minute),
	}
}

// add stores c and returns it as stored.
func add(t testing.TB, db *DB, c comments.Comment) comments.Comment {
	t.Helper()
	if err := db.Add(context.Background(), &c); err != nil {
		t.Fatalf("Add(%+v): %v", c, err)
	}
	return c
}

func ids(cs []comments.Comment) []uint64 {
	out := make([]uint64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

// openSettings publish every comment at once, like Milepost before
// moderation, for tests about something else.
func openSettings() comments.Settings {
	p := comments.DefaultSettings()
	p.Moderation = comments.ModerationOpen
	return p
}
