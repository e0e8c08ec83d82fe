// Package app assembles Milepost from its packages: it opens the database,
// loads the content, seeds the sample comments and runs the HTTP server until
// its context ends.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/net/netutil"

	"milepost/internal/accounts"
	"milepost/internal/activity"
	"milepost/internal/authoring"
	"milepost/internal/bolt"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/media"
	"milepost/internal/search"
	"milepost/internal/web"
	"milepost/themes"
)

// ServeConfig is what `milepost serve` is told on its command line.
type ServeConfig struct {
	Addr string
	// Listener, when set, is a port already open to serve on instead of
	// listening on Addr: a socket handed over by a supervisor, or a test
	// that must know the address before the site is loaded (its base URL)
	// without giving the port up in between. Serve closes it when it
	// returns.
	Listener   net.Listener
	ContentDir string
	DBPath     string
	BaseURL    string
	Drafts     bool
	// Live reloads open browser tabs when the content changes: every page
	// loads a small script of the server's own, and the content security
	// policy allows scripts from the site. For writing locally.
	Live     bool
	ThemeDir string
	// CommentRate is how many comments one address may post a minute; 0
	// means the web package's default.
	CommentRate int
	// Guards are the comment form's spam defences.
	Guards web.Guards
	// CacheMaxAge is how long shared caches may keep a reader's page (its
	// max-age); 0 means web.DefaultPublicMaxAge.
	CacheMaxAge time.Duration
	// DebugAddr, when set, is the address serving expvar, pprof and
	// /debug/heap. It must be a loopback address unless DebugAddrPublic is
	// set: what it serves (command line, heap, profiles) is for the
	// operator alone.
	DebugAddr       string
	DebugAddrPublic bool
	// MaxConns bounds the connections open at once; 0 means
	// DefaultMaxConns.
	MaxConns int
	// IdleTimeout is how long an idle keep-alive connection stays open; 0
	// means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// WatchInterval is how often every content file is looked at for
	// changes when the file system's events cannot be had (content.Watch);
	// 0 means every second.
	WatchInterval time.Duration
	// ShutdownTimeout bounds how long in-flight requests may take to finish
	// once shutdown begins; 0 means 15 seconds.
	ShutdownTimeout time.Duration
	Log             *slog.Logger
	// AccessLog, when set, takes the access log's lines instead of Log
	// (web.Options.AccessLog); BufferedLogger gives both.
	AccessLog io.Writer
	// SMTPPassword is the password for site.yaml's email: server, from
	// -smtp-password-file or MILEPOST_SMTP_PASSWORD (SMTPPassword).
	SMTPPassword string
	// Ready, when set, receives the address the server listens on, once it
	// serves the site (tests listen on port 0).
	Ready func(addr string)
	// Listening, when set, receives the address as soon as the port is
	// open, before the content is loaded: until Ready, every request is
	// answered 503.
	Listening func(addr string)
}

// DefaultMaxConns is how many connections the server holds open at once
// unless told otherwise. Further clients wait in the listen queue until one
// closes, so a flood of connections cannot exhaust the process's files.
const DefaultMaxConns = 512

// DefaultIdleTimeout is how long an idle keep-alive connection is kept
// before the server closes it: long enough for a reader's next click, short
// enough that idle clients do not hold the connection slots.
const DefaultIdleTimeout = 30 * time.Second

// Serve runs the blog until ctx is cancelled, then stops taking new
// connections, lets in-flight requests finish and closes the database.
//
// The port is opened first, so that a port in use is reported at once and
// a client knows the server is there: until the content is loaded every
// request is answered 503 with Retry-After (loading.go).
func Serve(ctx context.Context, cfg ServeConfig) (err error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	if cfg.DebugAddr != "" && !cfg.DebugAddrPublic {
		if err := checkLoopback(cfg.DebugAddr); err != nil {
			if cfg.Listener != nil {
				cfg.Listener.Close() // Serve owns it, whatever it returns
			}
			return err
		}
	}
	ln := cfg.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return fmt.Errorf("listening on %s: %w", cfg.Addr, err)
		}
	}
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = DefaultMaxConns
	}
	ln = netutil.LimitListener(ln, maxConns)
	gate := &loadingGate{}
	srv := newHTTPServer(cfg, gate, log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	// Debug: a start-up that fails (a damaged database) says so in one line.
	log.Debug("milepost is listening; loading the content", "url", "http://"+ln.Addr().String()+"/", "content", cfg.ContentDir)
	if cfg.Listening != nil {
		cfg.Listening(ln.Addr().String())
	}

	started := time.Now()
	handler, st, err := load(ctx, cfg, log)
	if err != nil {
		srv.Close()
		return err
	}
	defer func() {
		if cerr := st.db.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing database: %w", cerr)
		}
	}()
	// -live's event streams never end by themselves: they end when the
	// shutdown begins, so it need not wait them out.
	srv.RegisterOnShutdown(handler.Shutdown)
	gate.open(handler)

	watchCtx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go st.src.Watch(watchCtx, cfg.WatchInterval)
	followSearch(watchCtx, st, log)
	defer st.out.start(ctx, st, log)() // email, WebSub pings (mail.go)
	defer prunePhotos(ctx, st.photos, log)()
	if cfg.DebugAddr != "" {
		if err := serveDebug(watchCtx, cfg.DebugAddr, log); err != nil {
			srv.Close()
			return err
		}
	}
	links := st.src.Current().Config.BaseURL
	if links == "" {
		links = "no base_url set: links use the address each request came to"
	}
	log.Info("milepost is serving", "url", "http://"+ln.Addr().String()+"/", "links", links, "content", cfg.ContentDir, "db", cfg.DBPath,
		"posts", len(content.View{Site: st.src.Current(), Drafts: true, Now: time.Now()}.Posts()), "ready_ms", time.Since(started).Milliseconds())
	if cfg.Ready != nil {
		cfg.Ready(ln.Addr().String())
	}
	return run(ctx, cfg, srv, served, log)
}

// load opens the stores and builds the site's handler over them. On an
// error nothing is left open.
func load(ctx context.Context, cfg ServeConfig, log *slog.Logger) (*web.Server, *stores, error) {
	st, err := openStores(ctx, cfg, log)
	if err != nil {
		return nil, nil, err
	}
	handler, err := buildHandler(ctx, cfg, st, log)
	if err != nil {
		st.db.Close()
		return nil, nil, err
	}
	return handler, st, nil
}

// stores is what the server reads and writes: the theme, the content and
// the database, with the services built on them.
type stores struct {
	theme  fs.FS
	src    *content.Source
	db     *bolt.DB
	secret []byte
	accts  *accounts.Service
	// activities is the server's one bound on the watch files read at
	// once, by the content loads and the editor's uploads alike: each may
	// hold a file and its points (tens of MB) while it is read.
	activities *activity.Readers
	// search is the search index (search.go).
	search *search.Index
	// comments is the comment service the handler and federation share;
	// fedParts the fediverse's (federation.go).
	comments *comments.Service
	fedParts
	// out sends email and WebSub pings through the outbox (mail.go).
	out *outgoing
	// photos is the cache of the photos' variants readers are sent.
	photos *media.Cache
}

// openStores opens the theme, the content and the database, seeding a new
// database with the site's sample comments. The caller closes st.db; on an
// error nothing is left open.
func openStores(ctx context.Context, cfg ServeConfig, log *slog.Logger) (_ *stores, err error) {
	theme, err := themes.Open(cfg.ThemeDir)
	if err != nil {
		return nil, err
	}
	activities := activity.NewReaders(0)
	// The front matter parsed at start-up is kept beside the database,
	// as the photos' variants are: data the server made and can make
	// again, which spares the next start parsing it.
	src, err := content.NewSource(ctx, cfg.ContentDir, content.Overrides{
		BaseURL: cfg.BaseURL, Activities: activities,
		FrontMatterCache: filepath.Join(filepath.Dir(cfg.DBPath), "front-matter.cache"),
	}, log)
	if err != nil {
		return nil, err
	}
	db, err := bolt.Open(ctx, cfg.DBPath)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	seeded, err := seedComments(ctx, db, cfg.ContentDir, src.Current().Config.SeedComments)
	if err != nil {
		return nil, err
	}
	if seeded > 0 {
		log.Info("seeded sample comments", "comments", seeded)
	}

	secret, err := db.Secret(ctx, "signing")
	if err != nil {
		return nil, err
	}
	accts, err := accounts.NewService(db, accounts.Options{})
	if err != nil {
		return nil, err
	}
	if _, err := accts.PruneSessions(ctx); err != nil {
		log.Warn("pruning expired sessions", "err", err)
	}
	st := &stores{theme: theme, src: src, db: db, secret: secret, accts: accts, activities: activities, search: newSearchIndex()}
	// Before the outbox's wiring, which takes federation's Sender and Fanout.
	st.comments = NewCommentService(db, src, cfg.Drafts, nil)
	if st.fed, err = newFederation(st, log); err != nil { // federation.go
		return nil, err
	}
	if st.out, err = newOutgoing(ctx, cfg, st, log); err != nil { // mail.go
		return nil, err
	}
	return st, nil
}

// buildHandler is the site's HTTP handler over st.
func buildHandler(ctx context.Context, cfg ServeConfig, st *stores, log *slog.Logger) (*web.Server, error) {
	theme, src, db, secret, accts := st.theme, st.src, st.db, st.secret, st.accts
	// One Renderer bounds every photo decoded at once, whether a reader
	// asked for a variant or a writer saved photos: each holds up to
	// 200 MB while it is decoded.
	renders := media.NewRenderer(0)
	// Photo variants are kept beside the database: data the server made,
	// which it can make again.
	photos, err := media.NewCache(filepath.Join(filepath.Dir(cfg.DBPath), "media-cache"), renders)
	if err != nil {
		return nil, err
	}
	st.photos = photos
	// Deleted posts go beside the database: outside content/ (the site
	// would load them) and, as a rule, on its file system (a move, not a
	// copy).
	writer, err := authoring.New(authoring.Config{
		Site: src.Current, TrashDir: filepath.Join(filepath.Dir(cfg.DBPath), "trash"), Store: db, Log: log,
		Photos: renders, Activities: st.activities,
	})
	if err != nil {
		return nil, err
	}
	// A draft's move a crash left under way is ended before any save.
	if err := writer.SettleMoves(ctx); err != nil {
		return nil, fmt.Errorf("ending the posts' moves left under way: %w", err)
	}
	var live web.Changes
	if cfg.Live {
		live = src
	}
	handler, err := web.New(web.Options{
		Federation:   st.fed,
		Live:         live,
		Authoring:    writer,
		Accounts:     accts,
		Backup:       db.Backup,
		Content:      src,
		Comments:     st.comments,
		Secret:       secret,
		Guards:       cfg.Guards,
		Theme:        theme,
		Media:        photos,
		Log:          log,
		AccessLog:    cfg.AccessLog,
		Drafts:       cfg.Drafts,
		CommentRate:  cfg.CommentRate,
		PublicMaxAge: cfg.CacheMaxAge,
		Search:       st.search,
		Email:        st.out.subs,
		Outbox:       db,
	})
	if err != nil {
		return nil, err
	}
	return handler, nil
}

// newHTTPServer is the http.Server for handler, with a bound on every
// phase of a request and on idle connections.
func newHTTPServer(cfg ServeConfig, handler http.Handler, log *slog.Logger) *http.Server {
	idle := cfg.IdleTimeout
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	return &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       20 * time.Second,
		// No WriteTimeout: it counts from the request and would drop the
		// answer of a slow handler after its work was done (the browser
		// then sends the request again); web bounds each response from
		// its first byte instead (web.ResponseWriteTimeout).
		IdleTimeout:    idle,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// run waits until ctx is cancelled, then shuts the server down; served
// is its Serve's result.
func run(ctx context.Context, cfg ServeConfig, srv *http.Server, served <-chan error, log *slog.Logger) error {
	select {
	case err := <-served:
		return fmt.Errorf("serving HTTP: %w", err)
	case <-ctx.Done():
	}
	return shutdown(ctx, cfg, srv, served, log)
}

// shutdown stops srv taking connections and waits, within the shutdown
// timeout, for in-flight requests to finish; served is Serve's result.
func shutdown(ctx context.Context, cfg ServeConfig, srv *http.Server, served <-chan error, log *slog.Logger) error {
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

// prunePhotos keeps the photo cache to the variants in use (media.Cache.Prune)
// while the server runs: once at start-up, then every day. It returns a
// function that stops it and waits for it.
func prunePhotos(ctx context.Context, photos *media.Cache, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			files, bytes, err := photos.Prune(ctx, 0)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				log.Warn("pruning the photo cache", "err", err)
			case files > 0:
				log.Info("pruned the photo cache", "files", files, "bytes", bytes)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(24 * time.Hour):
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}
