// Package mail composes Milepost's emails (HTML and plain text from
// html/template, with one-click unsubscribe headers and a Message-ID
// derived from the outbox Key, so that a re-send after a crash is
// recognisably the same mail) and sends them by SMTP with go-mail. It owns
// site.yaml's email: block. It knows nothing of posts or subscribers: the
// subscriptions package decides who gets what.
package mail

import (
	"fmt"
	"net/mail"
	"strings"
)

// TLS modes of the connection to the SMTP server.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS, which is required (the default)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption: for a relay on the same machine
)

// Settings is site.yaml's email: block. The password is never in the file:
// it comes from serve -smtp-password-file or MILEPOST_SMTP_PASSWORD.
// Without a host and a from address nothing offers email.
type Settings struct {
	Host string `yaml:"host" toml:"host"`
	Port int    `yaml:"port" toml:"port"` // 587 for starttls, 465 for tls, 25 for none when unset
	User string `yaml:"user" toml:"user"`
	From string `yaml:"from" toml:"from"` // "Club <news@club.example>"
	TLS  string `yaml:"tls" toml:"tls"`   // starttls (default), tls or none
	// PerMinute bounds the messages sent to the server a minute; 0 means
	// DefaultPerMinute.
	PerMinute int `yaml:"per_minute" toml:"per_minute"`
}

// DefaultPerMinute is how many emails a minute go to the SMTP server unless
// told otherwise: gentle on a small provider's limits.
const DefaultPerMinute = 60

// Enabled reports whether email is set up.
func (s Settings) Enabled() bool { return s.Host != "" && s.From != "" }

// Validate checks the block and fills in the defaults; an empty block is
// valid (no email).
func (s *Settings) Validate() error {
	s.Host, s.From, s.User = strings.TrimSpace(s.Host), strings.TrimSpace(s.From), strings.TrimSpace(s.User)
	s.TLS = strings.ToLower(strings.TrimSpace(s.TLS))
	if s.Host == "" && s.From == "" {
		return nil
	}
	if s.Host == "" || s.From == "" {
		return fmt.Errorf("email: both host and from are needed (host %q, from %q)", s.Host, s.From)
	}
	if _, err := mail.ParseAddress(s.From); err != nil {
		return fmt.Errorf("email: from %q is not an address: %w", s.From, err)
	}
	switch s.TLS {
	case "":
		s.TLS = TLSStartTLS
	case TLSStartTLS, TLSImplicit, TLSNone:
	default:
		return fmt.Errorf("email: tls is %q; it must be starttls, tls or none", s.TLS)
	}
	if s.Port == 0 {
		s.Port = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}[s.TLS]
	}
	if s.Port < 1 || s.Port > 65535 {
		return fmt.Errorf("email: port %d is not a port", s.Port)
	}
	if s.PerMinute < 0 {
		return fmt.Errorf("email: per_minute is %d; it must be 0 (the default) or more", s.PerMinute)
	}
	return nil
}

// MaxAddressLen bounds an email address (RFC 5321's path limit).
const MaxAddressLen = 254

// NormalAddress is addr checked and in the form Milepost keys it by: the
// bare address, in lower case. It refuses a name part, a list, and what is
// too long.
func NormalAddress(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	if addr == "" || len(addr) > MaxAddressLen {
		return "", fmt.Errorf("not an email address")
	}
	a, err := mail.ParseAddress(addr)
	if err != nil || a.Name != "" || a.Address != addr || !strings.Contains(addr, "@") || strings.ContainsAny(addr, " ,;<>\"") {
		return "", fmt.Errorf("%q is not an email address", addr)
	}
	return strings.ToLower(a.Address), nil
}
