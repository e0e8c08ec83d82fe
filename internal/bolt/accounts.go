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

// The moderator accounts live in three buckets of their own, made by the
// first write that needs them; until then a read finds nothing:
//
//	account_users     lowercased user name → accounts.UserRecord as JSON
//	account_sessions  SHA-256 of a session token (32 bytes) → accounts.Session as JSON
//	account_tokens    SHA-256 of a one-time token (32 bytes) → accounts.OneTimeToken as JSON
//
// Sessions and tokens have no index by user: there are only ever a handful,
// so the per-user deletes scan them all. A user, their sessions and their
// tokens are always changed in one transaction, so none outlives its user.
var (
	bucketAccountUsers    = []byte("account_users")
	bucketAccountSessions = []byte("account_sessions")
	bucketAccountTokens   = []byte("account_tokens")
)

// The compile-time proof that DB keeps the accounts too.
var _ accounts.Store = (*DB)(nil)

// sessionKeyBytes is the size of a session or token key, a SHA-256 sum.
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

// AddUserWithToken stores a new user and a one-time token for them under
// key, in one transaction; accounts.ErrUserExists if the name is taken.
func (db *DB) AddUserWithToken(ctx context.Context, u accounts.UserRecord, key []byte, t accounts.OneTimeToken) error {
	ukey, err := userKey(u.Name)
	if err != nil {
		return fmt.Errorf("adding user: %w", err)
	}
	if err := checkSessionKey(key); err != nil {
		return fmt.Errorf("adding user %s: %w", u.Name, err)
	}
	if t.User != u.Name {
		return fmt.Errorf("adding user %s with a token for %q", u.Name, t.User)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		users, err := tx.CreateBucketIfNotExists(bucketAccountUsers)
		if err != nil {
			return err
		}
		if users.Get(ukey) != nil {
			return accounts.ErrUserExists
		}
		if err := putUser(users, u); err != nil {
			return err
		}
		return putToken(tx, key, t)
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
		return setHash(tx, users, u, hash)
	})
	if err != nil {
		return fmt.Errorf("setting password of %s: %w", name, err)
	}
	return nil
}

// setHash gives u a new hash and deletes their sessions and tokens.
func setHash(tx *bbolt.Tx, users *bbolt.Bucket, u accounts.UserRecord, hash []byte) error {
	u.PasswordHash = hash
	if err := putUser(users, u); err != nil {
		return err
	}
	if _, err := deleteSessionsOf(tx, u.Name); err != nil {
		return err
	}
	return deleteTokensOf(tx, u.Name, "")
}

// SetRole changes a user's role if check approves, in one transaction;
// accounts.ErrNoUser if there is no such user, or check's error.
func (db *DB) SetRole(ctx context.Context, name string, role accounts.Role, check func([]accounts.User) error) error {
	key, err := userKey(name)
	if err != nil {
		return fmt.Errorf("setting role: %w", err)
	}
	if !role.Valid() {
		return fmt.Errorf("setting role of %s: %w: %q", name, accounts.ErrBadRole, role)
	}
	err = db.changeUser(ctx, key, check, func(_ *bbolt.Tx, u *accounts.UserRecord) error {
		u.Role = role
		return nil
	})
	if err != nil {
		return fmt.Errorf("setting role of %s: %w", name, err)
	}
	return nil
}

// SetAuthor ties a user to the author profile author ("" for none) if
// check approves, in one transaction; accounts.ErrNoUser if there is no
// such user, or check's error.
func (db *DB) SetAuthor(ctx context.Context, name, author string, check func([]accounts.User) error) error {
	key, err := userKey(name)
	if err != nil {
		return fmt.Errorf("setting an author profile: %w", err)
	}
	err = db.changeUser(ctx, key, check, func(_ *bbolt.Tx, u *accounts.UserRecord) error {
		u.Author = author
		return nil
	})
	if err != nil {
		return fmt.Errorf("setting the author profile of %s: %w", name, err)
	}
	return nil
}

// SetDisabled disables or enables a user if check approves, in one
// transaction; disabling also deletes their sessions and tokens.
// accounts.ErrNoUser if there is no such user, or check's error.
func (db *DB) SetDisabled(ctx context.Context, name string, disabled bool, check func([]accounts.User) error) error {
	key, err := userKey(name)
	if err != nil {
		return fmt.Errorf("disabling user: %w", err)
	}
	err = db.changeUser(ctx, key, check, func(tx *bbolt.Tx, u *accounts.UserRecord) error {
		u.Disabled = disabled
		if !disabled {
			return nil
		}
		if _, err := deleteSessionsOf(tx, u.Name); err != nil {
			return err
		}
		return deleteTokensOf(tx, u.Name, "")
	})
	if err != nil {
		return fmt.Errorf("setting user %s disabled=%t: %w", name, disabled, err)
	}
	return nil
}

// DeleteUser removes a user, their sessions and their tokens if check
// approves, in one transaction; accounts.ErrNoUser if there is no such
// user, or check's error.
func (db *DB) DeleteUser(ctx context.Context, name string, check func([]accounts.User) error) error {
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
		if err := checkUsers(users, check); err != nil {
			return err
		}
		if err := users.Delete(key); err != nil {
			return err
		}
		if _, err := deleteSessionsOf(tx, string(key)); err != nil {
			return err
		}
		return deleteTokensOf(tx, string(key), "")
	})
	if err != nil {
		return fmt.Errorf("deleting user %s: %w", name, err)
	}
	return nil
}

// PutSession stores s under key if s.User still exists (else
// accounts.ErrNoUser), is not disabled (else accounts.ErrDisabled) and has
// the password hash checked (else accounts.ErrPasswordChanged), all in one
// transaction.
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
		if u.Disabled {
			return accounts.ErrDisabled
		}
		if !bytes.Equal(u.PasswordHash, checked) {
			return accounts.ErrPasswordChanged
		}
		return putSession(tx, key, data)
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
// changeUser reads the user under key, asks check about every user (the
// last-admin rule), lets change alter the record (and anything else in
// the transaction) and stores it, all in one write transaction.
func (db *DB) changeUser(ctx context.Context, key []byte, check func([]accounts.User) error,
	change func(tx *bbolt.Tx, u *accounts.UserRecord) error) error {
	return db.update(ctx, func(tx *bbolt.Tx) error {
		users, err := tx.CreateBucketIfNotExists(bucketAccountUsers)
		if err != nil {
			return err
		}
		u, err := getUser(users, key)
		if err != nil {
			return err
		}
		if err := checkUsers(users, check); err != nil {
			return err
		}
		if err := change(tx, &u); err != nil {
			return err
		}
		return putUser(users, u)
	})
}

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
func deleteSessionsWhere(tx *bbolt.Tx, match func(accounts.Session) bool) (int, error) {
	return deleteRecordsWhere(tx.Bucket(bucketAccountSessions), decodeSession, match)
}

// deleteRecordsWhere deletes the records of bucket (nil: none) that match,
// and any that cannot be decoded. The keys are collected first: bbolt does
// not allow deleting under a ForEach.
func deleteRecordsWhere[T any](bucket *bbolt.Bucket, decode func([]byte) (T, error), match func(T) bool) (int, error) {
	if bucket == nil {
		return 0, nil
	}
	var doomed [][]byte
	err := bucket.ForEach(func(k, v []byte) error {
		r, err := decode(v)
		if err != nil || match(r) {
			doomed = append(doomed, bytes.Clone(k))
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range doomed {
		if err := bucket.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(doomed), nil
}

// checkUsers calls check with every user, inside the transaction.
func checkUsers(users *bbolt.Bucket, check func([]accounts.User) error) error {
	if check == nil {
		return nil
	}
	all, err := allUsers(users)
	if err != nil {
		return err
	}
	return check(all)
}

// allUsers reads every user, by name, inside a transaction.
func allUsers(users *bbolt.Bucket) ([]accounts.User, error) {
	var all []accounts.User
	err := users.ForEach(func(k, _ []byte) error {
		u, err := getUser(users, k)
		if err != nil {
			return err
		}
		all = append(all, u.User)
		return nil
	})
	return all, err
}

// PutToken stores t under key if t.User exists (else accounts.ErrNoUser),
// and deletes the user's other tokens of the same purpose, in one
// transaction.
func (db *DB) PutToken(ctx context.Context, key []byte, t accounts.OneTimeToken) error {
	if err := checkSessionKey(key); err != nil {
		return fmt.Errorf("storing a one-time token: %w", err)
	}
	ukey, err := userKey(t.User)
	if err != nil {
		return fmt.Errorf("storing a one-time token: %w", err)
	}
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		if _, err := getUser(tx.Bucket(bucketAccountUsers), ukey); err != nil {
			return err
		}
		if err := deleteTokensOf(tx, t.User, t.Purpose); err != nil {
			return err
		}
		return putToken(tx, key, t)
	})
	if err != nil {
		return fmt.Errorf("storing a one-time token for %s: %w", t.User, err)
	}
	return nil
}

// GetToken returns the token under key, expired or not, or
// accounts.ErrNoToken.
func (db *DB) GetToken(ctx context.Context, key []byte) (accounts.OneTimeToken, error) {
	if checkSessionKey(key) != nil {
		return accounts.OneTimeToken{}, accounts.ErrNoToken
	}
	var t accounts.OneTimeToken
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		t, err = getToken(tx, key)
		return err
	})
	if err != nil {
		return accounts.OneTimeToken{}, fmt.Errorf("getting a one-time token: %w", err)
	}
	return t, nil
}

// SetPasswordByToken, in one transaction, reads the token under key
// (accounts.ErrNoToken if there is none), lets check approve it, deletes
// it, and gives its user hash, deleting their sessions and other tokens.
func (db *DB) SetPasswordByToken(ctx context.Context, key []byte, hash []byte, check func(accounts.OneTimeToken) error) (accounts.OneTimeToken, error) {
	if checkSessionKey(key) != nil {
		return accounts.OneTimeToken{}, accounts.ErrNoToken
	}
	var t accounts.OneTimeToken
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		if t, err = getToken(tx, key); err != nil {
			return err
		}
		if err := check(t); err != nil {
			return err
		}
		ukey, err := userKey(t.User)
		if err != nil {
			return err
		}
		users := tx.Bucket(bucketAccountUsers)
		u, err := getUser(users, ukey)
		if err != nil {
			return err
		}
		// setHash deletes every token of the user, this one with them.
		return setHash(tx, users, u, hash)
	})
	if err != nil {
		return accounts.OneTimeToken{}, fmt.Errorf("setting a password by one-time token: %w", err)
	}
	return t, nil
}

// DeleteExpiredTokens removes every token whose Expires is not after now,
// and says how many.
func (db *DB) DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error) {
	var n int
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = deleteTokensWhere(tx, func(t accounts.OneTimeToken) bool { return !now.Before(t.Expires) })
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("deleting expired one-time tokens: %w", err)
	}
	return n, nil
}

// PutInvite stores an invite, a token of accounts.PurposeInvite for no
// user yet, under key.
func (db *DB) PutInvite(ctx context.Context, key []byte, t accounts.OneTimeToken) error {
	if err := checkSessionKey(key); err != nil {
		return fmt.Errorf("storing an invite: %w", err)
	}
	if err := checkInvite(t); err != nil {
		return fmt.Errorf("storing an invite: %w", err)
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error { return putToken(tx, key, t) })
	if err != nil {
		return fmt.Errorf("storing an invite: %w", err)
	}
	return nil
}

// checkInvite is the shape an invite must have: no user yet, and a role.
func checkInvite(t accounts.OneTimeToken) error {
	switch {
	case t.Purpose != accounts.PurposeInvite:
		return fmt.Errorf("an invite has the purpose %q", t.Purpose)
	case t.User != "":
		return fmt.Errorf("an invite is for the user %q, who does not exist yet", t.User)
	case !t.Role.Valid():
		return fmt.Errorf("an invite: %w: %q", accounts.ErrBadRole, t.Role)
	}
	return nil
}

// ListTokens returns every token of purpose, expired or not, with its key.
func (db *DB) ListTokens(ctx context.Context, purpose accounts.Purpose) ([]accounts.KeyedToken, error) {
	var out []accounts.KeyedToken
	err := db.view(ctx, func(tx *bbolt.Tx) error {
		tokens := tx.Bucket(bucketAccountTokens)
		if tokens == nil {
			return nil
		}
		return tokens.ForEach(func(k, v []byte) error {
			t, err := decodeToken(v)
			if err != nil {
				return fmt.Errorf("key %x: %w", k, err)
			}
			if t.Purpose == purpose {
				out = append(out, accounts.KeyedToken{Key: bytes.Clone(k), OneTimeToken: t})
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("listing one-time tokens: %w", err)
	}
	return out, nil
}

// DeleteToken removes the token of purpose under key, or fails with
// accounts.ErrNoToken when there is none of that purpose.
func (db *DB) DeleteToken(ctx context.Context, key []byte, purpose accounts.Purpose) error {
	if checkSessionKey(key) != nil {
		return accounts.ErrNoToken
	}
	err := db.update(ctx, func(tx *bbolt.Tx) error {
		t, err := getToken(tx, key)
		if err != nil {
			return err
		}
		if t.Purpose != purpose {
			return accounts.ErrNoToken
		}
		return tx.Bucket(bucketAccountTokens).Delete(key)
	})
	if err != nil {
		return fmt.Errorf("deleting a one-time token: %w", err)
	}
	return nil
}

// AddUserByToken, in one transaction, reads the token under key
// (accounts.ErrNoToken if there is none), lets check approve it given every
// user, stores u (accounts.ErrUserExists if the name is taken) and the
// session s under sessionKey, and deletes the token. bbolt runs one write
// transaction at a time, so of two uses of a token the second finds none.
func (db *DB) AddUserByToken(ctx context.Context, key []byte, u accounts.UserRecord, sessionKey []byte, s accounts.Session,
	check func(accounts.OneTimeToken, []accounts.User) error) (accounts.OneTimeToken, error) {
	if checkSessionKey(key) != nil {
		return accounts.OneTimeToken{}, accounts.ErrNoToken
	}
	ukey, err := userKey(u.Name)
	if err != nil {
		return accounts.OneTimeToken{}, fmt.Errorf("adding user by one-time token: %w", err)
	}
	if err := checkSessionKey(sessionKey); err != nil {
		return accounts.OneTimeToken{}, fmt.Errorf("adding user %s by one-time token: %w", u.Name, err)
	}
	if s.User != u.Name {
		return accounts.OneTimeToken{}, fmt.Errorf("adding user %s with a session of %q", u.Name, s.User)
	}
	session, err := json.Marshal(s)
	if err != nil {
		return accounts.OneTimeToken{}, fmt.Errorf("encoding session of %s: %w", s.User, err)
	}
	var t accounts.OneTimeToken
	err = db.update(ctx, func(tx *bbolt.Tx) error {
		if t, err = getToken(tx, key); err != nil {
			return err
		}
		users, err := tx.CreateBucketIfNotExists(bucketAccountUsers)
		if err != nil {
			return err
		}
		all, err := allUsers(users)
		if err != nil {
			return err
		}
		if err := check(t, all); err != nil {
			return err
		}
		if users.Get(ukey) != nil {
			return accounts.ErrUserExists
		}
		if err := putUser(users, u); err != nil {
			return err
		}
		if err := putSession(tx, sessionKey, session); err != nil {
			return err
		}
		return tx.Bucket(bucketAccountTokens).Delete(key)
	})
	if err != nil {
		return accounts.OneTimeToken{}, fmt.Errorf("adding user %s by one-time token: %w", u.Name, err)
	}
	return t, nil
}

func putSession(tx *bbolt.Tx, key, data []byte) error {
	sessions, err := tx.CreateBucketIfNotExists(bucketAccountSessions)
	if err != nil {
		return err
	}
	return sessions.Put(key, data)
}

func putToken(tx *bbolt.Tx, key []byte, t accounts.OneTimeToken) error {
	data, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("encoding a one-time token for %s: %w", t.User, err)
	}
	tokens, err := tx.CreateBucketIfNotExists(bucketAccountTokens)
	if err != nil {
		return err
	}
	return tokens.Put(key, data)
}

func getToken(tx *bbolt.Tx, key []byte) (accounts.OneTimeToken, error) {
	var v []byte
	if tokens := tx.Bucket(bucketAccountTokens); tokens != nil {
		v = tokens.Get(key)
	}
	if v == nil {
		return accounts.OneTimeToken{}, accounts.ErrNoToken
	}
	return decodeToken(v)
}

func decodeToken(v []byte) (accounts.OneTimeToken, error) {
	var t accounts.OneTimeToken
	if err := json.Unmarshal(v, &t); err != nil {
		return accounts.OneTimeToken{}, fmt.Errorf("decoding a one-time token: %w", err)
	}
	return t, nil
}

// deleteTokensOf deletes a user's tokens of purpose, or of every purpose
// for "".
func deleteTokensOf(tx *bbolt.Tx, name string, purpose accounts.Purpose) error {
	_, err := deleteTokensWhere(tx, func(t accounts.OneTimeToken) bool {
		return t.User == name && (purpose == "" || t.Purpose == purpose)
	})
	return err
}

// deleteTokensWhere deletes the tokens that match, and any that cannot be
// read (they could never be used).
func deleteTokensWhere(tx *bbolt.Tx, match func(accounts.OneTimeToken) bool) (int, error) {
	return deleteRecordsWhere(tx.Bucket(bucketAccountTokens), decodeToken, match)
}

// checkAccountTokens is DB.Check's part for one-time tokens: each must sit
// under a SHA-256 sum, decode, have a purpose this version knows, and
// belong to a user who exists (a user's tokens are deleted with them) —
// except an invite, which is for no user yet and must name a role.
func checkAccountTokens(tx *bbolt.Tx, report func(string, ...any)) {
	tokens := tx.Bucket(bucketAccountTokens)
	if tokens == nil {
		return
	}
	users := tx.Bucket(bucketAccountUsers)
	_ = tokens.ForEach(func(k, v []byte) error {
		if err := checkSessionKey(k); err != nil {
			report("%s: key %x: %v", bucketAccountTokens, k, err)
		}
		t, err := decodeToken(v)
		switch {
		case err != nil:
			report("%s: key %x: %v", bucketAccountTokens, k, err)
		case !t.Purpose.Valid():
			report("%s: key %x has the unknown purpose %q", bucketAccountTokens, k, t.Purpose)
		case t.Purpose == accounts.PurposeInvite:
			if err := checkInvite(t); err != nil {
				report("%s: key %x: %v", bucketAccountTokens, k, err)
			}
		case users == nil || users.Get([]byte(t.User)) == nil:
			report("%s: key %x is a token of %q, who does not exist", bucketAccountTokens, k, t.User)
		}
		return nil
	})
}
