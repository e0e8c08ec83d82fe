package content

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"milepost/internal/activity"
)

// heldRead takes the one turn of readers until release is closed, as a
// long read elsewhere in the program would.
func heldRead(t *testing.T, readers *activity.Readers) (release func()) {
	t.Helper()
	held, done := make(chan struct{}), make(chan struct{})
	started := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = readers.Read(context.Background(), "held.gpx", readerFunc(func([]byte) (int, error) {
			close(started)
			<-held
			return 0, errors.New("released")
		}), activity.DefaultLimits)
	}()
	<-started
	return func() { close(held); <-done }
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

func TestALoadReadsActivityFilesInTurnWithTheProgramsOtherReads(t *testing.T) {
	dir := writeSite(t, files{
		"posts/run/index.md": "---\ntitle: Run\ndate: 2024-05-01\nactivity: run.tcx\n---\n",
		"posts/run/run.tcx":  activityFixture(t, "garmin_running.tcx"),
	})
	readers := activity.NewReaders(1)
	release := heldRead(t, readers)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	site, err := Load(ctx, dir, Overrides{Activities: readers})
	if err == nil {
		if p := (View{Site: site, Now: time.Now()}).Post("run"); p != nil && p.Run != nil && p.Run.Activity != nil {
			t.Fatal("the activity file was read while the program's one turn was taken")
		}
	} else if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("load while the turn is taken: %v", err)
	}

	release()
	site, err = Load(context.Background(), dir, Overrides{Activities: readers})
	if err != nil {
		t.Fatal(err)
	}
	if p := (View{Site: site, Now: time.Now()}).Post("run"); p == nil || p.Run == nil || p.Run.Activity == nil {
		t.Fatalf("the activity file was not read once the turn was free: %s", strings.Join(warningList(site), "; "))
	}
}
