package bolt

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
)

// olderDatabase makes a database as schema version version left it: fill
// writes into a new one, then the buckets that version did not have are
// removed and its version recorded. It returns the file's path.
func olderDatabase(t *testing.T, version int, fill func(db *DB), missing ...[]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "milepost.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	fill(db)
	db.Close()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bbolt.Tx) error {
		for _, name := range missing {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte(strconv.Itoa(version)))
	}); err != nil {
		t.Fatal(err)
	}
	return path
}

// wantUpgraded opens the older database at path twice (the upgrade is
// idempotent), with use run on each opening, and wants Check to pass and
// the schema version to be this package's after each.
func wantUpgraded(t *testing.T, path string, use func(i int, db *DB)) {
	t.Helper()
	ctx := context.Background()
	for i := range 2 {
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("opening an older database: %v", err)
		}
		use(i, db)
		if err := db.Check(ctx); err != nil {
			t.Errorf("Check after the upgrade: %v", err)
		}
		db.Close()
		if got := readMeta(t, path, keySchemaVersion); got != strconv.Itoa(SchemaVersion) {
			t.Errorf("schema_version = %q, want %d", got, SchemaVersion)
		}
	}
}
