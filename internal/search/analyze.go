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
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// isApostrophe reports whether r joins the parts of a word ("don't").
func isApostrophe(r rune) bool { return r == '\'' || r == '’' }

// eachWord calls fn with every word of text, lowercased, and the byte range
// it takes in text.
func eachWord(text string, fn func(word string, start, end int)) {
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
			emitWord(text, start, i, fn)
			start = -1
		}
	}
	if start >= 0 {
		emitWord(text, start, len(text), fn)
	}
}

func emitWord(text string, start, end int, fn func(word string, start, end int)) {
	if end-start > maxWordBytes {
		return
	}
	w := text[start:end]
	if hasUpperOrCurly(w) {
		w = strings.ReplaceAll(strings.ToLower(w), "’", "'")
	}
	fn(w, start, end)
}

// hasUpperOrCurly reports whether w needs lowercasing or its apostrophes
// straightening; most words need neither, and are then not copied.
func hasUpperOrCurly(w string) bool {
	for _, r := range w {
		if r >= utf8.RuneSelf || ('A' <= r && r <= 'Z') {
			return true
		}
	}
	return false
}

// stemmer stems words, keeping what it has stemmed: a site's vocabulary is
// small next to its word count, and stemming is the costly part of reading
// a post. It is not safe for concurrent use.
type stemmer map[string]string

// maxStemCache bounds a stemmer's memory; past it words are stemmed
// afresh each time.
const maxStemCache = 1 << 17

func (s stemmer) stem(word string) string {
	if st, ok := s[word]; ok {
		return st
	}
	// Clones: word and its stem may be slices of a whole post's text,
	// which the cache (and the index's terms) must not keep alive.
	st := strings.Clone(english.Stem(word, true))
	if len(s) < maxStemCache {
		s[strings.Clone(word)] = st
	}
	return st
}

