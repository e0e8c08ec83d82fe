package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/textproto"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"golang.org/x/time/rate"

	"milepost/internal/outbox"
)

// Transport delivers composed emails. SMTP is the real one; tests may use
// a fake.
type Transport interface {
	Send(ctx context.Context, e Email) error
}

// SMTP sends through the server of Settings, one connection per message
// (the outbox sends few at once, and a long-lived connection would need
// keeping alive), at most Settings.PerMinute a minute: its sender calls
// Wait before each Send.
type SMTP struct {
	settings Settings
	password string
	limit    *rate.Limiter

	// A refused login holds every email back until heldUntil, for
	// holdFor, doubled at each refusal up to longestHold: the next email
	// would be refused alike, and a server counting failed logins locks
	// the account out. A restart (with the mended password) or new
	// settings make a new SMTP, which is not held.
	mu        sync.Mutex
	heldUntil time.Time
	holdFor   time.Duration
	// TLSConfig, when set, replaces the default (the system's roots,
	// verifying Host): tests trust their own server's certificate.
	TLSConfig *tls.Config
}

// NewSMTP is the transport for s (checked with Validate) with the password
// given on the command line or in the environment ("" for none).
func NewSMTP(s Settings, password string) *SMTP {
	per := s.PerMinute
	if per == 0 {
		per = DefaultPerMinute
	}
	return &SMTP{settings: s, password: password, limit: rate.NewLimiter(rate.Every(time.Minute/time.Duration(per)), max(1, per/10))}
}

// Wait waits for the next message's turn under Settings.PerMinute, or
// until ctx ends. It is apart from Send so that the outbox can wait
// outside a send's time limit (outbox.Worker.Pace).
func (t *SMTP) Wait(ctx context.Context) error {
	t.mu.Lock()
	held := time.Until(t.heldUntil)
	t.mu.Unlock()
	if held > 0 {
		timer := time.NewTimer(held)
		defer timer.Stop()
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting after a refused SMTP login: %w", ctx.Err())
		case <-timer.C:
		}
	}
	if err := t.limit.Wait(ctx); err != nil {
		return fmt.Errorf("waiting for the SMTP rate limit: %w", err)
	}
	return nil
}

// Send builds the message and delivers it at once (Wait first). A refusal
// the server says is permanent (5xx) is an outbox.Permanent error;
// everything else is tried again.
func (t *SMTP) Send(ctx context.Context, e Email) error {
	m, err := t.message(e)
	if err != nil {
		return outbox.Permanent(err)
	}
	opts := []gomail.Option{gomail.WithPort(t.settings.Port), gomail.WithTimeout(20 * time.Second)}
	switch t.settings.TLS {
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if t.TLSConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(t.TLSConfig))
	}
	if t.settings.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(t.settings.User), gomail.WithPassword(t.password))
	}
	c, err := gomail.NewClient(t.settings.Host, opts...)
	if err != nil {
		return outbox.Permanent(fmt.Errorf("setting up the SMTP client: %w", err))
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		// A refused login (535) is the site's to mend, not the reader's,
		// and every email would fail alike: it is held, never given up
		// (lost to its reader), and holds the others back, and they all
		// go once serve runs with the right password.
		var refused *textproto.Error
		if errors.As(err, &refused) && refused.Code == 535 {
			hold := t.hold()
			return outbox.Held(fmt.Errorf("logging in to the SMTP server as %q: the server refused the user or password (the password comes from serve -smtp-password-file or MILEPOST_SMTP_PASSWORD; emails are held back %s, then tried again): %w",
				t.settings.User, hold, err))
		}
		t.release()
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.Reason != gomail.ErrSMTPReset && se.Reason != gomail.ErrConnCheck && se.Reason != gomail.ErrGetSender {
			return outbox.Permanent(fmt.Errorf("sending to %s: %w", e.To, err))
		}
		return fmt.Errorf("sending to %s: %w", e.To, err)
	}
	t.release()
	return nil
}

// Holds after a refused login: the first, and the longest.
const (
	firstHold   = time.Minute
	longestHold = 6 * time.Hour
)

// hold holds every email back after a refused login, for twice as long as
// the last hold (firstHold the first time, at most longestHold), and says
// for how long.
func (t *SMTP) hold() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.holdFor = min(max(2*t.holdFor, firstHold), longestHold)
	t.heldUntil = time.Now().Add(t.holdFor)
	return t.holdFor
}

// release ends the holds: the server took the login.
func (t *SMTP) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.holdFor, t.heldUntil = 0, time.Time{}
}

// message is e as a go-mail message: multipart/alternative, plain text
// first, with its Message-ID and the one-click unsubscribe headers.
func (t *SMTP) message(e Email) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if err := m.From(t.settings.From); err != nil {
		return nil, fmt.Errorf("from %q: %w", t.settings.From, err)
	}
	if err := m.To(e.To); err != nil {
		return nil, fmt.Errorf("to %q: %w", e.To, err)
	}
	m.Subject(e.Subject)
	m.SetDate()
	if e.MessageID != "" {
		m.SetMessageIDWithValue(e.MessageID)
	} else {
		m.SetMessageID()
	}
	if e.Unsubscribe != "" {
		m.SetGenHeader(gomail.HeaderListUnsubscribe, "<"+e.Unsubscribe+">")
		m.SetGenHeader(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	}
	m.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	m.SetBodyString(gomail.TypeTextPlain, e.Text)
	m.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	return m, nil
}
