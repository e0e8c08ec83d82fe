package federation

import (
	"html"
	"net/url"
	"strings"

	xhtml "golang.org/x/net/html"

	"milepost/internal/content"
)

// attributedTo is the actor a post is by: its author, else the site.
func (st site) attributedTo(p *content.Post) string { return st.actorID(st.attributedName(p)) }

func (st site) attributedName(p *content.Post) string {
	if p.Author != nil {
		return p.Author.ID
	}
	return SiteActor
}

// article is a post as an ActivityStreams Article: the full HTML with the
// run's figures first and the canonical link last, the summary, the tags
// as hashtags, the cover and the body's photos as attachments. Links in
// the HTML are made absolute: it is read on other servers.
func (st site) article(p *content.Post) map[string]any {
	body, photos := absolutize(string(p.HTML()), st.origin)
	var b strings.Builder
	if line := p.Run.Line(); line != "" {
		b.WriteString(`<p>` + html.EscapeString(line) + "</p>\n")
	}
	b.WriteString(body)
	link := st.postURL(p.Slug)
	b.WriteString("\n<p><a href=\"" + html.EscapeString(link) + "\">" + html.EscapeString(link) + "</a></p>")

	tags := make([]any, 0, len(p.Tags))
	for _, t := range p.Tags {
		tags = append(tags, map[string]any{"type": "Hashtag", "name": "#" + strings.ReplaceAll(t, " ", ""),
			"href": st.base + "/tags/" + url.PathEscape(t) + "/"})
	}
	attachments := []any{}
	seen := map[string]bool{}
	if p.Cover != nil {
		sh := p.Cover.Shared()
		u := st.origin + sh.Path
		seen[u] = true
		attachments = append(attachments, map[string]any{"type": "Image", "mediaType": sh.MediaType, "url": u,
			"name": p.Cover.Alt(), "width": sh.Width, "height": sh.Height})
	}
	for _, ph := range photos {
		if !seen[ph.url] {
			seen[ph.url] = true
			attachments = append(attachments, map[string]any{"type": "Image", "url": ph.url, "name": ph.alt})
		}
	}
	a := map[string]any{
		"id":           st.articleID(p.Slug),
		"type":         "Article",
		"attributedTo": st.attributedTo(p),
		"name":         p.Title,
		"summary":      p.Description(),
		"content":      b.String(),
		"mediaType":    "text/html",
		"url":          link,
		"published":    p.Date.UTC().Format("2006-01-02T15:04:05Z"),
		"to":           []any{publicAddress},
		"cc":           st.audience(p),
		"tag":          tags,
		"attachment":   attachments,
	}
	if !p.Lastmod.Equal(p.Date) {
		a["updated"] = p.Lastmod.UTC().Format("2006-01-02T15:04:05Z")
	}
	return a
}

// audience is who a post goes to besides the public: the followers of its
// author and of the site.
func (st site) audience(p *content.Post) []any {
	cc := []any{st.actorID(SiteActor) + "/followers"}
	if p.Author != nil {
		cc = append(cc, st.actorID(p.Author.ID)+"/followers")
	}
	return cc
}

// activity wraps a post's Article in a Create or Update by actor (a local
// actor's name). Its id is stable: the same post at the same version (its
// publication.Fingerprint) gets the same id, after a restart too, which
// receivers deduplicate on.
func (st site) activity(kind string, p *content.Post, actor, version string) map[string]any {
	obj := st.article(p)
	return map[string]any{
		"@context":  []any{asContext, map[string]any{"Hashtag": "as:Hashtag"}},
		"id":        obj["id"].(string) + "#" + strings.ToLower(kind) + "-" + version,
		"type":      kind,
		"actor":     st.actorID(actor),
		"published": obj["published"],
		"to":        obj["to"],
		"cc":        obj["cc"],
		"object":    obj,
	}
}

// deletion is the Delete of a post's Article (gone: a Tombstone).
func (st site) deletion(slug, actor, version string) map[string]any {
	id := st.articleID(slug)
	return map[string]any{
		"@context": asContext,
		"id":       id + "#delete-" + version,
		"type":     "Delete",
		"actor":    st.actorID(actor),
		"to":       []any{publicAddress},
		"object":   map[string]any{"id": id, "type": "Tombstone"},
	}
}

type photo struct{ url, alt string }

// absolutize makes the links and images of a post's HTML absolute (paths
// from the site's root get origin in front) and lists its images.
func absolutize(h, origin string) (string, []photo) {
	z := xhtml.NewTokenizer(strings.NewReader(h))
	var b strings.Builder
	var photos []photo
	for {
		tt := z.Next()
		if tt == xhtml.ErrorToken {
			return b.String(), photos
		}
		tok := z.Token()
		if tt != xhtml.StartTagToken && tt != xhtml.SelfClosingTagToken {
			b.WriteString(tok.String())
			continue
		}
		var src, alt string
		for i, at := range tok.Attr {
			switch at.Key {
			case "href", "src":
				if strings.HasPrefix(at.Val, "/") && !strings.HasPrefix(at.Val, "//") {
					tok.Attr[i].Val = origin + at.Val
				}
				if at.Key == "src" {
					src = tok.Attr[i].Val
				}
			case "srcset":
				tok.Attr[i].Val = "" // its candidates are relative; src is enough elsewhere
			case "alt":
				alt = at.Val
			}
		}
		if tok.Data == "img" && strings.HasPrefix(src, "http") {
			photos = append(photos, photo{url: src, alt: alt})
		}
		b.WriteString(tok.String())
	}
}
