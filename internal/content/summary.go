package content

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark/ast"
	extast "github.com/yuin/goldmark/extension/ast"
	xhtml "golang.org/x/net/html"
)

// Summaries are shown on pages that list many posts and in feeds, away from
// the post they come from. An automatic one is prose only: the text of the
// post's first paragraphs (headings, lists, tables, code, quotes and images
// stay on the post's own page), about summaryWords words long, cut at the
// end of a sentence. Every summary, automatic or not, loses what only makes
// sense on the post's page: footnote references and heading ids (which
// would repeat on a page of summaries), and its relative URLs are resolved
// against the post's URL.
const (
	// summaryWords is roughly how long an automatic summary is.
	summaryWords = 70
	// summarySlack is how far past summaryWords a summary goes to end at
	// a sentence rather than in the middle of one.
	summarySlack = summaryWords / 2
	// descriptionMax bounds a post's meta description, in characters: it
	// is always shorter. Search engines show about this much.
	descriptionMax = 160
)

// summarize moves the paragraphs that make up an automatic summary out of
// doc into a new document, cutting the last one at a sentence end.
func summarize(doc ast.Node, src []byte) *ast.Document {
	var paras []*ast.Paragraph
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		if p, ok := c.(*ast.Paragraph); ok {
			paras = append(paras, p)
		}
	}
	sum := ast.NewDocument()
	n := 0
	for _, p := range paras {
		if n >= summaryWords {
			break
		}
		proseOnly(p)
		w := countWords(p, src)
		if w == 0 {
			continue // a paragraph that was only an image
		}
		if n+w > summaryWords && !cutParagraph(p, src, summaryWords-n, n == 0) {
			break
		}
		sum.AppendChild(sum, p)
		n += w
	}
	return sum
}

// proseOnly removes from a paragraph what is not its text: images, raw
// HTML and footnote references.
func proseOnly(p ast.Node) {
	removeAll(p, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.Image, *ast.RawHTML, *extast.FootnoteLink:
			return true
		}
		return false
	})
}

// removeAll removes every node below root for which drop is true.
func removeAll(root ast.Node, drop func(ast.Node) bool) {
	var gone []ast.Node
	_ = ast.Walk(root, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if entering && n != root && drop(n) {
			gone = append(gone, n)
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	// Removed after the walk, which must not see the tree move under it.
	for _, n := range gone {
		n.Parent().RemoveChild(n.Parent(), n)
	}
}

// textRun is a piece of a paragraph's text that comes from one node.
type textRun struct {
	node       ast.Node // *ast.Text, *ast.String, or *ast.AutoLink, which is kept whole
	start, end int      // in the paragraph's plain text
}

// cutParagraph shortens p to about need words, ending at a sentence end:
// the first one at or past need words if it comes soon enough, else the
// last one before. It reports false when p is better left out of the
// summary than cut in the middle of a sentence; when p is the summary's
// only paragraph (alone) it is cut at a word instead, with an ellipsis.
func cutParagraph(p *ast.Paragraph, src []byte, need int, alone bool) bool {
	var (
		plain []byte
		runs  []textRun
	)
	_ = ast.Walk(p, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		start := len(plain)
		switch n := n.(type) {
		case *ast.Text:
			plain = append(plain, n.Segment.Value(src)...)
			runs = append(runs, textRun{n, start, len(plain)})
			if n.SoftLineBreak() || n.HardLineBreak() {
				plain = append(plain, ' ')
			}
		case *ast.String:
			plain = append(plain, n.Value...)
			runs = append(runs, textRun{n, start, len(plain)})
		case *ast.AutoLink:
			plain = append(plain, n.Label(src)...)
			runs = append(runs, textRun{n, start, len(plain)})
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})

	ends, wordEnds := sentenceEnds(plain)
	after, before := -1, -1
	for _, e := range ends {
		if e.words >= need {
			if e.words <= need+summarySlack {
				after = e.at
			}
			break
		}
		before = e.at
	}
	cut, ellipsis := -1, false
	switch {
	case after >= 0:
		cut = after
	case len(wordEnds) <= need+summarySlack:
		return true // the paragraph's own end is the sentence end
	case before >= 0:
		cut = before
	case !alone:
		return false
	default:
		cut, ellipsis = wordEnds[need-1], true
	}
	if cut >= len(plain) {
		return true
	}
	for _, r := range runs {
		if r.start < cut && cut <= r.end {
			if _, whole := r.node.(*ast.AutoLink); whole {
				cut = r.end
			}
			truncate(r.node, src, cut-r.start, ellipsis)
			removeAfter(r.node, p)
			break
		}
	}
	if ellipsis {
		p.AppendChild(p, ast.NewString([]byte("…")))
	}
	return true
}

// sentenceEnd is a place a summary may end: just after the sentence's
// punctuation (and any closing quote or bracket), with the words before it.
type sentenceEnd struct{ at, words int }

// sentenceEnds finds where the sentences of text end, and where each word
// ends. A full stop, question or exclamation mark ends a sentence when
// space follows and the next word does not start in lower case ("e.g. the"
// goes on); the end of the text ends the last one.
func sentenceEnds(text []byte) (ends []sentenceEnd, wordEnds []int) {
	inWord, counts := false, false
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRune(text[i:])
		if unicode.IsSpace(r) {
			if inWord && counts {
				wordEnds = append(wordEnds, i)
			}
			inWord = false
			i += size
			continue
		}
		if !inWord {
			inWord, counts = true, false
		}
		if !counts && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			counts = true
		}
		i += size
		if r == '.' || r == '!' || r == '?' {
			j := i
			for j < len(text) {
				c, n := utf8.DecodeRune(text[j:])
				if !strings.ContainsRune(`"'”’)]»`, c) {
					break
				}
				j += n
			}
			next := bytes.TrimLeftFunc(text[j:], unicode.IsSpace)
			if j < len(text) && len(next) == len(text[j:]) {
				continue // no space after: "3.5", "x.org"
			}
			if first, _ := utf8.DecodeRune(next); len(next) > 0 && unicode.IsLower(first) {
				continue
			}
			words := len(wordEnds)
			if counts {
				words++ // the word the punctuation ends
			}
			if words > 0 {
				ends = append(ends, sentenceEnd{at: j, words: words})
			}
		}
	}
	if inWord && counts {
		wordEnds = append(wordEnds, len(text))
	}
	return ends, wordEnds
}

// truncate keeps the first keep bytes of a text node (an autolink stays
// whole); cut at a word for an ellipsis, it also drops the punctuation that
// would come before it.
func truncate(n ast.Node, src []byte, keep int, ellipsis bool) {
	trim := func(b []byte) int {
		if ellipsis {
			return len(bytes.TrimRight(b, " ,;:–—-"))
		}
		return len(b)
	}
	switch n := n.(type) {
	case *ast.Text:
		n.Segment = n.Segment.WithStop(n.Segment.Start + trim(n.Segment.Value(src)[:keep]))
		n.SetSoftLineBreak(false)
		n.SetHardLineBreak(false)
	case *ast.String:
		n.Value = n.Value[:trim(n.Value[:keep])]
	}
}

// removeAfter removes everything that follows n inside p.
func removeAfter(n ast.Node, p ast.Node) {
	for ; n != nil && n != p; n = n.Parent() {
		parent := n.Parent()
		for s := n.NextSibling(); s != nil; {
			next := s.NextSibling()
			parent.RemoveChild(parent, s)
			s = next
		}
	}
}

// renderSummary renders a summary document for pages other than the post's
// own: without footnotes, footnote references or heading ids, and with
// relative URLs resolved against postPath. It returns the HTML and its
// plain text description.
func (m *markdown) renderSummary(doc ast.Node, src []byte, postPath string) (template.HTML, string, error) {
	removeAll(doc, func(n ast.Node) bool {
		k := n.Kind()
		return k == extast.KindFootnoteLink || k == extast.KindFootnoteList
	})
	base := &url.URL{Path: postPath}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Heading:
			n.RemoveAttributes()
		case *ast.Link:
			n.Destination = resolveURL(base, n.Destination)
		case *ast.Image:
			n.Destination = resolveURL(base, n.Destination)
		}
		return ast.WalkContinue, nil
	})
	if doc.ChildCount() == 0 {
		return "", "", nil
	}
	var buf bytes.Buffer
	if err := m.md.Renderer().Render(&buf, src, doc); err != nil {
		return "", "", fmt.Errorf("rendering the summary: %w", err)
	}
	h := template.HTML(buf.String())
	return h, description(h), nil
}

// resolveURL resolves a relative URL (a path or a fragment) against base;
// URLs with a scheme or starting with / are left as they are.
func resolveURL(base *url.URL, dest []byte) []byte {
	s := string(dest)
	if _, ok := urlScheme(s); ok || s == "" || strings.HasPrefix(s, "/") {
		return dest
	}
	ref, err := url.Parse(s)
	if err != nil {
		return dest
	}
	return []byte(base.ResolveReference(ref).String())
}

// description is rendered HTML as plain text shorter than descriptionMax
// characters: cut at a word, with an ellipsis, when it is longer.
func description(h template.HTML) string {
	s := plainText(h)
	if utf8.RuneCountInString(s) < descriptionMax {
		return s
	}
	// The first descriptionMax-1 characters, less at least one for the
	// ellipsis: up to the last space, or one character less without one.
	r := []rune(s)[:descriptionMax-1]
	cut := string(r[:len(r)-1])
	if i := strings.LastIndexByte(string(r), ' '); i > 0 {
		cut = string(r)[:i]
	}
	return strings.TrimRight(cut, " ,;:.–—-") + "…"
}

// blockTags are the elements whose text does not run on into the next
// element's.
var blockTags = map[string]bool{
	"p": true, "br": true, "li": true, "dt": true, "dd": true, "td": true, "th": true, "tr": true,
	"h1": true, "h2": true, "h3": true, "h4": true, "h5": true, "h6": true,
	"pre": true, "blockquote": true, "div": true, "hr": true,
}

// plainText is the text of an HTML fragment with its white space collapsed.
func plainText(h template.HTML) string {
	z := xhtml.NewTokenizer(strings.NewReader(string(h)))
	var b strings.Builder
	b.Grow(len(h) / 2)
	space := false // white space waits until a word follows it
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return b.String()
		case xhtml.TextToken:
			// Written with its white space collapsed as it comes: a
			// search snippet reads a whole post's text.
			text := z.Text()
			for len(text) > 0 {
				word := text
				if i := bytes.IndexFunc(text, unicode.IsSpace); i >= 0 {
					word = text[:i]
				}
				if len(word) > 0 {
					if space && b.Len() > 0 {
						b.WriteByte(' ')
					}
					space = false
					b.Write(word)
				}
				rest := bytes.TrimLeftFunc(text[len(word):], unicode.IsSpace)
				space = space || len(rest) < len(text)-len(word)
				text = rest
			}
		case xhtml.StartTagToken, xhtml.EndTagToken, xhtml.SelfClosingTagToken:
			if name, _ := z.TagName(); blockTags[string(name)] {
				space = true
			}
		}
	}
}
