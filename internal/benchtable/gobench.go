package main

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// goBenchResult is one line of `go test -bench` output.
type goBenchResult struct {
	name    string  // without the -GOMAXPROCS suffix: "BenchmarkCommentWrite/http"
	procs   int     // the suffix, 1 when there is none
	n       int64   // iterations
	nsPerOp float64 // ns/op
	metrics map[string]float64
}

// parseGoBench reads the result lines of `go test -bench` output (the
// format of golang.org/design/14313-benchmark-format): a name, an
// iteration count, then value-unit pairs. Other lines (goos, PASS, ok,
// logs) are skipped; a result line that does not parse is an error.
func parseGoBench(out string) ([]goBenchResult, error) {
	var results []goBenchResult
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // "BenchmarkX some log text": not a result
		}
		r := goBenchResult{name: f[0], procs: 1, metrics: map[string]float64{}}
		if i := strings.LastIndexByte(r.name, '-'); i > 0 {
			if p, err := strconv.Atoi(r.name[i+1:]); err == nil {
				r.name, r.procs = r.name[:i], p
			}
		}
		r.n, _ = strconv.ParseInt(f[1], 10, 64)
		if len(f[2:])%2 != 0 {
			return nil, fmt.Errorf("benchmark line %q: values and units do not pair up", line)
		}
		for i := 2; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %w", line, err)
			}
			r.metrics[f[i+1]] = v
		}
		ns, ok := r.metrics["ns/op"]
		if !ok {
			return nil, fmt.Errorf("benchmark line %q has no ns/op", line)
		}
		r.nsPerOp = ns
		results = append(results, r)
	}
	return results, sc.Err()
}
