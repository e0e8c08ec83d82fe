package web_test

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"milepost/internal/accounts"
)

// signInFrom tries a name and password from a client address, through a
// trusted proxy that says which.
func signInFrom(b *browser, ip, name, password string) response {
	b.h.t.Helper()
	return b.postForm("/admin/login", url.Values{"name": {name}, "password": {password}}, "X-Forwarded-For", ip)
}

// Issue 7 item 2: five wrong passwords against coach from five addresses
// made the real admin, with the right password from a fresh address, get
// 429 for 15 minutes, and anyone could repeat it for ever.
func TestStrangerCannotLockAnAdminOut(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(mustGuards(t, "127.0.0.1")))
	h.addUser("coach", accounts.RoleAdmin)
	attacker := h.browser()
	for i := range 5 {
		if res := signInFrom(attacker, fmt.Sprintf("198.51.100.%d", i), "coach", "a wrong guess"); res.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i, res.status)
		}
	}
	if res := signInFrom(h.browser(), "203.0.113.50", "coach", "coach has a long password"); res.status != http.StatusSeeOther {
		t.Fatalf("the admin from a fresh address after 5 failures against coach: %d, want 303\n%.300s", res.status, res.body)
	}
	// The guessers' addresses are spent: no second guess while coach is
	// over the limit, not even a right one.
	res := signInFrom(attacker, "198.51.100.0", "coach", "coach has a long password")
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "900" {
		t.Errorf("a second try from a guessing address: %d Retry-After %q, want 429 and 900", res.status, res.header.Get("Retry-After"))
	}
}

// Issue 7 item 2, past the site's budget: 600 wrong passwords from 600
// IPv6 /64s of one /48 used to leave every address that had not signed in
// lately without a password check for 15 minutes: an admin on a new
// network, and a new user who had just chosen a password with their link.
// Now strangers still get a few checks a minute between them (bounded, so
// the flood cannot take the CPU), and the address a password was set from
// counts as one that signed in.
func TestFloodPastTheSiteBudgetCannotLockUsersOut(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(mustGuards(t, "127.0.0.1")))
	h.addUser("coach", accounts.RoleAdmin)
	attacker := h.browser()
	for i := range accounts.DefaultSiteFailures {
		if res := signInFrom(attacker, fmt.Sprintf("2001:db8:ab:%x::1", i), "coach", "a wrong guess"); res.status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d, want 401", i, res.status)
		}
	}
	// The admin on a new network signs in, and adds a user.
	admin := h.browser()
	if res := signInFrom(admin, "203.0.113.50", "coach", "coach has a long password"); res.status != http.StatusSeeOther {
		t.Fatalf("the admin from a new network past the site's budget: %d, want 303\n%.300s", res.status, res.body)
	}
	link := passwordLinkIn(t, admin.postForm("/admin/users/", url.Values{"name": {"sam"}, "role": {"moderator"}}).body)
	token := strings.TrimPrefix(link, "/admin/set-password?token=")
	sam := h.browser()
	if res := sam.postForm("/admin/set-password", url.Values{"token": {token}, "password": {"sam's new password"}, "confirm": {"sam's new password"}},
		"X-Forwarded-For", "2001:db8:5a:1::7"); res.status != http.StatusSeeOther {
		t.Fatalf("sam setting a password: %d", res.status)
	}
	// The flood goes on from new /64s and uses up the strangers' checks
	// of the minute (the admin had one)...
	for i := range accounts.DefaultStrangerChecks - 1 {
		if res := signInFrom(attacker, fmt.Sprintf("2001:db8:ab:ff%02x::1", i), "coach", "a wrong guess"); res.status != http.StatusUnauthorized {
			t.Fatalf("stranger %d past the budget: %d, want 401 (checked)", i, res.status)
		}
	}
	// ...after which strangers wait seconds for a check, not the window,
	// even with the right password.
	res := signInFrom(h.browser(), "198.51.100.9", "coach", "coach has a long password")
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "10" {
		t.Errorf("a stranger once the minute's checks are used: %d Retry-After %q, want 429 and 10", res.status, res.header.Get("Retry-After"))
	}
	// sam, from the /64 the password was set from, is not a stranger.
	if res := signInFrom(sam, "2001:db8:5a:1::8", "sam", "sam's new password"); res.status != http.StatusSeeOther {
		t.Errorf("sam from where the password was set: %d, want 303\n%.300s", res.status, res.body)
	}
	h.clock.Set(h.clock.Now().Add(10 * time.Second))
	if res := signInFrom(h.browser(), "198.51.100.9", "coach", "coach has a long password"); res.status != http.StatusSeeOther {
		t.Errorf("the stranger 10 s later: %d, want 303", res.status)
	}
}

// Issue 7 item 2 (round 2): sign-ins and sign-outs are writes, limited per
// address group like every other: a sign-in was limited only when it
// failed, a sign-out not at all.
func TestSignInAndOutAreRateLimited(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	b := h.browser()
	var res response
	for i := range 61 {
		res = b.postForm("/admin/login", url.Values{"name": {"coach"}, "password": {"coach has a long password"}})
		if i < 60 && res.status != http.StatusSeeOther {
			t.Fatalf("sign-in %d: %d, want 303", i+1, res.status)
		}
	}
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" {
		t.Errorf("sign-in 61 in a minute: %d Retry-After %q, want 429 and 1", res.status, res.header.Get("Retry-After"))
	}
	mustContain(t, "61st sign-in", res.body, "Please wait a minute")
	for i := range 61 {
		res = b.postForm("/admin/logout", url.Values{})
		if i < 60 && res.status != http.StatusSeeOther {
			t.Fatalf("sign-out %d: %d, want 303", i+1, res.status)
		}
	}
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") != "1" {
		t.Errorf("sign-out 61 in a minute: %d Retry-After %q, want 429 and 1", res.status, res.header.Get("Retry-After"))
	}
	// Each has its own allowance, and another address group its own.
	h.clock.Set(h.clock.Now().Add(time.Second))
	b.signIn("coach")
	if res := b.get("/admin/"); res.status != http.StatusOK {
		t.Errorf("signed in again a second later: %d", res.status)
	}
}

// Guessing stays bounded per address and per IPv6 /64, whatever the
// names tried.
func TestSignInGuessingStaysBounded(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(mustGuards(t, "127.0.0.1")))
	h.addUser("coach", accounts.RoleAdmin)
	b := h.browser()
	for i := range 5 {
		signInFrom(b, "192.0.2.9", fmt.Sprintf("name%d", i), "a wrong guess")
	}
	if res := signInFrom(b, "192.0.2.9", "coach", "coach has a long password"); res.status != http.StatusTooManyRequests {
		t.Errorf("sixth try from one address: %d, want 429", res.status)
	}
	for i := range 5 {
		signInFrom(b, fmt.Sprintf("2001:db8:7:8::%x", i+1), fmt.Sprintf("name%d", i), "a wrong guess")
	}
	res := signInFrom(b, "2001:db8:7:8:ffff::1", "coach", "coach has a long password")
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Errorf("sixth try from the same /64: %d Retry-After %q, want 429", res.status, res.header.Get("Retry-After"))
	}
	mustContain(t, "throttled page", res.body, "Too many failed attempts.")
	if res := signInFrom(b, "2001:db8:7:9::1", "coach", "coach has a long password"); res.status != http.StatusSeeOther {
		t.Errorf("from the next /64: %d, want 303", res.status)
	}
}

// Issue 7 item 11: the page to return to after signing in is cleaned of
// dot segments before it must be under /admin/.
func TestSignInReturnsOnlyToAdminPages(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("mod", accounts.RoleModerator)
	for next, want := range map[string]string{
		"/admin/bans/":              "/admin/bans/",
		"/admin/comments/?page=2":   "/admin/comments/?page=2",
		"/admin/./bans/":            "/admin/bans/",
		"/admin/log/../bans":        "/admin/bans",
		"/admin/../evil":            "/admin/",
		"/admin/../../evil/":        "/admin/",
		"/admin/%2e%2e/evil":        "/admin/",
		"/admin/%2E%2e/posts/":      "/admin/",
		"/admin/..%2fevil":          "/admin/",
		"/admin":                    "/admin/",
		"/admin/\\evil.example":     "/admin/",
		"/admin/\t/evil.example":    "/admin/",
		"//evil.example/admin/":     "/admin/",
		"https://evil.example/":     "/admin/",
		"/\\evil.example/admin/":    "/admin/",
		"javascript:alert(1)":       "/admin/",
		"/admin/bans/#list":         "/admin/bans/",
		"/admin/bans/?a=1&b=%2e%2e": "/admin/bans/?a=1&b=%2e%2e",
	} {
		res := h.browser().postForm("/admin/login", url.Values{"name": {"mod"}, "password": {"mod has a long password"}, "next": {next}})
		if got := res.header.Get("Location"); res.status != http.StatusSeeOther || got != want {
			t.Errorf("next=%q: %d to %q, want 303 to %q", next, res.status, got, want)
		}
	}
	// The sign-in page carries a cleaned next too.
	res := h.get("/admin/login?next=" + url.QueryEscape("/admin/../evil"))
	mustContain(t, "sign-in page", res.body, `name="next" value="/admin/"`)
}

func TestEmptySignInPageSaysHowToMakeTheFirstAdmin(t *testing.T) {
	h := newHarness(t, massageSite(""))
	res := h.get("/admin/login")
	if res.status != http.StatusOK {
		t.Fatalf("sign-in page: %d", res.status)
	}
	mustContain(t, "sign-in page with no accounts", res.body, "no accounts yet", "<code>milepost user add NAME -role admin</code>")
	h.addUser("coach", accounts.RoleAdmin)
	mustNotContain(t, "sign-in page with an account", h.get("/admin/login").body, "milepost user add")
}

var linkPattern = regexp.MustCompile(`https://runners\.example\.org(/admin/set-password\?token=[A-Za-z0-9_-]+)`)

// passwordLinkIn finds the set-password link an admin page shows.
func passwordLinkIn(t *testing.T, body string) string {
	t.Helper()
	m := linkPattern.FindStringSubmatch(html.UnescapeString(body))
	if m == nil {
		t.Fatalf("no set-password link on the page:\n%.2000s", body)
	}
	return m[1]
}

// Issue 7 item 21: an admin adds a moderator while the site runs, and hands
// them a one-time link to choose their password with.
func TestAdminAddsAUserWithAOneTimeLink(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	page := admin.get("/admin/users/")
	if page.status != http.StatusOK || page.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("users page: %d, Cache-Control %q", page.status, page.header.Get("Cache-Control"))
	}
	mustContain(t, "users page", page.body, "<td>coach</td>", `action="/admin/users/"`, `href="/admin/users/" aria-current="page"`)

	for _, bad := range []struct{ name, role, says string }{
		{"s a m", "moderator", "A user name is 1 to 64"},
		{"sam", "owner", "Choose one of the roles offered"},
		{"COACH", "moderator", "There is already a user with that name."},
	} {
		res := admin.postForm("/admin/users/", url.Values{"name": {bad.name}, "role": {bad.role}})
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("adding %q as %q: %d, want 422", bad.name, bad.role, res.status)
		}
		mustContain(t, "refused add", res.body, bad.says)
	}

	res := admin.postForm("/admin/users/", url.Values{"name": {"Sam"}, "role": {"moderator"}})
	if res.status != http.StatusOK {
		t.Fatalf("adding sam: %d\n%.500s", res.status, res.body)
	}
	mustContain(t, "added", res.body, "<td>sam</td>", "Send this link to <strong>sam</strong>")
	link := passwordLinkIn(t, res.body)

	// Until sam chooses a password, nothing signs sam in.
	if res := h.browser().postForm("/admin/login", url.Values{"name": {"sam"}, "password": {"sam has a long password"}}); res.status != http.StatusUnauthorized {
		t.Errorf("sam before choosing a password: %d, want 401", res.status)
	}

	sam := h.browser()
	form := sam.get(link)
	if form.status != http.StatusOK || form.header.Get("Referrer-Policy") != "no-referrer" || form.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the link: %d, Referrer-Policy %q, Cache-Control %q", form.status, form.header.Get("Referrer-Policy"), form.header.Get("Cache-Control"))
	}
	mustContain(t, "set-password form", form.body, "For the account <strong>sam</strong>", `autocomplete="new-password"`)
	token := strings.TrimPrefix(link, "/admin/set-password?token=")
	if res := sam.postForm("/admin/set-password", url.Values{"token": {token}, "password": {"sam has a long password"}, "confirm": {"sam has a long passwort"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("two different passwords: %d, want 422", res.status)
	}
	if res := sam.postForm("/admin/set-password", url.Values{"token": {token}, "password": {"short"}, "confirm": {"short"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("a short password: %d, want 422", res.status)
	}
	done := sam.postForm("/admin/set-password", url.Values{"token": {token}, "password": {"sam has a long password"}, "confirm": {"sam has a long password"}})
	if done.status != http.StatusSeeOther || !strings.HasPrefix(done.header.Get("Location"), "/admin/login?") {
		t.Fatalf("setting the password: %d to %q", done.status, done.header.Get("Location"))
	}
	mustContain(t, "sign-in page after setting a password", sam.get(done.header.Get("Location")).body, "Your password is set, sam.")
	sam.signIn("sam")
	if res := sam.get("/admin/"); res.status != http.StatusOK {
		t.Errorf("sam's moderation page: %d", res.status)
	}

	// The link works once.
	if res := h.browser().get(link); res.status != http.StatusNotFound {
		t.Errorf("the used link: %d, want 404", res.status)
	}
	again := h.browser().postForm("/admin/set-password", url.Values{"token": {token}, "password": {"a takeover password"}, "confirm": {"a takeover password"}})
	if again.status != http.StatusNotFound {
		t.Errorf("using the link again: %d, want 404", again.status)
	}
	mustContain(t, "used link", again.body, "This link does not work")
	sam.signIn("sam")
}

// Admins change roles, make new links, sign users out and remove them; the
// last admin stays.
func TestAdminManagesUsers(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	h.addUser("sam", accounts.RoleModerator)
	admin, sam := h.browser(), h.browser()
	admin.signIn("coach")
	sam.signIn("sam")

	// The last admin cannot be demoted or removed.
	for _, action := range []string{"/admin/users/coach/remove", "/admin/users/coach/role"} {
		res := admin.postForm(action, url.Values{"role": {"moderator"}})
		if res.status != http.StatusConflict {
			t.Errorf("%s on the last admin: %d, want 409", action, res.status)
		}
		mustContain(t, "last admin", res.body, "this user is the last admin")
	}

	res := admin.postForm("/admin/users/sam/role", url.Values{"role": {"admin"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("making sam an admin: %d\n%.300s", res.status, res.body)
	}
	mustContain(t, "after the role change", admin.get(res.header.Get("Location")).body, "sam is now admin.")
	if res := sam.get("/admin/users/"); res.status != http.StatusOK {
		t.Errorf("sam, now an admin, on the users page: %d", res.status)
	}
	if res := admin.postForm("/admin/users/sam/role", url.Values{"role": {"owner"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("an unknown role: %d, want 422", res.status)
	}

	// Sign out everywhere ends sam's session.
	if res := admin.postForm("/admin/users/sam/signout", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("signing sam out: %d", res.status)
	}
	if res := sam.get("/admin/"); res.status != http.StatusSeeOther {
		t.Errorf("sam after being signed out everywhere: %d, want a redirect to sign in", res.status)
	}

	// A new link lets sam choose a new password; the old one stops working
	// once it is used.
	link := passwordLinkIn(t, admin.postForm("/admin/users/sam/link", url.Values{}).body)
	token := strings.TrimPrefix(link, "/admin/set-password?token=")
	if res := sam.postForm("/admin/set-password", url.Values{"token": {token}, "password": {"a new password for sam"}, "confirm": {"a new password for sam"}}); res.status != http.StatusSeeOther {
		t.Fatalf("using the new link: %d", res.status)
	}
	if res := sam.postForm("/admin/login", url.Values{"name": {"sam"}, "password": {"sam has a long password"}}); res.status != http.StatusUnauthorized {
		t.Errorf("sam's old password: %d, want 401", res.status)
	}

	// Now that sam is an admin, coach may go.
	if res := admin.postForm("/admin/users/coach/role", url.Values{"role": {"moderator"}}); res.status != http.StatusSeeOther {
		t.Errorf("demoting coach with sam an admin: %d", res.status)
	}
	if res := admin.get("/admin/users/"); res.status != http.StatusForbidden {
		t.Errorf("coach, now a moderator, on the users page: %d, want 403", res.status)
	}
	if res := sam.postForm("/admin/login", url.Values{"name": {"sam"}, "password": {"a new password for sam"}}); res.status != http.StatusSeeOther {
		t.Fatalf("sam with the new password: %d, want 303", res.status)
	}
	if res := sam.postForm("/admin/users/coach/remove", url.Values{}); res.status != http.StatusSeeOther {
		t.Errorf("removing coach: %d", res.status)
	}
	if res := sam.postForm("/admin/users/coach/remove", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("removing coach again: %d, want 404", res.status)
	}
	if res := sam.postForm("/admin/users/sam/frobnicate", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("an unknown action: %d, want 404", res.status)
	}
	page := sam.get("/admin/users/").body
	mustNotContain(t, "users after removing coach", page, "<td>coach</td>")
	mustContain(t, "users after removing coach", page, "<td>sam</td>")
}

// Every account page is for admins, and every change is a same-origin POST.
func TestUserPagesAreForAdminsOnly(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	mustNotContain(t, "a moderator's nav", mod.get("/admin/").body, `href="/admin/users/"`)
	posts := map[string]url.Values{
		"/admin/users/":              {"name": {"mallory"}, "role": {"admin"}},
		"/admin/users/mod/role":      {"role": {"admin"}},
		"/admin/users/coach/link":    {},
		"/admin/users/coach/signout": {},
		"/admin/users/coach/remove":  {},
	}
	if res := mod.get("/admin/users/"); res.status != http.StatusForbidden {
		t.Errorf("a moderator on the users page: %d, want 403", res.status)
	}
	for path, form := range posts {
		if res := mod.postForm(path, form); res.status != http.StatusForbidden {
			t.Errorf("a moderator posting to %s: %d, want 403", path, res.status)
		}
		if res := h.postForm(path, form); res.status != http.StatusUnauthorized {
			t.Errorf("a stranger posting to %s: %d, want 401", path, res.status)
		}
	}
	if res := h.get("/admin/users/"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/admin/login?next=") {
		t.Errorf("a stranger on the users page: %d to %q", res.status, res.header.Get("Location"))
	}
	// A page on another site cannot make a signed-in admin's browser act.
	admin := h.browser()
	admin.signIn("coach")
	res := admin.postForm("/admin/users/", posts["/admin/users/"], "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if res.status != http.StatusForbidden {
		t.Errorf("a cross-origin add: %d, want 403", res.status)
	}
	mustNotContain(t, "users after the refused posts", admin.get("/admin/users/").body, "mallory")
	if res := admin.get("/admin/users/"); !strings.Contains(res.body, "<td>mod</td>") || !strings.Contains(res.body, "<td>coach</td>") {
		t.Errorf("the refused posts changed the users:\n%.1000s", res.body)
	}
}

// A link that never existed, or is not a token at all, shows one answer.
func TestUnknownPasswordLinks(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	for _, token := range []string{"", "junk", strings.Repeat("A", 43)} {
		res := h.get("/admin/set-password?token=" + url.QueryEscape(token))
		if res.status != http.StatusNotFound {
			t.Errorf("token %q: %d, want 404", token, res.status)
		}
		mustContain(t, "unknown link", res.body, "This link does not work")
		mustNotContain(t, "unknown link", res.body, `name="password"`)
	}
}
