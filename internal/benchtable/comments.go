package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// commentBenchmark is the Go benchmark of durable comment writes by 64
// writers (internal/bolt), and its sub-benchmarks: the reference, then
// what is compared with it.
const (
	commentBenchmark = "BenchmarkCommentWrite"
	commentRaw       = commentBenchmark + "/raw-bbolt-batch"
	commentHTTP      = commentBenchmark + "/http"
)

// commentParts are the other sub-benchmarks, noted in the row: the comment
// rules on the store, and the store alone.
var commentParts = []struct{ name, what string }{
	{commentBenchmark + "/service", "rules"},
	{commentBenchmark + "/submit", "store"},
}

// comments runs BenchmarkCommentWrite once per round (each run measures
// raw bbolt Batch just before the comment POSTs, so the rounds interleave)
// and compares the median rates.
func (b *bench) comments(ctx context.Context) ([]row, error) {
	const what = "durable comment POSTs, 64 writers"
	bin := filepath.Join(b.work, "bolt.test")
	b.log.Info("comments: building the bolt package's benchmarks")
	build := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, "./internal/bolt/")
	build.Dir = b.repo
	if out, err := build.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("building the bolt benchmarks: %w: %s", err, out)
	}
	ns := map[string][]float64{}
	for round := range b.cfg.rounds {
		cmd := exec.CommandContext(ctx, bin, "-test.run", "^$", "-test.bench", "^"+commentBenchmark+"$", "-test.count", "1")
		cmd.Dir = filepath.Join(b.repo, "internal", "bolt")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("running %s: %w: %s", commentBenchmark, err, firstLines(string(out), 20))
		}
		results, err := parseGoBench(string(out))
		if err != nil {
			return nil, fmt.Errorf("reading %s's output: %w", commentBenchmark, err)
		}
		for _, r := range results {
			ns[r.name] = append(ns[r.name], r.nsPerOp)
		}
		for _, name := range []string{commentRaw, commentHTTP} {
			if len(ns[name]) != round+1 {
				return nil, fmt.Errorf("%s printed no result for %s: %s", commentBenchmark, name, firstLines(string(out), 20))
			}
		}
		b.log.Info("comments", "round", round+1, "raw ns/op", ns[commentRaw][round], "http ns/op", ns[commentHTTP][round])
	}
	raw, post := median(ns[commentRaw]), median(ns[commentHTTP])
	ratio := raw / post
	var parts []string
	for _, p := range commentParts {
		if len(ns[p.name]) == b.cfg.rounds {
			parts = append(parts, fmt.Sprintf("%s %s", p.what, formatRatio(raw/median(ns[p.name]))))
		}
	}
	r := row{
		what: what, measured: formatRate(1e9/post, "comments/s"), reference: formatRate(1e9/raw, "writes/s raw bbolt `Batch`"),
		ratio: formatRatio(ratio), goal: "≥ 0.5×", met: yesNo(ratio >= 0.5),
	}
	if len(parts) > 0 {
		r.ratio += " (" + strings.Join(parts, ", ") + ")"
	}
	return []row{r}, nil
}
