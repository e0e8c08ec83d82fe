package web

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"milepost/internal/content"
)

// robots answers /robots.txt: crawl everything but the admin pages, and
// find the pages in the sitemap.
func (s *Server) robots(w http.ResponseWriter, r *http.Request) {
	site := s.opts.Content.Current()
	cfg := s.config(r, site)
	facts := s.facts(site)
	// Kept by the base URL and the settings (the base URL's path).
	key := newKey("robots", "/robots.txt", cfg.BaseURL, facts)
	if s.serveKept(w, r, key) {
		return
	}
	body := fmt.Appendf(nil, "User-agent: *\nDisallow: %s\nAllow: /\n\nSitemap: %s/sitemap.xml\n", s.url("/admin/"), cfg.BaseURL)
	s.keepAndServe(w, r, key, body, facts.seen, "text/plain; charset=utf-8", "public, max-age=3600")
}

// sitemapURL is one <url> of a sitemap (sitemaps.org protocol 0.9).
type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

type sitemapSet struct {
	XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
	URLs    []sitemapURL `xml:"url"`
}

// sitemap answers /sitemap.xml: the home page, archive and tag index, every
// published post, tag and author, each with when it last changed. It is
// built from a view without drafts whatever -drafts says: a draft is never
// offered to a search engine.
func (s *Server) sitemap(w http.ResponseWriter, r *http.Request) {
	v := s.view().Published()
	cfg := s.config(r, v.Site)
	posts := v.Posts()
	// It shows the whole site: kept by the site's generation and the
	// number of its posts published by now.
	facts := s.facts(v.Site)
	key := newKey("sitemap", "/sitemap.xml", cfg.BaseURL, facts).num(facts.gen).num(uint64(len(posts)))
	if s.serveKept(w, r, key) {
		return
	}
	set := sitemapSet{}
	add := func(path string, lastmod time.Time) {
		u := sitemapURL{Loc: cfg.BaseURL + path}
		if !lastmod.IsZero() {
			u.LastMod = lastmod.Format(time.RFC3339)
		}
		set.URLs = append(set.URLs, u)
	}
	newest := lastModified(posts)
	add("/", newest)
	add("/archive/", newest)
	add("/tags/", newest)
	for _, p := range posts {
		add("/posts/"+url.PathEscape(p.Slug)+"/", lastModified(content.Listing{p}))
	}
	for _, t := range v.Tags() {
		add("/tags/"+url.PathEscape(t.Tag)+"/", lastModified(v.Tag(t.Tag)))
	}
	for _, a := range sortedAuthors(v) {
		add("/authors/"+url.PathEscape(a.ID)+"/", lastModified(v.ByAuthor(a.ID)))
	}
	s.trainingSitemap(v, add)
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	enc := xml.NewEncoder(&buf)
	enc.Indent("", "  ")
	if err := enc.Encode(set); err != nil {
		s.serverError(w, r, "writing the sitemap", err)
		return
	}
	buf.WriteByte('\n')
	s.keepAndServe(w, r, key, buf.Bytes(), latest(facts.seen, newest), "application/xml; charset=utf-8", "public, max-age=300")
}

// sortedAuthors are the authors with at least one visible post, by id.
func sortedAuthors(v content.View) []*content.Author {
	var out []*content.Author
	for _, a := range v.Site.Authors {
		if len(v.ByAuthor(a.ID)) > 0 {
			out = append(out, a)
		}
	}
	slices.SortFunc(out, func(a, b *content.Author) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// lastModified is when the newest change to any of posts was made.
func lastModified(posts content.Listing) time.Time {
	var t time.Time
	for _, p := range posts {
		if p.Lastmod.After(t) {
			t = p.Lastmod
		}
		if p.Date.After(t) {
			t = p.Date
		}
	}
	return t
}

// favicon answers /favicon.ico, which browsers and crawlers ask for whatever
// the page says: the theme's own favicon.ico when it has one, else a
// permanent redirect to its SVG icon.
func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	if _, err := fs.Stat(s.staticFS, "favicon.ico"); err == nil {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		http.ServeFileFS(w, r, s.staticFS, "favicon.ico")
		return
	}
	http.Redirect(w, r, "/static/favicon.svg", http.StatusMovedPermanently)
}
