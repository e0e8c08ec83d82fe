package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"milepost/internal/authoring"
	"milepost/internal/comments"
)

func revisionOf(slug, text string, minutes int) authoring.Revision {
	return authoring.Revision{Slug: slug, File: "posts/" + slug + ".md", Version: authoring.VersionOf([]byte(text)),
		By: "kay", At: t0.Add(time.Duration(minutes) * time.Minute), Content: []byte(text)}
}

func TestRevisionsAreKeptPerSlugNewestFirst(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	var ids []uint64
	for i, r := range []authoring.Revision{
		revisionOf("long-run", "one", 1), revisionOf("long-run-2", "other post", 2),
		revisionOf("long-run", "two", 3), revisionOf("long", "a prefix of the slug", 4),
	} {
		id, err := db.AddRevision(ctx, r, logged(comments.ActionPostSave))
		if err != nil {
			t.Fatalf("AddRevision %d: %v", i, err)
		}
		ids = append(ids, id)
	}
	revs, err := db.Revisions(ctx, "long-run")
	if err != nil {
		t.Fatal(err)
	}
	if len(revs) != 2 || revs[0].ID != ids[2] || revs[1].ID != ids[0] {
		t.Fatalf("Revisions(long-run) = %+v, want IDs %d then %d", revs, ids[2], ids[0])
	}
	if revs[0].Content != nil || revs[0].By != "kay" || !revs[0].At.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("listed revision %+v: want no content, by kay, at t0+3m", revs[0])
	}
	got, err := db.Revision(ctx, "long-run", ids[0])
	if err != nil || string(got.Content) != "one" || got.Version != authoring.VersionOf([]byte("one")) {
		t.Errorf("Revision = %+v, %v; want the first text", got, err)
	}
	if _, err := db.Revision(ctx, "long-run-2", ids[0]); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("another slug's revision = %v, want ErrNotFound", err)
	}
	if revs, err := db.Revisions(ctx, "zzz"); err != nil || len(revs) != 0 {
		t.Errorf("Revisions of a slug with none (after every key) = %v, %v", revs, err)
	}
	if _, err := db.AddRevision(ctx, revisionOf("../x", "bad", 5), logged(comments.ActionPostSave)); err == nil {
		t.Error("AddRevision took the slug ../x")
	}
}

func TestTrashRecords(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	first, err := db.AddTrashed(ctx, authoring.Trashed{Slug: "race-day", File: "posts/race-day/index.md",
		Bundle: "posts/race-day", Dir: "race-day-1-123", By: "kay", At: t0}, logged(comments.ActionPostDelete))
	if err != nil {
		t.Fatal(err)
	}
	second, err := db.AddTrashed(ctx, authoring.Trashed{Slug: "easy", File: "posts/easy.md", Dir: "easy-1-456", At: t0}, logged(comments.ActionPostDelete))
	if err != nil {
		t.Fatal(err)
	}
	items, err := db.TrashItems(ctx)
	if err != nil || len(items) != 2 || items[0].ID != second || items[1].ID != first {
		t.Fatalf("TrashItems = %+v, %v; want %d then %d", items, err, second, first)
	}
	if it, err := db.TrashItem(ctx, first); err != nil || it.Bundle != "posts/race-day" {
		t.Errorf("TrashItem = %+v, %v", it, err)
	}
	if err := db.RemoveTrashed(ctx, first, logged(comments.ActionPostRestore)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TrashItem(ctx, first); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("TrashItem after RemoveTrashed = %v, want ErrNotFound", err)
	}
	if err := db.RemoveTrashed(ctx, first, logged(comments.ActionPostRestore)); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("RemoveTrashed twice = %v, want ErrNotFound", err)
	}
}

// A version 5 database (before the editor) gets the two buckets, empty, and
// keeps everything else.
func TestUpgradeFromVersion5AddsHistoryAndTrash(t *testing.T) {
	ctx := context.Background()
	var c comments.Comment
	path := olderDatabase(t, 5, func(db *DB) { c = add(t, db, newComment("massage-during-training", 1)) }, bucketRevisions, bucketTrash)
	wantUpgraded(t, path, func(_ int, db *DB) {
		if _, err := db.AddRevision(ctx, revisionOf("massage-during-training", "old", 2), logged(comments.ActionPostSave)); err != nil {
			t.Errorf("AddRevision after the upgrade: %v", err)
		}
		if got, err := db.Get(ctx, c.ID); err != nil || got.Body != c.Body {
			t.Errorf("the comment after the upgrade: %+v, %v", got, err)
		}
	})
}

func TestCheckFindsBadHistoryAndTrash(t *testing.T) {
	fill := func(t *testing.T, db *DB) {
		ctx := context.Background()
		if _, err := db.AddRevision(ctx, revisionOf("easy-run", "the text", 1), logged(comments.ActionPostSave)); err != nil {
			t.Fatal(err)
		}
		if _, err := db.AddTrashed(ctx, authoring.Trashed{Slug: "easy", File: "posts/easy.md", Dir: "easy-1-456", At: t0}, logged(comments.ActionPostDelete)); err != nil {
			t.Fatal(err)
		}
	}
	rewriteRevision := func(edit func(*authoring.Revision)) func(buckets) error {
		return func(b buckets) error {
			revs := b.tx.Bucket(bucketRevisions)
			k := revisionKey("easy-run", 1)
			var r authoring.Revision
			if err := json.Unmarshal(revs.Get(k), &r); err != nil {
				return err
			}
			edit(&r)
			v, _ := json.Marshal(r)
			return revs.Put(k, v)
		}
	}
	rewriteTrash := func(edit func(*authoring.Trashed)) func(buckets) error {
		return func(b buckets) error {
			trash := b.tx.Bucket(bucketTrash)
			var it authoring.Trashed
			if err := json.Unmarshal(trash.Get(idKey(1)), &it); err != nil {
				return err
			}
			edit(&it)
			v, _ := json.Marshal(it)
			return trash.Put(idKey(1), v)
		}
	}
	for name, tc := range map[string]struct {
		corrupt func(buckets) error
		want    string
	}{
		"bytes that are not their version":    {rewriteRevision(func(r *authoring.Revision) { r.Content = []byte("changed") }), "its bytes are not version"},
		"a revision under another slug's key": {rewriteRevision(func(r *authoring.Revision) { r.Slug = "other" }), "holds version 1 of \"other\""},
		"an unreadable revision": {func(b buckets) error {
			return b.tx.Bucket(bucketRevisions).Put(revisionKey("x", 1), []byte("{"))
		}, "post_revisions: decoding"},
		"a revision above the sequence": {func(b buckets) error {
			r := revisionOf("late", "t", 1)
			r.ID = 99
			v, _ := json.Marshal(r)
			return b.tx.Bucket(bucketRevisions).Put(revisionKey("late", 99), v)
		}, "version 99 is above the sequence"},
		"a trash folder that climbs out": {rewriteTrash(func(it *authoring.Trashed) { it.Dir = "../content" }), "not one name in the trash directory"},
		"a trash file outside posts":     {rewriteTrash(func(it *authoring.Trashed) { it.File = "../../etc/passwd" }), "names no post"},
		"a trash item under another key": {rewriteTrash(func(it *authoring.Trashed) { it.ID = 7 }), "holds item 7"},
	} {
		t.Run(name, func(t *testing.T) { checkCatches(t, fill, tc.corrupt, tc.want) })
	}
}
