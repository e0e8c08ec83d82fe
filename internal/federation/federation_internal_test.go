package federation

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestPublicAddr(t *testing.T) {
	s := &Service{}
	for addr, want := range map[string]bool{
		"93.184.216.34": true, "2606:4700::1111": true,
		"127.0.0.1": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false,
		"169.254.169.254": false, "fe80::1": false, "0.0.0.0": false, "::": false, "100.64.0.1": false,
		"::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false, "fc00::1": false, "224.0.0.1": false,
	} {
		if got := s.publicAddr(netip.MustParseAddr(addr)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", addr, got, want)
		}
	}
	s.allowLoopback = true
	if !s.publicAddr(netip.MustParseAddr("127.0.0.1")) || s.publicAddr(netip.MustParseAddr("10.0.0.1")) {
		t.Error("the loopback allowance should allow loopback and nothing else")
	}
}

func TestInstanceRate(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	s := &Service{opts: Options{InstanceRate: 3}, now: func() time.Time { return now }, limits: map[string]*rateLimiter{}}
	for i := range 3 {
		if s.limited("a.example") {
			t.Fatalf("activity %d of 3 was limited", i+1)
		}
	}
	if !s.limited("a.example") {
		t.Error("a fourth activity within the minute was let through")
	}
	if s.limited("b.example") {
		t.Error("another instance was limited by the first")
	}
	now = now.Add(time.Minute)
	if s.limited("a.example") {
		t.Error("still limited a minute later")
	}
}

func TestNoteText(t *testing.T) {
	for in, want := range map[string]string{
		`<p><span class="h-card"><a href="https://h/@kay" class="u-url mention">@<span>kay</span></a></span> Great run!</p><p>Line one<br>line two</p>`:                                                                                        "@kay Great run!\n\nLine one  \nline two",
		`<p>See <a href="https://example.org/route" rel="nofollow"><span class="invisible">https://</span><span class="ellipsis">example.org/ro</span></a> and <a href="https://h/tags/run" class="mention hashtag">#<span>run</span></a></p>`: "See  https://example.org/route  and #run",
		`<script>alert(1)</script>plain &amp; simple`: "alert(1)plain & simple",
	} {
		if got := noteText(in); got != want {
			t.Errorf("noteText(%q)\n = %q\nwant %q", in, got, want)
		}
	}
}

func TestNormalizeBlock(t *testing.T) {
	for in, want := range map[string]string{
		"Spam.Example": "spam.example", "@spam.example": "spam.example", "*.spam.example": "spam.example",
		"https://h.example/users/eve": "https://h.example/users/eve",
	} {
		if got, err := NormalizeBlock(in); err != nil || got != want {
			t.Errorf("NormalizeBlock(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "localhost", "spam example", "https://", "a/b.example"} {
		if _, err := NormalizeBlock(bad); err == nil {
			t.Errorf("NormalizeBlock(%q) took it", bad)
		}
	}
	bs := []Block{{Value: "spam.example"}, {Value: "https://h.example/users/eve"}}
	for addr, want := range map[string]bool{
		"https://spam.example/users/x": true, "https://a.spam.example/x": true, "https://notspam.example/x": false,
		"https://h.example/users/eve": true, "https://h.example/users/adam": false,
	} {
		if got := blocks(bs, addr); got != want {
			t.Errorf("blocks(%s) = %v", addr, got)
		}
	}
}

func TestAddressing(t *testing.T) {
	for _, c := range []struct {
		obj  map[string]any
		want bool
	}{
		{map[string]any{"to": publicAddress}, true},
		{map[string]any{"to": []any{"https://h/users/a/followers"}, "cc": "https://x/ap/actors/kay"}, true},
		{map[string]any{"cc": []any{"as:Public"}}, true},
		{map[string]any{"to": "https://x/ap/actors/kay"}, false}, // a direct message
	} {
		if got := addressedPublicly(c.obj); got != c.want {
			t.Errorf("addressedPublicly(%v) = %v", c.obj, got)
		}
	}
	if got := strs([]any{"a", map[string]any{"id": "b"}, map[string]any{"href": "c"}, 3}); strings.Join(got, ",") != "a,b,c" {
		t.Errorf("strs = %v", got)
	}
}
