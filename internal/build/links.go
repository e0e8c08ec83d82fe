package build

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"html"
	"net/url"
	"strings"

	xhtml "golang.org/x/net/html"
)

// scanHTML queues every address of the site that the page links to (href,
// src, srcset, a form's action, an og:image) and returns the page with the
// links a static server cannot answer as written rewritten: an address with
// a static query to its file's path, anything only the live server answers
// (a form's action, another query) to the absolute base URL. Tags with
// nothing to change keep their bytes.
func (b *builder) scanHTML(page *url.URL, body []byte, from *visit) []byte {
	z := xhtml.NewTokenizer(bytes.NewReader(body))
	var out bytes.Buffer
	out.Grow(len(body))
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			// io.EOF, or a page cut short: either way all of it was copied.
			return out.Bytes()
		}
		raw := z.Raw()
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			out.Write(raw)
			continue
		}
		name, hasAttr := z.TagName()
		tag := string(name)
		var attrs []xhtml.Attribute
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			attrs = append(attrs, xhtml.Attribute{Key: string(k), Val: string(v)})
		}
		changed := false
		for i, a := range attrs {
			var nv string
			var ok bool
			switch {
			case a.Key == "href" || a.Key == "src":
				nv, ok = b.link(page, a.Val, false, from)
			case a.Key == "srcset":
				nv, ok = b.srcset(page, a.Val, from)
			case a.Key == "action" && tag == "form":
				nv, ok = b.link(page, a.Val, true, from)
			case a.Key == "content" && tag == "meta" && strings.HasPrefix(a.Val, b.base.String()+"/"):
				// og:image and the like: absolute addresses of the site.
				nv, ok = b.link(page, a.Val, false, from)
			}
			if ok {
				attrs[i].Val, changed = nv, true
			}
		}
		if !changed {
			out.Write(raw)
			continue
		}
		out.WriteByte('<')
		out.WriteString(tag)
		for _, a := range attrs {
			out.WriteByte(' ')
			out.WriteString(a.Key)
			out.WriteString(`="`)
			out.WriteString(html.EscapeString(a.Val))
			out.WriteByte('"')
		}
		if tt == xhtml.SelfClosingTagToken {
			out.WriteByte('/')
		}
		out.WriteByte('>')
	}
}

// srcset follows and rewrites each address of a srcset.
func (b *builder) srcset(page *url.URL, set string, from *visit) (string, bool) {
	parts := strings.Split(set, ",")
	changed := false
	for i, part := range parts {
		fields := strings.Fields(part)
		if len(fields) == 0 {
			continue
		}
		if nv, ok := b.link(page, fields[0], false, from); ok {
			fields[0], changed = nv, true
		}
		parts[i] = strings.Join(fields, " ")
	}
	if !changed {
		return "", false
	}
	return strings.Join(parts, ", "), true
}

// link follows one address written on the page (ref, as written; form
// when it is a form's action) and says what to write instead, if anything:
// true with the new address when it must change. Addresses of other sites
// are left alone.
//
// What an address that does not depend on the page it is on (a path from
// the root, an absolute URL) stands for is worked out once per build: the
// same few hundred (the tags, the authors, the feeds, the theme's files)
// are on most pages.
func (b *builder) link(page *url.URL, ref string, form bool, from *visit) (string, bool) {
	ref = strings.TrimSpace(ref)
	if ref == "" || strings.HasPrefix(ref, "#") {
		return "", false
	}
	shared := !form && (strings.HasPrefix(ref, "/") && !strings.HasPrefix(ref, "//") || strings.HasPrefix(ref, "https://") || strings.HasPrefix(ref, "http://"))
	if shared {
		if t, ok := b.targets.Load(ref); ok {
			return b.reach(t.(target), from)
		}
	}
	r, err := url.Parse(ref)
	if err != nil {
		return "", false
	}
	t := b.targetOf(page.ResolveReference(r), form, r.IsAbs())
	if shared {
		b.targets.Store(ref, t)
	}
	return b.reach(t, from)
}

// target is what a link stands for in the static site.
type target struct {
	uri     string // the request URI to fetch; "" for none
	to      string // what the link is rewritten to, when changed
	changed bool
}

// reach notes t's address as linked from the page from, to be queued
// once the page is read, and says what the link becomes.
func (b *builder) reach(t target, from *visit) (string, bool) {
	if t.uri != "" {
		from.links = append(from.links, t.uri)
	}
	return t.to, t.changed
}

// follow queues the address u, linked from the page from, when it is the
// site's, and says what the link should be in the static site (see link).
func (b *builder) follow(u *url.URL, form, absolute bool, from *visit) (string, bool) {
	return b.reach(b.targetOf(u, form, absolute), from)
}

// targetOf says what the address u stands for: the site's address to
// fetch, if any, and what the link should be in the static site; absolute
// when the link was. A form's action is not fetched: it takes a POST,
// which only the live server answers.
func (b *builder) targetOf(u *url.URL, form, absolute bool) target {
	if !strings.EqualFold(u.Host, b.base.Host) || (u.Scheme != "http" && u.Scheme != "https") {
		return target{}
	}
	sitePath, ok := strings.CutPrefix(u.Path, b.prefix)
	if !ok || !strings.HasPrefix(sitePath, "/") {
		return target{}
	}
	live := b.base.String() + u.EscapedPath()
	if u.RawQuery != "" {
		live += "?" + u.RawQuery
	}
	if u.Fragment != "" {
		live += "#" + u.EscapedFragment()
	}
	if form {
		return target{to: live, changed: true}
	}
	q := u.Query()
	sp, static := staticPath(sitePath, q)
	if !static {
		if u.RawQuery == "" {
			return target{} // a path no file can stand for: left as it is
		}
		return target{to: live, changed: true} // ?reply=, ?posted=: the live server's to answer
	}
	uri := u.EscapedPath()
	if len(q) > 0 {
		uri += "?" + q.Encode()
	}
	if u.RawQuery == "" {
		return target{uri: uri}
	}
	to := (&url.URL{Path: b.prefix + sp, Fragment: u.Fragment}).String()
	if absolute {
		// A canonical link, an og:image, a feed's: others read these
		// from elsewhere, so they stay absolute.
		to = b.base.String() + to
	}
	return target{uri: uri, to: to, changed: true}
}

// scanText queues the site's addresses in robots.txt ("Sitemap: URL").
func (b *builder) scanText(page *url.URL, body []byte, from *visit) {
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.EqualFold(strings.TrimSpace(k), "sitemap") {
			b.link(page, strings.TrimSpace(v), false, from)
		}
	}
}

// scanFeed queues the site's addresses in a feed or a sitemap — every text
// or attribute of XML, every string of JSON, that is an absolute address
// of the site — and returns it with those that have a static query written
// as their files' addresses (a cover's ?w=1600 enclosure).
func (b *builder) scanFeed(page *url.URL, body []byte, from *visit, isJSON bool) []byte {
	var refs []string
	if isJSON {
		var doc any
		if json.Unmarshal(body, &doc) == nil {
			refs = jsonStrings(doc, refs)
		}
	} else {
		d := xml.NewDecoder(bytes.NewReader(body))
		for {
			tok, err := d.Token()
			if err != nil {
				break // io.EOF, or XML the build need not read further
			}
			switch t := tok.(type) {
			case xml.StartElement:
				for _, a := range t.Attr {
					refs = append(refs, a.Value)
				}
			case xml.CharData:
				refs = append(refs, strings.TrimSpace(string(t)))
			}
		}
	}
	site := b.base.String() + "/"
	for _, ref := range refs {
		if !strings.HasPrefix(ref, site) {
			continue
		}
		if to, ok := b.link(page, ref, false, from); ok && to != ref && !strings.Contains(ref, "&") {
			body = bytes.ReplaceAll(body, []byte(ref), []byte(to))
		}
	}
	return body
}

func jsonStrings(v any, into []string) []string {
	switch v := v.(type) {
	case string:
		into = append(into, v)
	case []any:
		for _, e := range v {
			into = jsonStrings(e, into)
		}
	case map[string]any:
		for _, e := range v {
			into = jsonStrings(e, into)
		}
	}
	return into
}
