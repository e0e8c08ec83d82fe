package main

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The testdata files are real outputs, captured on the 10,000-post site:
// wrk 4.1 against milepost serve and go test -bench of the bolt package.

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestParseWrk(t *testing.T) {
	for _, tc := range []struct {
		file          string
		requests      int64
		rate          float64
		transfer      float64
		non2xx3xx     int64
		socketErrors  int64
		bytesPerReqGT float64 // bytesPerRequest is above this
	}{
		// the home page: 17.5 kB responses
		{file: "wrk-home.txt", requests: 596, rate: 288.80, transfer: 5.02 * (1 << 20), bytesPerReqGT: 17000},
		// /feed.xml answered 304: headers only
		{file: "wrk-304.txt", requests: 17745, rate: 8608.83, transfer: 4.41 * (1 << 20), bytesPerReqGT: 500},
		// a missing page: every response is a 404
		{file: "wrk-404.txt", requests: 3937, rate: 1943.75, transfer: 6.33 * (1 << 20), non2xx3xx: 3937, bytesPerReqGT: 3000},
		// 400 connections with a 1 s timeout: 328 timed out
		{file: "wrk-timeouts.txt", requests: 1060, rate: 342.30, transfer: 5.95 * (1 << 20), socketErrors: 328, bytesPerReqGT: 17000},
	} {
		t.Run(tc.file, func(t *testing.T) {
			r, err := parseWrk(readTestdata(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if r.requests != tc.requests || r.requestsPerS != tc.rate || math.Abs(r.transferPerS-tc.transfer) > 1 ||
				r.non2xx3xx != tc.non2xx3xx || r.socketErrors != tc.socketErrors {
				t.Errorf("parseWrk = %+v, want %d requests, %v req/s, %v B/s, %d non-2xx/3xx, %d socket errors",
					r, tc.requests, tc.rate, tc.transfer, tc.non2xx3xx, tc.socketErrors)
			}
			if got := r.bytesPerRequest(); got <= tc.bytesPerReqGT || got > tc.bytesPerReqGT*1.2 {
				t.Errorf("bytesPerRequest = %.0f, want a little over %.0f", got, tc.bytesPerReqGT)
			}
		})
	}
}

// wrk that could not connect, or that was given a bad flag, prints no
// figures: that is an error, never a rate of 0.
func TestParseWrkWithoutFigures(t *testing.T) {
	for _, out := range []string{
		readTestdata(t, "wrk-refused.txt"),
		"Usage: wrk <options> <url>\n  Options:\n    -c, --connections <N>  Connections to keep open\n",
		"",
	} {
		if r, err := parseWrk(out); err == nil {
			t.Errorf("parseWrk(%q) = %+v, want an error", firstLines(out, 1), r)
		}
	}
}

func TestParseWrkBytes(t *testing.T) {
	for in, want := range map[string]float64{
		"512.00B": 512, "4.41MB": 4.41 * (1 << 20), "1.50KB": 1536, "2.00GB": 2 << 30,
	} {
		got, err := parseWrkBytes(in)
		if err != nil || math.Abs(got-want) > 1e-6 {
			t.Errorf("parseWrkBytes(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"4.41", "MB", "x.yMB", "4.41mb"} {
		if got, err := parseWrkBytes(in); err == nil {
			t.Errorf("parseWrkBytes(%q) = %v, want an error", in, got)
		}
	}
}

func TestParseGoBench(t *testing.T) {
	results, err := parseGoBench(readTestdata(t, "gobench-commentwrite.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range results {
		names = append(names, r.name)
		if r.procs != 2 || r.n != 200 {
			t.Errorf("%s: procs %d, n %d; want 2 and 200", r.name, r.procs, r.n)
		}
	}
	want := "BenchmarkCommentWrite/raw-bbolt-batch BenchmarkCommentWrite/raw-bbolt-batch " +
		"BenchmarkCommentWrite/http BenchmarkCommentWrite/http " +
		"BenchmarkCommentWrite/service BenchmarkCommentWrite/service " +
		"BenchmarkCommentWrite/submit BenchmarkCommentWrite/submit"
	if got := strings.Join(names, " "); got != want {
		t.Fatalf("names:\n%s\nwant\n%s", got, want)
	}
	if results[0].nsPerOp != 287506 || results[3].nsPerOp != 605118 || results[3].metrics["x_raw_batch"] != 0.4458 {
		t.Errorf("figures: raw %v ns/op, http %v ns/op and %v x_raw_batch; want 287506, 605118 and 0.4458",
			results[0].nsPerOp, results[3].nsPerOp, results[3].metrics["x_raw_batch"])
	}
	if _, ok := results[0].metrics["x_raw_batch"]; ok {
		t.Error("the reference's line has no x_raw_batch, but one was read")
	}
}

func TestParseGoBenchRefusesBrokenLines(t *testing.T) {
	for _, out := range []string{
		"BenchmarkX-2   100   12.5 ns/op   3\n",        // a value without its unit
		"BenchmarkX-2   100   fast ns/op\n",            // not a number
		"BenchmarkX-2   100   12 B/op   1 allocs/op\n", // no ns/op
	} {
		if r, err := parseGoBench(out); err == nil {
			t.Errorf("parseGoBench(%q) = %+v, want an error", out, r)
		}
	}
	// A benchmark's log line is not a result.
	r, err := parseGoBench("BenchmarkX-2 says hello\nBenchmarkX-2   100   12.5 ns/op\n")
	if err != nil || len(r) != 1 || r[0].name != "BenchmarkX" || r[0].nsPerOp != 12.5 {
		t.Errorf("parseGoBench = %+v, %v; want one result of 12.5 ns/op", r, err)
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median(3,1,2) = %v", got)
	}
	if got := median([]int64{4, 1, 3, 2}); got != 2 {
		t.Errorf("median(4,1,3,2) = %v, want 2 (the mean of 2 and 3, in integers)", got)
	}
}
