package search

import (
	"context"
	"os"
	"runtime"
	"slices"
	"testing"
	"time"

	"milepost/internal/content"
)

// The benchmarks run on a content directory named by MILEPOST_CORPUS, such
// as the 10,000 posts of the project's corpus generator; without it they
// are skipped.
func benchSite(b *testing.B) *content.Site {
	b.Helper()
	dir := os.Getenv("MILEPOST_CORPUS")
	if dir == "" {
		b.Skip("MILEPOST_CORPUS names no content directory")
	}
	if _, err := os.Stat(dir); err != nil {
		b.Skipf("corpus: %v", err)
	}
	site, err := content.Load(context.Background(), dir, content.Overrides{})
	if err != nil {
		b.Fatal(err)
	}
	return site
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkBuild builds the index of a freshly loaded site: rendering
// every post's text, as a start-up does. It reports the heap the build
// added (after a GC, less the site's) and the whole heap.
func BenchmarkBuild(b *testing.B) {
	benchSite(b) // skip early
	var indexMB, totalMB float64
	var posts int
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		site := benchSite(b)
		before := heapInUse()
		b.StartTimer()
		started := cpuTime()
		ix := New()
		if _, err := ix.Sync(context.Background(), site, time.Now()); err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime() - started
		b.StopTimer()
		posts = ix.Len()
		total := heapInUse()
		totalMB = float64(total) / (1 << 20)
		// What the build added: the index (the posts keep none of the
		// HTML rendered for their text).
		indexMB = float64(int64(total)-int64(before)) / (1 << 20)
		runtime.KeepAlive(site)
		runtime.KeepAlive(ix)
		b.StartTimer()
	}
	b.ReportMetric(float64(posts), "posts")
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(indexMB, "index-MB")
	b.ReportMetric(totalMB, "heap-MB")
}

// benchQueries are a mix of what readers search for: single words,
// several words, phrases, filters, misspellings (which find nothing and
// look for a suggestion) and a word no post has.
var benchQueries = []string{
	"massage",
	"hamstrings",
	"running",
	"foam roller recovery",
	"IT band",
	`"negative split"`,
	`"foam roller" knee`,
	"tag:race-report marathon",
	"author:runner-012 tempo",
	"tag:massage",
	"masage",
	"hamstrngs",
	"threshold pace hill repeats",
	"xylophone",
	`"trail weather"`,
	"coffee breakfast",
}

// BenchmarkQuery runs the mix in turn, each with its first page of
// results and snippets, and reports the median time of one. It reports
// the heap the index alone holds too: its posts are rendered before the
// heap is measured and the index built.
func BenchmarkQuery(b *testing.B) {
	site := benchSite(b)
	now := time.Now()
	for _, p := range (content.View{Site: site, Now: now}).Posts() {
		p.HTML()
	}
	before := heapInUse()
	ix := New()
	if _, err := ix.Sync(context.Background(), site, now); err != nil {
		b.Fatal(err)
	}
	indexMB := float64(int64(heapInUse())-int64(before)) / (1 << 20)
	qs := make([]Query, len(benchQueries))
	for i, raw := range benchQueries {
		q, err := Parse(raw)
		if err != nil {
			b.Fatal(err)
		}
		qs[i] = q
	}
	var took []time.Duration
	i := 0
	b.ResetTimer()
	started := cpuTime()
	for b.Loop() {
		start := time.Now()
		if _, err := ix.Search(context.Background(), qs[i%len(qs)], 1, now); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
		i++
	}
	cpu := cpuTime() - started
	b.ReportMetric(indexMB, "index-MB")
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(took)), "cpu-ms/op")
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(took[len(took)*9/10].Microseconds())/1000, "p90-ms")
}
