package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"milepost/internal/accounts"
)

// The session cookie (made by web since accounts no longer speaks HTTP)
// lasts as long as the session, on every path, out of scripts' reach, not
// sent on cross-site posts, Secure over TLS; signing out deletes it.
func TestSessionCookie(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(mustGuards(t, "127.0.0.1")))
	h.addUser("coach", accounts.RoleAdmin)
	for _, tls := range []bool{false, true} {
		var header []string
		if tls {
			header = []string{"X-Forwarded-Proto", "https"}
		}
		b := h.browser()
		res := b.postForm("/admin/login", url.Values{"name": {"coach"}, "password": {"coach has a long password"}}, header...)
		set := res.header.Get("Set-Cookie")
		for _, want := range []string{"milepost_session=", "Path=/", "Max-Age=1209600", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(set, want) {
				t.Errorf("TLS %v: session cookie %q lacks %q", tls, set, want)
			}
		}
		if strings.Contains(set, "Secure") != tls || strings.Contains(set, "Domain") {
			t.Errorf("TLS %v: session cookie %q", tls, set)
		}
		res = b.postForm("/admin/logout", url.Values{}, header...)
		cleared := res.header.Get("Set-Cookie")
		for _, want := range []string{"milepost_session=;", "Path=/", "Max-Age=0", "Expires=Thu, 01 Jan 1970", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(cleared, want) {
				t.Errorf("TLS %v: signing out set %q, lacking %q", tls, cleared, want)
			}
		}
		if strings.Contains(cleared, "Secure") != tls {
			t.Errorf("TLS %v: signing out set %q", tls, cleared)
		}
		if res := b.get("/admin/"); res.status != http.StatusSeeOther {
			t.Errorf("TLS %v: after signing out: %d, want a redirect to sign in", tls, res.status)
		}
	}
}
