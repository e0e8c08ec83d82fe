// Command milepost serves a running blog: Markdown posts from a content
// directory, reader comments kept in a bbolt file, and feeds.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"milepost/internal/app"
	"milepost/internal/web"
)

const usage = `Milepost serves a running blog.

Usage:
  milepost serve [flags]    serve the site (milepost serve -h for flags)
`

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; cmd {
	case "serve":
		err = serve(ctx, log, args)
	case "help", "-h", "-help", "--help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "milepost: unknown command %q\n\n%s", cmd, usage)
		os.Exit(2)
	}
	if err != nil {
		log.Error("milepost failed", "err", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context, log *slog.Logger, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	cfg := app.ServeConfig{Log: log}
	fs.StringVar(&cfg.Addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&cfg.ContentDir, "content", "./content", "content directory: site.yaml, posts/, authors/")
	fs.StringVar(&cfg.DBPath, "db", "./data/milepost.db", "bbolt database file (created with its directory if missing)")
	fs.StringVar(&cfg.BaseURL, "base-url", "", "absolute URL the site is served at (overrides site.yaml's base_url)")
	fs.BoolVar(&cfg.Drafts, "drafts", false, "show draft posts")
	fs.StringVar(&cfg.ThemeDir, "theme", "", "theme directory whose files override the embedded default theme")
	fs.IntVar(&cfg.CommentRate, "comment-rate", 5, "comments one address may post per minute")
	cfg.Guards = web.DefaultGuards
	fs.BoolVar(&cfg.Guards.Honeypot, "honeypot", cfg.Guards.Honeypot, "add a hidden field that only bots fill in")
	fs.DurationVar(&cfg.Guards.MinFormAge, "min-form-age", cfg.Guards.MinFormAge, "refuse comment forms sent sooner than this after the page was served (0: off)")
	fs.DurationVar(&cfg.Guards.MaxFormAge, "max-form-age", cfg.Guards.MaxFormAge, "refuse comment forms older than this (0: off)")
	fs.Func("trusted-proxy", "an address or CIDR range whose X-Forwarded-For is believed (repeatable)", func(v string) error {
		p, err := web.ParseTrustedProxy(v)
		if err != nil {
			return err
		}
		cfg.Guards.TrustedProxies = append(cfg.Guards.TrustedProxies, p)
		return nil
	})
	fs.Parse(args)
	return app.Serve(ctx, cfg)
}
