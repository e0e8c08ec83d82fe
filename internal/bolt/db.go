// Package bolt keeps Milepost's comments in a single bbolt file. It is the
// only package that knows about bbolt; everything else sees a comments.Store.
//
// Layout, all in one file. The comments are the record; the buckets marked
// "index" are derived from them and can be rebuilt from them:
//
//	comments          8-byte big-endian ID → comment as JSON
//	post_comments     index: post slug + 0x00 + 8-byte ID → empty (ByPost)
//	post_counts       index: post slug → 8-byte count of approved comments
//	held              index: time key + 8-byte ID → empty, pending comments
//	recent            index: time key + 8-byte ID → empty, every comment
//	known_commenters  index: 'e' + SHA-256 of the email in lower case, or
//	                  'c' + commenter id → 8-byte count of approved comments
//	duplicates        index: 16 bytes of SHA-256(IP, 0x00, body) + time key +
//	                  8-byte ID → empty, for comments with an IP created at
//	                  or after meta's duplicates_from
//	sources           index: imported comment's source → 8-byte ID
//	bans              kind ("email", "ip") + 0x00 + value → ban as JSON
//	actions           8-byte sequence → audit log entry as JSON
//	closures          post slug → a moderator's close or reopen as JSON
//	secrets           name → 32 random bytes (see Secret)
//	meta              "schema_version" → decimal text; "seeded" → RFC 3339
//	                  time; "duplicates_from" → time key
//
// A time key is 8 bytes of Unix seconds with the sign bit flipped and 4 of
// nanoseconds, so that byte order is time order.
//
// Every write changes the comment, all the indexes and the audit entry that
// records it in one transaction, so they can never disagree; Check proves it.
package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"milepost/internal/comments"
)

// SchemaVersion is the layout this package reads and writes. A database with
// a newer one was written by a newer Milepost, and is refused rather than
// misread.
//
// Version 2 added the held, recent, known_commenters, duplicates, sources,
// bans, actions, closures and secrets buckets; Open builds the new indexes
// of a version 1 database from its comments.
const SchemaVersion = 2

// lockTimeout is how long Open waits for another process to release the
// file. bbolt's default is to wait for ever, which turns a second milepost
// started by mistake into a silent hang.
const lockTimeout = time.Second

var (
	bucketComments = []byte("comments")
	bucketIndex    = []byte("post_comments")
	bucketCounts   = []byte("post_counts")
	bucketMeta     = []byte("meta")
	bucketHeld     = []byte("held")
	bucketRecent   = []byte("recent")
	bucketKnown    = []byte("known_commenters")
	bucketDups     = []byte("duplicates")
	bucketSources  = []byte("sources")
	bucketBans     = []byte("bans")
	bucketActions  = []byte("actions")
	bucketClosures = []byte("closures")
	bucketSecrets  = []byte("secrets")

	// allBuckets are created by Open; derivedBuckets are the indexes that
	// reindex rebuilds from the comments.
	allBuckets = [][]byte{bucketComments, bucketIndex, bucketCounts, bucketMeta, bucketHeld, bucketRecent,
		bucketKnown, bucketDups, bucketSources, bucketBans, bucketActions, bucketClosures, bucketSecrets}
	derivedBuckets = [][]byte{bucketIndex, bucketCounts, bucketHeld, bucketRecent, bucketKnown, bucketDups, bucketSources}

	keySchemaVersion = []byte("schema_version")
	keySeeded        = []byte("seeded")
	keyDupsFrom      = []byte("duplicates_from")
)

// ErrInUse is matched (with errors.Is) by the error Open returns when another
// process has the database open.
var ErrInUse = errors.New("database is in use by another process")

// inUseError names the file, and suggests the usual cause.
type inUseError struct{ path string }

func (e *inUseError) Error() string {
	return fmt.Sprintf("database %s is in use by another process (is another milepost running?)", e.path)
}

func (e *inUseError) Is(target error) bool { return target == ErrInUse }

// DB is an open comments database. It is safe for concurrent use.
type DB struct {
	bolt *bbolt.DB
	path string
}

// The compile-time proof that DB is what the rest of Milepost uses.
var _ comments.Store = (*DB)(nil)

// Open opens the database at path, creating it (and its directory) when
// missing. It fails after about a second, with an error matching ErrInUse,
// when another process holds the file.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating the database's directory: %w", err)
	}
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, &inUseError{path: path}
	}
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path}
	if err := db.init(); err != nil {
		b.Close()
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	return db, nil
}

// init checks the schema version, creates whatever buckets are missing and
// upgrades an older layout. The version is read first so that a newer
// database is left exactly as it was.
func (db *DB) init() error {
	return db.bolt.Update(func(tx *bbolt.Tx) error {
		version := SchemaVersion // a new file
		if meta := tx.Bucket(bucketMeta); meta != nil {
			if v := meta.Get(keySchemaVersion); v != nil {
				n, err := strconv.Atoi(string(v))
				if err != nil || n < 1 {
					return fmt.Errorf("unreadable schema version %q", v)
				}
				if n > SchemaVersion {
					return fmt.Errorf("schema version %d is newer than this milepost understands (%d); upgrade milepost or use a copy of the database it wrote",
						n, SchemaVersion)
				}
				version = n
			}
		}
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("creating bucket %s: %w", name, err)
			}
		}
		if version < 2 {
			// Version 1 had only post_comments and post_counts: build
			// every index again from the comments.
			if err := reindex(tx); err != nil {
				return fmt.Errorf("upgrading the database from schema version %d: %w", version, err)
			}
		}
		meta := tx.Bucket(bucketMeta)
		if string(meta.Get(keySchemaVersion)) != strconv.Itoa(SchemaVersion) {
			if err := meta.Put(keySchemaVersion, []byte(strconv.Itoa(SchemaVersion))); err != nil {
				return fmt.Errorf("recording schema version: %w", err)
			}
		}
		return nil
	})
}

// Close closes the database, waiting for transactions in progress.
func (db *DB) Close() error {
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("closing database %s: %w", db.path, err)
	}
	return nil
}

// Path is the file the database lives in.
func (db *DB) Path() string { return db.path }

// update and view refuse to start a transaction for a cancelled request:
// bbolt transactions cannot be interrupted, so that is the last chance.
func (db *DB) update(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.Update(fn)
}

func (db *DB) view(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.bolt.View(fn)
}

// buckets are a transaction's buckets, which init guarantees exist.
type buckets struct {
	comments, index, counts, meta      *bbolt.Bucket
	held, recent, known, dups, sources *bbolt.Bucket
	bans, actions, closures, secrets   *bbolt.Bucket
}

func bucketsOf(tx *bbolt.Tx) buckets {
	return buckets{
		comments: tx.Bucket(bucketComments),
		index:    tx.Bucket(bucketIndex),
		counts:   tx.Bucket(bucketCounts),
		meta:     tx.Bucket(bucketMeta),
		held:     tx.Bucket(bucketHeld),
		recent:   tx.Bucket(bucketRecent),
		known:    tx.Bucket(bucketKnown),
		dups:     tx.Bucket(bucketDups),
		sources:  tx.Bucket(bucketSources),
		bans:     tx.Bucket(bucketBans),
		actions:  tx.Bucket(bucketActions),
		closures: tx.Bucket(bucketClosures),
		secrets:  tx.Bucket(bucketSecrets),
	}
}

// bucket returns the one of b named name.
func (b buckets) bucket(name []byte) *bbolt.Bucket {
	switch string(name) {
	case string(bucketIndex):
		return b.index
	case string(bucketCounts):
		return b.counts
	case string(bucketHeld):
		return b.held
	case string(bucketRecent):
		return b.recent
	case string(bucketKnown):
		return b.known
	case string(bucketDups):
		return b.dups
	case string(bucketSources):
		return b.sources
	}
	panic("bolt: no bucket " + string(name))
}
