package accounts

import (
	"net/http"
	"time"
)

// CookieName is the session cookie's name.
const CookieName = "milepost_session"

// SessionCookie is the cookie that carries token: sent on every path of the
// site, never to scripts, not on cross-site subrequests or POSTs, and only
// over HTTPS when secure. A maxAge of zero or less makes it last until the
// browser closes; otherwise pass the Service's SessionTTL.
func SessionCookie(token string, secure bool, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{
		Name:     CookieName,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
	}
	return c
}

// ClearSessionCookie is a cookie that makes the browser delete the session
// cookie. Call Logout as well: clearing the cookie does not end the session.
func ClearSessionCookie(secure bool) *http.Cookie {
	c := SessionCookie("", secure, 0)
	c.MaxAge = -1 // sent as Max-Age=0
	c.Expires = time.Unix(0, 0)
	return c
}
