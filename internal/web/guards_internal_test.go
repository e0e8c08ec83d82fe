package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/comments"
)

func TestAFullRateLimitTableStillLimits(t *testing.T) {
	l := newBoundedLimiter(1, time.Minute, 3)
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		if ok, _ := l.allow(limitComment, "192.0.2."+strconv.Itoa(i), now); !ok {
			t.Fatalf("address %d refused its first comment", i)
		}
	}
	// The table is full of addresses that are still waiting. Newcomers are
	// not let through unlimited: they share one allowance.
	allowed := 0
	for i := range 100 {
		if ok, wait := l.allow(limitComment, "198.51.100."+strconv.Itoa(i), now); ok {
			allowed++
		} else if wait <= 0 {
			t.Fatalf("a refusal without a wait")
		}
	}
	if allowed != 1 {
		t.Errorf("100 newcomers to a full table: %d allowed, want 1", allowed)
	}
	if len(l.buckets) > 3 {
		t.Errorf("the table grew to %d buckets, past its bound of 3", len(l.buckets))
	}
	// Those already in the table keep being limited.
	if ok, _ := l.allow(limitComment, "192.0.2.0", now); ok {
		t.Error("a known address got a second comment at once")
	}
	// Once buckets have refilled they are forgotten, and newcomers get
	// their own again.
	later := now.Add(time.Minute)
	if ok, _ := l.allow(limitComment, "203.0.113.9", later); !ok {
		t.Error("a newcomer a minute later was refused")
	}
}

func TestTheUsedFormSetIsBoundedAndNeverForgetsIntoAReplay(t *testing.T) {
	u := newUsedForms(2)
	t0 := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	for i, token := range []string{"a", "b", "c"} {
		if got := u.claim(token, at(i), time.Time{}); got != formFresh {
			t.Fatalf("claiming %s: %v, want fresh", token, got)
		}
	}
	if len(u.tokens) > 2 {
		t.Errorf("the set holds %d tokens, past its bound of 2", len(u.tokens))
	}
	// "a" was forgotten to make room, but it cannot be replayed: a form
	// served that long ago now counts as used.
	if got := u.claim("a", at(0), time.Time{}); got == formFresh {
		t.Error("a forgotten token posted again")
	}
	if got := u.claim("c", at(2), time.Time{}); got != formUsed {
		t.Errorf("claiming c again: %v, want used", got)
	}
	// A released token (its comment was not posted) can be sent again.
	u.release("c")
	if got := u.claim("c", at(2), time.Time{}); got != formFresh {
		t.Errorf("claiming c after its release: %v, want fresh", got)
	}
	// Expired forms leave the set by themselves.
	u.claim("d", at(3), at(3))
	if _, ok := u.tokens["b"]; ok {
		t.Error("an expired token is still remembered")
	}
}

func TestEveryDomainRefusalHasOneAnswer(t *testing.T) {
	for _, tc := range []struct {
		err    error
		status int
	}{
		{comments.ErrNoPost, http.StatusNotFound},
		{comments.ErrNotFound, http.StatusNotFound},
		{comments.ErrNotBanned, http.StatusNotFound},
		{comments.ErrClosed, http.StatusForbidden},
		{&comments.BanError{Reason: "spam"}, http.StatusForbidden},
		{comments.ErrNotYours, http.StatusForbidden},
		{comments.ErrEditWindowPassed, http.StatusForbidden},
		{comments.ErrHasReplies, http.StatusConflict},
		{comments.FieldErrors{"body": "Please write a comment."}, http.StatusUnprocessableEntity},
		{comments.ErrDuplicate, http.StatusUnprocessableEntity},
		{accounts.ErrBadCredentials, http.StatusUnauthorized},
		{accounts.ErrNoSession, http.StatusUnauthorized},
		{&accounts.ThrottledError{RetryAfter: time.Minute}, http.StatusTooManyRequests},
		{&waitError{errTooManyChanges, time.Second}, http.StatusTooManyRequests},
	} {
		// Handlers see domain errors wrapped with what was being done.
		wrapped := fmt.Errorf("editing comment 7: %w", tc.err)
		p, ok := problemOf(wrapped, time.UTC)
		if !ok || p.Status != tc.status || p.Heading == "" || p.Message == "" {
			t.Errorf("%v: %+v (known %v), want status %d with a heading and a message", tc.err, p, ok, tc.status)
		}
	}
	if _, ok := problemOf(errors.New("write milepost.db: no space left on device"), time.UTC); ok {
		t.Error("a store failure was taken for a refusal of the reader")
	}
}
