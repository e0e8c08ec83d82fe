package accounts

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestSessionCookie(t *testing.T) {
	for _, secure := range []bool{true, false} {
		c := SessionCookie("tok-en_1", secure, 14*24*time.Hour)
		if c.Name != "milepost_session" || c.Value != "tok-en_1" || c.Path != "/" || !c.HttpOnly ||
			c.SameSite != http.SameSiteLaxMode || c.Secure != secure || c.MaxAge != 14*24*3600 || c.Domain != "" {
			t.Errorf("SessionCookie(secure=%v) = %+v", secure, c)
		}
		header := c.String()
		for _, want := range []string{"milepost_session=tok-en_1", "Path=/", "Max-Age=1209600", "HttpOnly", "SameSite=Lax"} {
			if !strings.Contains(header, want) {
				t.Errorf("Set-Cookie %q lacks %q", header, want)
			}
		}
		if strings.Contains(header, "Secure") != secure {
			t.Errorf("Set-Cookie %q: Secure should be %v", header, secure)
		}
	}
	if c := SessionCookie("t", true, 0); c.MaxAge != 0 || strings.Contains(c.String(), "Max-Age") {
		t.Errorf("maxAge 0 should make a browser-session cookie: %q", c.String())
	}
}

func TestClearSessionCookie(t *testing.T) {
	c := ClearSessionCookie(true)
	rec := httptest.NewRecorder()
	http.SetCookie(rec, c)
	header := rec.Header().Get("Set-Cookie")
	for _, want := range []string{"milepost_session=;", "Path=/", "Max-Age=0", "Expires=Thu, 01 Jan 1970", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(header, want) {
			t.Errorf("Set-Cookie %q lacks %q", header, want)
		}
	}
	if strings.Contains(ClearSessionCookie(false).String(), "Secure") {
		t.Error("ClearSessionCookie(false) is Secure")
	}
}

// The cookie a login sets is read back by a server as the same token.
func TestSessionCookieRoundTrip(t *testing.T) {
	s, _, _ := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	token := mustLogin(t, s, "kay", pw, "192.0.2.1")
	rec := httptest.NewRecorder()
	http.SetCookie(rec, SessionCookie(token, true, s.SessionTTL()))
	req := httptest.NewRequest("GET", "/admin", nil)
	req.Header.Set("Cookie", strings.SplitN(rec.Header().Get("Set-Cookie"), ";", 2)[0])
	c, err := req.Cookie(CookieName)
	if err != nil || c.Value != token {
		t.Fatalf("cookie read back = %v, %v; want the token", c, err)
	}
	if !authenticates(t, s, c.Value) {
		t.Error("the token from the cookie does not authenticate")
	}
}
