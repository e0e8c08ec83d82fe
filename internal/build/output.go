package build

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"

	"milepost/internal/atomicfile"
	"milepost/internal/web"
)

// markerFile marks a directory as a build's output. A build removes the
// files of its output that no page leads to any more, so it writes only
// into a directory that is new, empty or marked: never over a directory of
// someone's own files given by mistake.
const markerFile = ".milepost-build"

const markerText = "Made by milepost build. The next build removes every file here that the site no longer has.\n"

// output is the output directory: what a build has saved in it, and the
// counts of what it wrote.
type output struct {
	dir string
	// empty is set when the directory was new or empty: no file of it
	// need be compared or replaced, only created.
	empty bool
	// umasked is set when the process's umask takes read bits from the
	// files it creates: each file created is then given them back.
	umasked bool

	mu    sync.Mutex
	files map[string]string // saved file (slash path) → the address it holds
	dirs  sync.Map          // directories made, of string

	written, unchanged atomic.Int64
	bytes              atomic.Int64
}

func newOutput(dir string) *output {
	return &output{dir: dir, files: map[string]string{markerFile: "", stateFile: ""}}
}

// prepare makes the directory, or checks that an existing one may be built
// into, and marks it.
func (o *output) prepare() error {
	entries, err := os.ReadDir(o.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return fmt.Errorf("creating the output directory: %w", err)
		}
		o.empty = true
	case err == nil && len(entries) == 0:
		o.empty = true
	case err != nil:
		return fmt.Errorf("reading the output directory: %w", err)
	case len(entries) > 0:
		if _, err := os.Stat(filepath.Join(o.dir, markerFile)); err != nil {
			return fmt.Errorf("%s is not empty and was not made by milepost build (it has no %s): choose a new or empty directory", o.dir, markerFile)
		}
	}
	if same, err := o.holds(markerFile, []byte(markerText)); err != nil {
		return err
	} else if !same {
		if err := o.write(markerFile, []byte(markerText)); err != nil {
			return err
		}
	}
	info, err := os.Stat(o.path(markerFile))
	if err != nil {
		return fmt.Errorf("reading the output's marker: %w", err)
	}
	if info.Mode().Perm() != 0o644 {
		o.umasked = true
		if err := os.Chmod(o.path(markerFile), 0o644); err != nil {
			return fmt.Errorf("setting the permissions of the output's marker: %w", err)
		}
	}
	return nil
}

// save writes the file rel (slash-separated) holding the address uri with
// body, and — when compress is set and it is large enough to gain — its
// .gz and .br copies, each only when it differs from what the directory
// holds: a build over an earlier one rewrites only what changed. It
// returns the extensions of the copies saved.
func (o *output) save(rel, uri string, body []byte, compress bool) ([]string, error) {
	if err := o.claim(rel, uri); err != nil {
		return nil, err
	}
	o.bytes.Add(int64(len(body)))
	same, err := o.holds(rel, body)
	if err != nil {
		return nil, err
	}
	if err := o.update(rel, body, same); err != nil {
		return nil, err
	}
	if !compress || len(body) < MinCopyBytes {
		return nil, nil
	}
	for _, c := range copyCodings {
		o.mu.Lock()
		o.files[rel+c.ext] = uri
		o.mu.Unlock()
		if same && o.exists(rel+c.ext) {
			o.unchanged.Add(1)
			continue
		}
		packed, err := c.compress(body)
		if err != nil {
			return nil, fmt.Errorf("compressing %s: %w", uri, err)
		}
		if err := o.write(rel+c.ext, packed); err != nil {
			return nil, err
		}
		o.written.Add(1)
	}
	return copyExts, nil
}

// MinCopyBytes is the size below which a text file gets no compressed
// copies. A response this small goes out in one packet compressed or not
// (a packet carries some 1,400 bytes after the headers): the 8,661 empty
// comment feeds of the 10,000-post site (567 bytes; 335 gzipped, 268 with
// brotli) were a third of its files and gained nothing from theirs.
const MinCopyBytes = 1024

// copyCodings are the compressed copies saved beside each text file.
var copyCodings = []struct {
	ext      string
	compress func([]byte) ([]byte, error)
}{{".gz", web.GzipBytes}, {".br", web.BrotliBytes}}

// copyExts are copyCodings' extensions.
var copyExts = []string{".gz", ".br"}

// claim notes that rel holds uri, and fails when another address has it.
func (o *output) claim(rel, uri string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if other, ok := o.files[rel]; ok {
		return fmt.Errorf("%s and %s would both be saved as %s", other, uri, rel)
	}
	o.files[rel] = uri
	return nil
}

// keep notes that the file rel and its copies (by extension), saved by the
// last build for uri, are still the site's, as they are.
func (o *output) keep(rel string, copies []string, uri string) error {
	if err := o.claim(rel, uri); err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, ext := range copies {
		o.files[rel+ext] = uri
	}
	o.unchanged.Add(int64(1 + len(copies)))
	return nil
}

// update writes rel unless the directory holds it already (same).
func (o *output) update(rel string, body []byte, same bool) error {
	if same {
		o.unchanged.Add(1)
		return nil
	}
	if err := o.write(rel, body); err != nil {
		return err
	}
	o.written.Add(1)
	return nil
}

// write replaces rel with data whole: a static server serving the
// directory while it is built sends the old file or the new, never part.
//
// A file that is not there yet is written in place, which takes a third
// of the system calls (and of the file system's journal) of a temporary
// file renamed: a static server that serves the directory while it is
// built may send part of a page that is new in this build, which it did
// not have before. A file that is there is always replaced whole.
func (o *output) write(rel string, data []byte) error {
	// Readable by all, as the files are: a web server runs as a user of
	// its own (atomicfile would make missing directories 0o750).
	if dir := filepath.Dir(o.path(rel)); !o.made(dir) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("creating the directory of %s: %w", rel, err)
		}
		o.dirs.Store(dir, true)
	}
	created, err := o.create(rel, data)
	if err != nil || created {
		return err
	}
	if err := atomicfile.Replace(o.path(rel), data, 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", rel, err)
	}
	return nil
}

// create writes rel when it does not exist, readable by all; false when it
// does.
func (o *output) create(rel string, data []byte) (bool, error) {
	f, err := os.OpenFile(o.path(rel), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("writing %s: %w", rel, err)
	}
	if o.umasked {
		// The process's umask took bits a web server needs.
		if err := f.Chmod(0o644); err != nil {
			f.Close()
			return false, fmt.Errorf("setting the permissions of %s: %w", rel, err)
		}
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(o.path(rel))
		return false, fmt.Errorf("writing %s: %w", rel, err)
	}
	return true, nil
}

// made reports whether the directory dir was made (or found) by this
// build already. Until it is, every writer into it makes it: atomicfile
// would make it unreadable to others.
func (o *output) made(dir string) bool {
	_, ok := o.dirs.Load(dir)
	return ok
}

func (o *output) path(rel string) string { return filepath.Join(o.dir, filepath.FromSlash(rel)) }

func (o *output) exists(rel string) bool {
	info, err := os.Stat(o.path(rel))
	return err == nil && info.Mode().IsRegular()
}

// holds reports whether the file rel has exactly the bytes body: its size
// first, then its bytes, read in blocks.
func (o *output) holds(rel string, body []byte) (bool, error) {
	if o.empty {
		return false, nil
	}
	f, err := os.Open(o.path(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading %s: %w", rel, err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() || info.Size() != int64(len(body)) {
		return false, nil
	}
	buf := make([]byte, 32<<10)
	for rest := body; len(rest) > 0; {
		n, err := io.ReadFull(f, buf[:min(len(buf), len(rest))])
		if err != nil || !bytes.Equal(buf[:n], rest[:n]) {
			return false, nil
		}
		rest = rest[n:]
	}
	return true, nil
}

// removeUnlisted removes every file of the directory this build did not
// save — the pages, photos and copies of an earlier build that the site no
// longer has, and temporary files a stopped build left — then the
// directories left empty. It says how many files it removed.
func (o *output) removeUnlisted() (int, error) {
	removed := 0
	var dirs []string
	err := filepath.WalkDir(o.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(o.dir, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if rel != "." {
				dirs = append(dirs, p)
			}
			return nil
		}
		if _, ok := o.files[filepath.ToSlash(rel)]; ok {
			return nil
		}
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("removing %s, which the site no longer has: %w", rel, err)
		}
		removed++
		return nil
	})
	if err != nil {
		return removed, fmt.Errorf("clearing the output directory of old files: %w", err)
	}
	removeEmpty(dirs)
	return removed, nil
}

// removeEmpty removes those of the directories dirs that are empty,
// deepest first, so that a directory emptied of directories goes too; one
// that still holds files stays (Remove refuses it).
func removeEmpty(dirs []string) {
	slices.SortFunc(dirs, func(a, b string) int { return len(b) - len(a) })
	for _, d := range dirs {
		_ = os.Remove(d)
	}
}

// removeRecorded removes the files the last build saved (as its record
// prev says) that this one did not, then their directories left empty:
// removeUnlisted without reading the whole directory, for a directory
// whose files are all in a record.
func (o *output) removeRecorded(prev map[string]*pageRecord) (int, error) {
	removed := 0
	dirs := map[string]bool{}
	for _, pr := range prev {
		if pr.file == "" {
			continue
		}
		for _, ext := range append([]string{""}, pr.copies...) {
			rel := pr.file + ext
			if _, ok := o.files[rel]; ok {
				continue
			}
			err := os.Remove(o.path(rel))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return removed, fmt.Errorf("removing %s, which the site no longer has: %w", rel, err)
			}
			if err == nil {
				removed++
			}
			for d := filepath.Dir(o.path(rel)); d != filepath.Clean(o.dir) && len(d) > len(o.dir); d = filepath.Dir(d) {
				dirs[d] = true
			}
		}
	}
	removeEmpty(slices.Collect(maps.Keys(dirs)))
	return removed, nil
}
