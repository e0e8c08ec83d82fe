// Package atomicfile replaces files whole or not at all: a reader, or the
// file system after a crash, sees either the old file or the complete new
// one, never part of it. Exports, backups and (later) the web editor's
// content files are written through it.
package atomicfile

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Write writes path through write: into a temporary file in the same
// directory (a rename is atomic only within one file system), which is
// given perm, synced and renamed over path only when write succeeded; then
// the directory is synced, so that the rename itself survives a crash.
// Missing directories are created (0o750). On any error path is left as it
// was and the temporary file is removed.
func Write(path string, perm fs.FileMode, write func(w io.Writer) error) error {
	return replace(path, perm, write, true)
}

// Replace writes data to path as WriteFile does, atomically, but syncs
// nothing: a reader sees the old file or the new one, never part of it, yet
// after a crash the file may be the old one (or, for a new file, missing).
// For files that can be made again, such as a static build's output, where
// syncing every file would cost more than writing it.
func Replace(path string, data []byte, perm fs.FileMode) error {
	return replace(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	}, false)
}

func replace(path string, perm fs.FileMode, write func(w io.Writer) error, durable bool) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("creating directory %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("creating a temporary file beside %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close() // a second Close after the first one only errs
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return fmt.Errorf("setting the permissions of %s: %w", tmp, err)
	}
	if err := write(f); err != nil {
		return err
	}
	if durable {
		if err := f.Sync(); err != nil {
			return fmt.Errorf("syncing %s: %w", tmp, err)
		}
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replacing %s: %w", path, err)
	}
	if !durable {
		return nil
	}
	if err := SyncDir(dir); err != nil {
		return fmt.Errorf("%s is written, but %w", path, err)
	}
	return nil
}

// WriteFile is Write for data already in memory.
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	return Write(path, perm, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// SyncDir makes a directory's entries (a file created, renamed or removed in
// it) durable. Some systems cannot sync a directory; there, nothing more can
// be done, and that is not an error.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("opening directory %s to sync it: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, errors.ErrUnsupported) && !errors.Is(err, fs.ErrInvalid) {
		return fmt.Errorf("syncing directory %s: %w", dir, err)
	}
	return nil
}
