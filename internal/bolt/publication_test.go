package bolt

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/content"
	"milepost/internal/outbox"
	"milepost/internal/publication"
)

// Record keeps what was told and the messages in one transaction: a batch
// the outbox refuses leaves what was told as it was.
func TestRecordKeepsToldAndMessagesTogether(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	told, baselined, err := db.Told(ctx)
	if err != nil || baselined || len(told) != 0 {
		t.Fatalf("fresh database: Told = %v, %v, %v; want nothing, not baselined", told, baselined, err)
	}
	base := []publication.Event{{Kind: publication.Published, Slug: "a", Version: "v1"}, {Kind: publication.Published, Slug: "b", Version: "v1"}}
	if err := db.Record(ctx, base, nil); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, db)
	evs := []publication.Event{{Kind: publication.Updated, Slug: "a", Version: "v2", Told: "v1"}, {Kind: publication.Removed, Slug: "b", Told: "v1"}}
	err = db.Record(ctx, evs, []outbox.Message{{Kind: "websub", Key: "k1"}, {Kind: "websub"}})
	if !errors.Is(err, outbox.ErrInvalid) {
		t.Fatalf("Record with an invalid message: err = %v, want ErrInvalid", err)
	}
	told, baselined, err = db.Told(ctx)
	if err != nil || !baselined || !reflect.DeepEqual(told, map[string]publication.Announced{"a": {Version: "v1"}, "b": {Version: "v1"}}) {
		t.Fatalf("after a refused Record: Told = %v, %v, %v; want the baseline unchanged", told, baselined, err)
	}
	if due, _ := db.Due(ctx, time.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("after a refused Record: %d messages enqueued", len(due))
	}
	if err := db.Record(ctx, evs, []outbox.Message{{Kind: "websub", Key: "k1"}, {Kind: "email", Key: "k2"}}); err != nil {
		t.Fatal(err)
	}
	told, _, _ = db.Told(ctx)
	if !reflect.DeepEqual(told, map[string]publication.Announced{"a": {Version: "v2"}}) {
		t.Errorf("Told = %v, want a at v2 and b gone", told)
	}
	st, _ := db.Stats(ctx)
	if st.Pending["websub"] != 1 || st.Pending["email"] != 1 {
		t.Errorf("Stats = %+v, want the two messages pending", st)
	}
	mustCheck(t, db)
}

// A database of schema version 9, from before the outbox, subscriptions and
// federation, opens as version 10 with their buckets empty and consistent,
// its comments kept, and nothing recorded as told: the first start records
// the site as it is, so no post it already had is sent to anyone.
func TestUpgradeFromSchemaVersion9AddsTheOutgoingBucketsEmpty(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "milepost.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	c := add(t, db, newComment("p", 0))
	db.Close()

	added := [][]byte{bucketOutbox, bucketOutboxDead, bucketOutboxKeys, bucketOutboxDue, bucketOutboxCounts, bucketAnnounced,
		bucketSubscribers, bucketSubscriberScopes, bucketNotified,
		bucketFedKeys, bucketFedFollowers, bucketFedRemoteActors, bucketFedSeen, bucketFedSeenTimes, bucketFedNotes,
		bucketFedReactions, bucketFedPostReactions, bucketFedArticleActors, bucketFedBlocks}
	raw, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.Update(func(tx *bbolt.Tx) error {
		for _, name := range added {
			if err := tx.DeleteBucket(name); err != nil {
				return fmt.Errorf("deleting %s: %w", name, err)
			}
		}
		return tx.Bucket(bucketMeta).Put(keySchemaVersion, []byte("9"))
	}); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("opening a version 9 database: %v", err)
	}
	defer db.Close()
	mustCheck(t, db)
	if got := readMetaOpen(t, db, keySchemaVersion); got != strconv.Itoa(SchemaVersion) {
		t.Errorf("schema_version after the upgrade = %q, want %d", got, SchemaVersion)
	}
	if err := db.bolt.View(func(tx *bbolt.Tx) error {
		for _, name := range added {
			if tx.Bucket(name) == nil {
				t.Errorf("bucket %s missing after the upgrade", name)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Get(ctx, c.ID); err != nil || got.Body != c.Body {
		t.Errorf("comment after the upgrade = %+v, %v", got, err)
	}
	if told, baselined, err := db.Told(ctx); err != nil || baselined || len(told) != 0 {
		t.Errorf("Told after the upgrade = %v, %v, %v; want nothing yet, so the first start takes the baseline", told, baselined, err)
	}
}

// Record keeps where a post was listed (its author and tags) with its
// version, so that after a restart a Removed event names its feeds; a
// version stored alone, as before they were kept, still reads.
func TestRecordKeepsWhereAPostWasListed(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	evs := []publication.Event{
		{Kind: publication.Published, Slug: "tempo", Version: "v1", Post: &content.Post{Slug: "tempo", Author: &content.Author{ID: "kay"}, Tags: []string{"speed", "Track Work"}}},
		{Kind: publication.Published, Slug: "loose", Version: "v1", Post: &content.Post{Slug: "loose"}},
	}
	if err := db.Record(ctx, evs, nil); err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketAnnounced).Put([]byte("older"), []byte("v0")) }); err != nil {
		t.Fatal(err)
	}
	mustCheck(t, db)
	told, _, err := db.Told(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]publication.Announced{
		"tempo": {Version: "v1", Author: "kay", Tags: []string{"speed", "Track Work"}},
		"loose": {Version: "v1"},
		"older": {Version: "v0"},
	}
	if !reflect.DeepEqual(told, want) {
		t.Errorf("Told = %+v\nwant %+v", told, want)
	}
}

// TestToldReadsWhatItCanOfADamagedValue: one damaged value does not halt
// every announcement: its version is kept without where it was listed, and
// a value with no version is taken as a version no post has, so the post
// is announced again; Check reports both.
func TestToldReadsWhatItCanOfADamagedValue(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAnnounced)
		if err := b.Put([]byte("cut"), []byte(`v3 {"author":`)); err != nil {
			return err
		}
		return b.Put([]byte("empty"), []byte(" {}"))
	}); err != nil {
		t.Fatal(err)
	}
	told, _, err := db.Told(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]publication.Announced{"cut": {Version: "v3"}, "empty": {Version: unreadableVersion}}
	if !reflect.DeepEqual(told, want) {
		t.Errorf("Told = %+v\nwant %+v", told, want)
	}
	if err := db.Check(ctx); err == nil {
		t.Error("Check passes a damaged announced value")
	}
	// Announcing the posts again writes their values anew.
	if err := db.Record(ctx, []publication.Event{
		{Kind: publication.Updated, Slug: "cut", Version: "v4"}, {Kind: publication.Removed, Slug: "empty"},
	}, nil); err != nil {
		t.Fatal(err)
	}
}

// Record keeps when a post was first told public: an edit keeps it, a
// post taken down and published again gets the time of its return.
func TestRecordKeepsWhenAPostWasFirstToldPublic(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if err := db.Record(ctx, nil, nil); err != nil { // the baseline
		t.Fatal(err)
	}
	mon := time.Date(2026, 4, 27, 9, 0, 0, 0, time.UTC)
	post := &content.Post{Slug: "tempo", Author: &content.Author{ID: "kay"}}
	steps := []struct {
		ev   publication.Event
		want time.Time
	}{
		{publication.Event{Kind: publication.Published, Slug: "tempo", Version: "v1", Post: post, At: mon}, mon},
		{publication.Event{Kind: publication.Updated, Slug: "tempo", Version: "v2", Told: "v1", Post: post, At: mon.Add(48 * time.Hour)}, mon},
		{publication.Event{Kind: publication.Removed, Slug: "tempo", Told: "v2", At: mon.Add(72 * time.Hour)}, time.Time{}},
		{publication.Event{Kind: publication.Published, Slug: "tempo", Version: "v2", Post: post, At: mon.Add(96 * time.Hour)}, mon.Add(96 * time.Hour)},
	}
	for i, st := range steps {
		if err := db.Record(ctx, []publication.Event{st.ev}, nil); err != nil {
			t.Fatal(err)
		}
		told, _, err := db.Told(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got := told["tempo"].At; !got.Equal(st.want) {
			t.Errorf("step %d (%s): At = %v, want %v", i, st.ev.Kind, got, st.want)
		}
	}
	mustCheck(t, db)
}
