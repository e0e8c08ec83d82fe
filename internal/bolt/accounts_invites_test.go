package bolt

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"milepost/internal/accounts"
)

// An invite over the real store: listed while pending, used once by one of
// many joins at once (the account and its session made with it), and the
// database consistent after.
func TestAccountInviteOverBolt(t *testing.T) {
	ctx := context.Background()
	db, _ := openAccountsDB(t)
	s, clk := newAccountService(t, db)
	if _, err := s.Add(ctx, "coach", accounts.RoleAdmin, accountPW); err != nil {
		t.Fatal(err)
	}
	inv, err := s.CreateInvite(ctx, "coach", accounts.RoleContributor, "kay-kays-bird-club")
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := s.CreateInvite(ctx, "coach", accounts.RoleEditor, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check with pending invites: %v", err)
	}
	pending, err := s.Invites(ctx)
	if err != nil || len(pending) != 2 {
		t.Fatalf("Invites = %+v, %v; want two", pending, err)
	}
	for _, p := range pending {
		if p.Role == accounts.RoleEditor {
			if _, err := s.RevokeInvite(ctx, p.ID); err != nil {
				t.Fatalf("RevokeInvite: %v", err)
			}
		}
	}
	if _, err := s.InviteToken(ctx, revoked.Token); !errors.Is(err, accounts.ErrNoToken) {
		t.Errorf("a revoked invite: %v, want ErrNoToken", err)
	}

	clk.Add(time.Hour)
	var wg sync.WaitGroup
	var worked atomic.Int32
	var session atomic.Value
	for i := range 6 {
		wg.Go(func() {
			token, _, err := s.Join(ctx, inv.Token, fmt.Sprintf("runner%d", i), accountOtherPW, fmt.Sprintf("192.0.2.%d", i))
			switch {
			case err == nil:
				worked.Add(1)
				session.Store(token)
			case !errors.Is(err, accounts.ErrNoToken):
				t.Errorf("Join: %v", err)
			}
		})
	}
	wg.Wait()
	if worked.Load() != 1 {
		t.Fatalf("the invite worked %d times, want once", worked.Load())
	}
	u, err := s.Authenticate(ctx, session.Load().(string))
	if err != nil || u.Role != accounts.RoleContributor || u.Author != "kay-kays-bird-club" {
		t.Errorf("the joined user = %+v, %v; want a contributor for kay-kays-bird-club", u, err)
	}
	if n := accountSessionsOf(t, db, ""); n != 1 {
		t.Errorf("%d sessions, want the joined user's one", n)
	}
	if pending, _ := s.Invites(ctx); len(pending) != 0 {
		t.Errorf("Invites after use = %+v", pending)
	}
	if err := s.SetAuthor(ctx, "coach", "kay-kays-bird-club"); !errors.Is(err, accounts.ErrAuthorTaken) {
		t.Errorf("giving coach the joined user's profile: %v, want ErrAuthorTaken", err)
	}
	if err := s.SetAuthor(ctx, "coach", "coach"); err != nil {
		t.Errorf("giving coach a free profile: %v", err)
	}
	if rec, err := db.GetUser(ctx, "coach"); err != nil || rec.Author != "coach" {
		t.Errorf("coach after SetAuthor = %+v, %v", rec.User, err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check after joining: %v", err)
	}
	// The store refuses an invite of the wrong shape.
	for _, bad := range []accounts.OneTimeToken{
		{Purpose: accounts.PurposeInvite, User: "coach", Role: accounts.RoleAdmin},
		{Purpose: accounts.PurposeInvite, Role: "root"},
		{Purpose: accounts.PurposeSetPassword, Role: accounts.RoleAdmin},
	} {
		if err := db.PutInvite(ctx, sessionKey("bad"), bad); err == nil {
			t.Errorf("PutInvite(%+v) succeeded", bad)
		}
	}
}

// Disabling over the real store ends the user's sessions and links in the
// same transaction, and keeps an enabled admin even when two admins
// disable each other at once.
func TestAccountDisableOverBolt(t *testing.T) {
	ctx := context.Background()
	db, _ := openAccountsDB(t)
	s, _ := newAccountService(t, db)
	for _, name := range []string{"kay", "dana"} {
		if _, err := s.Add(ctx, name, accounts.RoleAdmin, accountPW); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Add(ctx, "sam", accounts.RoleAuthor, accountPW); err != nil {
		t.Fatal(err)
	}
	token, _, err := s.Login(ctx, "sam", accountPW, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.NewPasswordLink(ctx, "kay", "sam"); err != nil {
		t.Fatal(err)
	}
	if err := s.Disable(ctx, "sam"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, token); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("a disabled user's session: %v, want ErrNoSession", err)
	}
	if n := accountSessionsOf(t, db, "sam"); n != 0 {
		t.Errorf("%d sessions of the disabled user remain", n)
	}
	if ts, _ := db.ListTokens(ctx, accounts.PurposeSetPassword); len(ts) != 0 {
		t.Errorf("the disabled user's links remain: %+v", ts)
	}
	if _, _, err := s.Login(ctx, "sam", accountPW, "192.0.2.1"); err != accounts.ErrBadCredentials {
		t.Errorf("a disabled user's sign-in: %v, want ErrBadCredentials", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
	if err := s.Enable(ctx, "sam"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, "sam", accountPW, "192.0.2.1"); err != nil {
		t.Errorf("an enabled user's sign-in: %v", err)
	}

	var wg sync.WaitGroup
	var refused atomic.Int32
	for _, name := range []string{"kay", "dana"} {
		wg.Go(func() {
			switch err := s.Disable(ctx, name); {
			case errors.Is(err, accounts.ErrLastAdmin):
				refused.Add(1)
			case err != nil:
				t.Errorf("disabling %s: %v", name, err)
			}
		})
	}
	wg.Wait()
	us, _ := db.ListUsers(ctx)
	enabledAdmins := 0
	for _, u := range us {
		if u.Role == accounts.RoleAdmin && !u.Disabled {
			enabledAdmins++
		}
	}
	if enabledAdmins != 1 || refused.Load() != 1 {
		t.Errorf("%d enabled admins and %d refusals, want 1 and 1", enabledAdmins, refused.Load())
	}
}

// A database of schema version 4, the last before writers' roles, opens
// in place: its moderator keeps their session, role and password, and may
// still moderate and nothing more.
func TestAccountUpgradeFromVersion4KeepsModerators(t *testing.T) {
	ctx := context.Background()
	db, path := openAccountsDB(t)
	s, _ := newAccountService(t, db)
	if _, err := s.Add(ctx, "kay", accounts.RoleAdmin, accountPW); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "sam", accounts.RoleModerator, accountPW); err != nil {
		t.Fatal(err)
	}
	session, _, err := s.Login(ctx, "sam", accountPW, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	writeMeta(t, path, keySchemaVersion, "4")

	for range 2 { // twice: the upgrade is idempotent
		db, err := Open(ctx, path)
		if err != nil {
			t.Fatalf("opening a version 4 database: %v", err)
		}
		s, _ := newAccountService(t, db)
		u, err := s.Authenticate(ctx, session)
		if err != nil || u.Role != accounts.RoleModerator {
			t.Errorf("the moderator's session after the upgrade: %+v, %v", u, err)
		}
		if !u.Role.CanModerate() || u.Role.CanWrite() || u.Role.CanAdminister() {
			t.Errorf("a moderator after the upgrade may moderate %t, write %t, administer %t; want only moderate",
				u.Role.CanModerate(), u.Role.CanWrite(), u.Role.CanAdminister())
		}
		if _, _, err := s.Login(ctx, "sam", accountPW, "192.0.2.1"); err != nil {
			t.Errorf("the moderator's sign-in after the upgrade: %v", err)
		}
		if err := db.Check(ctx); err != nil {
			t.Errorf("Check after the upgrade: %v", err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if got := readMeta(t, path, keySchemaVersion); got != strconv.Itoa(SchemaVersion) {
			t.Errorf("schema_version after the upgrade = %q, want %d", got, SchemaVersion)
		}
	}
}

// Check finds a session of a disabled user (disabling deletes them in the
// same transaction) and an author profile two users have.
func TestCheckFindsDisabledSessionsAndSharedProfiles(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(b buckets) error
		want    string
	}{
		{"session of a disabled user", func(b buckets) error {
			return rewriteUser(b, "dana", func(u *accounts.UserRecord) { u.Disabled = true })
		}, "account_sessions: key " + hexKey("dana-1") + ` is a session of "dana", who is disabled`},
		{"one profile, two users", func(b buckets) error {
			if err := rewriteUser(b, "dana", func(u *accounts.UserRecord) { u.Author = "kay-kays-bird-club" }); err != nil {
				return err
			}
			return rewriteUser(b, "kay", func(u *accounts.UserRecord) { u.Author = "kay-kays-bird-club" })
		}, `account_users: users "dana" and "kay" both have the author profile "kay-kays-bird-club"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkCatches(t, fillAccountsForCheck, tc.corrupt, tc.want)
		})
	}
}

// Check knows invites: one for no user with a role is sound; one naming a
// user, or with no role, is not.
func TestCheckFindsBadInvites(t *testing.T) {
	withInvite := func(t *testing.T, db *DB) {
		fillAccountsForCheck(t, db)
		inv := accounts.OneTimeToken{Purpose: accounts.PurposeInvite, By: "kay", Role: accounts.RoleAuthor,
			Created: accountT0, Expires: accountT0.Add(time.Hour)}
		if err := db.PutInvite(context.Background(), sessionKey("invite"), inv); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		edit func(*accounts.OneTimeToken)
		want string
	}{
		{"invite for a user", func(i *accounts.OneTimeToken) { i.User = "dana" }, `an invite is for the user "dana"`},
		{"invite with no role", func(i *accounts.OneTimeToken) { i.Role = "" }, `an invite: ` + accounts.ErrBadRole.Error()},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkCatches(t, withInvite, func(b buckets) error {
				inv := accounts.OneTimeToken{Purpose: accounts.PurposeInvite, By: "kay", Role: accounts.RoleAuthor,
					Created: accountT0, Expires: accountT0.Add(time.Hour)}
				tc.edit(&inv)
				return putTokenRaw(b, sessionKey("invite"), inv)
			}, "account_tokens: key "+hexKey("invite")+": "+tc.want)
		})
	}
}
