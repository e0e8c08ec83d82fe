package bolt

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"milepost/internal/comments"
)

// TestServiceOverRealStore runs comments.Service on a real file: the path a
// reader's comment takes in production.
func TestServiceOverRealStore(t *testing.T) {
	db, _ := openTest(t)
	ctx := context.Background()
	clock := t0
	svc := comments.New(db, comments.Options{Now: func() time.Time { clock = clock.Add(time.Minute); return clock }, Settings: openSettings})

	root, err := svc.Post(ctx, comments.Input{Post: "p", Name: "Ana", Body: "First **post**", Website: "https://ana.example.org/"}, comments.Author{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	parent := strconv.FormatUint(root.ID, 10)
	for depth := 1; depth < comments.MaxDepth; depth++ {
		c, err := svc.Post(ctx, comments.Input{Post: "p", Name: "Ben", Body: "deeper " + strconv.Itoa(depth), Parent: parent}, comments.Author{IP: "192.0.2.2"})
		if err != nil {
			t.Fatalf("reply at depth %d: %v", depth, err)
		}
		if c.Depth != depth {
			t.Fatalf("reply depth %d, want %d", c.Depth, depth)
		}
		parent = strconv.FormatUint(c.ID, 10)
	}
	mustCheck(t, db)

	var fe comments.FieldErrors
	_, err = svc.Post(ctx, comments.Input{Post: "p", Name: "Cy", Body: "too deep", Parent: parent}, comments.Author{})
	if !errors.As(err, &fe) || fe["parent"] == "" {
		t.Fatalf("reply past MaxDepth = %v, want FieldErrors on parent", err)
	}
	other, err := svc.Post(ctx, comments.Input{Post: "q", Name: "Di", Body: "elsewhere"}, comments.Author{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = svc.Post(ctx, comments.Input{Post: "p", Name: "Cy", Body: "cross-post", Parent: strconv.FormatUint(other.ID, 10)}, comments.Author{})
	if !errors.As(err, &fe) || fe["parent"] == "" {
		t.Fatalf("reply to another post's comment = %v, want FieldErrors on parent", err)
	}

	page, err := svc.ForPost(ctx, "p", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	nodes := page.Threads
	depth := 0
	for n := nodes; len(n) == 1; n = n[0].Children {
		depth++
	}
	if len(nodes) != 1 || depth != comments.MaxDepth {
		t.Errorf("ForPost: %d roots, chain of %d, want 1 and %d", len(nodes), depth, comments.MaxDepth)
	}
	if nodes[0].Comment.HTML != "<p>First <strong>post</strong></p>\n" || nodes[0].Comment.IP != "" {
		t.Errorf("root comment = %+v", nodes[0].Comment)
	}
	counts, _ := db.Counts(ctx)
	if counts["p"] != comments.MaxDepth || counts["q"] != 1 {
		t.Errorf("Counts = %v", counts)
	}
	mustCheck(t, db)
}
