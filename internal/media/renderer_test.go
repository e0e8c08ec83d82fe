package media_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"sync"
	"testing"
	"time"

	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

// stuckWriter takes the first write of a render's output only once let
// go, saying when that write began: the render holds its turn meanwhile.
type stuckWriter struct {
	writing chan<- struct{}
	letGo   <-chan struct{}
	once    sync.Once
}

func (w *stuckWriter) Write(p []byte) (int, error) {
	w.once.Do(func() {
		w.writing <- struct{}{}
		<-w.letGo
	})
	return len(p), nil
}

func TestRendersBeyondTheRenderersBoundWaitAndTheCacheSharesIt(t *testing.T) {
	ctx := context.Background()
	photo := mediatest.PNG(t, mediatest.Halves(600, 300))
	info, err := media.Probe(bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	renders := media.NewRenderer(2)
	writing, letGo := make(chan struct{}), make(chan struct{})
	var held sync.WaitGroup
	for range 2 {
		held.Go(func() {
			if err := renders.Render(ctx, &stuckWriter{writing: writing, letGo: letGo}, photo, info, 480); err != nil {
				t.Errorf("a render holding its turn: %v", err)
			}
		})
	}
	<-writing
	<-writing // both turns are taken

	// A third render waits for a turn, here until its context ends.
	waiting, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := renders.Render(waiting, io.Discard, photo, info, 480); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a third render of two at once = %v, want it to wait until its context ends", err)
	}
	// It gave up because its context ended, not before (a busy machine may
	// hold the test up between making the context and the call, so no
	// time measured from before the call says more).
	if waiting.Err() == nil {
		t.Error("the third render gave up before its context ended")
	}
	// A variant the cache builds takes its turn with the same renders.
	cache, err := media.NewCache(t.TempDir(), renders)
	if err != nil {
		t.Fatal(err)
	}
	asking, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if _, err := cache.Variant(asking, bytes.NewReader(photo), "", 480); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a variant built while the renders are taken = %v, want it to wait", err)
	}
	if got := cache.Stats().Built; got != 0 {
		t.Errorf("%d variants built while the renders were taken", got)
	}

	close(letGo)
	held.Wait()
	if err := renders.Render(ctx, io.Discard, photo, info, 480); err != nil {
		t.Errorf("a render once a turn is free: %v", err)
	}
	// The build its asker gave up on went on, for the next asker.
	if _, err := cache.Variant(ctx, bytes.NewReader(photo), "", 480); err != nil {
		t.Fatalf("the variant once a turn is free: %v", err)
	}
	// The build goes on in the background: its file may be in place, and
	// found by the asker above, a moment before it is counted.
	deadline := time.Now().Add(5 * time.Second)
	for cache.Stats().Built == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if got := cache.Stats().Built; got != 1 {
		t.Errorf("variants built = %d, want the one build", got)
	}
}
