package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/federation"
)

// Federation (ActivityPub):
//
//	fed_keys            local actor name → its PEM private key
//	fed_followers       local actor name + 0x00 + remote actor id → Follower
//	fed_remote_actors   remote key id → RemoteActor (the key cache)
//	fed_seen            activity id → the time first seen (timeKey)
//	fed_seen_times      index: timeKey + activity id → empty, to forget old ones
//	fed_notes           remote note id → Note (the comment it became)
//	fed_reactions       Like/Announce activity id → Reaction
//	fed_post_reactions  index: post + 0x00 + kind + 0x00 + remote actor id →
//	                    the activity id of that account's reaction: one
//	                    like and one boost per account and post
//	fed_article_actors  post slug → the local actor that announced it, NUL,
//	                    how many times it was made public (a name alone,
//	                    written before that was kept, reads as 0)
//	fed_blocks          domain or actor id → Block
//
// Each index is written in the transaction of its record; Check proves
// they agree (checkFederation).
var (
	bucketFedKeys          = []byte("fed_keys")
	bucketFedFollowers     = []byte("fed_followers")
	bucketFedRemoteActors  = []byte("fed_remote_actors")
	bucketFedSeen          = []byte("fed_seen")
	bucketFedSeenTimes     = []byte("fed_seen_times")
	bucketFedNotes         = []byte("fed_notes")
	bucketFedReactions     = []byte("fed_reactions")
	bucketFedPostReactions = []byte("fed_post_reactions")
	bucketFedArticleActors = []byte("fed_article_actors")
	bucketFedBlocks        = []byte("fed_blocks")
)

// The compile-time proof that DB keeps what federation needs.
var _ federation.Store = (*DB)(nil)

func followerPrefix(actor string) []byte { return append([]byte(actor), 0) }

// reactionKey is a reaction's entry in fed_post_reactions: one per
// account, kind and post, since schema version 11 (before, one per
// activity id, so an account sending five Likes counted five).
func reactionKey(r federation.Reaction) []byte {
	return []byte(r.Post + "\x00" + r.Kind + "\x00" + r.Actor)
}

func putJSON(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// getJSON decodes the value at key into v, reporting whether there is one.
func getJSON(b *bbolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("decoding %q: %w", key, err)
	}
	return true, nil
}

// ActorKey returns actor's private key, storing generated when it has none.
func (db *DB) ActorKey(ctx context.Context, actor string, generated []byte) ([]byte, error) {
	var key []byte
	read := func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketFedKeys).Get([]byte(actor)); v != nil {
			key = bytes.Clone(v)
		}
		return nil
	}
	if err := db.view(ctx, read); err != nil || key != nil || generated == nil {
		return key, err
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		if err := read(tx); err != nil || key != nil {
			return err
		}
		key = generated
		return tx.Bucket(bucketFedKeys).Put([]byte(actor), generated)
	})
	if err != nil {
		return nil, fmt.Errorf("keeping the key of %s: %w", actor, err)
	}
	return key, nil
}

// AddFollower adds or replaces a follower of actor.
func (db *DB) AddFollower(ctx context.Context, actor string, f federation.Follower) error {
	return db.update(ctx, func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketFedFollowers), append(followerPrefix(actor), f.Actor...), f)
	})
}

// RemoveFollower forgets a follower of actor.
func (db *DB) RemoveFollower(ctx context.Context, actor, follower string) error {
	return db.update(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketFedFollowers).Delete(append(followerPrefix(actor), follower...))
	})
}

// Followers lists actor's followers in order of their ids.
func (db *DB) Followers(ctx context.Context, actor string, offset, limit int) ([]federation.Follower, int, error) {
	var out []federation.Follower
	total := 0
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		prefix := followerPrefix(actor)
		c := tx.Bucket(bucketFedFollowers).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			total++
			if total <= offset || (limit > 0 && len(out) >= limit) {
				continue
			}
			var f federation.Follower
			if err := json.Unmarshal(v, &f); err != nil {
				return fmt.Errorf("decoding follower %q: %w", k, err)
			}
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("listing the followers of %s: %w", actor, err)
	}
	return out, total, nil
}

// RemoteActor returns a cached remote actor by key id.
func (db *DB) RemoteActor(ctx context.Context, keyID string) (federation.RemoteActor, bool, error) {
	var a federation.RemoteActor
	found := false
	err := db.view(ctx, func(tx *bbolt.Tx) (err error) {
		found, err = getJSON(tx.Bucket(bucketFedRemoteActors), []byte(keyID), &a)
		return err
	})
	return a, found, err
}

// PutRemoteActor caches a remote actor under its key id.
func (db *DB) PutRemoteActor(ctx context.Context, a federation.RemoteActor) error {
	return db.update(ctx, func(tx *bbolt.Tx) error {
		return putJSON(tx.Bucket(bucketFedRemoteActors), []byte(a.KeyID), a)
	})
}

// Seen records an activity id, reporting whether it is new, and forgets
// those first seen before forgetBefore.
func (db *DB) Seen(ctx context.Context, id string, at, forgetBefore time.Time) (bool, error) {
	fresh := false
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		seen, times := tx.Bucket(bucketFedSeen), tx.Bucket(bucketFedSeenTimes)
		cut := timeKey(forgetBefore)
		c := times.Cursor()
		for k, _ := c.First(); len(k) >= timeKeyLen && bytes.Compare(k[:timeKeyLen], cut) < 0; k, _ = c.First() {
			if err := seen.Delete(k[timeKeyLen:]); err != nil {
				return err
			}
			if err := c.Delete(); err != nil {
				return err
			}
		}
		if seen.Get([]byte(id)) != nil {
			return nil
		}
		fresh = true
		tk := timeKey(at)
		if err := seen.Put([]byte(id), tk); err != nil {
			return err
		}
		return times.Put(append(tk, id...), nil)
	})
	if err != nil {
		return false, fmt.Errorf("recording activity %s: %w", id, err)
	}
	return fresh, nil
}

// Unsee forgets a seen activity id.
func (db *DB) Unsee(ctx context.Context, id string) error {
	return db.update(ctx, func(tx *bbolt.Tx) error {
		seen := tx.Bucket(bucketFedSeen)
		tk := seen.Get([]byte(id))
		if tk == nil {
			return nil
		}
		if err := tx.Bucket(bucketFedSeenTimes).Delete(append(bytes.Clone(tk), id...)); err != nil {
			return err
		}
		return seen.Delete([]byte(id))
	})
}

// ClaimNote records n unless its id is kept already.
func (db *DB) ClaimNote(ctx context.Context, n federation.Note) (bool, error) {
	claimed := false
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketFedNotes)
		if b.Get([]byte(n.ID)) != nil {
			return nil
		}
		claimed = true
		return putJSON(b, []byte(n.ID), n)
	})
	return claimed, err
}

// SetNoteComment records the comment a note became.
func (db *DB) SetNoteComment(ctx context.Context, id string, comment uint64) error {
	return db.update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketFedNotes)
		v := b.Get([]byte(id))
		if v == nil {
			return fmt.Errorf("note %s is not kept", id)
		}
		var n federation.Note
		if err := json.Unmarshal(v, &n); err != nil {
			return err
		}
		n.Comment = comment
		return putJSON(b, []byte(id), n)
	})
}

// Note returns a kept note.
func (db *DB) Note(ctx context.Context, id string) (federation.Note, bool, error) {
	var n federation.Note
	found := false
	err := db.view(ctx, func(tx *bbolt.Tx) (err error) {
		found, err = getJSON(tx.Bucket(bucketFedNotes), []byte(id), &n)
		return err
	})
	return n, found, err
}

// DeleteNote forgets a note.
func (db *DB) DeleteNote(ctx context.Context, id string) error {
	return db.update(ctx, func(tx *bbolt.Tx) error { return tx.Bucket(bucketFedNotes).Delete([]byte(id)) })
}

// AddReaction keeps a Like or Announce once per activity id and once per
// account: an account's newer reaction of the same kind to the same post
// takes the place of its older one (whose Undo then does nothing).
func (db *DB) AddReaction(ctx context.Context, r federation.Reaction) error {
	return db.update(ctx, func(tx *bbolt.Tx) error { return addReaction(tx, r) })
}

func addReaction(tx *bbolt.Tx, r federation.Reaction) error {
	b, index := tx.Bucket(bucketFedReactions), tx.Bucket(bucketFedPostReactions)
	if b.Get([]byte(r.Activity)) != nil {
		return nil
	}
	if older := index.Get(reactionKey(r)); older != nil {
		if err := b.Delete(bytes.Clone(older)); err != nil {
			return err
		}
	}
	if err := putJSON(b, []byte(r.Activity), r); err != nil {
		return err
	}
	return index.Put(reactionKey(r), []byte(r.Activity))
}

// RemoveReaction forgets one reaction of undo.Actor's: the one with the
// activity id undo.Activity when they made it (only the account that liked
// or boosted may take it back), else, when undo names a Post and Kind,
// theirs of that kind on that post, found through the index.
func (db *DB) RemoveReaction(ctx context.Context, undo federation.Reaction) (federation.Reaction, bool, error) {
	var r federation.Reaction
	found := false
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		b, index := tx.Bucket(bucketFedReactions), tx.Bucket(bucketFedPostReactions)
		id := []byte(undo.Activity)
		v := b.Get(id)
		if v != nil {
			if err := json.Unmarshal(v, &r); err != nil {
				return err
			}
		}
		if v == nil || r.Actor != undo.Actor {
			if undo.Post == "" || undo.Kind == "" {
				return nil
			}
			if id = index.Get(reactionKey(undo)); id == nil {
				return nil
			}
			id = bytes.Clone(id)
			if err := json.Unmarshal(b.Get(id), &r); err != nil {
				return fmt.Errorf("decoding reaction %q: %w", id, err)
			}
		}
		found = true
		if err := b.Delete(id); err != nil {
			return err
		}
		return index.Delete(reactionKey(r))
	})
	if !found {
		r = federation.Reaction{}
	}
	return r, found, err
}

// reindexReactions builds fed_post_reactions again from fed_reactions, as
// schema version 11 keys it: by account, keeping one reaction of each kind
// per account and post (the last in activity id order: no time was kept)
// and forgetting the others, which a version before counted each; an
// Undo carrying its Like still takes back the one kept. A reaction that
// cannot be read is dropped: a like is not worth a file that will not
// open.
func reindexReactions(tx *bbolt.Tx) error {
	if err := tx.DeleteBucket(bucketFedPostReactions); err != nil {
		return fmt.Errorf("dropping %s: %w", bucketFedPostReactions, err)
	}
	index, err := tx.CreateBucket(bucketFedPostReactions)
	if err != nil {
		return fmt.Errorf("creating %s: %w", bucketFedPostReactions, err)
	}
	b := tx.Bucket(bucketFedReactions)
	var superseded [][]byte // and unreadable
	err = b.ForEach(func(k, v []byte) error {
		var r federation.Reaction
		if err := json.Unmarshal(v, &r); err != nil {
			superseded = append(superseded, bytes.Clone(k))
			return nil
		}
		if older := index.Get(reactionKey(r)); older != nil {
			superseded = append(superseded, bytes.Clone(older))
		}
		return index.Put(reactionKey(r), bytes.Clone(k))
	})
	if err != nil {
		return err
	}
	for _, k := range superseded {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// Reactions counts a post's reactions by kind, through the index.
func (db *DB) Reactions(ctx context.Context, post string) (map[string]int, error) {
	counts := map[string]int{}
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		prefix := []byte(post + "\x00")
		c := tx.Bucket(bucketFedPostReactions).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			kind, _, _ := bytes.Cut(k[len(prefix):], []byte{0})
			counts[string(kind)]++
		}
		return nil
	})
	return counts, err
}

// SetArticleActor records who announced a post, and its round: the
// value is the actor's name, then, after a NUL, the round in decimal (a
// name alone, as written before rounds were kept, is round 0).
func (db *DB) SetArticleActor(ctx context.Context, slug, actor string, round int) error {
	return db.update(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketFedArticleActors).Put([]byte(slug), []byte(actor+"\x00"+strconv.Itoa(round)))
	})
}

// ArticleActor reads who announced a post, and its round.
func (db *DB) ArticleActor(ctx context.Context, slug string) (actor string, round int, found bool, err error) {
	err = db.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketFedArticleActors).Get([]byte(slug))
		if v == nil {
			return nil
		}
		name, n, hasRound := strings.Cut(string(v), "\x00")
		actor, found = name, true
		if hasRound {
			round, _ = strconv.Atoi(n) // unreadable: 0, as recorded before rounds
		}
		return nil
	})
	return actor, round, found, err
}

// Blocks lists every block, by value: the bucket's order.
func (db *DB) Blocks(ctx context.Context) ([]federation.Block, error) {
	var out []federation.Block
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketFedBlocks).ForEach(func(k, v []byte) error {
			var b federation.Block
			if err := json.Unmarshal(v, &b); err != nil {
				return fmt.Errorf("decoding block %q: %w", k, err)
			}
			out = append(out, b)
			return nil
		})
	})
	return out, err
}

// PutBlock adds a block.
func (db *DB) PutBlock(ctx context.Context, b federation.Block) error {
	return db.update(ctx, func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketFedBlocks)
		if bk.Get([]byte(b.Value)) != nil {
			return federation.ErrAlreadyBlocked
		}
		return putJSON(bk, []byte(b.Value), b)
	})
}

// RemoveBlock lifts a block.
func (db *DB) RemoveBlock(ctx context.Context, value string) error {
	return db.update(ctx, func(tx *bbolt.Tx) error {
		bk := tx.Bucket(bucketFedBlocks)
		if bk.Get([]byte(value)) == nil {
			return federation.ErrNotBlocked
		}
		return bk.Delete([]byte(value))
	})
}

// checkFederation proves the federation's indexes agree with their
// records: every seen id has its time entry and back, every reaction its
// post entry and back.
func checkFederation(tx *bbolt.Tx, report func(string, ...any)) error {
	seen, times := tx.Bucket(bucketFedSeen), tx.Bucket(bucketFedSeenTimes)
	err := seen.ForEach(func(k, v []byte) error {
		if times.Get(append(bytes.Clone(v), k...)) == nil {
			report("%s: %q has no entry in %s", bucketFedSeen, k, bucketFedSeenTimes)
		}
		return nil
	})
	if err != nil {
		return err
	}
	err = times.ForEach(func(k, _ []byte) error {
		if len(k) < timeKeyLen || !bytes.Equal(seen.Get(k[timeKeyLen:]), k[:timeKeyLen]) {
			report("%s: %q names no seen activity", bucketFedSeenTimes, k)
		}
		return nil
	})
	if err != nil {
		return err
	}
	reactions, index := tx.Bucket(bucketFedReactions), tx.Bucket(bucketFedPostReactions)
	err = reactions.ForEach(func(k, v []byte) error {
		var r federation.Reaction
		if err := json.Unmarshal(v, &r); err != nil {
			report("%s: %q: %v", bucketFedReactions, k, err)
			return nil
		}
		if !bytes.Equal(index.Get(reactionKey(r)), k) {
			report("%s: %q is not its account's entry in %s", bucketFedReactions, k, bucketFedPostReactions)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return index.ForEach(func(k, v []byte) error {
		var r federation.Reaction
		found, err := getJSON(reactions, v, &r)
		if !found || err != nil || !bytes.Equal(reactionKey(r), k) {
			report("%s: %q names no reaction of its account", bucketFedPostReactions, k)
		}
		return nil
	})
}
