package bolt

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

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
	if err != nil || !baselined || !maps.Equal(told, map[string]string{"a": "v1", "b": "v1"}) {
		t.Fatalf("after a refused Record: Told = %v, %v, %v; want the baseline unchanged", told, baselined, err)
	}
	if due, _ := db.Due(ctx, time.Now().Add(time.Hour), 10); len(due) != 0 {
		t.Fatalf("after a refused Record: %d messages enqueued", len(due))
	}
	if err := db.Record(ctx, evs, []outbox.Message{{Kind: "websub", Key: "k1"}, {Kind: "email", Key: "k2"}}); err != nil {
		t.Fatal(err)
	}
	told, _, _ = db.Told(ctx)
	if !maps.Equal(told, map[string]string{"a": "v2"}) {
		t.Errorf("Told = %v, want a at v2 and b gone", told)
	}
	st, _ := db.Stats(ctx)
	if st.Pending["websub"] != 1 || st.Pending["email"] != 1 {
		t.Errorf("Stats = %+v, want the two messages pending", st)
	}
	mustCheck(t, db)
}
