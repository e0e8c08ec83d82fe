package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"milepost/internal/accounts"
	"milepost/internal/app"
	"milepost/internal/bolt"
	"milepost/internal/web"
)

const (
	postPath  = "/posts/massage-during-training/"
	postTitle = "Massage during training"

	firstSeed  = "I’ve gotten a few massages throughout training, mostly when I was hurting from the workouts."
	secondSeed = "Got a massage yesterday from a woman from Eugene who was up in pdx for a technique conference."
)

// server is one Milepost serving a private copy of the sample site.
type server struct {
	base       string       // http://127.0.0.1:port
	contentDir string       // the private copy of the sample site it serves
	posts      atomic.Int64 // form posts sent so far, see send
}

// serverOption changes how startServer sets up its server.
type serverOption func(*serverSetup)

type serverSetup struct {
	guards web.Guards
	live   bool // serve -live
	// prepare runs, in order, on the new database before the server opens it.
	prepare []func(t *testing.T, dbPath string)
	// listener and baseURL, when set, are where the server listens and
	// the base URL it links to, instead of a free port and
	// http://milepost.test: for links a browser follows from outside a
	// page (an email's).
	listener net.Listener
	baseURL  string
}

// withGuards runs the server with the comment form's spam guards g. Without
// it they are all off (the zero web.Guards), so that a test can send forms
// as fast as it likes and without a time stamp.
func withGuards(g web.Guards) serverOption {
	return func(s *serverSetup) { s.guards = g }
}

// withLive serves as serve -live does: pages reload when the content
// changes.
func withLive(s *serverSetup) { s.live = true }

// withAccount creates a user in the database before the server starts, as
// `milepost user add` would, but with the cheapest bcrypt cost.
func withAccount(name string, role accounts.Role, password string) serverOption {
	return func(s *serverSetup) {
		s.prepare = append(s.prepare, func(t *testing.T, dbPath string) {
			t.Helper()
			ctx := t.Context()
			db, err := bolt.Open(ctx, dbPath)
			if err != nil {
				t.Fatalf("opening the database to add %s: %v", name, err)
			}
			accts, err := accounts.NewService(db, accounts.Options{Cost: bcrypt.MinCost})
			if err == nil {
				_, err = accts.Add(ctx, name, role, password)
			}
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatalf("adding the account %s: %v", name, err)
			}
		})
	}
}

// startServer copies the sample site into a temporary directory, adds the
// extra files (path relative to the content directory → text) and serves it
// with a new database on a free port until the test ends.
func startServer(t *testing.T, extra map[string]string, opts ...serverOption) *server {
	t.Helper()
	var setup serverSetup
	for _, o := range opts {
		o(&setup)
	}
	dir := t.TempDir()
	contentDir := filepath.Join(dir, "content")
	if err := os.CopyFS(contentDir, os.DirFS(filepath.Join("..", "..", "content"))); err != nil {
		t.Fatalf("copying the sample site: %v", err)
	}
	for name, text := range extra {
		path := filepath.Join(contentDir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dbPath := filepath.Join(dir, "milepost.db")
	for _, prepare := range setup.prepare {
		prepare(t, dbPath)
	}

	// The server's log is shown when the test fails: what it did and
	// refused is half of the story of a failure.
	logPath := filepath.Join(dir, "server.log")
	serverLog, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		serverLog.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("the server's log:\n%s", b)
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	baseURL := "http://milepost.test"
	if setup.listener != nil {
		baseURL = setup.baseURL
	}
	go func() {
		done <- app.Serve(ctx, app.ServeConfig{
			Addr:       "127.0.0.1:0",
			Listener:   setup.listener,
			ContentDir: contentDir,
			DBPath:     dbPath,
			BaseURL:    baseURL,
			Guards:     setup.guards,
			Live:       setup.live,
			Log:        slog.New(slog.NewTextHandler(serverLog, nil)),
			Ready:      func(addr string) { ready <- addr },
		})
	}()
	select {
	case addr := <-ready:
		t.Cleanup(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server: %v", err)
			}
		})
		return &server{base: "http://" + addr, contentDir: contentDir}
	case err := <-done:
		cancel()
		t.Fatalf("the server stopped before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		cancel()
		t.Fatal("the server did not become ready within 10s")
	}
	return nil
}

// formResult is the server's answer to a comment form.
type formResult struct {
	status   int
	location string // where a 303 sends the reader
	body     string // the page of any other answer
}

// post sends a comment form to the post with the given slug, as a browser
// without JavaScript would, and does not follow the redirect.
func (s *server) post(t *testing.T, slug string, form url.Values) formResult {
	t.Helper()
	res, err := s.send(slug, form)
	var noAddr *sourceAddrError
	if errors.As(err, &noAddr) {
		requireEnv(t, err.Error())
	}
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// send is post for another goroutine: it returns its error.
//
// The server allows a few comments per minute from one address, and app.Serve
// offers no way to change that. Each form therefore comes from its own
// loopback address (127.0.x.y, never 127.0.0.1, which the browser uses): on
// Linux the whole of 127.0.0.0/8 is the loopback interface.
func (s *server) send(slug string, form url.Values) (formResult, error) {
	n := s.posts.Add(1) - 1
	src := net.IPv4(127, 0, byte(1+n/250), byte(1+n%250))
	client := &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:       (&net.Dialer{LocalAddr: &net.TCPAddr{IP: src}, Timeout: 5 * time.Second}).DialContext,
			DisableKeepAlives: true,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	res, err := client.PostForm(s.base+"/posts/"+slug+"/comments", form)
	if err != nil {
		if errors.Is(err, syscall.EADDRNOTAVAIL) {
			return formResult{}, &sourceAddrError{src, err}
		}
		return formResult{}, fmt.Errorf("posting a comment form: %w", err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return formResult{}, fmt.Errorf("reading the answer to a comment form: %w", err)
	}
	return formResult{status: res.StatusCode, location: res.Header.Get("Location"), body: string(body)}, nil
}

// sourceAddrError is a loopback address the machine cannot send from.
type sourceAddrError struct {
	addr net.IP
	err  error
}

func (e *sourceAddrError) Error() string {
	return fmt.Sprintf("sending from %s: these tests need every 127.x.y.z address on the loopback interface, as on Linux: %v", e.addr, e.err)
}

// get fetches a page with a plain HTTP client.
func (s *server) get(t *testing.T, path string) (*http.Response, string) {
	t.Helper()
	res, err := http.Get(s.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return res, string(b)
}

// requireEnv skips the test for something the machine lacks, or fails it
// when CI is set.
func requireEnv(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatal(why)
	}
	t.Skip(why)
}
