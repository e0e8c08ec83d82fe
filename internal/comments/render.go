package comments

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/renderer"
	goldhtml "github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/util"
	"golang.org/x/net/html"
)

// LinkRel is the rel attribute of every link in a rendered comment: readers'
// links earn no search ranking (nofollow, ugc) and get no handle on our page.
const LinkRel = "nofollow ugc noopener"

// The Markdown converter and the sanitiser are built once: both are safe for
// concurrent use once configured, and building them costs far more than a
// typical comment does to render.
var (
	markdown = goldmark.New(
		goldmark.WithExtensions(
			extension.Strikethrough,
			// Only web links: linkify's default also turns ftp:// into links.
			extension.NewLinkify(extension.WithLinkifyAllowedProtocols([]string{"http:", "https:"})),
		),
		goldmark.WithRendererOptions(
			// Readers type a line break and expect one; they do not know
			// that Markdown needs two spaces for it.
			goldhtml.WithHardWraps(),
			renderer.WithNodeRenderers(util.Prioritized(imageRenderer{}, 100)),
		),
		// No WithUnsafe (raw HTML becomes a comment bluemonday then drops)
		// and no auto heading IDs (a reader must not be able to claim an id
		// the page itself uses).
	)

	policy = newPolicy()
)

// newPolicy allows the formatting goldmark produces from Markdown and nothing
// else. It is the real safety net: goldmark's own URL filter only knows a few
// schemes, while this one refuses everything but web and mail links.
func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "em", "strong", "del", "code", "pre", "blockquote",
		"ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,9}$`)).OnElements("ol")
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("title").OnElements("a")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(false)
	p.AllowURLSchemes("http", "https", "mailto")
	return p
}

// Render turns a reader's Markdown into HTML that is safe to put in a page:
// only simple formatting, links only to http, https and mailto addresses,
// each with rel="nofollow ugc noopener", and no images, scripts or styles.
func Render(md string) string {
	var buf bytes.Buffer
	// Converting into a bytes.Buffer cannot fail: the only errors goldmark
	// returns come from the writer.
	if err := markdown.Convert([]byte(md), &buf); err != nil {
		return ""
	}
	return relLinks(policy.SanitizeReader(&buf).String())
}

// relLinks gives every link exactly rel="nofollow ugc noopener" and unwraps
// any <a> left without an href (the sanitiser keeps an <a title> whose unsafe
// href it removed). It runs on the sanitiser's output, so it only has to
// re-serialise tags the policy already allowed.
func relLinks(s string) string {
	if !strings.Contains(s, "<a") {
		return s
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s) + 64)
	var open []bool // for each <a> still open: was it kept?
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return b.String()
		}
		switch tt {
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			// Token consumes the tag's name and attributes but not Raw,
			// so a tag that is not a link is still copied as it came.
			tok := z.Token()
			if tok.Data != "a" {
				break
			}
			if tt == html.EndTagToken {
				if len(open) > 0 {
					kept := open[len(open)-1]
					open = open[:len(open)-1]
					if kept {
						b.WriteString("</a>")
					}
				}
				continue
			}
			attrs := tok.Attr[:0]
			hasHref := false
			for _, a := range tok.Attr {
				switch a.Key {
				case "rel":
					continue
				case "href":
					hasHref = a.Val != ""
				}
				attrs = append(attrs, a)
			}
			if tt == html.StartTagToken {
				open = append(open, hasHref)
			}
			if hasHref {
				tok.Attr = append(attrs, html.Attribute{Key: "rel", Val: LinkRel})
				b.WriteString(tok.String())
			}
			continue
		}
		b.Write(z.Raw())
	}
}

// imageRenderer renders Markdown images as links to the image: a comment
// must not make every visitor's browser fetch a URL a stranger chose (it
// would track them and could show anything), but the reader's intent, "look
// at this", survives as a link. Inside a link only the alt text is kept, since
// links cannot nest.
type imageRenderer struct{}

func (imageRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindImage, renderImage)
}

func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Image)
	if insideLink(n) {
		return ast.WalkContinue, nil
	}
	if !entering {
		_, _ = w.WriteString("</a>")
		return ast.WalkContinue, nil
	}
	dest := util.URLEscape(n.Destination, true)
	_, _ = w.WriteString(`<a href="`)
	if !goldhtml.IsDangerousURL(dest) {
		_, _ = w.Write(util.EscapeHTML(dest))
	}
	_, _ = w.WriteString(`">`)
	if !n.HasChildren() {
		// No alt text: show the address so the link is not invisible.
		_, _ = w.Write(util.EscapeHTML(n.Destination))
	}
	return ast.WalkContinue, nil
}

func insideLink(n ast.Node) bool {
	for p := n.Parent(); p != nil; p = p.Parent() {
		switch p.Kind() {
		case ast.KindLink, ast.KindAutoLink, ast.KindImage:
			return true
		}
	}
	return false
}
