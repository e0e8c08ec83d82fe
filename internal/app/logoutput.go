package app

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// LogFlushInterval is how long a line of serve's log may wait in its buffer
// before it is written out.
const LogFlushInterval = 100 * time.Millisecond

// BufferedLogger is serve's logger: text lines to w through a buffer, so
// that the access log's line per request costs no write system call of its
// own (one was a tenth of a cached page's time under load). The buffer is
// written out every LogFlushInterval, when it fills, and at once after a
// warning or an error, so that those are never held back. The returned
// function stops the flushing and writes out what is left: call it before
// the process exits. access writes into the same buffer, in order with
// the log's lines: it takes the access log's lines (web.Options.AccessLog),
// formatted by the web server itself.
func BufferedLogger(w io.Writer) (log *slog.Logger, access io.Writer, stop func()) {
	out := &logBuffer{w: bufio.NewWriterSize(w, 64<<10)}
	done, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(LogFlushInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				out.flush()
			case <-done:
				return
			}
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			close(done)
			<-stopped
			out.flush()
		})
	}
	return slog.New(flushingHandler{Handler: slog.NewTextHandler(out, nil), out: out}), out, stop
}

// logBuffer is a buffered writer shared by the handler and the flushing
// goroutine.
type logBuffer struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.w.Write(p)
}

func (b *logBuffer) flush() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.w.Buffered() > 0 {
		_ = b.w.Flush() // nowhere to report a log that cannot be written
	}
}

// flushingHandler writes the buffer out after each record at warning level
// or above.
type flushingHandler struct {
	slog.Handler
	out *logBuffer
}

func (h flushingHandler) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		h.out.flush()
	}
	return err
}

func (h flushingHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithAttrs(attrs), out: h.out}
}

func (h flushingHandler) WithGroup(name string) slog.Handler {
	return flushingHandler{Handler: h.Handler.WithGroup(name), out: h.out}
}
