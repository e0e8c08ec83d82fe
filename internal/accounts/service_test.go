package accounts

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

var t0 = time.Date(2011, 10, 4, 9, 12, 0, 0, time.UTC)

const (
	pw      = "correct horse battery"
	otherPW = "tr0ub4dor&3-staple"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTest is a Service at bcrypt.MinCost over a fresh memStore, on a clock
// stopped at t0.
func newTest(t *testing.T) (*Service, *memStore, *clock) {
	t.Helper()
	store, clk := newMemStore(), &clock{t: t0}
	// More bcrypt slots than the tests that change a password in the
	// middle of a login need, whatever the machine.
	s, err := NewService(store, Options{Cost: bcrypt.MinCost, Now: clk.Now, CheckSlots: 4})
	if err != nil {
		t.Fatalf("NewService: %v", err)
	}
	return s, store, clk
}

func mustAdd(t *testing.T, s *Service, name string, role Role, password string) User {
	t.Helper()
	u, err := s.Add(context.Background(), name, role, password)
	if err != nil {
		t.Fatalf("Add(%q): %v", name, err)
	}
	return u
}

func mustLogin(t *testing.T, s *Service, name, password, ip string) string {
	t.Helper()
	token, _, err := s.Login(context.Background(), name, password, ip)
	if err != nil {
		t.Fatalf("Login(%q) from %s: %v", name, ip, err)
	}
	return token
}

// authenticates reports whether token is a live session, failing the test
// on any error but ErrNoSession.
func authenticates(t *testing.T, s *Service, token string) bool {
	t.Helper()
	_, err := s.Authenticate(context.Background(), token)
	if err != nil && !errors.Is(err, ErrNoSession) {
		t.Fatalf("Authenticate: %v", err)
	}
	return err == nil
}

func TestNormalizeName(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"kay", "kay"}, {"Kay", "kay"}, {"KAY.o-Brien_2", "kay.o-brien_2"},
		{"a", "a"}, {strings.Repeat("Z", 64), strings.Repeat("z", 64)},
	} {
		if got, err := NormalizeName(tc.in); err != nil || got != tc.want {
			t.Errorf("NormalizeName(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{"", strings.Repeat("a", 65), "kay o", "kay@example", "kåy", "kay\x00", "kay/..", " kay"} {
		if got, err := NormalizeName(in); !errors.Is(err, ErrBadName) {
			t.Errorf("NormalizeName(%q) = %q, %v; want ErrBadName", in, got, err)
		}
	}
}

func TestRoles(t *testing.T) {
	for _, tc := range []struct {
		role            Role
		moderate, admin bool
		parses          bool
	}{
		{RoleAdmin, true, true, true},
		{RoleModerator, true, false, true},
		{"Admin", false, false, false},
		{"", false, false, false},
	} {
		if got := tc.role.CanModerate(); got != tc.moderate {
			t.Errorf("%q.CanModerate() = %v", tc.role, got)
		}
		if got := tc.role.CanAdminister(); got != tc.admin {
			t.Errorf("%q.CanAdminister() = %v", tc.role, got)
		}
		if r, err := ParseRole(string(tc.role)); (err == nil) != tc.parses || (err == nil && r != tc.role) {
			t.Errorf("ParseRole(%q) = %q, %v", tc.role, r, err)
		}
	}
	s, _, _ := newTest(t)
	if _, err := s.Add(context.Background(), "kay", "owner", pw); !errors.Is(err, ErrBadRole) {
		t.Errorf("Add with role owner: %v, want ErrBadRole", err)
	}
}

func TestAddListRemove(t *testing.T) {
	ctx := context.Background()
	s, _, clk := newTest(t)
	if us, err := s.List(ctx); err != nil || len(us) != 0 {
		t.Fatalf("List of none = %v, %v", us, err)
	}
	u := mustAdd(t, s, "Kay", RoleAdmin, pw)
	if want := (User{Name: "kay", Role: RoleAdmin, Created: t0}); u != want {
		t.Errorf("Add = %+v, want %+v", u, want)
	}
	clk.Add(time.Minute)
	mustAdd(t, s, "dana", RoleAdmin, otherPW)
	us, err := s.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []User{{Name: "dana", Role: RoleAdmin, Created: t0.Add(time.Minute)}, {Name: "kay", Role: RoleAdmin, Created: t0}}
	if fmt.Sprint(us) != fmt.Sprint(want) {
		t.Errorf("List = %v, want %v", us, want)
	}
	if err := s.Remove(ctx, "KAY"); err != nil {
		t.Fatalf("Remove: %v", err)
	}
	if err := s.Remove(ctx, "kay"); !errors.Is(err, ErrNoUser) {
		t.Errorf("second Remove: %v, want ErrNoUser", err)
	}
	if err := s.Remove(ctx, "k y"); !errors.Is(err, ErrBadName) {
		t.Errorf("Remove of a bad name: %v, want ErrBadName", err)
	}
	if us, _ := s.List(ctx); len(us) != 1 || us[0].Name != "dana" {
		t.Errorf("List after Remove = %v", us)
	}
}

func TestAddDuplicateIgnoresCase(t *testing.T) {
	s, _, _ := newTest(t)
	mustAdd(t, s, "kay", RoleModerator, pw)
	for _, name := range []string{"kay", "KAY", "Kay"} {
		if _, err := s.Add(context.Background(), name, RoleAdmin, otherPW); !errors.Is(err, ErrUserExists) {
			t.Errorf("Add(%q) again: %v, want ErrUserExists", name, err)
		}
	}
	if _, u, err := s.Login(context.Background(), "kay", pw, "192.0.2.1"); err != nil || u.Role != RoleModerator {
		t.Errorf("the first kay was changed: %+v, %v", u, err)
	}
}

func TestPasswordRules(t *testing.T) {
	ctx := context.Background()
	s, store, _ := newTest(t)
	for _, tc := range []struct {
		password string
		want     error
	}{
		{"", ErrPasswordTooShort},
		{"123456789", ErrPasswordTooShort},
		{"ééééé", nil}, // 5 characters, 10 bytes
		{"1234567890", nil},
		{strings.Repeat("x", 72), nil},
		{strings.Repeat("x", 73), ErrPasswordTooLong},
		{strings.Repeat("é", 37), ErrPasswordTooLong}, // 37 characters, 74 bytes
	} {
		_, err := s.Add(ctx, "kay", RoleModerator, tc.password)
		if !errors.Is(err, tc.want) {
			t.Errorf("Add with a %d-byte password: %v, want %v", len(tc.password), err, tc.want)
		}
		if err != nil && tc.password != "" && strings.Contains(err.Error(), tc.password) {
			t.Errorf("error %q shows the password", err)
		}
		if err == nil {
			if err := s.SetPassword(ctx, "kay", tc.password); err != nil {
				t.Errorf("SetPassword with a %d-byte password: %v", len(tc.password), err)
			}
			delete(store.users, "kay")
		}
	}
	mustAdd(t, s, "kay", RoleModerator, pw)
	if err := s.SetPassword(ctx, "kay", "short"); !errors.Is(err, ErrPasswordTooShort) {
		t.Errorf("SetPassword short: %v", err)
	}
	if err := s.SetPassword(ctx, "nobody", otherPW); !errors.Is(err, ErrNoUser) {
		t.Errorf("SetPassword of nobody: %v, want ErrNoUser", err)
	}
}

func TestHashIsNotThePassword(t *testing.T) {
	s, store, _ := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	rec := store.users["kay"]
	if strings.Contains(string(rec.PasswordHash), pw) {
		t.Fatalf("stored hash %q contains the password", rec.PasswordHash)
	}
	if cost, err := bcrypt.Cost(rec.PasswordHash); err != nil || cost != bcrypt.MinCost {
		t.Errorf("hash cost = %d, %v; want %d", cost, err, bcrypt.MinCost)
	}
	if err := bcrypt.CompareHashAndPassword(rec.PasswordHash, []byte(pw)); err != nil {
		t.Errorf("stored hash does not match the password: %v", err)
	}
	// A second user with the same password gets a different salt.
	mustAdd(t, s, "dana", RoleAdmin, pw)
	if string(store.users["dana"].PasswordHash) == string(rec.PasswordHash) {
		t.Error("two users with one password have the same hash")
	}
}

func TestLoginAndAuthenticate(t *testing.T) {
	ctx := context.Background()
	s, store, _ := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	token, u, err := s.Login(ctx, "Kay", pw, "192.0.2.1")
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if want := (User{Name: "kay", Role: RoleAdmin, Created: t0}); u != want {
		t.Errorf("Login user = %+v, want %+v", u, want)
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != 32 {
		t.Errorf("token %q is not 32 bytes in base64url: %d bytes, %v", token, len(raw), err)
	}
	got, err := s.Authenticate(ctx, token)
	if err != nil || got != u {
		t.Errorf("Authenticate = %+v, %v; want %+v", got, err, u)
	}

	// Only the SHA-256 of the token is kept, with the user and times.
	sum := sha256.Sum256([]byte(token))
	sess, ok := store.sessions[string(sum[:])]
	if !ok || len(store.sessions) != 1 {
		t.Fatalf("sessions = %v, want one under the token's SHA-256", store.sessions)
	}
	if want := (Session{User: "kay", Created: t0, Expires: t0.Add(DefaultSessionTTL)}); sess != want {
		t.Errorf("session = %+v, want %+v", sess, want)
	}

	// Each login is a new session.
	token2 := mustLogin(t, s, "kay", pw, "192.0.2.1")
	if token2 == token || !authenticates(t, s, token) || !authenticates(t, s, token2) {
		t.Error("a second login did not make a second, separate session")
	}

	for _, bad := range []string{"", "x", token[:42], token + "A", strings.ToUpper(token), string(raw)} {
		if authenticates(t, s, bad) {
			t.Errorf("Authenticate(%q) succeeded", bad)
		}
	}
}

// The answer to a wrong password must not tell whether the user exists:
// same error, same bcrypt work.
func TestWrongPasswordAndUnknownUserLookAlike(t *testing.T) {
	s, _, _ := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	var compares atomic.Int32
	var costs []int
	s.compare = func(hash, password []byte) error {
		compares.Add(1)
		c, err := bcrypt.Cost(hash)
		if err != nil {
			t.Errorf("compared against an invalid hash: %v", err)
		}
		costs = append(costs, c)
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	attempts := []struct{ name, password string }{
		{"kay", "wrong password"},
		{"nobody", "wrong password"},
		{"nobody", pw},
		{"no body!", pw},                  // not even a valid name
		{"kay", strings.Repeat("x", 100)}, // longer than any password can be
	}
	for i, a := range attempts {
		before := compares.Load()
		_, _, err := s.Login(context.Background(), a.name, a.password, fmt.Sprintf("192.0.2.%d", i))
		if err != ErrBadCredentials {
			t.Errorf("Login(%q): %v, want exactly ErrBadCredentials", a.name, err)
		}
		if n := compares.Load() - before; n != 1 {
			t.Errorf("Login(%q) ran bcrypt %d times, want 1", a.name, n)
		}
	}
	for i, c := range costs {
		if c != bcrypt.MinCost {
			t.Errorf("attempt %d compared against a cost-%d hash, want the configured %d", i, c, bcrypt.MinCost)
		}
	}
}

func TestDummyHashMatchesDefaultCost(t *testing.T) {
	if c, err := bcrypt.Cost([]byte(dummyHash12)); err != nil || c != DefaultCost {
		t.Fatalf("dummy hash cost = %d, %v; want %d", c, err, DefaultCost)
	}
	s, err := NewService(newMemStore(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if string(s.dummyHash) != dummyHash12 || s.cost != DefaultCost || s.sessionTTL != 14*24*time.Hour {
		t.Errorf("default service: cost %d, ttl %v, dummy %q", s.cost, s.sessionTTL, s.dummyHash)
	}
	if _, err := NewService(newMemStore(), Options{Cost: bcrypt.MaxCost + 1}); err == nil {
		t.Error("NewService accepted a cost bcrypt refuses")
	}
}

// bcrypt reads only 72 bytes, so a longer password could match a hash of
// its first 72. Login must not let it.
func TestLoginRefusesWhatBcryptWouldTruncate(t *testing.T) {
	s, _, _ := newTest(t)
	long := strings.Repeat("x", MaxPasswordBytes)
	mustAdd(t, s, "kay", RoleAdmin, long)
	if _, _, err := s.Login(context.Background(), "kay", long+"tail", "192.0.2.1"); err != ErrBadCredentials {
		t.Errorf("Login with a 76-byte password: %v, want ErrBadCredentials", err)
	}
	mustLogin(t, s, "kay", long, "192.0.2.1")
}

func TestThrottlePerIP(t *testing.T) {
	ctx := context.Background()
	s, _, clk := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	mustAdd(t, s, "dana", RoleAdmin, pw)
	const ip = "198.51.100.7"
	// Five failures, against different names, spread over four minutes.
	for i := range DefaultMaxFailures {
		if _, _, err := s.Login(ctx, fmt.Sprintf("guess%d", i), "wrong password", ip); err != ErrBadCredentials {
			t.Fatalf("failure %d: %v", i, err)
		}
		clk.Add(time.Minute)
	}
	clk.Add(-time.Minute) // now 4 minutes after the first failure
	// Even the right password is not checked now.
	_, _, err := s.Login(ctx, "kay", pw, ip)
	var te *ThrottledError
	if !errors.As(err, &te) || !errors.Is(err, ErrThrottled) {
		t.Fatalf("sixth try: %v, want a *ThrottledError", err)
	}
	if te.RetryAfter != 11*time.Minute {
		t.Errorf("RetryAfter = %v, want 11m (until the first failure is 15 minutes old)", te.RetryAfter)
	}
	if !strings.Contains(err.Error(), "11m0s") {
		t.Errorf("error %q does not say when to retry", err)
	}
	// Another address is unaffected.
	mustLogin(t, s, "dana", pw, "198.51.100.8")

	clk.Add(11*time.Minute - 1)
	if _, _, err := s.Login(ctx, "kay", pw, ip); !errors.Is(err, ErrThrottled) {
		t.Errorf("a nanosecond early: %v, want throttled", err)
	} else if err.(*ThrottledError).RetryAfter != time.Second {
		t.Errorf("a nanosecond early: RetryAfter %v, want 1s (rounded up)", err.(*ThrottledError).RetryAfter)
	}
	clk.Add(1)
	mustLogin(t, s, "kay", pw, ip)
	// That success does not wipe the address's other failures: the second
	// one is still inside the window.
	if _, _, err := s.Login(ctx, "nobody", "wrong password", ip); err != ErrBadCredentials {
		t.Fatalf("another failure: %v", err)
	}
	if _, _, err := s.Login(ctx, "kay", pw, ip); !errors.Is(err, ErrThrottled) {
		t.Errorf("after a success and a new failure: %v, want still throttled", err)
	}
}

func TestThrottleGroupsIPv6By64(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	for i := range DefaultMaxFailures {
		s.Login(ctx, "nobody", "wrong password", fmt.Sprintf("2001:db8:1:2::%x", i+1))
	}
	if _, _, err := s.Login(ctx, "kay", pw, "2001:db8:1:2:ffff::1"); !errors.Is(err, ErrThrottled) {
		t.Errorf("same /64: %v, want throttled", err)
	}
	mustLogin(t, s, "kay", pw, "2001:db8:1:3::1")
}

func TestThrottlePerAccount(t *testing.T) {
	ctx := context.Background()
	s, _, clk := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	mustAdd(t, s, "dana", RoleAdmin, pw)
	fail := func(name string, n int, ipBase int) {
		t.Helper()
		for i := range n {
			ip := fmt.Sprintf("203.0.113.%d", ipBase+i)
			if _, _, err := s.Login(ctx, name, "wrong password", ip); err != ErrBadCredentials {
				t.Fatalf("failure %d against %s: %v", i, name, err)
			}
		}
	}
	// Failures from here and there do not stop the right password.
	fail("kay", 4, 0)
	mustLogin(t, s, "kay", pw, "203.0.113.100")
	fail("kay", 4, 10)
	mustLogin(t, s, "kay", pw, "203.0.113.101")
	// Nor does signing in wipe out the guesses: kay is over the limit, so
	// an address that failed once gets no second guess.
	if _, _, err := s.Login(ctx, "kay", "wrong password", "203.0.113.0"); !errors.Is(err, ErrThrottled) {
		t.Fatalf("a second guess from a failing address: %v, want throttled", err)
	}

	// Five failures from five addresses, against "KAY" in any case: those
	// addresses get no more tries at kay, even with the right password...
	fail("KAY", DefaultMaxFailures, 20)
	_, _, err := s.Login(ctx, "kay", pw, "203.0.113.20")
	var te *ThrottledError
	if !errors.As(err, &te) || te.RetryAfter != DefaultFailureWindow {
		t.Fatalf("after 5 failures against kay, from one of the failing addresses: %v, want throttled for 15m", err)
	}
	// ...but an address that has not been failing still gets its check.
	mustLogin(t, s, "kay", pw, "203.0.113.200")
	mustLogin(t, s, "dana", pw, "203.0.113.201")
	// An unknown name is throttled the same way, or throttling would tell
	// which names exist.
	fail("nobody", DefaultMaxFailures, 30)
	if _, _, err := s.Login(ctx, "nobody", pw, "203.0.113.30"); !errors.Is(err, ErrThrottled) {
		t.Errorf("after 5 failures against nobody: %v, want throttled", err)
	}
	if _, _, err := s.Login(ctx, "nobody", pw, "203.0.113.202"); err != ErrBadCredentials {
		t.Errorf("nobody from a fresh address: %v, want ErrBadCredentials", err)
	}

	clk.Add(DefaultFailureWindow)
	mustLogin(t, s, "kay", pw, "203.0.113.20")
}

// Issue 7 item 2: five wrong passwords against coach from five addresses
// locked the real admin out for 15 minutes, from anywhere. Now guessing is
// bounded per address group and across the site, and the account's limit
// only stops address groups that have been failing.
func TestStrangerCannotLockOutAnAccount(t *testing.T) {
	ctx := context.Background()
	s, _, clk := newTest(t)
	mustAdd(t, s, "coach", RoleAdmin, pw)
	for round := range 3 { // the attack repeats, window after window
		for i := range DefaultMaxFailures {
			ip := fmt.Sprintf("198.51.100.%d", round*10+i)
			if _, _, err := s.Login(ctx, "coach", "wrong password", ip); err != ErrBadCredentials {
				t.Fatalf("round %d, guess %d: %v", round, i, err)
			}
		}
		mustLogin(t, s, "coach", pw, fmt.Sprintf("192.0.2.%d", round))
		clk.Add(DefaultFailureWindow / 2)
	}
	// Each guesser spent its address: a second guess from it is refused
	// while coach is over the limit, and not checked.
	s.compare = func(hash, password []byte) error {
		t.Error("a password was checked for an address that has been failing")
		return bcrypt.ErrMismatchedHashAndPassword
	}
	for i := range DefaultMaxFailures {
		if _, _, err := s.Login(ctx, "coach", "another guess", fmt.Sprintf("198.51.100.%d", 20+i)); !errors.Is(err, ErrThrottled) {
			t.Errorf("second guess from 198.51.100.%d: %v, want throttled", 20+i, err)
		}
	}
}

// Issue 7 item 1: past 10,000 tracked addresses, a new address was not
// counted at all, so one IPv6 /48 (65,536 /64s) could switch the throttle
// off for everyone. A full table now forgets the oldest entry instead.
func TestThrottleStillLimitsWhenTheTableIsFull(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: t0}
	store := newMemStore()
	// A site budget big enough to let the table fill: this test is about
	// the table, and the site budget has its own.
	s, err := NewService(store, Options{Cost: bcrypt.MinCost, Now: clk.Now, SiteFailures: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, "coach", RoleAdmin, pw)
	real := s.compare
	s.compare = func([]byte, []byte) error { return bcrypt.ErrMismatchedHashAndPassword }
	// One wrong guess from each of maxTracked+100 /64s of one /48.
	for i := range maxTracked + 100 {
		ip := fmt.Sprintf("2001:db8:ab:%x::1", i)
		if _, _, err := s.Login(ctx, "coach", "wrong password", ip); err != ErrBadCredentials {
			t.Fatalf("guess %d from %s: %v", i, ip, err)
		}
	}
	if n := s.guard.addresses.len(); n > maxTracked {
		t.Fatalf("tracking %d address groups, over %d", n, maxTracked)
	}
	// A recent /64 of the flood is still limited against coach.
	if _, _, err := s.Login(ctx, "coach", pw, fmt.Sprintf("2001:db8:ab:%x::2", maxTracked+99)); !errors.Is(err, ErrThrottled) {
		t.Errorf("a /64 of the flood tried again: %v, want throttled", err)
	}
	// A new /64 is counted like any other: five failures, then no more.
	fresh := "2001:db8:ab:ffff::1"
	for i := range DefaultMaxFailures {
		if _, _, err := s.Login(ctx, fmt.Sprintf("guess%d", i), "wrong password", fresh); err != ErrBadCredentials {
			t.Fatalf("failure %d from a new /64: %v", i, err)
		}
	}
	if _, _, err := s.Login(ctx, "guess9", "wrong password", "2001:db8:ab:ffff::2"); !errors.Is(err, ErrThrottled) {
		t.Errorf("sixth try from a new /64 with the table full: %v, want throttled", err)
	}
	// And the real admin, from an address that has not been failing, still
	// signs in.
	s.compare = real
	mustLogin(t, s, "coach", pw, "192.0.2.1")
}

// The site's budget bounds the guesses a botnet's many addresses can make
// together. Past it, the addresses a user signed in from lately still get
// through; strangers (address groups with no failure in the window) get
// StrangerChecks a minute between them; an address that has failed gets
// nothing until the site or the address is under its limit again.
func TestSiteFailureBudget(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: t0}
	s, err := NewService(newMemStore(), Options{Cost: bcrypt.MinCost, Now: clk.Now, SiteFailures: 20, StrangerChecks: 2})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, "coach", RoleAdmin, pw)
	mustLogin(t, s, "coach", pw, "192.0.2.1") // coach's usual address
	for i := range 20 {
		if _, _, err := s.Login(ctx, "coach", "wrong password", fmt.Sprintf("198.51.100.%d", i)); err != ErrBadCredentials {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	// Two strangers a minute are still checked: a wrong password is wrong,
	// and coach on a new network signs in.
	if _, _, err := s.Login(ctx, "dana", "wrong password", "203.0.113.9"); err != ErrBadCredentials {
		t.Fatalf("a stranger past the budget: %v, want the password checked", err)
	}
	mustLogin(t, s, "coach", pw, "203.0.113.10")
	// The third stranger in the minute waits for the next check, seconds
	// rather than the window.
	_, _, err = s.Login(ctx, "coach", pw, "203.0.113.11")
	var te *ThrottledError
	if !errors.As(err, &te) || te.Busy || te.RetryAfter != 30*time.Second {
		t.Fatalf("a third stranger in the minute: %v, want throttled for 30s", err)
	}
	// An address that has failed gets no check while the site is over its
	// budget, not even a stranger's.
	if _, _, err := s.Login(ctx, "coach", pw, "198.51.100.3"); !errors.As(err, &te) || te.RetryAfter != DefaultFailureWindow {
		t.Errorf("a failing address past the budget: %v, want throttled for 15m", err)
	}
	// Where coach signed in from is known, and needs no stranger's turn.
	mustLogin(t, s, "coach", pw, "192.0.2.1")
	mustLogin(t, s, "coach", pw, "203.0.113.10")
	clk.Add(30 * time.Second)
	mustLogin(t, s, "coach", pw, "203.0.113.11")
	clk.Add(DefaultFailureWindow)
	mustLogin(t, s, "coach", pw, "198.51.100.3")
}

// Issue 7 item 2, past the site's budget: a flood from a whole IPv6 /48,
// one /64 at a time, costs a few password checks a minute, however many
// addresses it has.
func TestStrangerChecksAreBoundedPastTheBudget(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: t0}
	s, err := NewService(newMemStore(), Options{Cost: bcrypt.MinCost, Now: clk.Now, SiteFailures: 50})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, "coach", RoleAdmin, pw)
	var checks atomic.Int32
	s.compare = func(hash, password []byte) error {
		checks.Add(1)
		return bcrypt.ErrMismatchedHashAndPassword
	}
	for minute := range 3 {
		checks.Store(0)
		for i := range 1000 {
			s.Login(ctx, "coach", "wrong password", fmt.Sprintf("2001:db8:cd:%x::1", minute*1000+i))
		}
		want := int32(DefaultStrangerChecks)
		if minute == 0 {
			want += 50 // the budget itself
		}
		if n := checks.Load(); n != want {
			t.Errorf("minute %d: %d passwords checked for 1000 tries from new /64s, want %d", minute, n, want)
		}
		clk.Add(time.Minute)
	}
}

// Setting a password with a one-time link vouches for the address it was
// set from, as signing in does: the new user signs in from there even when
// the site is over its budget and strangers have used up their checks.
func TestPasswordLinkVouchesForItsAddress(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: t0}
	s, err := NewService(newMemStore(), Options{Cost: bcrypt.MinCost, Now: clk.Now, SiteFailures: 5, StrangerChecks: 1})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, "coach", RoleAdmin, pw)
	_, link, err := s.AddWithLink(ctx, "coach", "sam", RoleModerator)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 { // the budget, then the stranger's check of the minute
		if _, _, err := s.Login(ctx, "coach", "wrong password", fmt.Sprintf("198.51.100.%d", i)); err != ErrBadCredentials {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if _, err := s.SetPasswordWithToken(ctx, link.Token, otherPW, "2001:db8:5:6::1"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Login(ctx, "sam", otherPW, "2001:db8:5:7::1"); !errors.Is(err, ErrThrottled) {
		t.Errorf("sam from another /64 with no stranger check left: %v, want throttled", err)
	}
	mustLogin(t, s, "sam", otherPW, "2001:db8:5:6::99") // the same /64
	// Only for that account.
	if _, _, err := s.Login(ctx, "coach", pw, "2001:db8:5:6::1"); !errors.Is(err, ErrThrottled) {
		t.Errorf("coach from sam's address: %v, want throttled", err)
	}
}

// bcrypt work is capped: at most CheckSlots checks run at once, and a login
// that cannot get a slot in time is told to come back, with nothing
// counted against it.
func TestPasswordChecksAreCapped(t *testing.T) {
	ctx := context.Background()
	s, err := NewService(newMemStore(), Options{Cost: bcrypt.MinCost, CheckSlots: 2, CheckWait: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, "coach", RoleAdmin, pw)
	var running, most atomic.Int32
	entered, release := make(chan struct{}), make(chan struct{})
	s.compare = func(hash, password []byte) error {
		n := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		entered <- struct{}{}
		<-release
		return bcrypt.CompareHashAndPassword(hash, password)
	}
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { s.Login(ctx, "coach", "wrong password", fmt.Sprintf("198.51.100.%d", i)) })
		<-entered
	}
	_, _, err = s.Login(ctx, "coach", pw, "192.0.2.1")
	var te *ThrottledError
	if !errors.As(err, &te) || !te.Busy || te.RetryAfter != time.Second {
		t.Errorf("a third login while two checks run: %v, want busy, retry in 1s", err)
	}
	close(release)
	wg.Wait()
	if most.Load() != 2 {
		t.Errorf("%d checks ran at once, want 2", most.Load())
	}
	s.compare = bcrypt.CompareHashAndPassword
	// The refused login cost its address nothing.
	for range DefaultMaxFailures - 1 {
		s.Login(ctx, "nobody", "wrong password", "192.0.2.1")
	}
	mustLogin(t, s, "coach", pw, "192.0.2.1")
}

// Guesses sent all at once from one address must not all be checked
// before the first failures are counted.
func TestThrottleHoldsUnderConcurrency(t *testing.T) {
	s, _, _ := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	var wg sync.WaitGroup
	var bad, throttled atomic.Int32
	for range 20 {
		wg.Go(func() {
			_, _, err := s.Login(context.Background(), "kay", "wrong password", "203.0.113.7")
			switch {
			case err == ErrBadCredentials:
				bad.Add(1)
			case errors.Is(err, ErrThrottled):
				throttled.Add(1)
			default:
				t.Errorf("Login: %v", err)
			}
		})
	}
	wg.Wait()
	if bad.Load() != DefaultMaxFailures || throttled.Load() != 20-DefaultMaxFailures {
		t.Errorf("%d checked and %d throttled, want %d and %d",
			bad.Load(), throttled.Load(), DefaultMaxFailures, 20-DefaultMaxFailures)
	}
}

func TestThrottleOptions(t *testing.T) {
	clk := &clock{t: t0}
	s, err := NewService(newMemStore(), Options{Cost: bcrypt.MinCost, Now: clk.Now, MaxFailures: 2, FailureWindow: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		s.Login(context.Background(), "kay", "wrong password", "192.0.2.1")
	}
	_, _, err = s.Login(context.Background(), "kay", "wrong password", "192.0.2.1")
	if te, ok := err.(*ThrottledError); !ok || te.RetryAfter != time.Minute {
		t.Errorf("third try with MaxFailures 2: %v, want throttled for 1m", err)
	}
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	g := newGuard(guardLimits{perAddress: DefaultMaxFailures, perAccount: DefaultMaxFailures,
		perSite: 1 << 20, window: DefaultFailureWindow})
	now := t0
	for i := range maxTracked + 500 {
		g.begin(fmt.Sprintf("ip%d", i), fmt.Sprintf("name%d", i), now)
	}
	if g.addresses.len() > maxTracked || g.accounts.len() > maxTracked {
		t.Fatalf("tracking %d addresses and %d accounts, over %d", g.addresses.len(), g.accounts.len(), maxTracked)
	}
	// The newest keys are tracked, and limited, with the table full.
	last := fmt.Sprintf("ip%d", maxTracked+499)
	for range DefaultMaxFailures - 1 {
		if g.begin(last, "", now) != 0 {
			t.Fatal("refused before the limit")
		}
	}
	if g.begin(last, "", now) == 0 {
		t.Errorf("%s was not limited while the table was full", last)
	}
	// Once the failures age out, the tables empty.
	now = now.Add(DefaultFailureWindow)
	g.begin("late", "late", now)
	if g.addresses.len() != 1 || g.accounts.len() != 1 || len(g.siteFails) != 1 {
		t.Errorf("after the window: %d addresses, %d accounts and %d site failures tracked, want 1, 1 and 1",
			g.addresses.len(), g.accounts.len(), len(g.siteFails))
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.1":              "192.0.2.1/32",
		"::ffff:192.0.2.1":       "192.0.2.1/32",
		"2001:db8:1:2:3:4:5:6":   "2001:db8:1:2::/64",
		"2001:db8:1:2::1%eth0":   "2001:db8:1:2::/64",
		"":                       "",
		"not an address":         "not an address",
		strings.Repeat("z", 100): strings.Repeat("z", maxAddressKey),
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSessionExpiry(t *testing.T) {
	ctx := context.Background()
	store, clk := newMemStore(), &clock{t: t0}
	s, err := NewService(store, Options{Cost: bcrypt.MinCost, Now: clk.Now, SessionTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if s.SessionTTL() != time.Hour {
		t.Errorf("SessionTTL() = %v", s.SessionTTL())
	}
	mustAdd(t, s, "kay", RoleAdmin, pw)
	token := mustLogin(t, s, "kay", pw, "192.0.2.1")
	clk.Add(time.Hour - time.Second)
	if !authenticates(t, s, token) {
		t.Fatal("session dead before its hour was up")
	}
	clk.Add(time.Second)
	if authenticates(t, s, token) {
		t.Fatal("session alive after its hour")
	}
	// The dead session is still stored until pruned.
	if n, err := s.PruneSessions(ctx); err != nil || n != 1 || store.sessionCount("") != 0 {
		t.Errorf("PruneSessions = %d, %v; %d left", n, err, store.sessionCount(""))
	}
}

func TestLoginPrunesHourly(t *testing.T) {
	store, clk := newMemStore(), &clock{t: t0}
	s, err := NewService(store, Options{Cost: bcrypt.MinCost, Now: clk.Now, SessionTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	mustAdd(t, s, "kay", RoleAdmin, pw)
	mustLogin(t, s, "kay", pw, "192.0.2.1")
	clk.Add(30 * time.Minute)
	mustLogin(t, s, "kay", pw, "192.0.2.1")
	if n := store.sessionCount("kay"); n != 2 {
		t.Errorf("%d sessions; a login within the hour should not have pruned", n)
	}
	clk.Add(30 * time.Minute)
	mustLogin(t, s, "kay", pw, "192.0.2.1")
	if n := store.sessionCount("kay"); n != 1 {
		t.Errorf("%d sessions; the login an hour on should have pruned the two expired", n)
	}
}

func TestLogout(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	a := mustLogin(t, s, "kay", pw, "192.0.2.1")
	b := mustLogin(t, s, "kay", pw, "192.0.2.1")
	if err := s.Logout(ctx, a); err != nil {
		t.Fatal(err)
	}
	if authenticates(t, s, a) || !authenticates(t, s, b) {
		t.Error("Logout should end its own session and only that")
	}
	for _, token := range []string{a, "", "junk", strings.Repeat("A", 43)} {
		if err := s.Logout(ctx, token); err != nil {
			t.Errorf("Logout(%q): %v", token, err)
		}
	}
}

func TestSetPasswordEndsSessions(t *testing.T) {
	ctx := context.Background()
	s, _, _ := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	mustAdd(t, s, "dana", RoleModerator, pw)
	kay1 := mustLogin(t, s, "kay", pw, "192.0.2.1")
	kay2 := mustLogin(t, s, "kay", pw, "192.0.2.2")
	dana := mustLogin(t, s, "dana", pw, "192.0.2.3")
	if err := s.SetPassword(ctx, "Kay", otherPW); err != nil {
		t.Fatal(err)
	}
	if authenticates(t, s, kay1) || authenticates(t, s, kay2) {
		t.Error("kay's sessions survived the new password")
	}
	if !authenticates(t, s, dana) {
		t.Error("dana's session ended with kay's password change")
	}
	if _, _, err := s.Login(ctx, "kay", pw, "192.0.2.4"); err != ErrBadCredentials {
		t.Errorf("old password: %v", err)
	}
	mustLogin(t, s, "kay", otherPW, "192.0.2.4")
}

func TestRemoveEndsSessions(t *testing.T) {
	ctx := context.Background()
	s, store, _ := newTest(t)
	mustAdd(t, s, "kay", RoleAdmin, pw)
	mustAdd(t, s, "dana", RoleAdmin, pw)
	kay := mustLogin(t, s, "kay", pw, "192.0.2.1")
	dana := mustLogin(t, s, "dana", pw, "192.0.2.2")
	if err := s.Remove(ctx, "kay"); err != nil {
		t.Fatal(err)
	}
	if authenticates(t, s, kay) || store.sessionCount("kay") != 0 {
		t.Error("kay's session survived the removal")
	}
	if !authenticates(t, s, dana) {
		t.Error("dana's session ended with kay's removal")
	}
	if _, _, err := s.Login(ctx, "kay", pw, "192.0.2.1"); err != ErrBadCredentials {
		t.Errorf("removed user's login: %v", err)
	}
	// Even a session a store failed to delete is dead without its user.
	dana2 := mustLogin(t, s, "dana", pw, "192.0.2.2")
	delete(store.users, "dana")
	if authenticates(t, s, dana2) {
		t.Error("a session of a user who is gone still authenticates")
	}
}

// A login checked against the old password must not start a session once
// the password has changed, nor once the user is gone.
func TestLoginRacingAChange(t *testing.T) {
	for _, change := range []func(s *Service) error{
		func(s *Service) error { return s.SetPassword(context.Background(), "kay", otherPW) },
		func(s *Service) error { return s.Remove(context.Background(), "kay") },
	} {
		s, store, _ := newTest(t)
		mustAdd(t, s, "kay", RoleAdmin, pw)
		mustAdd(t, s, "lee", RoleAdmin, pw)
		s.compare = func(hash, password []byte) error {
			err := bcrypt.CompareHashAndPassword(hash, password)
			if cerr := change(s); cerr != nil {
				t.Errorf("change during login: %v", cerr)
			}
			return err
		}
		if _, _, err := s.Login(context.Background(), "kay", pw, "192.0.2.1"); err != ErrBadCredentials {
			t.Errorf("login racing a change: %v, want ErrBadCredentials", err)
		}
		if n := store.sessionCount(""); n != 0 {
			t.Errorf("%d sessions left behind", n)
		}
	}
}

func TestCancelledContext(t *testing.T) {
	s, _, _ := newTest(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Login(ctx, "kay", pw, "192.0.2.1"); !errors.Is(err, context.Canceled) {
		t.Errorf("Login with a cancelled context: %v", err)
	}
}
