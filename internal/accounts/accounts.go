// Package accounts is Milepost's moderator accounts: who may use the admin
// pages, with which role, and the sessions they log in with.
//
// Passwords are kept only as bcrypt hashes. A session token is 32 random
// bytes, base64url-encoded; it is given to the browser once, and the server
// keeps only its SHA-256, so a copy of the database cannot be used to log in.
// Logins are throttled per client address group, per account and across the
// site, and bcrypt work is capped (see Login).
//
// The accounts live in a Store, which internal/bolt implements; this package
// never sees the database itself.
package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Role says what a user may do. Other packages ask a role what it allows
// (CanModerate, CanPublish, …) and never compare role names: the rules of
// who may do what are here, once.
type Role string

const (
	// RoleContributor writes drafts and submits them for review.
	RoleContributor Role = "contributor"
	// RoleAuthor also publishes their own posts.
	RoleAuthor Role = "author"
	// RoleEditor reviews and edits anyone's posts and moderates comments.
	RoleEditor Role = "editor"
	// RoleModerator moderates comments, and nothing else: the one role of
	// the sites made before writers had accounts, kept as it was.
	RoleModerator Role = "moderator"
	// RoleAdmin may do everything: write, publish, edit, moderate, manage
	// users and invites, take backups.
	RoleAdmin Role = "admin"
)

// Roles are every role, from the one that may do least to admin: the
// order in which forms offer them.
func Roles() []Role {
	return []Role{RoleContributor, RoleAuthor, RoleEditor, RoleModerator, RoleAdmin}
}

// ParseRole returns the role named s, or an error matching ErrBadRole.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", fmt.Errorf("%w: %q", ErrBadRole, s)
	}
	return r, nil
}

// Valid reports whether r is one of the roles above.
func (r Role) Valid() bool {
	switch r {
	case RoleContributor, RoleAuthor, RoleEditor, RoleModerator, RoleAdmin:
		return true
	}
	return false
}

// CanModerate reports whether r may moderate comments, bans and the
// comments of posts: moderators, editors and admins.
func (r Role) CanModerate() bool { return r == RoleModerator || r == RoleEditor || r == RoleAdmin }

// CanAdminister reports whether r may manage users and invites and take
// backups: admins only.
func (r Role) CanAdminister() bool { return r == RoleAdmin }

// CanWrite reports whether r may write posts of their own (drafts at
// least): every role but moderator.
func (r Role) CanWrite() bool { return r.Valid() && r != RoleModerator }

// CanPublish reports whether r may publish or schedule a post of their own
// without review: authors, editors and admins. A contributor submits
// theirs for review instead.
func (r Role) CanPublish() bool { return r == RoleAuthor || r == RoleEditor || r == RoleAdmin }

// CanEditOthers reports whether r may edit, publish and review anyone's
// posts, and so handles the review queue: editors and admins.
func (r Role) CanEditOthers() bool { return r == RoleEditor || r == RoleAdmin }

// User is an account as the rest of Milepost sees it: never with its hash.
type User struct {
	Name    string    `json:"name"` // lowercase; see NormalizeName
	Role    Role      `json:"role"`
	Created time.Time `json:"created"`
	// Author is the ID of the user's author profile (content/authors/ID.md),
	// or "" when they have none yet. A profile belongs to one user at most.
	Author string `json:"author,omitempty"`
	// Disabled refuses the user's sign-ins (with the answer a wrong
	// password gets) until an admin enables them again; disabling ends
	// their sessions.
	Disabled bool `json:"disabled,omitempty"`
}

// UserRecord is a user as a Store keeps it.
type UserRecord struct {
	User
	PasswordHash []byte `json:"password_hash"` // bcrypt
}

// Session is a login as a Store keeps it, under the SHA-256 of its token.
type Session struct {
	User    string    `json:"user"` // the user's name
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"` // dead from this instant on
}

// Store keeps users, sessions and one-time tokens. Names given to it are
// normalized (see NormalizeName); an implementation may refuse any other.
// Session and token keys are SHA-256 sums of tokens. Every method that
// changes data has committed the change durably when it returns nil.
//
// Rules about the users as a whole (there must be an admin) are this
// package's; a Store applies them by calling the check it is given inside
// the transaction that makes the change, with every user as they are
// before it, so that two changes at once cannot both pass.
type Store interface {
	// AddUser stores a new user, or fails with ErrUserExists.
	AddUser(ctx context.Context, u UserRecord) error
	// AddUserWithToken stores a new user and a one-time token for them
	// under key, in one transaction; ErrUserExists if the name is taken.
	AddUserWithToken(ctx context.Context, u UserRecord, key []byte, t OneTimeToken) error
	// GetUser returns a user or ErrNoUser.
	GetUser(ctx context.Context, name string) (UserRecord, error)
	// ListUsers returns every user, by name.
	ListUsers(ctx context.Context) ([]User, error)
	// SetPasswordHash replaces a user's hash and deletes their sessions and
	// one-time tokens, in one transaction; ErrNoUser if there is no such
	// user.
	SetPasswordHash(ctx context.Context, name string, hash []byte) error
	// SetRole changes a user's role if check approves, in one transaction;
	// ErrNoUser if there is no such user, or check's error.
	SetRole(ctx context.Context, name string, role Role, check func(all []User) error) error
	// DeleteUser removes a user, their sessions and their one-time tokens if
	// check approves, in one transaction; ErrNoUser if there is no such
	// user, or check's error.
	DeleteUser(ctx context.Context, name string, check func(all []User) error) error
	// SetAuthor ties a user to the author profile author ("" for none) if
	// check approves, in one transaction; ErrNoUser if there is no such
	// user, or check's error.
	SetAuthor(ctx context.Context, name, author string, check func(all []User) error) error
	// SetDisabled disables or enables a user if check approves, in one
	// transaction; disabling also deletes their sessions and one-time
	// tokens. ErrNoUser if there is no such user, or check's error.
	SetDisabled(ctx context.Context, name string, disabled bool, check func(all []User) error) error
	// PutSession stores s under key if, in the same transaction, s.User
	// still exists (else ErrNoUser), is not disabled (else ErrDisabled) and
	// still has the password hash the login was checked against (else
	// ErrPasswordChanged). So a login that races with Remove, Disable or
	// SetPassword cannot leave a session behind.
	PutSession(ctx context.Context, key []byte, s Session, checked []byte) error
	// GetSession returns the session under key, expired or not, or
	// ErrNoSession.
	GetSession(ctx context.Context, key []byte) (Session, error)
	// DeleteSession removes a session; a missing one is not an error.
	DeleteSession(ctx context.Context, key []byte) error
	// DeleteSessionsOf removes every session of a user, and says how many.
	DeleteSessionsOf(ctx context.Context, name string) (int, error)
	// DeleteExpiredSessions removes every session whose Expires is not after
	// now, and says how many.
	DeleteExpiredSessions(ctx context.Context, now time.Time) (int, error)
	// PutToken stores t under key if t.User exists (else ErrNoUser), and
	// deletes every other token of that user with the same purpose, in one
	// transaction: only the newest link works.
	PutToken(ctx context.Context, key []byte, t OneTimeToken) error
	// GetToken returns the token under key, expired or not, or ErrNoToken.
	GetToken(ctx context.Context, key []byte) (OneTimeToken, error)
	// SetPasswordByToken, in one transaction, reads the token under key
	// (ErrNoToken if there is none), lets check approve it, deletes it,
	// and gives its user the hash, deleting their sessions and other tokens
	// (ErrNoUser if the user is gone). It returns the token.
	SetPasswordByToken(ctx context.Context, key []byte, hash []byte, check func(OneTimeToken) error) (OneTimeToken, error)
	// DeleteExpiredTokens removes every token whose Expires is not after
	// now, and says how many.
	DeleteExpiredTokens(ctx context.Context, now time.Time) (int, error)
	// PutInvite stores an invite, a token of PurposeInvite for no user yet,
	// under key.
	PutInvite(ctx context.Context, key []byte, t OneTimeToken) error
	// ListTokens returns every token of purpose, expired or not, each with
	// the key it is stored under.
	ListTokens(ctx context.Context, purpose Purpose) ([]KeyedToken, error)
	// DeleteToken removes the token of purpose under key, or fails with
	// ErrNoToken when there is none of that purpose.
	DeleteToken(ctx context.Context, key []byte, purpose Purpose) error
	// AddUserByToken, in one transaction, reads the token under key
	// (ErrNoToken if there is none), lets check approve it given every
	// user as they are, stores u (ErrUserExists if the name is taken) and
	// the session s for them under sessionKey, and deletes the token. It
	// returns the token. So of two uses of one token, one fails.
	AddUserByToken(ctx context.Context, key []byte, u UserRecord, sessionKey []byte, s Session,
		check func(t OneTimeToken, all []User) error) (OneTimeToken, error)
}

// Errors, matched with errors.Is.
var (
	ErrBadName          = errors.New("a user name is 1 to 64 ASCII letters, digits, dots, hyphens and underscores")
	ErrBadRole          = errors.New(`a role is "contributor", "author", "editor", "moderator" or "admin"`)
	ErrPasswordTooShort = fmt.Errorf("password is too short: it needs at least %d bytes", MinPasswordBytes)
	ErrPasswordTooLong  = fmt.Errorf("password is too long: bcrypt uses at most %d bytes", MaxPasswordBytes)
	ErrUserExists       = errors.New("a user with that name already exists")
	ErrNoUser           = errors.New("no such user")
	ErrPasswordChanged  = errors.New("the user's password changed during the login")
	// ErrDisabled is a Store's answer to a session for a disabled user.
	// Login answers ErrBadCredentials instead, so that a stranger cannot
	// tell a disabled account from a wrong password.
	ErrDisabled = errors.New("the account is disabled")
	// ErrBadCredentials is Login's answer to a wrong name or password,
	// whichever it was.
	ErrBadCredentials = errors.New("wrong user name or password")
	// ErrNoSession is Authenticate's answer to a token that is unknown,
	// expired, or belongs to a removed user.
	ErrNoSession = errors.New("not logged in, or the session has expired")
	// ErrNoToken is the answer to a one-time token that is unknown, used,
	// expired, or for another purpose.
	ErrNoToken = errors.New("this link is unknown, has been used or has expired")
	// ErrAuthorTaken refuses to tie an author profile to a second user: a
	// profile's posts and bio are one runner's.
	ErrAuthorTaken = errors.New("that author profile already belongs to another user")
	// ErrLastAdmin refuses to remove, disable or demote the last enabled
	// admin.
	ErrLastAdmin = errors.New("it is the last admin, and without one nobody could manage users or download backups; " +
		"make another user an admin first")
)

// Limits on names and passwords. Passwords are counted in bytes because
// bcrypt ignores everything past its 72nd byte.
const (
	MaxNameChars     = 64
	MinPasswordBytes = 10
	MaxPasswordBytes = 72
)

// NormalizeName checks a user name and returns it lowercased, which is how
// it is stored and compared: "Kay" and "kay" are the same user. Only ASCII
// letters are allowed, so that no two names can look alike.
func NormalizeName(name string) (string, error) {
	if len(name) == 0 || len(name) > MaxNameChars {
		return "", fmt.Errorf("%w (got %d characters)", ErrBadName, len(name))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			c == '.', c == '-', c == '_':
		default:
			return "", fmt.Errorf("%w (got %q)", ErrBadName, name)
		}
	}
	return strings.ToLower(name), nil
}

// checkPassword applies the length rules. The error never contains the
// password.
func checkPassword(password string) error {
	switch {
	case len(password) < MinPasswordBytes:
		return ErrPasswordTooShort
	case len(password) > MaxPasswordBytes:
		return ErrPasswordTooLong
	}
	return nil
}
