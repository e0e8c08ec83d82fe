package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"milepost/internal/deploy"
)

// nginx measures the home page through nginx with the shipped
// configuration in front of `milepost serve` against the same nginx
// serving the page's bytes as a static file (deploy.StartNginx runs both).
func (b *bench) nginx(ctx context.Context) (rows []row, err error) {
	const what = "home page behind nginx (`proxy_cache`)"
	if b.load.bin == "" {
		return []row{skippedRow(what, "wrk is not installed")}, nil
	}
	nginxBin, err := deploy.NginxBinary()
	if err != nil {
		return []row{skippedRow(what, err.Error())}, nil
	}
	srv, err := b.serveCopy(ctx, "nginx", nil)
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	nginxDir := filepath.Join(srv.dir, "nginx")
	if err := os.MkdirAll(nginxDir, 0o755); err != nil {
		return nil, fmt.Errorf("making nginx's directory: %w", err)
	}
	proxy, err := deploy.StartNginx(ctx, deploy.NginxRun{
		Binary: nginxBin, Dir: nginxDir, Upstream: strings.TrimPrefix(srv.base, "http://"), Workers: runtime.GOMAXPROCS(0),
	})
	if err != nil {
		return nil, fmt.Errorf("starting nginx: %w", err)
	}
	defer func() {
		if serr := proxy.Stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	// The second fetch must come from nginx's cache: otherwise this row
	// would measure nginx passing every request on.
	var page capturedResponse
	for range 2 {
		if page, err = capture(ctx, proxy.URL+"/"); err != nil {
			return nil, err
		}
		if page.status != http.StatusOK {
			return nil, fmt.Errorf("the home page through nginx answered %d: %.300s", page.status, page.body)
		}
	}
	if got := page.header.Get("X-Cache-Status"); got != "HIT" {
		return nil, fmt.Errorf("the home page fetched twice through nginx was not a cache hit (X-Cache-Status %q)", got)
	}
	static, err := proxy.PutStatic("index.html", page.body)
	if err != nil {
		return nil, err
	}
	var cached, files []float64
	for round := range b.cfg.rounds {
		urls := []string{proxy.URL + "/", static}
		if round%2 == 1 {
			urls[0], urls[1] = urls[1], urls[0]
		}
		results := map[string]wrkResult{}
		for _, u := range urls {
			r, err := b.load.run(ctx, u)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", what, err)
			}
			results[u] = r
		}
		c, f := results[proxy.URL+"/"], results[static]
		if err := sameResponses(c, f); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		cached, files = append(cached, c.requestsPerS), append(files, f.requestsPerS)
		b.log.Info("nginx", "round", round+1, "cached req/s", c.requestsPerS, "static req/s", f.requestsPerS)
	}
	c, f := median(cached), median(files)
	ratio := c / f
	return []row{{
		what: what, measured: formatRate(c, "req/s"), reference: formatRate(f, "req/s nginx static file"),
		ratio: formatRatio(ratio), goal: "≥ 0.9×", met: yesNo(ratio >= 0.9),
	}}, nil
}
