package bolt

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	"golang.org/x/crypto/bcrypt"

	"milepost/internal/accounts"
)

const (
	accountPW      = "correct horse battery"
	accountOtherPW = "tr0ub4dor&3-staple"
)

var accountT0 = time.Date(2011, 10, 4, 9, 12, 0, 0, time.UTC)

// accountClock is a settable clock.
type accountClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *accountClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *accountClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openAccountsDB opens a fresh database file, closed when the test ends.
func openAccountsDB(t *testing.T) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "milepost.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// newAccountService is a Service at bcrypt.MinCost over db, on a clock
// stopped at accountT0.
func newAccountService(t *testing.T, db *DB) (*accounts.Service, *accountClock) {
	t.Helper()
	clk := &accountClock{t: accountT0}
	s, err := accounts.NewService(db, accounts.Options{Cost: bcrypt.MinCost, Now: clk.Now})
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return s, clk
}

func userRecord(t *testing.T, name string, role accounts.Role) accounts.UserRecord {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(accountPW), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return accounts.UserRecord{
		User:         accounts.User{Name: name, Role: role, Created: accountT0},
		PasswordHash: hash,
	}
}

func sessionKey(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

// accountSessionsOf counts the stored sessions of name, or of everyone for
// "", and fails the test if any session's user does not exist.
func accountSessionsOf(t *testing.T, db *DB, name string) int {
	t.Helper()
	n := 0
	err := db.view(context.Background(), func(tx *bbolt.Tx) error {
		sessions := tx.Bucket(bucketAccountSessions)
		if sessions == nil {
			return nil
		}
		return sessions.ForEach(func(k, v []byte) error {
			s, err := decodeSession(v)
			if err != nil {
				return err
			}
			if _, err := getUser(tx.Bucket(bucketAccountUsers), []byte(s.User)); err != nil {
				return fmt.Errorf("session %x of %q outlived its user: %w", k[:4], s.User, err)
			}
			if name == "" || s.User == name {
				n++
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A new database has no account buckets; reading them finds nothing, and
// writing makes them.
func TestAccountStoreBeforeAnyAccount(t *testing.T) {
	ctx := context.Background()
	db, _ := openAccountsDB(t)
	if _, err := db.GetUser(ctx, "kay"); !errors.Is(err, accounts.ErrNoUser) {
		t.Errorf("GetUser: %v, want ErrNoUser", err)
	}
	if us, err := db.ListUsers(ctx); err != nil || len(us) != 0 {
		t.Errorf("ListUsers = %v, %v", us, err)
	}
	key := sessionKey("token")
	if _, err := db.GetSession(ctx, key); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("GetSession: %v, want ErrNoSession", err)
	}
	if err := db.DeleteSession(ctx, key); err != nil {
		t.Errorf("DeleteSession: %v", err)
	}
	if n, err := db.DeleteSessionsOf(ctx, "kay"); err != nil || n != 0 {
		t.Errorf("DeleteSessionsOf = %d, %v", n, err)
	}
	if n, err := db.DeleteExpiredSessions(ctx, accountT0); err != nil || n != 0 {
		t.Errorf("DeleteExpiredSessions = %d, %v", n, err)
	}
	if err := db.DeleteUser(ctx, "kay", nil); !errors.Is(err, accounts.ErrNoUser) {
		t.Errorf("DeleteUser: %v, want ErrNoUser", err)
	}
	if err := db.SetPasswordHash(ctx, "kay", []byte("x")); !errors.Is(err, accounts.ErrNoUser) {
		t.Errorf("SetPasswordHash: %v, want ErrNoUser", err)
	}
	if err := db.PutSession(ctx, key, accounts.Session{User: "kay"}, nil); !errors.Is(err, accounts.ErrNoUser) {
		t.Errorf("PutSession: %v, want ErrNoUser", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestAccountStoreUsers(t *testing.T) {
	ctx := context.Background()
	db, _ := openAccountsDB(t)
	kay := userRecord(t, "kay", accounts.RoleAdmin)
	if err := db.AddUser(ctx, kay); err != nil {
		t.Fatal(err)
	}
	if err := db.AddUser(ctx, userRecord(t, "kay", accounts.RoleModerator)); !errors.Is(err, accounts.ErrUserExists) {
		t.Errorf("AddUser again: %v, want ErrUserExists", err)
	}
	for _, bad := range []string{"Kay", "k y", ""} {
		if err := db.AddUser(ctx, userRecord(t, bad, accounts.RoleAdmin)); err == nil {
			t.Errorf("AddUser(%q) accepted a name that is not normalized", bad)
		}
		if _, err := db.GetUser(ctx, bad); err == nil || errors.Is(err, accounts.ErrNoUser) {
			t.Errorf("GetUser(%q): %v, want a refusal", bad, err)
		}
	}
	if err := db.AddUser(ctx, userRecord(t, "dana", accounts.RoleModerator)); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetUser(ctx, "kay")
	if err != nil || got.User != kay.User || !bytes.Equal(got.PasswordHash, kay.PasswordHash) {
		t.Errorf("GetUser = %+v, %v; want %+v", got, err, kay)
	}
	us, err := db.ListUsers(ctx)
	if err != nil || len(us) != 2 || us[0].Name != "dana" || us[1] != kay.User {
		t.Errorf("ListUsers = %+v, %v", us, err)
	}
	if err := db.SetPasswordHash(ctx, "kay", []byte("new hash")); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.GetUser(ctx, "kay"); string(got.PasswordHash) != "new hash" || got.User != kay.User {
		t.Errorf("after SetPasswordHash: %+v", got)
	}
	if err := db.DeleteUser(ctx, "kay", nil); err != nil {
		t.Fatal(err)
	}
	if us, _ := db.ListUsers(ctx); len(us) != 1 {
		t.Errorf("ListUsers after DeleteUser = %+v", us)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestAccountStoreSessions(t *testing.T) {
	ctx := context.Background()
	db, _ := openAccountsDB(t)
	kay := userRecord(t, "kay", accounts.RoleAdmin)
	dana := userRecord(t, "dana", accounts.RoleModerator)
	for _, u := range []accounts.UserRecord{kay, dana} {
		if err := db.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	put := func(token, user string, hash []byte, expires time.Duration) error {
		return db.PutSession(ctx, sessionKey(token), accounts.Session{
			User: user, Created: accountT0, Expires: accountT0.Add(expires)}, hash)
	}
	for _, s := range []struct {
		token, user string
		hash        []byte
		expires     time.Duration
	}{
		{"k1", "kay", kay.PasswordHash, time.Hour},
		{"k2", "kay", kay.PasswordHash, 2 * time.Hour},
		{"d1", "dana", dana.PasswordHash, time.Hour},
		{"d2", "dana", dana.PasswordHash, 3 * time.Hour},
	} {
		if err := put(s.token, s.user, s.hash, s.expires); err != nil {
			t.Fatalf("PutSession(%s): %v", s.token, err)
		}
	}
	if err := put("stale", "kay", dana.PasswordHash, time.Hour); !errors.Is(err, accounts.ErrPasswordChanged) {
		t.Errorf("PutSession with another hash: %v, want ErrPasswordChanged", err)
	}
	if err := db.PutSession(ctx, []byte("short"), accounts.Session{User: "kay"}, kay.PasswordHash); err == nil {
		t.Error("PutSession accepted a key that is not a SHA-256")
	}
	got, err := db.GetSession(ctx, sessionKey("k2"))
	if want := (accounts.Session{User: "kay", Created: accountT0, Expires: accountT0.Add(2 * time.Hour)}); err != nil || got != want {
		t.Errorf("GetSession = %+v, %v; want %+v", got, err, want)
	}
	if n, err := db.DeleteExpiredSessions(ctx, accountT0.Add(time.Hour)); err != nil || n != 2 {
		t.Errorf("DeleteExpiredSessions at +1h = %d, %v; want 2 (expiring at the instant counts)", n, err)
	}
	if err := db.DeleteSession(ctx, sessionKey("k2")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetSession(ctx, sessionKey("k2")); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("GetSession after DeleteSession: %v", err)
	}
	if n, err := db.DeleteSessionsOf(ctx, "dana"); err != nil || n != 1 {
		t.Errorf("DeleteSessionsOf(dana) = %d, %v; want 1", n, err)
	}
	if n := accountSessionsOf(t, db, ""); n != 0 {
		t.Errorf("%d sessions left", n)
	}
}

// The Service over the real store, end to end, and across a restart.
func TestAccountServiceOverBolt(t *testing.T) {
	ctx := context.Background()
	db, path := openAccountsDB(t)
	s, clk := newAccountService(t, db)
	if _, err := s.Add(ctx, "Kay", accounts.RoleAdmin, accountPW); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "dana", accounts.RoleModerator, accountPW); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(ctx, "KAY", accounts.RoleModerator, accountOtherPW); !errors.Is(err, accounts.ErrUserExists) {
		t.Errorf("Add(KAY): %v, want ErrUserExists", err)
	}
	if _, err := s.Add(ctx, "lee", accounts.RoleModerator, "short"); !errors.Is(err, accounts.ErrPasswordTooShort) {
		t.Errorf("Add with a short password: %v", err)
	}

	_, _, wrong := s.Login(ctx, "kay", "wrong password", "192.0.2.1")
	_, _, unknown := s.Login(ctx, "nobody", "wrong password", "192.0.2.2")
	if wrong != accounts.ErrBadCredentials || unknown != accounts.ErrBadCredentials {
		t.Errorf("wrong password: %v; unknown user: %v; want ErrBadCredentials for both", wrong, unknown)
	}

	token, u, err := s.Login(ctx, "kay", accountPW, "192.0.2.1")
	if err != nil || u.Name != "kay" || u.Role != accounts.RoleAdmin {
		t.Fatalf("Login = %+v, %v", u, err)
	}
	if got, err := s.Authenticate(ctx, token); err != nil || got != u {
		t.Errorf("Authenticate = %+v, %v", got, err)
	}

	// Sessions survive a restart.
	db.Close()
	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	s2, err := accounts.NewService(db2, accounts.Options{Cost: bcrypt.MinCost, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s2.Authenticate(ctx, token); err != nil || got != u {
		t.Errorf("Authenticate after reopening = %+v, %v", got, err)
	}
	if us, err := s2.List(ctx); err != nil || len(us) != 2 {
		t.Errorf("List after reopening = %+v, %v", us, err)
	}

	// Logout ends one session.
	other, _, err := s2.Login(ctx, "kay", accountPW, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := s2.Logout(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Authenticate(ctx, token); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("after Logout: %v", err)
	}
	if _, err := s2.Authenticate(ctx, other); err != nil {
		t.Errorf("Logout ended another session: %v", err)
	}

	// Expiry.
	clk.Add(accounts.DefaultSessionTTL)
	if _, err := s2.Authenticate(ctx, other); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("after 14 days: %v, want ErrNoSession", err)
	}
	if n, err := s2.PruneSessions(ctx); err != nil || n != 1 {
		t.Errorf("PruneSessions = %d, %v; want 1", n, err)
	}
	if err := db2.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestAccountPasswordChangeEndsSessions(t *testing.T) {
	ctx := context.Background()
	db, _ := openAccountsDB(t)
	s, _ := newAccountService(t, db)
	for _, name := range []string{"kay", "dana"} {
		if _, err := s.Add(ctx, name, accounts.RoleModerator, accountPW); err != nil {
			t.Fatal(err)
		}
	}
	login := func(name, password string) (string, error) {
		token, _, err := s.Login(ctx, name, password, "192.0.2.1")
		return token, err
	}
	kay, _ := login("kay", accountPW)
	dana, _ := login("dana", accountPW)
	if err := s.SetPassword(ctx, "kay", accountOtherPW); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, kay); !errors.Is(err, accounts.ErrNoSession) {
		t.Errorf("kay's session after passwd: %v", err)
	}
	if _, err := s.Authenticate(ctx, dana); err != nil {
		t.Errorf("dana's session after kay's passwd: %v", err)
	}
	if _, err := login("kay", accountPW); err != accounts.ErrBadCredentials {
		t.Errorf("old password: %v", err)
	}
	if _, err := login("kay", accountOtherPW); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func TestAccountRemoveEndsSessions(t *testing.T) {
	ctx := context.Background()
	db, _ := openAccountsDB(t)
	s, _ := newAccountService(t, db)
	for _, name := range []string{"kay", "dana"} {
		if _, err := s.Add(ctx, name, accounts.RoleModerator, accountPW); err != nil {
			t.Fatal(err)
		}
	}
	var kay []string
	for range 3 {
		token, _, err := s.Login(ctx, "kay", accountPW, "192.0.2.1")
		if err != nil {
			t.Fatal(err)
		}
		kay = append(kay, token)
	}
	dana, _, _ := s.Login(ctx, "dana", accountPW, "192.0.2.1")
	// One session that cannot even be read must not stop the removal.
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketAccountSessions).Put(sessionKey("garbage"), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "kay"); err != nil {
		t.Fatal(err)
	}
	for _, token := range kay {
		if _, err := s.Authenticate(ctx, token); !errors.Is(err, accounts.ErrNoSession) {
			t.Errorf("removed user's session: %v", err)
		}
	}
	if _, err := s.Authenticate(ctx, dana); err != nil {
		t.Errorf("dana's session after kay's removal: %v", err)
	}
	if n := accountSessionsOf(t, db, ""); n != 1 {
		t.Errorf("%d sessions left, want dana's alone", n)
	}
}

// Logins, removals and re-additions at once must never leave a session
// whose user is gone: DeleteUser takes the sessions in its transaction, and
// PutSession checks the user in its own.
func TestAccountRemovalLeavesNoSessionBehind(t *testing.T) {
	ctx := context.Background()
	db, _ := openAccountsDB(t)
	kay := userRecord(t, "kay", accounts.RoleAdmin)
	var wg sync.WaitGroup
	var stored atomic.Int32
	stop := make(chan struct{})
	// The writers stop before the database closes, even if the test fails.
	halt := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer halt()
	for w := range 3 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				err := db.PutSession(ctx, sessionKey(fmt.Sprintf("%d-%d", w, i)),
					accounts.Session{User: "kay", Created: accountT0, Expires: accountT0.Add(time.Hour)}, kay.PasswordHash)
				switch {
				case err == nil:
					stored.Add(1)
				case !errors.Is(err, accounts.ErrNoUser):
					t.Errorf("PutSession: %v", err)
					return
				}
			}
		})
	}
	for range 30 {
		if err := db.AddUser(ctx, kay); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond)
		if err := db.DeleteUser(ctx, "kay", nil); err != nil {
			t.Fatal(err)
		}
		if n := accountSessionsOf(t, db, "kay"); n != 0 {
			t.Fatalf("%d sessions of kay outlived kay", n)
		}
	}
	halt()
	accountSessionsOf(t, db, "")
	if stored.Load() == 0 {
		t.Error("no PutSession found kay present, so nothing was tested")
	}
}

// The file holds the SHA-256 of the token and a bcrypt hash, never the
// token or the password.
func TestAccountFileHoldsOnlyHashes(t *testing.T) {
	ctx := context.Background()
	db, path := openAccountsDB(t)
	s, _ := newAccountService(t, db)
	if _, err := s.Add(ctx, "kay", accounts.RoleAdmin, accountPW); err != nil {
		t.Fatal(err)
	}
	token, _, err := s.Login(ctx, "kay", accountPW, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for what, secret := range map[string][]byte{
		"token": []byte(token), "raw token": raw, "password": []byte(accountPW),
		"password in base64": []byte(base64.StdEncoding.EncodeToString([]byte(accountPW))),
	} {
		if bytes.Contains(data, secret) {
			t.Errorf("the database file contains the %s", what)
		}
	}
	if !bytes.Contains(data, sessionKey(token)) {
		t.Error("the database file lacks the token's SHA-256, so this test looks in the wrong place")
	}
}

// Adding a user on the web stores the user and their set-password token
// together; the file holds the token's SHA-256, never the token; the link
// works once, even when used twice at the same moment.
func TestAccountPasswordLinkOverBolt(t *testing.T) {
	ctx := context.Background()
	db, path := openAccountsDB(t)
	s, _ := newAccountService(t, db)
	if _, err := s.Add(ctx, "kay", accounts.RoleAdmin, accountPW); err != nil {
		t.Fatal(err)
	}
	_, link, err := s.AddWithLink(ctx, "kay", "sam", accounts.RoleModerator)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PasswordToken(ctx, link.Token); err != nil {
		t.Fatalf("PasswordToken: %v", err)
	}
	var wg sync.WaitGroup
	var worked atomic.Int32
	for i := range 4 {
		wg.Go(func() {
			_, err := s.SetPasswordWithToken(ctx, link.Token, fmt.Sprintf("sam's password %d", i), fmt.Sprintf("192.0.2.%d", i))
			switch {
			case err == nil:
				worked.Add(1)
			case !errors.Is(err, accounts.ErrNoToken):
				t.Errorf("SetPasswordWithToken: %v", err)
			}
		})
	}
	wg.Wait()
	if worked.Load() != 1 {
		t.Fatalf("the link worked %d times, want once", worked.Load())
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}

	// A second link, then the user's removal, takes the link with it.
	again, err := s.NewPasswordLink(ctx, "kay", "sam")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "sam"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetToken(ctx, sessionKey(again.Token)); !errors.Is(err, accounts.ErrNoToken) {
		t.Errorf("sam's link after sam's removal: %v, want ErrNoToken", err)
	}
	if err := db.PutToken(ctx, sessionKey(again.Token), again.OneTimeToken); !errors.Is(err, accounts.ErrNoUser) {
		t.Errorf("PutToken for a removed user: %v, want ErrNoUser", err)
	}
	if _, err := db.SetPasswordByToken(ctx, sessionKey("nothing"), nil, func(accounts.OneTimeToken) error { return nil }); !errors.Is(err, accounts.ErrNoToken) {
		t.Errorf("SetPasswordByToken of an unknown token: %v, want ErrNoToken", err)
	}

	mine, err := s.NewPasswordLink(ctx, "kay", "kay")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(data, []byte(mine.Token)) {
		t.Error("the database file contains a one-time token")
	}
	if !bytes.Contains(data, sessionKey(mine.Token)) {
		t.Error("the database file lacks the token's SHA-256, so this test looks in the wrong place")
	}
}

// Two admins removing each other at the same moment must not leave the
// site without one: the last-admin rule runs inside each removal's
// transaction.
func TestAccountLastAdminRuleHoldsUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	db, _ := openAccountsDB(t)
	s, _ := newAccountService(t, db)
	for round := range 20 {
		for _, name := range []string{"kay", "dana"} {
			if err := db.AddUser(ctx, userRecord(t, name, accounts.RoleAdmin)); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var refused atomic.Int32
		for _, name := range []string{"kay", "dana"} {
			wg.Go(func() {
				var err error
				if round%2 == 0 {
					err = s.Remove(ctx, name)
				} else {
					err = s.SetRole(ctx, name, accounts.RoleModerator)
				}
				switch {
				case errors.Is(err, accounts.ErrLastAdmin):
					refused.Add(1)
				case err != nil:
					t.Errorf("round %d, %s: %v", round, name, err)
				}
			})
		}
		wg.Wait()
		us, err := db.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		admins := 0
		for _, u := range us {
			if u.Role == accounts.RoleAdmin {
				admins++
			}
		}
		if admins != 1 || refused.Load() != 1 {
			t.Fatalf("round %d: %d admins left and %d changes refused, want 1 and 1", round, admins, refused.Load())
		}
		for _, u := range us {
			if err := db.DeleteUser(ctx, u.Name, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
}
