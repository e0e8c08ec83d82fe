package bolt

import (
	"context"
	"errors"
	"fmt"
	"sync"

	bbolt "go.etcd.io/bbolt"
)

// maxCommitGroup bounds the writes one shared transaction holds, as
// bbolt's Batch does, so that a flood is committed in steps.
const maxCommitGroup = 1000

// groupCommit is update for a write that may share its transaction with
// other concurrent groupCommit calls, so that they pay for one commit, and
// its fsync, between them. It returns once the transaction holding fn's
// changes is committed, or with fn's own error.
//
// It is bbolt's Batch without Batch's wait: a write that finds no commit
// under way starts one at once, alone, and the writes that arrive while a
// commit is under way are all committed together in the next one. A lone
// reader's comment costs what a write of its own costs; 64 at once share
// a handful of commits.
//
// As with Batch, fn may be called more than once: the calls of a shared
// transaction run one after another, and when one fails the transaction
// is rolled back and run again without it, while the failed one is run
// again alone (to tell its own failure from one the others caused). fn
// must therefore decide everything from what it reads in the transaction
// and keep its results only from its last call. An error in the commit
// itself fails every write that shared it.
func (db *DB) groupCommit(ctx context.Context, fn func(tx *bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return db.commits.do(db.bolt, fn)
}

// committer queues the writes of groupCommit. One writer at a time, the
// leader, commits what is queued; when it is done it hands the lead to the
// first write queued meanwhile, whose goroutine commits the next group, so
// that no writer waits for more than its own group and the one before it.
type committer struct {
	mu      sync.Mutex
	queue   []*queuedWrite
	leading bool // a writer is committing a group, or about to
}

type queuedWrite struct {
	fn   func(*bbolt.Tx) error
	done chan error    // the write's outcome: nil once committed
	lead chan struct{} // closed when this write's goroutine is to lead
}

// errAlone is what a write that failed in a group is told, in place of an
// outcome: run again in a transaction of its own.
var errAlone = errors.New("run the write again alone")

func (c *committer) do(db *bbolt.DB, fn func(*bbolt.Tx) error) error {
	w := &queuedWrite{fn: fn, done: make(chan error, 1), lead: make(chan struct{})}
	c.mu.Lock()
	c.queue = append(c.queue, w)
	lead := !c.leading
	c.leading = true
	c.mu.Unlock()
	if !lead {
		select {
		case err := <-w.done:
			return outcome(db, w, err)
		case <-w.lead:
		}
	}
	c.commitQueued(db)
	return outcome(db, w, <-w.done)
}

// outcome is a write's result, running it alone when its group said so.
func outcome(db *bbolt.DB, w *queuedWrite, err error) error {
	if err == errAlone {
		return db.Update(w.fn)
	}
	return err
}

// commitQueued commits the writes queued now (the leader's own among
// them) as one group, then hands the lead on.
func (c *committer) commitQueued(db *bbolt.DB) {
	c.mu.Lock()
	n := min(len(c.queue), maxCommitGroup)
	group := c.queue[:n:n]
	c.queue = append([]*queuedWrite(nil), c.queue[n:]...)
	c.mu.Unlock()

	commitGroup(db, group)

	c.mu.Lock()
	if len(c.queue) > 0 {
		close(c.queue[0].lead)
	} else {
		c.leading = false
	}
	c.mu.Unlock()
}

// commitGroup runs the group's writes in one transaction, one after
// another. When one fails, the transaction is rolled back, that write is
// told to run alone, and the others are run again without it. A panic or
// fault in bbolt itself (a damaged page) fails the whole group with an
// error, so that every writer is answered and the lead passes on.
func commitGroup(db *bbolt.DB, group []*queuedWrite) {
	for len(group) > 0 {
		failed := -1
		err := guard(func() error {
			return db.Update(func(tx *bbolt.Tx) error {
				for i, w := range group {
					if err := callSafely(w.fn, tx); err != nil {
						failed = i
						return err
					}
				}
				return nil
			})
		})
		if failed < 0 {
			for _, w := range group {
				w.done <- err
			}
			return
		}
		group[failed].done <- errAlone
		group = append(group[:failed:failed], group[failed+1:]...)
	}
}

// callSafely calls fn, turning a panic into an error, so that one write's
// panic fails only that write in the group (run alone, it panics on its
// own goroutine).
func callSafely(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in a write: %v", r)
		}
	}()
	return fn(tx)
}
