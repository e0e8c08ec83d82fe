package stress

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// TestKill9KeepsEveryAcknowledgedComment kills the server with SIGKILL at
// random moments while 64 readers post comments, restarts it on the same
// database each time, and then checks the database: every comment that was
// answered 303 is there exactly once, and nothing is there that was refused
// or answered with an error.
func TestKill9KeepsEveryAcknowledgedComment(t *testing.T) {
	needBinary(t)
	const commenters = 64
	kills := *killsFlag
	if kills < 1 {
		t.Fatalf("-kills %d: want at least 1", kills)
	}

	s := newSite(t, nil)
	srv := startServer(t, s)
	client := newClient(commenters)
	defer client.CloseIdleConnections()

	// Every body is unique, so each comment in the database can be traced
	// to the one POST that made it. A POST that got no answer is not
	// retried with the same body: it may have been stored, and a second
	// copy would be the client's doing, not the server's.
	prefix := fmt.Sprintf("kill-9 run %d:", time.Now().UnixNano())
	l := newLedger()
	ctx, stopPosting := context.WithCancel(context.Background())
	defer stopPosting()
	var wg sync.WaitGroup
	for w := range commenters {
		wg.Go(func() {
			name := fmt.Sprintf("Commenter %d", w)
			for seq := 0; ctx.Err() == nil; seq++ {
				body := fmt.Sprintf("%s commenter %d, comment %d: negative splits all the way.", prefix, w, seq)
				p := postComment(ctx, client, srv.URL(), sampleSlug, name, body)
				if ctx.Err() != nil && p.outcome != acknowledged {
					// Cut short by the end of the test, not by the server.
					p.outcome = unknown
				}
				l.record(body, p)
				if p.outcome != acknowledged {
					// The server is down or restarting: back off a little.
					sleepCtx(ctx, time.Duration(5+rand.IntN(20))*time.Millisecond)
				}
			}
		})
	}

	// Each kill must catch comments in flight, or the test proves nothing:
	// a kill under load leaves POSTs unanswered. Counted from just before
	// the kill to the restart, so that the ones cut short count too.
	var (
		downtime     time.Duration
		caught       int // kills that left POSTs unanswered
		inFlight     []int
		quietRuns    []string // server runs that acknowledged nothing
		runStart     = time.Now()
		ackedAtStart = 0
	)
	for k := range kills {
		time.Sleep(time.Duration(100+rand.IntN(501)) * time.Millisecond)
		acked, unknownBefore := l.count(acknowledged), l.count(unknown)
		if acked == ackedAtStart {
			quietRuns = append(quietRuns, fmt.Sprintf("run %d (%v)", k, time.Since(runStart).Round(time.Millisecond)))
		}
		if err := srv.kill9(); err != nil {
			stopPosting()
			wg.Wait()
			t.Fatal(err)
		}
		down := time.Now()
		if err := srv.restart(); err != nil {
			stopPosting()
			wg.Wait()
			t.Fatalf("restarting after kill %d: %v", k+1, err)
		}
		downtime += time.Since(down)
		runStart, ackedAtStart = time.Now(), l.count(acknowledged)
		if n := l.count(unknown) - unknownBefore; n > 0 {
			caught++
			inFlight = append(inFlight, n)
		}
	}
	// Some writes on the last restarted server, then a clean stop.
	time.Sleep(300 * time.Millisecond)
	stopPosting()
	wg.Wait()
	if took, err := srv.stop(10 * time.Second); err != nil {
		t.Errorf("final stop: %v (after %v)", err, took)
	}
	if caught < kills*9/10 {
		t.Errorf("only %d of %d kills caught comments in flight: the kills did not land under load", caught, kills)
	}
	if len(quietRuns) > 0 {
		t.Logf("server runs that acknowledged no comment before their kill: %v", quietRuns)
	}

	stored := l.verify(t, s, sampleSlug, prefix)
	if n := l.count(rejected); n > 0 {
		t.Errorf("%d comments were answered with an error, first: %v", n, l.errs)
	}
	if p := srv.logs.problems(); p != "" {
		t.Error(p)
	}
	spread := "none"
	if len(inFlight) > 0 {
		spread = fmt.Sprintf("%d to %d", slices.Min(inFlight), slices.Max(inFlight))
	}
	t.Logf("kills survived: %d, %d of them with POSTs in flight (%s unanswered per kill); restarts took %v in all",
		kills, caught, spread, downtime.Round(time.Millisecond))
	t.Logf("comments: %d acknowledged, %d unknown (no answer), %d refused (server down), %d answered 503 (server loading), %d rejected; %d stored",
		l.count(acknowledged), l.count(unknown), l.count(refused), l.count(starting), l.count(rejected), stored)
}
