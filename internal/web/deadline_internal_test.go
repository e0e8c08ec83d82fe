package web

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// serveOn serves h on a loopback port as the real server does (no
// WriteTimeout; any other server settings given by configure) until the
// test ends, and returns its address.
func serveOn(t *testing.T, h http.Handler, configure func(*http.Server)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	if configure != nil {
		configure(srv)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// slowAnswer writes "done" after taking d over its work.
func slowAnswer(d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(d)
		io.WriteString(w, "done")
	})
}

// exchange sends one request per path on one kept-alive connection, waiting
// pause before each, and returns each answer's body, or the error that
// ended the exchange. A plain connection: a client library would send a
// request again after a connection closed without an answer, as browsers
// do, and hide what the server did.
func exchange(t *testing.T, addr string, pause time.Duration, paths ...string) ([]string, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(conn)
	var bodies []string
	for _, p := range paths {
		time.Sleep(pause)
		if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", p); err != nil {
			return bodies, err
		}
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			return bodies, err
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return bodies, err
		}
		bodies = append(bodies, string(b))
	}
	return bodies, nil
}

func TestASlowAnswerIsSentWholeNotDroppedAfterItsWorkIsDone(t *testing.T) {
	const timeout = 100 * time.Millisecond
	addr := serveOn(t, boundWrites(slowAnswer(3*timeout), timeout), nil)
	bodies, err := exchange(t, addr, 0, "/")
	if err != nil || len(bodies) != 1 || bodies[0] != "done" {
		t.Fatalf("an answer that took 3× the write timeout to work out: %q, %v; want it sent", bodies, err)
	}

	// What the server did before: http.Server's WriteTimeout counts from
	// the request, so the same answer is dropped and the connection closed
	// — and a browser sends the request again.
	old := serveOn(t, slowAnswer(3*timeout), func(s *http.Server) { s.WriteTimeout = timeout })
	if bodies, err := exchange(t, old, 0, "/"); err == nil {
		t.Fatalf("with WriteTimeout the slow answer arrived (%q): this test no longer shows why boundWrites exists", bodies)
	}
}

func TestEachAnswerOnAKeptAliveConnectionHasItsOwnDeadline(t *testing.T) {
	const timeout = 200 * time.Millisecond
	mux := http.NewServeMux()
	mux.Handle("/quick", slowAnswer(0))
	mux.Handle("/slow", slowAnswer(2*timeout))
	mux.Handle("/silent", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { time.Sleep(2 * timeout) }))
	// Flushing sends the headers without a Write: the deadline it meets
	// must not be the previous answer's.
	mux.Handle("/flushed", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * timeout)
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flushing the headers: %v", err)
		}
		io.WriteString(w, "done")
	}))
	addr := serveOn(t, boundWrites(mux, timeout), nil)
	// The first answer's deadline has passed when the next are sent: none
	// may inherit it.
	bodies, err := exchange(t, addr, timeout/2, "/quick", "/slow", "/silent", "/flushed", "/quick")
	if err != nil || len(bodies) != 5 {
		t.Fatalf("answers on one connection: %q, %v; want all five", bodies, err)
	}
}

func TestAClientThatStopsReadingIsCutOff(t *testing.T) {
	const timeout = 200 * time.Millisecond
	writeErr := make(chan error, 1)
	big := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := []byte(strings.Repeat("x", 1<<16))
		for {
			if _, err := w.Write(chunk); err != nil {
				writeErr <- err
				return
			}
		}
	})
	addr := serveOn(t, boundWrites(big, timeout), nil)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	// The client reads nothing.
	select {
	case err := <-writeErr:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("the writes to a client that reads nothing ended with %v, want the deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a client that reads nothing held its answer for 10 s")
	}
}

func TestAHandlerMayLiftTheDeadline(t *testing.T) {
	const timeout = 100 * time.Millisecond
	stream := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := http.NewResponseController(w).SetWriteDeadline(time.Time{}); err != nil {
			t.Errorf("lifting the deadline: %v", err)
		}
		io.WriteString(w, "first ")
		time.Sleep(3 * timeout)
		io.WriteString(w, "and last")
	})
	addr := serveOn(t, boundWrites(stream, timeout), nil)
	bodies, err := exchange(t, addr, 0, "/")
	if err != nil || len(bodies) != 1 || bodies[0] != "first and last" {
		t.Fatalf("a stream that lifted its deadline: %q, %v", bodies, err)
	}
}
