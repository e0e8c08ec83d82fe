package web

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"sync"
	"time"

	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/feed"
)

// feedCache keeps built feeds. A feed depends only on the Site (immutable)
// and on which of its posts are visible, which changes only when a
// future-dated post comes due; so the key is the site, the feed's path, the
// base URL and the number of visible posts.
//
// It holds at most maxCachedFeeds, forgetting the least recently used when
// full: with no base_url the base URL is whatever Host a request named, so
// requests cycling through made-up hosts must neither grow it without end
// nor empty it of the feeds readers poll.
type feedCache struct {
	mu      sync.Mutex
	site    *content.Site
	entries map[feedKey]*list.Element // of *cachedFeed, in lru
	lru     *list.List                // least recently used first
}

type feedKey struct {
	// base is the base URL the feed's links use: with no base_url set it is
	// the address each request came to, so it is part of the key.
	base    string
	path    string
	visible int
}

// maxCachedFeeds bounds the feed cache; a site has a few feeds per tag and
// author, far fewer than this. At tens of kilobytes a feed, some 100 MB at
// worst.
const maxCachedFeeds = 4096

type builtFeed struct {
	body    []byte
	etag    string
	updated time.Time
}

type cachedFeed struct {
	key  feedKey
	feed builtFeed
}

func (c *feedCache) get(site *content.Site, k feedKey, build func() (builtFeed, error)) (builtFeed, error) {
	c.mu.Lock()
	if c.site != site || c.entries == nil {
		// A new site: every feed built from the old one is stale.
		c.site, c.entries, c.lru = site, map[feedKey]*list.Element{}, list.New()
	}
	if e, ok := c.entries[k]; ok {
		c.lru.MoveToBack(e)
		f := e.Value.(*cachedFeed).feed
		c.mu.Unlock()
		return f, nil
	}
	c.mu.Unlock()
	// Built outside the lock: two requests may build the same feed at once,
	// which costs a little work but never blocks other feeds.
	f, err := build()
	if err != nil {
		return builtFeed{}, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.site != site {
		return f, nil // the site changed meanwhile: do not keep a stale feed
	}
	if e, ok := c.entries[k]; ok {
		// Built by another request meanwhile.
		c.lru.MoveToBack(e)
		return f, nil
	}
	for c.lru.Len() >= maxCachedFeeds {
		oldest := c.lru.Front()
		c.lru.Remove(oldest)
		delete(c.entries, oldest.Value.(*cachedFeed).key)
	}
	c.entries[k] = c.lru.PushBack(&cachedFeed{key: k, feed: f})
	return f, nil
}

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
	s.serveFeed(w, r, v, "/tags/"+url.PathEscape(tag)+"/", r.PathValue("file"), posts, "Posts tagged “"+tag+"”", nil)
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
	s.serveFeed(w, r, v, "/authors/"+url.PathEscape(a.ID)+"/", r.PathValue("file"), v.ByAuthor(a.ID), "Posts by "+a.Name, a)
}

// serveFeed answers a feed request, with ETag and Last-Modified so that feed
// readers polling an unchanged feed get a 304 and no body.
func (s *Server) serveFeed(w http.ResponseWriter, r *http.Request, v content.View, root, file string, posts content.Listing, title string, author *content.Author) {
	format, ok := feed.ByFileName(file)
	if !ok {
		s.notFound(w, r)
		return
	}
	cfg := s.config(r, v.Site)
	if title == "" {
		title = cfg.Title
	} else {
		title += " · " + cfg.Title
	}
	f, err := s.feeds.get(v.Site, feedKey{base: cfg.BaseURL, path: root + file, visible: len(posts)}, func() (builtFeed, error) {
		body, err := feed.Build(feed.Channel{
			Title: title, Description: cfg.Description, Language: cfg.Language,
			BaseURL: cfg.BaseURL, Path: root, Author: author,
			// Not cancelled with the request: the feed is kept for every
			// later reader, so it must not lack a cover because one left.
			CoverBytes: s.coverBytes(context.WithoutCancel(r.Context()), v, posts[:min(len(posts), feed.MaxItems)]),
		}, posts, format)
		if err != nil {
			return builtFeed{}, err
		}
		return builtFeed{body: body, etag: etagOf(body), updated: feed.Updated(posts)}, nil
	})
	if err != nil {
		s.serverError(w, r, "building a feed", err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", format.ContentType())
	h.Set("Cache-Control", "public, max-age=300")
	// serveBody answers If-None-Match and If-Modified-Since with a 304.
	s.serveBody(w, r, http.StatusOK, f.body, f.etag, f.updated)
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
// post, as RSS. It is rebuilt on each request: comments change far more
// often than posts, and the ETag still spares unchanged polls the body.
func (s *Server) commentFeed(w http.ResponseWriter, r *http.Request) {
	v := s.view().Published()
	cfg := s.config(r, v.Site)
	ch := feed.Channel{Title: "Comments · " + cfg.Title, Description: "Recent comments on " + cfg.Title,
		Language: cfg.Language, BaseURL: cfg.BaseURL, Path: "/"}
	var (
		list []comments.PublicComment
		err  error
	)
	if slug := r.PathValue("slug"); slug != "" {
		p := v.Post(slug)
		if p == nil {
			s.notFound(w, r)
			return
		}
		ch.Title, ch.Path = "Comments on “"+p.Title+"”", "/posts/"+p.Slug+"/"
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
	h := w.Header()
	h.Set("Content-Type", feed.RSS.ContentType())
	h.Set("Cache-Control", "public, max-age=60")
	// No Last-Modified: marking the newest comment as spam makes the feed
	// older, and a reader polling with If-Modified-Since would keep the
	// spam. The ETag changes with every change.
	s.serveBody(w, r, http.StatusOK, body, etagOf(body), time.Time{})
}

// etagOf is a strong ETag for a response body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`
}
