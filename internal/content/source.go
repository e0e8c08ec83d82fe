package content

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Source serves the current Site of a content directory and, while Watch
// runs, replaces it whenever the directory changes. Readers take
// Current once per request and keep using that Site, so a reload never
// changes a page halfway through.
type Source struct {
	dir  string
	log  *slog.Logger
	site atomic.Pointer[Site]

	mu   sync.Mutex // serialises reloads, so an older Site never replaces a newer one
	tree *tree      // the files the current Site was built from (tree.go)

	subMu sync.Mutex
	subs  map[*subscription]struct{}

	// watching, when set, is called once Watch follows the directory:
	// tests change files only from then on.
	watching func()
}

// subscription is one Subscribe: its channel holds at most one notice.
type subscription struct{ ch chan struct{} }

// NewSource loads dir and logs each file that had to be skipped. It fails
// only when Load does: the directory or site.yaml cannot be read or parsed.
// A nil log means slog.Default().
func NewSource(ctx context.Context, dir string, over Overrides, log *slog.Logger) (*Source, error) {
	if log == nil {
		log = slog.Default()
	}
	s := &Source{dir: dir, log: log, tree: newTree(dir, over, newActivityCache())}
	if err := s.tree.full(ctx); err != nil {
		return nil, fmt.Errorf("loading content: %w", err)
	}
	site := s.tree.site()
	s.site.Store(site)
	s.logProblems(site)
	s.logCacheError()
	return s, nil
}

// Current returns the Site loaded last. It is never nil.
func (s *Source) Current() *Site { return s.site.Load() }

// Reload reads again, now, every file that changed since the last load, as
// the watcher would a moment later: the editor calls it after a save, so
// the site shows the change to the writer's next request. It looks at the
// size and modification time of every file, and reads only those that
// changed.
func (s *Source) Reload(ctx context.Context) { s.apply(ctx, changes{all: true}) }

// Subscribe returns a channel that receives a value each time a reload
// swaps in a new Site, and a function that ends the subscription (call it
// once done; the channel is not closed). A notice never waits for its
// subscriber: the channel holds one, and a subscriber that has not taken
// it yet gets no second one — it only needs to know the site changed.
func (s *Source) Subscribe() (<-chan struct{}, func()) {
	sub := &subscription{ch: make(chan struct{}, 1)}
	s.subMu.Lock()
	if s.subs == nil {
		s.subs = make(map[*subscription]struct{})
	}
	s.subs[sub] = struct{}{}
	s.subMu.Unlock()
	return sub.ch, func() {
		s.subMu.Lock()
		delete(s.subs, sub)
		s.subMu.Unlock()
	}
}

// notify tells every subscriber that a new Site is serving.
func (s *Source) notify() {
	s.subMu.Lock()
	defer s.subMu.Unlock()
	for sub := range s.subs {
		select {
		case sub.ch <- struct{}{}:
		default: // a notice is already waiting
		}
	}
}

// apply reads again what changed among the files c names and, when
// anything did, swaps in the new Site and tells the subscribers. A reload
// that fails keeps the previous Site serving and is logged.
func (s *Source) apply(ctx context.Context, c changes) {
	s.mu.Lock()
	defer s.mu.Unlock()
	config, authors, roots := true, true, []string{"posts"}
	if !c.all {
		config, authors, roots = c.config, c.authors, s.tree.postRoots(c.posts)
	}
	start := time.Now()
	changed, err := s.tree.update(ctx, config, authors, roots)
	s.logCacheError()
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("reloading content failed; still serving the previous version", "dir", s.dir, "err", err)
		}
		return
	}
	if !changed {
		return
	}
	site := s.tree.site()
	s.site.Store(site)
	s.log.Info("content reloaded", "dir", s.dir, "posts", len(site.all), "problems", len(site.Problems),
		"ms", time.Since(start).Milliseconds())
	s.logProblems(site)
	s.notify()
}

// logCacheError logs, once, why a full load could not save its front
// matter cache: the next start-up parses every file again.
func (s *Source) logCacheError() {
	if err := s.tree.cacheErr; err != nil {
		s.log.Warn("content loaded, but not its cache for the next start", "err", err)
		s.tree.cacheErr = nil
	}
}

func (s *Source) logProblems(site *Site) {
	for _, p := range site.Problems {
		s.log.Warn("skipped a content file", "file", p.File, "line", p.Line, "err", p.Err)
	}
	for _, p := range site.Warnings {
		s.log.Warn("a content file has a problem; served all the same", "file", p.File, "line", p.Line, "err", p.Err)
	}
}

// bundleFiles calls add with each file of the page bundle b (relative to
// dir) but its index.md, which is added as a post: a photo saved or
// replaced is a change like any other. Hidden files are left out, as Load
// and OpenResource leave them out.
func bundleFiles(dir, b string, add func(rel string)) {
	root := filepath.Join(dir, filepath.FromSlash(b))
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		rel, rerr := filepath.Rel(dir, p)
		if err != nil || rerr != nil {
			add(filepath.ToSlash(rel)) // hashed with its error
			return nil
		}
		if !d.IsDir() && p != filepath.Join(root, bundleIndex) {
			add(filepath.ToSlash(rel))
		}
		return nil
	})
}
