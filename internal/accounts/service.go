package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Defaults for the zero Options.
const (
	DefaultCost          = 12
	DefaultSessionTTL    = 14 * 24 * time.Hour
	DefaultMaxFailures   = 5
	DefaultFailureWindow = 15 * time.Minute
	// DefaultSiteFailures is the whole site's budget of failed logins per
	// FailureWindow: at the default cost, about a sixth of one core spent on
	// wrong passwords at most.
	DefaultSiteFailures = 600
	// DefaultStrangerChecks is how many passwords a minute, across the
	// site, are checked past SiteFailures for address groups with no
	// failure in the window: at the default cost, a fortieth of a core.
	DefaultStrangerChecks = 6
	// DefaultCheckWait is how long a login waits for a free password check
	// slot before it is told to come back later.
	DefaultCheckWait = 2 * time.Second
)

// Options tune a Service; a zero field means its default.
type Options struct {
	// Cost is the bcrypt cost of new hashes. Tests use bcrypt.MinCost.
	Cost int
	// SessionTTL is how long a session lasts from its login.
	SessionTTL time.Duration
	// After MaxFailures failed logins within FailureWindow from one address
	// group, Login refuses to check more from it until the oldest of them
	// leaves the window. After as many against one account, only address
	// groups with no failure in the window (or that signed in to it lately)
	// get a check. After SiteFailures across the site, address groups that
	// signed in to the account lately (or set its password with a one-time
	// link) still get a check, and address groups with no failure in the
	// window get StrangerChecks a minute between them.
	MaxFailures    int
	FailureWindow  time.Duration
	SiteFailures   int
	StrangerChecks int
	// CheckSlots is how many bcrypt computations may run at once (default
	// runtime.NumCPU()); a login waits at most CheckWait for a slot.
	CheckSlots int
	CheckWait  time.Duration
	// TokenTTL is how long a one-time set-password link works.
	TokenTTL time.Duration
	// InviteTTL is how long an invite works (default DefaultInviteTTL).
	InviteTTL time.Duration
	// Now is the clock.
	Now func() time.Time
}

// tokenBytes is the size of a session or one-time token before encoding.
const tokenBytes = 32

var tokenChars = base64.RawURLEncoding.EncodedLen(tokenBytes)

// pruneEvery is how often Login also deletes expired sessions and tokens.
const pruneEvery = time.Hour

// dummyHash12 is a cost-12 bcrypt hash of random bytes nobody kept. Login
// checks the password against it when there is no such user, so that an
// unknown name costs as much time as a wrong password.
const dummyHash12 = "$2a$12$RPDJC2oIvEemBVBRW1QkeeUE0OjJ48TX5LEBlu4At./7wzoaBOqb6"

// Service is what the admin pages and the CLI call to manage users and
// sessions. It is safe for concurrent use.
type Service struct {
	store      Store
	cost       int
	sessionTTL time.Duration
	tokenTTL   time.Duration
	inviteTTL  time.Duration
	now        func() time.Time
	guard      *guard
	dummyHash  []byte
	// checks holds a token for each bcrypt computation running; checkWait
	// bounds how long a login waits for one.
	checks    chan struct{}
	checkWait time.Duration
	// compare is bcrypt.CompareHashAndPassword; tests count its calls.
	compare func(hash, password []byte) error

	mu        sync.Mutex
	lastPrune time.Time
}

// NewService returns a Service over store. It fails only for a Cost bcrypt
// does not accept.
func NewService(store Store, opts Options) (*Service, error) {
	maxFailures := orDefault(opts.MaxFailures, DefaultMaxFailures)
	s := &Service{
		store:      store,
		cost:       orDefault(opts.Cost, DefaultCost),
		sessionTTL: orDefault(opts.SessionTTL, DefaultSessionTTL),
		tokenTTL:   orDefault(opts.TokenTTL, DefaultTokenTTL),
		inviteTTL:  orDefault(opts.InviteTTL, DefaultInviteTTL),
		now:        opts.Now,
		guard: newGuard(guardLimits{
			perAddress:         maxFailures,
			perAccount:         maxFailures,
			perSite:            orDefault(opts.SiteFailures, DefaultSiteFailures),
			window:             orDefault(opts.FailureWindow, DefaultFailureWindow),
			strangersPerMinute: orDefault(opts.StrangerChecks, DefaultStrangerChecks),
		}),
		checks:    make(chan struct{}, orDefault(opts.CheckSlots, runtime.NumCPU())),
		checkWait: orDefault(opts.CheckWait, DefaultCheckWait),
		compare:   bcrypt.CompareHashAndPassword,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.cost < bcrypt.MinCost || s.cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt cost %d is outside %d–%d", s.cost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	if s.cost == DefaultCost {
		s.dummyHash = []byte(dummyHash12)
	} else {
		// The dummy must cost what a real hash costs. Making one at the
		// default cost would take a quarter second at every start.
		secret := make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, fmt.Errorf("making the dummy hash: %w", err)
		}
		h, err := bcrypt.GenerateFromPassword(secret, s.cost)
		if err != nil {
			return nil, fmt.Errorf("making the dummy hash: %w", err)
		}
		s.dummyHash = h
	}
	return s, nil
}

// orDefault returns v, or def when v is zero or less.
func orDefault[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// SessionTTL is how long a new session lasts: the cookie's Max-Age.
func (s *Service) SessionTTL() time.Duration { return s.sessionTTL }

// Add creates a user. The name is stored lowercased, and must not be taken
// in any case (ErrUserExists).
func (s *Service) Add(ctx context.Context, name string, role Role, password string) (User, error) {
	norm, err := NormalizeName(name)
	if err != nil {
		return User{}, fmt.Errorf("adding user: %w", err)
	}
	if !role.Valid() {
		return User{}, fmt.Errorf("adding user %s: %w: %q", norm, ErrBadRole, role)
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return User{}, fmt.Errorf("adding user %s: %w", norm, err)
	}
	u := User{Name: norm, Role: role, Created: s.now().UTC()}
	if err := s.store.AddUser(ctx, UserRecord{User: u, PasswordHash: hash}); err != nil {
		return User{}, fmt.Errorf("adding user %s: %w", norm, err)
	}
	return u, nil
}

// SetPassword changes a user's password and ends all their sessions.
func (s *Service) SetPassword(ctx context.Context, name, password string) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return fmt.Errorf("setting password: %w", err)
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return fmt.Errorf("setting password of %s: %w", norm, err)
	}
	if err := s.store.SetPasswordHash(ctx, norm, hash); err != nil {
		return fmt.Errorf("setting password of %s: %w", norm, err)
	}
	return nil
}

// Remove deletes a user and ends all their sessions. It refuses to remove
// the last enabled admin (ErrLastAdmin).
func (s *Service) Remove(ctx context.Context, name string) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return fmt.Errorf("removing user: %w", err)
	}
	if err := s.store.DeleteUser(ctx, norm, keepsAnAdmin(norm, "")); err != nil {
		return fmt.Errorf("removing user %s: %w", norm, err)
	}
	return nil
}

// SetRole gives a user another role. It refuses to make the last enabled
// admin anything else (ErrLastAdmin). Their sessions go on, with the new role.
func (s *Service) SetRole(ctx context.Context, name string, role Role) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return fmt.Errorf("changing role: %w", err)
	}
	if !role.Valid() {
		return fmt.Errorf("changing the role of %s: %w: %q", norm, ErrBadRole, role)
	}
	if err := s.store.SetRole(ctx, norm, role, keepsAnAdmin(norm, role)); err != nil {
		return fmt.Errorf("changing the role of %s: %w", norm, err)
	}
	return nil
}

// EndSessions signs a user out everywhere, and says how many sessions
// ended.
func (s *Service) EndSessions(ctx context.Context, name string) (int, error) {
	norm, err := NormalizeName(name)
	if err != nil {
		return 0, fmt.Errorf("ending sessions: %w", err)
	}
	if _, err := s.store.GetUser(ctx, norm); err != nil {
		return 0, fmt.Errorf("ending the sessions of %s: %w", norm, err)
	}
	n, err := s.store.DeleteSessionsOf(ctx, norm)
	if err != nil {
		return 0, fmt.Errorf("ending the sessions of %s: %w", norm, err)
	}
	return n, nil
}

// Disable refuses a user's sign-ins from now on and ends their sessions
// and one-time links at once, until Enable. It refuses to disable the last
// enabled admin (ErrLastAdmin). Disabling a disabled user changes nothing.
func (s *Service) Disable(ctx context.Context, name string) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return fmt.Errorf("disabling user: %w", err)
	}
	if err := s.store.SetDisabled(ctx, norm, true, keepsAnAdmin(norm, "")); err != nil {
		return fmt.Errorf("disabling user %s: %w", norm, err)
	}
	return nil
}

// Enable lets a disabled user sign in again, with the password they had.
func (s *Service) Enable(ctx context.Context, name string) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return fmt.Errorf("enabling user: %w", err)
	}
	if err := s.store.SetDisabled(ctx, norm, false, nil); err != nil {
		return fmt.Errorf("enabling user %s: %w", norm, err)
	}
	return nil
}

// keepsAnAdmin is the rule that the site always has an enabled admin, for
// a change that leaves user name an enabled user with role (removes or
// disables them when role is ""): given every user as they are before the
// change, it refuses the change with ErrLastAdmin if name is the only
// enabled admin and would not be one after it. A site with no enabled
// admin at all (one made before this rule) may still change.
func keepsAnAdmin(name string, role Role) func(all []User) error {
	return func(all []User) error {
		if role == RoleAdmin {
			return nil
		}
		isAdmin := false
		for _, u := range all {
			switch {
			case u.Role != RoleAdmin || u.Disabled:
			case u.Name == name:
				isAdmin = true
			default:
				return nil // another admin remains
			}
		}
		if isAdmin {
			return ErrLastAdmin
		}
		return nil
	}
}

// List returns every user, by name.
func (s *Service) List(ctx context.Context) ([]User, error) {
	us, err := s.store.ListUsers(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return us, nil
}

// Login checks a name and password and starts a session, returning its
// token: the only copy there will be. A wrong password and an unknown name
// both give ErrBadCredentials, after the same bcrypt work. ip is the
// client's address; failures are counted per address group (an IPv6 /64
// is one), per account and across the site, and when the guard's rules
// (see guard) refuse a check, Login returns a *ThrottledError without
// checking anything. At most CheckSlots passwords are checked at once; a
// login that waits CheckWait for a slot in vain gets a *ThrottledError
// with Busy set.
func (s *Service) Login(ctx context.Context, name, password, ip string) (string, User, error) {
	if err := ctx.Err(); err != nil {
		return "", User{}, err
	}
	now := s.now()
	addr := addressKey(ip)
	norm, nameErr := NormalizeName(name)
	if wait := s.guard.begin(addr, norm, now); wait > 0 {
		return "", User{}, &ThrottledError{RetryAfter: wait}
	}
	checked := false
	defer func() {
		if !checked {
			s.guard.cancelled(addr, norm, now)
		}
	}()

	var rec UserRecord
	found := false
	if nameErr == nil {
		var err error
		rec, err = s.store.GetUser(ctx, norm)
		switch {
		case err == nil:
			found = true
		case !errors.Is(err, ErrNoUser):
			return "", User{}, fmt.Errorf("logging in %s: %w", norm, err)
		}
	}
	hash := s.dummyHash
	if found {
		hash = rec.PasswordHash
	}
	wait, cancel := context.WithTimeout(ctx, s.checkWait)
	release, err := s.acquire(wait)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return "", User{}, ctx.Err()
		}
		return "", User{}, &ThrottledError{RetryAfter: time.Second, Busy: true}
	}
	err = s.compare(hash, []byte(password))
	release()
	checked = true
	// A password bcrypt would truncate could match one it was never set to.
	// A disabled account gets a wrong password's answer, after the same
	// work, and it counts as a failure.
	switch {
	case !found || rec.Disabled || len(password) > MaxPasswordBytes || errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
		return "", User{}, ErrBadCredentials
	case err != nil:
		return "", User{}, fmt.Errorf("logging in %s: checking password: %w", norm, err)
	}

	if err := s.maybePrune(ctx, now); err != nil {
		return "", User{}, fmt.Errorf("logging in %s: %w", norm, err)
	}
	token, key, err := newToken()
	if err != nil {
		return "", User{}, fmt.Errorf("logging in %s: %w", norm, err)
	}
	sess := Session{User: norm, Created: now.UTC(), Expires: now.Add(s.sessionTTL).UTC()}
	err = s.store.PutSession(ctx, key, sess, rec.PasswordHash)
	switch {
	case errors.Is(err, ErrNoUser) || errors.Is(err, ErrPasswordChanged) || errors.Is(err, ErrDisabled):
		// Removed, disabled or given a new password while this login was
		// checked.
		return "", User{}, ErrBadCredentials
	case err != nil:
		return "", User{}, fmt.Errorf("logging in %s: %w", norm, err)
	}
	s.guard.succeeded(addr, norm, now)
	return token, rec.User, nil
}

// acquire takes a bcrypt slot, waiting until ctx ends at most, and returns
// the function that frees it.
func (s *Service) acquire(ctx context.Context) (func(), error) {
	select {
	case s.checks <- struct{}{}:
		return func() { <-s.checks }, nil
	default:
	}
	select {
	case s.checks <- struct{}{}:
		return func() { <-s.checks }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Authenticate returns the user a session token belongs to, or
// ErrNoSession when it is unknown, expired, or its user has been removed
// or disabled (disabling deletes the sessions too; this is the second
// lock).
func (s *Service) Authenticate(ctx context.Context, token string) (User, error) {
	if len(token) != tokenChars {
		return User{}, ErrNoSession
	}
	sess, err := s.store.GetSession(ctx, tokenKey(token))
	switch {
	case errors.Is(err, ErrNoSession):
		return User{}, ErrNoSession
	case err != nil:
		return User{}, fmt.Errorf("authenticating: %w", err)
	}
	if !s.now().Before(sess.Expires) {
		return User{}, ErrNoSession
	}
	rec, err := s.store.GetUser(ctx, sess.User)
	switch {
	case errors.Is(err, ErrNoUser):
		return User{}, ErrNoSession
	case err != nil:
		return User{}, fmt.Errorf("authenticating: %w", err)
	}
	if rec.Disabled {
		return User{}, ErrNoSession
	}
	return rec.User, nil
}

// Logout ends the session of token; an unknown token is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if len(token) != tokenChars {
		return nil
	}
	if err := s.store.DeleteSession(ctx, tokenKey(token)); err != nil {
		return fmt.Errorf("logging out: %w", err)
	}
	return nil
}

// PruneSessions deletes expired sessions and says how many. Login does it
// too (and deletes expired one-time tokens), at most once an hour, so
// calling it is never required.
func (s *Service) PruneSessions(ctx context.Context) (int, error) {
	n, err := s.store.DeleteExpiredSessions(ctx, s.now())
	if err != nil {
		return n, fmt.Errorf("deleting expired sessions: %w", err)
	}
	return n, nil
}

func (s *Service) maybePrune(ctx context.Context, now time.Time) error {
	s.mu.Lock()
	due := now.Sub(s.lastPrune) >= pruneEvery || now.Before(s.lastPrune)
	if due {
		s.lastPrune = now
	}
	s.mu.Unlock()
	if !due {
		return nil
	}
	if _, err := s.store.DeleteExpiredSessions(ctx, now); err != nil {
		return fmt.Errorf("deleting expired sessions: %w", err)
	}
	if _, err := s.store.DeleteExpiredTokens(ctx, now); err != nil {
		return fmt.Errorf("deleting expired one-time tokens: %w", err)
	}
	return nil
}

// hash checks a new password against the rules and hashes it.
func (s *Service) hash(ctx context.Context, password string) ([]byte, error) {
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	return s.hashBytes(ctx, []byte(password))
}

// hashBytes hashes in one of the bcrypt slots, waiting for one as long as
// ctx lets it: only admins and holders of a one-time token get here.
func (s *Service) hashBytes(ctx context.Context, password []byte) ([]byte, error) {
	release, err := s.acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("hashing password: %w", err)
	}
	defer release()
	h, err := bcrypt.GenerateFromPassword(password, s.cost)
	if err != nil {
		return nil, fmt.Errorf("hashing password: %w", err)
	}
	return h, nil
}

// newToken returns a new session or one-time token and the key it is
// stored under.
func newToken() (string, []byte, error) {
	b := make([]byte, tokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("making a session token: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	return token, tokenKey(token), nil
}

// tokenKey is the SHA-256 of a token: all the server keeps of it.
func tokenKey(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}
