package main

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// startup measures `milepost serve` from its start to the first 200 of
// its home page, and its resident memory then, with a new database each
// round; on the larger site too when -content30k is given.
func (b *bench) startup(ctx context.Context) ([]row, error) {
	type size struct {
		name, src, site string
		posts           int
		ready           []float64
		rss             []int64
	}
	sizes := []*size{{name: "main", src: b.cfg.contentDir, posts: b.posts}}
	if b.cfg.content30k != "" {
		n, err := countPosts(b.cfg.content30k)
		if err != nil {
			return nil, err
		}
		sizes = append(sizes, &size{name: "larger", src: b.cfg.content30k, posts: n})
	}
	for _, s := range sizes {
		s.site = filepath.Join(b.work, "startup-"+s.name, "site")
		if err := copySite(s.src, s.site); err != nil {
			return nil, err
		}
	}
	for round := range b.cfg.rounds {
		for _, s := range sizes {
			srv, base, err := b.serveMilepost(ctx, filepath.Dir(s.site), s.site)
			if err != nil {
				return nil, err
			}
			at, err := srv.waitFor200(ctx, base+"/", 5*time.Minute)
			var rss int64
			if err == nil {
				rss, err = srv.rss()
			}
			if serr := srv.stop(); err == nil {
				err = serr
			}
			if err != nil {
				return nil, err
			}
			ready := at.Sub(srv.started)
			s.ready, s.rss = append(s.ready, float64(ready)), append(s.rss, rss)
			b.log.Info("startup", "posts", s.posts, "round", round+1, "ready", ready, "rss MB", rss/1e6)
		}
	}
	what := func(s *size) string { return fmt.Sprintf("`serve` ready on %s posts", formatCount(s.posts)) }
	main := sizes[0]
	mainReady, mainRSS := time.Duration(median(main.ready)), median(main.rss)
	rows := []row{{
		what: what(main), measured: fmt.Sprintf("%s, %s", formatDuration(mainReady), formatBytes(mainRSS)),
		goal: "≤ 1 s and ≤ 120 MB", met: yesNo(mainReady <= time.Second && mainRSS <= 120e6),
	}}
	if len(sizes) == 1 {
		return append(rows, skippedRow("`serve` ready on 30,000 posts", "no -content30k DIR given")), nil
	}
	large := sizes[1]
	ready, rss := time.Duration(median(large.ready)), median(large.rss)
	growth := float64(large.posts) / float64(main.posts)
	readyRatio, rssRatio := float64(ready)/float64(mainReady), float64(rss)/float64(mainRSS)
	return append(rows, row{
		what: what(large), measured: fmt.Sprintf("%s, %s", formatDuration(ready), formatBytes(rss)),
		reference: fmt.Sprintf("%s, %s on %s posts", formatDuration(mainReady), formatBytes(mainRSS), formatCount(main.posts)),
		ratio:     fmt.Sprintf("%s time, %s memory", formatRatio(readyRatio), formatRatio(rssRatio)),
		goal:      fmt.Sprintf("≤ %s (linear)", formatRatio(growth)),
		met:       yesNo(readyRatio <= growth && rssRatio <= growth),
	}), nil
}
