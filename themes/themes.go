// Package themes holds Milepost's default theme, embedded in the binary, and
// lets a directory on disk override any of its files.
package themes

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
)

//go:embed default
var embedded embed.FS

// Default returns the embedded default theme: templates/*.html and static/*.
func Default() fs.FS {
	sub, err := fs.Sub(embedded, "default")
	if err != nil {
		panic(err) // the directory is embedded above; this cannot fail
	}
	return sub
}

// Open returns the default theme with the files of dir laid over it: a file in
// dir replaces the embedded file of the same path, so a theme on disk needs only
// the files it changes. An empty dir returns the default theme.
//
// Nothing outside dir can be reached through the result: files are opened
// through an os.Root, so a symbolic link (or "..") in the theme that leads out
// of dir fails to open instead of serving what it points at — a theme's static
// files are public, and a link to the database or /etc/passwd must not make
// them so. Links that stay inside dir work. The Root stays open for the life of
// the process, as the theme does.
func Open(dir string) (fs.FS, error) {
	if dir == "" {
		return Default(), nil
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("opening theme: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("opening theme: %s is not a directory", dir)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening theme: %w", err)
	}
	return overlay{upper: root.FS(), lower: Default()}, nil
}

// overlay is a read-only union of two file systems, upper winning.
type overlay struct{ upper, lower fs.FS }

// Open opens name from upper, or from lower when upper has no such file. Any
// other error from upper — a link leading out of the theme directory — is
// returned, so such a file is neither served nor quietly replaced.
func (o overlay) Open(name string) (fs.File, error) {
	f, err := o.upper.Open(name)
	if err == nil {
		return f, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	return o.lower.Open(name)
}

// ReadDir merges both directories so that fs.Glob sees files from either.
func (o overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	up, upErr := fs.ReadDir(o.upper, name)
	low, lowErr := fs.ReadDir(o.lower, name)
	if upErr != nil && lowErr != nil {
		return nil, lowErr
	}
	seen := make(map[string]bool, len(up))
	out := append([]fs.DirEntry(nil), up...)
	for _, e := range up {
		seen[e.Name()] = true
	}
	for _, e := range low {
		if !seen[e.Name()] {
			out = append(out, e)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}
