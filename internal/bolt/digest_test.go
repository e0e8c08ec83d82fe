package bolt

import (
	"context"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/outbox"
	"milepost/internal/publication"
	"milepost/internal/subscriptions"
)

// RecordDigest records a week and its emails together, once: a second
// record of the same week writes nothing and enqueues nothing; a week
// before the one recorded (the clock went back after running ahead) is
// recorded; Check refuses a digest_last that is no digest time.
func TestRecordDigestOncePerWeek(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t)
	if last, err := db.LastDigest(ctx); err != nil || !last.IsZero() {
		t.Fatalf("a fresh database: LastDigest = %v, %v", last, err)
	}
	week := subscriptions.DigestTime(time.Date(2026, 5, 4, 7, 0, 0, 0, time.UTC))
	msg := func(key string) []outbox.Message { return []outbox.Message{{Kind: "email", Key: key}} }
	for i, c := range []struct {
		at   time.Time
		key  string
		want bool
	}{{week, "a", true}, {week, "b", false}, {week.AddDate(0, 0, 7), "c", true}, {week.AddDate(0, 0, 7), "d", false}} {
		done, err := db.RecordDigest(ctx, c.at, msg(c.key))
		if err != nil || done != c.want {
			t.Errorf("record %d: %v, %v; want %v", i, done, err, c.want)
		}
	}
	if last, _ := db.LastDigest(ctx); !last.Equal(week.AddDate(0, 0, 7)) {
		t.Errorf("LastDigest = %v", last)
	}
	if st, _ := db.Stats(ctx); st.Pending["email"] != 2 {
		t.Errorf("%d emails enqueued, want those of the two weeks recorded", st.Pending["email"])
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyDigestLast, timeKey(week.Add(time.Hour)))
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err == nil {
		t.Error("Check passes a digest_last that is no digest time")
	}
	if err := db.bolt.Update(func(tx *bbolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyDigestLast, timeKey(week)) }); err != nil {
		t.Fatal(err)
	}
}

// A database of schema version 11 opens as version 12 as it was: no
// digest recorded, its subscribers kept.
func TestUpgradeFromSchemaVersion11(t *testing.T) {
	path := olderDatabase(t, 11, func(db *DB) {
		err := db.UpdateSubscriber(context.Background(), "ann@example.org", func(s *subscriptions.Subscriber) ([]outbox.Message, error) {
			s.Scopes = map[string]subscriptions.Sub{subscriptions.ScopeSite: {Active: true}}
			return nil, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// A post announced by version 11, whose record has no time.
		if err := db.Record(context.Background(), []publication.Event{{Kind: publication.Published, Slug: "old", Version: "v1"}}, nil); err != nil {
			t.Fatal(err)
		}
	})
	wantUpgraded(t, path, func(i int, db *DB) {
		if told, _, err := db.Told(context.Background()); err != nil || told["old"].Version != "v1" || !told["old"].At.IsZero() {
			t.Errorf("opening %d: the post announced before = %+v, %v; want its version and no time", i, told["old"], err)
		}
		if last, err := db.LastDigest(context.Background()); err != nil || !last.IsZero() {
			t.Errorf("opening %d: LastDigest = %v, %v", i, last, err)
		}
		if got, _ := db.Subscribed(context.Background(), subscriptions.ScopeSite); len(got) != 1 {
			t.Errorf("opening %d: subscribers %v", i, got)
		}
	})
}
