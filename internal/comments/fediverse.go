package comments

import (
	"errors"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// ErrNotFediverse is a name that is neither a fediverse server's domain
// nor an actor's address.
var ErrNotFediverse = errors.New("a fediverse account is named by its actor's address (https://example.social/users/name), a server by its domain (example.social)")

// ErrBadActor is a fediverse actor that is not an http(s) address Milepost
// can keep and compare: the federation's refusal of a reply, not a fault.
var ErrBadActor = errors.New("the fediverse actor is not an http(s) address of at most 2000 bytes")

// NormalizeActor returns an actor's address as comments keep and compare
// it: an http(s) URL of at most 2000 bytes, without user info or control
// characters, its scheme and host in lower case (what the rest of the URL
// means is up to its server).
func NormalizeActor(actor string) (string, error) {
	if len(actor) > 2000 || strings.IndexFunc(actor, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		return "", ErrBadActor
	}
	u, err := url.Parse(actor) // which puts the scheme in lower case
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Opaque != "" {
		return "", ErrBadActor
	}
	u.Host = strings.ToLower(u.Host)
	return u.String(), nil
}

// NormalizeFediverse tidies a fediverse account or server as a person
// typed it: a domain, lower-cased and in ASCII (a leading "@" or "*." is
// dropped; a domain stands for its subdomains too), or an actor's http(s)
// address (NormalizeActor). It is the one reading of such a name, for a
// moderator's ban and an admin's block alike.
func NormalizeFediverse(value string) (string, error) {
	v := strings.TrimSpace(value)
	if lower := strings.ToLower(v); strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		a, err := NormalizeActor(v)
		if err != nil {
			return "", ErrNotFediverse
		}
		return a, nil
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "@"), "*.")
	d, err := idna.Lookup.ToASCII(strings.ToLower(v))
	if err != nil || d == "" || !strings.Contains(d, ".") || strings.ContainsAny(d, "/:@ ") {
		return "", ErrNotFediverse
	}
	return d, nil
}

// FediverseMatch reports whether name, as NormalizeFediverse leaves it,
// covers the actor: it is the actor, or the actor's server is the domain
// name or under it.
func FediverseMatch(name, actor string) bool {
	if actor == "" || name == "" {
		return false
	}
	a, err := NormalizeActor(actor)
	if err != nil {
		return false
	}
	if name == a {
		return true
	}
	u, err := url.Parse(a)
	if err != nil {
		return false
	}
	host := u.Hostname()
	return host != "" && (host == name || strings.HasSuffix(host, "."+name))
}
