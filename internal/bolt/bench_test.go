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

// BenchmarkThreadsPage reads one page of a busy post: 5,000 threads of a
// comment and a reply, among 5,000 spam comments, with the reader's held
// comment. What a post page view costs the store, first page and last.
func BenchmarkThreadsPage(b *testing.B) {
	db, _ := openTest(b)
	var cs []comments.Comment
	for i := range 5000 {
		cs = append(cs, newComment("massage-during-training", 2*i))
		reply := newComment("massage-during-training", 2*i+1)
		reply.Parent = uint64(len(cs))
		cs = append(cs, reply, status("massage-during-training", 2*i, comments.StatusSpam))
	}
	mine := status("massage-during-training", 20000, comments.StatusPending)
	mine.CommenterID = "me"
	bulk(b, db, append(cs, mine))
	ctx := context.Background()
	for _, page := range []int{1, 5000 / comments.ThreadsPerPage} {
		b.Run("page="+strconv.Itoa(page), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				s, err := db.Threads(ctx, comments.ThreadQuery{Post: "massage-during-training", Page: page,
					Viewer: "me"})
				if err != nil {
					b.Fatal(err)
				}
				if len(s.Approved) != 2*comments.ThreadsPerPage || len(s.Held) != 1 {
					b.Fatalf("%d approved, %d held", len(s.Approved), len(s.Held))
				}
			}
		})
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
