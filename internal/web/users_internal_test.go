package web

import (
	"fmt"
	"go/ast"
	"go/token"
	"strconv"
	"strings"
	"testing"
	"time"

	"milepost/internal/accounts"
)

// Issue 7 item 27: what sign-in and the account pages tell people is said
// once, in problemTable. The handlers used to write the same sentences
// themselves (sign-in, its throttle, the session check, the last-admin
// rule, a second table in users.go), so a change to one left the other.
// This checks every account error has its answer in the table, and that no
// other file of the package spells out a sentence of those answers.
func TestAccountWordingLivesInTheTable(t *testing.T) {
	errs := map[string]error{
		"no session":         accounts.ErrNoSession,
		"not allowed":        errNotAllowed,
		"bad credentials":    accounts.ErrBadCredentials,
		"busy":               &accounts.ThrottledError{RetryAfter: time.Second, Busy: true},
		"throttled":          &accounts.ThrottledError{RetryAfter: 90 * time.Second},
		"no token":           accounts.ErrNoToken,
		"last admin":         accounts.ErrLastAdmin,
		"bad name":           accounts.ErrBadName,
		"bad role":           accounts.ErrBadRole,
		"user exists":        accounts.ErrUserExists,
		"password too short": accounts.ErrPasswordTooShort,
		"password too long":  accounts.ErrPasswordTooLong,
		"passwords differ":   errPasswordsDiffer,
		"no user":            accounts.ErrNoUser,
		"wrapped":            fmt.Errorf("removing user coach: %w", accounts.ErrLastAdmin),
	}
	var messages []string
	for what, err := range errs {
		p, ok := problemOf(err, time.UTC)
		if !ok || p.Status == 0 || p.Message == "" {
			t.Errorf("%s: no answer in problemTable (%+v, %v)", what, p, ok)
			continue
		}
		if strings.Contains(p.Message, "%") {
			t.Errorf("%s: the message is not filled in: %q", what, p.Message)
		}
		messages = append(messages, p.Message)
	}
	if p, _ := problemOf(errs["throttled"], time.UTC); p.RetryAfter != 90*time.Second || !strings.Contains(p.Message, "1m30s") {
		t.Errorf("throttled for 90 s: Retry-After %v, message %q", p.RetryAfter, p.Message)
	}

	inspectSources(t, func(fset *token.FileSet, n ast.Node) {
		lit, ok := n.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return
		}
		s, err := strconv.Unquote(lit.Value)
		// Short strings (a page title, a field name) may well recur;
		// a sentence should not.
		if err != nil || len(s) < 20 {
			return
		}
		for _, m := range messages {
			if strings.Contains(m, s) {
				t.Errorf("%s: %q is also in problemTable's answer %q", fset.Position(lit.Pos()), s, m)
			}
		}
	})
}
