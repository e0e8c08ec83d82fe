package accounts

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// memStore is an in-memory Store for the Service tests. The real store lives
// in internal/bolt, which imports this package, so these tests cannot use it;
// internal/bolt runs the same kinds of test against the real one.
type memStore struct {
	mu       sync.Mutex
	users    map[string]UserRecord
	sessions map[string]Session      // by string(key)
	tokens   map[string]OneTimeToken // by string(key)
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{users: map[string]UserRecord{}, sessions: map[string]Session{}, tokens: map[string]OneTimeToken{}}
}

func (m *memStore) AddUser(ctx context.Context, u UserRecord) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[u.Name]; ok {
		return ErrUserExists
	}
	u.PasswordHash = bytes.Clone(u.PasswordHash)
	m.users[u.Name] = u
	return nil
}

func (m *memStore) AddUserWithToken(ctx context.Context, u UserRecord, key []byte, t OneTimeToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[u.Name]; ok {
		return ErrUserExists
	}
	u.PasswordHash = bytes.Clone(u.PasswordHash)
	m.users[u.Name] = u
	m.tokens[string(key)] = t
	return nil
}

func (m *memStore) GetUser(ctx context.Context, name string) (UserRecord, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return UserRecord{}, ErrNoUser
	}
	return u, nil
}

func (m *memStore) ListUsers(ctx context.Context) ([]User, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.all(), nil
}

func (m *memStore) SetPasswordHash(ctx context.Context, name string, hash []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return ErrNoUser
	}
	u.PasswordHash = bytes.Clone(hash)
	m.users[name] = u
	m.deleteSessionsOf(name)
	m.deleteTokensOf(name, "")
	return nil
}

func (m *memStore) all() []User {
	var out []User
	for _, u := range m.users {
		out = append(out, u.User)
	}
	slices.SortFunc(out, func(a, b User) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func (m *memStore) SetRole(ctx context.Context, name string, role Role, check func([]User) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return ErrNoUser
	}
	if err := check(m.all()); err != nil {
		return err
	}
	u.Role = role
	m.users[name] = u
	return nil
}

func (m *memStore) DeleteUser(ctx context.Context, name string, check func([]User) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[name]; !ok {
		return ErrNoUser
	}
	if err := check(m.all()); err != nil {
		return err
	}
	delete(m.users, name)
	m.deleteSessionsOf(name)
	m.deleteTokensOf(name, "")
	return nil
}

// deleteTokensOf deletes a user's tokens of purpose, or of every purpose
// for "".
func (m *memStore) deleteTokensOf(name string, purpose Purpose) {
	for k, t := range m.tokens {
		if t.User == name && (purpose == "" || t.Purpose == purpose) {
			delete(m.tokens, k)
		}
	}
}

func (m *memStore) PutToken(ctx context.Context, key []byte, t OneTimeToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.users[t.User]; !ok {
		return ErrNoUser
	}
	m.deleteTokensOf(t.User, t.Purpose)
	m.tokens[string(key)] = t
	return nil
}

func (m *memStore) GetToken(ctx context.Context, key []byte) (OneTimeToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[string(key)]
	if !ok {
		return OneTimeToken{}, ErrNoToken
	}
	return t, nil
}

func (m *memStore) SetPasswordByToken(ctx context.Context, key []byte, hash []byte, check func(OneTimeToken) error) (OneTimeToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[string(key)]
	if !ok {
		return OneTimeToken{}, ErrNoToken
	}
	if err := check(t); err != nil {
		return OneTimeToken{}, err
	}
	u, ok := m.users[t.User]
	if !ok {
		return OneTimeToken{}, ErrNoUser
	}
	u.PasswordHash = bytes.Clone(hash)
	m.users[t.User] = u
	m.deleteSessionsOf(t.User)
	m.deleteTokensOf(t.User, "")
	return t, nil
}

func (m *memStore) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, t := range m.tokens {
		if !now.Before(t.Expires) {
			delete(m.tokens, k)
			n++
		}
	}
	return n, nil
}

func (m *memStore) PutSession(ctx context.Context, key []byte, s Session, checked []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[s.User]
	if !ok {
		return ErrNoUser
	}
	if u.Disabled {
		return ErrDisabled
	}
	if !bytes.Equal(u.PasswordHash, checked) {
		return ErrPasswordChanged
	}
	m.sessions[string(key)] = s
	return nil
}

func (m *memStore) SetAuthor(ctx context.Context, name, author string, check func([]User) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return ErrNoUser
	}
	if check != nil {
		if err := check(m.all()); err != nil {
			return err
		}
	}
	u.Author = author
	m.users[name] = u
	return nil
}

func (m *memStore) SetDisabled(ctx context.Context, name string, disabled bool, check func([]User) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	u, ok := m.users[name]
	if !ok {
		return ErrNoUser
	}
	if check != nil {
		if err := check(m.all()); err != nil {
			return err
		}
	}
	u.Disabled = disabled
	m.users[name] = u
	if disabled {
		m.deleteSessionsOf(name)
		m.deleteTokensOf(name, "")
	}
	return nil
}

func (m *memStore) PutInvite(ctx context.Context, key []byte, t OneTimeToken) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.tokens[string(key)] = t
	return nil
}

func (m *memStore) ListTokens(ctx context.Context, purpose Purpose) ([]KeyedToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []KeyedToken
	for k, t := range m.tokens {
		if t.Purpose == purpose {
			out = append(out, KeyedToken{Key: []byte(k), OneTimeToken: t})
		}
	}
	return out, nil
}

func (m *memStore) DeleteToken(ctx context.Context, key []byte, purpose Purpose) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if t, ok := m.tokens[string(key)]; !ok || t.Purpose != purpose {
		return ErrNoToken
	}
	delete(m.tokens, string(key))
	return nil
}

func (m *memStore) AddUserByToken(ctx context.Context, key []byte, u UserRecord, sessionKey []byte, s Session,
	check func(OneTimeToken, []User) error) (OneTimeToken, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	t, ok := m.tokens[string(key)]
	if !ok {
		return OneTimeToken{}, ErrNoToken
	}
	if err := check(t, m.all()); err != nil {
		return OneTimeToken{}, err
	}
	if _, ok := m.users[u.Name]; ok {
		return OneTimeToken{}, ErrUserExists
	}
	u.PasswordHash = bytes.Clone(u.PasswordHash)
	m.users[u.Name] = u
	m.sessions[string(sessionKey)] = s
	delete(m.tokens, string(key))
	return t, nil
}

func (m *memStore) GetSession(ctx context.Context, key []byte) (Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[string(key)]
	if !ok {
		return Session{}, ErrNoSession
	}
	return s, nil
}

func (m *memStore) DeleteSession(ctx context.Context, key []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.sessions, string(key))
	return nil
}

func (m *memStore) DeleteSessionsOf(ctx context.Context, name string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.deleteSessionsOf(name), nil
}

func (m *memStore) deleteSessionsOf(name string) int {
	n := 0
	for k, s := range m.sessions {
		if s.User == name {
			delete(m.sessions, k)
			n++
		}
	}
	return n
}

func (m *memStore) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, s := range m.sessions {
		if !now.Before(s.Expires) {
			delete(m.sessions, k)
			n++
		}
	}
	return n, nil
}

// sessionCount is how many sessions a user has (all users for "").
func (m *memStore) sessionCount(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.sessions {
		if name == "" || s.User == name {
			n++
		}
	}
	return n
}
