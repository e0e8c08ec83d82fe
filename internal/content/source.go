package content

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"os"
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
	over Overrides
	log  *slog.Logger
	site atomic.Pointer[Site]

	mu sync.Mutex // serialises reloads, so an older Site never replaces a newer one
	fp uint64     // fingerprint of the files the current Site was loaded from
	// activities keeps the activity files the loads read, so a reload
	// reads only those that changed (runfile.go).
	activities *activityCache

	subMu sync.Mutex
	subs  map[*subscription]struct{}
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
	s := &Source{dir: dir, over: over, log: log, activities: newActivityCache()}
	// Taken before loading: a file saved during the load then shows up as
	// a change at the next poll instead of being missed.
	fp, err := fingerprint(ctx, dir)
	if err != nil {
		return nil, err
	}
	site, err := load(ctx, dir, over, s.activities)
	if err != nil {
		return nil, fmt.Errorf("loading content: %w", err)
	}
	s.fp = fp
	s.site.Store(site)
	s.logProblems(site)
	return s, nil
}

// Current returns the Site loaded last. It is never nil.
func (s *Source) Current() *Site { return s.site.Load() }

// Watch checks the content directory every interval and loads it again when
// any file was added, removed or changed. A reload that fails keeps the
// previous Site serving and is logged. Watch returns when ctx is done.
func (s *Source) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.poll(ctx)
		}
	}
}

// Reload loads the directory now if any file changed since the last load,
// as the next tick of Watch would: the editor calls it after a save, so the
// site shows the change to the writer's next request, not a second later.
func (s *Source) Reload(ctx context.Context) { s.poll(ctx) }

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

// poll reloads the directory if its fingerprint changed since the last load.
func (s *Source) poll(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fp, err := fingerprint(ctx, s.dir)
	if err != nil || fp == s.fp {
		return // only a cancelled ctx fails fingerprint
	}
	// Remembered even if the load fails, so that a broken site.yaml is
	// reported once rather than at every tick until it is fixed.
	s.fp = fp
	site, err := load(ctx, s.dir, s.over, s.activities)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("reloading content failed; still serving the previous version", "dir", s.dir, "err", err)
		}
		return
	}
	s.site.Store(site)
	s.log.Info("content reloaded", "dir", s.dir, "posts", len(site.all), "problems", len(site.Problems))
	s.logProblems(site)
	s.notify()
}

func (s *Source) logProblems(site *Site) {
	for _, p := range site.Problems {
		s.log.Warn("skipped a content file", "file", p.File, "line", p.Line, "err", p.Err)
	}
	for _, p := range site.Warnings {
		s.log.Warn("a content file has a problem; served all the same", "file", p.File, "line", p.Line, "err", p.Err)
	}
}

// fingerprint hashes the path, size and modification time of site.yaml, of
// the Markdown files Load reads and of the files of page bundles: cheap enough to run every second, and
// any save changes it. Hidden files are left out like Load leaves them out,
// so an editor's swap file does not reload the site while someone types. A
// file or directory that cannot be read is hashed with its error, so that
// it appearing or being fixed is a change too.
func fingerprint(ctx context.Context, dir string) (uint64, error) {
	h := fnv.New64a()
	add := func(rel string) {
		// Stat rather than Lstat: Load reads through symbolic links.
		info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			fmt.Fprintf(h, "%s\x00%v\n", rel, err)
			return
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", rel, info.Size(), info.ModTime().UnixNano())
	}
	add(configFile)
	for _, sub := range []struct {
		name      string
		recursive bool
	}{{"authors", false}, {"posts", true}} {
		files, unreadable, err := markdownFiles(ctx, dir, sub.name, sub.recursive)
		if cerr := ctx.Err(); cerr != nil {
			return 0, cerr
		}
		if err != nil {
			fmt.Fprintf(h, "%s\x00%v\n", sub.name, err)
			continue
		}
		for _, p := range unreadable {
			fmt.Fprintf(h, "%v\n", p)
		}
		for _, f := range files {
			add(f)
			if b := bundleOf(f); b != "" {
				bundleFiles(dir, b, add)
			}
		}
	}
	return h.Sum64(), nil
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
