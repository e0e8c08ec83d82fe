package comments

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"milepost/internal/content"
)

func TestSplitWords(t *testing.T) {
	for in, want := range map[string][]string{
		"Buy NOW!!":                     {"buy", "now"},
		"https://cash.example/x?y":      {"https", "cash", "example", "x", "y"},
		"don't":                         {"don", "t"},
		"Café au lait, s'il vous":       {"café", "au", "lait", "s", "il", "vous"},
		"  ":                            nil,
		"$$$ !!!":                       nil,
		"run_club 10k":                  {"run", "club", "10k"},
		"ÉCOLE":                         {"école"},
		"e\u0301cole (combining)":       {"e\u0301cole", "combining"},
		"line\nbreak\ttab":              {"line", "break", "tab"},
		"numbers 42 and 4.2":            {"numbers", "42", "and", "4", "2"},
		"hyphen-ated":                   {"hyphen", "ated"},
		"emoji 🏃 runner":                {"emoji", "runner"},
		"mixed CASE Words":              {"mixed", "case", "words"},
		"trailing punctuation...":       {"trailing", "punctuation"},
		"\u00a0non-breaking\u00a0space": {"non", "breaking", "space"},
	} {
		got := splitWords(in)
		if len(got) == 0 {
			got = nil
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("splitWords(%q) (-want +got):\n%s", in, diff)
		}
	}
}

func TestFindWord(t *testing.T) {
	list := []string{"cash", " Buy Now ", "s-e-x"}
	for _, tc := range []struct {
		texts []string
		want  string
	}{
		{[]string{"Fast CASH"}, "cash"},
		{[]string{"cashew nuts"}, ""},
		{[]string{"I will buy\n\nnow"}, "Buy Now"},
		{[]string{"buy it now"}, ""},
		{[]string{"S E X"}, "s-e-x"},
		{[]string{"buy", "now"}, ""}, // a phrase does not span two fields
		{[]string{"", "name: cash"}, "cash"},
	} {
		got, ok := findWord(list, tc.texts...)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("findWord(%q) = %q, %v; want %q", tc.texts, got, ok, tc.want)
		}
	}
	if _, ok := findWord(nil, "anything"); ok {
		t.Error("an empty list matched")
	}
}

func TestCountLinks(t *testing.T) {
	for md, want := range map[string]int{
		"no links":                         0,
		"[a](https://a.example/)":          1,
		"bare https://a.example/ and more": 1,
		"![img](https://a.example/x.png)":  1,
		"<mailto:a@example.org>":           1,
		"[bad](javascript:alert(1))":       0,
		"`https://a.example/` in code":     0,
		"[a](https://a.example) [b](http://b.example) https://c.example": 3,
	} {
		if got := countLinks(Render(md)); got != want {
			t.Errorf("countLinks(Render(%q)) = %d, want %d (%s)", md, got, want, Render(md))
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	if err := DefaultPolicy().Validate(); err != nil {
		t.Errorf("DefaultPolicy: %v", err)
	}
	if err := (Policy{}).Validate(); err != nil {
		t.Errorf("zero Policy: %v", err)
	}
	for _, p := range []Policy{
		{Moderation: "sometimes"},
		{LinkLimit: -1},
		{CloseAfter: -time.Hour},
		{EditWindow: -time.Minute},
		{DuplicateWindow: -time.Minute},
		{HoldWords: []string{"ok", "!!!"}},
		{RejectWords: []string{""}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil", p)
		}
	}
	// A Service with an invalid policy refuses to work rather than apply
	// half of it.
	s := New(newMemStore(), Options{Policy: func() Policy { return Policy{LinkLimit: -1} }})
	if _, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: "hi"}, Author{}); !errors.Is(err, errNoPolicy) {
		t.Errorf("Post with an invalid policy = %v", err)
	}
}

// policyOf is the conversion Policy's doc comment gives the app.
func policyOf(s content.CommentSettings) Policy {
	return Policy{
		Closed:          !s.Enabled,
		Moderation:      Moderation(s.Moderation),
		LinkLimit:       s.LinkLimit,
		HoldWords:       s.HoldWords,
		RejectWords:     s.RejectWords,
		CloseAfter:      time.Duration(s.CloseAfterDays) * 24 * time.Hour,
		EditWindow:      time.Duration(s.EditMinutes) * time.Minute,
		DuplicateWindow: time.Duration(s.DuplicateMinutes) * time.Minute,
	}
}

// TestSiteSettingsDefaultsArePolicyDefaults keeps site.yaml's defaults and
// DefaultPolicy the same, and the moderation names too.
func TestSiteSettingsDefaultsArePolicyDefaults(t *testing.T) {
	if diff := cmp.Diff(DefaultPolicy(), policyOf(content.DefaultCommentSettings())); diff != "" {
		t.Errorf("content defaults differ from DefaultPolicy (-policy +content):\n%s", diff)
	}
	for _, m := range []string{content.ModerationOpen, content.ModerationFirstTime, content.ModerationAll} {
		if err := (Policy{Moderation: Moderation(m)}).Validate(); err != nil {
			t.Errorf("content's moderation %q: %v", m, err)
		}
	}
}

func TestNormalizeBan(t *testing.T) {
	for _, tc := range []struct {
		kind     BanKind
		in, want string
	}{
		{BanEmail, " Kay@Example.ORG ", "kay@example.org"},
		{BanIP, "192.0.2.1", "192.0.2.1"},
		{BanIP, "::ffff:192.0.2.1", "192.0.2.1"},
		{BanIP, "2001:DB8::1", "2001:db8::1"},
		{BanIP, "192.0.2.77/24", "192.0.2.0/24"},
		{BanIP, "2001:db8:1:2:3::/64", "2001:db8:1:2::/64"},
		{BanIP, "192.0.2.1/32", "192.0.2.1"},
		{BanIP, "::ffff:192.0.2.0/120", "192.0.2.0/24"},
	} {
		got, err := NormalizeBan(tc.kind, tc.in)
		if err != nil || got != tc.want {
			t.Errorf("NormalizeBan(%s, %q) = %q, %v; want %q", tc.kind, tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		kind BanKind
		in   string
	}{
		{BanEmail, ""}, {BanEmail, "Kay <kay@example.org>"}, {BanIP, "example.org"}, {BanIP, "192.0.2.0/33"},
		{BanIP, "::ffff:192.0.2.0/64"}, {"name", "Kay"},
	} {
		if got, err := NormalizeBan(tc.kind, tc.in); err == nil {
			t.Errorf("NormalizeBan(%s, %q) = %q, want an error", tc.kind, tc.in, got)
		}
	}
}

func TestBanMatchesAndActive(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	email := Ban{Kind: BanEmail, Value: "kay@example.org", Until: now.Add(time.Hour)}
	if !email.Matches("KAY@example.org", "") || email.Matches("", "192.0.2.1") || email.Matches("ka@example.org", "") {
		t.Error("email ban matches the wrong writers")
	}
	if !email.Active(now) || email.Active(now.Add(time.Hour)) || !(Ban{}).Active(now.AddDate(100, 0, 0)) {
		t.Error("Active is wrong about the end of a ban")
	}
	network := Ban{Kind: BanIP, Value: "192.0.2.0/24"}
	if !network.Matches("", "192.0.2.200") || !network.Matches("", "::ffff:192.0.2.1") || network.Matches("", "192.0.3.1") ||
		network.Matches("", "") || network.Matches("kay@example.org", "nonsense") {
		t.Error("network ban matches the wrong addresses")
	}
	if !(Ban{Kind: BanIP, Value: "2001:db8::1"}).Matches("", "2001:DB8:0::1") {
		t.Error("IPv6 ban does not match the same address written differently")
	}
}

func TestBanError(t *testing.T) {
	err := error(&BanError{Reason: "spam", Until: time.Date(2027, 1, 2, 3, 4, 0, 0, time.UTC)})
	if !errors.Is(err, ErrBanned) {
		t.Error("BanError does not match ErrBanned")
	}
	if want := "you may not comment on this site until 2 January 2027 03:04 UTC: spam"; err.Error() != want {
		t.Errorf("Error() = %q, want %q", err, want)
	}
	if got := (&BanError{}).Error(); got != "you may not comment on this site" {
		t.Errorf("Error() = %q", got)
	}
}

func TestPageBounds(t *testing.T) {
	for _, tc := range []struct{ page, per, off, lim int }{
		{1, 10, 0, 10}, {3, 10, 20, 10}, {0, 10, 0, 10}, {-5, 10, 0, 10},
		{2, 0, DefaultPerPage, DefaultPerPage}, {1, 1 << 30, 0, MaxPerPage},
		{1 << 40, MaxPerPage, ((1 << 20) - 1) * MaxPerPage, MaxPerPage},
	} {
		if off, lim := pageBounds(tc.page, tc.per); off != tc.off || lim != tc.lim {
			t.Errorf("pageBounds(%d, %d) = %d, %d; want %d, %d", tc.page, tc.per, off, lim, tc.off, tc.lim)
		}
	}
}

// TestPublicCommentHasNothingPrivate guards the feed-safe view: a field
// added to it later must not be one of the private ones.
func TestPublicCommentHasNothingPrivate(t *testing.T) {
	typ := reflect.TypeFor[PublicComment]()
	for i := range typ.NumField() {
		switch name := typ.Field(i).Name; name {
		case "Email", "IP", "CommenterID", "HoldReason", "Source", "Status":
			t.Errorf("PublicComment has %s", name)
		}
	}
	c := Comment{ID: 1, Name: "Kay", Email: "kay@example.org", IP: "192.0.2.1", CommenterID: "x", Body: "b", HTML: "<p>b</p>"}
	p := c.Public()
	if text := fmt.Sprintf("%+v", p); p.ID != 1 || p.Name != "Kay" || p.HTML != "<p>b</p>" ||
		strings.Contains(text, "192.0.2.1") || strings.Contains(text, "kay@example.org") {
		t.Errorf("Public() = %s", text)
	}
}

func TestLongestBan(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	short := Ban{Value: "short", Until: now.Add(time.Hour)}
	long := Ban{Value: "long", Until: now.Add(48 * time.Hour)}
	ever := Ban{Value: "ever"}
	over := Ban{Value: "over", Until: now}
	for _, tc := range []struct {
		bans []Ban
		want string
	}{
		{nil, ""},
		{[]Ban{over}, ""},
		{[]Ban{short, long, over}, "long"},
		{[]Ban{long, short}, "long"},
		{[]Ban{short, ever, long}, "ever"},
	} {
		got := longestBan(tc.bans, now)
		if (got == nil) != (tc.want == "") || (got != nil && got.Value != tc.want) {
			t.Errorf("longestBan(%v) = %v, want %q", tc.bans, got, tc.want)
		}
	}
}

func TestHoldReasonsOverModeration(t *testing.T) {
	st := newMemStore()
	p := DefaultPolicy()
	p.Moderation = ModerationAll
	p.HoldWords = []string{"casino"}
	s := New(st, Options{Now: func() time.Time { return now }, Policy: func() Policy { return p }})
	c, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: "casino"}, Author{IP: "192.0.2.1"})
	if err != nil || c.Status != StatusPending || c.HoldReason != "contains “casino”" {
		t.Errorf("Post = %+v, %v; want held for the word, not the mode", c, err)
	}
	if _, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: "hi"}, Author{CommenterID: "bad id"}); err == nil {
		t.Error("a commenter id with a space was accepted")
	}
}
