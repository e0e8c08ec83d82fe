package app

import (
	"context"
	"crypto/tls"
	"errors"
	"expvar"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"milepost/internal/content"
	"milepost/internal/feed"
	"milepost/internal/mail"
	"milepost/internal/outbox"
	"milepost/internal/publication"
	"milepost/internal/subscriptions"
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
	smtp      *siteSMTP
	worker    *outbox.Worker
	announcer *publication.Announcer
	subs      *subscriptions.Service
	// notifyEvery is how often approved comments are looked for (and
	// whether the weekly digest is due) when nothing wakes the notifier.
	notifyEvery time.Duration
	// ahead is how far the subscriptions' clock runs ahead of the
	// system's, in nanoseconds: always 0 in serve; the digest's tests set
	// it, as they cannot wait for a Monday.
	ahead *atomic.Int64
}

// newOutgoing builds the worker, the announcer and the subscriptions over
// st's database.
func newOutgoing(ctx context.Context, cfg ServeConfig, st *stores, log *slog.Logger) (*outgoing, error) {
	worker := &outbox.Worker{Store: st.db, Log: log.With("part", "outbox"), Senders: map[string]outbox.Sender{
		websub.Kind: &websub.Sender{Client: &http.Client{}, UserAgent: "Milepost (WebSub publisher)"},
	}}
	secret, err := st.db.Secret(ctx, "subscriptions")
	if err != nil {
		return nil, err
	}
	transport := &siteSMTP{site: st.src.Current, password: cfg.SMTPPassword}
	ahead := new(atomic.Int64)
	subs, err := subscriptions.New(subscriptions.Options{
		Now:   func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) },
		Store: st.db, Secret: secret, Site: st.src.Current,
		Transport: transport,
		Comment:   st.db.Get,
		ForEmail: func(h template.HTML, pageURL string) (template.HTML, string) {
			h = feed.Absolute(h, pageURL)
			return h, feed.PlainText(h)
		},
		Notify: worker.Notify,
		Log:    log.With("part", "email"),
	})
	if err != nil {
		return nil, err
	}
	worker.Senders[subscriptions.Kind] = subs
	worker.Pace = map[string]func(context.Context) error{subscriptions.Kind: transport.Wait}
	if c := st.src.Current().Config; c.Email.Enabled() && c.BaseURL == "" {
		log.Warn("email is set up in site.yaml, but there is no base_url for the links in emails: nothing offers email")
	}
	fanouts := []publication.Fanout{
		websubFanout{site: st.src.Current},
		subs,
	}
	fanouts = federate(st, worker, fanouts) // ActivityPub (federation.go)
	return &outgoing{
		smtp:        transport,
		worker:      worker,
		announcer:   &publication.Announcer{Store: st.db, Fanouts: fanouts, Worker: worker, Log: log.With("part", "announcer")},
		subs:        subs,
		notifyEvery: 5 * time.Second,
		ahead:       ahead,
	}, nil
}

// SMTPPassword is the SMTP password from file (serve -smtp-password-file),
// else from MILEPOST_SMTP_PASSWORD; "" for none. It is never in site.yaml.
func SMTPPassword(file string) (string, error) {
	if file == "" {
		return os.Getenv("MILEPOST_SMTP_PASSWORD"), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("reading the SMTP password: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// siteSMTP sends by SMTP with the email: settings of the site served now,
// so that an edited site.yaml takes effect; the transport (and its rate
// limit) is kept while the settings stay the same.
type siteSMTP struct {
	site     func() *content.Site
	password string
	mu       sync.Mutex
	settings mail.Settings
	smtp     *mail.SMTP
	// tlsConfig is for tests: mail.SMTP.TLSConfig, trusting a test
	// server's certificate.
	tlsConfig *tls.Config
}

// current is the transport for the site's settings now, nil when email
// is not set up.
func (t *siteSMTP) current() *mail.SMTP {
	s := t.site().Config.Email
	if !s.Enabled() {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.smtp == nil || t.settings != s {
		t.settings, t.smtp = s, mail.NewSMTP(s, t.password)
		t.smtp.TLSConfig = t.tlsConfig
	}
	return t.smtp
}

// Wait waits for the next email's turn under site.yaml's per_minute (the
// outbox worker's Pace of emails).
func (t *siteSMTP) Wait(ctx context.Context) error {
	if smtp := t.current(); smtp != nil {
		return smtp.Wait(ctx)
	}
	return nil // Send says why not
}

func (t *siteSMTP) Send(ctx context.Context, e mail.Email) error {
	smtp := t.current()
	if smtp == nil {
		return errors.New("email is not set up in site.yaml")
	}
	return smtp.Send(ctx, e)
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
	wg.Go(func() { _ = o.subs.RunNotifications(ctx, o.notifyEvery) })
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
// that carried it (known after a restart from what was announced). Without a base_url there are no feed URLs to name, and
// no pings.
type websubFanout struct{ site func() *content.Site }

func (f websubFanout) Messages(ctx context.Context, ev publication.Event) ([]outbox.Message, error) {
	site := f.site()
	cfg := site.Config
	if len(cfg.WebSub.Hubs) == 0 || cfg.BaseURL == "" {
		return nil, nil
	}
	pages := feed.PagesOf(content.View{Site: site, Now: time.Now()}, ev.Post)
	if ev.Kind != publication.Published {
		// Where the post was, as this process saw it and as the world was
		// told (which a restart keeps).
		was := append(feed.AllPagesOf(ev.Was), feed.ListingPages(ev.ToldAs.Author, ev.ToldAs.Tags)...)
		for _, p := range was {
			if !slices.Contains(pages, p) {
				pages = append(pages, p)
			}
		}
	}
	return websub.Messages(cfg.WebSub.Hubs, feed.URLs(cfg.BaseURL, pages), ev.Key())
}
