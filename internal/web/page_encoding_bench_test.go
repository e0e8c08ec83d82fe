package web_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/content"
	"milepost/internal/web"
	"milepost/themes"
)

// benchServer is a Server on the paged site (harness_test.go's files),
// with no comments and no guards, as an anonymous reader sees it.
func benchServer(b *testing.B) http.Handler {
	b.Helper()
	dir := b.TempDir()
	files := pagedSite()
	files["site.yaml"] = siteYAML
	files["authors/kay.md"] = authorFile
	writeSiteFiles(b, dir, files)
	site, err := content.Load(b.Context(), dir, content.Overrides{})
	if err != nil {
		b.Fatal(err)
	}
	db, err := bolt.Open(b.Context(), filepath.Join(b.TempDir(), "milepost.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	src := staticSource{site}
	h, err := web.New(web.Options{
		Content: src, Comments: app.NewCommentService(db, src, false, nil), Theme: themes.Default(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Secret: []byte("a benchmark key of thirty-two b!"),
	})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkPageAgainstBareHandler serves the home and a post page, brotli
// encoded, through the whole handler and through a bare net/http handler
// writing the same bytes from memory; "x_bare" is the handler's speed as a
// fraction of the bare one's, both measured in this run.
func BenchmarkPageAgainstBareHandler(b *testing.B) {
	h := benchServer(b)
	for _, path := range []string{"/", "/posts/massage/"} {
		b.Run("path="+path, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Accept-Encoding", "br")
			first := httptest.NewRecorder()
			h.ServeHTTP(first, req)
			if first.Code != http.StatusOK {
				b.Fatalf("%s: %d", path, first.Code)
			}
			body, header := first.Body.Bytes(), first.Header().Clone()
			bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range header {
					w.Header()[k] = v
				}
				_, _ = w.Write(body)
			})
			// Alternated request by request, so both see the same machine.
			var page, reference time.Duration
			for b.Loop() {
				start := time.Now()
				h.ServeHTTP(httptest.NewRecorder(), req)
				mid := time.Now()
				bare.ServeHTTP(httptest.NewRecorder(), req)
				page, reference = page+mid.Sub(start), reference+time.Since(mid)
			}
			b.ReportMetric(float64(reference)/float64(page), "x_bare")
			b.ReportMetric(float64(page.Nanoseconds())/float64(b.N), "ns/page")
			b.ReportMetric(float64(reference.Nanoseconds())/float64(b.N), "ns/bare")
		})
	}
}
