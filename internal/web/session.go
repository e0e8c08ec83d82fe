package web

import (
	"errors"
	"net/http"
	"time"

	"milepost/internal/accounts"
)

// errNotAllowed refuses a signed-in user whose role may not do what they
// asked. Its answer is in problemTable.
var errNotAllowed = errors.New("the account's role does not allow this")

// isBusy matches a sign-in refused because every password check slot
// stayed taken, rather than because too many failed.
func isBusy(err error) bool {
	var t *accounts.ThrottledError
	return errors.As(err, &t) && t.Busy
}

// throttledDetail sends the wait a refused sign-in was told as Retry-After.
func throttledDetail(err error, p *problem) {
	var t *accounts.ThrottledError
	if errors.As(err, &t) {
		p.RetryAfter = t.RetryAfter
	}
}

// sessionCookieName names the cookie that carries a moderator's session
// token. The accounts package makes and checks tokens; how a browser keeps
// one is the web's business.
const sessionCookieName = "milepost_session"

// sessionCookie is the cookie that carries token: sent on every path of the
// site, never to scripts, not on cross-site subrequests or POSTs, and only
// over HTTPS when secure. It lasts maxAge (the session's lifetime), so the
// browser forgets it when the server does.
func sessionCookie(token string, secure bool, maxAge time.Duration) *http.Cookie {
	return &http.Cookie{
		Name:     sessionCookieName,
		Value:    token,
		Path:     "/",
		MaxAge:   int(maxAge / time.Second),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
}

// clearSessionCookie makes the browser delete the session cookie. It does
// not end the session: Logout does.
func clearSessionCookie(secure bool) *http.Cookie {
	c := sessionCookie("", secure, 0)
	c.MaxAge = -1 // sent as Max-Age=0
	c.Expires = time.Unix(0, 0)
	return c
}

// sessionToken is the session token the request carries, or "".
func sessionToken(r *http.Request) string {
	c, err := r.Cookie(sessionCookieName)
	if err != nil {
		return ""
	}
	return c.Value
}
