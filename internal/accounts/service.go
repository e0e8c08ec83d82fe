package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
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
)

// Options tune a Service; a zero field means its default.
type Options struct {
	// Cost is the bcrypt cost of new hashes. Tests use bcrypt.MinCost.
	Cost int
	// SessionTTL is how long a session lasts from its login.
	SessionTTL time.Duration
	// After MaxFailures failed logins within FailureWindow from one address,
	// or against one account, Login refuses to check more until the oldest
	// of them leaves the window.
	MaxFailures   int
	FailureWindow time.Duration
	// Now is the clock.
	Now func() time.Time
}

// tokenBytes is the size of a session token before encoding.
const tokenBytes = 32

var tokenChars = base64.RawURLEncoding.EncodedLen(tokenBytes)

// pruneEvery is how often Login also deletes expired sessions.
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
	now        func() time.Time
	guard      *guard
	dummyHash  []byte
	// compare is bcrypt.CompareHashAndPassword; tests count its calls.
	compare func(hash, password []byte) error

	mu        sync.Mutex
	lastPrune time.Time
}

// NewService returns a Service over store. It fails only for a Cost bcrypt
// does not accept.
func NewService(store Store, opts Options) (*Service, error) {
	s := &Service{
		store:      store,
		cost:       orDefault(opts.Cost, DefaultCost),
		sessionTTL: orDefault(opts.SessionTTL, DefaultSessionTTL),
		now:        opts.Now,
		guard: newGuard(orDefault(opts.MaxFailures, DefaultMaxFailures),
			orDefault(opts.FailureWindow, DefaultFailureWindow)),
		compare: bcrypt.CompareHashAndPassword,
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
	hash, err := s.hash(password)
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
	hash, err := s.hash(password)
	if err != nil {
		return fmt.Errorf("setting password of %s: %w", norm, err)
	}
	if err := s.store.SetPasswordHash(ctx, norm, hash); err != nil {
		return fmt.Errorf("setting password of %s: %w", norm, err)
	}
	return nil
}

// Remove deletes a user and ends all their sessions.
func (s *Service) Remove(ctx context.Context, name string) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return fmt.Errorf("removing user: %w", err)
	}
	if err := s.store.DeleteUser(ctx, norm); err != nil {
		return fmt.Errorf("removing user %s: %w", norm, err)
	}
	return nil
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
// both give ErrBadCredentials, after the same bcrypt work. After too many
// failures from ip, or against the account, it returns a *ThrottledError
// without checking anything; a successful login clears the account's
// failures (not the address's). ip is the client's address; IPv6 addresses
// count per /64.
func (s *Service) Login(ctx context.Context, name, password, ip string) (string, User, error) {
	if err := ctx.Err(); err != nil {
		return "", User{}, err
	}
	now := s.now()
	ipk := ipKey(ip)
	norm, nameErr := NormalizeName(name)
	if wait := s.guard.begin(ipk, norm, now); wait > 0 {
		return "", User{}, &ThrottledError{RetryAfter: wait}
	}

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
	// A password bcrypt would truncate could match one it was never set to.
	err := s.compare(hash, []byte(password))
	switch {
	case !found || len(password) > MaxPasswordBytes || errors.Is(err, bcrypt.ErrMismatchedHashAndPassword):
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
	case errors.Is(err, ErrNoUser) || errors.Is(err, ErrPasswordChanged):
		// Removed, or given a new password, while this login was checked.
		return "", User{}, ErrBadCredentials
	case err != nil:
		return "", User{}, fmt.Errorf("logging in %s: %w", norm, err)
	}
	s.guard.succeeded(ipk, norm, now)
	return token, rec.User, nil
}

// Authenticate returns the user a session token belongs to, or
// ErrNoSession when it is unknown, expired, or its user has been removed.
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
// too, at most once an hour, so calling it is never required.
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
	return nil
}

func (s *Service) hash(password string) ([]byte, error) {
	if err := checkPassword(password); err != nil {
		return nil, err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cost)
	if err != nil {
		return nil, fmt.Errorf("hashing password: %w", err)
	}
	return h, nil
}

// newToken returns a new session token and the key it is stored under.
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
