package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"milepost/internal/clientaddr"
	"milepost/internal/federation"
)

// Following from Mastodon (ActivityPub): the HTTP side of
// internal/federation. Every document is JSON; every error is a status
// with a line of text, from problemTable, as servers read no pages.

// federationRoutes adds the fediverse's addresses; without a Federation
// service there are none (404).
func (s *Server) federationRoutes(m *http.ServeMux) {
	if s.opts.Federation == nil {
		return
	}
	m.HandleFunc("GET /.well-known/webfinger", s.webfinger)
	m.HandleFunc("GET /.well-known/nodeinfo", s.nodeinfoLinks)
	m.HandleFunc("GET /nodeinfo/{version}", s.nodeinfo)
	m.HandleFunc("GET /ap/actors/{name}", s.apDoc(func(r *http.Request) (map[string]any, error) {
		return s.opts.Federation.Actor(r.Context(), r.PathValue("name"))
	}))
	m.HandleFunc("GET /ap/actors/{name}/outbox", s.apDoc(func(r *http.Request) (map[string]any, error) {
		return s.opts.Federation.Outbox(r.Context(), r.PathValue("name"), collectionPage(r))
	}))
	m.HandleFunc("GET /ap/actors/{name}/followers", s.apDoc(func(r *http.Request) (map[string]any, error) {
		return s.opts.Federation.Followers(r.Context(), r.PathValue("name"), collectionPage(r))
	}))
	m.HandleFunc("GET /ap/posts/{slug}", s.apDoc(func(r *http.Request) (map[string]any, error) {
		return s.opts.Federation.Article(r.Context(), r.PathValue("slug"))
	}))
	m.HandleFunc("POST /ap/actors/{name}/inbox", s.inbox)
	m.HandleFunc("POST /inbox", s.inbox)
	if s.opts.Accounts != nil {
		m.HandleFunc("GET /admin/fediverse/{$}", s.admin(s.adminFediverse))
		m.HandleFunc("POST /admin/fediverse/block", s.admin(s.adminBlock))
		m.HandleFunc("POST /admin/fediverse/unblock", s.admin(s.adminUnblock))
	}
}

// collectionPage is a collection's ?page=N, 0 for the collection itself.
func collectionPage(r *http.Request) int {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// wantsActivity reports whether a request asks for ActivityPub JSON
// rather than a page: its Accept names activity+json or ld+json.
func wantsActivity(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	return strings.Contains(accept, "application/activity+json") || strings.Contains(accept, "application/ld+json")
}

// negotiated serves an author page's actor, or a post page's Article,
// to a server that asks for ActivityPub JSON, and the page to anyone else.
func (s *Server) negotiated(page http.HandlerFunc, doc func(r *http.Request) (map[string]any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opts.Federation == nil {
			page(w, r)
			return
		}
		// Shared caches keep one copy per Accept: a page for readers, the
		// JSON for servers. Accept-Encoding is named first, as the page
		// cache and the compression add it again after this.
		w.Header().Set("Vary", "Accept-Encoding, Accept")
		if wantsActivity(r) {
			s.apDoc(doc)(w, r)
			return
		}
		page(w, r)
	}
}

func (s *Server) apDoc(doc func(r *http.Request) (map[string]any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		d, err := doc(r)
		if err != nil {
			s.apFail(w, r, "answering "+r.URL.Path, err)
			return
		}
		contentType := federation.ContentTypeActivity
		if strings.Contains(r.Header.Get("Accept"), "application/ld+json") {
			contentType = federation.ContentTypeLD
		}
		writeJSON(w, contentType, "public, max-age=60", d)
	}
}

func writeJSON(w http.ResponseWriter, contentType, cache string, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", cache)
	w.Header().Set("Access-Control-Allow-Origin", "*")
	_, _ = w.Write(body)
}

// apFail answers a server with a status and a line: problemTable's
// status, and a 500 (logged) for an error of the site's own.
func (s *Server) apFail(w http.ResponseWriter, r *http.Request, doing string, err error) {
	p, ok := problemOf(err, s.location())
	if !ok {
		s.log.Error(doing, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	setRetryAfter(w, p.RetryAfter)
	if p.Status >= 400 && p.Status != http.StatusNotFound {
		s.log.Info("fediverse request refused", "path", r.URL.Path, "status", p.Status, "err", err)
	}
	http.Error(w, p.Heading, p.Status)
}

func (s *Server) webfinger(w http.ResponseWriter, r *http.Request) {
	d, err := s.opts.Federation.WebFinger(r.Context(), r.URL.Query().Get("resource"))
	if err != nil {
		s.apFail(w, r, "answering webfinger", err)
		return
	}
	writeJSON(w, federation.ContentTypeJRD, "public, max-age=300", d)
}

func (s *Server) nodeinfoLinks(w http.ResponseWriter, r *http.Request) {
	d, err := s.opts.Federation.NodeInfoLinks()
	if err != nil {
		s.apFail(w, r, "answering nodeinfo", err)
		return
	}
	writeJSON(w, "application/json", "public, max-age=300", d)
}

func (s *Server) nodeinfo(w http.ResponseWriter, r *http.Request) {
	version := r.PathValue("version")
	d, err := s.opts.Federation.NodeInfo(r.Context(), version, "1")
	if err != nil {
		s.apFail(w, r, "answering nodeinfo", err)
		return
	}
	writeJSON(w, `application/json; profile="http://nodeinfo.diaspora.software/ns/schema/`+version+`#"`, "public, max-age=300", d)
}

// inbox takes an activity of at most federation.MaxInboxBytes; 202 once
// it is handled.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, federation.MaxInboxBytes))
	if err != nil {
		s.apFail(w, r, "reading an activity", err)
		return
	}
	if err := s.opts.Federation.Receive(r.Context(), r.PathValue("name"), clientaddr.Key(s.clientIP(r)), s.asSent(r), body); err != nil {
		s.apFail(w, r, "receiving an activity", err)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// asSent is r with the path its sender wrote, the site's prefix included
// (underPrefix cut it off for routing): the signature's (request-target)
// covers it, and a signature checked against the path without the prefix
// never verifies.
func (s *Server) asSent(r *http.Request) *http.Request {
	prefix := s.prefix()
	if prefix == "" {
		return r
	}
	sent := *r
	u := *r.URL
	u.Path = prefix + u.Path
	if u.RawPath != "" {
		u.RawPath = prefix + u.RawPath
	}
	sent.URL = &u
	return &sent
}

// atHostRoot reports whether path is a document other servers ask for at
// the root of the host whatever the site's prefix: WebFinger and NodeInfo
// look only there (RFC 8615).
func (s *Server) atHostRoot(path string) bool {
	return s.opts.Federation != nil && (path == "/.well-known/webfinger" || path == "/.well-known/nodeinfo")
}

// fediverseProfile is what an author page shows of the author on the
// fediverse: the handle to follow, and how many do.
type fediverseProfile struct {
	Handle    string
	Followers int
}

// fediverseOf is an author's profile, or nil when federation is off.
func (s *Server) fediverseOf(ctx context.Context, author string) *fediverseProfile {
	f := s.opts.Federation
	if f == nil {
		return nil
	}
	h := f.Handle(author)
	if h == "" {
		return nil
	}
	n, err := f.FollowersCount(ctx, author)
	if err != nil {
		s.log.Error("counting followers", "author", author, "err", err)
	}
	return &fediverseProfile{Handle: h, Followers: n}
}

// reactions is what a post page shows of its likes and boosts.
type reactions struct{ Likes, Boosts int }

func (s *Server) reactionsOf(ctx context.Context, slug string) reactions {
	if s.opts.Federation == nil {
		return reactions{}
	}
	likes, boosts, err := s.opts.Federation.Reactions(ctx, slug)
	if err != nil {
		s.log.Error("counting likes and boosts", "post", slug, "err", err)
	}
	return reactions{Likes: likes, Boosts: boosts}
}

// reactionsVersion is in a post page's cache key.
func (s *Server) reactionsVersion(slug string) uint64 {
	if s.opts.Federation == nil {
		return 0
	}
	return s.opts.Federation.ReactionsVersion(slug)
}

// The admin's page of blocked instances and actors, as the bans page is.

func (s *Server) adminFediverse(w http.ResponseWriter, r *http.Request) {
	s.renderFediverse(w, r, http.StatusOK, "")
}

func (s *Server) renderFediverse(w http.ResponseWriter, r *http.Request, status int, problem string) {
	bs, err := s.opts.Federation.Blocks(r.Context())
	if err != nil {
		s.serverError(w, r, "listing blocks", err)
		return
	}
	s.renderAdmin(w, r, status, "Fediverse", adminPage{Section: "fediverse", Blocks: bs, Error: problem,
		Outgoing: s.outgoing(r, federation.Kind)})
}

func (s *Server) adminBlock(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	b, err := s.opts.Federation.Block(r.Context(), userOf(r).Name, r.PostForm.Get("value"), r.PostForm.Get("reason"))
	if errors.Is(err, federation.ErrBadBlock) || errors.Is(err, federation.ErrAlreadyBlocked) {
		s.renderFediverse(w, r, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if err != nil {
		s.fail(w, r, "blocking", err)
		return
	}
	s.backTo(w, r, fmt.Sprintf("Blocked %s.", b.Value))
}

func (s *Server) adminUnblock(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	value := r.PostForm.Get("value")
	err := s.opts.Federation.Unblock(r.Context(), value)
	if errors.Is(err, federation.ErrBadBlock) {
		s.renderFediverse(w, r, http.StatusUnprocessableEntity, err.Error())
		return
	}
	if err != nil {
		s.fail(w, r, "lifting a block", err)
		return
	}
	s.backTo(w, r, "Lifted the block on "+value+".")
}
