package app

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the logger writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBufferedLoggerWritesWarningsAtOnceAndTheRestSoon(t *testing.T) {
	var out syncBuffer
	log, stop := BufferedLogger(&out)
	defer stop()

	log.Info("request", "path", "/")
	log.Warn("compressing a page", "path", "/posts/x/")
	// The warning is written out before Warn returns, with the line
	// logged before it.
	got := out.String()
	if !strings.Contains(got, `level=WARN msg="compressing a page" path=/posts/x/`) || !strings.Contains(got, "msg=request path=/") {
		t.Fatalf("after a warning, the log holds %q", got)
	}
	if strings.Index(got, "msg=request") > strings.Index(got, "level=WARN") {
		t.Errorf("lines out of order: %q", got)
	}

	log.Info("request", "path", "/tags/")
	deadline := time.Now().Add(20 * LogFlushInterval)
	for !strings.Contains(out.String(), "path=/tags/") {
		if time.Now().After(deadline) {
			t.Fatalf("an info line was not written within %v: %q", 20*LogFlushInterval, out.String())
		}
		time.Sleep(LogFlushInterval / 4)
	}
}

func TestBufferedLoggerStopWritesWhatIsLeft(t *testing.T) {
	var out syncBuffer
	log, stop := BufferedLogger(&out)
	log.With("server", "a").Info("stopped")
	stop()
	if got := out.String(); !strings.Contains(got, "msg=stopped server=a") {
		t.Fatalf("after stop, the log holds %q", got)
	}
	stop() // a second call does nothing
}
