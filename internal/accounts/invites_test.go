package accounts

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// An admin invites a runner as an author for a profile: the runner picks a
// name and password and is signed in with the invite's role and profile;
// the invite then works no more.
func TestInviteAndJoin(t *testing.T) {
	ctx := context.Background()
	s, store, clk := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	inv, err := s.CreateInvite(ctx, "coach", RoleAuthor, "kay-kays-bird-club")
	if err != nil {
		t.Fatalf("CreateInvite: %v", err)
	}
	want := OneTimeToken{Purpose: PurposeInvite, By: "coach", Created: t0, Expires: t0.Add(DefaultInviteTTL),
		Role: RoleAuthor, Author: "kay-kays-bird-club"}
	if inv.OneTimeToken != want || len(inv.Token) != tokenChars {
		t.Errorf("invite = %+v, want a %d-character token and %+v", inv, tokenChars, want)
	}
	if store.tokens[string(tokenKey(inv.Token))] != want {
		t.Errorf("stored tokens = %v, want the invite under the token's SHA-256", store.tokens)
	}
	pending, err := s.Invites(ctx)
	if err != nil || len(pending) != 1 || pending[0].OneTimeToken != want || pending[0].ID != hex.EncodeToString(tokenKey(inv.Token)) {
		t.Errorf("Invites = %+v, %v; want the one invite, named by its key", pending, err)
	}

	clk.Add(time.Hour)
	if got, err := s.InviteToken(ctx, inv.Token); err != nil || got != want {
		t.Errorf("InviteToken = %+v, %v", got, err)
	}
	// Mistakes leave the invite usable.
	if _, _, err := s.Join(ctx, inv.Token, "kay kay", otherPW, "192.0.2.5"); !errors.Is(err, ErrBadName) {
		t.Errorf("joining with a bad name: %v, want ErrBadName", err)
	}
	if _, _, err := s.Join(ctx, inv.Token, "kay", "short", "192.0.2.5"); !errors.Is(err, ErrPasswordTooShort) {
		t.Errorf("joining with a short password: %v, want ErrPasswordTooShort", err)
	}
	if _, _, err := s.Join(ctx, inv.Token, "COACH", otherPW, "192.0.2.5"); !errors.Is(err, ErrUserExists) {
		t.Errorf("joining with a name taken: %v, want ErrUserExists", err)
	}
	session, u, err := s.Join(ctx, inv.Token, "Kay", otherPW, "192.0.2.5")
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	wantUser := User{Name: "kay", Role: RoleAuthor, Author: "kay-kays-bird-club", Created: t0.Add(time.Hour)}
	if u != wantUser {
		t.Errorf("joined %+v, want %+v", u, wantUser)
	}
	if got, err := s.Authenticate(ctx, session); err != nil || got != wantUser {
		t.Errorf("the session Join made: %+v, %v", got, err)
	}
	mustLogin(t, s, "kay", otherPW, "192.0.2.6")
	// Single use.
	if _, _, err := s.Join(ctx, inv.Token, "kay2", otherPW, "192.0.2.5"); !errors.Is(err, ErrNoToken) {
		t.Errorf("joining again: %v, want ErrNoToken", err)
	}
	if pending, _ := s.Invites(ctx); len(pending) != 0 {
		t.Errorf("Invites after use = %+v, want none", pending)
	}
	// The profile is kay's now: no second invite for it.
	if _, err := s.CreateInvite(ctx, "coach", RoleAuthor, "kay-kays-bird-club"); !errors.Is(err, ErrAuthorTaken) {
		t.Errorf("inviting for a profile that is taken: %v, want ErrAuthorTaken", err)
	}
}

// An invite stops working when it expires or is revoked; a set-password
// token never works as an invite, nor an invite as a set-password token.
func TestInviteExpiresAndIsRevocable(t *testing.T) {
	ctx := context.Background()
	s, _, clk := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	old, err := s.CreateInvite(ctx, "coach", RoleContributor, "")
	if err != nil {
		t.Fatal(err)
	}
	clk.Add(DefaultInviteTTL - time.Second)
	if _, err := s.InviteToken(ctx, old.Token); err != nil {
		t.Errorf("an invite a second before it expires: %v", err)
	}
	clk.Add(time.Second)
	if _, _, err := s.Join(ctx, old.Token, "late", otherPW, ""); !errors.Is(err, ErrNoToken) {
		t.Errorf("joining with an expired invite: %v, want ErrNoToken", err)
	}
	if pending, _ := s.Invites(ctx); len(pending) != 0 {
		t.Errorf("Invites lists an expired one: %+v", pending)
	}

	inv, err := s.CreateInvite(ctx, "coach", RoleEditor, "")
	if err != nil {
		t.Fatal(err)
	}
	pending, _ := s.Invites(ctx)
	if len(pending) != 1 {
		t.Fatalf("Invites = %+v, want one", pending)
	}
	if got, err := s.RevokeInvite(ctx, pending[0].ID); err != nil || got.Role != RoleEditor {
		t.Errorf("RevokeInvite = %+v, %v", got, err)
	}
	if _, _, err := s.Join(ctx, inv.Token, "editor", otherPW, ""); !errors.Is(err, ErrNoToken) {
		t.Errorf("joining with a revoked invite: %v, want ErrNoToken", err)
	}
	for _, id := range []string{pending[0].ID, "", "zz", strings.Repeat("0", 64), pending[0].ID[:10]} {
		if _, err := s.RevokeInvite(ctx, id); !errors.Is(err, ErrNoToken) {
			t.Errorf("revoking %q: %v, want ErrNoToken", id, err)
		}
	}

	// Purposes do not mix.
	_, link, err := s.AddWithLink(ctx, "coach", "sam", RoleModerator)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Join(ctx, link.Token, "sam2", otherPW, ""); !errors.Is(err, ErrNoToken) {
		t.Errorf("joining with a set-password link: %v, want ErrNoToken", err)
	}
	pending, _ = s.Invites(ctx)
	if len(pending) != 0 {
		t.Errorf("a set-password link is listed as an invite: %+v", pending)
	}
	keyOfLink := hex.EncodeToString(tokenKey(link.Token))
	if _, err := s.RevokeInvite(ctx, keyOfLink); !errors.Is(err, ErrNoToken) {
		t.Errorf("revoking a set-password link as an invite: %v, want ErrNoToken", err)
	}
	inv2, _ := s.CreateInvite(ctx, "coach", RoleAdmin, "")
	if _, err := s.SetPasswordWithToken(ctx, inv2.Token, otherPW, ""); !errors.Is(err, ErrNoToken) {
		t.Errorf("setting a password with an invite: %v, want ErrNoToken", err)
	}
	if _, err := s.CreateInvite(ctx, "coach", "owner", ""); !errors.Is(err, ErrBadRole) {
		t.Errorf("inviting for an unknown role: %v, want ErrBadRole", err)
	}
	for _, token := range []string{"", "x", strings.Repeat("A", tokenChars), inv2.Token + "A"} {
		if _, _, err := s.Join(ctx, token, "mallory", otherPW, ""); !errors.Is(err, ErrNoToken) {
			t.Errorf("joining with the token %q: %v, want ErrNoToken", token, err)
		}
	}
}

// Two runners using one invite at once: exactly one account is made.
func TestConcurrentJoinsOneWins(t *testing.T) {
	ctx := context.Background()
	s, store, _ := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	inv, err := s.CreateInvite(ctx, "coach", RoleAuthor, "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, _, errs[i] = s.Join(ctx, inv.Token, "runner"+string(rune('a'+i)), otherPW, "")
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, ErrNoToken):
			t.Errorf("a losing join: %v, want ErrNoToken", err)
		}
	}
	if us, _ := s.List(ctx); ok != 1 || len(us) != 2 || store.sessionCount("") != 1 {
		t.Errorf("%d joins succeeded, users %+v, %d sessions; want one of each", ok, us, store.sessionCount(""))
	}
}

// Two invites for one profile: the first runner to join gets it, the
// second is refused with ErrAuthorTaken and their invite stays usable.
func TestInviteProfileGoesToOneUser(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	a, _ := s.CreateInvite(ctx, "coach", RoleAuthor, "kay")
	b, _ := s.CreateInvite(ctx, "coach", RoleAuthor, "kay")
	if _, _, err := s.Join(ctx, a.Token, "kay", otherPW, ""); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Join(ctx, b.Token, "kay2", otherPW, ""); !errors.Is(err, ErrAuthorTaken) {
		t.Errorf("a second join for the profile: %v, want ErrAuthorTaken", err)
	}
	if _, err := s.InviteToken(ctx, b.Token); err != nil {
		t.Errorf("the refused invite: %v, want it still usable", err)
	}
}

// An admin ties an existing user to a profile, or unties them; a profile
// another user has is refused, and giving a user their own again is not.
func TestSetAuthor(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	mustAdd(t, s, "sam", RoleAuthor, pw)
	if err := s.SetAuthor(ctx, "Coach", "kay"); err != nil {
		t.Fatalf("SetAuthor: %v", err)
	}
	if err := s.SetAuthor(ctx, "coach", "kay"); err != nil {
		t.Errorf("giving coach their own profile again: %v", err)
	}
	if err := s.SetAuthor(ctx, "sam", "kay"); !errors.Is(err, ErrAuthorTaken) {
		t.Errorf("giving sam coach's profile: %v, want ErrAuthorTaken", err)
	}
	if err := s.SetAuthor(ctx, "coach", ""); err != nil {
		t.Fatalf("untying coach: %v", err)
	}
	if err := s.SetAuthor(ctx, "sam", "kay"); err != nil {
		t.Errorf("giving sam the profile coach left: %v", err)
	}
	if err := s.SetAuthor(ctx, "nobody", "x"); !errors.Is(err, ErrNoUser) {
		t.Errorf("SetAuthor of nobody: %v, want ErrNoUser", err)
	}
	us, _ := s.List(ctx)
	if us[0].Author != "" || us[1].Author != "kay" {
		t.Errorf("users = %+v, want sam with kay's profile", us)
	}
}
