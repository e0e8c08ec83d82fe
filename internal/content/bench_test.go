package content

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchWords and benchTags make up the synthetic corpus: running-blog posts
// of some 600 words with headings, emphasis, links, lists, tables, quotes
// and code, like a real blog's.
var (
	benchWords = strings.Fields(`run runner marathon tempo interval fartlek quads hamstrings calves
		foam roller massage trigger point recovery stretch mileage taper long slow distance pace
		threshold hill repeats track workout shoes blister hydration gel carb loading race bib
		finish line splits negative split heart rate cadence stride knee hip band shin rest day
		cross training yoga strength core plan week coach club trail road weather rain sunrise
		breakfast coffee legs tired happy`)
	benchTags = []string{"marathon", "recovery", "massage", "training", "injury", "race-report",
		"nutrition", "gear", "trail", "track", "half-marathon", "5k", "10k", "ultra", "strength"}
)

type corpus struct{ r *rand.Rand }

func (c corpus) word() string { return benchWords[c.r.IntN(len(benchWords))] }

func (c corpus) sentence() string {
	w := make([]string, 6+c.r.IntN(13))
	for i := range w {
		w[i] = c.word()
	}
	w[0] = strings.ToUpper(w[0][:1]) + w[0][1:]
	if c.r.Float64() < 0.2 {
		i := c.r.IntN(len(w))
		w[i] = "**" + w[i] + "**"
	}
	if c.r.Float64() < 0.15 {
		i := c.r.IntN(len(w))
		w[i] = "_" + w[i] + "_"
	}
	if c.r.Float64() < 0.1 {
		i := c.r.IntN(len(w))
		w[i] = "[" + w[i] + "](https://example.org/" + w[i] + ")"
	}
	s := strings.Join(w, " ")
	if c.r.Float64() < 0.2 {
		s = `"` + s + `"`
	}
	return s + []string{".", ".", ".", "!", "?", "..."}[c.r.IntN(6)]
}

func (c corpus) para() string {
	s := make([]string, 2+c.r.IntN(5))
	for i := range s {
		s[i] = c.sentence()
	}
	return strings.Join(s, " ")
}

func (c corpus) body() string {
	var out []string
	for sec := range 2 + c.r.IntN(4) {
		if sec > 0 {
			out = append(out, "## "+strings.TrimRight(c.sentence(), ".!?"))
		}
		for range 2 + c.r.IntN(3) {
			out = append(out, c.para())
		}
		var b strings.Builder
		switch k := c.r.Float64(); {
		case k < 0.3:
			for range 3 + c.r.IntN(4) {
				b.WriteString("- " + c.sentence() + "\n")
			}
		case k < 0.5:
			b.WriteString("| Day | Workout | Miles |\n|---|---|---:|\n")
			for _, d := range []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"} {
				fmt.Fprintf(&b, "| %s | %s %s | %d |\n", d, c.word(), c.word(), c.r.IntN(21))
			}
		case k < 0.6:
			b.WriteString("> " + c.para())
		case k < 0.7:
			b.WriteString("```\n")
			for i := 1; i <= 7; i++ {
				fmt.Fprintf(&b, "mile %d: %d:%02d\n", i, 6+c.r.IntN(5), c.r.IntN(60))
			}
			b.WriteString("```")
		}
		if b.Len() > 0 {
			out = append(out, b.String())
		}
	}
	return strings.Join(out, "\n\n") + "\n"
}

// writeCorpus writes a site of n posts by 25 authors into a new directory.
// The same n gives the same bytes.
func writeCorpus(b *testing.B, n int) string {
	c := corpus{rand.New(rand.NewPCG(2026, 1124))}
	fs := files{"site.yaml": "title: Bench\ntimezone: America/Los_Angeles\n"}
	for i := range 25 {
		fs[fmt.Sprintf("authors/runner-%03d.md", i)] = fmt.Sprintf("---\nname: Runner %d\n---\n\n%s\n", i, c.para())
	}
	start := time.Date(2020, 1, 1, 6, 0, 0, 0, time.UTC)
	for i := range n {
		tags := map[string]bool{}
		for range 1 + c.r.IntN(3) {
			tags[benchTags[c.r.IntN(len(benchTags))]] = true
		}
		tagList := slices.Sorted(maps.Keys(tags))
		fs[fmt.Sprintf("posts/post-%05d.md", i)] = fmt.Sprintf("---\ntitle: %q\ndate: %s\nauthor: runner-%03d\ntags: [%s]\n---\n\n%s",
			c.sentence(), start.Add(time.Duration(7*i)*time.Hour).Format(time.RFC3339), c.r.IntN(25),
			strings.Join(tagList, ", "), c.body())
	}
	return writeSite(b, fs)
}

// BenchmarkLoad is the load at start-up: every file listed and its front
// matter read, in parallel; no post rendered (body.go).
func BenchmarkLoad(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("%d posts", n), func(b *testing.B) {
			dir := writeCorpus(b, n)
			ctx := context.Background()
			site, err := Load(ctx, dir, Overrides{})
			if err != nil {
				b.Fatal(err)
			}
			if len(site.Problems) > 0 || len(site.all) != n {
				b.Fatalf("corpus loaded %d posts with problems %v", len(site.all), problemList(site))
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Load(ctx, dir, Overrides{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLoadWithFrontMatterCache is the load at start-up with the
// front matter cache (frontcache.go): missing, so that every front matter
// is parsed and the cache written (a first start), and full (a restart).
func BenchmarkLoadWithFrontMatterCache(b *testing.B) {
	dir := writeCorpus(b, 10000)
	cache := filepath.Join(b.TempDir(), "front-matter.cache")
	ctx := context.Background()
	load := func(b *testing.B) {
		site, err := Load(ctx, dir, Overrides{FrontMatterCache: cache})
		if err != nil || len(site.all) != 10000 {
			b.Fatalf("loaded %v posts: %v", site, err)
		}
	}
	b.Run("missing", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := os.Remove(cache); err != nil && !errors.Is(err, fs.ErrNotExist) {
				b.Fatal(err)
			}
			load(b)
		}
	})
	b.Run("full", func(b *testing.B) {
		load(b)
		b.ReportAllocs()
		for b.Loop() {
			load(b)
		}
	})
}

// BenchmarkRender is the cost a load no longer pays: rendering every
// post's body and summary, as the first request for each does.
func BenchmarkRender(b *testing.B) {
	const n = 1000
	dir := writeCorpus(b, n)
	ctx := context.Background()
	words := 0
	b.ReportAllocs()
	for b.Loop() {
		site, err := Load(ctx, dir, Overrides{})
		if err != nil {
			b.Fatal(err)
		}
		words = 0
		for _, p := range site.all {
			p.Summary()
			words += p.WordCount()
		}
	}
	b.ReportMetric(float64(words)/n, "words/post")
}

// BenchmarkReloadOnePost is one post edited on a site of 10,000: read
// again as the watcher's event names it, or by Reload, which looks at the
// size and modification time of every file first. Both build the new
// Site's listings.
func BenchmarkReloadOnePost(b *testing.B) {
	const n = 10000
	dir := writeCorpus(b, n)
	ctx := context.Background()
	log, _ := newLog()
	src, err := NewSource(ctx, dir, Overrides{}, log)
	if err != nil {
		b.Fatal(err)
	}
	const rel = "posts/post-05000.md"
	text, err := os.ReadFile(filepath.Join(dir, rel))
	if err != nil {
		b.Fatal(err)
	}
	for _, bb := range []struct {
		name   string
		reload func()
	}{
		{"event", func() { src.apply(ctx, changes{posts: map[string]bool{rel: true}}) }},
		{"Reload", func() { src.Reload(ctx) }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				edit(b, dir, rel, string(text))
				before := src.Current()
				b.StartTimer()
				bb.reload()
				if src.Current() == before {
					b.Fatal("the edit was not seen")
				}
			}
		})
	}
}

// BenchmarkScanUnchanged is what the watcher's fallback costs each time it
// runs (every 30 s with events, every interval without): the size and
// modification time of every file of a 10,000-post site, nothing read.
// With events and nothing changing, the watcher costs nothing at all.
func BenchmarkScanUnchanged(b *testing.B) {
	dir := writeCorpus(b, 10000)
	ctx := context.Background()
	log, _ := newLog()
	src, err := NewSource(ctx, dir, Overrides{}, log)
	if err != nil {
		b.Fatal(err)
	}
	before := src.Current()
	b.ReportAllocs()
	for b.Loop() {
		src.Reload(ctx)
	}
	if src.Current() != before {
		b.Fatal("a scan of an unchanged site made a new Site")
	}
}

// BenchmarkLoadActivities is the cost of activity files at load: a first
// load reads every file (in parallel, one worker per CPU), a reload after
// a story changed reads none.
func BenchmarkLoadActivities(b *testing.B) {
	fit := activityFixture(b, "triathlon_fr255.fit")
	fs := files{}
	const n = 16
	for i := range n {
		fs[fmt.Sprintf("posts/run-%02d/index.md", i)] = "---\ntitle: Run\ndate: 2024-01-01\nactivity: run.fit\n---\n"
		fs[fmt.Sprintf("posts/run-%02d/run.fit", i)] = fit
	}
	dir := writeSite(b, fs)
	ctx := context.Background()
	b.Run("first load", func(b *testing.B) {
		for b.Loop() {
			site, err := Load(ctx, dir, Overrides{})
			if err != nil || len(site.Warnings) > 0 {
				b.Fatal(err, site.Warnings)
			}
		}
		b.ReportMetric(n, "files")
	})
	b.Run("reload, files unchanged", func(b *testing.B) {
		log, _ := newLog()
		src, err := NewSource(ctx, dir, Overrides{}, log)
		if err != nil {
			b.Fatal(err)
		}
		i := 0
		for b.Loop() {
			i++
			writeFile(b, dir, "posts/run-00/index.md", fmt.Sprintf("---\ntitle: Run %d\ndate: 2024-01-01\nactivity: run.fit\n---\n", i))
			src.Reload(ctx)
		}
	})
}
