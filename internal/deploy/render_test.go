package deploy_test

import (
	"bytes"
	"strings"
	"testing"

	"milepost/internal/deploy"
)

// TestRenderNginxRefusesWhatNginxWouldMisread: a value that would end a
// directive or open a block is refused, not written into the
// configuration, where it would add directives of its own.
func TestRenderNginxRefusesWhatNginxWouldMisread(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*deploy.NginxSite)
	}{
		{"server name with a directive", func(s *deploy.NginxSite) { s.ServerName = "example.org; return 200" }},
		{"upstream with a block", func(s *deploy.NginxSite) { s.Upstream = "127.0.0.1:8080 } server {" }},
		{"upstream without a port", func(s *deploy.NginxSite) { s.Upstream = "127.0.0.1" }},
		{"relative cache directory", func(s *deploy.NginxSite) { s.CacheDir = "cache" }},
		{"cache directory with a variable", func(s *deploy.NginxSite) { s.CacheDir = "/var/cache/$host" }},
		{"no listen", func(s *deploy.NginxSite) { s.Listen = "" }},
	} {
		site := deploy.DefaultNginxSite
		tc.edit(&site)
		var out bytes.Buffer
		if err := deploy.RenderNginx(&out, site); err == nil {
			t.Errorf("%s: rendered, want an error", tc.name)
		}
		if out.Len() != 0 {
			t.Errorf("%s: wrote %d bytes", tc.name, out.Len())
		}
	}

	var out bytes.Buffer
	site := deploy.DefaultNginxSite
	site.ServerName, site.Listen = "runners.example.org", "[::]:8081"
	if err := deploy.RenderNginx(&out, site); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"server_name runners.example.org;", "listen [::]:8081;", "server 127.0.0.1:8080;"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the configuration has no %q", want)
		}
	}
}
