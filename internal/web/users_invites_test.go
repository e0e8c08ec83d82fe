package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"milepost/internal/accounts"
)

var (
	inviteLinkPattern = regexp.MustCompile(`https://runners\.example\.org(/admin/invite\?token=([A-Za-z0-9_-]+))`)
	revokePattern     = regexp.MustCompile(`action="(/admin/users/invites/[0-9a-f]{64}/revoke)"`)
)

// inviteAs has the signed-in admin b make an invite and returns its link
// and token.
func inviteAs(t *testing.T, b *browser, role, author string) (link, token string) {
	t.Helper()
	res := b.postForm("/admin/users/invites", url.Values{"role": {role}, "author": {author}})
	if res.status != http.StatusOK {
		t.Fatalf("inviting a %s for %q: %d\n%.1000s", role, author, res.status, res.body)
	}
	m := inviteLinkPattern.FindStringSubmatch(html.UnescapeString(res.body))
	if m == nil {
		t.Fatalf("no invite link on the page:\n%.3000s", res.body)
	}
	return m[1], m[2]
}

func joinForm(token, name, password string) url.Values {
	return url.Values{"token": {token}, "name": {name}, "password": {password}, "confirm": {password}}
}

// Issue 8: an admin invites a runner as an author for an existing profile;
// the runner opens the link, picks a name and password, and is signed in
// with the role and the profile. The link then works no more.
func TestInviteFlow(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	page := admin.get("/admin/users/")
	mustContain(t, "users page", page.body, "Invite a runner", `<option value="kay">`, "No invites are pending.")

	link, token := inviteAs(t, admin, "author", "kay")
	page = admin.get("/admin/users/")
	mustContain(t, "users page with an invite", page.body, "<td>author</td>", "<td>kay</td>", "<td>coach</td>", "Revoke")
	mustNotContain(t, "users page with an invite", page.body, token)

	runner := h.browser()
	form := runner.get(link)
	if form.status != http.StatusOK || form.header.Get("Referrer-Policy") != "no-referrer" || form.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("the invite: %d, Referrer-Policy %q, Cache-Control %q", form.status, form.header.Get("Referrer-Policy"), form.header.Get("Cache-Control"))
	}
	mustContain(t, "invite page", form.body, "an <strong>author</strong>", "for the author profile <strong>Kay", `autocomplete="new-password"`,
		`name="token" value="`+token+`"`)

	mismatch := joinForm(token, "runner", "a long new password")
	mismatch.Set("confirm", "a long new passwort")
	if res := runner.postForm("/admin/invite", mismatch); res.status != http.StatusUnprocessableEntity {
		t.Errorf("two different passwords: %d, want 422", res.status)
	} else {
		mustContain(t, "mismatched passwords", res.body, "The two passwords differ", `value="runner"`, `name="token"`)
	}
	res := runner.postForm("/admin/invite", joinForm(token, "Runner", "a long new password"))
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/welcome" || res.header.Get("Referrer-Policy") != "no-referrer" {
		t.Fatalf("joining: %d to %q, Referrer-Policy %q\n%.1000s", res.status, res.header.Get("Location"), res.header.Get("Referrer-Policy"), res.body)
	}
	if c := res.header.Get("Set-Cookie"); !strings.Contains(c, "milepost_session=") || !strings.Contains(c, "HttpOnly") {
		t.Errorf("joining sets %q, want the session cookie", c)
	}
	welcome := runner.get("/admin/welcome")
	if welcome.status != http.StatusOK || welcome.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("welcome: %d, Cache-Control %q", welcome.status, welcome.header.Get("Cache-Control"))
	}
	mustContain(t, "welcome", welcome.body, "Welcome, runner", "an <strong>author</strong>", `href="/authors/kay/"`, "publish your own")
	mustNotContain(t, "an author's welcome", welcome.body, "moderate comments", "manage users")
	// An author may not moderate.
	if res := runner.get("/admin/"); res.status != http.StatusForbidden {
		t.Errorf("an author at /admin/: %d, want 403", res.status)
	}
	us, _ := h.accounts.List(context.Background())
	if len(us) != 2 || us[1].Name != "runner" || us[1].Role != accounts.RoleAuthor || us[1].Author != "kay" {
		t.Errorf("users = %+v, want runner, an author with kay's profile", us)
	}
	if res := h.browser().postForm("/admin/login", url.Values{"name": {"runner"}, "password": {"a long new password"}}); res.status != http.StatusSeeOther {
		t.Errorf("runner signing in: %d", res.status)
	}

	// Single use.
	if res := h.browser().get(link); res.status != http.StatusNotFound {
		t.Errorf("the used invite: %d, want 404", res.status)
	} else {
		mustContain(t, "used invite", res.body, "This link does not work")
		mustNotContain(t, "used invite", res.body, `name="password"`)
	}
	if res := h.browser().postForm("/admin/invite", joinForm(token, "another", "a long new password")); res.status != http.StatusNotFound {
		t.Errorf("joining with the used invite: %d, want 404", res.status)
	}
	// kay's profile is taken: not offered, and refused if sent.
	page = admin.get("/admin/users/")
	mustContain(t, "users page after joining", page.body, "No invites are pending.", `<option value="kay" selected>kay</option>`, `<a href="/authors/kay/">profile</a>`)
	mustNotContain(t, "users page after joining", page.body, `<option value="kay">`)
	if res := admin.postForm("/admin/users/invites", url.Values{"role": {"author"}, "author": {"kay"}}); res.status != http.StatusConflict {
		t.Errorf("inviting for a taken profile: %d, want 409", res.status)
	} else {
		mustContain(t, "taken profile", res.body, "already belongs to another account")
	}
}

// An invite stops working after 7 days.
func TestInviteExpires(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	link, token := inviteAs(t, admin, "contributor", "")
	h.clock.Set(h.clock.Now().Add(accounts.DefaultInviteTTL - time.Second))
	if res := h.browser().get(link); res.status != http.StatusOK {
		t.Errorf("the invite a second before it expires: %d, want 200", res.status)
	}
	h.clock.Set(h.clock.Now().Add(time.Second))
	if res := h.browser().get(link); res.status != http.StatusNotFound {
		t.Errorf("the expired invite: %d, want 404", res.status)
	}
	if res := h.browser().postForm("/admin/invite", joinForm(token, "late", "a long new password")); res.status != http.StatusNotFound {
		t.Errorf("joining with the expired invite: %d, want 404", res.status)
	}
	mustContain(t, "users page", admin.get("/admin/users/").body, "No invites are pending.")
}

// Two runners joining with one invite at the same moment: exactly one gets
// an account.
func TestInviteConcurrentJoinsOneWins(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	_, token := inviteAs(t, admin, "editor", "")
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i, name := range []string{"first", "second"} {
		b := h.browser()
		wg.Go(func() {
			statuses[i] = b.postForm("/admin/invite", joinForm(token, name, "a long new password")).status
		})
	}
	wg.Wait()
	won, lost := 0, 0
	for _, s := range statuses {
		switch s {
		case http.StatusSeeOther:
			won++
		case http.StatusNotFound:
			lost++
		}
	}
	us, _ := h.accounts.List(context.Background())
	if won != 1 || lost != 1 || len(us) != 2 {
		t.Errorf("statuses %v and users %+v, want one 303, one 404 and one new user", statuses, us)
	}
}

// An admin revokes a pending invite: its link stops working.
func TestInviteRevoke(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	link, _ := inviteAs(t, admin, "author", "")
	m := revokePattern.FindStringSubmatch(admin.get("/admin/users/").body)
	if m == nil {
		t.Fatal("no revoke button on the users page")
	}
	res := admin.postForm(m[1], url.Values{})
	if res.status != http.StatusSeeOther {
		t.Fatalf("revoking: %d\n%.500s", res.status, res.body)
	}
	mustContain(t, "after revoking", admin.get(res.header.Get("Location")).body, "The author invite made by coach is revoked.", "No invites are pending.")
	if res := h.browser().get(link); res.status != http.StatusNotFound {
		t.Errorf("the revoked invite: %d, want 404", res.status)
	}
	for _, path := range []string{m[1], "/admin/users/invites/zz/revoke", "/admin/users/invites/" + strings.Repeat("0", 64) + "/revoke"} {
		if res := admin.postForm(path, url.Values{}); res.status != http.StatusNotFound {
			t.Errorf("revoking %s: %d, want 404", path, res.status)
		}
	}
}

// An admin disables an account: its session ends at once, and its sign-in
// gets a wrong password's answer; enabled again, it signs in. The last
// enabled admin cannot be disabled.
func TestDisabledAccountCannotSignIn(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	h.addUser("sam", accounts.RoleModerator)
	admin := h.browser()
	admin.signIn("coach")
	sam := h.browser()
	sam.signIn("sam")
	res := admin.postForm("/admin/users/sam/disable", url.Values{})
	if res.status != http.StatusSeeOther {
		t.Fatalf("disabling sam: %d\n%.500s", res.status, res.body)
	}
	mustContain(t, "after disabling", admin.get(res.header.Get("Location")).body, "sam is disabled and signed out everywhere.",
		`<td>sam <strong class="status">disabled</strong></td>`, `action="/admin/users/sam/enable"`)
	if res := sam.get("/admin/"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/admin/login") {
		t.Errorf("sam's session after disabling: %d to %q, want the sign-in page", res.status, res.header.Get("Location"))
	}
	right := h.browser().postForm("/admin/login", url.Values{"name": {"sam"}, "password": {"sam has a long password"}})
	wrong := h.browser().postForm("/admin/login", url.Values{"name": {"sam"}, "password": {"a wrong password!"}})
	if right.status != http.StatusUnauthorized || wrong.status != right.status {
		t.Errorf("a disabled account's right password: %d; a wrong one: %d; want the same 401", right.status, wrong.status)
	}
	mustContain(t, "disabled sign-in", right.body, "That name and password do not match an account.")
	mustNotContain(t, "disabled sign-in", right.body, "disabled")

	if res := admin.postForm("/admin/users/sam/enable", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("enabling sam: %d", res.status)
	}
	h.browser().signIn("sam")

	res = admin.postForm("/admin/users/coach/disable", url.Values{})
	if res.status != http.StatusConflict {
		t.Errorf("disabling the last admin: %d, want 409", res.status)
	}
	mustContain(t, "last admin", res.body, "the last admin")
	if res := admin.postForm("/admin/users/nobody/disable", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("disabling nobody: %d, want 404", res.status)
	}
}

// Only admins invite, revoke, disable and enable: a moderator or an editor
// gets 403, a browser with no session 401, and nothing changes.
func TestOnlyAdminsManageInvitesAndAccounts(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	h.addUser("mod", accounts.RoleModerator)
	h.addUser("ed", accounts.RoleEditor)
	admin := h.browser()
	admin.signIn("coach")
	inviteAs(t, admin, "author", "")
	id := revokePattern.FindStringSubmatch(admin.get("/admin/users/").body)[1]
	posts := []struct {
		path string
		form url.Values
	}{
		{"/admin/users/invites", url.Values{"role": {"admin"}}},
		{id, url.Values{}},
		{"/admin/users/coach/disable", url.Values{}},
		{"/admin/users/mod/enable", url.Values{}},
		{"/admin/users/mod/author", url.Values{"author": {"kay"}}},
	}
	for _, name := range []string{"mod", "ed"} {
		b := h.browser()
		b.signIn(name)
		if res := b.get("/admin/users/"); res.status != http.StatusForbidden {
			t.Errorf("%s at /admin/users/: %d, want 403", name, res.status)
		}
		for _, p := range posts {
			if res := b.postForm(p.path, p.form); res.status != http.StatusForbidden {
				t.Errorf("%s posting %s: %d, want 403", name, p.path, res.status)
			}
		}
	}
	for _, p := range posts {
		if res := h.browser().postForm(p.path, p.form); res.status != http.StatusUnauthorized {
			t.Errorf("no session posting %s: %d, want 401", p.path, res.status)
		}
	}
	invites, _ := h.accounts.Invites(context.Background())
	us, _ := h.accounts.List(context.Background())
	if len(invites) != 1 || us[0].Disabled || us[1].Disabled || us[2].Disabled || us[2].Author != "" {
		t.Errorf("after refused changes: invites %+v, users %+v", invites, us)
	}
	if res := h.browser().get("/admin/welcome"); res.status != http.StatusSeeOther {
		t.Errorf("the welcome page with no session: %d, want a redirect to sign in", res.status)
	}
}

// Hostile and mistaken input to the invite forms: every refusal is the
// error table's, the form is kept where it can be put right, and nothing
// is made.
func TestInviteBadInput(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	for _, bad := range []struct {
		role, author string
		status       int
		says         string
	}{
		{"owner", "", http.StatusUnprocessableEntity, "Choose one of the roles offered"},
		{"", "", http.StatusUnprocessableEntity, "Choose one of the roles offered"},
		{"author", "../../etc/passwd", http.StatusUnprocessableEntity, "This site has no such author profile"},
		{"author", "nobody", http.StatusUnprocessableEntity, "This site has no such author profile"},
		{"author", "<script>alert(1)</script>", http.StatusUnprocessableEntity, "This site has no such author profile"},
	} {
		res := admin.postForm("/admin/users/invites", url.Values{"role": {bad.role}, "author": {bad.author}})
		if res.status != bad.status {
			t.Errorf("inviting %q for %q: %d, want %d", bad.role, bad.author, res.status, bad.status)
		}
		mustContain(t, "refused invite", res.body, bad.says)
		mustNotContain(t, "refused invite", res.body, "<script>alert")
	}
	if invites, _ := h.accounts.Invites(context.Background()); len(invites) != 0 {
		t.Errorf("refused invites were made: %+v", invites)
	}
	big := url.Values{"role": {"author"}, "author": {strings.Repeat("k", 70<<10)}}
	if res := admin.postForm("/admin/users/invites", big); res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("an oversized invite form: %d, want 413", res.status)
	}

	link, token := inviteAs(t, admin, "contributor", "")
	runner := h.browser()
	for _, bad := range []struct {
		name, password string
		says           string
	}{
		{"../admin", "a long new password", "A user name is 1 to 64"},
		{"<script>x</script>", "a long new password", "A user name is 1 to 64"},
		{"", "a long new password", "A user name is 1 to 64"},
		{"coach", "a long new password", "There is already a user with that name."},
		{"runner", "short", "The password is too short"},
		{"runner", strings.Repeat("p", 73), "The password is too long"},
	} {
		res := runner.postForm("/admin/invite", joinForm(token, bad.name, bad.password))
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("joining as %q: %d, want 422", bad.name, res.status)
		}
		mustContain(t, "refused join", res.body, bad.says, `name="token" value="`+token+`"`)
		mustNotContain(t, "refused join", res.body, "<script>x")
	}
	// The invite survived every mistake.
	if res := runner.get(link); res.status != http.StatusOK {
		t.Errorf("the invite after refused joins: %d, want 200", res.status)
	}
	// A set-password token is no invite, nor any other string.
	h.addUser("sam", accounts.RoleModerator)
	pw, err := h.accounts.NewPasswordLink(context.Background(), "coach", "sam")
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{pw.Token, "", "x", token + "x", strings.Repeat("A", len(token))} {
		if res := runner.get("/admin/invite?token=" + url.QueryEscape(tok)); res.status != http.StatusNotFound {
			t.Errorf("the invite page with the token %q: %d, want 404", tok, res.status)
		}
		if res := runner.postForm("/admin/invite", joinForm(tok, "runner", "a long new password")); res.status != http.StatusNotFound {
			t.Errorf("joining with the token %q: %d, want 404", tok, res.status)
		}
	}
	if res := runner.postForm("/admin/invite", url.Values{"token": {token}, "name": {strings.Repeat("n", 70<<10)}}); res.status != http.StatusRequestEntityTooLarge {
		t.Errorf("an oversized join form: %d, want 413", res.status)
	}
	if us, _ := h.accounts.List(context.Background()); len(us) != 2 {
		t.Errorf("users after refused joins: %+v", us)
	}
}

// An admin ties an existing user (one made before invites, say) to an
// author profile, or unties them; a profile is one user's.
func TestAdminSetsAUsersAuthorProfile(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	h.addUser("sam", accounts.RoleAuthor)
	admin := h.browser()
	admin.signIn("coach")
	res := admin.postForm("/admin/users/sam/author", url.Values{"author": {"kay"}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("setting sam's profile: %d\n%.500s", res.status, res.body)
	}
	mustContain(t, "after setting", admin.get(res.header.Get("Location")).body, "sam has the author profile kay now.", `<option value="kay" selected>kay</option>`)
	if res := admin.postForm("/admin/users/coach/author", url.Values{"author": {"kay"}}); res.status != http.StatusConflict {
		t.Errorf("giving coach sam's profile: %d, want 409", res.status)
	}
	for _, bad := range []string{"nobody", "../authors/kay", "<b>kay</b>"} {
		res := admin.postForm("/admin/users/coach/author", url.Values{"author": {bad}})
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("giving coach the profile %q: %d, want 422", bad, res.status)
		}
		mustNotContain(t, "refused profile", res.body, "<b>kay")
	}
	if res := admin.postForm("/admin/users/sam/author", url.Values{"author": {""}}); res.status != http.StatusSeeOther {
		t.Errorf("untying sam: %d", res.status)
	}
	us, _ := h.accounts.List(context.Background())
	if us[0].Author != "" || us[1].Author != "" {
		t.Errorf("users = %+v, want no profiles", us)
	}
}
