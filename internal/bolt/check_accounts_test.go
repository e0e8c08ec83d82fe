package bolt

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"milepost/internal/accounts"
)

// A database with users and sessions, live and expired, passes Check, and
// still does after a password change and a removal, which take sessions with
// them.
func TestCheckPassesHealthyAccounts(t *testing.T) {
	ctx := context.Background()
	db := openUnchecked(t)
	fillAccountsForCheck(t, db)
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check with users and sessions: %v", err)
	}

	s, clk := newAccountService(t, db)
	if _, err := s.Add(ctx, "lee", accounts.RoleModerator, accountPW); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, _, err := s.Login(ctx, "lee", accountPW, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	clk.Add(s.SessionTTL() + time.Hour) // every session so far has expired
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check with expired sessions: %v", err)
	}
	if err := s.SetPassword(ctx, "kay", accountOtherPW); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove(ctx, "dana"); err != nil {
		t.Fatal(err)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatalf("Check after SetPassword and Remove: %v", err)
	}
	if n := accountSessionsOf(t, db, ""); n != 2 {
		t.Errorf("%d sessions left, want lee's 2", n)
	}
}

// TestCheckFindsAccountCorruption corrupts the account buckets one way at a
// time, behind the store's back, and expects Check to say what is wrong.
func TestCheckFindsAccountCorruption(t *testing.T) {
	cases := []struct {
		name    string
		corrupt func(b buckets) error
		want    string
	}{
		{"undecodable user", func(b buckets) error {
			return putAccountEntry(b, bucketAccountUsers, []byte("kay"), []byte("{"))
		}, `account_users: "kay": unexpected end of JSON input`},
		{"user under another user's key", func(b buckets) error {
			return rewriteUser(b, "kay", func(u *accounts.UserRecord) { u.Name = "dana" })
		}, `account_users: key "kay" holds the user "dana"`},
		{"user under a key that is not lowercased", func(b buckets) error {
			return moveAccountEntry(b, bucketAccountUsers, []byte("kay"), []byte("Kay"))
		}, `account_users: key "Kay" holds the user "kay"`},
		{"user name not lowercase", func(b buckets) error {
			if err := moveAccountEntry(b, bucketAccountUsers, []byte("kay"), []byte("Kay")); err != nil {
				return err
			}
			return rewriteUser(b, "Kay", func(u *accounts.UserRecord) { u.Name = "Kay" })
		}, `account_users: "Kay": user name "Kay" is not lowercase`},
		{"user name invalid", func(b buckets) error {
			if err := moveAccountEntry(b, bucketAccountUsers, []byte("kay"), []byte("k y")); err != nil {
				return err
			}
			return rewriteUser(b, "k y", func(u *accounts.UserRecord) { u.Name = "k y" })
		}, `account_users: "k y": ` + accounts.ErrBadName.Error()},
		{"invalid role", func(b buckets) error {
			return rewriteUser(b, "kay", func(u *accounts.UserRecord) { u.Role = "root" })
		}, `account_users: user "kay" has role "root"`},
		{"no role", func(b buckets) error {
			return rewriteUser(b, "dana", func(u *accounts.UserRecord) { u.Role = "" })
		}, `account_users: user "dana" has role ""`},
		{"empty password hash", func(b buckets) error {
			return rewriteUser(b, "kay", func(u *accounts.UserRecord) { u.PasswordHash = nil })
		}, `account_users: user "kay" has no password hash`},
		{"session key too short", func(b buckets) error {
			return moveAccountEntry(b, bucketAccountSessions, sessionKey("kay-1"), sessionKey("kay-1")[:16])
		}, "is 16 bytes, not 32"},
		{"undecodable session", func(b buckets) error {
			return putAccountEntry(b, bucketAccountSessions, sessionKey("kay-1"), []byte("{not json"))
		}, "account_sessions: key " + hexKey("kay-1") + ": invalid character"},
		{"session outlives its user", func(b buckets) error {
			return deleteAccountEntry(b, bucketAccountUsers, []byte("dana"))
		}, "account_sessions: key " + hexKey("dana-1") + ` is a session of "dana", who does not exist`},
		{"session of a user never added", func(b buckets) error {
			return putSessionRaw(b, sessionKey("ghost-1"), accounts.Session{User: "ghost", Created: accountT0, Expires: accountT0.Add(time.Hour)})
		}, "account_sessions: key " + hexKey("ghost-1") + ` is a session of "ghost", who does not exist`},
		{"token key too short", func(b buckets) error {
			return moveAccountEntry(b, bucketAccountTokens, sessionKey("dana-link"), sessionKey("dana-link")[:16])
		}, "account_tokens: key " + hexKey("dana-link")[:32] + ": session key is 16 bytes, not 32"},
		{"undecodable token", func(b buckets) error {
			return putAccountEntry(b, bucketAccountTokens, sessionKey("dana-link"), []byte("{not json"))
		}, "account_tokens: key " + hexKey("dana-link") + ": decoding a one-time token: invalid character"},
		{"token of an unknown purpose", func(b buckets) error {
			link := danaLink
			link.Purpose = "sudo"
			return putTokenRaw(b, sessionKey("dana-link"), link)
		}, "account_tokens: key " + hexKey("dana-link") + ` has the unknown purpose "sudo"`},
		{"token outlives its user", func(b buckets) error {
			return deleteAccountEntry(b, bucketAccountUsers, []byte("dana"))
		}, "account_tokens: key " + hexKey("dana-link") + ` is a token of "dana", who does not exist`},
		{"session of a user name not normalized", func(b buckets) error {
			return putSessionRaw(b, sessionKey("kay-1"), accounts.Session{User: "Kay", Created: accountT0, Expires: accountT0.Add(time.Hour)})
		}, `is a session of "Kay", who does not exist`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkCatches(t, fillAccountsForCheck, tc.corrupt, tc.want)
		})
	}
}

// A user whose record cannot be read is reported once; its sessions still
// have a user, so they are not reported as orphans too.
func TestCheckReportsUndecodableUserOnce(t *testing.T) {
	db := openUnchecked(t)
	fillAccountsForCheck(t, db)
	err := db.bolt.Update(func(tx *bbolt.Tx) error {
		return putAccountEntry(bucketsOf(tx), bucketAccountUsers, []byte("kay"), []byte("{"))
	})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Check(context.Background())
	if err == nil {
		t.Fatal("Check passed an undecodable user")
	}
	if msg := err.Error(); !containsAll(msg, "1 problem(s)", `account_users: "kay"`) {
		t.Errorf("Check = %v", err)
	}
}

// fillAccountsForCheck stores kay, an admin, with two sessions, one of them
// expired, and dana, a moderator, with one; plus a comment, so the account
// checks run beside the others. Session keys are sessionKey("<user>-<n>").
func fillAccountsForCheck(t *testing.T, db *DB) {
	t.Helper()
	ctx := context.Background()
	add(t, db, newComment("p", 0))
	for _, u := range []accounts.UserRecord{
		userRecord(t, "kay", accounts.RoleAdmin),
		userRecord(t, "dana", accounts.RoleModerator),
	} {
		if err := db.AddUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		n := 1
		if u.Name == "kay" {
			n = 2
		}
		for i := range n {
			s := accounts.Session{User: u.Name, Created: accountT0, Expires: accountT0.Add(time.Hour)}
			if i == 1 {
				s.Expires = accountT0.Add(-time.Minute) // expired, not yet pruned
			}
			key := sessionKey(fmt.Sprintf("%s-%d", u.Name, i+1))
			if err := db.PutSession(ctx, key, s, u.PasswordHash); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := db.PutToken(ctx, sessionKey("dana-link"), danaLink); err != nil {
		t.Fatal(err)
	}
}

// danaLink is the set-password token fillAccountsForCheck stores for dana
// under sessionKey("dana-link").
var danaLink = accounts.OneTimeToken{Purpose: accounts.PurposeSetPassword, User: "dana", By: "kay",
	Created: accountT0, Expires: accountT0.Add(time.Hour)}

func putTokenRaw(b buckets, key []byte, t accounts.OneTimeToken) error {
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return putAccountEntry(b, bucketAccountTokens, key, v)
}

// accountBucket returns one of the account buckets in b's transaction,
// making it if need be; buckets does not hold them, since they are optional.
func accountBucket(b buckets, name []byte) (*bbolt.Bucket, error) {
	return b.meta.Tx().CreateBucketIfNotExists(name)
}

func putAccountEntry(b buckets, name, k, v []byte) error {
	bk, err := accountBucket(b, name)
	if err != nil {
		return err
	}
	return bk.Put(k, v)
}

func deleteAccountEntry(b buckets, name, k []byte) error {
	bk, err := accountBucket(b, name)
	if err != nil {
		return err
	}
	return bk.Delete(k)
}

// moveAccountEntry stores the value under from under to instead.
func moveAccountEntry(b buckets, name, from, to []byte) error {
	bk, err := accountBucket(b, name)
	if err != nil {
		return err
	}
	v := bk.Get(from)
	if v == nil {
		return accounts.ErrNoUser
	}
	v = append([]byte(nil), v...) // bbolt's bytes are only valid until the Delete
	if err := bk.Delete(from); err != nil {
		return err
	}
	return bk.Put(to, v)
}

// rewriteUser edits the record stored under key and stores it back there,
// whatever its name now says.
func rewriteUser(b buckets, key string, edit func(*accounts.UserRecord)) error {
	users, err := accountBucket(b, bucketAccountUsers)
	if err != nil {
		return err
	}
	var u accounts.UserRecord
	if err := json.Unmarshal(users.Get([]byte(key)), &u); err != nil {
		return err
	}
	edit(&u)
	data, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return users.Put([]byte(key), data)
}

func putSessionRaw(b buckets, key []byte, s accounts.Session) error {
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return putAccountEntry(b, bucketAccountSessions, key, data)
}

// hexKey is sessionKey(s) as Check's report spells it.
func hexKey(s string) string { return fmt.Sprintf("%x", sessionKey(s)) }

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
