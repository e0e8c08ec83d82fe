package search

import (
	"context"
	"log/slog"
	"time"

	"milepost/internal/content"
)

// Source is the content the index follows; content.Source is one.
type Source interface {
	Current() *content.Site
	// Subscribe returns a channel that receives a value after each
	// reload, and the function that ends the subscription.
	Subscribe() (<-chan struct{}, func())
}

// Follow builds the index from src's site, then keeps it in step until
// ctx ends: after every reload, and when a scheduled post comes due. now
// is the clock (time.Now when nil). A Sync that fails is logged; the next
// change tries again.
func (ix *Index) Follow(ctx context.Context, src Source, now func() time.Time, log *slog.Logger) {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	changes, stop := src.Subscribe()
	defer stop()
	// Stopped until a scheduled post waits. (Since Go 1.23 a stopped or
	// reset timer delivers no stale tick.)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	first := true
	for {
		started := time.Now()
		next, err := ix.Sync(ctx, src.Current(), now())
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error("updating the search index", "err", err)
		} else {
			// The first build is worth a line: searches wait for it.
			level := slog.LevelDebug
			if first {
				level, first = slog.LevelInfo, false
			}
			log.Log(ctx, level, "search index updated", "posts", ix.Len(), "ms", time.Since(started).Milliseconds())
		}
		if !next.IsZero() {
			// A moment after it is due, so that now() has passed it.
			timer.Reset(max(next.Sub(now()), 0) + 10*time.Millisecond)
		}
		select {
		case <-ctx.Done():
			return
		case <-changes:
		case <-timer.C:
		}
		timer.Stop()
	}
}
