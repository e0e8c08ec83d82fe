package stress

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// guestbookSlug is the soak's post for comments. Readers never open it: a
// thread that grows by thousands of comments makes its page cost more
// memory to render, legitimately, and that must not pass for a leak.
const guestbookSlug = "soak-guestbook"

// soakPosts are posts added to the sample content for the soak, so that the
// home page has a second page and tags and the archive have several posts.
func soakPosts() (map[string]string, []target) {
	tags := []string{"long-run", "intervals", "recovery", "race-day"}
	files := map[string]string{}
	var targets []target
	para := "Out the door at six, the streets still empty. Easy pace for the first " +
		"five kilometres, then settling into marathon pace along the river. " +
		"Legs felt heavy on the hills but the last stretch came back to life."
	for i := 1; i <= 14; i++ {
		slug := fmt.Sprintf("soak-run-%02d", i)
		files["posts/"+slug+".md"] = fmt.Sprintf("---\ntitle: Training run %d\ndate: 2012-03-%02dT07:00:00\n"+
			"author: kay-kays-bird-club\ntags: [%s, %s]\n---\n\n%s\n\n## Splits\n\n| km | pace |\n|---:|---:|\n| %d | 5:%02d |\n\n%s\n",
			i, i, tags[i%len(tags)], tags[(i+1)%len(tags)], para, i, 10+i, strings.Repeat(para+" ", i%4+1))
		targets = append(targets, target{"page", "/posts/" + slug + "/", 200, "html"})
	}
	files["posts/"+guestbookSlug+".md"] = "---\ntitle: Guest book\ndate: 2012-04-01\ntags: [guestbook]\n---\n\nSay hello.\n"
	targets = append(targets, target{"page", "/page/2/", 200, "html"})
	for _, tag := range tags {
		targets = append(targets,
			target{"page", "/tags/" + tag + "/", 200, "html"},
			target{"feed", "/tags/" + tag + "/atom.xml", 200, "xml"})
	}
	return files, targets
}

// TestSoak puts mixed traffic on the server for -soak (5s by default, 30s in CI,
// after a short warm-up): page views, missing pages, feed polls with and
// without If-None-Match, static files and comments, from 32 clients. Every
// answer must be right, and the server's memory must stay flat: its RSS at
// the end of the run is compared with its RSS at the start.
func TestSoak(t *testing.T) {
	needBinary(t)
	const clients = 32
	soak := *soakFlag
	if soak < 5*time.Second {
		t.Fatalf("-soak %v: want at least 5s", soak)
	}
	const warmup = 2 * time.Second
	// Each client comments at most this often. Readers outnumber writers on
	// a blog, and the database grows with every comment: unthrottled, the
	// file's pages mapped into the server would swell its RSS over a long
	// soak with no leak at all. The kill -9 test is the one that hammers
	// writes.
	const commentEvery = time.Second

	extra, extraTargets := soakPosts()
	s := newSite(t, extra)
	srv := startServer(t, s)
	client := newClient(clients)
	defer client.CloseIdleConnections()

	var pages, missing, feeds, static []target
	for _, tg := range append(slices.Clone(sampleTargets), extraTargets...) {
		switch tg.kind {
		case "page":
			pages = append(pages, tg)
		case "404":
			missing = append(missing, tg)
		case "feed":
			feeds = append(feeds, tg)
		case "static":
			static = append(static, tg)
		}
	}

	st := newSoakStats()
	prefix := fmt.Sprintf("soak run %d:", time.Now().UnixNano())
	l := newLedger()

	// Memory is sampled from the start, warm-up included.
	start := time.Now()
	mem := &memSampler{pid: srv.current().pid, start: start}
	memCtx, stopMem := context.WithCancel(context.Background())
	memDone := make(chan struct{})
	go func() { defer close(memDone); mem.run(memCtx, 200*time.Millisecond) }()

	measureFrom := start.Add(warmup)
	deadline := measureFrom.Add(soak)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	// The live heap after a collection, from the server's debug address,
	// at the start and at the end of the measured run, while under load.
	var heapFirst, heapLast uint64
	var heapErr error
	heapDone := make(chan struct{})
	go func() {
		defer close(heapDone)
		time.Sleep(time.Until(measureFrom))
		if heapFirst, heapErr = srv.heapAfterGC(3); heapErr != nil {
			return
		}
		time.Sleep(time.Until(deadline.Add(-soak / 10)))
		heapLast, heapErr = srv.heapAfterGC(3)
	}()
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			etags := map[string]string{} // feed path → ETag this client was given
			var lastComment time.Time
			// The deadline stops new requests, not one under way: cutting
			// it off would hang up on the server mid-answer, which the
			// server may rightly log, and the soak is about its answers.
			reqCtx := context.WithoutCancel(ctx)
			for seq := 0; ctx.Err() == nil; seq++ {
				var (
					kind    string
					began   = time.Now()
					problem error
				)
				r := rand.IntN(100)
				if r >= 88 && time.Since(lastComment) < commentEvery {
					r = 0 // this client commented a moment ago: it reads instead
				}
				switch {
				case r < 45:
					tg := pages[rand.IntN(len(pages))]
					kind, problem = "page", fetch(reqCtx, client, srv.URL(), tg.path, nil).check(tg)
				case r < 55:
					tg := missing[rand.IntN(len(missing))]
					kind, problem = "404", fetch(reqCtx, client, srv.URL(), tg.path, nil).check(tg)
				case r < 80:
					tg := feeds[rand.IntN(len(feeds))]
					kind, problem = pollFeed(reqCtx, client, srv.URL(), tg, etags, rand.IntN(2) == 0)
				case r < 88:
					tg := static[rand.IntN(len(static))]
					kind, problem = "static", fetch(reqCtx, client, srv.URL(), tg.path, nil).check(tg)
				default:
					kind, lastComment = "comment", time.Now()
					body := fmt.Sprintf("%s client %d, comment %d: tempo Tuesday done.", prefix, c, seq)
					p := postComment(reqCtx, client, srv.URL(), guestbookSlug, fmt.Sprintf("Soak client %d", c), body)
					l.record(body, p)
					if p.outcome != acknowledged || p.err != nil {
						problem = fmt.Errorf("POST comment: %s: %v", p.outcome, p.err)
					}
				}
				st.add(kind, time.Since(began), problem)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	stopMem()
	<-memDone
	<-heapDone

	if took, err := srv.stop(10 * time.Second); err != nil {
		t.Errorf("stopping after the soak: %v (after %v)", err, took)
	}
	stored := l.verify(t, s, guestbookSlug, prefix)
	if p := srv.logs.problems(); p != "" {
		t.Error(p)
	}

	total, errs := st.report(t, elapsed)
	if errs > 0 {
		t.Errorf("%d requests went wrong; first: %s", errs, strings.Join(st.firstErrors, "\n"))
	}
	if total == 0 {
		t.Fatal("no request completed")
	}
	t.Logf("comments: %d acknowledged, %d unknown (no answer), %d stored on %s",
		l.count(acknowledged), l.count(unknown), stored, guestbookSlug)
	t.Logf("the server logged %d requests", srv.logs.requestCount())

	// The first and last tenth of the measured run, after the warm-up; the
	// smallest sample of each, so that a GC cycle in flight does not count.
	window := soak / 10
	first, okFirst := mem.min(measureFrom.Sub(start), measureFrom.Sub(start)+window)
	last, okLast := mem.min(deadline.Sub(start)-window, deadline.Sub(start))
	if !okFirst || !okLast {
		t.Fatalf("too few memory samples: %d (%v)", len(mem.samples), mem.failed)
	}
	// The Go heap after GC is the sign of a leak that matters most.
	if heapErr != nil {
		t.Fatalf("reading the heap after GC: %v", heapErr)
	}
	heapLimit := heapFirst*3/2 + 8<<20
	t.Logf("heap after GC, start → end of the measured run: %s → %s (limit %s)",
		mib(int64(heapFirst)), mib(int64(heapLast)), mib(int64(heapLimit)))
	if heapLast > heapLimit {
		t.Errorf("the heap after GC grew from %s to %s over the soak, past 1.5× + 8 MiB: a leak?", mib(int64(heapFirst)), mib(int64(heapLast)))
	}
	// VmRSS is what the operator sees; RssAnon leaves out the mapped
	// database and binary and is mostly the Go heap, the better sign of a
	// leak. Both must stay within 1.5× + 10 MiB of where they started.
	limit := func(b int64) int64 { return b*3/2 + 10<<20 }
	t.Logf("memory, smallest sample of the first and last 10%% of the run: VmRSS %s → %s (limit %s), RssAnon %s → %s (limit %s); peak VmRSS %s; %d samples",
		mib(first.rss), mib(last.rss), mib(limit(first.rss)), mib(first.anon), mib(last.anon), mib(limit(first.anon)), mib(mem.peak()), len(mem.samples))
	if last.rss > limit(first.rss) {
		t.Errorf("VmRSS grew from %s to %s over the soak, past 1.5× + 10 MiB (%s): a leak?", mib(first.rss), mib(last.rss), mib(limit(first.rss)))
	}
	if last.anon > limit(first.anon) {
		t.Errorf("RssAnon grew from %s to %s over the soak, past 1.5× + 10 MiB (%s): a leak?", mib(first.anon), mib(last.anon), mib(limit(first.anon)))
	}
}

// pollFeed fetches a feed as a reader does. Conditionally, with the ETag it
// was given before, the answer must be 304 with no body; otherwise a whole
// feed, whose ETag must not change while the content does not.
func pollFeed(ctx context.Context, c *http.Client, base string, tg target, etags map[string]string, conditional bool) (string, error) {
	etag, known := etags[tg.path]
	if conditional && known {
		f := fetch(ctx, c, base, tg.path, http.Header{"If-None-Match": {etag}})
		switch {
		case f.res == nil:
			return "feed 304", fmt.Errorf("GET %s with If-None-Match: no answer: %w", tg.path, f.sendErr)
		case f.res.StatusCode != http.StatusNotModified:
			return "feed 304", fmt.Errorf("GET %s with If-None-Match %s: %s, want 304", tg.path, etag, f.res.Status)
		case len(f.body) != 0 || f.readErr != nil:
			return "feed 304", fmt.Errorf("GET %s: 304 with a %d-byte body (%v)", tg.path, len(f.body), f.readErr)
		case f.res.Header.Get("ETag") != etag:
			return "feed 304", fmt.Errorf("GET %s: 304 with ETag %q, sent %q", tg.path, f.res.Header.Get("ETag"), etag)
		}
		return "feed 304", nil
	}
	f := fetch(ctx, c, base, tg.path, nil)
	if err := f.check(tg); err != nil {
		return "feed 200", err
	}
	got := f.res.Header.Get("ETag")
	switch {
	case got == "":
		return "feed 200", fmt.Errorf("GET %s: no ETag", tg.path)
	case known && got != etag:
		return "feed 200", fmt.Errorf("GET %s: ETag changed from %s to %s though the content did not", tg.path, etag, got)
	}
	etags[tg.path] = got
	return "feed 200", nil
}

// soakStats counts requests and their latencies by kind.
type soakStats struct {
	mu          sync.Mutex
	latency     map[string][]time.Duration
	errors      map[string]int
	firstErrors []string
}

func newSoakStats() *soakStats {
	return &soakStats{latency: map[string][]time.Duration{}, errors: map[string]int{}}
}

func (s *soakStats) add(kind string, d time.Duration, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.latency[kind] = append(s.latency[kind], d)
	if err != nil {
		s.errors[kind]++
		if len(s.firstErrors) < 10 {
			s.firstErrors = append(s.firstErrors, err.Error())
		}
	}
}

// report logs the figures and returns the request and error totals.
func (s *soakStats) report(t *testing.T, elapsed time.Duration) (total, errs int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	kinds := make([]string, 0, len(s.latency))
	for k := range s.latency {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	var all []time.Duration
	for _, k := range kinds {
		ds := s.latency[k]
		slices.Sort(ds)
		total += len(ds)
		errs += s.errors[k]
		all = append(all, ds...)
		t.Logf("%-9s %7d requests, %d errors, latency p50 %v p99 %v max %v",
			k, len(ds), s.errors[k], pct(ds, 50), pct(ds, 99), ds[len(ds)-1].Round(time.Microsecond))
	}
	slices.Sort(all)
	t.Logf("total     %7d requests, %d errors in %v: %.0f requests/s, latency p50 %v p99 %v",
		total, errs, elapsed.Round(time.Millisecond), float64(total)/elapsed.Seconds(), pct(all, 50), pct(all, 99))
	return total, errs
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100].Round(time.Microsecond)
}

// memSampler reads a process's resident memory from /proc/PID/status.
type memSampler struct {
	pid     int
	start   time.Time // sample times are since then
	mu      sync.Mutex
	samples []memSample
	failed  error
}

type memSample struct {
	at        time.Duration // since memSampler.start
	rss, anon int64         // VmRSS and RssAnon, in bytes
}

func (m *memSampler) run(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		s, err := readStatus(m.pid)
		m.mu.Lock()
		if err != nil {
			m.failed = err
		} else {
			s.at = time.Since(m.start)
			m.samples = append(m.samples, s)
		}
		m.mu.Unlock()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// min is the sample with the smallest RSS taken in [from, to).
func (m *memSampler) min(from, to time.Duration) (memSample, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var best memSample
	found := false
	for _, s := range m.samples {
		if s.at >= from && s.at < to && (!found || s.rss < best.rss) {
			best, found = s, true
		}
	}
	return best, found
}

func (m *memSampler) peak() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	var p int64
	for _, s := range m.samples {
		p = max(p, s.rss)
	}
	return p
}

// readStatus reads VmRSS and RssAnon, which the kernel gives in kB.
func readStatus(pid int) (memSample, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return memSample{}, err
	}
	var s memSample
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		var dst *int64
		switch name {
		case "VmRSS":
			dst = &s.rss
		case "RssAnon":
			dst = &s.anon
		default:
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(value), " kB"), 10, 64)
		if err != nil {
			return memSample{}, fmt.Errorf("reading %s from /proc/%d/status: %w", name, pid, err)
		}
		*dst = kb << 10
	}
	if s.rss == 0 {
		return memSample{}, fmt.Errorf("/proc/%d/status has no VmRSS", pid)
	}
	return s, nil
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
