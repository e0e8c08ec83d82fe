package content

import (
	"strings"
	"testing"
	"time"
)

// A title gives a slug of lowercase ASCII words joined by hyphens, which
// Load accepts; a title with nothing to spell one gives "".
func TestSlugFromTitle(t *testing.T) {
	long := strings.Repeat("Long run ", 1200) // about 10 KB
	cases := []struct{ title, want string }{
		{"Massage during training", "massage-during-training"},
		{"Race day: 10k PR!", "race-day-10k-pr"},
		{"  Crème Brûlée  after   the Half ", "creme-brulee-after-the-half"},
		{"Kay-Kay's Bird Club", "kay-kays-bird-club"},
		{"Kay’s long run", "kays-long-run"},
		{"Straße nach Łódź", "strasse-nach-lodz"},
		{"Ærøskøbing Þórsmörk", "aeroskobing-thorsmork"},
		{"Ｆｕｌｌ ｗｉｄｔｈ ﬁnish ²", "full-width-finish-2"},
		{"İstanbul Marathon", "istanbul-marathon"},
		{"title: with colon", "title-with-colon"},
		{"../x", "x"},
		{"../../etc/passwd", "etc-passwd"},
		{"/absolute/path", "absolute-path"},
		{"a\x00b\nc", "a-b-c"},
		{"Runner 🏃 joy 🎉", "runner-joy"},
		{"🏃‍♀️🎉", ""},
		{"?!... --- ***", ""},
		{"東京マラソン", ""},
		{"", ""},
		{"\xff\xfe", ""},
		{"abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij", "abcdefghij-abcdefghij-abcdefghij-abcdefghij-abcdefghij"},
		{strings.Repeat("x", 100), strings.Repeat("x", MaxTitleSlug)},
		{"abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdefghi abcdef", "abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcdefghi-abcdefghi"},
	}
	for _, c := range cases {
		got := SlugFromTitle(c.title)
		if got != c.want {
			t.Errorf("SlugFromTitle(%q) = %q; want %q", c.title, got, c.want)
		}
		if got != "" && !ValidSlug(got) {
			t.Errorf("SlugFromTitle(%q) = %q, which ValidSlug refuses", c.title, got)
		}
	}
	if got := SlugFromTitle(long); len(got) > MaxTitleSlug || !ValidSlug(got) || !strings.HasPrefix(got, "long-run-long-run") {
		t.Errorf("a 10 KB title gives %q (%d bytes); want a valid slug of at most %d", got, len(got), MaxTitleSlug)
	}
}

// Whatever the title, the slug is valid or empty, and never longer than
// MaxTitleSlug.
func FuzzSlugFromTitle(f *testing.F) {
	for _, s := range []string{"Race day: 10k", "Crème", "../x", "🏃", "a-b", "ß"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, title string) {
		got := SlugFromTitle(title)
		if got != "" && !ValidSlug(got) || len(got) > MaxTitleSlug {
			t.Fatalf("SlugFromTitle(%q) = %q", title, got)
		}
	})
}

// ParseDate reads what the front matter's date reads, in the site's zone.
func TestParseDate(t *testing.T) {
	la := mustZone(t, "America/Los_Angeles")
	for in, want := range map[string]time.Time{
		"2026-11-30":                time.Date(2026, 11, 30, 0, 0, 0, 0, la),
		"2026-11-30 07:15":          time.Date(2026, 11, 30, 7, 15, 0, 0, la),
		"2026-11-30T07:15:30":       time.Date(2026, 11, 30, 7, 15, 30, 0, la),
		"2026-11-30T15:15:00+00:00": time.Date(2026, 11, 30, 7, 15, 0, 0, la),
	} {
		got, err := ParseDate(in, la)
		if err != nil || !got.Equal(want) || got.Location() != la {
			t.Errorf("ParseDate(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "yesterday", "30/11/2026", "2026-13-01"} {
		if _, err := ParseDate(bad, la); err == nil || !strings.Contains(err.Error(), "is not a date") {
			t.Errorf("ParseDate(%q): %v; want a 'not a date' error", bad, err)
		}
	}
}

// A title is one line of text, stored without the spaces around it.
func TestCleanTitle(t *testing.T) {
	for in, want := range map[string]string{
		"  Race day: 10k PR ":       "Race day: 10k PR",
		"🏃 Joy":                     "🏃 Joy",
		`"Quoted" \ back`:           `"Quoted" \ back`,
		"title: with colon":         "title: with colon",
		strings.Repeat("a", 10<<10): strings.Repeat("a", 10<<10),
	} {
		if got, err := CleanTitle(in); err != nil || got != want {
			t.Errorf("CleanTitle(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "   ", "two\nlines", "tab\there", "nul\x00", "line\u2028sep", "\xff"} {
		if got, err := CleanTitle(bad); err == nil {
			t.Errorf("CleanTitle(%q) = %q; want an error", bad, got)
		}
	}
}
