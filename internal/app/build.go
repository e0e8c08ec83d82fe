package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"milepost/internal/bolt"
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
	// Every page is asked for once: the render cache would keep pages no
	// one asks for again. Its keys are still worked out, and tell the
	// build which pages it holds already.
	handler.KeepNoPages()
	inputs, err := buildInputs(ctx, cfg, st)
	if err != nil {
		return build.Result{}, err
	}
	return build.Run(ctx, build.Options{
		Handler: handler, BaseURL: base, OutDir: cfg.OutDir,
		Workers: cfg.Workers, Progress: cfg.Progress, Log: log, Inputs: inputs,
	})
}

// buildInputs are what lets a build skip the pages an earlier one made
// (build.Inputs): the posts' versions are already their files' identity
// (content.Post.Version), which the next process computes alike; the
// comments of each post, and what every page depends on, are digested.
func buildInputs(ctx context.Context, cfg BuildConfig, st *stores) (*build.Inputs, error) {
	comments, err := commentDigests(ctx, st.db)
	if err != nil {
		return nil, err
	}
	global, err := globalDigest(cfg, st.theme)
	if err != nil {
		return nil, err
	}
	return &build.Inputs{Global: global, Comments: comments}, nil
}

// commentDigests are, by post slug, a digest of the post's comments (of
// every status: a held comment's approval changes it) and of the
// moderators' actions on the post (closing and reopening it).
func commentDigests(ctx context.Context, db *bolt.DB) (map[string][]byte, error) {
	all, err := db.ExportAll(ctx)
	if err != nil {
		return nil, err
	}
	byPost := map[string]hash.Hash{}
	hasher := func(slug string) hash.Hash {
		h, ok := byPost[slug]
		if !ok {
			h = sha256.New()
			byPost[slug] = h
		}
		return h
	}
	for _, c := range all.Comments {
		b, err := json.Marshal(c)
		if err != nil {
			return nil, fmt.Errorf("reading comment %d: %w", c.ID, err)
		}
		hasher(c.Post).Write(b)
	}
	for _, a := range all.Actions {
		if a.Post != "" {
			fmt.Fprintf(hasher(a.Post), "action %d %s\n", a.ID, a.Kind)
		}
	}
	out := make(map[string][]byte, len(byPost))
	for slug, h := range byPost {
		out[slug] = h.Sum(nil)
	}
	return out, nil
}

// globalDigest is a digest of what every page depends on that the render
// cache's keys leave out, as the server has them for its life: the program
// itself (its templates and how it renders are in it), the theme's files,
// and the build's options.
func globalDigest(cfg BuildConfig, theme fs.FS) ([]byte, error) {
	h := sha256.New()
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("finding the program's file: %w", err)
	}
	info, err := os.Stat(exe)
	if err != nil {
		return nil, fmt.Errorf("reading the program's file: %w", err)
	}
	fmt.Fprintf(h, "%s\x00%d\x00%d\x00no-comments=%t\x00", exe, info.Size(), info.ModTime().UnixNano(), cfg.NoComments)
	err = fs.WalkDir(theme, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(theme, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", path, len(b))
		h.Write(b)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the theme: %w", err)
	}
	return h.Sum(nil), nil
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
