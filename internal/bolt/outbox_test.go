package bolt

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"milepost/internal/outbox"
	"milepost/internal/outbox/outboxtest"
)

// TestDBKeepsTheOutboxContract runs the outbox store contract, shared with
// the in-memory MemStore, against a real database file (checked after each
// subtest by openTest).
func TestDBKeepsTheOutboxContract(t *testing.T) {
	outboxtest.TestStore(t, func(t *testing.T) outbox.Store {
		db, _ := openTest(t)
		return db
	})
}

// TestOutboxWorkerResumesAfterRestart sends part of the outbox, closes the
// database as a stopped process would, and shows that a new worker on the
// reopened file sends the rest, each message once, with the failed one's
// attempt remembered.
func TestOutboxWorkerResumesAfterRestart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "milepost.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	var msgs []outbox.Message
	for _, k := range []string{"a", "b", "c", "d"} {
		msgs = append(msgs, outbox.Message{Kind: "email", Key: k})
	}
	if err := db.Enqueue(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	sent := map[string]int{}
	first := &outbox.Worker{Store: db, Poll: 10 * time.Millisecond, Concurrency: 1, BaseDelay: time.Hour,
		Senders: map[string]outbox.Sender{"email": outbox.SenderFunc(func(ctx context.Context, m outbox.Message) error {
			mu.Lock()
			defer mu.Unlock()
			if m.Key == "c" {
				return errors.New("server busy")
			}
			if m.Key == "d" {
				return errors.New("not reached") // stopped before d's turn in the real world
			}
			sent[m.Key]++
			return nil
		})}}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- first.Run(runCtx) }()
	waitFor(t, func() bool {
		st, _ := db.Stats(ctx)
		due, _ := db.Due(ctx, time.Now().Add(time.Minute), 10)
		return st.Pending["email"] == 2 && len(due) == 0 // c and d tried once, put off
	})
	stop()
	<-done
	mustCheck(t, db)
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	mustCheck(t, db2)
	due, err := db2.Due(ctx, time.Now().Add(2*time.Hour), 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("after the restart: Due = %+v, %v; want c and d", due, err)
	}
	for _, m := range due {
		if m.Attempts != 1 {
			t.Errorf("message %s has %d attempts after the restart, want 1", m.Key, m.Attempts)
		}
	}
	later := time.Now().Add(2 * time.Hour)
	second := &outbox.Worker{Store: db2, Poll: 10 * time.Millisecond, Now: func() time.Time { return later },
		Senders: map[string]outbox.Sender{"email": outbox.SenderFunc(func(ctx context.Context, m outbox.Message) error {
			mu.Lock()
			defer mu.Unlock()
			sent[m.Key]++
			return nil
		})}}
	runCtx, stop = context.WithCancel(ctx)
	go func() { done <- second.Run(runCtx) }()
	waitFor(t, func() bool {
		st, _ := db2.Stats(ctx)
		return st.Pending["email"] == 0
	})
	stop()
	<-done
	mu.Lock()
	defer mu.Unlock()
	for _, k := range []string{"a", "b", "c", "d"} {
		if sent[k] != 1 {
			t.Errorf("message %s sent %d times in all, want once", k, sent[k])
		}
	}
	mustCheck(t, db2)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
