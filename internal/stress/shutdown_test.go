package stress

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMUnderLoadFinishesInFlightRequests sends SIGTERM while readers
// and commenters keep the server busy and one commenter is halfway through
// sending its form. The process must finish what it started and exit 0 in a
// few seconds; every answer must be whole and correct; connections after it
// has gone must be refused; and every acknowledged comment must be stored.
func TestSIGTERMUnderLoadFinishesInFlightRequests(t *testing.T) {
	needBinary(t)
	const readers, commenters = 24, 8
	s := newSite(t, nil)
	srv := startServer(t, s)
	client := newClient(readers + commenters)
	defer client.CloseIdleConnections()
	prefix := fmt.Sprintf("sigterm run %d:", time.Now().UnixNano())
	l := newLedger()

	var (
		sigAt, exitAt atomic.Int64 // UnixNano; 0 until it happened
		mu            sync.Mutex
		failures      []string
		nFailures     int
		tally         = map[string]int{}
	)
	count := func(what string) {
		mu.Lock()
		tally[what]++
		mu.Unlock()
	}
	fail := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		nFailures++
		if len(failures) < 20 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	// unanswered judges a request that got no answer by when it started.
	unanswered := func(what string, started time.Time, err error) {
		switch {
		case sigAt.Load() == 0 || started.UnixNano() < sigAt.Load() && !isDisconnect(err):
			fail("%s started %s got no answer: %v", what, phaseOf(started, &sigAt, &exitAt), err)
		case exitAt.Load() != 0 && started.UnixNano() > exitAt.Load() && !isDisconnect(err):
			fail("%s started after the server exited: %v, want connection refused", what, err)
		case !isDisconnect(err):
			fail("%s during shutdown: %v, want connection refused or closed", what, err)
		case isRefused(err):
			count("refused during or after shutdown")
		default:
			count("dropped by the closing server")
		}
	}
	answered := func(started time.Time) {
		if sig := sigAt.Load(); sig != 0 && started.UnixNano() < sig {
			if time.Now().UnixNano() > sig {
				count("in flight at SIGTERM and answered")
			}
		}
	}

	ctx, stopLoad := context.WithCancel(context.Background())
	defer stopLoad()
	var wg sync.WaitGroup
	for range readers {
		wg.Go(func() {
			for ctx.Err() == nil {
				tg := sampleTargets[rand.IntN(len(sampleTargets))]
				started := time.Now()
				f := fetch(ctx, client, srv.URL(), tg.path, nil)
				if ctx.Err() != nil {
					return
				}
				if f.res == nil {
					unanswered("GET "+tg.path, started, f.sendErr)
					sleepCtx(ctx, 5*time.Millisecond)
					continue
				}
				if err := f.check(tg); err != nil {
					fail("%s: %v", phaseOf(started, &sigAt, &exitAt), err)
				}
				count("GET answered")
				answered(started)
			}
		})
	}
	for w := range commenters {
		wg.Go(func() {
			for seq := 0; ctx.Err() == nil; seq++ {
				body := fmt.Sprintf("%s commenter %d, comment %d: easy miles after the long run.", prefix, w, seq)
				started := time.Now()
				p := postComment(ctx, client, srv.URL(), sampleSlug, "Shutdown Tester", body)
				if ctx.Err() != nil && p.outcome != acknowledged {
					p.outcome = unknown
				}
				l.record(body, p)
				switch {
				case ctx.Err() != nil:
					return
				case p.outcome == acknowledged && p.err != nil:
					fail("POST %s: 303 with a body cut short: %v", phaseOf(started, &sigAt, &exitAt), p.err)
				case p.outcome == acknowledged:
					count("POST answered 303")
					answered(started)
				case p.outcome == rejected:
					fail("POST %s: %v", phaseOf(started, &sigAt, &exitAt), p.err)
				default:
					unanswered("POST", started, p.err)
					sleepCtx(ctx, 5*time.Millisecond)
				}
			}
		})
	}

	// One commenter sends the headers and half the form before SIGTERM and
	// the rest after it: the server must wait for it and store the comment.
	slowBody := prefix + " the slow commenter, who types while the server shuts down."
	slow, err := startSlowComment(srv.Addr(), sampleSlug, "Slow Typist", slowBody)
	if err != nil {
		t.Fatal(err)
	}

	time.Sleep(800 * time.Millisecond) // the load builds up
	sigAt.Store(time.Now().UnixNano())
	stopped := make(chan error, 1)
	var took time.Duration
	go func() {
		var err error
		took, err = srv.stop(5 * time.Second)
		stopped <- err
	}()
	time.Sleep(300 * time.Millisecond)
	slowRes := slow.finish()
	l.record(slowBody, slowRes)

	stopErr := <-stopped
	exitAt.Store(time.Now().UnixNano())
	// Clients go on for a moment against the closed port.
	time.Sleep(200 * time.Millisecond)
	stopLoad()
	wg.Wait()

	if stopErr != nil {
		t.Errorf("SIGTERM: %v", stopErr)
	}
	if slowRes.outcome != acknowledged {
		t.Errorf("the comment whose form was half sent at SIGTERM was not acknowledged: %s, %v", slowRes.outcome, slowRes.err)
	}
	// New connections are refused, with nothing half-open.
	for range 5 {
		c, err := net.DialTimeout("tcp", srv.Addr(), time.Second)
		if err == nil {
			c.Close()
			t.Errorf("a connection to %s after the server exited was accepted", srv.Addr())
		} else if !isRefused(err) {
			t.Errorf("a connection after the server exited: %v, want connection refused", err)
		}
	}
	if f := fetch(context.Background(), newClient(1), srv.URL(), "/", nil); f.res != nil || !isRefused(f.sendErr) {
		t.Errorf("GET / after the server exited: %v, want connection refused", f.sendErr)
	}

	mu.Lock()
	for _, f := range failures {
		t.Error(f)
	}
	if nFailures > len(failures) {
		t.Errorf("and %d more failures", nFailures-len(failures))
	}
	mu.Unlock()
	if tally["in flight at SIGTERM and answered"] == 0 {
		t.Error("no request was in flight when SIGTERM came: the test proves little")
	}
	stored := l.verify(t, s, sampleSlug, prefix)
	if p := srv.logs.problems(); p != "" {
		t.Error(p)
	}

	t.Logf("exit status 0 %v after SIGTERM", took.Round(time.Millisecond))
	t.Logf("requests: %v", tally)
	t.Logf("comments: %d acknowledged, %d unknown, %d refused, %d rejected; %d stored",
		l.count(acknowledged), l.count(unknown), l.count(refused), l.count(rejected), stored)
}

// phaseOf names when a request started relative to SIGTERM and the exit.
func phaseOf(started time.Time, sigAt, exitAt *atomic.Int64) string {
	switch n := started.UnixNano(); {
	case sigAt.Load() == 0 || n < sigAt.Load():
		return "before SIGTERM"
	case exitAt.Load() == 0 || n < exitAt.Load():
		return "during shutdown"
	}
	return "after the exit"
}

// isDisconnect reports the errors a client may get from a server that is
// closing or gone: a refused connection, or one closed or reset under a
// request that the server had not yet read (an idle keep-alive connection,
// or one still in the listen backlog when the listener closed).
func isDisconnect(err error) bool {
	return isRefused(err) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "server closed idle connection")
}

// slowComment is a comment POST sent in two halves over a raw connection.
type slowComment struct {
	conn net.Conn
	rest string
	slug string
}

func startSlowComment(addr, slug, name, body string) (*slowComment, error) {
	form := url.Values{"name": {name}, "body": {body}}.Encode()
	half := len(form) / 2
	conn, err := net.DialTimeout("tcp", addr, 3*time.Second)
	if err != nil {
		return nil, fmt.Errorf("slow commenter: %w", err)
	}
	head := "POST /posts/" + slug + "/comments HTTP/1.1\r\n" +
		"Host: " + addr + "\r\n" +
		"Content-Type: application/x-www-form-urlencoded\r\n" +
		fmt.Sprintf("Content-Length: %d\r\n", len(form)) +
		"Connection: close\r\n\r\n"
	if _, err := io.WriteString(conn, head+form[:half]); err != nil {
		conn.Close()
		return nil, fmt.Errorf("slow commenter: %w", err)
	}
	return &slowComment{conn: conn, rest: form[half:], slug: slug}, nil
}

// finish sends the rest of the form and reads the answer.
func (c *slowComment) finish() posted {
	defer c.conn.Close()
	c.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c.conn, c.rest); err != nil {
		return posted{outcome: unknown, err: fmt.Errorf("sending the rest of the form: %w", err)}
	}
	res, err := http.ReadResponse(bufio.NewReader(c.conn), nil)
	if err != nil {
		return posted{outcome: unknown, err: fmt.Errorf("reading the answer: %w", err)}
	}
	defer res.Body.Close()
	_, readErr := io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusSeeOther {
		return posted{outcome: rejected, status: res.StatusCode, err: fmt.Errorf("answered %s", res.Status)}
	}
	loc := res.Header.Get("Location")
	id, ok := commentAt(c.slug, loc)
	if !ok {
		return posted{outcome: rejected, status: res.StatusCode, err: fmt.Errorf("303 to %q, not to the new comment", loc)}
	}
	return posted{outcome: acknowledged, id: id, status: res.StatusCode, err: readErr}
}
