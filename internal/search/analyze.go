package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
)

// What a word is, for the index and for queries alike: a run of letters
// and digits, with apostrophes inside it ("runner's"), lowercased. Each word
// is indexed by its English Snowball stem, so that "running" finds "run".

// maxWordBytes is the longest word indexed: longer ones (a URL's path, a
// hash) are skipped, which keeps the vocabulary of real words.
const maxWordBytes = 40

// isWordRune reports whether r belongs in a word.
func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// isApostrophe reports whether r joins the parts of a word ("don't").
func isApostrophe(r rune) bool { return r == '\'' || r == '’' }

// eachWord calls fn with every word of text as written (see normalize)
// and the byte range it takes in text.
func eachWord(text string, fn func(raw string, start, end int)) {
	start := -1
	for i, r := range text {
		switch {
		case isWordRune(r):
			if start < 0 {
				start = i
			}
			continue
		case isApostrophe(r) && start >= 0:
			// An apostrophe joins a word only with a letter after it.
			next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
			if unicode.IsLetter(next) {
				continue
			}
		}
		if start >= 0 {
			if i-start <= maxWordBytes {
				fn(text[start:i], start, i)
			}
			start = -1
		}
	}
	if start >= 0 && len(text)-start <= maxWordBytes {
		fn(text[start:], start, len(text))
	}
}

// normalize is a word as the index knows it: lowercased, its apostrophes
// straight.
func normalize(raw string) string {
	for _, r := range raw {
		if r >= utf8.RuneSelf || ('A' <= r && r <= 'Z') {
			return strings.ReplaceAll(strings.ToLower(raw), "’", "'")
		}
	}
	return raw
}

// form is a word normalized, and its stem.
type form struct{ word, stem string }

// stemmer stems words, keeping what it has stemmed by the word as written:
// a site's vocabulary is small next to its word count, and lowercasing and
// stemming are the costly part of reading a post. It is not safe for
// concurrent use.
type stemmer map[string]form

// maxStemCache bounds a stemmer's memory; past it words are stemmed
// afresh each time.
const maxStemCache = 1 << 17

func (s stemmer) form(raw string) form {
	if f, ok := s[raw]; ok {
		return f
	}
	// Clones: the word and its stem may be slices of a whole post's text,
	// which the cache (and the index's terms) must not keep alive.
	w := strings.Clone(normalize(raw))
	f := form{word: w, stem: strings.Clone(english.Stem(w, true))}
	if len(s) < maxStemCache {
		s[strings.Clone(raw)] = f
	}
	return f
}
