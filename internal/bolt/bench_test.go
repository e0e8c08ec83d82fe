package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

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

// commentWriters is how many readers post at once in
// BenchmarkCommentWrite, as in the measurement.
const commentWriters = 64

// rawBatchNsPerOp is the last "raw-bbolt-batch" figure of
// BenchmarkCommentWrite, which the others are compared with in the same
// run.
var rawBatchNsPerOp float64

// BenchmarkCommentWrite measures durable comment writes by 64 writers at
// once, side by side with a reference: raw bbolt Batch writing records of
// the same size into a single bucket of a file of its own. "service" is a
// reader's comment as a POST makes it (comments.Service.Post on this
// store: facts, decision, every index, the commit); "submit" is the store
// alone. Each reports x_raw_batch, its speed as a share of the reference
// measured in the same run:
//
//	go test ./internal/bolt/ -run '^$' -bench CommentWrite -count 3 -cpu 2
func BenchmarkCommentWrite(b *testing.B) {
	ctx := context.Background()
	sample := readersComment(0, 0)
	record, err := json.Marshal(sample)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("raw-bbolt-batch", func(b *testing.B) {
		raw, err := bbolt.Open(filepath.Join(b.TempDir(), "raw.db"), 0o600, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer raw.Close()
		name := []byte("comments")
		if err := raw.Update(func(tx *bbolt.Tx) error { _, err := tx.CreateBucket(name); return err }); err != nil {
			b.Fatal(err)
		}
		writeConcurrently(b, func(int, int) error {
			return raw.Batch(func(tx *bbolt.Tx) error {
				bk := tx.Bucket(name)
				id, err := bk.NextSequence()
				if err != nil {
					return err
				}
				return bk.Put(idKey(id), record)
			})
		})
		rawBatchNsPerOp = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("service", func(b *testing.B) {
		db, _ := openTest(b)
		svc := comments.New(db, comments.Options{Settings: openSettings})
		writeConcurrently(b, func(w, i int) error {
			c := readersComment(w, i)
			_, err := svc.Post(ctx, comments.Input{Post: c.Post, Name: c.Name, Email: c.Email, Body: c.Body},
				comments.Author{IP: c.IP, CommenterID: c.CommenterID})
			return err
		})
		reportRatio(b)
	})
	b.Run("submit", func(b *testing.B) {
		db, _ := openTest(b)
		approve := func(c *comments.Comment, _ comments.Facts) error {
			c.Status = comments.StatusApproved
			return nil
		}
		writeConcurrently(b, func(w, i int) error {
			c := readersComment(w, i)
			return db.Submit(ctx, &c, c.Created.Add(-10*time.Minute), approve)
		})
		reportRatio(b)
	})
}

// readersComment is comment i of writer w, as the Service stores it: its
// own address and commenter id, and a body of a usual length (plain text,
// so its HTML is one paragraph, without the cost of rendering it here).
func readersComment(w, i int) comments.Comment {
	body := fmt.Sprintf("Comment %d from writer %d. Great run — how did the legs feel the day after? "+
		"I tried the same session last week and my calves were done for.", i, w)
	return comments.Comment{
		Post: "massage-during-training", Name: "Kay", Email: fmt.Sprintf("kay%d@example.org", w),
		Body: body, HTML: "<p>" + body + "</p>\n", Status: comments.StatusApproved,
		IP: fmt.Sprintf("192.0.2.%d", w), CommenterID: fmt.Sprintf("writer-%d", w), Created: time.Now().Round(0),
	}
}

// writeConcurrently spreads b.N writes over commentWriters goroutines,
// calling write with the writer's number and the write's, and fails on
// the first error.
func writeConcurrently(b *testing.B, write func(w, i int) error) {
	b.Helper()
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, commentWriters)
	b.ResetTimer()
	for w := range commentWriters {
		wg.Go(func() {
			for i := next.Add(1) - 1; i < int64(b.N); i = next.Add(1) - 1 {
				if err := write(w, int(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}

// reportRatio reports b's speed as a share of the reference's.
func reportRatio(b *testing.B) {
	if rawBatchNsPerOp > 0 {
		b.ReportMetric(rawBatchNsPerOp/(float64(b.Elapsed().Nanoseconds())/float64(b.N)), "x_raw_batch")
	}
}
