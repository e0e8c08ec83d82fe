package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/accounts"
	"milepost/internal/comments"
)

// ErrInconsistent is matched by Check's error when the indexes disagree with
// the comments.
var ErrInconsistent = errors.New("database indexes disagree with its comments")

// maxReported bounds the problems Check spells out; the count is always given.
const maxReported = 20

// Check rebuilds every index from the comments bucket, in memory, and
// compares it with the stored one: post_comments, post_counts, held,
// recent, known_commenters, duplicates, sources, threads, post_threads,
// thread_comments, held_by, reply_counts, post_approved and approved, and
// rebuilds the audit log's index by kind (action_kinds, action_counts)
// from the log and compares it too. It
// also checks each comment's key, post, parent, depth and thread, the ID
// sequence, the schema version, that every ban, audit log entry, closure
// and secret is readable and stored under the right key, that every move
// under way is readable and every kept version that was out is noted in
// post_published, and that every
// user and session is readable, stored under the right key and complete,
// with no session outliving its user. It reads a consistent snapshot and changes nothing.
// Tests run it after every kind of write; an operator can run it on a live
// database.
func (db *DB) Check(ctx context.Context) error {
	var problems []string
	report := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		b := bucketsOf(tx)
		if v := string(b.meta.Get(keySchemaVersion)); v != strconv.Itoa(SchemaVersion) {
			report("meta: schema_version is %q, want %q", v, strconv.Itoa(SchemaVersion))
		}
		r, err := rebuild(b, report)
		if err != nil {
			return err
		}
		checkTree(r.all, report)
		if err := checkPostIndex(b, r, report); err != nil {
			return err
		}
		if err := checkCounter(b.counts, bucketCounts, "approved comments", r.counts, report); err != nil {
			return err
		}
		if err := checkCounter(b.bucket(bucketPostThreads), bucketPostThreads, "threads", r.threads, report); err != nil {
			return err
		}
		for _, name := range [][]byte{bucketHeld, bucketRecent, bucketKnown, bucketDups, bucketSources,
			bucketThreads, bucketThreadComments, bucketHeldBy, bucketReplies, bucketPostApproved, bucketApproved} {
			if err := compareIndex(b.bucket(name), name, r.want[string(name)], report); err != nil {
				return err
			}
		}
		if err := checkRecords(b, report); err != nil {
			return err
		}
		if err := checkActionIndex(b, report); err != nil {
			return err
		}
		if err := checkHistory(tx, report); err != nil {
			return err
		}
		if err := checkReviews(tx, report); err != nil {
			return err
		}
		if err := checkPreviewLinks(tx, report); err != nil {
			return err
		}
		if err := checkMovesAndPublished(tx, report); err != nil {
			return err
		}
		checkAccountTokens(tx, report)
		// The outbox, announcements and email subscriptions.
		if err := checkOutbox(tx, report); err != nil {
			return err
		}
		if err := checkAnnounced(tx, report); err != nil {
			return err
		}
		// Federation.
		if err := checkFederation(tx, report); err != nil {
			return err
		}
		if err := checkSubscribers(tx, report); err != nil {
			return err
		}
		return checkAccounts(tx, report)
	})
	if err != nil {
		return fmt.Errorf("checking database: %w", err)
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems) // map order would make the report differ run to run
	total := len(problems)
	if total > maxReported {
		problems = append(problems[:maxReported], fmt.Sprintf("and %d more", total-maxReported))
	}
	return fmt.Errorf("checking database: %w: %d problem(s):\n\t%s", ErrInconsistent, total, strings.Join(problems, "\n\t"))
}

// rebuilt is what Check derives from the comments bucket.
type rebuilt struct {
	all map[uint64]comments.Comment
	// index holds the post_comments keys; counts and threads the
	// post_counts and post_threads counters by post.
	index           map[string]bool
	counts, threads map[string]uint64
	// want holds the other indexes as entriesOf defines them.
	want map[string]map[string][]byte
}

// rebuild reads every comment, reporting those that cannot be read or
// belong to no post, and builds the indexes they define.
func rebuild(b buckets, report func(string, ...any)) (rebuilt, error) {
	r := rebuilt{all: map[uint64]comments.Comment{}, index: map[string]bool{}, counts: map[string]uint64{},
		threads: map[string]uint64{}, want: map[string]map[string][]byte{}}
	dupsFrom := b.meta.Get(keyDupsFrom)
	if dupsFrom != nil && len(dupsFrom) != timeKeyLen {
		report("meta: duplicates_from %x is not a %d-byte time", dupsFrom, timeKeyLen)
		dupsFrom = nil
	}
	sourceOwner := map[string]uint64{}
	seq := b.comments.Sequence()
	err := b.comments.ForEach(func(k, v []byte) error {
		id, err := keyID(k)
		if err != nil {
			report("comments: %v", err)
			return nil
		}
		c, err := getComment(b, id)
		if err != nil {
			report("comments: %v", err)
			return nil
		}
		if c.ID != id {
			report("comments: key %d holds comment %d", id, c.ID)
		}
		if id > seq {
			report("comments: id %d is above the sequence %d, so Add could reuse it", id, seq)
		}
		if err := checkPost(c.Post); err != nil {
			report("comments: comment %d: %v", id, err)
			return nil
		}
		r.all[id] = c
		r.index[string(indexKey(c.Post, id))] = true
		if !c.Status.Known() {
			report("comments: comment %d has unknown status %q", id, c.Status)
		}
		if c.Source != "" {
			if other, dup := sourceOwner[c.Source]; dup {
				report("comments: comments %d and %d have the same source %q", min(id, other), max(id, other), c.Source)
			}
			sourceOwner[c.Source] = id
		}
		r.add(&c, dupsFrom)
		return nil
	})
	return r, err
}

// add adds the index entries of c.
func (r *rebuilt) add(c *comments.Comment, dupsFrom []byte) {
	for _, e := range entriesOf(c, dupsFrom) {
		name := string(e.bucket)
		switch name {
		case string(bucketIndex):
			continue // the same set as r.index
		case string(bucketCounts):
			r.counts[c.Post]++
			continue
		}
		m := r.want[name]
		if m == nil {
			m = map[string][]byte{}
			r.want[name] = m
		}
		if !e.count {
			m[string(e.key)] = e.value
			continue
		}
		n, _ := readCount(m[string(e.key)])
		if n == 0 && name == string(bucketThreads) {
			r.threads[c.Post]++
		}
		m[string(e.key)] = countValue(n + 1)
	}
}

// checkTree checks each comment's depth and thread against its parent's.
// A reply whose parent was deleted is shown where the parent was, and
// keeps the thread it was in.
func checkTree(all map[uint64]comments.Comment, report func(string, ...any)) {
	for id, c := range all {
		if c.Parent == 0 {
			if c.Depth != 0 {
				report("comments: top-level comment %d has depth %d", id, c.Depth)
			}
			if c.Thread != id {
				report("comments: top-level comment %d has thread %d", id, c.Thread)
			}
			continue
		}
		p, ok := all[c.Parent]
		if !ok {
			if c.Thread == 0 {
				report("comments: comment %d has no thread", id)
			}
			continue
		}
		if p.Post != c.Post {
			report("comments: comment %d on %q replies to %d on %q", id, c.Post, p.ID, p.Post)
		}
		if c.Depth != p.Depth+1 {
			report("comments: comment %d has depth %d, its parent %d has depth %d", id, c.Depth, p.ID, p.Depth)
		}
		if want := comments.ThreadOf(id, &p); c.Thread != want {
			report("comments: comment %d has thread %d, its parent %d is in thread %d", id, c.Thread, p.ID, want)
		}
	}
}

// checkPostIndex compares post_comments with the comments.
func checkPostIndex(b buckets, r rebuilt, report func(string, ...any)) error {
	want := maps.Clone(r.index)
	err := b.index.ForEach(func(k, _ []byte) error {
		post, id, err := splitIndexKey(k)
		switch {
		case err != nil:
			report("post_comments: %v", err)
		case !want[string(k)]:
			if c, ok := r.all[id]; ok {
				report("post_comments: entry for comment %d under post %q, but it is on %q", id, post, c.Post)
			} else {
				report("post_comments: entry for comment %d under post %q, which does not exist", id, post)
			}
		default:
			delete(want, string(k))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for k := range want {
		post, id, _ := splitIndexKey([]byte(k))
		report("post_comments: no entry for comment %d on post %q", id, post)
	}
	return nil
}

// checkCounter compares a bucket of per-post counters (post_counts,
// post_threads) with the counts rebuilt from the comments.
func checkCounter(bk *bbolt.Bucket, name []byte, what string, want map[string]uint64, report func(string, ...any)) error {
	want = maps.Clone(want)
	err := bk.ForEach(func(k, v []byte) error {
		n, err := readCount(v)
		if err != nil {
			report("%s: post %q: %v", name, k, err)
		} else if w := want[string(k)]; n != w {
			report("%s: post %q has count %d, but %d %s", name, k, n, w, what)
		}
		delete(want, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for post, n := range want {
		report("%s: no count for post %q, which has %d %s", name, post, n, what)
	}
	return nil
}

// compareIndex reports every difference between a stored index and the one
// rebuilt from the comments.
func compareIndex(bk *bbolt.Bucket, name []byte, want map[string][]byte, report func(string, ...any)) error {
	err := bk.ForEach(func(k, v []byte) error {
		w, ok := want[string(k)]
		switch {
		case !ok:
			report("%s: stale entry %s, which no comment accounts for", name, describeEntry(name, k))
		case !bytes.Equal(v, w):
			report("%s: entry %s is %s, want %s", name, describeEntry(name, k), describeValue(name, v), describeValue(name, w))
		}
		delete(want, string(k))
		return nil
	})
	if err != nil {
		return err
	}
	for k := range want {
		report("%s: no entry %s", name, describeEntry(name, []byte(k)))
	}
	return nil
}

// describeEntry names an index entry in Check's report.
func describeEntry(name, k []byte) string {
	switch string(name) {
	case string(bucketHeld), string(bucketRecent), string(bucketApproved):
		t, id, err := splitTimeIDKey(k)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("for comment %d (created %s)", id, t.Format(time.RFC3339Nano))
	case string(bucketDups):
		id, err := splitDupKey(k)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("for comment %d", id)
	case string(bucketKnown):
		return "for " + describeKnownKey(k)
	case string(bucketReplies):
		if id, err := keyID(k); err == nil {
			return fmt.Sprintf("for replies to comment %d", id)
		}
	case string(bucketThreads), string(bucketThreadComments), string(bucketHeldBy), string(bucketPostApproved):
		return fmt.Sprintf("%q", k)
	case string(bucketSources):
		return fmt.Sprintf("for source %q", k)
	}
	return fmt.Sprintf("%x", k)
}

// describeValue spells out an index value in Check's report.
func describeValue(name, v []byte) string {
	switch string(name) {
	case string(bucketKnown), string(bucketThreads), string(bucketReplies):
		n, err := readCount(v)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("count %d", n)
	case string(bucketSources):
		id, err := keyID(v)
		if err != nil {
			return err.Error()
		}
		return fmt.Sprintf("comment %d", id)
	}
	return fmt.Sprintf("%x", v)
}

// checkRecords checks the buckets that are records rather than indexes:
// each must decode and sit under the key its content gives.
func checkRecords(b buckets, report func(string, ...any)) error {
	err := b.bans.ForEach(func(k, v []byte) error {
		var ban comments.Ban
		if err := json.Unmarshal(v, &ban); err != nil {
			report("bans: %q: %v", k, err)
			return nil
		}
		if norm, err := comments.NormalizeBan(ban.Kind, ban.Value); err != nil {
			report("bans: %q: %v", k, err)
		} else if !bytes.Equal(k, banKey(ban.Kind, norm)) {
			report("bans: key %q holds the ban on %s %s", k, ban.Kind, ban.Value)
		}
		return nil
	})
	if err != nil {
		return err
	}
	seq := b.actions.Sequence()
	err = b.actions.ForEach(func(k, v []byte) error {
		id, err := keyID(k)
		if err != nil {
			report("actions: %v", err)
			return nil
		}
		var a comments.Action
		if err := json.Unmarshal(v, &a); err != nil {
			report("actions: entry %d: %v", id, err)
			return nil
		}
		if a.ID != id {
			report("actions: key %d holds entry %d", id, a.ID)
		}
		if id > seq {
			report("actions: entry %d is above the sequence %d", id, seq)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = b.closures.ForEach(func(k, v []byte) error {
		var cl comments.Closure
		if err := json.Unmarshal(v, &cl); err != nil {
			report("closures: %q: %v", k, err)
		} else if cl.Post != string(k) {
			report("closures: key %q holds the closure of %q", k, cl.Post)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return b.secrets.ForEach(func(k, v []byte) error {
		if len(v) != secretLen {
			report("secrets: %q is %d bytes, want %d", k, len(v), secretLen)
		}
		return nil
	})
}

// checkAccounts checks the account buckets, which a database gets only with
// its first user; a missing one is empty. Each user must decode, sit under
// its lowercased name, and have a valid role and a password hash; no two
// users may have one author profile. Each session must sit under a SHA-256
// sum, decode, and belong to a user that exists and is not disabled: the
// user and its sessions are deleted (or disabled) together, so an orphan
// means a lost write. Expired sessions are fine; they are pruned later.
func checkAccounts(tx *bbolt.Tx, report func(string, ...any)) error {
	userKeys := map[string]bool{}
	disabled := map[string]bool{}
	authors := map[string]string{} // author profile → the first user with it
	if users := tx.Bucket(bucketAccountUsers); users != nil {
		err := users.ForEach(func(k, v []byte) error {
			userKeys[string(k)] = true
			var u accounts.UserRecord
			if err := json.Unmarshal(v, &u); err != nil {
				report("%s: %q: %v", bucketAccountUsers, k, err)
				return nil
			}
			if string(k) != u.Name {
				report("%s: key %q holds the user %q", bucketAccountUsers, k, u.Name)
			}
			if _, err := userKey(u.Name); err != nil {
				report("%s: %q: %v", bucketAccountUsers, k, err)
			}
			if !u.Role.Valid() {
				report("%s: user %q has role %q", bucketAccountUsers, k, u.Role)
			}
			if len(u.PasswordHash) == 0 {
				report("%s: user %q has no password hash", bucketAccountUsers, k)
			}
			if u.Author != "" {
				if other, ok := authors[u.Author]; ok {
					report("%s: users %q and %q both have the author profile %q", bucketAccountUsers, other, k, u.Author)
				} else {
					authors[u.Author] = string(k)
				}
			}
			disabled[string(k)] = u.Disabled
			return nil
		})
		if err != nil {
			return err
		}
	}
	sessions := tx.Bucket(bucketAccountSessions)
	if sessions == nil {
		return nil
	}
	return sessions.ForEach(func(k, v []byte) error {
		if err := checkSessionKey(k); err != nil {
			report("%s: key %x: %v", bucketAccountSessions, k, err)
		}
		var s accounts.Session
		if err := json.Unmarshal(v, &s); err != nil {
			report("%s: key %x: %v", bucketAccountSessions, k, err)
			return nil
		}
		switch {
		case !userKeys[s.User]:
			report("%s: key %x is a session of %q, who does not exist", bucketAccountSessions, k, s.User)
		case disabled[s.User]:
			report("%s: key %x is a session of %q, who is disabled", bucketAccountSessions, k, s.User)
		}
		return nil
	})
}
