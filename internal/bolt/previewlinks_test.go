package bolt

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"milepost/internal/authoring"
	"milepost/internal/comments"
)

func previewLinkOf(token, slug string, minutes int) authoring.PreviewLink {
	return authoring.PreviewLink{Hash: authoring.PreviewTokenHash(token), Slug: slug, By: "kay",
		At: t0.Add(time.Duration(minutes) * time.Minute)}
}

func linkLogged(kind comments.ActionKind, l authoring.PreviewLink) comments.Action {
	return comments.Action{At: l.At, By: l.By, Kind: kind, Target: "post " + l.Slug, Post: l.Slug, Detail: "link " + l.Hash[:12]}
}

func TestPreviewLinksAreKeptByHashListedPerPostAndRevoked(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	a, b := previewLinkOf("token-a", "long-run", 2), previewLinkOf("token-b", "long-run", 1)
	other := previewLinkOf("token-c", "long-run-2", 3)
	for _, l := range []authoring.PreviewLink{a, b, other} {
		if err := db.AddPreviewLink(ctx, l, linkLogged(comments.ActionPreviewLink, l)); err != nil {
			t.Fatalf("AddPreviewLink %+v: %v", l, err)
		}
	}
	if err := db.AddPreviewLink(ctx, a, linkLogged(comments.ActionPreviewLink, a)); err == nil {
		t.Error("a second link with the same hash was kept")
	}
	if made, n, err := db.Actions(ctx, comments.ActionPreviewLink, 0, 10); err != nil || n != 3 || len(made) != 3 {
		t.Errorf("the log of links made: %d entries, %v; want one per link kept", n, err)
	}
	got, err := db.PreviewLink(ctx, a.Hash)
	if err != nil || got.Slug != "long-run" || !got.At.Equal(a.At) {
		t.Errorf("PreviewLink = %+v, %v", got, err)
	}
	ls, err := db.PreviewLinks(ctx, "long-run")
	if err != nil || len(ls) != 2 || ls[0].Hash != b.Hash || ls[1].Hash != a.Hash {
		t.Errorf("PreviewLinks(long-run) = %+v, %v; want b then a, not long-run-2's", ls, err)
	}
	if err := db.RemovePreviewLink(ctx, a.Hash, linkLogged(comments.ActionPreviewRevoke, a)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PreviewLink(ctx, a.Hash); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("a revoked link: %v, want ErrNotFound", err)
	}
	if err := db.RemovePreviewLink(ctx, a.Hash, linkLogged(comments.ActionPreviewRevoke, a)); !errors.Is(err, authoring.ErrNotFound) {
		t.Errorf("revoking it again: %v, want ErrNotFound", err)
	}
	if revoked, n, err := db.Actions(ctx, comments.ActionPreviewRevoke, 0, 10); err != nil || n != 1 || revoked[0].Post != "long-run" {
		t.Errorf("the log of links revoked: %+v (%d), %v; want the one revocation", revoked, n, err)
	}
	if err := db.RemovePreviewLinks(ctx, "long-run"); err != nil {
		t.Fatal(err)
	}
	if ls, _ := db.PreviewLinks(ctx, "long-run"); len(ls) != 0 {
		t.Errorf("links after removing the post's: %+v", ls)
	}
	if _, err := db.PreviewLink(ctx, other.Hash); err != nil {
		t.Errorf("another post's link went with them: %v", err)
	}
	for _, hash := range []string{"", "../../x", strings.Repeat("a", 64*1024), strings.Repeat("zz", 32)} {
		if _, err := db.PreviewLink(ctx, hash); !errors.Is(err, authoring.ErrNotFound) {
			t.Errorf("PreviewLink(%.20q) = %v, want ErrNotFound", hash, err)
		}
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

// A version 6 database (before preview links) gets the two buckets, empty,
// and keeps everything else.
func TestUpgradeFromVersion6AddsPreviewLinks(t *testing.T) {
	ctx := context.Background()
	var c comments.Comment
	path := olderDatabase(t, 6, func(db *DB) { c = add(t, db, newComment("massage-during-training", 1)) },
		bucketPreviewLinks, bucketPostPreviewLinks)
	wantUpgraded(t, path, func(i int, db *DB) {
		l := previewLinkOf("t"+strconv.Itoa(i), "massage-during-training", i)
		if err := db.AddPreviewLink(ctx, l, linkLogged(comments.ActionPreviewLink, l)); err != nil {
			t.Errorf("AddPreviewLink after the upgrade: %v", err)
		}
		if got, err := db.Get(ctx, c.ID); err != nil || got.Body != c.Body {
			t.Errorf("the comment after the upgrade: %+v, %v", got, err)
		}
	})
}

func TestCheckFindsBadPreviewLinks(t *testing.T) {
	l := previewLinkOf("the-token", "easy-run", 1)
	key, _ := previewLinkKey(l.Hash)
	fill := func(t *testing.T, db *DB) {
		if err := db.AddPreviewLink(context.Background(), l, linkLogged(comments.ActionPreviewLink, l)); err != nil {
			t.Fatal(err)
		}
	}
	rewrite := func(edit func(*authoring.PreviewLink)) func(buckets) error {
		return func(b buckets) error {
			links := b.tx.Bucket(bucketPreviewLinks)
			var got authoring.PreviewLink
			if err := json.Unmarshal(links.Get(key), &got); err != nil {
				return err
			}
			edit(&got)
			v, _ := json.Marshal(got)
			return links.Put(key, v)
		}
	}
	for name, tc := range map[string]struct {
		corrupt func(buckets) error
		want    string
	}{
		"a link under another hash": {rewrite(func(p *authoring.PreviewLink) { p.Hash = authoring.PreviewTokenHash("x") }), "holds the link with hash"},
		"a link of another post":    {rewrite(func(p *authoring.PreviewLink) { p.Slug = "other" }), "no entry for link"},
		"a link with a bad slug":    {rewrite(func(p *authoring.PreviewLink) { p.Slug = "../x" }), "has the slug"},
		"an unreadable link": {func(b buckets) error {
			return b.tx.Bucket(bucketPreviewLinks).Put(key, []byte("{"))
		}, "preview_links: decoding"},
		"a link missing from the index": {func(b buckets) error {
			return b.tx.Bucket(bucketPostPreviewLinks).Delete(postPreviewKey("easy-run", key))
		}, "no entry for link"},
		"an index entry with no link": {func(b buckets) error {
			return b.tx.Bucket(bucketPreviewLinks).Delete(key)
		}, "which is not a link of that post"},
		"a malformed index key": {func(b buckets) error {
			return b.tx.Bucket(bucketPostPreviewLinks).Put([]byte("easy-run"), nil)
		}, "malformed key"},
	} {
		t.Run(name, func(t *testing.T) { checkCatches(t, fill, tc.corrupt, tc.want) })
	}
}
