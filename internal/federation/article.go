package federation

import (
	"html"
	"mime"
	"net/url"
	"path"
	"strings"
	"unicode"

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
	link := st.postURL(p.Slug)
	body, photos := absolutize(string(p.HTML()), link)
	var b strings.Builder
	if line := p.Run.Line(); line != "" {
		b.WriteString(`<p>` + html.EscapeString(line) + "</p>\n")
	}
	b.WriteString(body)
	b.WriteString("\n<p><a href=\"" + html.EscapeString(link) + "\">" + html.EscapeString(link) + "</a></p>")

	tags := make([]any, 0, len(p.Tags))
	for _, t := range p.Tags {
		name := hashtagName(t)
		if name == "" {
			continue
		}
		tags = append(tags, map[string]any{"type": "Hashtag", "name": "#" + name,
			"href": st.base + "/tags/" + url.PathEscape(t) + "/"})
	}
	attachments := []any{}
	seen := map[string]bool{}
	if p.Cover != nil {
		sh := p.Cover.Shared()
		u := st.base + sh.Path // Path is from the base URL's path, not the host's root
		seen[withoutQuery(u)] = true
		attachments = append(attachments, map[string]any{"type": "Image", "mediaType": sh.MediaType, "url": u,
			"name": p.Cover.Alt(), "width": sh.Width, "height": sh.Height})
	}
	for _, ph := range photos {
		// The cover shown in the body too is listed once: its shared
		// variant differs from the body's by its query alone.
		if !seen[withoutQuery(ph.url)] {
			seen[withoutQuery(ph.url)] = true
			a := map[string]any{"type": "Image", "url": ph.url, "name": ph.alt}
			if ph.mediaType != "" {
				a["mediaType"] = ph.mediaType
			}
			attachments = append(attachments, a)
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

type photo struct{ url, alt, mediaType string }

// absolutize makes every link and image of a post's HTML absolute,
// resolved against the post's page (base) as a browser reading the page
// would: the editor writes a bundle's photos and files relative to the
// post ("warm-up.png", "run.gpx"), and on another server those would point
// at that server. Absolute addresses (http, https, mailto…) are left as
// they are. It lists the images, for the Article's attachments.
func absolutize(h, base string) (string, []photo) {
	baseURL, err := url.Parse(base)
	if err != nil {
		return h, nil
	}
	resolve := func(ref string) string {
		u, err := url.Parse(strings.TrimSpace(ref))
		if err != nil || u.Scheme != "" {
			return ref
		}
		return baseURL.ResolveReference(u).String()
	}
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
				tok.Attr[i].Val = resolve(at.Val)
				if at.Key == "src" {
					src = tok.Attr[i].Val
				}
			case "srcset":
				tok.Attr[i].Val = resolveSrcset(at.Val, resolve)
			case "alt":
				alt = at.Val
			}
		}
		if tok.Data == "img" && (strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://")) {
			photos = append(photos, photo{url: src, alt: alt, mediaType: imageType(src)})
		}
		b.WriteString(tok.String())
	}
}

// resolveSrcset resolves each candidate's address of a srcset
// ("a.jpg 480w, b.jpg 960w"), keeping its descriptor.
func resolveSrcset(set string, resolve func(string) string) string {
	candidates := strings.Split(set, ",")
	for i, c := range candidates {
		fields := strings.Fields(c)
		if len(fields) == 0 {
			continue
		}
		fields[0] = resolve(fields[0])
		candidates[i] = strings.Join(fields, " ")
	}
	return strings.Join(candidates, ", ")
}

// imageType is the media type of an image address by its extension, ""
// when it has none known.
func imageType(addr string) string {
	u, err := url.Parse(addr)
	if err != nil {
		return ""
	}
	t, _, _ := strings.Cut(mime.TypeByExtension(strings.ToLower(path.Ext(u.Path))), ";")
	if !strings.HasPrefix(t, "image/") {
		return ""
	}
	return t
}

func withoutQuery(addr string) string {
	u, _, _ := strings.Cut(addr, "?")
	return u
}

// hashtagName is a tag (a slug, "race-day") as a hashtag Mastodon reads
// whole: its letters, digits and underscores alone, so "raceday". Mastodon
// ends a hashtag at the first other character (it read "#race-day" as
// #race), and matches hashtags without regard to case, so "raceday" is the
// same tag as the #RaceDay its users write; "race_day" would be another.
// It is "" for a tag Mastodon would not read as a hashtag at all: one
// without a letter or an underscore ("2026").
func hashtagName(tag string) string {
	var b strings.Builder
	word := false
	for _, r := range tag {
		switch {
		case unicode.IsLetter(r) || r == '_':
			word = true
			b.WriteRune(r)
		case unicode.IsDigit(r) || unicode.IsMark(r):
			b.WriteRune(r)
		}
	}
	if !word {
		return ""
	}
	return b.String()
}
