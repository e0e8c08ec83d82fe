package search

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on a query: a reader's search is a few words; anything larger is
// refused before any work is done on it.
const (
	// MaxQueryBytes is the longest query taken.
	MaxQueryBytes = 512
	// MaxTerms is how many words, phrase words and filters a query may
	// hold.
	MaxTerms = 24
)

// Errors of a query that cannot be run. Each says what the reader can do
// about it.
var (
	ErrQueryTooLong = errors.New("search: the query is too long")
	ErrTooManyTerms = errors.New("search: the query has too many words")
	ErrNotUTF8      = errors.New("search: the query is not valid UTF-8 text")
	ErrNoWords      = errors.New("search: the query has no words to look for")
)

// Query is a parsed search: its words, phrases and filters. Words are
// lowercased as written; each is looked for by its stem.
type Query struct {
	// Raw is the query as typed.
	Raw string
	// Words must all be found (in any field).
	Words []string
	// Phrases must each be found as written, word after word, within one
	// field: the title, the body, a tag, the author's name or ID, or one
	// part of the run (its race, its shoes, a distance); each has two words
	// or more.
	Phrases [][]string
	// Tags and Authors restrict the posts to those with every tag and by
	// one of the authors (ID or name, lowercased).
	Tags    []string
	Authors []string
}

// Empty reports whether q asks for nothing: no query was typed.
func (q Query) Empty() bool {
	return len(q.Words) == 0 && len(q.Phrases) == 0 && len(q.Tags) == 0 && len(q.Authors) == 0
}

// Parse reads a query as typed in the search box:
//
//	IT band            posts with both words (stemmed: "bands" too)
//	"negative splits"  the words next to each other, in this order
//	tag:race-report    posts with the tag (tag:"trail running" with quotes)
//	author:kay         posts by the author (their ID or name)
//
// A blank query is Empty, not an error. Everything else that is not a word
// (punctuation, regular-expression characters, operators) is ignored: a
// query of nothing else is ErrNoWords.
func Parse(raw string) (Query, error) {
	q := Query{Raw: raw}
	if len(raw) > MaxQueryBytes {
		return q, ErrQueryTooLong
	}
	if !utf8.ValidString(raw) {
		return q, ErrNotUTF8
	}
	terms := 0
	count := func(n int) error {
		terms += n
		if terms > MaxTerms {
			return ErrTooManyTerms
		}
		return nil
	}
	rest := raw
	for {
		rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
		if rest == "" {
			break
		}
		var value string
		if key, after, ok := cutFilter(rest); ok {
			value, rest = nextValue(after)
			value = strings.ToLower(strings.TrimSpace(value))
			if value == "" {
				continue
			}
			if err := count(1); err != nil {
				return q, err
			}
			if key == "tag" {
				q.Tags = append(q.Tags, strings.TrimPrefix(value, "#"))
			} else {
				q.Authors = append(q.Authors, value)
			}
			continue
		}
		quoted := rest[0] == '"'
		value, rest = nextValue(rest)
		var ws []string
		eachWord(value, func(raw string, _, _ int) { ws = append(ws, normalize(raw)) })
		if err := count(len(ws)); err != nil {
			return q, err
		}
		if quoted && len(ws) > 1 {
			q.Phrases = append(q.Phrases, ws)
		} else {
			q.Words = append(q.Words, ws...)
		}
	}
	if q.Empty() && strings.TrimSpace(raw) != "" {
		return q, ErrNoWords
	}
	return q, nil
}

// cutFilter reads "tag:" or "author:" at the start of s, in any case.
func cutFilter(s string) (key, rest string, ok bool) {
	for _, k := range []string{"tag", "author"} {
		if len(s) > len(k) && strings.EqualFold(s[:len(k)], k) && s[len(k)] == ':' {
			return k, s[len(k)+1:], true
		}
	}
	return "", s, false
}

// nextValue reads a quoted value up to its closing quote (or the end), or
// else up to the next space.
func nextValue(s string) (value, rest string) {
	if strings.HasPrefix(s, `"`) {
		s = s[1:]
		if i := strings.IndexByte(s, '"'); i >= 0 {
			return s[:i], s[i+1:]
		}
		return s, ""
	}
	if i := strings.IndexFunc(s, unicode.IsSpace); i >= 0 {
		return s[:i], s[i:]
	}
	return s, ""
}
