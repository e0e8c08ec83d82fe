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

// NormalizeFediverse tidies a fediverse account or server as a person
// typed it: a domain, lower-cased and in ASCII (a leading "@" or "*." is
// dropped; a domain stands for its subdomains too), or an actor's http(s)
// address, kept as it is. It is the one reading of such a name, for a
// moderator's ban and an admin's block alike.
func NormalizeFediverse(value string) (string, error) {
	v := strings.TrimSpace(value)
	if strings.HasPrefix(v, "https://") || strings.HasPrefix(v, "http://") {
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || u.User != nil || len(v) > 2000 {
			return "", ErrNotFediverse
		}
		return v, nil
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
	if name == actor {
		return true
	}
	u, err := url.Parse(actor)
	if err != nil {
		return false
	}
	host := strings.ToLower(u.Hostname())
	return host != "" && (host == name || strings.HasSuffix(host, "."+name))
}
