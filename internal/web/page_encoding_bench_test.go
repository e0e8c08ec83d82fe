package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/web"
	"milepost/themes"
)

// benchServer is a Server on the paged site (harness_test.go's files),
// with the default spam guards and 50 comments on the massage post, as an
// anonymous reader sees it.
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
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for i := range 50 {
		c := comments.Comment{Post: "massage", Name: fmt.Sprintf("Reader %d", i), Status: comments.StatusApproved,
			Body: "Easy miles along the river, then strides.", Created: start.Add(time.Duration(i) * time.Hour)}
		c.HTML = comments.Render(c.Body)
		if err := db.Add(b.Context(), &c); err != nil {
			b.Fatal(err)
		}
	}
	src := staticSource{site}
	h, err := web.New(web.Options{
		Content: src, Comments: app.NewCommentService(db, src, false, nil), Theme: themes.Default(),
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Secret: []byte("a benchmark key of thirty-two b!"),
		Guards: web.DefaultGuards,
	})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// BenchmarkPageAgainstBareHandler serves pages and feeds, brotli encoded,
// from the render cache through the whole handler (its middleware
// included: the access log, the security headers, the routing), and the
// same responses through a bare net/http handler writing the recorded
// status, headers and bytes from memory. Each is measured three ways:
// over real HTTP (via=http: a net/http server on loopback each, one
// kept-alive client, as wrk measures a server), called in process with a
// recorder (via=recorder: no network), and called with a writer that does
// nothing (via=writer: the handler's own work alone, without the
// recorder's copies). The two are alternated request by request, so
// both see the same machine; "x_bare" is the handler's speed as a
// fraction of the bare one's from the median request time of each (a
// shared machine's pauses fall on either alike), "x_bare_mean" from the
// means.
func BenchmarkPageAgainstBareHandler(b *testing.B) {
	h := benchServer(b)
	for _, tc := range []struct {
		name, path  string
		notModified bool // asked again with the ETag of the first answer
	}{
		{"post-50-comments", "/posts/massage/", false},
		{"home", "/", false},
		{"tag", "/tags/recovery/", false},
		{"feed", "/feed.xml", false},
		{"feed-304", "/feed.xml", true},
		// The ceiling: a handler that does nothing, behind the same
		// middleware every page passes (the access log, the security
		// headers, the routing).
		{"healthz", "/healthz", false},
	} {
		req := httptest.NewRequest(http.MethodGet, tc.path, nil)
		req.Header.Set("Accept-Encoding", "br")
		first := httptest.NewRecorder()
		h.ServeHTTP(first, req)
		if first.Code != http.StatusOK {
			b.Fatalf("%s: %d", tc.path, first.Code)
		}
		if tc.notModified {
			req.Header.Set("If-None-Match", first.Header().Get("ETag"))
			first = httptest.NewRecorder()
			h.ServeHTTP(first, req)
			if first.Code != http.StatusNotModified {
				b.Fatalf("%s with its ETag: %d", tc.path, first.Code)
			}
		}
		status, body, header := first.Code, first.Body.Bytes(), first.Header().Clone()
		bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			_, _ = w.Write(body)
		})
		b.Run(tc.name+"/via=http", func(b *testing.B) {
			page, reference := httptest.NewServer(h), httptest.NewServer(bare)
			defer page.Close()
			defer reference.Close()
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
			fetch := func(base string) func() {
				r, err := http.NewRequest(http.MethodGet, base+tc.path, nil)
				if err != nil {
					b.Fatal(err)
				}
				r.Header = req.Header.Clone()
				return func() {
					res, err := client.Do(r)
					if err != nil {
						b.Fatal(err)
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != status {
						b.Fatalf("%s: %d, want %d", tc.path, res.StatusCode, status)
					}
				}
			}
			alternate(b, fetch(page.URL), fetch(reference.URL))
		})
		b.Run(tc.name+"/via=recorder", func(b *testing.B) {
			alternate(b, func() { h.ServeHTTP(httptest.NewRecorder(), req) }, func() { bare.ServeHTTP(httptest.NewRecorder(), req) })
		})
		b.Run(tc.name+"/via=writer", func(b *testing.B) {
			alternate(b, func() { h.ServeHTTP(newDiscardWriter(), req) }, func() { bare.ServeHTTP(newDiscardWriter(), req) })
		})
	}
}

// discardWriter is the least a ResponseWriter does (a new header map per
// response, as net/http gives, and bytes dropped), for via=writer: the
// handler's own work against the bare one's, without the recorder's
// copying of headers and body that via=recorder adds to both.
type discardWriter struct{ header http.Header }

func newDiscardWriter() *discardWriter                    { return &discardWriter{header: http.Header{}} }
func (d *discardWriter) Header() http.Header              { return d.header }
func (d *discardWriter) Write(b []byte) (int, error)      { return len(b), nil }
func (d *discardWriter) WriteHeader(int)                  {}
func (d *discardWriter) SetWriteDeadline(time.Time) error { return nil }

// alternate times page and bare request by request, each first in turn
// (neither always runs on a warm cache), and reports the ratios.
func alternate(b *testing.B, page, bare func()) {
	var pageTimes, bareTimes []time.Duration
	odd := false
	for b.Loop() {
		first, second := page, bare
		if odd {
			first, second = bare, page
		}
		t0 := time.Now()
		first()
		t1 := time.Now()
		second()
		t2 := time.Now()
		if odd {
			pageTimes, bareTimes = append(pageTimes, t2.Sub(t1)), append(bareTimes, t1.Sub(t0))
		} else {
			pageTimes, bareTimes = append(pageTimes, t1.Sub(t0)), append(bareTimes, t2.Sub(t1))
		}
		odd = !odd
	}
	b.ReportMetric(float64(median(bareTimes))/float64(median(pageTimes)), "x_bare")
	b.ReportMetric(float64(sum(bareTimes))/float64(sum(pageTimes)), "x_bare_mean")
	b.ReportMetric(float64(median(pageTimes)), "ns/page")
	b.ReportMetric(float64(median(bareTimes)), "ns/bare")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func sum(d []time.Duration) time.Duration {
	var t time.Duration
	for _, x := range d {
		t += x
	}
	return t
}
