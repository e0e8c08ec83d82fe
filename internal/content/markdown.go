package content

import (
	"bytes"
	"fmt"
	"html"
	"html/template"
	"net/url"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	goldhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders posts, summaries and bios. One is built per Load: goldmark
// sets itself up on first use, and a Markdown is safe for concurrent use
// afterwards, so the loader's workers share it.
type markdown struct {
	md goldmark.Markdown
}

func newMarkdown(cfg MarkdownConfig) *markdown {
	rendererOpts := []renderer.Option{
		// Drops raw HTML outright instead of goldmark's
		// "<!-- raw HTML omitted -->" placeholders.
		renderer.WithNodeRenderers(util.Prioritized(rawHTMLDropper{}, 100)),
	}
	if cfg.UnsafeHTML {
		rendererOpts = []renderer.Option{goldhtml.WithUnsafe()}
	}
	// Task list boxes get a label (tasklist.go).
	rendererOpts = append(rendererOpts, renderer.WithNodeRenderers(util.Prioritized(taskCheckBox{}, 100)))
	return &markdown{md: goldmark.New(
		goldmark.WithExtensions(
			// GFM, with table alignment as classes: the site's CSP forbids
			// the inline style="text-align:…" goldmark writes by default.
			extension.Linkify,
			extension.NewTable(extension.WithTableCellAlignMethod(extension.TableCellAlignNone)),
			extension.Strikethrough,
			extension.TaskList,
			extension.Footnote,
			extension.DefinitionList,
			// Characters rather than goldmark's default named entities
			// (&ldquo;): feeds carry this HTML, and XML knows no such
			// entities.
			extension.NewTypographer(extension.WithTypographicSubstitutions(map[extension.TypographicPunctuation]string{
				extension.LeftSingleQuote:  "‘",
				extension.RightSingleQuote: "’",
				extension.LeftDoubleQuote:  "“",
				extension.RightDoubleQuote: "”",
				extension.EnDash:           "–",
				extension.EmDash:           "—",
				extension.Ellipsis:         "…",
				extension.LeftAngleQuote:   "«",
				extension.RightAngleQuote:  "»",
				extension.Apostrophe:       "’",
			})),
		),
		goldmark.WithParserOptions(
			parser.WithAutoHeadingID(),
			// Last, so that it also sees any link another transformer adds.
			parser.WithASTTransformers(
				util.Prioritized(tableAlignClasses{}, 500),
				util.Prioritized(linkSanitizer{}, 10000),
			),
		),
		goldmark.WithRendererOptions(rendererOpts...),
	)}
}

// page is a rendered post body.
type page struct {
	html template.HTML
	// summary is the part before a <!--more--> line, else about
	// summaryWords words of the body's prose (see summarize).
	summary template.HTML
	// description is the summary as plain text, for the meta description.
	description string
	words       int
	// shown is which of its bundle's photos the body shows.
	shown shownPhotos
}

// render renders a post body and works out its summary and length.
// postPath is the post's URL path ("/posts/slug/"): the summary is shown on
// other pages, so its relative URLs are resolved against it. photos, when
// the post is a page bundle, reads its photos' sizes (photos.go).
func (m *markdown) render(src []byte, postPath string, photos photoFinder) (page, error) {
	doc := m.md.Parser().Parse(text.NewReader(src), parser.WithContext(parser.NewContext(parser.WithIDs(newHeadingIDs()))))

	// The <!--more--> marker is taken out before rendering: with unsafe
	// HTML on it would otherwise be copied into the page.
	var more ast.Node
	for c := doc.FirstChild(); c != nil; c = c.NextSibling() {
		if isMoreMarker(c, src) {
			more = c
			break
		}
	}
	var beforeMore []ast.Node
	if more != nil {
		for c := doc.FirstChild(); c != more; c = c.NextSibling() {
			beforeMore = append(beforeMore, c)
		}
		doc.RemoveChild(doc, more)
	}

	var shown shownPhotos
	if photos != nil {
		shown = photoAttributes(doc, src, postPath, photos)
	}
	var buf bytes.Buffer
	buf.Grow(2 * len(src))
	if err := m.md.Renderer().Render(&buf, src, doc); err != nil {
		return page{}, fmt.Errorf("rendering Markdown: %w", err)
	}
	p := page{html: template.HTML(buf.String()), words: countWords(doc, src), shown: shown}

	// The summary is cut out of the tree the page was rendered from, which
	// is not used again.
	var sum *ast.Document
	if more != nil {
		sum = ast.NewDocument()
		for _, b := range beforeMore {
			sum.AppendChild(sum, b)
		}
	} else {
		sum = summarize(doc, src)
	}
	var err error
	if p.summary, p.description, err = m.renderSummary(sum, src, postPath); err != nil {
		return page{}, err
	}
	if p.description == "" {
		p.description = description(p.html)
	}
	return p, nil
}

// summary renders a front matter summary, which is Markdown.
func (m *markdown) summary(src []byte, postPath string) (template.HTML, string, error) {
	doc := m.md.Parser().Parse(text.NewReader(src))
	return m.renderSummary(doc, src, postPath)
}

// html renders Markdown that needs no summary: bios.
func (m *markdown) html(src []byte) (template.HTML, error) {
	var buf bytes.Buffer
	if err := m.md.Convert(src, &buf); err != nil {
		return "", fmt.Errorf("rendering Markdown: %w", err)
	}
	return template.HTML(buf.String()), nil
}

var moreRE = regexp.MustCompile(`^<!--\s*more\s*-->$`)

// isMoreMarker reports whether n is a <!--more--> line, which CommonMark
// parses as an HTML block of its own.
func isMoreMarker(n ast.Node, src []byte) bool {
	hb, ok := n.(*ast.HTMLBlock)
	if !ok {
		return false
	}
	var b []byte
	lines := hb.Lines()
	for i := range lines.Len() {
		seg := lines.At(i)
		b = append(b, seg.Value(src)...)
	}
	if hb.HasClosure() {
		b = append(b, hb.ClosureLine.Value(src)...)
	}
	return moreRE.Match(bytes.TrimSpace(b))
}

// countWords counts the words a reader reads in n: text, code and link
// labels, but not markup, raw HTML or image descriptions.
func countWords(n ast.Node, src []byte) int {
	var wc wordCounter
	_ = ast.Walk(n, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			if n.Type() == ast.TypeBlock {
				wc.space()
			}
			return ast.WalkContinue, nil
		}
		switch n := n.(type) {
		case *ast.Text:
			wc.write(n.Segment.Value(src))
			if n.SoftLineBreak() || n.HardLineBreak() {
				wc.space()
			}
		case *ast.String:
			wc.write(n.Value)
		case *ast.AutoLink:
			wc.write(n.Label(src))
		case *ast.CodeBlock, *ast.FencedCodeBlock:
			lines := n.Lines()
			for i := range lines.Len() {
				seg := lines.At(i)
				wc.write(seg.Value(src))
			}
		case *ast.HTMLBlock, *ast.RawHTML, *ast.Image:
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
	return wc.n
}

// wordCounter counts runs of non-space characters that hold at least one
// letter or digit, so a lone dash is not a word. It is fed text in pieces:
// "don't" arrives as "don", "’" (from the typographer) and "t" and is one
// word.
type wordCounter struct {
	n              int
	inWord, counts bool
}

func (c *wordCounter) write(b []byte) {
	if bytes.IndexByte(b, '&') >= 0 {
		b = []byte(html.UnescapeString(string(b))) // "&amp;" is not a word
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		b = b[size:]
		if unicode.IsSpace(r) {
			c.inWord = false
			continue
		}
		if !c.inWord {
			c.inWord, c.counts = true, false
		}
		if !c.counts && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			c.n++
			c.counts = true
		}
	}
}

func (c *wordCounter) space() { c.inWord = false }

// rawHTMLDropper renders raw HTML, block and inline, as nothing.
type rawHTMLDropper struct{}

func (rawHTMLDropper) RegisterFuncs(r renderer.NodeRendererFuncRegisterer) {
	drop := func(util.BufWriter, []byte, ast.Node, bool) (ast.WalkStatus, error) {
		return ast.WalkSkipChildren, nil
	}
	r.Register(ast.KindHTMLBlock, drop)
	r.Register(ast.KindRawHTML, drop)
}

// linkSanitizer neutralises links, autolinks and images whose URL is not
// http, https, mailto or relative. goldmark filters a few schemes itself,
// but only without unsafe HTML and only by exact prefix; this runs whatever
// the settings and reads URLs the way a browser does.
type linkSanitizer struct{}

func (linkSanitizer) Transform(doc *ast.Document, reader text.Reader, _ parser.Context) {
	src := reader.Source()
	var unsafe []ast.Node
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		var dest []byte
		switch n := n.(type) {
		case *ast.Link:
			dest = n.Destination
		case *ast.Image:
			dest = n.Destination
		case *ast.AutoLink:
			dest = n.URL(src)
		default:
			return ast.WalkContinue, nil
		}
		// The destination still holds Markdown's backslash escapes
		// ("javascript\:"), which the renderer takes out: judge it as
		// the renderer will write it.
		if !safeURL(string(util.UnescapePunctuations(bytes.Clone(dest)))) {
			unsafe = append(unsafe, n)
		}
		return ast.WalkContinue, nil
	})
	// Changed after the walk, which must not see the tree move under it.
	for _, n := range unsafe {
		parent := n.Parent()
		switch n := n.(type) {
		case *ast.Link:
			// The text stays, without the link.
			for c := n.FirstChild(); c != nil; {
				next := c.NextSibling()
				parent.InsertBefore(parent, n, c)
				c = next
			}
			parent.RemoveChild(parent, n)
		case *ast.Image:
			parent.RemoveChild(parent, n)
		case *ast.AutoLink:
			label := ast.NewString(util.EscapeHTML(n.Label(src)))
			label.SetCode(true) // already escaped
			parent.ReplaceChild(parent, n, label)
		}
	}
}

// allowedSchemes are the URL schemes a post may link to.
var allowedSchemes = map[string]bool{"http": true, "https": true, "mailto": true}

// safeURL reports whether u is relative or uses an allowed scheme. It
// undoes HTML entities and percent-encoding, repeatedly, and looks for a
// scheme at each step, so no spelling of "javascript:" gets through; a
// URL that keeps changing after several rounds is refused.
func safeURL(u string) bool {
	for range 4 {
		if scheme, ok := urlScheme(u); ok && !allowedSchemes[scheme] {
			return false
		}
		next := html.UnescapeString(u)
		if p, err := url.PathUnescape(next); err == nil {
			next = p
		}
		if next == u {
			return true
		}
		u = next
	}
	return false
}

// urlScheme returns the lowercased scheme of u, if it has one. Browsers
// ignore leading and trailing spaces and control characters and every tab
// and newline in a URL; this ignores every space and control character
// anywhere, which can only find more schemes, never fewer.
func urlScheme(u string) (string, bool) {
	s := strings.Map(func(r rune) rune {
		if r <= ' ' || r == 0x7f {
			return -1
		}
		return r
	}, u)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return strings.ToLower(s[:i]), true
		default:
			return "", false
		}
	}
	return "", false
}

// headingIDs are goldmark's automatic heading ids, kept clear of the ids the
// page around a post uses: a heading "Comments" or "Comment 1" must not
// take the place of the comments section or of a comment's anchor.
type headingIDs struct{ parser.IDs }

func newHeadingIDs() parser.IDs { return headingIDs{parser.NewContext().IDs()} }

// pageIDs and pageIDPrefixes are the ids the default theme gives its own
// elements.
var (
	pageIDs        = map[string]bool{"main": true, "comments": true, "comments-heading": true, "comment-form": true}
	pageIDPrefixes = []string{"comment-", "field-", "error-", "login-", "ban-"}
)

func (h headingIDs) Generate(value []byte, kind ast.NodeKind) []byte {
	id := h.IDs.Generate(value, kind)
	if reservedID(string(id)) {
		return h.IDs.Generate(append([]byte("h "), value...), kind)
	}
	return id
}

func reservedID(id string) bool {
	if pageIDs[id] {
		return true
	}
	for _, p := range pageIDPrefixes {
		if strings.HasPrefix(id, p) {
			return true
		}
	}
	return false
}

// tableAlignClasses gives aligned table cells a class (align-left,
// align-center, align-right) the theme styles, in place of goldmark's
// inline style, which the site's Content-Security-Policy blocks.
type tableAlignClasses struct{}

func (tableAlignClasses) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if cell, ok := n.(*extast.TableCell); ok && entering && cell.Alignment != extast.AlignNone {
			cell.SetAttributeString("class", []byte("align-"+cell.Alignment.String()))
		}
		return ast.WalkContinue, nil
	})
}
