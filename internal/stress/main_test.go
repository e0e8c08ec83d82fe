// Package stress runs the real milepost binary, as an operator would, and
// puts it through what unit tests cannot: kill -9 in the middle of writes,
// SIGTERM under load, and a bounded soak with many clients.
//
// The tests build cmd/milepost once per run and start it on 127.0.0.1 with
// a copy of the sample content and a fresh database in a temporary
// directory. They send traffic to that loopback address only, and every loop
// is bounded in count and time.
//
// At the defaults (3 kills, a 5 s soak) the package runs in about 15
// seconds; -short skips it. CI runs -kills 20 -soak 30s. For longer runs:
//
//	go test ./internal/stress/ -run Kill9 -kills 200 -v
//	go test ./internal/stress/ -run Soak -soak 10m -timeout 15m -v
//
// The comment tests post far more than the default five comments a minute
// from one address, so milepost serve must accept -comment-rate; the tests
// fail at once, saying so, if the binary does not.
package stress

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"milepost/internal/bolt"
	"milepost/internal/comments"
)

var (
	// The defaults keep go test ./... quick; CI and the README's long runs
	// pass more.
	killsFlag = flag.Int("kills", 3, "how many times TestKill9KeepsEveryAcknowledgedComment kills the server")
	soakFlag  = flag.Duration("soak", 5*time.Second, "how long TestSoak puts load on the server")
	binFlag   = flag.String("milepost-bin", "", "test this milepost binary instead of building one from the module")
)

// commentRate is passed as -comment-rate: high enough that the per-address
// limit never answers 429 to clients that all come from 127.0.0.1.
const commentRate = "1000000"

var (
	milepostBin string // the binary under test
	setupErr    error  // why there is none, reported by every test
)

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(m.Run()) // every test skips itself
	}
	os.Exit(runWithBinary(m))
}

func runWithBinary(m *testing.M) int {
	dir, err := os.MkdirTemp("", "milepost-stress-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "stress:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	milepostBin, setupErr = prepareBinary(dir)
	return m.Run()
}

// prepareBinary builds cmd/milepost into dir (or takes -milepost-bin) and
// checks that it has the flags the tests pass.
func prepareBinary(dir string) (string, error) {
	bin := *binFlag
	if bin == "" {
		bin = filepath.Join(dir, "milepost")
		cmd := exec.Command("go", "build", "-o", bin, "milepost/cmd/milepost")
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("building milepost: %v\n%s", err, out)
		}
	}
	// serve -h prints the flags and exits 0.
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	if !bytes.Contains(out, []byte("-comment-rate")) {
		return "", fmt.Errorf("%s: milepost serve has no -comment-rate flag; these tests post hundreds of comments a minute "+
			"from 127.0.0.1 and pass -comment-rate %s to lift the per-address limit (web.Options.CommentRate)", bin, commentRate)
	}
	return bin, nil
}

// needBinary skips under -short and fails when there is no binary to test.
func needBinary(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("stress test: skipped with -short")
	}
	if setupErr != nil {
		t.Fatal(setupErr)
	}
}

// sampleSlug is the sample site's post, the one the seed comments are on.
const sampleSlug = "massage-during-training"

// site is a content directory and a database path in a test's temporary
// directory.
type site struct {
	content, db string
}

// newSite copies the sample content and writes extra, whose keys are paths
// relative to the content directory.
func newSite(t *testing.T, extra map[string]string) site {
	t.Helper()
	dir := t.TempDir()
	s := site{content: filepath.Join(dir, "content"), db: filepath.Join(dir, "data", "milepost.db")}
	if err := os.CopyFS(s.content, os.DirFS(filepath.Join("..", "..", "content"))); err != nil {
		t.Fatalf("copying the sample content: %v", err)
	}
	for name, text := range extra {
		p := filepath.Join(s.content, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// server is the milepost process serving a site; after a kill it is
// started again on the same address and database.
type server struct {
	site site

	// debugAddr serves the server's /debug/heap, on a port of its own.
	debugAddr string

	mu   sync.Mutex
	addr string // host:port, once first ready
	proc *process

	logs *serverLog // shared by every process of the test
}

// process is one run of the binary.
type process struct {
	cmd    *exec.Cmd
	pid    int
	exited chan struct{} // closed when Wait has returned
	err    error         // Wait's result, once exited is closed
}

// startServer starts milepost on a free port and waits until it serves.
func startServer(t *testing.T, s site) *server {
	t.Helper()
	srv := &server{site: s, logs: newServerLog()}
	// The debug port is picked before the binary binds it, and the process
	// keeps it across restarts; another process may take it in between, so
	// a refused bind is tried again on another port.
	var err error
	for try := 0; try < 5; try++ {
		srv.debugAddr = freeAddr(t)
		if err = srv.start("127.0.0.1:0"); err == nil || !strings.Contains(err.Error(), "address already in use") {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p := srv.current(); p != nil {
			select {
			case <-p.exited:
			default:
				p.cmd.Process.Kill()
				<-p.exited
			}
		}
		if t.Failed() {
			t.Logf("server log, last lines:\n%s", srv.logs.tail())
		}
	})
	return srv
}

// start runs the binary on addr and waits for its "milepost is serving" line.
func (s *server) start(addr string) error {
	ready := make(chan string, 1)
	cmd := exec.Command(milepostBin, "serve",
		"-addr", addr,
		"-content", s.site.content,
		"-db", s.site.db,
		"-comment-rate", commentRate,
		// The load posts forms it never fetched, as fast as it can: the
		// form time stamp guard would refuse them all.
		"-min-form-age", "0", "-max-form-age", "0",
		"-debug-addr", s.debugAddr,
	)
	cmd.Stdout = io.Discard
	cmd.Stderr = s.logs.writer(ready)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting milepost: %w", err)
	}
	p := &process{cmd: cmd, pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()

	select {
	case u := <-ready:
		parsed, err := url.Parse(u)
		if err != nil || parsed.Host == "" {
			cmd.Process.Kill()
			<-p.exited
			return fmt.Errorf("milepost logged an unreadable url %q", u)
		}
		s.mu.Lock()
		s.addr = parsed.Host
		s.mu.Unlock()
		return nil
	case <-p.exited:
		return fmt.Errorf("milepost exited before serving: %v\n%s", p.err, s.logs.tail())
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("milepost did not say it was serving within 15s\n%s", s.logs.tail())
	}
}

// restart starts the binary again on the address it had. The port is free
// again as soon as the old process is gone, but a client's outgoing
// connection can hold it for a moment, so a refused bind is tried again.
func (s *server) restart() error {
	var err error
	for try := 0; try < 20; try++ {
		if err = s.start(s.Addr()); err == nil || !strings.Contains(err.Error(), "address already in use") {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
	return err
}

func (s *server) current() *process {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc
}

// Addr is host:port; URL is the site's root URL with no trailing slash.
func (s *server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

func (s *server) URL() string { return "http://" + s.Addr() }

// kill9 sends SIGKILL and waits until the process is gone.
func (s *server) kill9() error {
	p := s.current()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		return fmt.Errorf("kill -9: %w", err)
	}
	select {
	case <-p.exited:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("milepost outlived kill -9 by 10s")
	}
}

// stop sends SIGTERM and waits up to limit for the process to exit; it
// returns how long that took and an error unless the exit status was 0.
func (s *server) stop(limit time.Duration) (time.Duration, error) {
	p := s.current()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, fmt.Errorf("sending SIGTERM: %w", err)
	}
	select {
	case <-p.exited:
	case <-time.After(limit):
		return time.Since(start), fmt.Errorf("milepost still running %v after SIGTERM", limit)
	}
	took := time.Since(start)
	if p.err != nil {
		return took, fmt.Errorf("milepost exited badly after SIGTERM: %v", p.err)
	}
	return took, nil
}

// serverLog reads the server's stderr (slog text: one line per request,
// among others): it spots the ready line, counts errors and keeps the last
// lines for a failure report.
type serverLog struct {
	mu        sync.Mutex
	last      []string // ring of the last lines other than the access log's
	next      int
	errors    []string // level=ERROR lines, the first few
	errCount  int
	requests  int // access log lines
	status5xx int // access log lines with a 5xx status
}

const logTail = 40

var (
	readyURLRE = regexp.MustCompile(`msg="milepost is serving" url=(\S+)`)
	statusRE   = regexp.MustCompile(` status=(\d{3}) `)
)

func newServerLog() *serverLog { return &serverLog{last: make([]string, 0, logTail)} }

// writer returns the stderr of one process; ready receives its URL.
func (l *serverLog) writer(ready chan<- string) io.Writer {
	return &lineWriter{line: func(line string) {
		if m := readyURLRE.FindStringSubmatch(line); m != nil {
			select {
			case ready <- m[1]:
			default:
			}
		}
		l.add(line)
	}}
}

func (l *serverLog) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if strings.Contains(line, " level=ERROR ") {
		l.errCount++
		if len(l.errors) < 10 {
			l.errors = append(l.errors, line)
		}
	}
	if strings.Contains(line, ` msg=request `) {
		// Counted, not kept: thousands of them would hide the rest.
		l.requests++
		if m := statusRE.FindStringSubmatch(line); m != nil && m[1][0] == '5' {
			l.status5xx++
		}
		return
	}
	if len(l.last) < logTail {
		l.last = append(l.last, line)
	} else {
		l.last[l.next] = line
		l.next = (l.next + 1) % logTail
	}
}

func (l *serverLog) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	lines := append(append([]string(nil), l.last[l.next:]...), l.last[:l.next]...)
	return strings.Join(lines, "\n")
}

// problems describes the errors the server logged, or is "".
func (l *serverLog) problems() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.errCount == 0 && l.status5xx == 0 {
		return ""
	}
	return fmt.Sprintf("the server logged %d errors and answered %d requests with a 5xx; first errors:\n%s",
		l.errCount, l.status5xx, strings.Join(l.errors, "\n"))
}

func (l *serverLog) requestCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.requests
}

// lineWriter calls line for every complete line written to it.
type lineWriter struct {
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) == 0 {
		w.buf = nil // let the array go
	}
	return len(p), nil
}

// newClient is an HTTP client for conns concurrent users of one server. It
// does not follow redirects: a comment's 303 is the answer itself.
func newClient(conns int) *http.Client {
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		IdleConnTimeout:     30 * time.Second,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// outcome is what a comment POST is known to have done.
type outcome int

const (
	// acknowledged: answered 303 to the new comment; it must be stored.
	acknowledged outcome = iota
	// refused: the connection was refused, so nothing was sent; it must
	// not be stored.
	refused
	// unknown: sent, but no answer came; it may or may not be stored.
	unknown
	// rejected: answered with anything but a 303; it must not be stored.
	rejected
	// starting: answered 503 with Retry-After while a restarted server
	// was still loading (its port opens first); it must not be stored.
	starting
	outcomes // how many there are
)

func (o outcome) String() string {
	return [...]string{"acknowledged", "refused", "unknown", "rejected", "starting"}[o]
}

// posted is the result of one comment POST.
type posted struct {
	outcome outcome
	id      uint64 // the new comment's ID, when acknowledged
	status  int    // the response status, when there was one
	err     error  // the transport error or what was wrong with the answer
}

// postComment posts a comment on slug. body must be unique in the test:
// it is how the comment is found in the database afterwards.
func postComment(ctx context.Context, c *http.Client, base, slug, name, body string) posted {
	form := url.Values{"name": {name}, "body": {body}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/posts/"+slug+"/comments",
		strings.NewReader(form.Encode()))
	if err != nil {
		return posted{outcome: rejected, err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := c.Do(req)
	if err != nil {
		if isRefused(err) {
			return posted{outcome: refused, err: err}
		}
		return posted{outcome: unknown, err: err}
	}
	defer res.Body.Close()
	// The comment is committed before the 303's header is written, so the
	// header alone acknowledges it; the body is read for the connection's
	// sake and its errors are reported, not held against the comment.
	_, readErr := io.Copy(io.Discard, res.Body)
	if res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "" {
		return posted{outcome: starting, status: res.StatusCode, err: fmt.Errorf("answered %s", res.Status)}
	}
	if res.StatusCode != http.StatusSeeOther {
		return posted{outcome: rejected, status: res.StatusCode, err: fmt.Errorf("answered %s", res.Status)}
	}
	loc := res.Header.Get("Location")
	id, ok := commentAt(slug, loc)
	if !ok {
		return posted{outcome: rejected, status: res.StatusCode, err: fmt.Errorf("303 to %q, not to the new comment", loc)}
	}
	return posted{outcome: acknowledged, id: id, status: res.StatusCode, err: readErr}
}

// commentAt reads the new comment's id from the 303 a comment post gets:
// /posts/SLUG/?posted=ID#comment-ID.
func commentAt(slug, location string) (uint64, bool) {
	m := regexp.MustCompile(`^/posts/` + regexp.QuoteMeta(slug) + `/\?posted=(\d+)#comment-(\d+)$`).FindStringSubmatch(location)
	if m == nil || m[1] != m[2] {
		return 0, false
	}
	id, err := strconv.ParseUint(m[1], 10, 64)
	return id, err == nil
}

// isRefused reports a connection refused: the request was never sent.
func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

// ledger records every comment posted: its unique body and what came of it.
type ledger struct {
	mu     sync.Mutex
	byBody map[string]posted
	counts [outcomes]int
	errs   []string // the first few unexpected answers
}

func newLedger() *ledger { return &ledger{byBody: map[string]posted{}} }

func (l *ledger) record(body string, p posted) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.byBody[body] = p
	l.counts[p.outcome]++
	if p.outcome == rejected && len(l.errs) < 10 {
		l.errs = append(l.errs, fmt.Sprintf("%q: %v", body, p.err))
	}
}

func (l *ledger) count(o outcome) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[o]
}

// verify opens the database (the server must have stopped), runs Check,
// and compares the comments on slug with the ledger: every acknowledged
// comment is stored exactly once under the ID its 303 named, and every
// stored comment the test posted was acknowledged or unknown. Comments
// whose body lacks prefix must be the sample site's seed comments, stored
// once: restarts must not seed again. It returns how many comments the test
// had stored.
func (l *ledger) verify(t *testing.T, s site, slug, prefix string) int {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(ctx, s.db)
	if err != nil {
		t.Fatalf("opening the database after the run: %v", err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Errorf("after the run: %v", err)
	}
	stored, err := db.ByPost(ctx, slug)
	if err != nil {
		t.Fatalf("reading the comments on %s: %v", slug, err)
	}
	seeds := seedBodies(t, s, slug)

	l.mu.Lock()
	defer l.mu.Unlock()
	times := map[string]int{}
	ours := 0
	for _, c := range stored {
		if !strings.HasPrefix(c.Body, prefix) {
			if seeds[c.Body] == 0 {
				t.Errorf("stored comment %d is neither the test's nor a seed comment: %q", c.ID, c.Body)
			}
			seeds[c.Body]--
			continue
		}
		ours++
		times[c.Body]++
		p, ok := l.byBody[c.Body]
		switch {
		case !ok:
			t.Errorf("stored comment %d was never posted: %q", c.ID, c.Body)
		case p.outcome == refused || p.outcome == rejected || p.outcome == starting:
			t.Errorf("stored comment %d was %s (%v), so it must not be stored: %q", c.ID, p.outcome, p.err, c.Body)
		case p.outcome == acknowledged && p.id != c.ID:
			t.Errorf("comment %q was acknowledged as #%d but is stored as #%d", c.Body, p.id, c.ID)
		}
	}
	for body, n := range seeds {
		if n != 0 {
			t.Errorf("seed comment stored %d times too few: %q", n, body)
		}
	}
	missing := 0
	for body, p := range l.byBody {
		n := times[body]
		switch {
		case p.outcome == acknowledged && n == 0:
			missing++
			if missing <= 10 {
				t.Errorf("acknowledged comment #%d is not in the database: %q", p.id, body)
			}
		case n > 1:
			t.Errorf("comment stored %d times: %q", n, body)
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged comments are missing from the database", missing)
	}
	return ours
}

// seedBodies counts the bodies of the sample's seed comments on slug.
func seedBodies(t *testing.T, s site, slug string) map[string]int {
	t.Helper()
	f, err := os.Open(filepath.Join(s.content, "comments.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	exp, err := comments.ReadExport(f)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range exp.Comments {
		if c.Post == slug {
			out[c.Body]++
		}
	}
	return out
}

// sleepCtx sleeps for d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// freeAddr finds a loopback port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// heapAfterGC asks the server for its live heap after a collection, n times
// a tenth of a second apart, and returns the smallest answer.
func (s *server) heapAfterGC(n int) (uint64, error) {
	var least uint64
	for i := range n {
		res, err := http.Get("http://" + s.debugAddr + "/debug/heap")
		if err != nil {
			return 0, err
		}
		var heap struct {
			HeapAlloc uint64 `json:"heap_alloc"`
		}
		err = json.NewDecoder(res.Body).Decode(&heap)
		res.Body.Close()
		if err != nil {
			return 0, fmt.Errorf("reading /debug/heap: %w", err)
		}
		if i == 0 || heap.HeapAlloc < least {
			least = heap.HeapAlloc
		}
		time.Sleep(100 * time.Millisecond)
	}
	return least, nil
}
