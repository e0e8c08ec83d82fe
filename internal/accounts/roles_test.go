package accounts

import (
	"context"
	"errors"
	"testing"
)

// What each role may do, as the issue lists it: contributors write drafts,
// authors publish their own, editors edit anyone's and moderate, admins do
// everything, and moderators, as before writers had accounts, moderate only.
func TestRolePermissions(t *testing.T) {
	type can struct{ write, publish, editOthers, moderate, administer bool }
	want := map[Role]can{
		RoleContributor: {write: true},
		RoleAuthor:      {write: true, publish: true},
		RoleEditor:      {write: true, publish: true, editOthers: true, moderate: true},
		RoleModerator:   {moderate: true},
		RoleAdmin:       {write: true, publish: true, editOthers: true, moderate: true, administer: true},
	}
	if len(Roles()) != len(want) {
		t.Errorf("Roles() = %v, want the %d roles of the table", Roles(), len(want))
	}
	for _, r := range Roles() {
		got := can{r.CanWrite(), r.CanPublish(), r.CanEditOthers(), r.CanModerate(), r.CanAdminister()}
		if got != want[r] {
			t.Errorf("%s may %+v, want %+v", r, got, want[r])
		}
		if p, err := ParseRole(string(r)); err != nil || p != r {
			t.Errorf("ParseRole(%q) = %q, %v", r, p, err)
		}
	}
	// A role this version does not know, or a near miss, may do nothing.
	for _, r := range []Role{"", "Admin", "owner", "admin ", "moderators"} {
		if r.Valid() || r.CanWrite() || r.CanPublish() || r.CanEditOthers() || r.CanModerate() || r.CanAdminister() {
			t.Errorf("the unknown role %q may do something", r)
		}
		if _, err := ParseRole(string(r)); !errors.Is(err, ErrBadRole) {
			t.Errorf("ParseRole(%q): %v, want ErrBadRole", r, err)
		}
	}
}

// Disabling ends a user's sessions at once and refuses their sign-in with
// a wrong password's answer; enabling lets the same password in again.
func TestDisableAndEnable(t *testing.T) {
	ctx := context.Background()
	s, store, _ := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	mustAdd(t, s, "sam", RoleAuthor, pw)
	session := mustLogin(t, s, "sam", pw, "192.0.2.1")
	if _, err := s.NewPasswordLink(ctx, "coach", "sam"); err != nil {
		t.Fatal(err)
	}
	if err := s.Disable(ctx, "Sam"); err != nil {
		t.Fatalf("Disable: %v", err)
	}
	if authenticates(t, s, session) {
		t.Error("a disabled user's session still works")
	}
	if n := store.sessionCount("sam"); n != 0 || len(store.tokens) != 0 {
		t.Errorf("after Disable: %d sessions and tokens %v, want none", n, store.tokens)
	}
	if _, _, err := s.Login(ctx, "sam", pw, "192.0.2.1"); err != ErrBadCredentials {
		t.Errorf("a disabled user signing in with the right password: %v, want ErrBadCredentials", err)
	}
	us, _ := s.List(ctx)
	if len(us) != 2 || us[1].Name != "sam" || !us[1].Disabled {
		t.Errorf("List = %+v, want sam disabled", us)
	}
	if err := s.Disable(ctx, "sam"); err != nil {
		t.Errorf("disabling sam again: %v", err)
	}
	if err := s.Enable(ctx, "sam"); err != nil {
		t.Fatalf("Enable: %v", err)
	}
	mustLogin(t, s, "sam", pw, "192.0.2.9")
	if err := s.Disable(ctx, "nobody"); !errors.Is(err, ErrNoUser) {
		t.Errorf("disabling nobody: %v, want ErrNoUser", err)
	}
	if err := s.Enable(ctx, "no body"); !errors.Is(err, ErrBadName) {
		t.Errorf("enabling a bad name: %v, want ErrBadName", err)
	}
}

// A session being made while its user is disabled is refused, not left
// behind: the store checks in the transaction that writes it.
func TestLoginRacingDisableLeavesNoSession(t *testing.T) {
	ctx := context.Background()
	s, store, _ := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	mustAdd(t, s, "sam", RoleEditor, pw)
	// Disable sam between the password check and the session's write.
	s.compare = func(hash, password []byte) error {
		store.mu.Lock()
		u := store.users["sam"]
		u.Disabled = true
		store.users["sam"] = u
		store.mu.Unlock()
		return nil
	}
	if _, _, err := s.Login(ctx, "sam", pw, "192.0.2.1"); err != ErrBadCredentials {
		t.Errorf("Login racing Disable: %v, want ErrBadCredentials", err)
	}
	if n := store.sessionCount(""); n != 0 {
		t.Errorf("%d sessions left behind", n)
	}
}

// The last enabled admin can be neither disabled, removed nor demoted; a
// disabled admin does not count as one.
func TestLastEnabledAdmin(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	mustAdd(t, s, "dana", RoleAdmin, pw)
	if err := s.Disable(ctx, "dana"); err != nil {
		t.Fatalf("disabling one of two admins: %v", err)
	}
	if err := s.Disable(ctx, "coach"); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("disabling the last enabled admin: %v, want ErrLastAdmin", err)
	}
	if err := s.Remove(ctx, "coach"); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("removing the last enabled admin: %v, want ErrLastAdmin", err)
	}
	if err := s.SetRole(ctx, "coach", RoleEditor); !errors.Is(err, ErrLastAdmin) {
		t.Errorf("demoting the last enabled admin: %v, want ErrLastAdmin", err)
	}
	// The disabled admin may go: coach remains.
	if err := s.Remove(ctx, "dana"); err != nil {
		t.Errorf("removing a disabled admin: %v", err)
	}
	mustLogin(t, s, "coach", pw, "192.0.2.1")
}
