package search

import (
	"html/template"
	"slices"
	"strings"
)

// snippetWords is how many words of a post's text a snippet shows.
const snippetWords = 32

// snippet is the part of text (a post's plain text, whose words the body
// positions count) with the most of the words at marks (positions, in
// order), HTML-escaped, each of those words in a <mark>; the text's start
// when there are none. It is made from the text only, never from the
// post's HTML, so nothing of the HTML's markup can reach the page.
func snippet(text string, marks []uint32) template.HTML {
	// The window of snippetWords words with the most marks, starting a
	// few words before its first.
	first, most := uint32(0), 0
	for i, at := range marks {
		n, _ := slices.BinarySearch(marks[i:], at+snippetWords)
		if n > most {
			first, most = at, n
		}
	}
	first = max(first, 4) - 4
	last := first + snippetWords - 1

	var b strings.Builder
	from, to, at := -1, len(text), 0
	var n uint32
	eachWord(text, func(_ string, start, end int) {
		defer func() { n++ }()
		switch {
		case n < first || n > last+1:
			return
		case n == last+1:
			to = start
			return
		case from < 0:
			from, at = start, start
			if n == 0 {
				from, at = 0, 0
			}
		}
		if _, hit := slices.BinarySearch(marks, n); hit {
			b.WriteString(template.HTMLEscapeString(text[at:start]))
			b.WriteString("<mark>")
			b.WriteString(template.HTMLEscapeString(text[start:end]))
			b.WriteString("</mark>")
			at = end
		}
	})
	if from < 0 {
		return ""
	}
	to = len(strings.TrimRight(text[:to], " "))
	var out strings.Builder
	if from > 0 {
		out.WriteString("… ")
	}
	out.WriteString(b.String())
	out.WriteString(template.HTMLEscapeString(text[at:to]))
	if to < len(text) {
		out.WriteString(" …")
	}
	return template.HTML(out.String())
}
