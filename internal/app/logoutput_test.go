package app_test

import (
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
)

func TestBufferedLoggerWritesWarningsAtOnceAndTheRestSoon(t *testing.T) {
	var out lockedBuffer
	log, _, stop := app.BufferedLogger(&out)
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
	deadline := time.Now().Add(20 * app.LogFlushInterval)
	for !strings.Contains(out.String(), "path=/tags/") {
		if time.Now().After(deadline) {
			t.Fatalf("an info line was not written within %v: %q", 20*app.LogFlushInterval, out.String())
		}
		time.Sleep(app.LogFlushInterval / 4)
	}
}

func TestBufferedLoggerStopWritesWhatIsLeft(t *testing.T) {
	var out lockedBuffer
	log, _, stop := app.BufferedLogger(&out)
	log.With("server", "a").Info("stopped")
	stop()
	if got := out.String(); !strings.Contains(got, "msg=stopped server=a") {
		t.Fatalf("after stop, the log holds %q", got)
	}
	stop() // a second call does nothing
}

func TestTheAccessLogGoesIntoTheSameBufferInOrder(t *testing.T) {
	var out lockedBuffer
	log, access, stop := app.BufferedLogger(&out)
	defer stop()
	log.Info("started")
	if _, err := access.Write([]byte("time=x level=INFO msg=request path=/\n")); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "" {
		t.Errorf("an access line was written out at once: %q", got)
	}
	log.Warn("slow disk")
	got := out.String()
	started, request, warn := strings.Index(got, "msg=started"), strings.Index(got, "msg=request path=/\n"), strings.Index(got, "msg=\"slow disk\"")
	if started < 0 || request < started || warn < request {
		t.Errorf("the log holds %q", got)
	}
}
