package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// wrkResult is what one wrk run measured.
type wrkResult struct {
	requests      int64   // requests completed
	requestsPerS  float64 // "Requests/sec"
	transferPerS  float64 // "Transfer/sec", in bytes
	non2xx3xx     int64   // "Non-2xx or 3xx responses"
	socketErrors  int64   // connect + read + write + timeout
	socketDetails string  // the "Socket errors:" line as wrk wrote it
}

// bytesPerRequest is the average size of a response, headers included, as
// wrk read it: it tells whether two servers sent the same response.
func (r wrkResult) bytesPerRequest() float64 {
	if r.requestsPerS == 0 {
		return 0
	}
	return r.transferPerS / r.requestsPerS
}

// parseWrk reads the report wrk 4 prints at the end of a run. A report
// without "Requests/sec" (wrk could not connect, or printed its usage) is
// an error, never a zero.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	var sawRate, sawTransfer bool
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, value, ok := strings.Cut(line, ":")
		value = strings.TrimSpace(value)
		switch {
		case strings.Contains(line, " requests in "):
			n, err := strconv.ParseInt(strings.Fields(line)[0], 10, 64)
			if err != nil {
				return r, fmt.Errorf("reading wrk's request count in %q: %w", line, err)
			}
			r.requests = n
		case !ok:
		case key == "Requests/sec":
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				return r, fmt.Errorf("reading wrk's Requests/sec %q: %w", value, err)
			}
			r.requestsPerS, sawRate = v, true
		case key == "Transfer/sec":
			v, err := parseWrkBytes(value)
			if err != nil {
				return r, fmt.Errorf("reading wrk's Transfer/sec: %w", err)
			}
			r.transferPerS, sawTransfer = v, true
		case key == "Non-2xx or 3xx responses":
			n, err := strconv.ParseInt(value, 10, 64)
			if err != nil {
				return r, fmt.Errorf("reading wrk's count of failed responses %q: %w", value, err)
			}
			r.non2xx3xx = n
		case key == "Socket errors":
			// "connect 0, read 0, write 0, timeout 328"
			r.socketDetails = value
			for part := range strings.SplitSeq(value, ",") {
				f := strings.Fields(part)
				if len(f) != 2 {
					return r, fmt.Errorf("reading wrk's socket errors %q", value)
				}
				n, err := strconv.ParseInt(f[1], 10, 64)
				if err != nil {
					return r, fmt.Errorf("reading wrk's socket errors %q: %w", value, err)
				}
				r.socketErrors += n
			}
		}
	}
	if !sawRate || !sawTransfer {
		return r, fmt.Errorf("wrk printed no Requests/sec and Transfer/sec: %s", firstLines(out, 5))
	}
	return r, nil
}

// parseWrkBytes reads a size as wrk prints it: "4.41MB", "512.00B",
// "1.02GB" (powers of 1024).
func parseWrkBytes(s string) (float64, error) {
	units := []struct {
		suffix string
		scale  float64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"KB", 1 << 10}, {"B", 1}}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			v, err := strconv.ParseFloat(num, 64)
			if err != nil {
				return 0, fmt.Errorf("size %q: %w", s, err)
			}
			return v * u.scale, nil
		}
	}
	return 0, fmt.Errorf("size %q has no unit wrk uses", s)
}

// firstLines is the start of a tool's output, for an error message.
func firstLines(s string, n int) string {
	lines := strings.SplitN(strings.TrimSpace(s), "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, " | ")
}

// wrkLoad is how the pages are loaded: wrk's threads, connections and the
// length of each run.
type wrkLoad struct {
	bin         string
	threads     int
	connections int
	duration    time.Duration
}

// run loads url for one run and checks that every response was a success
// (2xx or 3xx, as wrk counts) and no socket failed: a run with failures
// measures something else than the page, so it is an error.
func (l wrkLoad) run(ctx context.Context, url string, headers ...string) (wrkResult, error) {
	args := []string{
		"-t" + strconv.Itoa(l.threads), "-c" + strconv.Itoa(l.connections),
		"-d" + strconv.Itoa(int(l.duration.Round(time.Second)/time.Second)) + "s",
		// wrk gives up on a response after 2 s by default and counts it as
		// a socket error; a slow page is a figure, not a failure.
		"--timeout", "30s",
	}
	for _, h := range headers {
		args = append(args, "-H", h)
	}
	args = append(args, url)
	out, err := exec.CommandContext(ctx, l.bin, args...).CombinedOutput()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return wrkResult{}, fmt.Errorf("wrk %s: %w: %s", url, err, firstLines(string(out), 5))
		}
		return wrkResult{}, fmt.Errorf("running wrk on %s: %w", url, err)
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return r, fmt.Errorf("wrk %s: %w", url, err)
	}
	switch {
	case r.requests == 0:
		return r, fmt.Errorf("wrk %s: no request completed", url)
	case r.non2xx3xx > 0:
		return r, fmt.Errorf("wrk %s: %d of %d responses were not 2xx or 3xx", url, r.non2xx3xx, r.requests)
	case r.socketErrors > 0:
		return r, fmt.Errorf("wrk %s: socket errors (%s) in %d requests", url, r.socketDetails, r.requests)
	}
	return r, nil
}
