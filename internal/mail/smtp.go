package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/textproto"
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
		// A refused login (535) is not permanent: the password is the
		// site's to mend, and every email would fail alike; given up, they
		// would be lost to their readers. Tried again, they go once serve
		// runs with the right one.
		var refused *textproto.Error
		if errors.As(err, &refused) && refused.Code == 535 {
			return fmt.Errorf("logging in to the SMTP server as %q: the server refused the user or password (the password comes from serve -smtp-password-file or MILEPOST_SMTP_PASSWORD): %w", t.settings.User, err)
		}
		var se *gomail.SendError
		if errors.As(err, &se) && !se.IsTemp() && se.Reason != gomail.ErrSMTPReset && se.Reason != gomail.ErrConnCheck && se.Reason != gomail.ErrGetSender {
			return outbox.Permanent(fmt.Errorf("sending to %s: %w", e.To, err))
		}
		return fmt.Errorf("sending to %s: %w", e.To, err)
	}
	return nil
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
