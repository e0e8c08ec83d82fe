// Package app assembles Milepost from its packages: it opens the database,
// loads the content, seeds the sample comments and runs the HTTP server until
// its context ends.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/bolt"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/web"
	"milepost/themes"
)

// ServeConfig is what `milepost serve` is told on its command line.
type ServeConfig struct {
	Addr       string
	ContentDir string
	DBPath     string
	BaseURL    string
	Drafts     bool
	ThemeDir   string
	// CommentRate is how many comments one address may post a minute; 0
	// means the web package's default.
	CommentRate int
	// Guards are the comment form's spam defences.
	Guards web.Guards
	// DebugAddr, when set, is a (loopback) address serving expvar, pprof
	// and /debug/heap.
	DebugAddr string
	// WatchInterval is how often the content directory is checked for
	// changes; 0 means every second.
	WatchInterval time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// once shutdown begins; 0 means 15 seconds.
	ShutdownTimeout time.Duration
	Log             *slog.Logger
	// Ready, when set, receives the address the server listens on, once it
	// accepts connections (tests listen on port 0).
	Ready func(addr string)
}

// Serve runs the blog until ctx is cancelled, then stops taking new
// connections, lets in-flight requests finish and closes the database.
func Serve(ctx context.Context, cfg ServeConfig) (err error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	theme, err := themes.Open(cfg.ThemeDir)
	if err != nil {
		return err
	}
	src, err := content.NewSource(ctx, cfg.ContentDir, log)
	if err != nil {
		return err
	}
	db, err := bolt.Open(ctx, cfg.DBPath)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing database: %w", cerr)
		}
	}()
	seeded, err := seedComments(ctx, db, cfg.ContentDir, src.Current().Config.SeedComments)
	if err != nil {
		return err
	}
	if seeded > 0 {
		log.Info("seeded sample comments", "comments", seeded)
	}

	secret, err := db.Secret(ctx, "signing")
	if err != nil {
		return err
	}
	accts, err := accounts.NewService(db, accounts.Options{})
	if err != nil {
		return err
	}
	if _, err := accts.PruneSessions(ctx); err != nil {
		log.Warn("pruning expired sessions", "err", err)
	}
	handler, err := web.New(web.Options{
		Accounts:    accts,
		Backup:      db.Backup,
		Content:     src,
		Comments:    NewCommentService(db, src, cfg.Drafts, nil),
		Secret:      secret,
		Guards:      cfg.Guards,
		Theme:       theme,
		Log:         log,
		BaseURL:     cfg.BaseURL,
		Drafts:      cfg.Drafts,
		CommentRate: cfg.CommentRate,
	})
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       20 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	interval := cfg.WatchInterval
	if interval == 0 {
		interval = time.Second
	}
	go src.Watch(watchCtx, interval)
	if cfg.DebugAddr != "" {
		if err := serveDebug(watchCtx, cfg.DebugAddr, log); err != nil {
			return err
		}
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String() + "/"
	links := "no base_url set: links use the address each request came to"
	if h, ok := srv.Handler.(interface{ BaseURL() string }); ok && h.BaseURL() != "" {
		links = h.BaseURL()
	}
	log.Info("milepost is serving", "url", url, "links", links, "content", cfg.ContentDir, "db", cfg.DBPath)
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String())
	}

	select {
	case err := <-served:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	timeout := cfg.ShutdownTimeout
	if timeout == 0 {
		timeout = 15 * time.Second
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutting down HTTP server: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving HTTP: %w", err)
	}
	log.Info("stopped")
	return nil
}

// seedComments loads the site's sample comments into a database that has
// never been seeded, and says how many it added. A missing file is not an
// error: a real site has none.
func seedComments(ctx context.Context, store comments.Store, contentDir, file string) (int, error) {
	if file == "" {
		return 0, nil
	}
	path := filepath.Join(contentDir, file)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("opening seed comments: %w", err)
	}
	defer f.Close()
	exp, err := comments.ReadExport(f)
	if err != nil {
		return 0, fmt.Errorf("reading seed comments %s: %w", path, err)
	}
	added, err := store.Seed(ctx, exp.Comments)
	if err != nil {
		return 0, fmt.Errorf("seeding comments from %s: %w", path, err)
	}
	if !added {
		return 0, nil
	}
	return len(exp.Comments), nil
}
