// Package outbox owns Milepost's outgoing work: every email, WebSub ping and
// ActivityPub delivery is a Message, stored durably before anyone is told it
// will happen, and sent by a Worker that retries with backoff until it
// succeeds or gives up.
//
// Delivery is at least once at the transport level: a process killed
// between a send and its Sent loses the record of the send, and the message
// goes again after the restart. "Never sent twice" for the reader is kept by
// stable identities the receiving side dedupes on (an email's Message-ID is
// derived from Key, an ActivityPub activity has its id), and by enqueuing
// each event once: a Key, once enqueued, is never enqueued again.
package outbox

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// A Message is one piece of outgoing work: an email to one address, one
// WebSub ping, one ActivityPub delivery to one inbox. It is durable once
// Enqueue returns.
type Message struct {
	ID        uint64    // assigned by the store
	Kind      string    // which Sender handles it: "email", "websub", "activitypub", ...
	Key       string    // idempotency key: enqueuing a Key already seen (pending OR sent) is a no-op
	Payload   []byte    // kind-specific (JSON); opaque to the outbox
	Attempts  int       // failed attempts so far
	NotBefore time.Time // not sent before this time (backoff, scheduling)
	Created   time.Time
	LastError string
}

// Stats counts the messages waiting and given up on, by Kind.
type Stats struct {
	Pending map[string]int
	Dead    map[string]int
}

// Store keeps the outbox. Implementations: bolt.DB, and outboxtest.MemStore
// for tests of code that only enqueues.
type Store interface {
	// Enqueue stores msgs durably (fsync) before returning; messages whose
	// Key was ever enqueued are skipped. Each message needs a Kind and a Key;
	// a zero Created or NotBefore is taken as now.
	Enqueue(ctx context.Context, msgs ...Message) error
	// Due returns up to limit messages with NotBefore <= now, oldest
	// NotBefore first, passing over those of the kinds in skip (the
	// worker's busy ones: a thousand emails due must not hide the
	// ActivityPub deliveries queued behind them).
	Due(ctx context.Context, now time.Time, limit int, skip ...string) ([]Message, error)
	// Sent removes the message and remembers its Key (so it is never
	// enqueued again).
	Sent(ctx context.Context, id uint64) error
	// Retry records a failed attempt and when to try again.
	Retry(ctx context.Context, id uint64, next time.Time, lastErr string) error
	// GiveUp moves the message to the dead list (kept for the admin to
	// see), remembering its Key.
	GiveUp(ctx context.Context, id uint64, lastErr string) error
	// Stats counts pending and dead messages per kind (for /debug/vars and
	// the admin).
	Stats(ctx context.Context) (Stats, error)
}

// ErrNotFound is matched by the error of Sent, Retry and GiveUp for a
// message that is not pending (already sent, or given up on).
var ErrNotFound = errors.New("no such pending message")

// ErrInvalid is matched by Enqueue's error for a message with no Kind or no
// Key: nothing of the batch is stored.
var ErrInvalid = errors.New("invalid outbox message")

// Valid reports why m cannot be enqueued, or nil. Stores call it.
func Valid(m Message) error {
	switch {
	case m.Kind == "":
		return errors.Join(ErrInvalid, errors.New("no kind"))
	case m.Key == "":
		return errors.Join(ErrInvalid, errors.New("no key"))
	case len(m.Key) > MaxKeyLen:
		return errors.Join(ErrInvalid, errors.New("key too long"))
	}
	return nil
}

// MaxKeyLen bounds a Key: stores index messages by it.
const MaxKeyLen = 512

// A Sender delivers one kind of message. A PermanentError (wrap with
// Permanent(err)) is not retried.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SenderFunc is a Sender made of a function.
type SenderFunc func(ctx context.Context, m Message) error

// Send calls f.
func (f SenderFunc) Send(ctx context.Context, m Message) error { return f(ctx, m) }

// PermanentError marks a failure that trying again cannot mend: an address
// the mail server refuses for good, an inbox that is gone.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return "permanent failure: " + e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// A HeldError is a failure of this side's own settings, not of the
// message or its destination (an SMTP login refused): the message is tried
// again however often it has failed, never given up, and BaseDelay after
// each failure; its kind's Pace must hold the kind back meanwhile
// (mail.SMTP's Wait does), or the tries would come that often.
type HeldError struct{ Err error }

func (e *HeldError) Error() string { return "held: " + e.Err.Error() }
func (e *HeldError) Unwrap() error { return e.Err }

// Held wraps err so that the Worker never gives the message up for it.
func Held(err error) error {
	if err == nil {
		return nil
	}
	return &HeldError{Err: err}
}

// IsHeld reports whether err, or an error it wraps, is a HeldError.
func IsHeld(err error) bool {
	var h *HeldError
	return errors.As(err, &h)
}

// Permanent wraps err so that the Worker gives the message up at once.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &PermanentError{Err: err}
}

// IsPermanent reports whether err, or an error it wraps, is a
// PermanentError.
func IsPermanent(err error) bool {
	var p *PermanentError
	return errors.As(err, &p)
}

// KeyOf joins parts into a Key, kind first by convention
// ("websub", event, hub, feed): readable when it fits MaxKeyLen, else the
// first part and a SHA-256 of the whole, which is as unique.
func KeyOf(parts ...string) string {
	k := strings.Join(parts, "|")
	if len(k) <= MaxKeyLen {
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return parts[0] + "|sha256:" + hex.EncodeToString(sum[:])
}
