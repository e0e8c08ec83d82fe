package feed

import (
	"html/template"
	"net/url"
	"slices"
	"strings"

	"milepost/internal/content"
)

// The pages that have feeds, below which each Format's file is served.
const SitePath = "/"

// TagPath is the page of a tag's posts, with its feeds.
func TagPath(tag string) string { return "/tags/" + url.PathEscape(tag) + "/" }

// AuthorPath is the page of an author's posts, with their feeds.
func AuthorPath(id string) string { return "/authors/" + url.PathEscape(id) + "/" }

// PagesOf are the pages whose feeds carry p among their newest MaxItems at
// v: the site's, its author's and each of its tags', in that order; none
// when v does not show p.
func PagesOf(v content.View, p *content.Post) []string {
	if p == nil || v.Post(p.Slug) != p {
		return nil
	}
	var out []string
	add := func(path string, posts content.Listing) {
		if slices.Contains(posts[:min(len(posts), MaxItems)], p) {
			out = append(out, path)
		}
	}
	add(SitePath, v.Posts())
	if p.Author != nil {
		add(AuthorPath(p.Author.ID), v.ByAuthor(p.Author.ID))
	}
	for _, tag := range p.Tags {
		add(TagPath(tag), v.Tag(tag))
	}
	return out
}

// URLs are the absolute URLs of every Format's feed of each page, for a
// site at baseURL (content.Config.BaseURL).
func URLs(baseURL string, pages []string) []string {
	base := strings.TrimSuffix(baseURL, "/")
	var out []string
	for _, page := range pages {
		for _, f := range Formats {
			out = append(out, base+page+f.FileName())
		}
	}
	return out
}

// AllPagesOf are every page whose feeds may carry p: the site's, its
// author's and its tags', for a post that is gone (whose place in the
// listings is no longer known).
func AllPagesOf(p *content.Post) []string {
	if p == nil {
		return ListingPages("", nil)
	}
	author := ""
	if p.Author != nil {
		author = p.Author.ID
	}
	return ListingPages(author, p.Tags)
}

// ListingPages are the pages whose feeds may list a post by author (an
// ID, "" for none) with tags: the site's, the author's and the tags'.
func ListingPages(author string, tags []string) []string {
	out := []string{SitePath}
	if author != "" {
		out = append(out, AuthorPath(author))
	}
	for _, tag := range tags {
		out = append(out, TagPath(tag))
	}
	return out
}

// Absolute is a post's HTML with every link and photo address made
// absolute against the post's page, as feeds carry it, for wherever the
// HTML is read away from the site (an email).
func Absolute(h template.HTML, pageURL string) template.HTML {
	u, err := url.Parse(pageURL)
	if err != nil || !u.IsAbs() {
		return h
	}
	return absoluteURLs(h, u)
}
