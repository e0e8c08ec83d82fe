package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"
)

// NginxRun is how StartNginx runs nginx.
type NginxRun struct {
	// Binary is the nginx to run; empty finds it (NginxBinary).
	Binary string
	// Dir holds everything of this nginx's own: its configuration, pid
	// file, logs, temporary files, cache and the static files it serves.
	// It must exist; a test's t.TempDir() will do.
	Dir string
	// Upstream is the address of the `milepost serve` in front of which
	// nginx runs, with the shipped configuration (RenderNginx).
	Upstream string
	// Workers is nginx's worker_processes; 0 means 1.
	Workers int
}

// Nginx is an nginx started by StartNginx, listening on loopback: the
// shipped configuration at URL, and a plain static file server at
// StaticURL, in the same process and with the same settings, to compare
// the cache with nginx serving the same bytes from a file.
type Nginx struct {
	// URL is the shipped configuration's address: http://127.0.0.1:port.
	URL string
	// StaticURL serves the files of StaticDir, as nginx serves any
	// static site.
	StaticURL string
	// StaticDir is the root of StaticURL (PutStatic writes there).
	StaticDir string
	// Config is the site configuration nginx runs with, as RenderNginx
	// wrote it.
	Config string

	dir string
	cmd *exec.Cmd
	// exited is closed when nginx has exited, with waitErr set.
	exited  chan struct{}
	waitErr error
}

// NginxBinary finds nginx on the PATH, or where Debian installs it.
func NginxBinary() (string, error) {
	if p, err := exec.LookPath("nginx"); err == nil {
		return p, nil
	}
	const debian = "/usr/sbin/nginx"
	if _, err := os.Stat(debian); err != nil {
		return "", errors.New("nginx is not installed (apt-get install nginx)")
	}
	return debian, nil
}

// mainConfig is the nginx.conf StartNginx writes around the shipped site
// configuration: what Debian's /etc/nginx/nginx.conf sets for it (sendfile,
// tcp_nopush, mime types), but every path inside the run's directory, so
// that nginx runs as any user, and a static file server beside it.
var mainConfig = template.Must(template.New("main").Parse(`{{if .Root}}
# Started by root: its workers run as root too, as the one who started it,
# rather than as nobody, who may not enter the run's directory.
user root;{{end}}
worker_processes {{.Workers}};
pid {{.Dir}}/nginx.pid;
error_log {{.Dir}}/error.log warn;
events { worker_connections 1024; }
http {
    sendfile on;
    tcp_nopush on;
    types { text/html html; text/css css; application/xml xml; }
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {{.Dir}}/temp/body;
    proxy_temp_path {{.Dir}}/temp/proxy;
    fastcgi_temp_path {{.Dir}}/temp/fastcgi;
    uwsgi_temp_path {{.Dir}}/temp/uwsgi;
    scgi_temp_path {{.Dir}}/temp/scgi;

    include {{.Dir}}/milepost.conf;

    server {
        listen 127.0.0.1:{{.StaticPort}};
        root {{.Dir}}/static;
    }
}
`))

// StartNginx runs nginx in front of run.Upstream with the shipped
// configuration, on free loopback ports, until ctx ends or Stop is called.
// It returns once nginx answers on both ports; when it cannot start, the
// error carries nginx's error log.
func StartNginx(ctx context.Context, run NginxRun) (*Nginx, error) {
	bin := run.Binary
	if bin == "" {
		var err error
		if bin, err = NginxBinary(); err != nil {
			return nil, err
		}
	}
	if run.Workers <= 0 {
		run.Workers = 1
	}
	dir, err := filepath.Abs(run.Dir)
	if err != nil {
		return nil, fmt.Errorf("finding nginx's directory: %w", err)
	}
	for _, sub := range []string{"temp", "static", "cache"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("making nginx's directory: %w", err)
		}
	}
	// A free port is only free until someone takes it: try again when
	// another process took one of them first.
	var lastErr error
	for range 3 {
		n, err := startNginxOnce(ctx, bin, dir, run)
		if err == nil {
			return n, nil
		}
		lastErr = err
		if !strings.Contains(err.Error(), "Address already in use") {
			break
		}
	}
	return nil, lastErr
}

func startNginxOnce(ctx context.Context, bin, dir string, run NginxRun) (*Nginx, error) {
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	site := DefaultNginxSite
	site.Listen = "127.0.0.1:" + strconv.Itoa(ports[0])
	site.ServerName = "localhost"
	site.Upstream = run.Upstream
	site.CacheDir = filepath.Join(dir, "cache")
	var conf bytes.Buffer
	if err := RenderNginx(&conf, site); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "milepost.conf"), conf.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("writing nginx's configuration: %w", err)
	}
	var main bytes.Buffer
	err = mainConfig.Execute(&main, map[string]any{
		"Dir": dir, "Workers": run.Workers, "StaticPort": ports[1], "Root": os.Geteuid() == 0,
	})
	if err != nil {
		return nil, fmt.Errorf("writing nginx.conf: %w", err)
	}
	mainPath := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(mainPath, main.Bytes(), 0o644); err != nil {
		return nil, fmt.Errorf("writing nginx.conf: %w", err)
	}
	errorLog := filepath.Join(dir, "error.log")
	_ = os.Remove(errorLog) // a failed try's log must not be read as this one's

	cmd := exec.Command(bin, "-p", dir, "-c", mainPath, "-e", errorLog, "-g", "daemon off; master_process on;")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting nginx: %w", err)
	}
	n := &Nginx{
		URL:       "http://127.0.0.1:" + strconv.Itoa(ports[0]),
		StaticURL: "http://127.0.0.1:" + strconv.Itoa(ports[1]),
		StaticDir: filepath.Join(dir, "static"),
		Config:    conf.String(),
		dir:       dir,
		cmd:       cmd,
		exited:    make(chan struct{}),
	}
	go func() {
		n.waitErr = cmd.Wait()
		close(n.exited)
	}()
	go func() {
		select {
		case <-ctx.Done():
			n.Stop()
		case <-n.exited:
		}
	}()

	deadline := time.Now().Add(10 * time.Second)
	for _, port := range ports {
		for {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
			if err == nil {
				c.Close()
				break
			}
			select {
			case <-n.exited:
				return nil, fmt.Errorf("nginx stopped at start (%v): %s%s", n.waitErr, stderr.String(), n.ErrorLog())
			case <-time.After(20 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				n.Stop()
				return nil, fmt.Errorf("nginx did not listen within 10s: %s", n.ErrorLog())
			}
		}
	}
	return n, nil
}

// freePorts finds n loopback ports free at the moment.
func freePorts(n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port for nginx: %w", err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// PutStatic writes body as the static file name (a path under StaticDir)
// and returns its URL.
func (n *Nginx) PutStatic(name string, body []byte) (string, error) {
	path := filepath.Join(n.StaticDir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", fmt.Errorf("writing the static file %s: %w", name, err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		return "", fmt.Errorf("writing the static file %s: %w", name, err)
	}
	return n.StaticURL + "/" + strings.TrimPrefix(name, "/"), nil
}

// ErrorLog is what nginx has written to its error log so far.
func (n *Nginx) ErrorLog() string {
	b, err := os.ReadFile(filepath.Join(n.dir, "error.log"))
	if err != nil {
		return fmt.Sprintf("(no error log: %v)", err)
	}
	return string(b)
}

// Stop shuts nginx down (its fast shutdown: open connections are closed)
// and waits for it to exit.
func (n *Nginx) Stop() error {
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping nginx: %w", err)
	}
	select {
	case <-n.exited:
		// nginx exits 0 after a SIGTERM; anything else it logged.
		if n.waitErr != nil {
			return fmt.Errorf("nginx exited: %w: %s", n.waitErr, n.ErrorLog())
		}
		return nil
	case <-time.After(10 * time.Second):
		n.cmd.Process.Kill()
		return errors.New("nginx did not stop within 10s of SIGTERM: killed")
	}
}
