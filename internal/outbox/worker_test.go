package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"milepost/internal/outbox"
	"milepost/internal/outbox/outboxtest"
)

// run starts w and stops it when the test ends.
func run(t *testing.T, w *outbox.Worker) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// recorder is a Sender that counts sends by Key and fails as told.
type recorder struct {
	mu    sync.Mutex
	sent  map[string]int
	tries map[string]int
	fail  func(m outbox.Message, try int) error
}

func (r *recorder) Send(ctx context.Context, m outbox.Message) error {
	r.mu.Lock()
	if r.tries == nil {
		r.tries, r.sent = map[string]int{}, map[string]int{}
	}
	r.tries[m.Key]++
	try := r.tries[m.Key]
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(m, try); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.sent[m.Key]++
	r.mu.Unlock()
	return nil
}

func (r *recorder) count(key string) (sent, tries int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sent[key], r.tries[key]
}

func stats(t *testing.T, s outbox.Store) outbox.Stats {
	t.Helper()
	st, err := s.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestWorkerRetriesWithBackoffUntilItSends(t *testing.T) {
	store := &outboxtest.MemStore{}
	rec := &recorder{fail: func(m outbox.Message, try int) error {
		if try < 3 {
			return errors.New("421 try later")
		}
		return nil
	}}
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{"email": rec},
		BaseDelay: 20 * time.Millisecond, Poll: 5 * time.Millisecond}
	if err := store.Enqueue(context.Background(), outbox.Message{Kind: "email", Key: "m1"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run(t, w)
	waitFor(t, "the third try to succeed", func() bool { s, _ := rec.count("m1"); return s == 1 })
	// Two failures wait at least 3/4 of 20 ms and of 40 ms.
	if took := time.Since(start); took < 45*time.Millisecond {
		t.Errorf("three tries took %v: the retries did not back off", took)
	}
	if _, tries := rec.count("m1"); tries != 3 {
		t.Errorf("tries = %d, want 3", tries)
	}
	if st := stats(t, store); st.Pending["email"] != 0 || st.Dead["email"] != 0 {
		t.Errorf("Stats = %+v, want nothing left", st)
	}
}

func TestWorkerBackoffGrowsAndIsBounded(t *testing.T) {
	w := &outbox.Worker{BaseDelay: time.Minute, MaxDelay: time.Hour}
	prevMax := time.Duration(0)
	for attempts := 1; attempts <= 12; attempts++ {
		lo, hi := time.Duration(1<<62), time.Duration(0)
		for range 200 {
			d := w.Backoff(attempts)
			lo, hi = min(lo, d), max(hi, d)
		}
		want := min(time.Minute<<(attempts-1), time.Hour)
		if hi > want || lo < want*3/4 {
			t.Errorf("Backoff(%d) in [%v, %v], want within [%v, %v]", attempts, lo, hi, want*3/4, want)
		}
		if lo == hi {
			t.Errorf("Backoff(%d) is always %v: no jitter", attempts, lo)
		}
		if hi < prevMax && want < time.Hour {
			t.Errorf("Backoff(%d) = %v shrank", attempts, hi)
		}
		prevMax = hi
	}
}

func TestWorkerGivesUpOnPermanentErrorsAndAfterMaxAttempts(t *testing.T) {
	store := &outboxtest.MemStore{}
	rec := &recorder{fail: func(m outbox.Message, try int) error {
		if m.Key == "gone" {
			return outbox.Permanent(errors.New("550 no such mailbox"))
		}
		return errors.New("timeout")
	}}
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{"email": rec},
		BaseDelay: time.Millisecond, MaxAttempts: 4, Poll: 2 * time.Millisecond}
	ctx := context.Background()
	if err := store.Enqueue(ctx, outbox.Message{Kind: "email", Key: "gone"}, outbox.Message{Kind: "email", Key: "flaky"}); err != nil {
		t.Fatal(err)
	}
	run(t, w)
	waitFor(t, "both given up", func() bool { return stats(t, store).Dead["email"] == 2 })
	if _, tries := rec.count("gone"); tries != 1 {
		t.Errorf("a permanent failure was tried %d times, want once", tries)
	}
	if _, tries := rec.count("flaky"); tries != 4 {
		t.Errorf("a failing message was tried %d times, want MaxAttempts = 4", tries)
	}
}

// A destination that hangs takes its per-send timeout and is then put off;
// meanwhile the other messages of its kind, and of other kinds, go.
func TestWorkerDeadDestinationDoesNotHoldUpOthers(t *testing.T) {
	store := &outboxtest.MemStore{}
	ok := &recorder{}
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{
		"activitypub": outbox.SenderFunc(func(ctx context.Context, m outbox.Message) error {
			if m.Key[0] == 'd' { // the dead server's inbox: hangs until the timeout
				<-ctx.Done()
				return ctx.Err()
			}
			return ok.Send(ctx, m)
		}),
		"websub": ok,
	}, Concurrency: 2, SendTimeout: 50 * time.Millisecond, BaseDelay: time.Hour, Poll: 5 * time.Millisecond}
	ctx := context.Background()
	var msgs []outbox.Message
	for _, k := range []string{"d1", "d2", "d3", "d4"} { // first in line, enough to fill every slot
		msgs = append(msgs, outbox.Message{Kind: "activitypub", Key: k})
	}
	if err := store.Enqueue(ctx, msgs...); err != nil {
		t.Fatal(err)
	}
	if err := store.Enqueue(ctx, outbox.Message{Kind: "activitypub", Key: "live1"}, outbox.Message{Kind: "websub", Key: "ping"}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run(t, w)
	waitFor(t, "the live messages", func() bool {
		a, _ := ok.count("live1")
		b, _ := ok.count("ping")
		return a == 1 && b == 1
	})
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("the live messages took %v behind the dead destination", took)
	}
	// The other kind did not wait for the dead destination's timeouts.
	waitFor(t, "the dead destination's messages to be put off", func() bool {
		due, _ := store.Due(ctx, time.Now(), 10)
		return len(due) == 0
	})
	if st := stats(t, store); st.Pending["activitypub"] != 4 {
		t.Errorf("Stats = %+v, want the 4 dead destination's messages pending for a retry", st)
	}
}

func TestWorkerNotifyWakesItAtOnce(t *testing.T) {
	store := &outboxtest.MemStore{}
	rec := &recorder{}
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{"websub": rec}, Poll: time.Hour}
	run(t, w)
	time.Sleep(20 * time.Millisecond) // the worker has looked once, found nothing, and sleeps for an hour
	if err := store.Enqueue(context.Background(), outbox.Message{Kind: "websub", Key: "p"}); err != nil {
		t.Fatal(err)
	}
	w.Notify()
	waitFor(t, "the notified message", func() bool { s, _ := rec.count("p"); return s == 1 })
}

func TestWorkerWithoutSenderForAKindRetriesLater(t *testing.T) {
	store := &outboxtest.MemStore{}
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{}, BaseDelay: time.Hour, Poll: 5 * time.Millisecond}
	if err := store.Enqueue(context.Background(), outbox.Message{Kind: "email", Key: "x"}); err != nil {
		t.Fatal(err)
	}
	run(t, w)
	waitFor(t, "the attempt", func() bool {
		due, _ := store.Due(context.Background(), time.Now(), 10)
		return len(due) == 0
	})
	if st := stats(t, store); st.Pending["email"] != 1 {
		t.Errorf("Stats = %+v, want the message still pending", st)
	}
}

// Many quick sends at once: each message goes once, though the worker
// reads the due list while other sends' outcomes are being recorded.
func TestWorkerSendsEachMessageOnce(t *testing.T) {
	store := &outboxtest.MemStore{}
	rec := &recorder{}
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{"email": rec}, Concurrency: 8, Poll: time.Millisecond}
	var msgs []outbox.Message
	for i := range 300 {
		msgs = append(msgs, outbox.Message{Kind: "email", Key: fmt.Sprint("m", i)})
	}
	if err := store.Enqueue(context.Background(), msgs...); err != nil {
		t.Fatal(err)
	}
	run(t, w)
	waitFor(t, "every message", func() bool { return stats(t, store).Pending["email"] == 0 })
	time.Sleep(20 * time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, m := range msgs {
		if rec.sent[m.Key] != 1 {
			t.Errorf("%s sent %d times", m.Key, rec.sent[m.Key])
		}
	}
}

// TestWorkerPaceIsNeitherTimedNorAFailure: a message waiting for its turn
// under a kind's Pace longer than SendTimeout is sent once its turn comes,
// not failed (and, with one attempt allowed, given up); and one waiting
// when Run ends stays pending, untried.
func TestWorkerPaceIsNeitherTimedNorAFailure(t *testing.T) {
	store := &outboxtest.MemStore{}
	rec := &recorder{}
	turn, waiting := make(chan struct{}), make(chan struct{}, 2)
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{"email": rec},
		Pace: map[string]func(context.Context) error{"email": func(ctx context.Context) error {
			waiting <- struct{}{}
			select {
			case <-turn:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}},
		SendTimeout: 5 * time.Millisecond, MaxAttempts: 1, Poll: 5 * time.Millisecond}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	if err := store.Enqueue(context.Background(), outbox.Message{Kind: "email", Key: "m1"}); err != nil {
		t.Fatal(err)
	}
	w.Notify()
	<-waiting
	time.Sleep(4 * w.SendTimeout) // the wait outlasts a send's limit
	turn <- struct{}{}
	waitFor(t, "the paced message to go", func() bool { s, _ := rec.count("m1"); return s == 1 })
	waitFor(t, "the sent message to be recorded", func() bool { return stats(t, store).Pending["email"] == 0 })
	if st := stats(t, store); st.Dead["email"] != 0 {
		t.Errorf("Stats = %+v, want nothing given up", st)
	}

	if err := store.Enqueue(context.Background(), outbox.Message{Kind: "email", Key: "m2"}); err != nil {
		t.Fatal(err)
	}
	w.Notify()
	<-waiting
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, tries := rec.count("m2"); tries != 0 || stats(t, store).Pending["email"] != 1 {
		t.Errorf("a message waiting for its turn at shutdown: %d tries, stats %+v; want untried and pending", tries, stats(t, store))
	}
}

// A message held by a failure of this side's settings (outbox.Held: an
// SMTP login refused) is tried again however often it failed, never given
// up, and goes once the settings are mended.
func TestWorkerNeverGivesUpAHeldMessage(t *testing.T) {
	store := &outboxtest.MemStore{}
	const mendedAt = 6
	rec := &recorder{fail: func(m outbox.Message, try int) error {
		if try < mendedAt {
			return outbox.Held(errors.New("535 authentication failed"))
		}
		return nil
	}}
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{"email": rec},
		BaseDelay: time.Millisecond, MaxDelay: time.Millisecond, MaxAttempts: 2, Poll: 2 * time.Millisecond}
	if err := store.Enqueue(context.Background(), outbox.Message{Kind: "email", Key: "welcome"}); err != nil {
		t.Fatal(err)
	}
	run(t, w)
	waitFor(t, "the held message to go", func() bool { s, _ := rec.count("welcome"); return s == 1 })
	if _, tries := rec.count("welcome"); tries != mendedAt {
		t.Errorf("tried %d times, want %d (past MaxAttempts = 2)", tries, mendedAt)
	}
	if st := stats(t, store); st.Dead["email"] != 0 {
		t.Errorf("Stats = %+v, want nothing given up", st)
	}
}

// A Pace that fails for another reason than the worker stopping is a
// failed attempt, not a message sent back at once untouched.
func TestWorkerCountsAFailedPaceAsAnAttempt(t *testing.T) {
	store := &outboxtest.MemStore{}
	rec := &recorder{}
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{"email": rec},
		Pace:      map[string]func(context.Context) error{"email": func(context.Context) error { return errors.New("no turn") }},
		BaseDelay: time.Millisecond, MaxAttempts: 3, Poll: 2 * time.Millisecond}
	if err := store.Enqueue(context.Background(), outbox.Message{Kind: "email", Key: "m"}); err != nil {
		t.Fatal(err)
	}
	run(t, w)
	waitFor(t, "the message to be given up", func() bool { return stats(t, store).Dead["email"] == 1 })
	if _, tries := rec.count("m"); tries != 0 {
		t.Errorf("sent %d times without its turn", tries)
	}
}

// More messages of one kind due than a batch holds, all waiting on a slow
// destination, do not hide a message of another kind queued behind them.
func TestWorkerManyDueOfOneKindDoNotHideAnother(t *testing.T) {
	store := &outboxtest.MemStore{}
	release := make(chan struct{})
	emails := &recorder{fail: func(outbox.Message, int) error { <-release; return nil }}
	deliveries := &recorder{}
	w := &outbox.Worker{Store: store, Senders: map[string]outbox.Sender{"email": emails, "activitypub": deliveries},
		Concurrency: 1, Batch: 5, Poll: 2 * time.Millisecond, SendTimeout: time.Minute}
	ctx := context.Background()
	for i := range 20 {
		if err := store.Enqueue(ctx, outbox.Message{Kind: "email", Key: fmt.Sprintf("email-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Enqueue(ctx, outbox.Message{Kind: "activitypub", Key: "create"}); err != nil {
		t.Fatal(err)
	}
	run(t, w)
	unblock := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unblock) // before run's: a failing test must let the worker stop
	waitFor(t, "the delivery queued behind 20 emails", func() bool { s, _ := deliveries.count("create"); return s == 1 })
	unblock()
	waitFor(t, "the emails", func() bool { return stats(t, store).Pending["email"] == 0 })
}
