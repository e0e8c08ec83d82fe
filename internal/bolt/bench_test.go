package bolt

import (
	"context"
	"strconv"
	"testing"
	"time"

	"milepost/internal/comments"
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

// BenchmarkServicePost measures a reader's comment through the whole
// moderation path: facts, decision, every index and the fsync.
func BenchmarkServicePost(b *testing.B) {
	db, _ := openTest(b)
	ctx := context.Background()
	for i := range 20 {
		if err := db.PutBan(ctx, comments.Ban{Kind: comments.BanIP, Value: "203.0.113." + strconv.Itoa(i)}, comments.Action{Kind: comments.ActionBan}); err != nil {
			b.Fatal(err)
		}
	}
	clock := t0
	svc := comments.New(db, comments.Options{Now: func() time.Time { clock = clock.Add(time.Second); return clock }})
	in := comments.Input{Post: "massage-during-training", Name: "Kay", Email: "kay@example.org", Body: "Nice run!"}
	who := comments.Author{IP: "192.0.2.1", CommenterID: "cid"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		in.Body = "Nice run! " + strconv.Itoa(i)
		if _, err := svc.Post(ctx, in, who); err != nil {
			b.Fatal(err)
		}
	}
}
