package bolt

import (
	"context"
	"testing"
)

// BenchmarkAdd measures one committed comment, fsync included: the cost a
// reader waits for after pressing "Post comment".
func BenchmarkAdd(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	c := newComment("massage-during-training", 0)
	b.ReportAllocs()
	for b.Loop() {
		c.ID = 0
		if err := db.Add(ctx, &c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkByPost reads a busy post's 200 comments among other posts': what
// every post page view costs.
func BenchmarkByPost(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	for i := range 200 {
		add(b, db, newComment("massage-during-training", i))
		add(b, db, newComment("first-marathon", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		cs, err := db.ByPost(ctx, "massage-during-training")
		if err != nil {
			b.Fatal(err)
		}
		if len(cs) != 200 {
			b.Fatalf("%d comments, want 200", len(cs))
		}
	}
}
