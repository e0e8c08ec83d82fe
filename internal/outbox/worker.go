package outbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// Defaults of the Worker's settings, used where a field is zero.
const (
	DefaultMaxAttempts = 12               // about a day of tries with the delays below
	DefaultBaseDelay   = 30 * time.Second // the delay after the first failure, doubled after each
	DefaultMaxDelay    = 6 * time.Hour
	DefaultSendTimeout = 30 * time.Second
	// DefaultShutdownGrace is how long a send under way may go on once
	// the worker is told to stop.
	DefaultShutdownGrace = 5 * time.Second
	DefaultConcurrency   = 4
	DefaultPoll          = 5 * time.Second
	DefaultBatch         = 500
)

// Worker sends due messages with per-kind Senders, retries with exponential
// backoff and jitter (bounded attempts), never lets one slow or dead
// destination hold up the others (per-kind concurrency, per-send timeout,
// and a failed message moves behind the rest by its backoff), and is woken
// at once by Notify after an Enqueue.
//
// Run may be called once at a time; Notify at any time, even before Run.
type Worker struct {
	Store   Store
	Senders map[string]Sender
	Log     *slog.Logger
	// Pace, for a kind that has one, waits for a message's turn under
	// the destination's rate limit before it is sent (an SMTP server's
	// per_minute). The wait is neither part of SendTimeout nor a failed
	// attempt: bounded by the send's time limit, a low rate failed every
	// message after the first few, and gave them up after MaxAttempts.
	Pace map[string]func(ctx context.Context) error

	MaxAttempts int           // failed attempts before a message is given up; DefaultMaxAttempts
	BaseDelay   time.Duration // the first retry's delay; DefaultBaseDelay
	MaxDelay    time.Duration // the longest delay between tries; DefaultMaxDelay
	SendTimeout time.Duration // one Send's limit; DefaultSendTimeout
	// ShutdownGrace: how long a send under way may finish after Run's ctx
	// ends; DefaultShutdownGrace.
	ShutdownGrace time.Duration
	Concurrency   int           // sends of one kind at once; DefaultConcurrency
	Poll          time.Duration // how often the store is asked with nothing else to wake the worker; DefaultPoll
	Batch         int           // messages asked of the store at once; DefaultBatch
	Now           func() time.Time

	once sync.Once
	wake chan struct{}
}

// Notify wakes the worker to look for due messages now. It never blocks.
func (w *Worker) Notify() {
	if w == nil {
		return
	}
	w.init()
	select {
	case w.wake <- struct{}{}:
	default: // a wake-up is already waiting
	}
}

func (w *Worker) init() {
	w.once.Do(func() { w.wake = make(chan struct{}, 1) })
}

func (w *Worker) now() time.Time {
	if w.Now != nil {
		return w.Now()
	}
	return time.Now()
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

func (w *Worker) log() *slog.Logger {
	if w.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return w.Log
}

// Backoff is the delay after a message's failed attempt number attempts
// (1 for the first failure): BaseDelay doubled per attempt up to MaxDelay,
// with up to a quarter taken off at random so that messages that failed
// together do not all come back together.
func (w *Worker) Backoff(attempts int) time.Duration {
	base, limit := or(w.BaseDelay, DefaultBaseDelay), or(w.MaxDelay, DefaultMaxDelay)
	d := base
	for i := 1; i < attempts && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	return d - time.Duration(rand.Int64N(int64(d)/4+1))
}

// Run sends due messages until ctx ends, then waits for the sends under
// way, each for up to ShutdownGrace. A send cut short is not counted as a
// failure: the message is still pending and goes after the restart.
func (w *Worker) Run(ctx context.Context) error {
	w.init()
	concurrency, batch := or(w.Concurrency, DefaultConcurrency), or(w.Batch, DefaultBatch)
	poll := or(w.Poll, DefaultPoll)
	var (
		mu       sync.Mutex
		inFlight = map[uint64]bool{}
		finished []uint64 // sent, retried or given up since the last Due
		perKind  = map[string]int{}
		wg       sync.WaitGroup
		done     = make(chan struct{}, 1)
	)
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
		case <-done:
		case <-timer.C:
		}
		// A message leaves inFlight only here, before Due: a Due read
		// while its outcome was being recorded could list it again.
		mu.Lock()
		for _, id := range finished {
			delete(inFlight, id)
		}
		finished = finished[:0]
		var busy []string // kinds with every slot taken: their due messages would only be passed over
		for kind, n := range perKind {
			if n >= concurrency {
				busy = append(busy, kind)
			}
		}
		mu.Unlock()
		due, err := w.Store.Due(ctx, w.now(), batch, busy...)
		if err != nil && ctx.Err() == nil {
			w.log().Error("reading the outbox", "err", err)
		}
		for _, m := range due {
			mu.Lock()
			busy := inFlight[m.ID] || perKind[m.Kind] >= concurrency
			if !busy {
				inFlight[m.ID] = true
				perKind[m.Kind]++
			}
			mu.Unlock()
			if busy {
				continue // next round: a slot frees, and done wakes the loop
			}
			wg.Go(func() {
				w.deliver(ctx, m)
				mu.Lock()
				finished = append(finished, m.ID)
				perKind[m.Kind]--
				mu.Unlock()
				select {
				case done <- struct{}{}:
				default:
				}
			})
		}
		timer.Reset(poll) // since Go 1.23 a Reset timer never delivers a stale tick
	}
}

// deliver sends m once and records the outcome.
func (w *Worker) deliver(ctx context.Context, m Message) {
	log := w.log().With("kind", m.Kind, "key", m.Key, "id", m.ID)
	var err error
	sender := w.Senders[m.Kind]
	if pace := w.Pace[m.Kind]; pace != nil && sender != nil {
		if perr := pace(ctx); perr != nil {
			if ctx.Err() != nil {
				return // shutting down: still pending
			}
			err = fmt.Errorf("waiting for its turn: %w", perr)
		}
	}
	switch {
	case err != nil: // its turn never came: a failed attempt
	case sender == nil:
		err = fmt.Errorf("no sender for messages of kind %q (is its feature configured?)", m.Kind)
	default:
		// A send under way when ctx ends may finish within ShutdownGrace:
		// cut after the other side took it (an SMTP DATA answered, an
		// inbox that stored the activity) it would stay pending and go
		// again after the restart.
		sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), or(w.SendTimeout, DefaultSendTimeout))
		stopGrace := context.AfterFunc(ctx, func() { time.AfterFunc(or(w.ShutdownGrace, DefaultShutdownGrace), cancel) })
		err = safeSend(sendCtx, sender, m)
		stopGrace()
		cancel()
	}
	if err != nil && ctx.Err() != nil {
		return // shutting down: not the destination's fault; still pending
	}
	// The outcome is recorded even if ctx ends meanwhile: a send that went
	// must be marked, or it goes again.
	rec, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	switch {
	case err == nil:
		if err := w.Store.Sent(rec, m.ID); err != nil {
			log.Error("recording a sent message", "err", err)
		}
	case IsPermanent(err) || (m.Attempts+1 >= or(w.MaxAttempts, DefaultMaxAttempts) && !IsHeld(err)):
		log.Warn("giving up on an outgoing message", "attempts", m.Attempts+1, "err", err)
		if err := w.Store.GiveUp(rec, m.ID, err.Error()); err != nil {
			log.Error("giving up on a message", "err", err)
		}
	default:
		next, level := w.now().Add(w.Backoff(m.Attempts+1)), slog.LevelInfo
		if IsHeld(err) {
			// Its sender holds its kind back until the settings are
			// mended; it goes as soon as they are, not after a backoff
			// grown while they were not. The settings are the admin's
			// to mend: they are told louder.
			next, level = w.now().Add(or(w.BaseDelay, DefaultBaseDelay)), slog.LevelWarn
		}
		log.Log(context.WithoutCancel(ctx), level, "outgoing message failed; will retry", "attempts", m.Attempts+1, "next", next, "err", err)
		if err := w.Store.Retry(rec, m.ID, next, err.Error()); err != nil {
			log.Error("recording a failed attempt", "err", err)
		}
	}
}

// safeSend turns a Sender's panic into an error, so that one bad message
// cannot stop every other delivery.
func safeSend(ctx context.Context, s Sender, m Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = Permanent(errors.New(fmt.Sprint("sender panicked: ", r))) // it would again
		}
	}()
	return s.Send(ctx, m)
}
