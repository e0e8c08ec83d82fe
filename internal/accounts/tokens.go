package accounts

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"
)

// Purpose says what a one-time token may be used for. A token is checked
// against the purpose of the page that redeems it, so a token made for one
// thing can never do another.
type Purpose string

const (
	// PurposeSetPassword lets the holder choose the password of the
	// token's user, once: how a user added on the web gets their first
	// password, and how an admin lets someone who forgot theirs choose
	// another.
	PurposeSetPassword Purpose = "set-password"
	// PurposeInvite lets the holder make an account, once: with the
	// token's role and author profile, and the name and password they
	// choose. Its token has no User (see Invite).
	PurposeInvite Purpose = "invite"
)

// Valid reports whether p is a purpose this version knows.
func (p Purpose) Valid() bool { return p == PurposeSetPassword || p == PurposeInvite }

// OneTimeToken is a single-use, expiring permission, as a Store keeps it
// under the SHA-256 of the token: the token itself is shown once, to the
// admin who hands it over, and never stored.
type OneTimeToken struct {
	Purpose Purpose   `json:"purpose"`
	User    string    `json:"user"` // the account it acts on; "" for an invite
	By      string    `json:"by"`   // the admin who made it
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"` // dead from this instant on
	// An invite's account is made with Role, and tied to the author
	// profile Author when it is not "".
	Role   Role   `json:"role,omitempty"`
	Author string `json:"author,omitempty"`
}

// KeyedToken is a token with the key a Store keeps it under (the SHA-256
// of the token, never the token).
type KeyedToken struct {
	Key []byte
	OneTimeToken
}

// IssuedToken is a token just made: Token is the only copy there will be.
type IssuedToken struct {
	Token string
	OneTimeToken
}

// DefaultTokenTTL is how long a set-password link works.
const DefaultTokenTTL = 72 * time.Hour

// AddWithLink creates a user whose password nobody knows, with a one-time
// set-password token for them, in one step: by is the admin doing it. The
// user can sign in once they have chosen a password with the token.
func (s *Service) AddWithLink(ctx context.Context, by, name string, role Role) (User, IssuedToken, error) {
	norm, err := NormalizeName(name)
	if err != nil {
		return User{}, IssuedToken{}, fmt.Errorf("adding user: %w", err)
	}
	if !role.Valid() {
		return User{}, IssuedToken{}, fmt.Errorf("adding user %s: %w: %q", norm, ErrBadRole, role)
	}
	// A hash of a secret nobody keeps: a valid hash that no password
	// matches, until the user sets theirs.
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return User{}, IssuedToken{}, fmt.Errorf("adding user %s: %w", norm, err)
	}
	hash, err := s.hashBytes(ctx, secret)
	if err != nil {
		return User{}, IssuedToken{}, fmt.Errorf("adding user %s: %w", norm, err)
	}
	now := s.now()
	u := User{Name: norm, Role: role, Created: now.UTC()}
	issued, key, err := s.newOneTimeToken(PurposeSetPassword, norm, by, now)
	if err != nil {
		return User{}, IssuedToken{}, fmt.Errorf("adding user %s: %w", norm, err)
	}
	if err := s.store.AddUserWithToken(ctx, UserRecord{User: u, PasswordHash: hash}, key, issued.OneTimeToken); err != nil {
		return User{}, IssuedToken{}, fmt.Errorf("adding user %s: %w", norm, err)
	}
	return u, issued, nil
}

// NewPasswordLink makes a one-time set-password token for an existing user;
// any earlier one of theirs stops working. by is the admin doing it. The
// user's password and sessions stay as they are until the token is used.
func (s *Service) NewPasswordLink(ctx context.Context, by, name string) (IssuedToken, error) {
	norm, err := NormalizeName(name)
	if err != nil {
		return IssuedToken{}, fmt.Errorf("making a password link: %w", err)
	}
	issued, key, err := s.newOneTimeToken(PurposeSetPassword, norm, by, s.now())
	if err != nil {
		return IssuedToken{}, fmt.Errorf("making a password link for %s: %w", norm, err)
	}
	if err := s.store.PutToken(ctx, key, issued.OneTimeToken); err != nil {
		return IssuedToken{}, fmt.Errorf("making a password link for %s: %w", norm, err)
	}
	return issued, nil
}

// PasswordToken returns the set-password token token stands for, or
// ErrNoToken when it is unknown, used, expired or for something else. It
// uses nothing up: it is for showing the form.
func (s *Service) PasswordToken(ctx context.Context, token string) (OneTimeToken, error) {
	return s.liveToken(ctx, token, PurposeSetPassword)
}

// liveToken looks token up and returns it when it is live and for purpose,
// else ErrNoToken; it uses nothing up.
func (s *Service) liveToken(ctx context.Context, token string, purpose Purpose) (OneTimeToken, error) {
	if len(token) != tokenChars {
		return OneTimeToken{}, ErrNoToken
	}
	t, err := s.store.GetToken(ctx, tokenKey(token))
	switch {
	case errors.Is(err, ErrNoToken):
		return OneTimeToken{}, ErrNoToken
	case err != nil:
		return OneTimeToken{}, fmt.Errorf("reading a one-time %s token: %w", purpose, err)
	}
	if err := s.live(purpose)(t); err != nil {
		return OneTimeToken{}, err
	}
	return t, nil
}

// SetPasswordWithToken uses up a set-password token: its user gets
// password, and all their sessions end. It returns the user's name. A
// password that breaks the rules leaves the token unused. ip is the
// client's address: holding the link vouches for its address group as a
// sign-in would, so the user's first sign-in from there gets its check even
// while strangers are throttled (see guard).
func (s *Service) SetPasswordWithToken(ctx context.Context, token, password, ip string) (string, error) {
	if len(token) != tokenChars {
		return "", ErrNoToken
	}
	// Checked first so that a bad token costs no bcrypt work.
	if _, err := s.PasswordToken(ctx, token); err != nil {
		return "", err
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return "", fmt.Errorf("setting a password: %w", err)
	}
	t, err := s.store.SetPasswordByToken(ctx, tokenKey(token), hash, s.live(PurposeSetPassword))
	switch {
	case errors.Is(err, ErrNoToken) || errors.Is(err, ErrNoUser):
		return "", ErrNoToken
	case err != nil:
		return "", fmt.Errorf("setting a password: %w", err)
	}
	if ip != "" {
		s.guard.vouch(addressKey(ip), t.User, s.now())
	}
	return t.User, nil
}

// live is the rule a token must pass to be used for purpose: that purpose,
// and not expired.
func (s *Service) live(purpose Purpose) func(OneTimeToken) error {
	now := s.now()
	return func(t OneTimeToken) error {
		if t.Purpose != purpose || !now.Before(t.Expires) {
			return ErrNoToken
		}
		return nil
	}
}

func (s *Service) newOneTimeToken(purpose Purpose, user, by string, now time.Time) (IssuedToken, []byte, error) {
	token, key, err := newToken()
	if err != nil {
		return IssuedToken{}, nil, err
	}
	ttl := s.tokenTTL
	if purpose == PurposeInvite {
		ttl = s.inviteTTL
	}
	return IssuedToken{Token: token, OneTimeToken: OneTimeToken{
		Purpose: purpose, User: user, By: by,
		Created: now.UTC(), Expires: now.Add(ttl).UTC(),
	}}, key, nil
}
