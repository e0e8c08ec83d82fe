package content

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// The rules for a new post, shared by `milepost new` and the web editor:
// the slug a title gives, and the dates a writer may type.

// MaxTitleSlug is the longest slug SlugFromTitle makes, in bytes: a slug
// is part of every link to the post, and a long title says more than a
// link needs to.
const MaxTitleSlug = 60

// slugFolds are letters that Unicode does not decompose into an ASCII
// letter and a mark, spelled the way their languages write them in ASCII.
var slugFolds = strings.NewReplacer(
	"ß", "ss", "ẞ", "ss", "æ", "ae", "Æ", "ae", "œ", "oe", "Œ", "oe",
	"ø", "o", "Ø", "o", "đ", "d", "Đ", "d", "ð", "d", "Ð", "d",
	"ł", "l", "Ł", "l", "þ", "th", "Þ", "th", "ı", "i", "ħ", "h", "Ħ", "h",
)

// stripMarks decomposes compatibility characters (full-width letters,
// ligatures, superscripts) and accented letters and drops the accents:
// "Crème Brûlée" becomes "Creme Brulee", "ﬁnish" "finish".
var stripMarks = transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// SlugFromTitle returns the slug a post with the title gets unless one is
// chosen: its letters and digits folded to lowercase ASCII ("Côte d'Azur
// 10K" → "cote-dazur-10k"), every other run of characters one hyphen,
// apostrophes dropped so that a word stays one word, and at most
// MaxTitleSlug bytes, cut between words. The result always passes
// ValidSlug, or is "" when the title has no letter or digit that folds to
// ASCII (only punctuation, emoji, a script without an ASCII spelling): the
// writer must then choose the slug.
func SlugFromTitle(title string) string {
	folded, _, err := transform.String(stripMarks, slugFolds.Replace(title))
	if err != nil {
		return "" // only invalid UTF-8 fails, and such a title gives nothing
	}
	var b strings.Builder
	hyphen := false // a hyphen is owed before the next letter or digit
	for _, r := range folded {
		switch {
		case r == '\'' || r == '’' || r == 'ʼ':
			// "Kay's" is one word: kays.
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(unicode.ToLower(r))
		default:
			hyphen = true
		}
		if b.Len() > MaxTitleSlug {
			break
		}
	}
	return cutSlug(b.String(), MaxTitleSlug)
}

// cutSlug shortens a valid slug to at most max bytes, at a hyphen when
// there is one, so that no word is cut in half.
func cutSlug(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[:max+1]
	if i := strings.LastIndexByte(s, '-'); i > 0 {
		return s[:i]
	}
	return strings.TrimRight(s[:max], "-")
}

// ParseDate reads a post date as the front matter's date and lastmod are
// read: 2006-01-02, 2006-01-02 15:04, 2006-01-02T15:04:05 (all in loc, the
// site's time zone) or RFC 3339 with its own offset, given back in loc.
func ParseDate(s string, loc *time.Location) (time.Time, error) {
	if t, ok := parseDate(s, loc); ok {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a date: write it as 2006-01-02, 2006-01-02 15:04, 2006-01-02T15:04:05 or RFC 3339 (2006-01-02T15:04:05+01:00)", s)
}

// CleanTitle returns a post title as it is stored: without the spaces
// around it, and refused when empty or not one line of text (a control
// character, a line or paragraph separator), which no page or feed shows
// as written.
func CleanTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if title == "" {
		return "", errors.New("the title is empty")
	}
	if !utf8.ValidString(title) {
		return "", errors.New("the title is not UTF-8 text")
	}
	if i := strings.IndexFunc(title, func(r rune) bool {
		return unicode.IsControl(r) || unicode.In(r, unicode.Zl, unicode.Zp)
	}); i >= 0 {
		return "", fmt.Errorf("the title must be one line of text: it has the character %U", []rune(title[i:])[0])
	}
	return title, nil
}
