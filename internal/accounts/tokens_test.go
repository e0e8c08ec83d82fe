package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// An admin adds a user on the web: the user gets a one-time link, and no
// password works until they choose one with it.
func TestAddWithLink(t *testing.T) {
	ctx := context.Background()
	s, store, clk := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	u, link, err := s.AddWithLink(ctx, "coach", "Sam", RoleModerator)
	if err != nil {
		t.Fatalf("AddWithLink: %v", err)
	}
	if want := (User{Name: "sam", Role: RoleModerator, Created: t0}); u != want {
		t.Errorf("user = %+v, want %+v", u, want)
	}
	want := OneTimeToken{Purpose: PurposeSetPassword, User: "sam", By: "coach", Created: t0, Expires: t0.Add(DefaultTokenTTL)}
	if link.OneTimeToken != want || len(link.Token) != tokenChars {
		t.Errorf("link = %+v, want a %d-character token and %+v", link, tokenChars, want)
	}
	// Only the token's SHA-256 is stored.
	if len(store.tokens) != 1 || store.tokens[string(tokenKey(link.Token))] != want {
		t.Errorf("stored tokens = %v, want one under the token's SHA-256", store.tokens)
	}
	for _, guess := range []string{"", pw, link.Token} {
		if _, _, err := s.Login(ctx, "sam", guess, "192.0.2.1"); err != ErrBadCredentials {
			t.Errorf("sam signing in with %q before choosing a password: %v", guess, err)
		}
	}
	if _, _, err := s.AddWithLink(ctx, "coach", "SAM", RoleAdmin); !errors.Is(err, ErrUserExists) {
		t.Errorf("adding sam again: %v, want ErrUserExists", err)
	}
	if _, _, err := s.AddWithLink(ctx, "coach", "s a m", RoleAdmin); !errors.Is(err, ErrBadName) {
		t.Errorf("adding a bad name: %v, want ErrBadName", err)
	}

	clk.Add(time.Hour)
	if got, err := s.PasswordToken(ctx, link.Token); err != nil || got != want {
		t.Errorf("PasswordToken = %+v, %v", got, err)
	}
	// A password that breaks the rules leaves the link usable.
	if _, err := s.SetPasswordWithToken(ctx, link.Token, "short", "192.0.2.77"); !errors.Is(err, ErrPasswordTooShort) {
		t.Errorf("a short password: %v, want ErrPasswordTooShort", err)
	}
	name, err := s.SetPasswordWithToken(ctx, link.Token, otherPW, "192.0.2.77")
	if err != nil || name != "sam" {
		t.Fatalf("SetPasswordWithToken = %q, %v", name, err)
	}
	mustLogin(t, s, "sam", otherPW, "192.0.2.2")
	// Single use.
	if _, err := s.PasswordToken(ctx, link.Token); !errors.Is(err, ErrNoToken) {
		t.Errorf("PasswordToken after use: %v, want ErrNoToken", err)
	}
	if _, err := s.SetPasswordWithToken(ctx, link.Token, pw, "192.0.2.77"); !errors.Is(err, ErrNoToken) {
		t.Errorf("using the link twice: %v, want ErrNoToken", err)
	}
	mustLogin(t, s, "sam", otherPW, "192.0.2.2")
}

func TestPasswordLinkExpires(t *testing.T) {
	ctx := context.Background()
	s, store, clk := newTest(t)
	_, link, err := s.AddWithLink(ctx, "coach", "sam", RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(DefaultTokenTTL - time.Second)
	if _, err := s.PasswordToken(ctx, link.Token); err != nil {
		t.Fatalf("a second before it expires: %v", err)
	}
	clk.Add(time.Second)
	if _, err := s.PasswordToken(ctx, link.Token); !errors.Is(err, ErrNoToken) {
		t.Errorf("PasswordToken once expired: %v, want ErrNoToken", err)
	}
	if _, err := s.SetPasswordWithToken(ctx, link.Token, otherPW, "192.0.2.77"); !errors.Is(err, ErrNoToken) {
		t.Errorf("SetPasswordWithToken once expired: %v, want ErrNoToken", err)
	}
	// The next login prunes it.
	mustAdd(t, s, "coach", RoleAdmin, pw)
	mustLogin(t, s, "coach", pw, "192.0.2.1")
	if len(store.tokens) != 0 {
		t.Errorf("%d expired tokens left after a login", len(store.tokens))
	}
}

// A token carries its purpose: one made for something else does not set a
// password.
func TestTokenPurposeIsChecked(t *testing.T) {
	ctx := context.Background()
	s, store, _ := newTest(t)
	mustAdd(t, s, "sam", RoleModerator, pw)
	token, key, err := newToken()
	if err != nil {
		t.Fatal(err)
	}
	store.tokens[string(key)] = OneTimeToken{Purpose: "invite", User: "sam", Created: t0, Expires: t0.Add(time.Hour)}
	if _, err := s.PasswordToken(ctx, token); !errors.Is(err, ErrNoToken) {
		t.Errorf("PasswordToken of an invite: %v, want ErrNoToken", err)
	}
	if _, err := s.SetPasswordWithToken(ctx, token, otherPW, "192.0.2.77"); !errors.Is(err, ErrNoToken) {
		t.Errorf("SetPasswordWithToken of an invite: %v, want ErrNoToken", err)
	}
	mustLogin(t, s, "sam", pw, "192.0.2.1")
	for _, bad := range []string{"", "junk", strings.Repeat("A", tokenChars)} {
		if _, err := s.PasswordToken(ctx, bad); !errors.Is(err, ErrNoToken) {
			t.Errorf("PasswordToken(%q): %v, want ErrNoToken", bad, err)
		}
	}
}

// A new link for a user who forgot their password: only the newest works,
// and using it ends the sessions of whoever knew the old password.
func TestNewPasswordLink(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTest(t)
	mustAdd(t, s, "sam", RoleModerator, pw)
	session := mustLogin(t, s, "sam", pw, "192.0.2.1")
	first, err := s.NewPasswordLink(ctx, "coach", "Sam")
	if err != nil {
		t.Fatal(err)
	}
	second, err := s.NewPasswordLink(ctx, "coach", "sam")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PasswordToken(ctx, first.Token); !errors.Is(err, ErrNoToken) {
		t.Errorf("the older link: %v, want ErrNoToken", err)
	}
	// Until the link is used, the old password and session go on.
	if !authenticates(t, s, session) {
		t.Error("making a link ended a session")
	}
	if _, err := s.SetPasswordWithToken(ctx, second.Token, otherPW, "192.0.2.77"); err != nil {
		t.Fatal(err)
	}
	if authenticates(t, s, session) {
		t.Error("a session survived the new password")
	}
	if _, _, err := s.Login(ctx, "sam", pw, "192.0.2.1"); err != ErrBadCredentials {
		t.Errorf("old password: %v", err)
	}
	if _, err := s.NewPasswordLink(ctx, "coach", "nobody"); !errors.Is(err, ErrNoUser) {
		t.Errorf("a link for nobody: %v, want ErrNoUser", err)
	}
}

// Removing a user voids their links.
func TestRemoveVoidsLinks(t *testing.T) {
	ctx := context.Background()
	s, store, _ := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	_, link, err := s.AddWithLink(ctx, "coach", "sam", RoleModerator)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "sam"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetPasswordWithToken(ctx, link.Token, otherPW, "192.0.2.77"); !errors.Is(err, ErrNoToken) {
		t.Errorf("the link of a removed user: %v, want ErrNoToken", err)
	}
	if len(store.tokens) != 0 {
		t.Errorf("%d tokens left", len(store.tokens))
	}
}

// The site always keeps an admin: neither removal nor a role change may
// take away the last one.
func TestLastAdminRule(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	mustAdd(t, s, "sam", RoleModerator, pw)
	if err := s.Remove(ctx, "coach"); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("removing the only admin: %v, want ErrLastAdmin", err)
	}
	if err := s.SetRole(ctx, "coach", RoleModerator); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("demoting the only admin: %v, want ErrLastAdmin", err)
	}
	if err := s.SetRole(ctx, "coach", RoleAdmin); err != nil {
		t.Errorf("keeping the only admin an admin: %v", err)
	}
	if err := s.SetRole(ctx, "sam", RoleAdmin); err != nil {
		t.Fatalf("promoting sam: %v", err)
	}
	if err := s.SetRole(ctx, "coach", RoleModerator); err != nil {
		t.Fatalf("demoting coach with sam an admin: %v", err)
	}
	if err := s.Remove(ctx, "sam"); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("removing sam, now the only admin: %v, want ErrLastAdmin", err)
	}
	if err := s.Remove(ctx, "coach"); err != nil {
		t.Errorf("removing a moderator: %v", err)
	}
	if err := s.SetRole(ctx, "sam", "owner"); !errors.Is(err, ErrBadRole) {
		t.Errorf("an unknown role: %v, want ErrBadRole", err)
	}
	if err := s.SetRole(ctx, "nobody", RoleAdmin); !errors.Is(err, ErrNoUser) {
		t.Errorf("the role of nobody: %v, want ErrNoUser", err)
	}
	us, _ := s.List(ctx)
	if len(us) != 1 || us[0].Name != "sam" || us[0].Role != RoleAdmin {
		t.Errorf("users = %+v, want sam the admin", us)
	}
}

func TestEndSessions(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTest(t)
	mustAdd(t, s, "sam", RoleModerator, pw)
	mustAdd(t, s, "dana", RoleModerator, pw)
	a := mustLogin(t, s, "sam", pw, "192.0.2.1")
	b := mustLogin(t, s, "sam", pw, "192.0.2.2")
	dana := mustLogin(t, s, "dana", pw, "192.0.2.3")
	if n, err := s.EndSessions(ctx, "Sam"); err != nil || n != 2 {
		t.Errorf("EndSessions = %d, %v; want 2", n, err)
	}
	if authenticates(t, s, a) || authenticates(t, s, b) || !authenticates(t, s, dana) {
		t.Error("EndSessions should end all of sam's sessions and only those")
	}
	if _, err := s.EndSessions(ctx, "nobody"); !errors.Is(err, ErrNoUser) {
		t.Errorf("EndSessions of nobody: %v, want ErrNoUser", err)
	}
}
