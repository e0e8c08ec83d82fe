package outboxtest

import (
	"context"
	"errors"
	"testing"
	"time"

	"milepost/internal/outbox"
)

var t0 = time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)

func msg(kind, key string, notBefore time.Time) outbox.Message {
	return outbox.Message{Kind: kind, Key: key, Payload: []byte(`{"to":"` + key + `"}`), NotBefore: notBefore, Created: t0}
}

func keys(ms []outbox.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Key
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestStore runs the contract every outbox.Store keeps against stores made
// by open, one fresh store per subtest.
func TestStore(t *testing.T, open func(t *testing.T) outbox.Store) {
	ctx := context.Background()
	due := func(t *testing.T, s outbox.Store, now time.Time, limit int) []outbox.Message {
		t.Helper()
		ms, err := s.Due(ctx, now, limit)
		if err != nil {
			t.Fatalf("Due: %v", err)
		}
		return ms
	}
	enqueue := func(t *testing.T, s outbox.Store, ms ...outbox.Message) {
		t.Helper()
		if err := s.Enqueue(ctx, ms...); err != nil {
			t.Fatalf("Enqueue: %v", err)
		}
	}

	t.Run("DuePassesOverTheKindsSkipped", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, msg("email", "a", t0), msg("email", "b", t0), msg("activitypub", "c", t0.Add(time.Minute)))
		ms, err := s.Due(ctx, t0.Add(time.Hour), 2, "email")
		if err != nil {
			t.Fatalf("Due: %v", err)
		}
		if len(ms) != 1 || ms[0].Key != "c" {
			t.Errorf("Due skipping email = %v, want the activitypub message alone", ms)
		}
		if ms := due(t, s, t0.Add(time.Hour), 2); len(ms) != 2 || ms[0].Key != "a" || ms[1].Key != "b" {
			t.Errorf("Due skipping nothing = %v, want the two emails", ms)
		}
	})

	t.Run("DueIsOldestFirstAndBounded", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, msg("email", "c", t0.Add(3*time.Minute)), msg("email", "a", t0.Add(time.Minute)),
			msg("websub", "b", t0.Add(2*time.Minute)), msg("email", "later", t0.Add(time.Hour)))
		if got := keys(due(t, s, t0.Add(5*time.Minute), 10)); !equal(got, []string{"a", "b", "c"}) {
			t.Errorf("Due = %v, want [a b c] (oldest first, nothing not yet due)", got)
		}
		if got := keys(due(t, s, t0.Add(5*time.Minute), 2)); !equal(got, []string{"a", "b"}) {
			t.Errorf("Due(limit 2) = %v, want [a b]", got)
		}
		ms := due(t, s, t0.Add(time.Minute), 10)
		if len(ms) != 1 || ms[0].ID == 0 || ms[0].Kind != "email" || string(ms[0].Payload) != `{"to":"a"}` ||
			!ms[0].Created.Equal(t0) || !ms[0].NotBefore.Equal(t0.Add(time.Minute)) || ms[0].Attempts != 0 {
			t.Errorf("Due at a's time = %+v, want a alone, as enqueued, with an ID", ms)
		}
	})

	t.Run("AKeyIsEnqueuedOnceEvenAfterItWasSentOrGivenUp", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, msg("email", "k1", t0), msg("email", "k2", t0), msg("email", "k1", t0))
		ms := due(t, s, t0, 10)
		if !equal(keys(ms), []string{"k1", "k2"}) {
			t.Fatalf("Due = %v, want k1 once and k2", keys(ms))
		}
		enqueue(t, s, msg("email", "k1", t0)) // still pending
		if err := s.Sent(ctx, ms[0].ID); err != nil {
			t.Fatalf("Sent: %v", err)
		}
		if err := s.GiveUp(ctx, ms[1].ID, "mailbox gone"); err != nil {
			t.Fatalf("GiveUp: %v", err)
		}
		enqueue(t, s, msg("email", "k1", t0), msg("email", "k2", t0), msg("email", "k3", t0))
		if got := keys(due(t, s, t0.Add(time.Hour), 10)); !equal(got, []string{"k3"}) {
			t.Errorf("after k1 was sent and k2 given up, enqueuing them again: Due = %v, want only k3", got)
		}
	})

	t.Run("RetryCountsAttemptsAndMovesTheMessageBack", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, msg("websub", "x", t0), msg("websub", "y", t0.Add(time.Second)))
		x := due(t, s, t0, 1)[0]
		next := t0.Add(10 * time.Minute)
		if err := s.Retry(ctx, x.ID, next, "hub said 503"); err != nil {
			t.Fatalf("Retry: %v", err)
		}
		if got := keys(due(t, s, t0.Add(time.Minute), 10)); !equal(got, []string{"y"}) {
			t.Errorf("Due before the retry time = %v, want [y]", got)
		}
		ms := due(t, s, next, 10)
		if !equal(keys(ms), []string{"y", "x"}) {
			t.Fatalf("Due at the retry time = %v, want [y x]", keys(ms))
		}
		got := ms[1]
		if got.ID != x.ID || got.Attempts != 1 || got.LastError != "hub said 503" || !got.NotBefore.Equal(next) {
			t.Errorf("retried message = %+v, want the same ID, 1 attempt, the error, NotBefore %v", got, next)
		}
	})

	t.Run("SentAndGiveUpRemoveFromPending", func(t *testing.T) {
		s := open(t)
		enqueue(t, s, msg("email", "a", t0), msg("email", "b", t0), msg("websub", "c", t0))
		ms := due(t, s, t0, 10)
		st, err := s.Stats(ctx)
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if st.Pending["email"] != 2 || st.Pending["websub"] != 1 || st.Dead["email"] != 0 {
			t.Errorf("Stats = %+v, want 2 email and 1 websub pending, none dead", st)
		}
		if err := s.Sent(ctx, ms[0].ID); err != nil {
			t.Fatalf("Sent: %v", err)
		}
		if err := s.GiveUp(ctx, ms[1].ID, "550 no such user"); err != nil {
			t.Fatalf("GiveUp: %v", err)
		}
		if got := keys(due(t, s, t0.Add(time.Hour), 10)); !equal(got, []string{"c"}) {
			t.Errorf("Due = %v, want [c]", got)
		}
		st, err = s.Stats(ctx)
		if err != nil {
			t.Fatalf("Stats: %v", err)
		}
		if st.Pending["email"] != 0 || st.Pending["websub"] != 1 || st.Dead["email"] != 1 {
			t.Errorf("Stats = %+v, want 1 websub pending and 1 email dead", st)
		}
		for name, err := range map[string]error{
			"Sent again":       s.Sent(ctx, ms[0].ID),
			"Retry after Sent": s.Retry(ctx, ms[0].ID, t0, "x"),
			"GiveUp a dead":    s.GiveUp(ctx, ms[1].ID, "x"),
			"Sent unknown":     s.Sent(ctx, 999999),
		} {
			if !errors.Is(err, outbox.ErrNotFound) {
				t.Errorf("%s: err = %v, want ErrNotFound", name, err)
			}
		}
	})

	t.Run("InvalidMessagesAreRefusedWhole", func(t *testing.T) {
		s := open(t)
		err := s.Enqueue(ctx, msg("email", "fine", t0), outbox.Message{Kind: "email"})
		if !errors.Is(err, outbox.ErrInvalid) {
			t.Errorf("Enqueue with no Key: err = %v, want ErrInvalid", err)
		}
		if got := due(t, s, t0.Add(time.Hour), 10); len(got) != 0 {
			t.Errorf("Due = %v, want nothing stored from a refused batch", keys(got))
		}
	})

	t.Run("ZeroTimesAreNow", func(t *testing.T) {
		s := open(t)
		before := time.Now().Add(-time.Second)
		enqueue(t, s, outbox.Message{Kind: "email", Key: "now"})
		ms := due(t, s, time.Now().Add(time.Second), 10)
		if len(ms) != 1 || ms[0].NotBefore.Before(before) || ms[0].Created.Before(before) {
			t.Errorf("Due = %+v, want the message due now, created now", ms)
		}
	})
}
