package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// milepostBinary builds cmd/milepost once, as a release would be built, and
// returns its path.
func (b *bench) milepostBinary(ctx context.Context) (string, error) {
	if b.milepost != "" {
		return b.milepost, nil
	}
	bin := filepath.Join(b.work, "milepost")
	b.log.Info("building milepost", "dir", b.repo)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/milepost")
	cmd.Dir = b.repo
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("building milepost: %w: %s", err, out)
	}
	b.milepost = bin
	return bin, nil
}

// copySite copies a site to dst (which must not exist yet), so that no
// server or edit touches the original.
func copySite(src, dst string) error {
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		return fmt.Errorf("copying the site %s: %w", src, err)
	}
	return nil
}

// serveMilepost runs `milepost serve` on site with a new database in dir,
// on a free loopback port, with the extra flags; it returns at once (see
// waitFor200).
func (b *bench) serveMilepost(ctx context.Context, dir, site string, extra ...string) (*child, string, error) {
	bin, err := b.milepostBinary(ctx)
	if err != nil {
		return nil, "", err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, "", err
	}
	db := filepath.Join(dir, "db", "milepost.db")
	if err := os.RemoveAll(filepath.Dir(db)); err != nil {
		return nil, "", fmt.Errorf("clearing the old database: %w", err)
	}
	args := append([]string{"serve", "-addr", addr, "-content", site, "-db", db}, extra...)
	c, err := startChild(ctx, "milepost serve", dir, filepath.Join(dir, "serve.log"), bin, args...)
	if err != nil {
		return nil, "", err
	}
	return c, "http://" + addr, nil
}

// servedCopy is `milepost serve` on a copy of the measured site, ready.
type servedCopy struct {
	*child
	base string // http://127.0.0.1:port
	dir  string // the row's work directory
	site string // the copy it serves
	home []byte // its home page, as first served
}

// serveCopy copies the measured site into the work directory's name,
// lets prepare (if any) change the copy, runs serve on it with the extra
// flags and waits until its home page answers 200. The caller stops it.
func (b *bench) serveCopy(ctx context.Context, name string, prepare func(site string) error, extra ...string) (*servedCopy, error) {
	s := &servedCopy{dir: filepath.Join(b.work, name)}
	s.site = filepath.Join(s.dir, "site")
	if err := copySite(b.cfg.contentDir, s.site); err != nil {
		return nil, err
	}
	if prepare != nil {
		if err := prepare(s.site); err != nil {
			return nil, err
		}
	}
	var err error
	if s.child, s.base, err = b.serveMilepost(ctx, s.dir, s.site, extra...); err != nil {
		return nil, err
	}
	b.log.Info(name+": waiting for milepost serve", "url", s.base, "flags", extra)
	if _, err := s.waitFor200(ctx, s.base+"/", 5*time.Minute); err != nil {
		_ = s.stop()
		return nil, err
	}
	if s.home, err = get(ctx, s.base+"/"); err != nil {
		_ = s.stop()
		return nil, err
	}
	return s, nil
}

// freeAddr is a loopback address with a port nothing listens on now.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	return addr, l.Close()
}

// child is a server the command started: milepost serve, hugo server or
// nginx. Its output goes to a log file, shown when it fails.
type child struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	started time.Time
	exited  chan struct{} // closed when it has exited; waitErr is then set
	waitErr error
}

// startChild starts bin with args in dir, its output to logPath.
func startChild(ctx context.Context, name, dir, logPath, bin string, args ...string) (*child, error) {
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the log of %s: %w", name, err)
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	c := &child{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	c.started = time.Now()
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		c.waitErr = cmd.Wait()
		logFile.Close()
		close(c.exited)
	}()
	return c, nil
}

// stop asks the child to end (SIGTERM), as a supervisor would, and kills it
// if it has not after 15 s. An exit other than the one asked for is an
// error.
func (c *child) stop() error {
	select {
	case <-c.exited:
		return fmt.Errorf("%s had stopped by itself (%v): %s", c.name, c.waitErr, c.logTail())
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(15 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.exited
		return fmt.Errorf("%s did not stop within 15 s of SIGTERM: killed", c.name)
	}
	var exit *exec.ExitError
	if c.waitErr != nil && !(errors.As(c.waitErr, &exit) && exit.ProcessState.Sys().(syscall.WaitStatus).Signaled()) {
		return fmt.Errorf("%s stopping: %w: %s", c.name, c.waitErr, c.logTail())
	}
	return nil
}

// logTail is the end of the child's log, for an error message.
func (c *child) logTail() string {
	data, err := os.ReadFile(c.logPath)
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	if len(data) > 2000 {
		data = data[len(data)-2000:]
	}
	return strings.TrimSpace(string(data))
}

// rss is the child's resident memory now (VmRSS), in bytes.
func (c *child) rss() (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(c.cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("reading the memory of %s: %w", c.name, err)
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(v) // "154468 kB"
			if len(f) == 2 && f[1] == "kB" {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				if err == nil {
					return kb * 1024, nil
				}
			}
			return 0, fmt.Errorf("reading the memory of %s: VmRSS line %q", c.name, line)
		}
	}
	return 0, fmt.Errorf("reading the memory of %s: no VmRSS", c.name)
}

// waitFor200 polls url every 5 ms until it answers 200 and returns the
// time it did. It fails when the child exits or timeout passes.
func (c *child) waitFor200(ctx context.Context, url string, timeout time.Duration) (time.Time, error) {
	client := plainClient()
	deadline := time.Now().Add(timeout)
	lastStatus := "no answer"
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return time.Time{}, err
		}
		res, err := client.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return time.Now(), nil
			}
			lastStatus = res.Status
		}
		select {
		case <-c.exited:
			return time.Time{}, fmt.Errorf("%s exited (%v) before %s answered 200: %s", c.name, c.waitErr, url, c.logTail())
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("%s: %s did not answer 200 within %s (last: %s): %s", c.name, url, timeout, lastStatus, c.logTail())
		}
	}
}

// plainClient is an HTTP client that asks for no compression (as wrk does
// not) and follows no redirect.
func plainClient() *http.Client {
	return &http.Client{
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{DisableCompression: true, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// capturedResponse is a response as a server sent it.
type capturedResponse struct {
	status int
	header http.Header
	body   []byte
}

// capture fetches url with the given request headers ("Name: value").
func capture(ctx context.Context, url string, headers ...string) (capturedResponse, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return capturedResponse{}, err
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	res, err := plainClient().Do(req)
	if err != nil {
		return capturedResponse{}, fmt.Errorf("fetching %s: %w", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return capturedResponse{}, fmt.Errorf("reading %s: %w", url, err)
	}
	return capturedResponse{status: res.StatusCode, header: res.Header, body: body}, nil
}

// get fetches url and requires a 200.
func get(ctx context.Context, url string) ([]byte, error) {
	r, err := capture(ctx, url)
	if err != nil {
		return nil, err
	}
	if r.status != http.StatusOK {
		return nil, fmt.Errorf("%s answered %d: %.300s", url, r.status, r.body)
	}
	return r.body, nil
}

// referenceServer serves one captured response from memory to every
// request, with its status, headers and body: the bare net/http handler a
// page is compared with. It runs in this process, on a port of its own.
type referenceServer struct {
	url string
	srv *http.Server
}

func startReference(resp capturedResponse) (*referenceServer, error) {
	header := resp.header.Clone()
	for _, h := range []string{"Date", "Content-Length", "Connection", "Keep-Alive", "Transfer-Encoding"} {
		header.Del(h)
	}
	length := strconv.Itoa(len(resp.body))
	body := bytes.Clone(resp.body)
	handler := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		for k, v := range header {
			h[k] = v
		}
		if resp.status != http.StatusNotModified {
			h.Set("Content-Length", length)
		}
		w.WriteHeader(resp.status)
		_, _ = w.Write(body)
	})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening for the reference server: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: 30 * time.Second}
	go func() { _ = srv.Serve(l) }()
	return &referenceServer{url: "http://" + l.Addr().String() + "/", srv: srv}, nil
}

func (r *referenceServer) close() { _ = r.srv.Close() }

// rewriteFile replaces a file's bytes whole, as an editor that saves
// through a temporary file does: the new file is written beside dir's
// parent (outside the watched site) and renamed into place, so a watcher
// never reads half a file.
func rewriteFile(path, tmpDir string, data []byte) error {
	f, err := os.CreateTemp(tmpDir, ".benchtable-edit-*")
	if err != nil {
		return fmt.Errorf("writing an edit of %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(f.Name())
		return fmt.Errorf("writing an edit of %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("writing an edit of %s: %w", path, err)
	}
	if err := os.Chmod(f.Name(), 0o644); err != nil {
		return fmt.Errorf("writing an edit of %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("saving an edit of %s: %w", path, err)
	}
	return nil
}
