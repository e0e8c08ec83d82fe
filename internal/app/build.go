package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"milepost/internal/build"
	"milepost/internal/comments"
	"milepost/internal/media"
	"milepost/internal/web"
)

// BuildConfig is what `milepost build` is told on its command line.
type BuildConfig struct {
	ContentDir string
	// DBPath is the database the comments are read from, as `serve`
	// keeps it (created and seeded if missing, like serve's). bbolt lets
	// one process have it open: build a running site from a copy
	// (GET /admin/backup) or with the server stopped.
	DBPath string
	// OutDir is where the site is written: a new or empty directory, or
	// one an earlier build made, which is updated.
	OutDir string
	// BaseURL overrides site.yaml's base_url. A static build needs one:
	// its feeds, sitemap and canonical links are absolute, and its
	// comment form posts there, to the live server.
	BaseURL  string
	ThemeDir string
	// NoComments leaves the comment form out: pages show the comments
	// as of the build and say that comments are closed.
	NoComments bool
	// Workers is how many pages are rendered at once; 0 means two per
	// CPU.
	Workers int
	// Progress, when set (a terminal), shows how far the build is on one
	// line.
	Progress io.Writer
	Log      *slog.Logger
}

// Build writes the whole site as static files into cfg.OutDir, through the
// same handler `milepost serve` runs (see package build), and says what it
// did. A build into a directory an earlier one made rewrites only the
// files whose bytes changed and removes those of pages that are gone.
//
// The static pages are the pages a reader fetching them from the server
// gets, with two differences that a static file server needs: addresses
// with a query become files of their own (see build's paths.go), and the
// comment form carries no time-stamped token (a file cannot be served at
// a time) and posts to the base URL. The server, which checks every form's
// age, shows such a form back with the reader's text kept and a token of
// its own: the reader sends it once more. Drafts are never built.
func Build(ctx context.Context, cfg BuildConfig) (build.Result, error) {
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	st, err := openStores(ctx, ServeConfig{ContentDir: cfg.ContentDir, DBPath: cfg.DBPath, BaseURL: cfg.BaseURL, ThemeDir: cfg.ThemeDir}, log)
	if err != nil {
		return build.Result{}, err
	}
	defer st.db.Close()
	base := st.src.Current().Config.BaseURL
	if base == "" {
		return build.Result{}, fmt.Errorf("a static build needs the site's base URL, where its feeds and sitemap point and its comment form posts: set base_url in %s or pass -base-url",
			filepath.Join(cfg.ContentDir, "site.yaml"))
	}
	photos, err := media.NewCache(filepath.Join(filepath.Dir(cfg.DBPath), "media-cache"), media.NewRenderer(0))
	if err != nil {
		return build.Result{}, err
	}
	opts := commentOptions(st.src, false, nil)
	if cfg.NoComments {
		settings := opts.Settings
		opts.Settings = func() comments.Settings {
			s := settings()
			s.Enabled = false
			return s
		}
	}
	handler, err := web.New(web.Options{
		Content:  st.src,
		Comments: comments.New(st.db, opts),
		Theme:    st.theme,
		Media:    photos,
		Secret:   st.secret,
		// No form age to check: a static page's form has no time stamp.
		// The honeypot stays, as on every page the server serves.
		Guards: web.Guards{Honeypot: web.DefaultGuards.Honeypot},
		// Every page is a request: only what goes wrong is worth a line.
		Log: slog.New(quietHandler{log.Handler()}),
	})
	if err != nil {
		return build.Result{}, err
	}
	return build.Run(ctx, build.Options{
		Handler: handler, BaseURL: base, OutDir: cfg.OutDir,
		Workers: cfg.Workers, Progress: cfg.Progress, Log: log,
	})
}

// quietHandler passes on warnings and errors only.
type quietHandler struct{ slog.Handler }

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as)}
}

func (h quietHandler) WithGroup(name string) slog.Handler {
	return quietHandler{h.Handler.WithGroup(name)}
}
