package search

import (
	"html/template"
	"strings"
)

// snippetWords is how many words of a post's text a snippet shows.
const snippetWords = 32

// snippet is the part of text (a post's plain text) with the most of the
// words whose stems are in stems, HTML-escaped, each such word in a
// <mark>; the text's start when none is in it. It is made from the text
// only, never from the post's HTML, so that nothing of the HTML's markup
// can reach the page. ix.mu need not be held.
func (ix *Index) snippet(text string, stems map[string]bool) template.HTML {
	type word struct {
		start, end int
		hit        bool
	}
	var ws []word
	ix.mu.RLock()
	eachWord(text, func(w string, start, end int) {
		ws = append(ws, word{start: start, end: end, hit: stems[ix.stem(w)]})
	})
	ix.mu.RUnlock()
	if len(ws) == 0 {
		return ""
	}
	// The window of snippetWords words with the most words found,
	// starting a few words before the first of them.
	best, bestHits, hits := 0, 0, 0
	for i := range ws {
		if ws[i].hit {
			hits++
		}
		if i >= snippetWords && ws[i-snippetWords].hit {
			hits--
		}
		if hits > bestHits {
			bestHits = hits
			best = max(i-snippetWords+1, 0)
		}
	}
	if bestHits > 0 {
		first := best
		for !ws[first].hit {
			first++
		}
		best = max(first-4, 0)
	}
	last := min(best+snippetWords, len(ws)) - 1
	from, to := ws[best].start, ws[last].end
	if best == 0 {
		from = 0
	}
	if last == len(ws)-1 {
		to = len(text)
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("… ")
	}
	at := from
	for _, w := range ws[best : last+1] {
		if !w.hit {
			continue
		}
		b.WriteString(template.HTMLEscapeString(text[at:w.start]))
		b.WriteString("<mark>")
		b.WriteString(template.HTMLEscapeString(text[w.start:w.end]))
		b.WriteString("</mark>")
		at = w.end
	}
	b.WriteString(template.HTMLEscapeString(text[at:to]))
	if to < len(text) {
		b.WriteString(" …")
	}
	return template.HTML(b.String())
}
