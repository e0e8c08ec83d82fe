package comments

import (
	"net/url"
	"strings"
	"unicode"

	"go.mau.fi/util/confusable"
	"golang.org/x/net/html"
	"golang.org/x/net/idna"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Hold and reject words are matched on what a reader sees, not on the bytes
// a writer sent: ca&#115;ino, cas<!-- -->ino, cas**ino**, a zero-width
// space or soft hyphen inside a word, full-width letters and Cyrillic
// look-alikes all read "casino", so all of them must match "casino".

// visibleText reduces a comment's sanitised HTML to its text: character
// references decoded, markup dropped (inline elements join the text on
// either side, as they do on the page; block elements separate words),
// then the address of every link, apart from the text so that a link
// inside a word does not split it.
func visibleText(sanitised string) string {
	var text, links strings.Builder
	z := html.NewTokenizer(strings.NewReader(sanitised))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return text.String() + " " + links.String()
		case html.TextToken:
			text.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			if !inlineElements[string(name)] {
				text.WriteByte(' ')
			}
			for hasAttr {
				var key, val []byte
				key, val, hasAttr = z.TagAttr()
				if string(key) == "href" {
					links.Write(val)
					links.WriteByte(' ')
				}
			}
		}
	}
}

// websiteText is a website address as a reader reads it: escapes decoded
// ("cas%C2%ADino" is "cas\u00adino") and an internationalised host name
// in its own letters rather than its xn-- form.
func websiteText(site string) string {
	u, err := url.Parse(site)
	if err != nil {
		return site
	}
	host := u.Hostname()
	if h, err := url.PathUnescape(host); err == nil {
		host = h
	}
	if h, err := idna.ToUnicode(host); err == nil {
		host = h
	}
	rest := u.EscapedPath() + "?" + u.RawQuery + "#" + u.EscapedFragment()
	if r, err := url.PathUnescape(rest); err == nil {
		rest = r
	}
	return u.Scheme + "://" + host + " " + rest
}

// inlineElements are the elements of a rendered comment that do not break
// a word: "cas<strong>ino</strong>" reads "casino".
var inlineElements = map[string]bool{"a": true, "em": true, "strong": true, "del": true, "code": true}

// foldCase folds case. A cases.Caser keeps state, so each call makes its own.
func foldCase(s string) string { return cases.Fold().String(s) }

// invisible reports characters that change nothing a reader sees: format
// characters (Unicode category Cf: zero-width space and joiners, soft
// hyphen, bidi controls, …), the other default-ignorable code points and
// variation selectors.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r)
}

// matchForm is the form in which texts and word lists are compared:
// compatibility-normalised (NFKC: full-width and styled letters become
// plain ones), without invisible characters, case-folded, and reduced to
// the UTS #39 confusables skeleton (Cyrillic "а" and Latin "a" are one
// letter), case-folded again because a skeleton may use capitals.
func matchForm(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		switch {
		case invisible(r):
			return -1
		case !unicode.IsGraphic(r):
			return ' ' // a line break or tab separates words; Skeleton would drop it
		}
		return r
	}, s)
	s = confusable.Skeleton(foldCase(s))
	return norm.NFC.String(foldCase(s))
}

// splitWords splits text into the words hold and reject words are matched
// against: runs of letters, digits and combining marks of its match form.
func splitWords(text string) []string {
	return strings.FieldsFunc(matchForm(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && !unicode.IsMark(r)
	})
}

// findWord returns the first entry of list that occurs, as whole words, in
// one of texts, and whether one did.
func findWord(list []string, texts ...string) (string, bool) {
	if len(list) == 0 {
		return "", false
	}
	split := make([][]string, len(texts))
	for i, t := range texts {
		split[i] = splitWords(t)
	}
	for _, entry := range list {
		phrase := splitWords(entry)
		if len(phrase) == 0 {
			continue
		}
		for _, words := range split {
			if containsPhrase(words, phrase) {
				return strings.TrimSpace(entry), true
			}
		}
	}
	return "", false
}

func containsPhrase(words, phrase []string) bool {
outer:
	for i := 0; i+len(phrase) <= len(words); i++ {
		for j, w := range phrase {
			if words[i+j] != w {
				continue outer
			}
		}
		return true
	}
	return false
}
