package app

import (
	"context"
	"expvar"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"milepost/internal/content"
	"milepost/internal/feed"
	"milepost/internal/outbox"
	"milepost/internal/publication"
	"milepost/internal/websub"
)

// Outgoing work: the outbox worker and the announcer of post events, with
// the Fanouts that turn an event into messages and the Senders that send
// them. The worker, the announcer and the loop that tells the announcer of
// each new Site run until the function startOutgoing returns is called.

// outboxStats is the running server's outbox counts, for /debug/vars.
var outboxStats atomic.Pointer[func() any]

func init() {
	expvar.Publish("outbox", expvar.Func(func() any {
		if f := outboxStats.Load(); f != nil {
			return (*f)()
		}
		return nil
	}))
}

// outgoing is the outbox's side of the server.
type outgoing struct {
	worker    *outbox.Worker
	announcer *publication.Announcer
}

// newOutgoing builds the worker and the announcer over st's database.
func newOutgoing(st *stores, log *slog.Logger) *outgoing {
	worker := &outbox.Worker{Store: st.db, Log: log.With("part", "outbox"), Senders: map[string]outbox.Sender{
		websub.Kind: &websub.Sender{Client: &http.Client{}, UserAgent: "Milepost (WebSub publisher)"},
	}}
	fanouts := []publication.Fanout{
		websubFanout{site: st.src.Current},
	}
	fanouts = federate(st, worker, fanouts) // ActivityPub (federation.go)
	return &outgoing{
		worker:    worker,
		announcer: &publication.Announcer{Store: st.db, Fanouts: fanouts, Worker: worker, Log: log.With("part", "announcer")},
	}
}

// start runs the worker, the announcer's timer and the loop telling it of
// each new Site; the function it returns stops them and waits.
func (o *outgoing) start(ctx context.Context, st *stores, log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	stats := func() any {
		s, err := st.db.Stats(context.Background())
		if err != nil {
			return err.Error()
		}
		return s
	}
	outboxStats.Store(&stats)
	changed, unsubscribe := st.src.Subscribe()
	wg.Go(func() { _ = o.worker.Run(ctx) })
	wg.Go(func() { _ = o.announcer.Run(ctx, st.src.Current) })
	wg.Go(func() {
		defer unsubscribe()
		for {
			select {
			case <-ctx.Done():
				return
			case <-changed:
				if err := o.announcer.SiteChanged(ctx, st.src.Current()); err != nil && ctx.Err() == nil {
					// The announcer's timer tries again.
					log.Error("announcing the site's changes", "err", err)
				}
			}
		}
	})
	return func() {
		cancel()
		wg.Wait()
		outboxStats.CompareAndSwap(&stats, nil)
	}
}

// websubFanout pings the site's hubs about every feed an event changed:
// those that carry the post now, and, for a post edited or gone, those
// that carried it. Without a base_url there are no feed URLs to name, and
// no pings.
type websubFanout struct{ site func() *content.Site }

func (f websubFanout) Messages(ctx context.Context, ev publication.Event) ([]outbox.Message, error) {
	cfg := f.site().Config
	if len(cfg.WebSub.Hubs) == 0 || cfg.BaseURL == "" {
		return nil, nil
	}
	pages := feed.PagesOf(content.View{Site: f.site(), Now: time.Now()}, ev.Post)
	if ev.Kind != publication.Published {
		for _, p := range feed.AllPagesOf(ev.Was) {
			if !slices.Contains(pages, p) {
				pages = append(pages, p)
			}
		}
	}
	return websub.Messages(cfg.WebSub.Hubs, feed.URLs(cfg.BaseURL, pages), ev.Key())
}
