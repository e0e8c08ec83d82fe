// Package deploy holds what runs Milepost in front of others: the nginx
// configuration that caches its readers' pages (nginx.conf.tmpl), the
// function that renders it for a site, and StartNginx, which runs Debian's
// nginx with it in a directory of its own for tests and benchmarks.
package deploy

import (
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"text/template"

	"milepost/internal/web"
)

//go:embed nginx.conf.tmpl
var nginxTemplateText string

var nginxTemplate = template.Must(template.New("nginx.conf").Parse(nginxTemplateText))

// NginxSite is what a site sets in its nginx configuration.
type NginxSite struct {
	// Listen is nginx's listen parameter: a port ("80") or an address
	// and port ("127.0.0.1:8081").
	Listen string
	// ServerName is the site's host name (server_name).
	ServerName string
	// Upstream is the address `milepost serve -addr` listens on.
	Upstream string
	// CacheDir is where nginx keeps the cached pages; nginx's user must
	// be able to write it.
	CacheDir string
	// CacheMaxSize bounds the cache on disk, in nginx's notation ("1g").
	CacheMaxSize string
}

// DefaultNginxSite is a site on port 80 in front of serve's default address.
var DefaultNginxSite = NginxSite{
	Listen:       "80",
	ServerName:   "example.org",
	Upstream:     "127.0.0.1:8080",
	CacheDir:     "/var/cache/nginx/milepost",
	CacheMaxSize: "1g",
}

// nginxValues are the template's values: the site's and serve's own.
type nginxValues struct {
	NginxSite
	// BodyLimit and UploadLimit are serve's bounds on a request body:
	// every request's, and the editor's forms, which carry photos.
	BodyLimit, UploadLimit int64
}

// RenderNginx writes the nginx configuration of site to w.
func RenderNginx(w io.Writer, site NginxSite) error {
	if err := site.check(); err != nil {
		return err
	}
	v := nginxValues{NginxSite: site, BodyLimit: web.MaxBodyBytes, UploadLimit: web.MaxEditorUploadBytes}
	if err := nginxTemplate.Execute(w, v); err != nil {
		return fmt.Errorf("writing the nginx configuration: %w", err)
	}
	return nil
}

// check refuses values that would make a broken configuration, or one
// that says more than it was given: nginx's syntax has no quoting the
// template could rely on.
func (s NginxSite) check() error {
	fields := []struct{ name, value string }{
		{"listen", s.Listen}, {"server name", s.ServerName}, {"upstream", s.Upstream},
		{"cache directory", s.CacheDir}, {"cache size", s.CacheMaxSize},
	}
	for _, f := range fields {
		if f.value == "" {
			return fmt.Errorf("nginx configuration: no %s", f.name)
		}
		if strings.ContainsAny(f.value, " \t\r\n;{}\"'#$\\") {
			return fmt.Errorf("nginx configuration: %s %q has a character nginx would read as syntax", f.name, f.value)
		}
	}
	if _, port, err := net.SplitHostPort(s.Upstream); err != nil {
		return fmt.Errorf("nginx configuration: upstream %q is not host:port: %w", s.Upstream, err)
	} else if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Errorf("nginx configuration: upstream %q has no port number", s.Upstream)
	}
	if !strings.HasPrefix(s.CacheDir, "/") {
		return errors.New("nginx configuration: the cache directory must be an absolute path")
	}
	return nil
}
