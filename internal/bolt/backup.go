package bolt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/atomicfile"
)

// Backup writes a consistent copy of the whole database file to w while it
// goes on serving, and returns the number of bytes written. The copy holds
// the secrets too: keep it as private as the database.
//
// The copy is first written to a temporary file beside the database, in
// one read transaction that lasts only as long as a local file write; the
// transaction has ended before the first byte goes to w. So a reader of w
// that is slow, or stops reading altogether, holds up nothing else: a read
// transaction left open would make every write that must grow the file
// wait for it, and every read queue behind that write. It takes as much
// free disk space as the database is large, for as long as the copy to w
// lasts; the temporary file is removed as soon as it is written where the
// system allows (so not even a crash leaves it behind), else afterwards.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	snap, err := db.snapshot(ctx)
	if err != nil {
		return 0, fmt.Errorf("backing up database %s: %w", db.path, err)
	}
	defer snap.Close()
	n, err := io.Copy(w, snap)
	if err != nil {
		return n, fmt.Errorf("backing up database %s: %w", db.path, err)
	}
	return n, nil
}

// snapshot is a consistent copy of the database in a temporary file, read
// from its start.
type snapshot struct {
	*os.File
	removed bool
}

// Close closes the file and removes it if that was not possible earlier.
func (s *snapshot) Close() error {
	err := s.File.Close()
	if !s.removed {
		if rerr := os.Remove(s.Name()); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

// snapshot copies the database into a temporary file in its directory (the
// same file system, and the same privacy as the database) in one read
// transaction.
func (db *DB) snapshot(ctx context.Context) (_ *snapshot, err error) {
	f, err := os.CreateTemp(filepath.Dir(db.path), "."+filepath.Base(db.path)+".backup-*.tmp")
	if err != nil {
		return nil, fmt.Errorf("creating the snapshot file: %w", err)
	}
	snap := &snapshot{File: f}
	defer func() {
		if err != nil {
			snap.Close()
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return nil, fmt.Errorf("making the snapshot file private: %w", err)
	}
	// An open file outlives its name on Unix; elsewhere Close removes it.
	snap.removed = os.Remove(f.Name()) == nil
	err = db.view(ctx, func(tx *bbolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("writing the snapshot file: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("rewinding the snapshot file: %w", err)
	}
	return snap, nil
}

// BackupFile writes a consistent copy of the database to path, readable by
// its owner only, and returns its size. path is replaced whole or not at
// all (see atomicfile.Write). It refuses to overwrite the database itself.
func (db *DB) BackupFile(ctx context.Context, path string) (int64, error) {
	if same, err := db.IsDatabaseFile(path); err != nil {
		return 0, fmt.Errorf("backing up database to %s: %w", path, err)
	} else if same {
		return 0, fmt.Errorf("backing up database to %s: that is the database itself", path)
	}
	var n int64
	err := atomicfile.Write(path, 0o600, func(w io.Writer) error {
		// A local file is written at disk speed, so the read transaction
		// is short.
		return db.view(ctx, func(tx *bbolt.Tx) error {
			var err error
			n, err = tx.WriteTo(w)
			return err
		})
	})
	if err != nil {
		return 0, fmt.Errorf("backing up database to %s: %w", path, err)
	}
	return n, nil
}

// IsDatabaseFile reports whether path names the database's own file, by
// another name too, which no export or backup may overwrite. A path that
// does not exist is not it.
func (db *DB) IsDatabaseFile(path string) (bool, error) {
	fp, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fd, err := os.Stat(db.path)
	if err != nil {
		return false, err
	}
	return os.SameFile(fp, fd), nil
}
