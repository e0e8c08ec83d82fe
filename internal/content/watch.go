package content

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Watch learns of changes from the file system's events (fsnotify: inotify
// on Linux), which cost nothing while nothing changes, rather than by
// looking at every file every second. A burst of events — an editor's
// save (write a temporary file, rename it over the post), a git checkout
// — is taken as one change once the directory has been quiet for
// settleDelay, or after maxDelay however long the burst. Only the files
// the events name are looked at (tree.go).
//
// Events can be missed: the kernel's queue overflows, a folder appears
// and files are written into it before it is watched, the file system
// does not report changes (some network and container mounts), or the
// watches run out. So every safetyInterval, and at once after an
// overflow, every file is looked at again (its size and modification
// time); when events cannot be had at all, that is done every interval
// given to Watch instead.

const (
	settleDelay = 15 * time.Millisecond
	maxDelay    = 150 * time.Millisecond
	// safetyInterval is how often every file is looked at while events
	// are watched.
	safetyInterval = 30 * time.Second
)

// newFileWatcher starts watching for events; tests replace it to take
// the fallback.
var newFileWatcher = fsnotify.NewWatcher

// changes is what a burst of events named: site.yaml, the authors folder,
// files and folders under posts/, or everything.
type changes struct {
	all, config, authors bool
	posts                map[string]bool // paths under posts/, relative to the content directory
}

// add notes the file or folder rel (slash-separated, relative to the
// content directory) as changed. Hidden files and folders, which are
// never loaded, are left out: an editor's swap file changes nothing.
func (c *changes) add(rel string) {
	if rel == "." || rel == "" {
		c.all = true
		return
	}
	for _, seg := range strings.Split(rel, "/") {
		if strings.HasPrefix(seg, ".") {
			return
		}
	}
	switch {
	case rel == configFile:
		c.config = true
	case rel == "authors" || strings.HasPrefix(rel, "authors/"):
		c.authors = true
	case rel == "posts" || strings.HasPrefix(rel, "posts/"):
		if c.posts == nil {
			c.posts = make(map[string]bool)
		}
		c.posts[rel] = true
	}
}

func (c *changes) any() bool { return c.all || c.config || c.authors || len(c.posts) > 0 }

// postRoots turns the changed paths under posts/ into what to look at
// again: the page bundle a file belongs to (a photo changed: its post is
// read again; an index.md appeared: the folder becomes one post), else
// the file or folder itself.
func (t *tree) postRoots(changed map[string]bool) []string {
	var roots []string
	for rel := range changed {
		if rel == "posts" {
			return []string{"posts"}
		}
		root := rel
		if path.Base(rel) == bundleIndex && path.Dir(rel) != "posts" {
			root = path.Dir(rel)
		}
		for d := path.Dir(root); d != "posts" && d != "."; d = path.Dir(d) {
			index := d + "/" + bundleIndex
			if info, err := os.Stat(filepath.Join(t.dir, filepath.FromSlash(index))); t.posts[index] != nil || err == nil && info.Mode().IsRegular() {
				root = d
			}
		}
		roots = append(roots, root)
	}
	return roots
}

// Watch follows the changes of the content directory and loads what
// changed, until ctx is done: by the file system's events, or, when they
// cannot be had, by looking at every file every interval (a second when
// interval is not positive). A reload that fails keeps the previous Site
// serving and is logged.
func (s *Source) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	w, err := s.watchEvents()
	if err != nil {
		s.log.Warn("cannot watch the content directory for changes; looking at every file instead", "dir", s.dir, "every", interval, "err", err)
		if s.watching != nil {
			s.watching()
		}
		s.poll(ctx, interval)
		return
	}
	defer w.Close()
	// What changed between the load and the first watch.
	s.Reload(ctx)
	if s.watching != nil {
		s.watching()
	}

	safety := time.NewTicker(safetyInterval)
	defer safety.Stop()
	settle := time.NewTimer(0)
	<-settle.C
	var (
		pending changes
		first   time.Time // of the pending burst
	)
	note := func() {
		now := time.Now()
		if first.IsZero() {
			first = now
		}
		settle.Reset(max(0, min(settleDelay, first.Add(maxDelay).Sub(now))))
	}
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-w.Events:
			if !ok {
				s.poll(ctx, interval)
				return
			}
			if ev.Has(fsnotify.Create) {
				if info, err := os.Lstat(ev.Name); err == nil && info.IsDir() {
					if err := s.watchTree(w, ev.Name); err != nil {
						s.log.Warn("cannot watch a new folder; its changes are seen by the periodic check", "dir", ev.Name, "err", err)
					}
				}
			}
			rel, err := filepath.Rel(s.dir, ev.Name)
			if err != nil {
				pending.all = true
			} else {
				pending.add(filepath.ToSlash(rel))
			}
			if pending.any() {
				note()
			}
		case err, ok := <-w.Errors:
			if !ok {
				s.poll(ctx, interval)
				return
			}
			if !errors.Is(err, fsnotify.ErrEventOverflow) {
				s.log.Warn("watching the content directory", "dir", s.dir, "err", err)
			}
			pending.all = true // events may have been lost
			note()
		case <-settle.C:
			s.apply(ctx, pending)
			pending, first = changes{}, time.Time{}
		case <-safety.C:
			s.Reload(ctx)
		}
	}
}

// poll looks at every file every interval until ctx is done.
func (s *Source) poll(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Reload(ctx)
		}
	}
}

// watchEvents starts a watcher on the content directory, its authors
// folder and every folder under posts/.
func (s *Source) watchEvents() (*fsnotify.Watcher, error) {
	w, err := newFileWatcher()
	if err != nil {
		return nil, err
	}
	if err := w.Add(s.dir); err != nil {
		w.Close()
		return nil, err
	}
	for _, sub := range []string{"authors", "posts"} {
		if err := s.watchTree(w, filepath.Join(s.dir, sub)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.Close()
			return nil, err
		}
	}
	return w, nil
}

// watchTree watches the folder root and every folder below it but hidden
// ones.
func (s *Source) watchTree(w *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable folder is reported by the load
		}
		if !d.IsDir() {
			return nil
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		return w.Add(p)
	})
}
