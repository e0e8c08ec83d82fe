// Package mailtest runs a real SMTP server on loopback for tests
// (emersion/go-smtp as the receiving side), in clear or over TLS and with
// or without AUTH, and reads what it receives as a mail client would:
// net/mail for the headers, mime/multipart for the parts.
package mailtest

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Message is one received email, parsed.
type Message struct {
	From    string   // the envelope sender
	To      []string // the envelope recipients
	Header  mail.Header
	Subject string // decoded
	Text    string // the text/plain part
	HTML    string // the text/html part
	Raw     []byte
	// Encrypted is whether the message came over TLS (implicit or after
	// STARTTLS); User is who logged in to send it ("" for no one).
	Encrypted bool
	User      string
	// Received is when the server took the message.
	Received time.Time
}

// TLS modes of a test server, as site.yaml names them.
const (
	TLSNone     = ""         // plain SMTP; STARTTLS is not offered
	TLSStartTLS = "starttls" // plain SMTP offering STARTTLS
	TLSImplicit = "tls"      // TLS from the first byte
)

// Options are how a server started by StartWith speaks.
type Options struct {
	// TLS is one of TLSNone, TLSStartTLS and TLSImplicit. With TLS the
	// server has a certificate for 127.0.0.1 made for the test, which
	// Server.ClientTLS trusts.
	TLS string
	// User, when set, must log in with Password before sending: AUTH is
	// offered (over TLS only, when the server has TLS) and MAIL refused
	// until then.
	User, Password string
	// Mechanisms are the AUTH mechanisms offered: PLAIN and LOGIN when
	// empty.
	Mechanisms []string
}

// Server is an SMTP server that accepts every message, or refuses the
// first Refuse ones with a temporary error.
type Server struct {
	Addr string // host:port
	Host string
	Port int

	opts       Options
	roots      *x509.CertPool // trusts the server's certificate; nil without TLS
	mu         sync.Mutex
	messages   []Message
	refuse     int
	delay      time.Duration
	failedAuth int
	srv        *smtp.Server
}

// Start starts a plain server with no AUTH on a free loopback port,
// stopped when the test ends.
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith starts a server speaking as o says on a free loopback port,
// stopped when the test ends.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, opts: o}
	if len(s.opts.Mechanisms) == 0 {
		s.opts.Mechanisms = []string{sasl.Plain, sasl.Login}
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &session{s: s, conn: c}, nil }))
	s.srv.Domain = "mail.test"
	s.srv.ReadTimeout, s.srv.WriteTimeout = 10*time.Second, 10*time.Second
	s.srv.ErrorLog = nopLogger{}
	switch o.TLS {
	case TLSNone:
		s.srv.AllowInsecureAuth = true
	case TLSStartTLS, TLSImplicit:
		cert, roots, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		s.roots = roots
		s.srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		if o.TLS == TLSImplicit {
			ln = tls.NewListener(ln, s.srv.TLSConfig)
		}
	default:
		t.Fatalf("mailtest: TLS mode %q", o.TLS)
	}
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// ClientTLS is a client configuration that trusts the server's
// certificate (and no other), for mail.SMTP.TLSConfig; nil for a server
// without TLS.
func (s *Server) ClientTLS() *tls.Config {
	if s.roots == nil {
		return nil
	}
	return &tls.Config{RootCAs: s.roots, ServerName: s.Host, MinVersion: tls.VersionTLS12}
}

// FailedLogins counts the AUTH attempts refused for a wrong user or
// password.
func (s *Server) FailedLogins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failedAuth
}

type nopLogger struct{}

func (nopLogger) Printf(string, ...any) {}
func (nopLogger) Println(...any)        {}

// RefuseNext makes the server refuse the next n messages with 451.
func (s *Server) RefuseNext(n int) {
	s.mu.Lock()
	s.refuse = n
	s.mu.Unlock()
}

// SetDelay makes the server take d over each message before it accepts
// it, so that a sender can be stopped halfway through its queue.
func (s *Server) SetDelay(d time.Duration) {
	s.mu.Lock()
	s.delay = d
	s.mu.Unlock()
}

// Messages returns every message received so far.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// To returns the messages received for addr.
func (s *Server) To(addr string) []Message {
	var out []Message
	for _, m := range s.Messages() {
		for _, to := range m.To {
			if strings.EqualFold(to, addr) {
				out = append(out, m)
			}
		}
	}
	return out
}

// Wait waits until n messages were received for addr, and returns them.
func (s *Server) Wait(t testing.TB, addr string, n int) []Message {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ms := s.To(addr)
		if len(ms) >= n {
			return ms
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d email(s) to %s; got %d", n, addr, len(ms))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type session struct {
	s    *Server
	conn *smtp.Conn
	user string // who logged in
	from string
	to   []string
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if x.s.opts.User != "" && x.user == "" {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

// AuthMechanisms offers AUTH only to a server that requires it.
func (x *session) AuthMechanisms() []string {
	if x.s.opts.User == "" {
		return nil
	}
	return x.s.opts.Mechanisms
}

func (x *session) Auth(mech string) (sasl.Server, error) {
	if !slices.Contains(x.AuthMechanisms(), mech) {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	check := func(user, password string) error {
		if user != x.s.opts.User || password != x.s.opts.Password {
			x.s.mu.Lock()
			x.s.failedAuth++
			x.s.mu.Unlock()
			return smtp.ErrAuthFailed
		}
		x.user = user
		return nil
	}
	if mech == sasl.Login {
		return &loginServer{check: check}, nil
	}
	return sasl.NewPlainServer(func(identity, user, password string) error {
		if identity != "" && identity != user {
			return smtp.ErrAuthFailed
		}
		return check(user, password)
	}), nil
}
func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	delay := x.s.delay
	x.s.mu.Unlock()
	time.Sleep(delay)
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if x.s.refuse > 0 {
		x.s.refuse--
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	m, err := Parse(raw)
	if err != nil {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 6, 0}, Message: err.Error()}
	}
	m.From, m.To, m.User, m.Received = x.from, x.to, x.user, time.Now()
	_, m.Encrypted = x.conn.TLSConnectionState()
	x.s.messages = append(x.s.messages, m)
	return nil
}

// Parse reads a message as a mail client does: the headers, then the
// text and HTML parts of a multipart/alternative body (or the one part).
func Parse(raw []byte) (Message, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return Message{}, fmt.Errorf("reading the message: %w", err)
	}
	out := Message{Header: msg.Header, Raw: raw}
	dec := new(mime.WordDecoder)
	if out.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		return out, fmt.Errorf("decoding the subject: %w", err)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		return out, fmt.Errorf("content type: %w", err)
	}
	if !strings.HasPrefix(mediaType, "multipart/") {
		body, err := decode(msg.Header.Get("Content-Transfer-Encoding"), msg.Body)
		if err != nil {
			return out, err
		}
		out.setPart(mediaType, body)
		return out, nil
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable itself
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, fmt.Errorf("reading a part: %w", err)
		}
		body, err := decode(p.Header.Get("Content-Transfer-Encoding"), p)
		if err != nil {
			return out, err
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		out.setPart(pt, body)
	}
	return out, nil
}

func (m *Message) setPart(mediaType, body string) {
	switch mediaType {
	case "text/plain":
		m.Text = body
	case "text/html":
		m.HTML = body
	}
}

var linkIn = regexp.MustCompile(`https?://[^\s"<>]+`)

// Link is the first URL in the email's text part that contains part; the
// test fails when there is none.
func (m Message) Link(t testing.TB, part string) string {
	t.Helper()
	for _, u := range linkIn.FindAllString(m.Text, -1) {
		if strings.Contains(u, part) {
			return u
		}
	}
	t.Fatalf("no link with %q in the email:\n%s", part, m.Text)
	return ""
}
