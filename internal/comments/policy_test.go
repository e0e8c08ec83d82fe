package comments

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
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
		// The words come in their match form; this test is about where
		// one word ends and the next begins.
		for i, w := range want {
			want[i] = matchForm(w)
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

func TestSettingsValidate(t *testing.T) {
	def := DefaultSettings()
	if err := def.Validate(); err != nil {
		t.Errorf("DefaultSettings: %v", err)
	}
	if def.Moderation != ModerationFirstTime || !def.Enabled || def.LinkLimit != 2 || def.EditMinutes != 15 || def.DuplicateMinutes != 10 {
		t.Errorf("DefaultSettings = %+v", def)
	}
	tidy := Settings{Moderation: " Open ", HoldWords: []string{" casino "}, RejectWords: []string{}}
	if err := tidy.Validate(); err != nil || tidy.Moderation != ModerationOpen || tidy.HoldWords[0] != "casino" || tidy.RejectWords != nil {
		t.Errorf("Validate tidied to %+v, %v", tidy, err)
	}
	for _, tc := range []struct {
		s    Settings
		want string
	}{
		{Settings{Moderation: "sometimes"}, "comments.moderation"},
		{Settings{LinkLimit: -1}, "comments.link_limit is -1"},
		{Settings{LinkLimit: 1001}, "comments.link_limit is 1001"},
		{Settings{CloseAfterDays: -1}, "comments.close_after_days"},
		{Settings{EditMinutes: -1}, "comments.edit_minutes"},
		{Settings{DuplicateMinutes: 1 << 30}, "comments.duplicate_minutes"},
		{Settings{HoldWords: []string{"ok", "!!!"}}, "comments.hold_words entry 2"},
		{Settings{RejectWords: []string{""}}, "comments.reject_words entry 1"},
		{Settings{RejectWords: []string{"\u200b"}}, "comments.reject_words entry 1"},
	} {
		if err := tc.s.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want an error naming %q", tc.s, err, tc.want)
		}
	}
	// A Service with invalid settings refuses to work rather than apply
	// half of them.
	s := New(newMemStore(), Options{Settings: func() Settings { return Settings{Enabled: true, LinkLimit: -1} }})
	if _, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: "hi"}, Author{}); !errors.Is(err, errBadSettings) {
		t.Errorf("Post with invalid settings = %v", err)
	}
}

// TestSettingsReadFromYAMLAndTOML reads the comments: block as site.yaml (or a
// TOML site file) spells it, over the defaults, as content does.
func TestSettingsReadFromYAMLAndTOML(t *testing.T) {
	want := Settings{Enabled: false, Moderation: ModerationAll, LinkLimit: 0, HoldWords: []string{"casino"},
		RejectWords: []string{"idiot"}, CloseAfterDays: 30, EditMinutes: 5, DuplicateMinutes: 15}
	y := DefaultSettings()
	err := yaml.Unmarshal([]byte("enabled: false\nmoderation: all\nlink_limit: 0\nhold_words: [casino]\n"+
		"reject_words: [idiot]\nclose_after_days: 30\nedit_minutes: 5\nduplicate_minutes: 15\n"), &y)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, y); diff != "" {
		t.Errorf("from YAML (-want +got):\n%s", diff)
	}
	tm := DefaultSettings()
	_, err = toml.Decode("enabled = false\nmoderation = \"all\"\nlink_limit = 0\nhold_words = [\"casino\"]\n"+
		"reject_words = [\"idiot\"]\nclose_after_days = 30\nedit_minutes = 5\nduplicate_minutes = 15\n", &tm)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, tm); diff != "" {
		t.Errorf("from TOML (-want +got):\n%s", diff)
	}
	partial := DefaultSettings()
	if err := yaml.Unmarshal([]byte("moderation: open\n"), &partial); err != nil {
		t.Fatal(err)
	}
	if partial.LinkLimit != 2 || !partial.Enabled || partial.Moderation != ModerationOpen {
		t.Errorf("absent keys lost their defaults: %+v", partial)
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
	by := func(email, ip string) *Comment { return &Comment{Email: email, IP: ip} }
	email := Ban{Kind: BanEmail, Value: "kay@example.org", Until: now.Add(time.Hour)}
	if !email.Matches(by("KAY@example.org", "")) || email.Matches(by("", "192.0.2.1")) || email.Matches(by("ka@example.org", "")) {
		t.Error("email ban matches the wrong writers")
	}
	if !email.Active(now) || email.Active(now.Add(time.Hour)) || !(Ban{}).Active(now.AddDate(100, 0, 0)) {
		t.Error("Active is wrong about the end of a ban")
	}
	network := Ban{Kind: BanIP, Value: "192.0.2.0/24"}
	if !network.Matches(by("", "192.0.2.200")) || !network.Matches(by("", "::ffff:192.0.2.1")) || network.Matches(by("", "192.0.3.1")) ||
		network.Matches(by("", "")) || network.Matches(by("kay@example.org", "nonsense")) {
		t.Error("network ban matches the wrong addresses")
	}
	if !(Ban{Kind: BanIP, Value: "2001:db8::1"}).Matches(by("", "2001:DB8:0::1")) {
		t.Error("IPv6 ban does not match the same address written differently")
	}
}

// A moderator bans a fediverse account by its actor's address, or a whole
// server by its domain, which covers its subdomains but no look-alikes.
func TestFediverseBansMatchTheAccountOrItsServer(t *testing.T) {
	from := func(actor string) *Comment { return &Comment{Actor: actor, IP: "192.0.2.1"} }
	account := Ban{Kind: BanFediverse, Value: "https://social.example/users/troll"}
	server := Ban{Kind: BanFediverse, Value: "spam.example"}
	for _, c := range []struct {
		ban   Ban
		actor string
		want  bool
	}{
		{account, "https://social.example/users/troll", true},
		{account, "HTTPS://Social.EXAMPLE/users/troll", true},
		{account, "https://social.example/users/trolls", false},
		{account, "https://social.example/users/kay", false},
		{account, "", false},
		{server, "https://spam.example/users/a", true},
		{server, "https://eu.spam.example/users/b", true},
		{server, "https://SPAM.example:8443/users/c", true},
		{server, "https://notspam.example/users/d", false},
		{server, "https://spam.example.org/users/e", false},
		{server, "", false},
	} {
		if got := c.ban.Matches(from(c.actor)); got != c.want {
			t.Errorf("ban %s matches %q: %v, want %v", c.ban.Value, c.actor, got, c.want)
		}
	}
	// A reader who typed the server's name as an email or website is not
	// a fediverse account.
	if server.Matches(&Comment{Email: "x@spam.example", Website: "https://spam.example/"}) {
		t.Error("a fediverse ban matched a comment written on the site")
	}
	for in, want := range map[string]string{
		"@Spam.Example": "spam.example", "*.spam.example": "spam.example", " https://social.example/users/troll ": "https://social.example/users/troll",
		"bücher.example": "xn--bcher-kva.example", "HTTPS://Social.Example/users/Troll": "https://social.example/users/Troll",
	} {
		if got, err := NormalizeBan(BanFediverse, in); err != nil || got != want {
			t.Errorf("NormalizeBan(fediverse, %q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "localhost", "troll@social.example", "https://user:pw@social.example/u", "ftp x",
		"https://social.example/users/" + strings.Repeat("x", 2000), "https://social.example/users/a\nb", "https://"} {
		if _, err := NormalizeBan(BanFediverse, bad); err == nil {
			t.Errorf("NormalizeBan(fediverse, %q) took it", bad)
		}
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
	p := DefaultSettings()
	p.Moderation = ModerationAll
	p.HoldWords = []string{"casino"}
	s := New(st, Options{Now: func() time.Time { return now }, Settings: func() Settings { return p }})
	c, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: "casino"}, Author{IP: "192.0.2.1"})
	if err != nil || c.Status != StatusPending || c.HoldReason != "contains “casino”" {
		t.Errorf("Post = %+v, %v; want held for the word, not the mode", c, err)
	}
	if _, err := s.Post(context.Background(), Input{Post: "p", Name: "Kay", Body: "hi"}, Author{CommenterID: "bad id"}); err == nil {
		t.Error("a commenter id with a space was accepted")
	}
}
