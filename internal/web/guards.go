package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Guards are the spam defences of the comment form. The zero value turns
// each off; DefaultGuards is what `milepost serve` uses.
type Guards struct {
	// Honeypot adds a field people never see; a form that fills it is a bot's.
	Honeypot bool
	// MinFormAge refuses a form submitted sooner than this after the page was
	// served (people take longer to write a comment); 0 turns it off.
	MinFormAge time.Duration
	// MaxFormAge refuses a form older than this, so a harvested form cannot
	// be replayed for ever; 0 turns it off.
	MaxFormAge time.Duration
	// TrustedProxies are the addresses whose X-Forwarded-For is believed.
	// Without any, the header is ignored.
	TrustedProxies []netip.Prefix
}

// DefaultGuards are the guards a new site gets.
var DefaultGuards = Guards{Honeypot: true, MinFormAge: 2 * time.Second, MaxFormAge: 24 * time.Hour}

// ParseTrustedProxy reads a trusted proxy given as an address
// ("10.0.0.1") or a CIDR range ("10.0.0.0/8").
func ParseTrustedProxy(s string) (netip.Prefix, error) {
	if p, err := netip.ParsePrefix(s); err == nil {
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR range", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// honeypotField is the name of the hidden field. It looks like one a form
// filler would happily complete.
const honeypotField = "homepage"

// signer makes and checks HMAC signatures with the site's secret key, which
// the database generates on first run and keeps.
type signer struct{ key []byte }

func (s signer) sign(parts ...string) string {
	m := hmac.New(sha256.New, s.key)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

func (s signer) valid(sig string, parts ...string) bool {
	return hmac.Equal([]byte(sig), []byte(s.sign(parts...)))
}

// formToken is the signed time stamp the comment form carries: when the page
// was served, and for which post.
func (s signer) formToken(slug string, at time.Time) string {
	// Milliseconds: whole seconds would let a form through up to a second
	// early.
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	return ts + "." + s.sign("form", slug, ts)
}

// formAge checks a form token and says how long ago its form was served.
func (s signer) formAge(token, slug string, now time.Time) (time.Duration, bool) {
	ts, sig, ok := strings.Cut(token, ".")
	if !ok || !s.valid(sig, "form", slug, ts) {
		return 0, false
	}
	ms, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return 0, false
	}
	return now.Sub(time.UnixMilli(ms)), true
}

// commenterCookie names the cookie that carries a reader's signed commenter
// id: it lets a reader see their own held comments, edit their comments for a
// while, and be recognised by first-time moderation.
const commenterCookie = "milepost_commenter"

// commenterID returns the reader's commenter id, or "" without a valid cookie.
func (s *Server) commenterID(r *http.Request) string {
	c, err := r.Cookie(commenterCookie)
	if err != nil {
		return ""
	}
	id, sig, ok := strings.Cut(c.Value, ".")
	if !ok || id == "" || !s.signer.valid(sig, "commenter", id) {
		return ""
	}
	return id
}

// ensureCommenterID returns the reader's commenter id, giving them one (and
// its cookie) if they have none.
func (s *Server) ensureCommenterID(w http.ResponseWriter, r *http.Request) string {
	if id := s.commenterID(r); id != "" {
		return id
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	id := base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{
		Name: commenterCookie, Value: id + "." + s.signer.sign("commenter", id),
		Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r),
	})
	return id
}

// clientIP is the address the request came from: the peer, or — when the
// peer is a trusted proxy — the last address in X-Forwarded-For that is not
// one of the trusted proxies.
func (s *Server) clientIP(r *http.Request) string {
	peer := peerIP(r)
	if len(s.opts.Guards.TrustedProxies) == 0 || !s.trusted(peer) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop := strings.TrimSpace(hops[i])
		addr, err := netip.ParseAddr(hop)
		if err != nil {
			break // a malformed hop: trust nothing further left
		}
		if !s.trusted(addr.Unmap().String()) {
			return addr.Unmap().String()
		}
	}
	return peer
}

func (s *Server) trusted(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	for _, p := range s.opts.Guards.TrustedProxies {
		if p.Contains(addr.Unmap()) {
			return true
		}
	}
	return false
}

// peerIP is the address of the connection's other end.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
