package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/accounts"
)

// The moderator accounts live in two buckets of their own, made by the first
// write that needs them; until then a read finds nothing:
//
//	account_users     lowercased user name → accounts.UserRecord as JSON
//	account_sessions  SHA-256 of a session token (32 bytes) → accounts.Session as JSON
//
// Sessions have no index by user: there are only ever a handful, so the
// per-user deletes scan them all. A user and their sessions are always
// changed in one transaction, so no session outlives its user.
var (
	bucketAccountUsers    = []byte("account_users")
	bucketAccountSessions = []byte("account_sessions")
)

// The compile-time proof that DB keeps the accounts too.
var _ accounts.Store = (*DB)(nil)

// sessionKeyBytes is the size of a session key, a SHA-256 sum.
const sessionKeyBytes = 32

// AddUser stores a new user, or fails with accounts.ErrUserExists.
func (db *DB) AddUser(ctx context.Context, u accounts.UserRecord) error {
	key, err := userKey(u.Name)
	if err != nil {
		return fmt.Errorf("adding user: %w", err)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		users, err := tx.CreateBucketIfNotExists(bucketAccountUsers)
		if err != nil {
			return err
		}
		if users.Get(key) != nil {
			return accounts.ErrUserExists
		}
		return putUser(users, u)
	})
	if err != nil {
		return fmt.Errorf("adding user %s: %w", u.Name, err)
	}
	return nil
}

// GetUser returns a user or accounts.ErrNoUser.
func (db *DB) GetUser(ctx context.Context, name string) (accounts.UserRecord, error) {
	key, err := userKey(name)
	if err != nil {
		return accounts.UserRecord{}, fmt.Errorf("getting user: %w", err)
	}
	var u accounts.UserRecord
	err = db.view(ctx, func(tx *bbolt.Tx) error {
		u, err = getUser(tx.Bucket(bucketAccountUsers), key)
		return err
	})
	if err != nil {
		return accounts.UserRecord{}, fmt.Errorf("getting user %s: %w", name, err)
	}
	return u, nil
}

// ListUsers returns every user, by name, without their hashes.
func (db *DB) ListUsers(ctx context.Context) ([]accounts.User, error) {
	var out []accounts.User
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		users := tx.Bucket(bucketAccountUsers)
		if users == nil {
			return nil
		}
		return users.ForEach(func(k, _ []byte) error {
			u, err := getUser(users, k)
			if err != nil {
				return err
			}
			out = append(out, u.User)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	return out, nil
}

// SetPasswordHash replaces a user's hash and deletes their sessions, in one
// transaction; accounts.ErrNoUser if there is no such user.
func (db *DB) SetPasswordHash(ctx context.Context, name string, hash []byte) error {
	key, err := userKey(name)
	if err != nil {
		return fmt.Errorf("setting password: %w", err)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		users, err := tx.CreateBucketIfNotExists(bucketAccountUsers)
		if err != nil {
			return err
		}
		u, err := getUser(users, key)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
		if err := putUser(users, u); err != nil {
			return err
		}
		_, err = deleteSessionsOf(tx, u.Name)
		return err
	})
	if err != nil {
		return fmt.Errorf("setting password of %s: %w", name, err)
	}
	return nil
}

// DeleteUser removes a user and their sessions, in one transaction;
// accounts.ErrNoUser if there is no such user.
func (db *DB) DeleteUser(ctx context.Context, name string) error {
	key, err := userKey(name)
	if err != nil {
		return fmt.Errorf("deleting user: %w", err)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		users, err := tx.CreateBucketIfNotExists(bucketAccountUsers)
		if err != nil {
			return err
		}
		if users.Get(key) == nil {
			return accounts.ErrNoUser
		}
		if err := users.Delete(key); err != nil {
			return err
		}
		_, err = deleteSessionsOf(tx, string(key))
		return err
	})
	if err != nil {
		return fmt.Errorf("deleting user %s: %w", name, err)
	}
	return nil
}

// PutSession stores s under key if s.User still exists (else
// accounts.ErrNoUser) with the password hash checked (else
// accounts.ErrPasswordChanged), all in one transaction.
func (db *DB) PutSession(ctx context.Context, key []byte, s accounts.Session, checked []byte) error {
	if err := checkSessionKey(key); err != nil {
		return fmt.Errorf("storing session: %w", err)
	}
	ukey, err := userKey(s.User)
	if err != nil {
		return fmt.Errorf("storing session: %w", err)
	}
	data, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding session of %s: %w", s.User, err)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		u, err := getUser(tx.Bucket(bucketAccountUsers), ukey)
		if err != nil {
			return err
		}
		if !bytes.Equal(u.PasswordHash, checked) {
			return accounts.ErrPasswordChanged
		}
		sessions, err := tx.CreateBucketIfNotExists(bucketAccountSessions)
		if err != nil {
			return err
		}
		return sessions.Put(key, data)
	})
	if err != nil {
		return fmt.Errorf("storing session of %s: %w", s.User, err)
	}
	return nil
}

// GetSession returns the session under key, expired or not, or
// accounts.ErrNoSession.
func (db *DB) GetSession(ctx context.Context, key []byte) (accounts.Session, error) {
	if checkSessionKey(key) != nil {
		return accounts.Session{}, accounts.ErrNoSession
	}
	var s accounts.Session
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		sessions := tx.Bucket(bucketAccountSessions)
		if sessions == nil {
			return accounts.ErrNoSession
		}
		var err error
		s, err = decodeSession(sessions.Get(key))
		return err
	})
	if err != nil {
		return accounts.Session{}, fmt.Errorf("getting session: %w", err)
	}
	return s, nil
}

// DeleteSession removes a session; a missing one is not an error.
func (db *DB) DeleteSession(ctx context.Context, key []byte) error {
	if checkSessionKey(key) != nil {
		return nil
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		sessions := tx.Bucket(bucketAccountSessions)
		if sessions == nil {
			return nil
		}
		return sessions.Delete(key)
	})
	if err != nil {
		return fmt.Errorf("deleting session: %w", err)
	}
	return nil
}

// DeleteSessionsOf removes every session of a user and says how many.
func (db *DB) DeleteSessionsOf(ctx context.Context, name string) (int, error) {
	key, err := userKey(name)
	if err != nil {
		return 0, fmt.Errorf("deleting sessions: %w", err)
	}
	var n int
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		n, err = deleteSessionsOf(tx, string(key))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting sessions of %s: %w", name, err)
	}
	return n, nil
}

// DeleteExpiredSessions removes every session whose Expires is not after
// now, and says how many.
func (db *DB) DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = deleteSessionsWhere(tx, func(s accounts.Session) bool {
			return !now.Before(s.Expires)
		})
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting expired sessions: %w", err)
	}
	return n, nil
}

// userKey checks that name is a normalized user name and returns it as a
// key. Looking up "Kay" would find nothing, so it is refused instead.
func userKey(name string) ([]byte, error) {
	norm, err := accounts.NormalizeName(name)
	if err != nil {
		return nil, err
	}
	if norm != name {
		return nil, fmt.Errorf("user name %q is not lowercase", name)
	}
	return []byte(name), nil
}

func checkSessionKey(key []byte) error {
	if len(key) != sessionKeyBytes {
		return fmt.Errorf("session key is %d bytes, not %d", len(key), sessionKeyBytes)
	}
	return nil
}

// getUser reads one user inside a transaction; a nil bucket is empty.
func getUser(users *bbolt.Bucket, key []byte) (accounts.UserRecord, error) {
	var v []byte
	if users != nil {
		v = users.Get(key)
	}
	if v == nil {
		return accounts.UserRecord{}, accounts.ErrNoUser
	}
	var u accounts.UserRecord
	if err := json.Unmarshal(v, &u); err != nil {
		return accounts.UserRecord{}, fmt.Errorf("decoding user %q: %w", key, err)
	}
	if u.Name != string(key) {
		return accounts.UserRecord{}, fmt.Errorf("user key %q holds user %q", key, u.Name)
	}
	return u, nil
}

func putUser(users *bbolt.Bucket, u accounts.UserRecord) error {
	data, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("encoding user %s: %w", u.Name, err)
	}
	return users.Put([]byte(u.Name), data)
}

func decodeSession(v []byte) (accounts.Session, error) {
	if v == nil {
		return accounts.Session{}, accounts.ErrNoSession
	}
	var s accounts.Session
	if err := json.Unmarshal(v, &s); err != nil {
		return accounts.Session{}, fmt.Errorf("decoding session: %w", err)
	}
	return s, nil
}

func deleteSessionsOf(tx *bbolt.Tx, name string) (int, error) {
	return deleteSessionsWhere(tx, func(s accounts.Session) bool { return s.User == name })
}

// deleteSessionsWhere deletes the sessions that match, and any that cannot
// be read (they could never be used, and must not stop a user's removal).
// The keys are collected first: bbolt does not allow deleting under a
// ForEach.
func deleteSessionsWhere(tx *bbolt.Tx, match func(accounts.Session) bool) (int, error) {
	sessions := tx.Bucket(bucketAccountSessions)
	if sessions == nil {
		return 0, nil
	}
	var doomed [][]byte
	err := sessions.ForEach(func(k, v []byte) error {
		s, err := decodeSession(v)
		if err != nil || match(s) {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range doomed {
		if err := sessions.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(doomed), nil
}
