package importer

import (
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// htmlToMarkdown turns a comment's HTML into readable Markdown: paragraphs
// and line breaks, links as [text](url) (or <url> when the text is the
// address), quotes as "> " lines, list items as "- " lines, and nothing
// else — other tags are dropped, keeping their text, except those whose
// content is not text at all (scripts, styles, images, forms, embeds).
// Entities are decoded.
//
// keepNewlines is for WordPress, whose comments are stored as typed: a
// blank line is a paragraph break and a newline a line break (WordPress
// adds the <p> and <br> only when it shows them). Without it, newlines are
// ordinary white space, as in any HTML.
//
// The result is Markdown, so text that Markdown would take for HTML ("<b>"
// written as &lt;b&gt;) or for an entity ("&amp;copy;") is escaped with a
// backslash. Other Markdown punctuation is left alone: a reader who typed
// *this* most likely meant emphasis.
func htmlToMarkdown(src string, keepNewlines bool) string {
	nodes, err := html.ParseFragment(strings.NewReader(src), &html.Node{
		Type: html.ElementNode, Data: "body", DataAtom: atom.Body,
	})
	w := &mdWriter{keepNewlines: keepNewlines}
	if err != nil {
		// The parser refuses elements nested more than 512 deep; keep the
		// text, which is all such a comment could sensibly have.
		w.text(tokenText(src))
		return w.finish()
	}
	for _, n := range nodes {
		w.node(n, 0)
	}
	return w.finish()
}

// maxNest is how deep the converter follows elements as elements; below it,
// only their text is kept. Real comments nest a handful of levels.
const maxNest = 32

// mdWriter collects finished blocks and the inline text of the block being
// written.
type mdWriter struct {
	keepNewlines bool
	blocks       []string
	inline       strings.Builder
}

// Elements whose content is not text to keep.
var dropped = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Template: true, atom.Noscript: true,
	atom.Iframe: true, atom.Object: true, atom.Embed: true, atom.Applet: true,
	atom.Svg: true, atom.Math: true, atom.Head: true, atom.Title: true,
	atom.Img: true, atom.Picture: true, atom.Video: true, atom.Audio: true,
	atom.Canvas: true, atom.Map: true, atom.Frameset: true, atom.Frame: true,
	atom.Textarea: true, atom.Select: true, atom.Button: true, atom.Input: true,
}

// Elements that make a paragraph of their own.
var blocks = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Section: true, atom.Article: true,
	atom.Header: true, atom.Footer: true, atom.Aside: true, atom.Main: true,
	atom.Nav: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true,
	atom.H5: true, atom.H6: true, atom.Table: true, atom.Thead: true,
	atom.Tbody: true, atom.Tfoot: true, atom.Tr: true, atom.Caption: true,
	atom.Figure: true, atom.Figcaption: true, atom.Dl: true, atom.Dt: true,
	atom.Dd: true, atom.Hr: true, atom.Address: true, atom.Details: true,
	atom.Summary: true, atom.Center: true, atom.Form: true, atom.Fieldset: true,
	atom.Legend: true, atom.Li: true, atom.Body: true, atom.Html: true,
}

func (w *mdWriter) node(n *html.Node, depth int) {
	switch n.Type {
	case html.TextNode:
		w.text(n.Data)
		return
	case html.ElementNode:
	default:
		return // comments, doctypes
	}
	if dropped[n.DataAtom] {
		return
	}
	if depth >= maxNest {
		w.text(plainText(n))
		return
	}
	switch n.DataAtom {
	case atom.Br:
		w.inline.WriteByte('\n')
	case atom.A:
		w.link(n)
	case atom.Blockquote:
		w.flush()
		if s := w.sub(n, depth, w.keepNewlines); s != "" {
			w.blocks = append(w.blocks, prefixLines(s, "> ", "> ", ">"))
		}
	case atom.Ul, atom.Ol:
		w.flush()
		w.list(n, depth)
	case atom.Pre:
		w.flush()
		if s := w.sub(n, depth, true); s != "" {
			w.blocks = append(w.blocks, s)
		}
	case atom.Td, atom.Th:
		w.children(n, depth)
		w.inline.WriteByte(' ')
	default:
		if blocks[n.DataAtom] {
			w.flush()
			w.children(n, depth)
			w.flush()
			return
		}
		w.children(n, depth) // inline formatting: keep the text only
	}
}

func (w *mdWriter) children(n *html.Node, depth int) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		w.node(c, depth+1)
	}
}

// sub converts n's children on their own, for a block that prefixes its
// lines.
func (w *mdWriter) sub(n *html.Node, depth int, keepNewlines bool) string {
	s := &mdWriter{keepNewlines: keepNewlines}
	s.children(n, depth)
	return s.finish()
}

// list writes a <ul> or <ol> as one block of "- " or "1. " items.
func (w *mdWriter) list(n *html.Node, depth int) {
	var items []string
	num := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		var s string
		if c.Type == html.ElementNode && c.DataAtom == atom.Li {
			s = w.sub(c, depth+1, w.keepNewlines)
		} else {
			s = (&mdWriter{keepNewlines: w.keepNewlines}).convert(c, depth+1)
		}
		if s == "" {
			continue
		}
		marker := "- "
		if n.DataAtom == atom.Ol {
			num++
			marker = strconv.Itoa(num) + ". "
		}
		items = append(items, prefixLines(s, marker, strings.Repeat(" ", len(marker)), ""))
	}
	if len(items) > 0 {
		w.blocks = append(w.blocks, strings.Join(items, "\n"))
	}
}

// convert converts one node on its own.
func (w *mdWriter) convert(n *html.Node, depth int) string {
	w.node(n, depth)
	return w.finish()
}

// link writes an <a>: as Markdown when its address is a web or mail one,
// else as its text alone.
func (w *mdWriter) link(n *html.Node) {
	text := oneLine(plainText(n))
	var href string
	for _, a := range n.Attr {
		if a.Namespace == "" && a.Key == "href" {
			href = strings.TrimSpace(a.Val)
		}
	}
	href = unwrapDisqus(href)
	dest, ok := linkDest(href)
	switch {
	case !ok:
		w.text(text)
	case text == "" || text == href || "mailto:"+text == href ||
		strings.TrimSuffix(text, "/") == strings.TrimSuffix(href, "/"):
		w.inline.WriteString("<" + dest + ">")
	default:
		w.inline.WriteString("[" + escapeLinkText(text) + "](" + dest + ")")
	}
}

// linkDest checks that href is an absolute http, https or mailto address
// and escapes it for a Markdown link destination.
func linkDest(href string) (string, bool) {
	if href == "" || !utf8.ValidString(href) {
		return "", false
	}
	u, err := url.Parse(href)
	if err != nil {
		return "", false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		if u.Host == "" {
			return "", false
		}
	case "mailto":
		if u.Opaque == "" {
			return "", false
		}
	default:
		return "", false
	}
	return destEscaper.Replace(href), true
}

// unwrapDisqus returns the real address behind a Disqus redirect,
// https://disq.us/url?url=<address>:<hash>&cuid=…, which Disqus exports put
// in place of every link; other addresses come back as they are.
func unwrapDisqus(href string) string {
	u, err := url.Parse(href)
	if err != nil || !strings.EqualFold(u.Host, "disq.us") || u.Path != "/url" {
		return href
	}
	target := u.Query().Get("url")
	// The hash is not a port: those are digits.
	if i := strings.LastIndexByte(target, ':'); i >= 0 && !isDigits(target[i+1:]) && !strings.Contains(target[i+1:], "/") {
		target = target[:i]
	}
	if _, ok := linkDest(target); !ok {
		return href
	}
	return target
}

var destEscaper = strings.NewReplacer(
	" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E",
	"[", "%5B", "]", "%5D", "\\", "%5C", "`", "%60", "\"", "%22",
)

// escapeLinkText escapes what would end or confuse a link's [text].
func escapeLinkText(s string) string {
	return escapeText(strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`).Replace(s))
}

// text writes text from the document.
func (w *mdWriter) text(s string) {
	s = strings.ReplaceAll(s, "\u00a0", " ") // &nbsp;
	if !w.keepNewlines {
		// Runs of white space are one space, kept at either end only when
		// the text has it there: "un<b>like</b>ly" is one word.
		words := strings.Join(strings.FieldsFunc(s, isHTMLSpace), " ")
		if words == "" {
			if s != "" {
				w.inline.WriteByte(' ')
			}
			return
		}
		if isHTMLSpace(rune(s[0])) {
			w.inline.WriteByte(' ')
		}
		w.inline.WriteString(escapeText(words))
		if isHTMLSpace(rune(s[len(s)-1])) {
			w.inline.WriteByte(' ')
		}
		return
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	w.inline.WriteString(escapeText(s))
}

func isHTMLSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
}

// flush ends the current block: lines are trimmed and their spaces
// collapsed, runs of blank lines become one.
func (w *mdWriter) flush() {
	s := w.inline.String()
	w.inline.Reset()
	var out []string
	blank := false
	for line := range strings.SplitSeq(s, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, line)
	}
	if len(out) > 0 {
		w.blocks = append(w.blocks, strings.Join(out, "\n"))
	}
}

func (w *mdWriter) finish() string {
	w.flush()
	return strings.Join(w.blocks, "\n\n")
}

// prefixLines puts first before the first line of s, rest before the other
// non-blank lines and blank before blank ones.
func prefixLines(s, first, rest, blank string) string {
	var b strings.Builder
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.WriteByte('\n')
		}
		switch {
		case i == 0:
			b.WriteString(first)
		case line == "":
			b.WriteString(blank)
			continue
		default:
			b.WriteString(rest)
		}
		b.WriteString(line)
	}
	return b.String()
}

// plainText is the text inside n, with <br> as a newline and the content of
// dropped elements left out. It walks the tree without recursion, so any
// depth is safe.
func plainText(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; {
		switch {
		case c.Type == html.TextNode:
			b.WriteString(c.Data)
		case c.Type == html.ElementNode && c.DataAtom == atom.Br:
			b.WriteByte('\n')
		}
		if c.FirstChild != nil && c.Type == html.ElementNode && !dropped[c.DataAtom] {
			c = c.FirstChild
			continue
		}
		for c != n && c.NextSibling == nil {
			c = c.Parent
		}
		if c == n {
			break
		}
		c = c.NextSibling
	}
	return b.String()
}

// tokenText is the text of src, found without building a tree: <br> is a
// newline, and paragraphs are apart; dropped elements' content is left
// out.
func tokenText(src string) string {
	var b strings.Builder
	z := html.NewTokenizer(strings.NewReader(src))
	skip := 0 // how many dropped elements we are inside
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case a == atom.Br:
				b.WriteByte('\n')
			case dropped[a] && !voidElements[a]:
				skip++
			case blocks[a]:
				b.WriteString("\n\n")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch {
			case dropped[a] && !voidElements[a]:
				skip = max(skip-1, 0)
			case blocks[a]:
				b.WriteString("\n\n")
			}
		}
	}
}

// Dropped elements that have no end tag.
var voidElements = map[atom.Atom]bool{
	atom.Img: true, atom.Input: true, atom.Embed: true, atom.Frame: true,
}

// escapeText backslash-escapes a "<" that could start a tag or autolink and
// a "&" that starts what looks like an entity, so Markdown shows them as
// typed.
func escapeText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '<' && (i+1 == len(s) || tagStart(s[i+1])):
			b.WriteByte('\\')
		case c == '&' && entityAt(s[i+1:]):
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func tagStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '/' || c == '!' || c == '?'
}

// entityAt reports whether s starts like the rest of a character reference:
// "copy;", "#169;" or "#xA9;".
func entityAt(s string) bool {
	i := 0
	digits := func(ok func(byte) bool, most int) bool {
		start := i
		for i < len(s) && i-start < most && ok(s[i]) {
			i++
		}
		return i > start && i < len(s) && s[i] == ';'
	}
	switch {
	case strings.HasPrefix(s, "#x"), strings.HasPrefix(s, "#X"):
		i = 2
		return digits(isHex, 6)
	case strings.HasPrefix(s, "#"):
		i = 1
		return digits(isDigit, 7)
	}
	return digits(isAlnum, 32)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }
func isAlnum(c byte) bool { return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
