package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/web"
	"milepost/themes"
)

// BenchmarkPostPageWithManyComments serves a post with 5,000 threads (a
// comment and a reply each) and 5,000 spam comments: the first and the
// last page of its comments, through the whole handler.
func BenchmarkPostPageWithManyComments(b *testing.B) {
	dir := b.TempDir()
	for name, text := range map[string]string{
		"site.yaml":      siteYAML,
		"authors/kay.md": authorFile,
		massage:          post("title: Massage during training\ndate: 2011-10-03\nauthor: kay", "Just got home from a massage…"),
	} {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	site, err := content.Load(ctx, dir, content.Overrides{})
	if err != nil {
		b.Fatal(err)
	}
	db, err := bolt.Open(ctx, filepath.Join(b.TempDir(), "milepost.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	var cs []comments.Comment
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 5000 {
		root := comments.Comment{ID: uint64(3*i + 1), Post: "massage", Name: "Reader", Body: "Thread " + strconv.Itoa(i),
			Status: comments.StatusApproved, Created: start.Add(time.Duration(i) * time.Minute)}
		reply := root
		reply.ID, reply.Parent, reply.Body = root.ID+1, root.ID, "Reply in thread "+strconv.Itoa(i)
		spam := root
		spam.ID, spam.Status, spam.Body = root.ID+2, comments.StatusSpam, "Buy now "+strconv.Itoa(i)
		cs = append(cs, root, reply, spam)
	}
	if _, err := db.Seed(ctx, cs); err != nil {
		b.Fatal(err)
	}
	src := staticSource{site}
	h, err := web.New(web.Options{
		Content:  src,
		Comments: app.NewCommentService(db, src, false, nil),
		Theme:    themes.Default(),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Secret:   []byte("a benchmark key of thirty-two b!"),
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, page := range []string{"1", "100"} {
		b.Run("page="+page, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/posts/massage/?comments="+page, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				b.SetBytes(int64(rec.Body.Len()))
			}
		})
	}
}
