package feed

import (
	"html/template"
	"net/url"
	"strings"

	"golang.org/x/net/html"
)

// markupFree makes s, a plain-text field (a title, a name, a tag, JSON
// Feed's summary), read as the same text in a feed reader that renders it
// as HTML, as many do with titles: "<" and ">" become their full-width forms
// and an "&" that could begin a character reference becomes "＆", so that
// nothing a commenter or author types can parse as a tag or an entity.
// An "&" followed by a space or punctuation is left alone: "Tom & Jerry"
// reads the same either way.
func markupFree(s string) string {
	if !strings.ContainsAny(s, "<>&") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '<':
			b.WriteString("＜")
		case '>':
			b.WriteString("＞")
		case '&':
			if i+1 < len(s) && (s[i+1] == '#' || isASCIILetter(s[i+1])) {
				b.WriteString("＆")
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// urlAttrs are the attributes whose values are URLs, relative ones of which
// must be made absolute: a feed reader shows a post away from its page, so
// "photo.jpg" or "#fn:1" would point nowhere. srcset, a list of URLs, is
// handled on its own.
var urlAttrs = map[string]bool{"href": true, "src": true, "poster": true, "cite": true}

// absoluteURLs returns h with every relative URL in its elements' href, src,
// poster, cite and srcset attributes resolved against page, the absolute URL
// of the post it belongs to (RFC 3986). Everything else is copied byte for
// byte, so entities, CDATA-like text and formatting are unchanged; an
// attribute that does not parse as a URL is left as it is.
func absoluteURLs(h template.HTML, page *url.URL) template.HTML {
	z := html.NewTokenizer(strings.NewReader(string(h)))
	var b strings.Builder
	b.Grow(len(h) + len(h)/8)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF at the end: the tokenizer accepts any input.
			return template.HTML(b.String())
		case html.StartTagToken, html.SelfClosingTagToken:
			raw := string(z.Raw()) // Raw is only valid until Token is called
			tok := z.Token()
			changed := false
			for i, a := range tok.Attr {
				if a.Namespace != "" {
					continue
				}
				var v string
				switch {
				case urlAttrs[a.Key]:
					v = resolve(page, a.Val)
				case a.Key == "srcset":
					v = resolveSrcset(page, a.Val)
				default:
					continue
				}
				if v != a.Val {
					tok.Attr[i].Val, changed = v, true
				}
			}
			if changed {
				// Token.String escapes the attribute values again.
				b.WriteString(tok.String())
			} else {
				b.WriteString(raw)
			}
		default:
			b.Write(z.Raw())
		}
	}
}

// resolve is ref resolved against page, or ref itself when it is empty,
// already absolute or not a URL.
func resolve(page *url.URL, ref string) string {
	trimmed := strings.TrimSpace(ref)
	if trimmed == "" {
		return ref
	}
	u, err := url.Parse(trimmed)
	if err != nil || u.IsAbs() {
		return ref
	}
	return page.ResolveReference(u).String()
}

// resolveSrcset resolves the URL of each candidate of a srcset attribute
// ("a.jpg 1x, b.jpg 2x"), keeping its descriptor.
func resolveSrcset(page *url.URL, set string) string {
	cands := strings.Split(set, ",")
	for i, c := range cands {
		fields := strings.Fields(c)
		if len(fields) == 0 {
			continue
		}
		fields[0] = resolve(page, fields[0])
		cands[i] = strings.Join(fields, " ")
	}
	return strings.Join(cands, ", ")
}
