package accounts

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"
)

// DefaultInviteTTL is how long an invite link works.
const DefaultInviteTTL = 7 * 24 * time.Hour

// Invite is a pending invite as an admin sees it. ID names it for
// revoking: the hex of the key it is stored under, a SHA-256 of the token,
// from which the token cannot be found again.
type Invite struct {
	ID string
	OneTimeToken
}

// CreateInvite makes a single-use invite for an account with role, tied to
// the author profile author when it is not "" (the caller, who knows the
// site's content, has checked the profile exists). by is the admin doing
// it. The link works until it is used, revoked, or InviteTTL has passed.
// A profile that already belongs to a user is refused with ErrAuthorTaken,
// here and again when the invite is used.
func (s *Service) CreateInvite(ctx context.Context, by string, role Role, author string) (IssuedToken, error) {
	if !role.Valid() {
		return IssuedToken{}, fmt.Errorf("inviting: %w: %q", ErrBadRole, role)
	}
	if author != "" {
		all, err := s.store.ListUsers(ctx)
		if err != nil {
			return IssuedToken{}, fmt.Errorf("inviting for author %s: %w", author, err)
		}
		if err := authorFree(author)(all); err != nil {
			return IssuedToken{}, fmt.Errorf("inviting for author %s: %w", author, err)
		}
	}
	issued, key, err := s.newOneTimeToken(PurposeInvite, "", by, s.now())
	if err != nil {
		return IssuedToken{}, fmt.Errorf("inviting: %w", err)
	}
	issued.Role, issued.Author = role, author
	if err := s.store.PutInvite(ctx, key, issued.OneTimeToken); err != nil {
		return IssuedToken{}, fmt.Errorf("inviting: %w", err)
	}
	return issued, nil
}

// Invites returns the invites that still work, the soonest to expire
// first.
func (s *Service) Invites(ctx context.Context) ([]Invite, error) {
	ts, err := s.store.ListTokens(ctx, PurposeInvite)
	if err != nil {
		return nil, fmt.Errorf("listing invites: %w", err)
	}
	now := s.now()
	var out []Invite
	for _, t := range ts {
		if now.Before(t.Expires) {
			out = append(out, Invite{ID: hex.EncodeToString(t.Key), OneTimeToken: t.OneTimeToken})
		}
	}
	slices.SortFunc(out, func(a, b Invite) int {
		return cmp.Or(a.Expires.Compare(b.Expires), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// RevokeInvite makes the invite id (an Invite's ID) stop working. An id
// that names no invite, or one already used, is ErrNoToken.
func (s *Service) RevokeInvite(ctx context.Context, id string) (OneTimeToken, error) {
	key, err := hex.DecodeString(id)
	if err != nil || len(key) != len(tokenKey("")) {
		return OneTimeToken{}, ErrNoToken
	}
	t, err := s.store.GetToken(ctx, key)
	switch {
	case errors.Is(err, ErrNoToken):
		return OneTimeToken{}, ErrNoToken
	case err != nil:
		return OneTimeToken{}, fmt.Errorf("revoking an invite: %w", err)
	}
	if err := s.store.DeleteToken(ctx, key, PurposeInvite); err != nil {
		if errors.Is(err, ErrNoToken) {
			return OneTimeToken{}, ErrNoToken
		}
		return OneTimeToken{}, fmt.Errorf("revoking an invite: %w", err)
	}
	return t, nil
}

// InviteToken returns the invite token stands for, or ErrNoToken when it
// is unknown, used, revoked, expired or for something else. It uses nothing
// up: it is for showing the form.
func (s *Service) InviteToken(ctx context.Context, token string) (OneTimeToken, error) {
	return s.liveToken(ctx, token, PurposeInvite)
}

// Join uses up an invite: it makes the account name, with password and
// the invite's role and author profile, and signs it in, returning the
// session token as Login does. A name or password that breaks the rules,
// or a name already taken, leaves the invite unused. Of two joins with one
// invite at once, one succeeds and the other gets ErrNoToken. ip is the
// client's address: holding the invite vouches for its address group, as a
// set-password link does.
func (s *Service) Join(ctx context.Context, token, name, password, ip string) (string, User, error) {
	// Checked first so that a bad token costs no bcrypt work.
	invite, err := s.InviteToken(ctx, token)
	if err != nil {
		return "", User{}, err
	}
	norm, err := NormalizeName(name)
	if err != nil {
		return "", User{}, fmt.Errorf("joining: %w", err)
	}
	hash, err := s.hash(ctx, password)
	if err != nil {
		return "", User{}, fmt.Errorf("joining as %s: %w", norm, err)
	}
	now := s.now()
	u := User{Name: norm, Role: invite.Role, Author: invite.Author, Created: now.UTC()}
	session, sessionKey, err := newToken()
	if err != nil {
		return "", User{}, fmt.Errorf("joining as %s: %w", norm, err)
	}
	sess := Session{User: norm, Created: now.UTC(), Expires: now.Add(s.sessionTTL).UTC()}
	live := s.live(PurposeInvite)
	check := func(t OneTimeToken, all []User) error {
		if err := live(t); err != nil {
			return err
		}
		if t.Role != u.Role || t.Author != u.Author {
			return ErrNoToken // not the invite read above: tokens never change
		}
		if t.Author == "" {
			return nil
		}
		return authorFree(t.Author)(all)
	}
	_, err = s.store.AddUserByToken(ctx, tokenKey(token), UserRecord{User: u, PasswordHash: hash}, sessionKey, sess, check)
	if err != nil {
		if errors.Is(err, ErrNoToken) {
			return "", User{}, ErrNoToken
		}
		return "", User{}, fmt.Errorf("joining as %s: %w", norm, err)
	}
	if ip != "" {
		s.guard.vouch(addressKey(ip), norm, now)
	}
	return session, u, nil
}

// SetAuthor ties a user to the author profile author (the caller, who
// knows the site's content, has checked it exists), or to none for "".
// A profile another user has is refused with ErrAuthorTaken.
func (s *Service) SetAuthor(ctx context.Context, name, author string) error {
	norm, err := NormalizeName(name)
	if err != nil {
		return fmt.Errorf("setting an author profile: %w", err)
	}
	var check func([]User) error
	if author != "" {
		check = authorFreeFor(norm, author)
	}
	if err := s.store.SetAuthor(ctx, norm, author, check); err != nil {
		return fmt.Errorf("setting the author profile of %s: %w", norm, err)
	}
	return nil
}

// authorFree is the rule that an author profile belongs to one user at
// most: given every user, it refuses author with ErrAuthorTaken if one of
// them has it.
func authorFree(author string) func(all []User) error { return authorFreeFor("", author) }

// authorFreeFor is authorFree for giving author to the user name, who may
// have it already.
func authorFreeFor(name, author string) func(all []User) error {
	return func(all []User) error {
		for _, u := range all {
			if u.Author == author && u.Name != name {
				return fmt.Errorf("%w (%s)", ErrAuthorTaken, u.Name)
			}
		}
		return nil
	}
}
