package activity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/muktihari/fit/encoder"
	"github.com/muktihari/fit/profile/mesgdef"
	"github.com/muktihari/fit/profile/typedef"
	"github.com/muktihari/fit/proto"
)

// encodeFITMessages writes a FIT file of the messages in the order given,
// after a file ID: for files whose order matters (a sport message between
// records, no sessions).
func encodeFITMessages(tb testing.TB, msgs ...proto.Message) []byte {
	tb.Helper()
	id := mesgdef.NewFileId(nil).SetType(typedef.FileActivity).SetManufacturer(typedef.ManufacturerGarmin).ToMesg(nil)
	fit := proto.FIT{Messages: append([]proto.Message{id}, msgs...)}
	var buf bytes.Buffer
	if err := encoder.New(&buf).Encode(&fit); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// fitRecords are n records a second apart from start, 3 m apart.
func fitRecords(start time.Time, n int, fromM float64) []proto.Message {
	var msgs []proto.Message
	for i := range n {
		msgs = append(msgs, mesgdef.NewRecord(nil).SetTimestamp(start.Add(time.Duration(i)*time.Second)).
			SetDistanceScaled(fromM+float64(i)*3).ToMesg(nil))
	}
	return msgs
}

func sportMesg(s typedef.Sport) proto.Message { return mesgdef.NewSport(nil).SetSport(s).ToMesg(nil) }

func TestReadRefusesAFileOfMorePointsThanItsLimit(t *testing.T) {
	var points []Point
	for _, p := range longTrack(t, 200) {
		if p.HasPosition && len(points) < 50 {
			points = append(points, p)
		}
	}
	limits := Limits{MaxFileBytes: 1 << 20, MaxUncompressedBytes: 1 << 20, MaxPoints: 49}
	for name, data := range map[string][]byte{
		"run.gpx": encodeGPX(points), "run.tcx": encodeTCX(points), "run.fit": encodeFIT(t, points),
	} {
		_, err := ReadLimited(context.Background(), name, bytes.NewReader(data), limits)
		var fe *FileError
		if !errors.As(err, &fe) || fe.Reason != "the file has more than 49 points" {
			t.Errorf("%s of 50 points with a limit of 49: err %v", name, err)
		}
		limits.MaxPoints = 50
		if _, err := ReadLimited(context.Background(), name, bytes.NewReader(data), limits); err != nil {
			t.Errorf("%s of 50 points with a limit of 50: %v", name, err)
		}
		limits.MaxPoints = 49
	}
}

func TestReadRefusesAFITOfThousandsOfSessions(t *testing.T) {
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	msgs := fitRecords(start, 100, 0)
	for range maxFITSessions + 1 {
		msgs = append(msgs, mesgdef.NewSession(nil).SetSport(typedef.SportRunning).SetStartTime(start).
			SetTimestamp(start.Add(99*time.Second)).SetTotalElapsedTimeScaled(99).ToMesg(nil))
	}
	_, err := Read(context.Background(), "run.fit", bytes.NewReader(encodeFITMessages(t, msgs...)))
	if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), fmt.Sprintf("more than %d sessions", maxFITSessions)) {
		t.Errorf("a FIT of %d sessions: err %v", maxFITSessions+1, err)
	}
	// As many as allowed, all over the same records: each record is read
	// once.
	msgs = msgs[:len(msgs)-1]
	act := mustRead(t, "run.fit", encodeFITMessages(t, msgs...))
	if len(act.Points) != 100 {
		t.Errorf("%d sessions over 100 records gave %d points", maxFITSessions, len(act.Points))
	}
}

// TestReadFITWithoutSessionsTellsItsLegsBySportMessages: a multisport
// file cut before its first session is written (its sessions come at the
// end) has its legs told by its sport messages.
func TestReadFITWithoutSessionsTellsItsLegsBySportMessages(t *testing.T) {
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	swim := append([]proto.Message{sportMesg(typedef.SportSwimming)}, fitRecords(start, 60, 0)...)
	// The ride's first record comes before its sport message, as a
	// Garmin writes them.
	ride := fitRecords(start.Add(time.Minute), 60, 200)
	ride = append(ride[:1:1], append([]proto.Message{sportMesg(typedef.SportCycling)}, ride[1:]...)...)
	run := append([]proto.Message{sportMesg(typedef.SportRunning)}, fitRecords(start.Add(2*time.Minute), 60, 500)...)

	// Swim and ride: no part is the run.
	_, err := Read(context.Background(), "tri.fit", bytes.NewReader(encodeFITMessages(t, append(swim, ride...)...)))
	var fe *FileError
	if !errors.As(err, &fe) || !strings.Contains(fe.Reason, "no running leg (swimming, cycling)") {
		t.Errorf("a swim and a ride without sessions: err %v, want it refused as no run", err)
	}

	// Swim, ride and run: the run is kept, the others named as left out.
	act := mustRead(t, "tri.fit", encodeFITMessages(t, append(append(swim, ride...), run...)...))
	if act.Sport != SportRunning || len(act.Points) != 60 || !act.Points[0].Time.Equal(start.Add(2*time.Minute)) {
		t.Errorf("sport %q, %d points from %v; want the run's 60", act.Sport, len(act.Points), act.Points[0].Time)
	}
	if strings.Join(act.Dropped, "; ") != "swimming; cycling" {
		t.Errorf("dropped %q, want the swim and the ride", act.Dropped)
	}

	// A ride alone is still a ride.
	act = mustRead(t, "ride.fit", encodeFITMessages(t, ride...))
	if act.Sport != "cycling" || len(act.Points) != 60 {
		t.Errorf("a ride: sport %q, %d points", act.Sport, len(act.Points))
	}
}

// TestReadFITOfSeveralSportsKeepsOnlyWhatItDoesNotName: a swim and a ride
// with their sessions, then records of no named sport in a file cut
// short — those may be the run and are all it shows, with a warning.
func TestReadFITOfSeveralSportsKeepsOnlyWhatItDoesNotName(t *testing.T) {
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	session := func(s typedef.Sport, from time.Time) proto.Message {
		return mesgdef.NewSession(nil).SetSport(s).SetStartTime(from).SetTimestamp(from.Add(59 * time.Second)).
			SetTotalElapsedTimeScaled(59).ToMesg(nil)
	}
	msgs := append(fitRecords(start, 60, 0), session(typedef.SportSwimming, start))
	msgs = append(msgs, fitRecords(start.Add(time.Minute), 60, 200)...)
	msgs = append(msgs, session(typedef.SportCycling, start.Add(time.Minute)))
	msgs = append(msgs, fitRecords(start.Add(2*time.Minute), 60, 500)...)
	data := encodeFITMessages(t, msgs...)
	act := mustRead(t, "cut.fit", data[:len(data)-40])
	if len(act.Points) == 0 || act.Points[0].Time.Before(start.Add(2*time.Minute)) {
		t.Errorf("%d points from %v; want only the records after the ride", len(act.Points), act.Points[0].Time)
	}
	if !hasWarning(act, "does not say which of its legs") {
		t.Errorf("warnings %q, want one saying the run cannot be told", act.Warnings)
	}
}

// blockingReader holds a read until released, saying when it started.
type blockingReader struct{ started, release chan struct{} }

func (b blockingReader) Read([]byte) (int, error) {
	close(b.started)
	<-b.release
	return 0, io.EOF
}

func TestReadersReadABoundedNumberOfFilesAtOnce(t *testing.T) {
	readers := NewReaders(1)
	held := blockingReader{started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = readers.Read(context.Background(), "first.gpx", held, DefaultLimits)
	}()
	<-held.started // the first read has the one turn
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := readers.Read(ctx, "second.gpx", strings.NewReader("<gpx/>"), DefaultLimits); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a second read while the one turn is taken: err %v, want it to wait until ctx is done", err)
	}
	close(held.release)
	<-done
	if _, err := readers.Read(context.Background(), "third.gpx", strings.NewReader("<gpx/>"), DefaultLimits); errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrUnreadable) {
		t.Errorf("a read after the turn is free: err %v, want the file read (and refused for no points)", err)
	}
}

// TestReadFITTakesAsLongForManySessionsAsForOne reads 100,000 records
// under one session and under 1,000 (with a lap each): each session finds
// its records by binary search, so the second read costs about what the
// first does; looked at every record for every session, it took over
// four times as long.
func TestReadFITTakesAsLongForManySessionsAsForOne(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 2 MB of FIT twice")
	}
	start := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	records := fitRecords(start, 100_000, 0)
	span := func(sessions int) []proto.Message {
		msgs := slices.Clone(records)
		per := 100_000 / sessions
		for i := range sessions {
			from := start.Add(time.Duration(i*per) * time.Second)
			end := from.Add(time.Duration(per-1) * time.Second)
			msgs = append(msgs,
				mesgdef.NewLap(nil).SetSport(typedef.SportRunning).SetStartTime(from).SetTimestamp(end).ToMesg(nil),
				mesgdef.NewSession(nil).SetSport(typedef.SportRunning).SetStartTime(from).SetTimestamp(end).ToMesg(nil))
		}
		return msgs
	}
	timed := func(data []byte) time.Duration {
		best := time.Duration(math.MaxInt64)
		for range 3 {
			t0 := time.Now()
			if act := mustRead(t, "run.fit", data); len(act.Points) != 100_000 {
				t.Fatalf("%d points, want 100,000", len(act.Points))
			}
			best = min(best, time.Since(t0))
		}
		return best
	}
	one, many := timed(encodeFITMessages(t, span(1)...)), timed(encodeFITMessages(t, span(1000)...))
	if many > 3*one {
		t.Errorf("1,000 sessions read in %v, one in %v: more than three times as long", many, one)
	}
}
