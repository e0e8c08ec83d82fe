package web

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"strings"

	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/feed"
)

// siteFeed serves the site's feeds. Every feed is built from the published
// view (content.View.Published): never a draft, even when -drafts shows them
// on the pages, since a feed reader keeps whatever it has fetched once.
func (s *Server) siteFeed(w http.ResponseWriter, r *http.Request) {
	v := s.view().Published()
	s.serveFeed(w, r, v, "/", r.PathValue("file"), v.Posts(), "", nil)
}

func (s *Server) tagFeed(w http.ResponseWriter, r *http.Request) {
	v := s.view().Published()
	tag := r.PathValue("tag")
	posts := v.Tag(tag)
	if len(posts) == 0 {
		s.notFound(w, r)
		return
	}
	s.serveFeed(w, r, v, feed.TagPath(tag), r.PathValue("file"), posts, "Posts tagged “"+tag+"”", nil)
}

func (s *Server) authorFeed(w http.ResponseWriter, r *http.Request) {
	v := s.view().Published()
	a := v.Site.Authors[r.PathValue("id")]
	if a == nil {
		s.notFound(w, r)
		return
	}
	if a.Avatar != "" && r.PathValue("file") == a.Avatar {
		s.authorAvatar(w, r, v, a.ID, a.Avatar)
		return
	}
	s.serveFeed(w, r, v, feed.AuthorPath(a.ID), r.PathValue("file"), v.ByAuthor(a.ID), "Posts by "+a.Name, a)
}

// serveFeed answers a feed request, with ETag and Last-Modified so that feed
// readers polling an unchanged feed get a 304 and no body. A feed is built
// once per version of what it shows (the render cache, pagecache.go): the
// newest feed.MaxItems of posts, and the site's settings and authors.
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, v content.View, root, file string, posts content.Listing, title string, author *content.Author) {
	format, ok := feed.ByFileName(file)
	if !ok {
		s.notFound(w, r)
		return
	}
	cfg := s.config(r, v.Site)
	shown := posts[:min(len(posts), feed.MaxItems)]
	facts := s.facts(v.Site)
	key := newKey("feed", root+file, cfg.BaseURL, facts)
	for _, p := range shown {
		key = key.post(p)
	}
	websubLinks(w, cfg, root+file)
	if s.serveKept(w, r, key) {
		return
	}
	if title == "" {
		title = cfg.Title
	} else {
		title += " · " + cfg.Title
	}
	body, err := feed.Build(feed.Channel{
		Title: title, Description: cfg.Description, Language: cfg.Language,
		BaseURL: cfg.BaseURL, Path: root, Author: author, Hubs: cfg.WebSub.Hubs,
		// Not cancelled with the request: the feed is kept for every
		// later reader, so it must not lack a cover because one left.
		CoverBytes: s.coverBytes(context.WithoutCancel(r.Context()), v, shown),
	}, posts, format)
	if err != nil {
		s.serverError(w, r, "building a feed", err)
		return
	}
	s.keepAndServe(w, r, key, body, latest(facts.seen, feed.Updated(posts)), format.ContentType(), "public, max-age=300")
}

// coverBytes is the byte size of the shared variant of each post's cover
// (content.Cover.Shared), by slug, for feeds' enclosures, whose length
// must be true: the variant media serves, built now if it has not been
// yet — once per photo, as media keeps it — then only looked up. A cover
// media cannot make is left out, and its post gets no enclosure.
func (s *Server) coverBytes(ctx context.Context, v content.View, posts content.Listing) map[string]int64 {
	if s.opts.Media == nil {
		return nil
	}
	sizes := make(map[string]int64)
	for _, p := range posts {
		if p.Cover == nil {
			continue
		}
		size, err := s.variantBytes(ctx, v, p.Slug, p.Cover.Name, content.ShareWidth)
		if err != nil {
			s.log.WarnContext(ctx, "a post's cover is left out of its feeds", "post", p.Slug, "cover", p.Cover.Name, "err", err)
			continue
		}
		sizes[p.Slug] = size
	}
	return sizes
}

// variantBytes is the size of the variant of the bundle photo name of the
// post with the slug that answers a request for width w.
func (s *Server) variantBytes(ctx context.Context, v content.View, slug, name string, w int) (int64, error) {
	res, err := v.OpenResource(slug, name)
	if err != nil {
		return 0, err
	}
	defer res.Close()
	variant, err := s.opts.Media.Variant(ctx, res, photoVersion(slug, name, res), w)
	if err != nil {
		return 0, err
	}
	info, err := os.Stat(variant.Path)
	if err != nil {
		return 0, fmt.Errorf("reading the size of a photo variant: %w", err)
	}
	return info.Size(), nil
}

// commentFeed serves the recent approved comments, site-wide or on one
// post, as RSS. It is built once per version of the comments it shows
// (comments.Service.PostVersion, SiteVersion) and of the posts it names,
// and is last modified when they last changed: marking the newest comment
// as spam is a change too, so the date never goes back.
func (s *Server) commentFeed(w http.ResponseWriter, r *http.Request) {
	v := s.view().Published()
	cfg := s.config(r, v.Site)
	facts := s.facts(v.Site)
	ch := feed.Channel{Title: "Comments · " + cfg.Title, Description: "Recent comments on " + cfg.Title,
		Language: cfg.Language, BaseURL: cfg.BaseURL, Path: "/"}
	var (
		p       *content.Post
		key     pageKey
		version = s.comments.SiteVersion()
	)
	if slug := r.PathValue("slug"); slug != "" {
		if p = v.Post(slug); p == nil {
			s.notFound(w, r)
			return
		}
		ch.Title, ch.Path = "Comments on “"+p.Title+"”", "/posts/"+p.Slug+"/"
		version = s.comments.PostVersion(p.Slug)
		key = newKey("comment-feed", ch.Path, cfg.BaseURL, facts).post(p).num(version.Comments)
	} else {
		// The comments name their posts: the key names every post.
		key = newKey("comment-feed", ch.Path, cfg.BaseURL, facts).num(facts.gen).num(uint64(len(v.Posts()))).num(version.Comments)
	}
	if s.serveKept(w, r, key) {
		return
	}
	var (
		list []comments.PublicComment
		err  error
	)
	if p != nil {
		list, err = s.comments.ApprovedOn(r.Context(), p.Slug, feed.MaxItems)
	} else {
		list, err = s.comments.RecentApproved(r.Context(), feed.MaxItems)
	}
	if err != nil {
		s.serverError(w, r, "reading comments for a feed", err)
		return
	}
	items := make([]feed.CommentItem, 0, len(list))
	for _, c := range list {
		p := v.Post(c.Post)
		if p == nil {
			continue // a comment on a draft or removed post
		}
		items = append(items, feed.CommentItem{ID: c.ID, PostSlug: c.Post, PostTitle: p.Title, Name: c.Name, HTML: c.HTML, Created: c.Created})
	}
	body, err := feed.BuildComments(ch, items)
	if err != nil {
		s.serverError(w, r, "building a comment feed", err)
		return
	}
	s.keepAndServe(w, r, key, body, latest(facts.seen, version.Changed), feed.RSS.ContentType(), "public, max-age=60")
}

// etagOf is a strong ETag for a response body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}

// websubLinks names the feed's WebSub hubs and its own URL in Link headers
// (WebSub 4: a subscriber may look only at the headers).
func websubLinks(w http.ResponseWriter, cfg content.Config, path string) {
	if len(cfg.WebSub.Hubs) == 0 {
		return
	}
	for _, h := range cfg.WebSub.Hubs {
		w.Header().Add("Link", "<"+h+">; rel=\"hub\"")
	}
	w.Header().Add("Link", "<"+strings.TrimSuffix(cfg.BaseURL, "/")+path+">; rel=\"self\"")
}
