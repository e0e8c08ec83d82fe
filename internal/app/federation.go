package app

import (
	"log/slog"
	"sync/atomic"

	"milepost/internal/federation"
	"milepost/internal/outbox"
	"milepost/internal/publication"
)

// newFederation makes the site's authors followable from Mastodon: the
// federation Service over st's database, whose deliveries go through the
// outbox (its Accepts wake the worker once federate has given it one).
func newFederation(st *stores, log *slog.Logger) (*federation.Service, error) {
	ua := "Milepost"
	if base := st.src.Current().Config.BaseURL; base != "" {
		// Servers' admins can tell whose requests these are.
		ua += " (+" + base + "/)"
	}
	return federation.New(federation.Options{
		Store: st.db, Comments: st.comments, Site: st.src.Current, Outbox: st.db, Log: log.With("part", "federation"),
		UserAgent: ua,
		Wake: func() {
			if w := st.fedWorker.Load(); w != nil {
				w.Notify()
			}
		},
	})
}

// federate adds federation's Sender to the outbox worker and its Fanout
// to the announcer's, when the server has a federation Service.
func federate(st *stores, worker *outbox.Worker, fanouts []publication.Fanout) []publication.Fanout {
	if st.fed == nil {
		return fanouts
	}
	worker.Senders[federation.Kind] = st.fed
	st.fedWorker.Store(worker)
	return append(fanouts, st.fed)
}

// fedParts are the stores' federation fields.
type fedParts struct {
	fed       *federation.Service
	fedWorker atomic.Pointer[outbox.Worker]
}
