package bolt

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/authoring"
	"milepost/internal/comments"
	"milepost/internal/content"
)

// Draft preview links (schema version 7):
//
//	preview_links       32-byte SHA-256 of the token → authoring.PreviewLink
//	                    as JSON; the token itself is never kept
//	post_preview_links  index: post slug + 0x00 + 32-byte hash → empty, a
//	                    post's links (the edit page's list, and what a
//	                    delete forgets)
//
// Both are written in one transaction; Check proves they agree.
var (
	bucketPreviewLinks     = []byte("preview_links")
	bucketPostPreviewLinks = []byte("post_preview_links")
)

const previewHashLen = 32

// The compile-time proof that DB keeps preview links.
var _ authoring.PreviewLinkStore = (*DB)(nil)

func previewLinkKey(hash string) ([]byte, bool) {
	k, err := hex.DecodeString(hash)
	return k, err == nil && len(k) == previewHashLen
}

func postPreviewPrefix(slug string) []byte {
	return append([]byte(slug), 0)
}

func postPreviewKey(slug string, key []byte) []byte {
	return append(postPreviewPrefix(slug), key...)
}

// AddPreviewLink keeps a preview link, its entry in its post's index and
// the log entry of its making, in one transaction.
func (db *DB) AddPreviewLink(ctx context.Context, l authoring.PreviewLink, logged comments.Action) error {
	key, ok := previewLinkKey(l.Hash)
	if !ok || !content.ValidSlug(l.Slug) {
		return fmt.Errorf("keeping a preview link to %q: not a valid hash %q or slug", l.Slug, l.Hash)
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		links := tx.Bucket(bucketPreviewLinks)
		if links.Get(key) != nil {
			return fmt.Errorf("a link with hash %.12s exists", l.Hash)
		}
		v, err := json.Marshal(l)
		if err != nil {
			return err
		}
		if err := links.Put(key, v); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPostPreviewLinks).Put(postPreviewKey(l.Slug, key), nil); err != nil {
			return err
		}
		return appendAction(bucketsOf(tx), &logged)
	})
	if err != nil {
		return fmt.Errorf("keeping a preview link to %s: %w", l.Slug, err)
	}
	return nil
}

// PreviewLink returns the link with the hash.
func (db *DB) PreviewLink(ctx context.Context, hash string) (authoring.PreviewLink, error) {
	var l authoring.PreviewLink
	key, ok := previewLinkKey(hash)
	if !ok {
		return l, fmt.Errorf("reading preview link %.12s: %w", hash, authoring.ErrNotFound)
	}
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketPreviewLinks).Get(key)
		if v == nil {
			return authoring.ErrNotFound
		}
		var err error
		l, err = decodePreviewLink(key, v)
		return err
	})
	if err != nil {
		return authoring.PreviewLink{}, fmt.Errorf("reading preview link %.12s: %w", hash, err)
	}
	return l, nil
}

// PreviewLinks lists a post's links oldest first.
func (db *DB) PreviewLinks(ctx context.Context, slug string) ([]authoring.PreviewLink, error) {
	var out []authoring.PreviewLink
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		links := tx.Bucket(bucketPreviewLinks)
		prefix := postPreviewPrefix(slug)
		c := tx.Bucket(bucketPostPreviewLinks).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			key := k[len(prefix):]
			v := links.Get(key)
			if v == nil {
				return fmt.Errorf("the index names link %x, which does not exist", key)
			}
			l, err := decodePreviewLink(key, v)
			if err != nil {
				return err
			}
			out = append(out, l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing the preview links of post %s: %w", slug, err)
	}
	// Hash order is random order: the edit page lists them as made.
	slices.SortStableFunc(out, func(a, b authoring.PreviewLink) int { return a.At.Compare(b.At) })
	return out, nil
}

// RemovePreviewLink forgets one link and its index entry, and logs the
// revocation, in one transaction.
func (db *DB) RemovePreviewLink(ctx context.Context, hash string, logged comments.Action) error {
	key, ok := previewLinkKey(hash)
	if !ok {
		return fmt.Errorf("forgetting preview link %.12s: %w", hash, authoring.ErrNotFound)
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		links := tx.Bucket(bucketPreviewLinks)
		v := links.Get(key)
		if v == nil {
			return authoring.ErrNotFound
		}
		l, err := decodePreviewLink(key, v)
		if err != nil {
			return err
		}
		if err := links.Delete(key); err != nil {
			return err
		}
		if err := tx.Bucket(bucketPostPreviewLinks).Delete(postPreviewKey(l.Slug, key)); err != nil {
			return err
		}
		return appendAction(bucketsOf(tx), &logged)
	})
	if err != nil {
		return fmt.Errorf("forgetting preview link %.12s: %w", hash, err)
	}
	return nil
}

// RemovePreviewLinks forgets every link of a post.
func (db *DB) RemovePreviewLinks(ctx context.Context, slug string) error {
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		links, index := tx.Bucket(bucketPreviewLinks), tx.Bucket(bucketPostPreviewLinks)
		prefix := postPreviewPrefix(slug)
		var keys [][]byte
		c := index.Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			keys = append(keys, bytes.Clone(k))
		}
		for _, k := range keys {
			if err := links.Delete(k[len(prefix):]); err != nil {
				return err
			}
			if err := index.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("forgetting the preview links of post %s: %w", slug, err)
	}
	return nil
}

func decodePreviewLink(k, v []byte) (authoring.PreviewLink, error) {
	var l authoring.PreviewLink
	if err := json.Unmarshal(v, &l); err != nil {
		return authoring.PreviewLink{}, fmt.Errorf("decoding preview link %x: %w", k, err)
	}
	return l, nil
}

// checkPreviewLinks is Check's part for preview links: every record
// readable, under the hash it holds, with a valid slug, and indexed under
// that slug; every index entry naming a record of its slug.
func checkPreviewLinks(tx *bbolt.Tx, report func(string, ...any)) error {
	links, index := tx.Bucket(bucketPreviewLinks), tx.Bucket(bucketPostPreviewLinks)
	slugs := map[string]string{} // key → slug
	err := links.ForEach(func(k, v []byte) error {
		l, err := decodePreviewLink(k, v)
		if err != nil {
			report("%s: %v", bucketPreviewLinks, err)
			return nil
		}
		if key, ok := previewLinkKey(l.Hash); !ok || !bytes.Equal(key, k) {
			report("%s: key %x holds the link with hash %q", bucketPreviewLinks, k, l.Hash)
		}
		if !content.ValidSlug(l.Slug) {
			report("%s: link %x has the slug %q", bucketPreviewLinks, k, l.Slug)
			return nil
		}
		slugs[string(k)] = l.Slug
		if index.Get(postPreviewKey(l.Slug, k)) == nil {
			report("%s: no entry for link %x of %q", bucketPostPreviewLinks, k, l.Slug)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return index.ForEach(func(k, _ []byte) error {
		i := bytes.IndexByte(k, 0)
		if i < 0 || len(k)-i-1 != previewHashLen {
			report("%s: malformed key %x", bucketPostPreviewLinks, k)
			return nil
		}
		slug, key := string(k[:i]), k[i+1:]
		if have, ok := slugs[string(key)]; !ok || have != slug {
			report("%s: entry for link %x under %q, which is not a link of that post", bucketPostPreviewLinks, key, slug)
		}
		return nil
	})
}
