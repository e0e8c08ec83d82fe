// Package web serves a Milepost site over HTTP: the pages, the comment form,
// the feeds and the theme's static files.
package web

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/authoring"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/federation"
	"milepost/internal/media"
	"milepost/internal/search"
	"milepost/internal/subscriptions"
	"milepost/internal/training"
)

// SiteSource gives the current Site; content.Source is one.
type SiteSource interface {
	Current() *content.Site
}

// Options configure a Server.
type Options struct {
	Content SiteSource
	// Comments is the comment service, which applies the site's comment
	// settings; the Server reaches the comments only through it.
	Comments *comments.Service
	// Theme is the theme file system: templates/*.html and static/*.
	Theme fs.FS
	Log   *slog.Logger
	// AccessLog, when set, takes the access log's lines (one per request,
	// as Log's text handler would write them, each in one Write) instead
	// of Log: serve's buffered output, which is shared with Log.
	AccessLog io.Writer
	// Drafts shows draft posts.
	Drafts bool
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// CommentRate is how many comments one address may post per minute, with
	// a burst of the same size; 0 means 5.
	CommentRate int
	// Guards are the comment form's spam defences.
	Guards Guards
	// PublicMaxAge is how long caches shared by many readers (nginx, a
	// CDN) may keep a reader's page that is the same for everyone before
	// asking again (its max-age); 0 means DefaultPublicMaxAge. Whole
	// seconds.
	PublicMaxAge time.Duration
	// Accounts signs moderators in to /admin/; without it there are no
	// admin pages.
	Accounts *accounts.Service
	// Backup streams a consistent copy of the database for GET /admin/backup.
	Backup Backuper
	// Authoring writes posts for the editor at /admin/posts/: without it,
	// that page only lists the posts, for closing their comments. After a
	// change, Content is loaded again at once when it is a Reloader.
	Authoring *authoring.Service
	// Media makes the photos of page bundles readers are served: stripped
	// of their metadata, turned upright and resized, cached on disk. An
	// original photo is never served; without Media, no photo is.
	Media *media.Cache
	// Live, when set (serve -live), makes every page load a script that
	// reloads it when Live tells of a reload (live.go); the content
	// security policy then allows scripts from the site. Without it no
	// page runs any script.
	Live Changes
	// Search is the search index: with it, /search and /opensearch.xml
	// are served and every page has a search box.
	Search *search.Index
	// Email is the subscriptions service (subscribe.go): the subscribe
	// form, confirmation and unsubscribe links, the comment form's "email
	// me" boxes. Nil, or not Enabled, offers no email.
	Email *subscriptions.Service
	// Secret keys the HMAC signatures of form tokens and commenter cookies.
	// It must stay the same across restarts (the database keeps it).
	Secret []byte
	// Federation makes the site's authors followable from Mastodon
	// (federation.go); without it the fediverse's addresses are 404.
	Federation *federation.Service
	// Outbox counts the outgoing work waiting and given up on, shown to
	// admins beside the subscribers and the fediverse; nil shows none.
	Outbox OutboxCounts
}

// Server is the Milepost HTTP handler.
type Server struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	tmpl    *templates
	mux     *http.ServeMux
	handler http.Handler
	limiter *ipLimiter
	// writes limits the writes that have no tighter limit of their own:
	// moderators' and admins' actions, and one-time password links.
	writes   *ipLimiter
	forms    *usedForms
	runs     runViews
	staticFS fs.FS
	signer   signer
	comments *comments.Service
	live     *liveState // nil without Options.Live
	// pages is the render cache of public pages and feeds (pagecache.go);
	// siteFacts what it knows of the site served, worked out once per
	// Site; tokenPlaceholder what a kept post page carries where its form
	// token goes.
	pages            *pageCache
	keptRoutes       knownRoutes
	siteFacts        atomic.Pointer[siteFacts]
	factsMu          sync.Mutex
	tokenPlaceholder string

	// trainingCache keeps the training figures of the current site
	// (training.go), teaser the club's week worked out from them.
	trainingCache training.Cache
	teaser        atomic.Pointer[teaserMemo]

	// email is the email forms' limits (subscribe.go).
	email *emailState
}

// staffWritesPerMinute is how many changes one address group may make a
// minute through the admin pages (and one-time links): far more than a person
// clicking through a moderation queue, far fewer than a script gone wrong.
const staffWritesPerMinute = 60

// MaxCommentBytes bounds a comment POST's body; a larger one is answered 413.
const MaxCommentBytes = 64 << 10

// New checks the options, parses the theme's templates and builds the routes.
func New(opts Options) (*Server, error) {
	if opts.Content == nil || opts.Comments == nil || opts.Theme == nil {
		return nil, errors.New("web: Content, Comments and Theme are required")
	}
	if len(opts.Secret) < 16 {
		return nil, errors.New("web: a Secret of at least 16 bytes is required")
	}
	s := &Server{opts: opts, log: opts.Log, now: opts.Now, signer: signer{opts.Secret}, comments: opts.Comments,
		pages: newPageCache(defaultPageBudget), tokenPlaceholder: newTokenPlaceholder()}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	rate := opts.CommentRate
	if rate <= 0 {
		rate = 5
	}
	s.limiter = newIPLimiter(rate, time.Minute)
	s.writes = newIPLimiter(staffWritesPerMinute, time.Minute)
	s.forms = newUsedForms(maxUsedForms)
	t, err := parseTemplates(opts.Theme, s.funcs())
	if err != nil {
		return nil, err
	}
	s.tmpl = t
	static, err := fs.Sub(opts.Theme, "static")
	if err != nil {
		return nil, fmt.Errorf("opening theme static files: %w", err)
	}
	s.staticFS = static
	if opts.Live != nil {
		s.live = newLiveState(s.now())
	}
	s.routes()
	return s, nil
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.home)
	m.HandleFunc("GET /page/{n}/{$}", s.home)
	m.HandleFunc("GET /robots.txt", s.robots)
	m.HandleFunc("GET /sitemap.xml", s.sitemap)
	m.HandleFunc("GET /favicon.ico", s.favicon)
	m.HandleFunc("GET /posts/{slug}/{$}", s.negotiated(s.post, func(r *http.Request) (map[string]any, error) {
		return s.opts.Federation.Article(r.Context(), r.PathValue("slug"))
	}))
	m.HandleFunc("POST /posts/{slug}/comments", s.postComment)
	m.HandleFunc("GET /posts/{slug}/comments/{id}", s.commentLink)
	m.HandleFunc("GET /posts/{slug}/comments/{id}/edit", s.editOwnForm)
	m.HandleFunc("POST /posts/{slug}/comments/{id}/edit", s.editOwn)
	m.HandleFunc("POST /posts/{slug}/comments/{id}/delete", s.deleteOwn)
	m.HandleFunc("GET /tags/{$}", s.tagIndex)
	m.HandleFunc("GET /tags/{tag}/{$}", s.tag)
	m.HandleFunc("GET /tags/{tag}/page/{n}/{$}", s.tag)
	m.HandleFunc("GET /tags/{tag}/{file}", s.tagFeed)
	m.HandleFunc("GET /authors/{id}/{$}", s.negotiated(s.author, func(r *http.Request) (map[string]any, error) {
		return s.opts.Federation.Actor(r.Context(), r.PathValue("id"))
	}))
	m.HandleFunc("GET /authors/{id}/page/{n}/{$}", s.author)
	m.HandleFunc("GET /authors/{id}/{file}", s.authorFeed)
	m.HandleFunc("GET /archive/{$}", s.archive)
	s.trainingRoutes(m)
	// Search (search.go).
	if s.opts.Search != nil {
		s.searchRoutes(m)
	}
	// Without these, "/{file}" (a feed) would answer them 404.
	m.HandleFunc("GET /archive", addSlash)
	m.HandleFunc("GET /tags", addSlash)
	m.HandleFunc("GET /{file}", s.siteFeed)
	m.HandleFunc("GET /comments.xml", s.commentFeed)
	m.HandleFunc("GET /posts/{slug}/comments.xml", s.commentFeed)
	m.HandleFunc("GET /posts/{slug}/"+routeFileName, s.routeGPX)
	m.HandleFunc("GET /posts/{slug}/{file...}", s.bundleFile)
	m.Handle("GET /static/", http.StripPrefix("/static/", s.static(http.FileServerFS(s.staticFS))))
	if s.live != nil {
		s.liveRoutes(m)
	}
	if s.opts.Accounts != nil {
		m.HandleFunc("GET /admin", addSlash)
		m.HandleFunc("GET /admin/login", s.loginForm)
		m.HandleFunc("POST /admin/login", s.login)
		m.HandleFunc("POST /admin/logout", s.logout)
		m.HandleFunc("GET /admin/{$}", s.moderator(s.adminList("queue", "Held comments", s.comments.Held)))
		m.HandleFunc("GET /admin/comments/{$}", s.moderator(s.adminList("recent", "Recent comments", s.comments.Recent)))
		m.HandleFunc("POST /admin/comments/{id}/{action}", s.moderator(s.moderate))
		m.HandleFunc("GET /admin/comments/{id}/edit", s.moderator(s.adminEditForm))
		m.HandleFunc("POST /admin/comments/{id}/edit", s.moderator(s.adminEdit))
		m.HandleFunc("GET /admin/bans/{$}", s.moderator(s.adminBans))
		m.HandleFunc("POST /admin/bans/{$}", s.moderator(s.addBan))
		m.HandleFunc("POST /admin/bans/remove", s.moderator(s.removeBan))
		m.HandleFunc("GET /admin/posts/{$}", s.signedIn(s.adminPosts, mayListPosts))
		m.HandleFunc("POST /admin/posts/{slug}/{action}", s.moderator(s.closePost))
		m.HandleFunc("GET /admin/log/{$}", s.moderator(s.adminLog))
		m.HandleFunc("GET /admin/backup", s.admin(s.backup))
		s.userRoutes(m)
		if s.opts.Authoring != nil {
			s.editorRoutes(m)
			s.previewRoutes(m)
			s.profileRoutes(m)
		}
	}
	// Following from Mastodon (ActivityPub): webfinger, actors, inboxes,
	// and the admin's blocks (federation.go).
	s.federationRoutes(m)
	// Email subscriptions (subscribe.go).
	if s.opts.Email != nil {
		s.email = newEmailState()
		s.emailRoutes(m)
	}
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux = m

	var h http.Handler = http.HandlerFunc(s.dispatch) // bounds bodies too (limitBody)
	h = s.underPrefix(h)
	h = http.NewCrossOriginProtection().Handler(h)
	h = s.shortcut(h) // kept pages' routes, before the mux (keptroutes.go)
	h = securityHeaders(h, s.live != nil)
	h = s.recoverPanics(h)
	h = s.accessLog(h)
	h = boundWrites(h, ResponseWriteTimeout)
	s.handler = h
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// dispatch bounds the request's body by its route (limitBody) and routes
// it through the mux, but answers requests the mux has no route for with
// the theme's error page instead of the mux's plain text.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	route, pattern := s.mux.Handler(r)
	if !s.limitBody(w, r, route) {
		return
	}
	if pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// No pattern: the mux would answer 404, 405 (setting Allow) or redirect
	// to the path with a trailing slash. Learn which without writing.
	probe := &statusProbe{header: http.Header{}}
	s.mux.ServeHTTP(probe, r)
	switch probe.status {
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", probe.header.Get("Allow"))
		s.showProblem(w, r, methodNotAllowed(r.Method))
	case http.StatusNotFound, 0:
		s.notFound(w, r)
	case http.StatusMovedPermanently:
		// The mux's redirect to the path with a trailing slash (/archive →
		// /archive/). 308 says the same, and keeps the method.
		w.Header().Set("Location", probe.header.Get("Location"))
		w.WriteHeader(http.StatusPermanentRedirect)
	default:
		for k, v := range probe.header {
			w.Header()[k] = v
		}
		w.WriteHeader(probe.status)
	}
}

// addSlash redirects permanently to the path with a trailing slash, the
// page's one address.
func addSlash(w http.ResponseWriter, r *http.Request) {
	target := r.URL.Path + "/"
	if r.URL.RawQuery != "" {
		target += "?" + r.URL.RawQuery
	}
	http.Redirect(w, r, target, http.StatusPermanentRedirect)
}

// statusProbe records what the mux's fallback handler would send.
type statusProbe struct {
	header http.Header
	status int
}

func (p *statusProbe) Header() http.Header         { return p.header }
func (p *statusProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *statusProbe) WriteHeader(code int)        { p.status = code }

// view is what this request may see of the current site.
func (s *Server) view() content.View {
	return content.View{Site: s.opts.Content.Current(), Now: s.now(), Drafts: s.opts.Drafts}
}

// config returns the site settings for a request. With no base URL (from
// site.yaml or -base-url, which content applies), links use the address the
// request came to: its Host, over https when it came by TLS or through a
// trusted proxy that says so. BaseURL never ends in a slash; a base URL with
// a path keeps it ("https://example.org/blog").
func (s *Server) config(r *http.Request, site *content.Site) content.Config {
	c := site.Config
	if c.BaseURL == "" {
		scheme := "http"
		if s.secure(r) {
			scheme = "https"
		}
		c.BaseURL = scheme + "://" + r.Host
	}
	return c
}

// prefix is the path the site is served under: "" for a site at the root
// of its host, "/blog" for https://example.org/blog/.
func (s *Server) prefix() string { return s.facts(s.opts.Content.Current()).prefix }

// url is the path of a page of the site as a link: path under the prefix.
// Handlers and templates think in site paths ("/posts/x/"); this and
// underPrefix are the only places that know the site may live under one.
func (s *Server) url(path string) string { return s.prefix() + path }

// underPrefix serves the site under the base URL's path: a request outside
// it is not found (but for the fediverse's well-known documents, asked for
// at the host's root: atHostRoot), the prefix itself redirects to its
// slash, and the prefix is cut off before routing. Redirects to site paths
// get it put back.
func (s *Server) underPrefix(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		prefix := s.prefix()
		if prefix == "" {
			next.ServeHTTP(w, r)
			return
		}
		rest, ok := strings.CutPrefix(r.URL.Path, prefix)
		switch {
		case !ok && s.atHostRoot(r.URL.Path):
			next.ServeHTTP(w, r)
		case ok && rest == "":
			target := prefix + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			http.Redirect(w, r, target, http.StatusPermanentRedirect)
		case ok && strings.HasPrefix(rest, "/"):
			http.StripPrefix(prefix, next).ServeHTTP(&prefixedRedirects{ResponseWriter: w, prefix: prefix}, r)
		default:
			// The error page's links need the prefix too.
			s.notFound(&prefixedRedirects{ResponseWriter: w, prefix: prefix}, r)
		}
	})
}

// prefixedRedirects puts the site's prefix in front of a redirect to a site
// path ("/admin/" → "/blog/admin/"), so handlers need not know it.
type prefixedRedirects struct {
	http.ResponseWriter
	prefix string
	done   bool
}

func (p *prefixedRedirects) fix() {
	if p.done {
		return
	}
	p.done = true
	h := p.ResponseWriter.Header()
	if loc := h.Get("Location"); strings.HasPrefix(loc, "/") && !strings.HasPrefix(loc, "//") {
		h.Set("Location", p.prefix+loc)
	}
}

func (p *prefixedRedirects) WriteHeader(code int) {
	p.fix()
	p.ResponseWriter.WriteHeader(code)
}

func (p *prefixedRedirects) Write(b []byte) (int, error) {
	p.fix()
	return p.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the real writer.
func (p *prefixedRedirects) Unwrap() http.ResponseWriter { return p.ResponseWriter }
