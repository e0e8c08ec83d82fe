package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"milepost/internal/bolt"
)

// Hints added to the error of a command that finds the database held by
// another process, which is almost always a running `milepost serve`: the
// command-line tools need it stopped.
const (
	stopServerHint = "stop milepost serve first"
	backupHint     = "to back up a running server, download GET /admin/backup from it instead (as an admin)"
)

// openDB opens the database for a command-line tool. With mustExist, a
// missing file is an error rather than a new empty database: a mistyped -db
// should not export nothing, or list no users, and leave a stray file
// behind. hint is added to the error when another process holds the file.
func openDB(ctx context.Context, path string, mustExist bool, hint string) (*bolt.DB, error) {
	if path == "" {
		return nil, errors.New("no database file given (-db)")
	}
	if mustExist {
		fi, err := os.Stat(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("database %s does not exist (check -db)", path)
		case err != nil:
			return nil, fmt.Errorf("opening database: %w", err)
		case fi.IsDir():
			return nil, fmt.Errorf("database %s is a directory, not a file (check -db)", path)
		}
	}
	db, err := bolt.Open(ctx, path)
	if errors.Is(err, bolt.ErrInUse) && hint != "" {
		return nil, fmt.Errorf("%w; %s", err, hint)
	}
	return db, err
}

// closeDB closes db, and reports a failure to close it as the error of a
// command that otherwise succeeded: a write may not have reached the disk.
func closeDB(db *bolt.DB, err *error) {
	if cerr := db.Close(); cerr != nil && *err == nil {
		*err = cerr
	}
}
