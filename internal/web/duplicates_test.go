package web_test

import (
	"net/http"
	"testing"
)

// TestTheSameCommentFromOneIPv6Slash64IsADuplicate: duplicate detection
// keyed the exact address, so a writer rotating through their /64 posted
// the same text again and again. Now one /64 is one writer
// (clientaddr.Key), as for the rate limit; another /64 is someone else.
func TestTheSameCommentFromOneIPv6Slash64IsADuplicate(t *testing.T) {
	h := newHarness(t, massageSite(""), withTrustedProxy("127.0.0.1"))
	post := func(ip string) response {
		return h.postForm("/posts/massage/comments", commentForm("Kay", "Great post, read it twice!"), "X-Forwarded-For", ip)
	}
	heldID(t, post("2001:db8:1:2::1"))
	for _, ip := range []string{"2001:db8:1:2::2", "2001:db8:1:2:ffff:ffff:ffff:ffff"} {
		res := post(ip)
		if res.status != http.StatusUnprocessableEntity {
			t.Fatalf("the same comment from %s, in the same /64: %d, want 422", ip, res.status)
		}
		mustContain(t, "duplicate from "+ip, res.body, "You have just posted this same comment")
	}
	heldID(t, post("2001:db8:1:3::1")) // another /64: another writer
}
