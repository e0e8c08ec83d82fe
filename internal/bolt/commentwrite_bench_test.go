package bolt_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/web"
	"milepost/themes"
)

// commentWriters is how many readers post at once in
// BenchmarkCommentWrite, as in the measurement.
const commentWriters = 64

// rawBatchNsPerOp is the last "raw-bbolt-batch" figure of
// BenchmarkCommentWrite, which the others are compared with in the same
// run.
var rawBatchNsPerOp float64

// BenchmarkCommentWrite measures durable comment writes by 64 writers at
// once, side by side with a reference: raw bbolt Batch writing records of
// the same size into a single bucket of a file of its own. "http" is a
// reader's comment POSTed to the real handler (form, rate limit, rules,
// store, redirect); "service" is comments.Service.Post on the store (facts,
// decision, every index, the commit); "submit" is the store alone. Each
// reports x_raw_batch, its speed as a share of the reference measured in
// the same run:
//
//	go test ./internal/bolt/ -run '^$' -bench CommentWrite -count 3 -cpu 2
func BenchmarkCommentWrite(b *testing.B) {
	ctx := context.Background()
	record, err := json.Marshal(readersComment(0, 0))
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
				return bk.Put(binary.BigEndian.AppendUint64(nil, id), record)
			})
		})
		rawBatchNsPerOp = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	b.Run("http", func(b *testing.B) {
		h := commentServer(b, openDB(b))
		writeConcurrently(b, func(w, i int) error {
			c := readersComment(w, i)
			form := url.Values{"name": {c.Name}, "email": {c.Email}, "website": {""}, "parent": {""}, "body": {c.Body}}
			req := httptest.NewRequest(http.MethodPost, "/posts/"+c.Post+"/comments", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.RemoteAddr = c.IP + ":40000"
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusSeeOther {
				return fmt.Errorf("POST answered %d: %.300s", rec.Code, rec.Body)
			}
			return nil
		})
		reportRatio(b)
	})
	b.Run("service", func(b *testing.B) {
		svc := comments.New(openDB(b), comments.Options{Settings: func() comments.Settings {
			p := comments.DefaultSettings()
			p.Moderation = comments.ModerationOpen
			return p
		}})
		writeConcurrently(b, func(w, i int) error {
			c := readersComment(w, i)
			_, err := svc.Post(ctx, comments.Input{Post: c.Post, Name: c.Name, Email: c.Email, Body: c.Body},
				comments.Author{IP: c.IP, CommenterID: c.CommenterID})
			return err
		})
		reportRatio(b)
	})
	b.Run("submit", func(b *testing.B) {
		db := openDB(b)
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
		Post: "massage", Name: "Kay", Email: fmt.Sprintf("kay%d@example.org", w),
		Body: body, HTML: "<p>" + body + "</p>\n", Status: comments.StatusApproved,
		IP: fmt.Sprintf("192.0.2.%d", w), CommenterID: fmt.Sprintf("writer-%d", w), Created: time.Now().Round(0),
	}
}

// openDB opens a fresh database for one benchmark, closed when it ends.
func openDB(b *testing.B) *bolt.DB {
	db, err := bolt.Open(context.Background(), filepath.Join(b.TempDir(), "milepost.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// commentServer is the site's handler over db, serving one open post,
// "massage", with comments published at once and a comment rate no
// benchmark reaches. The form's spam guards are off, as the benchmark
// posts forms it never fetched.
func commentServer(b *testing.B, db *bolt.DB) http.Handler {
	dir := b.TempDir()
	for name, text := range map[string]string{
		"site.yaml":      "title: Bench Runners\nlanguage: en\ncomments:\n  moderation: open\n",
		"authors/kay.md": "---\nname: Kay\n---\nRunning fool.\n",
		"posts/massage.md": "---\ntitle: Massage during training\ndate: 2011-10-03\nauthor: kay\n---\n" +
			"Just got home from a massage…\n",
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	site, err := content.Load(context.Background(), dir, content.Overrides{})
	if err != nil {
		b.Fatal(err)
	}
	src := staticSource{site}
	h, err := web.New(web.Options{
		Content:     src,
		Comments:    app.NewCommentService(db, src, false, nil),
		Theme:       themes.Default(),
		Log:         slog.New(slog.NewTextHandler(io.Discard, nil)),
		Secret:      []byte("a benchmark key of thirty-two b!"),
		CommentRate: 1_000_000,
	})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

type staticSource struct{ site *content.Site }

func (s staticSource) Current() *content.Site { return s.site }

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
