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
//	duplicates        index: 16 bytes of SHA-256(clientaddr.Key(IP), 0x00,
//	                  body) + time key +
//	                  8-byte ID → empty, for comments with an IP created at
//	                  or after meta's duplicates_from
//	sources           index: imported comment's source → 8-byte ID
//	threads           index: post slug + 0x00 + 8-byte Thread → 8-byte count
//	                  of the thread's approved comments
//	post_threads      index: post slug → 8-byte count of its keys in threads
//	thread_comments   index: post slug + 0x00 + 8-byte Thread + 8-byte ID →
//	                  empty, approved comments (a page's comments)
//	held_by           index: commenter id + 0x00 + post slug + 0x00 + 8-byte
//	                  ID → empty, pending comments with a commenter id
//	reply_counts      index: 8-byte parent ID → 8-byte count of its approved
//	                  replies
//	post_approved     index: post slug + 0x00 + time key + 8-byte ID → empty,
//	                  approved comments (a post's comment feed)
//	approved          index: time key + 8-byte ID → empty, approved comments
//	                  (the site's comment feed)
//	bans              kind ("email", "ip") + 0x00 + value → ban as JSON
//	actions           8-byte sequence → audit log entry as JSON
//	action_kinds      index: kind + 0x00 + 8-byte ID → empty, every audit
//	                  log entry (the log's filter by kind)
//	action_counts     index: kind → 8-byte count of its audit log entries
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
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
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
// of a version 1 database from its comments. Version 3 added each comment's
// Thread and the thread indexes a page of comments is read through
// (threads, post_threads, thread_comments, held_by, reply_counts,
// post_approved) and the approved index of the site's comment feed; Open
// fills in the one and builds the others. Version 4 keys duplicates by the
// writer's address group (an IPv6 /64) instead of the exact address, and
// adds the index of the audit log by kind (action_kinds, action_counts);
// Open rebuilds the indexes. Version 5 adds the writer roles (contributor,
// author, editor), disabled accounts and invites (one-time tokens for no
// user yet); nothing is rewritten, and a moderator stays a moderator, but
// an older Milepost must refuse the file: it would let a disabled account
// sign in. Version 6 adds the web editor's post_revisions and trash
// (history.go), which Open creates empty. Version 7 adds the draft preview
// links, preview_links and post_preview_links (previewlinks.go), which Open
// creates empty. Version 8 adds the editors' review of posts, post_reviews
// (review.go), which Open creates empty; an older Milepost would neither
// show the queue nor end a deleted post's review. Version 9 adds a draft's
// moves under way, post_moves, and whether a post's kept versions were
// ever out, post_published (moves.go), which Open creates empty: a
// history kept before is read once when first asked about; an older
// Milepost would keep versions that were out without saying so. Version 10
// adds the outbox of outgoing work (outbox.go), what subscribers were told
// of each post (publication.go), email subscribers (subscriptions.go) and
// the fediverse's followers, keys and replies (federation.go), which Open
// creates empty; the first start records the site as already announced, so
// an upgraded site sends nothing for the posts it had. An older Milepost
// must refuse the file: it would publish, edit and delete posts without
// telling subscribers or followers, and answer no unsubscribe. Version 11
// keys the index of the fediverse's likes and boosts, fed_post_reactions,
// by the account that made each rather than by its activity id, so an
// account counts once however many Likes it sends; Open builds it again
// and forgets an account's extra reactions. An older Milepost would read
// the new keys wrongly. Version 12 adds the weekly email digest: the
// subscription scope "digest", meta's digest_last (subscriptions.go) and
// when each post was first told public in announced (publication.go);
// nothing is rewritten (a post told before has no such time, and counts
// from its date), and moderators' bans of a fediverse account or server
// (ban kind "fediverse") with the account kept on its comments (a
// comment's "actor"). An older Milepost must refuse the file: it would
// send no digest to the readers who asked for one, its Check would call
// their subscriptions and those bans damaged, it would let the banned
// accounts in, and it would drop a comment's account when it wrote the
// comment again.
const SchemaVersion = 12

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
		bucketThreads, bucketPostThreads, bucketThreadComments, bucketHeldBy, bucketReplies, bucketPostApproved, bucketApproved,
		bucketKnown, bucketDups, bucketSources, bucketBans, bucketActions, bucketActionKinds, bucketActionCounts,
		bucketClosures, bucketSecrets, bucketRevisions, bucketTrash, bucketPreviewLinks, bucketPostPreviewLinks,
		bucketReviews, bucketMoves, bucketPublished,
		// The outbox, announcements and email subscriptions (outbox.go,
		// publication.go, subscriptions.go).
		bucketOutbox, bucketOutboxDead, bucketOutboxKeys, bucketOutboxDue, bucketOutboxCounts, bucketAnnounced,
		bucketSubscribers, bucketSubscriberScopes, bucketNotified,
		// Federation (federation.go).
		bucketFedKeys, bucketFedFollowers, bucketFedRemoteActors, bucketFedSeen, bucketFedSeenTimes, bucketFedNotes,
		bucketFedReactions, bucketFedPostReactions, bucketFedArticleActors, bucketFedBlocks}
	derivedBuckets = [][]byte{bucketIndex, bucketCounts, bucketHeld, bucketRecent, bucketKnown, bucketDups, bucketSources,
		bucketThreads, bucketPostThreads, bucketThreadComments, bucketHeldBy, bucketReplies, bucketPostApproved, bucketApproved}

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
	bolt    *bbolt.DB
	path    string
	commits committer // readers' comments, committed in groups
}

// The compile-time proof that DB is what the rest of Milepost uses.
var _ comments.Store = (*DB)(nil)

// ErrDamaged is matched (with errors.Is) by the error Open returns for a
// file that exists but is not a whole database.
var ErrDamaged = errors.New("database is damaged")

// damagedError is one line naming the file, what is wrong with it and what
// the operator can do, for a tool to print as it is.
type damagedError struct{ path, what string }

func (e *damagedError) Error() string {
	return fmt.Sprintf("database %s is damaged (%s): restore it from a backup, or move it away to start afresh with no comments, accounts or keys",
		e.path, e.what)
}

func (e *damagedError) Is(target error) bool { return target == ErrDamaged }

// Open opens the database at path, creating it (and its directory) when
// missing. It fails after about a second, with an error matching ErrInUse,
// when another process holds the file, and with one matching ErrDamaged
// when the file exists but is not a whole database: empty (bbolt would
// quietly make a new database of it, and the site would lose everything),
// shorter than its own header says (a truncated copy), or unreadable.
func Open(ctx context.Context, path string) (*DB, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("creating the database's directory: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	case fi.IsDir():
		return nil, fmt.Errorf("opening database %s: it is a directory, not a file", path)
	case fi.Size() == 0:
		return nil, &damagedError{path: path, what: "the file is empty"}
	default:
		if err := checkLength(path, fi.Size()); err != nil {
			return nil, err
		}
	}
	var b *bbolt.DB
	err = guard(func() (err error) {
		b, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockTimeout})
		return err
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, &inUseError{path: path}
	}
	if errors.Is(err, errFault) {
		return nil, &damagedError{path: path, what: err.Error()}
	}
	if err != nil {
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	db := &DB{bolt: b, path: path}
	if err := guard(db.init); err != nil {
		b.Close()
		if errors.Is(err, errFault) {
			return nil, &damagedError{path: path, what: err.Error()}
		}
		return nil, fmt.Errorf("opening database %s: %w", path, err)
	}
	return db, nil
}

// checkLength compares an existing file's size with the size its header
// says the database has, before anything reads the pages: bbolt maps the
// file into memory, and reading a page past the end of a truncated file is
// a memory fault that no error check catches. The file is opened read-only,
// which reads only the header.
func checkLength(path string, size int64) error {
	var b *bbolt.DB
	err := guard(func() (err error) {
		b, err = bbolt.Open(path, 0o600, &bbolt.Options{Timeout: lockTimeout, ReadOnly: true})
		return err
	})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return &inUseError{path: path}
	case err != nil:
		return &damagedError{path: path, what: "unreadable header: " + err.Error()}
	}
	defer b.Close()
	var want int64
	if err := b.View(func(tx *bbolt.Tx) error { want = tx.Size(); return nil }); err != nil {
		return &damagedError{path: path, what: "unreadable header: " + err.Error()}
	}
	if size < want {
		return &damagedError{path: path, what: fmt.Sprintf("the file has %d bytes, but its header says %d: it was cut short", size, want)}
	}
	return nil
}

// errFault is matched by guard's error for a fault or panic in bbolt.
var errFault = errors.New("unreadable page")

// guard runs fn, turning a memory fault (a read past the end of a damaged
// file) or a panic (bbolt finding a page that makes no sense) into an error
// matching errFault, instead of a crash with a stack trace. A bbolt.Open cut
// short this way cannot be closed, and keeps its file open and locked until
// the process ends; the caller is about to report the damage and stop.
func guard(fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errFault, r)
		}
	}()
	return fn()
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
		if version < 4 {
			// Version 1 had only post_comments and post_counts, version 2
			// no threads, version 3 duplicates keyed by the exact address:
			// give every comment its Thread and build every index again
			// from the comments.
			if err := reindex(tx); err != nil {
				return fmt.Errorf("upgrading the database from schema version %d: %w", version, err)
			}
			if err := reindexActions(tx); err != nil {
				return fmt.Errorf("upgrading the database from schema version %d: %w", version, err)
			}
		}
		if version < 11 {
			if err := reindexReactions(tx); err != nil {
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
	tx                                 *bbolt.Tx // for the buckets bucket finds by name
	comments, index, counts, meta      *bbolt.Bucket
	held, recent, known, dups, sources *bbolt.Bucket
	bans, actions, closures, secrets   *bbolt.Bucket
}

func bucketsOf(tx *bbolt.Tx) buckets {
	return buckets{
		tx:       tx,
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
	if bk := b.tx.Bucket(name); bk != nil {
		return bk
	}
	panic("bolt: no bucket " + string(name))
}
