package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"milepost/internal/comments"
	"milepost/internal/content"
)

// pageData is what every template receives. Site and the fields of the page
// being rendered are set; the rest stay zero.
type pageData struct {
	Site        content.Config
	Title       string // the <title>; the site title when empty
	Description string
	Canonical   string // the page's path
	// URL is the page's absolute URL, for Open Graph: the base URL and the
	// canonical path, or the path asked for when the page has none.
	URL string
	// Type is the Open Graph type: "article" for a post, else "website".
	Type string
	// Published is an article's date, for article:published_time.
	Published time.Time
	// Image is the picture other sites show of the page (og:image): a
	// post's cover; nil for none.
	Image *shareImage
	// Live is set under serve -live on a reader's page: the page loads
	// the script that reloads it when the content changes (live.go), and
	// LiveVersion names the content it was rendered from, which the
	// script compares the server's with.
	Live        bool
	LiveVersion string
	// Nav names the site menu entry this page belongs to ("stories",
	// "archive", "tags"), which the menu marks as the current page.
	Nav string
	// Menu is the site menu, with the current page (or section) marked.
	Menu []menuItem
	// NoIndex asks search engines not to index the page: admin and error
	// pages, and pages that show drafts.
	NoIndex bool
	Feeds   []feedLink
	Year    int

	List    *listPage
	Post    *postPage
	Archive []archiveMonth
	Tags    []content.TagCount
	Error   *errorInfo
	Edit    *editPage
	Admin   *adminPage
	Editor  *editorPage
	// Training is the log, records or club page (training.go).
	Training *trainingPage
	// Search is the search page (search.go).
	Search *searchPage
	// Email is an email subscription page (subscribe.go).
	Email *emailPage

	// keep, when set, keeps the page in the render cache (pagecache.go).
	keep *keptPage
}

// keptPage is how a page rendered for a shared view is kept: under key,
// last modified at modified. tokenSlug names the post whose shared form
// token the page carries as the server's placeholder, put in when served.
// again, when set, computes the key anew once the page is rendered, for a
// page that shows figures of the moment that may come back to an earlier
// value (the club's week): a page whose key changed meanwhile may show
// the change, so it is served, not kept. (A version only grows: a page
// rendered as one changed is kept under the old key, which no later
// request computes.)
type keptPage struct {
	key       pageKey
	again     func() pageKey
	modified  time.Time
	tokenSlug string
}

// shareImage is a page's Open Graph image: an absolute URL, the size of
// the image there and its description.
type shareImage struct {
	URL           string
	Width, Height int
	Alt           string
}

// coverImage is the Open Graph image of a post with a cover, at the base
// URL of cfg: the variant content shares, which the bundle route serves.
func coverImage(cfg content.Config, p *content.Post) *shareImage {
	if p == nil || p.Cover == nil {
		return nil
	}
	sh := p.Cover.Shared()
	return &shareImage{URL: cfg.BaseURL + sh.Path, Width: sh.Width, Height: sh.Height, Alt: p.Cover.Alt()}
}

// feedLink is a <link rel="alternate"> in a page's head.
type feedLink struct {
	Title, Type, URL string
}

// menuItem is an entry of the site menu. Current is the aria-current value:
// "page" on the entry's own page, "true" on other pages of its section
// (a tag's page under Tags), "" elsewhere.
type menuItem struct {
	Label, Path, Nav, Current string
}

// siteMenu is the site menu, marked for a page of section nav at path.
func siteMenu(nav, path string) []menuItem {
	menu := []menuItem{
		{Label: "Stories", Path: "/", Nav: "stories"},
		{Label: "Archive", Path: "/archive/", Nav: "archive"},
		{Label: "Tags", Path: "/tags/", Nav: "tags"},
		{Label: "Feed", Path: "/feed.xml"},
	}
	for i := range menu {
		switch {
		case menu[i].Path == path:
			menu[i].Current = "page"
		case menu[i].Nav != "" && menu[i].Nav == nav:
			menu[i].Current = "true"
		}
	}
	return menu
}

// errorInfo is what the error page shows.
type errorInfo struct {
	Status  int
	Heading string
	Message string
}

// templates holds one template set per page, each with the base layout and
// the partials.
type templates struct {
	pages map[string]*template.Template
}

// The pages a theme must provide, in templates/NAME.html. Every other .html
// file in templates/ is a partial available to all of them.
var pageNames = []string{"list", "post", "archive", "tags", "error", "comment-edit", "admin", "editor", "log", "records", "club", "search", "email"}

// Layouts of the times pages show. A time of day always carries its zone.
const (
	dateLayout     = "January 2, 2006"
	dateTimeLayout = "January 2, 2006 at 3:04 PM MST"
	clockLayout    = "3:04 PM MST"
)

// funcs are the template functions. Times are shown in the site's zone,
// read from the current site on each call, and paths get the site's prefix:
// both come from the Server, so two Servers never share them.
func (s *Server) funcs() template.FuncMap {
	in := func(t time.Time) time.Time { return t.In(s.location()) }
	return template.FuncMap{
		"date":     func(t time.Time) string { return in(t).Format(dateLayout) },
		"datetime": func(t time.Time) string { return in(t).Format(time.RFC3339) },
		// when is a date with its time of day and zone:
		// "October 4, 2011 at 9:15 PM PDT".
		"when":  func(t time.Time) string { return in(t).Format(dateTimeLayout) },
		"clock": func(t time.Time) string { return in(t).Format(clockLayout) },
		"month": func(t time.Time) string { return in(t).Format("January 2006") },
		// day is a date within a month's list: "Jan 2".
		"day": func(t time.Time) string { return in(t).Format("Jan 2") },
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return fmt.Sprintf("%d %s", n, one)
			}
			return fmt.Sprintf("%d %s", n, many)
		},
		"pathEscape": url.PathEscape,
		// url makes a site path a link, under the base URL's path when it
		// has one; its arguments are joined: {{url "/posts/" .Slug "/"}}.
		// Every link to the site goes through it.
		"url": func(parts ...any) string {
			var b strings.Builder
			for _, p := range parts {
				fmt.Fprint(&b, p)
			}
			return s.url(b.String())
		},
		"add": func(a, b int) int { return a + b },
		// searchOn reports whether the site has search (search.go).
		"searchOn": func() bool { return s.opts.Search != nil },
		// commentHTML trusts a comment's HTML: it was sanitised when stored.
		"commentHTML": func(c comments.Comment) template.HTML { return template.HTML(c.HTML) },
		"dict":        dict,
		// clubWeek and authorRuns link the home and author pages to the
		// club and an author's log (training.go).
		"clubWeek":   s.clubWeek,
		"authorRuns": s.authorRuns,
		// runView is what a post's page shows of its run (run.go).
		"runView": s.runView,
		// emailOffered and subscribeScope: the subscribe form in the
		// footer, on an author's pages for that author (subscribe.go).
		"emailOffered":   s.emailOffered,
		"subscribeScope": subscribeScope,
	}
}

// location is the site's time zone, in which every time is shown.
func (s *Server) location() *time.Location {
	if loc := s.opts.Content.Current().Config.Location; loc != nil {
		return loc
	}
	return time.UTC
}

// dict builds a map from key, value pairs, to pass several values to a
// partial.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

func parseTemplates(theme fs.FS, funcs template.FuncMap) (*templates, error) {
	files, err := fs.Glob(theme, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("listing theme templates: %w", err)
	}
	isPage := map[string]bool{}
	for _, n := range pageNames {
		isPage[n] = true
	}
	var partials []string
	for _, f := range files {
		if !isPage[strings.TrimSuffix(path.Base(f), ".html")] {
			partials = append(partials, f)
		}
	}
	base, err := template.New("").Funcs(funcs).ParseFS(theme, partials...)
	if err != nil {
		return nil, fmt.Errorf("parsing theme partials: %w", err)
	}
	t := &templates{pages: map[string]*template.Template{}}
	for _, name := range pageNames {
		set, err := template.Must(base.Clone()).ParseFS(theme, "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("parsing theme page %s: %w", name, err)
		}
		if set.Lookup("main") == nil {
			return nil, fmt.Errorf("theme page %s.html defines no \"main\" template", name)
		}
		t.pages[name] = set
	}
	return t, nil
}

// render executes a page into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, page string, data pageData, site *content.Site) {
	data.Site = s.config(r, site)
	pagePath := data.Canonical
	if pagePath == "" {
		pagePath = r.URL.Path
	}
	data.URL = data.Site.BaseURL + pagePath
	if data.Type == "" {
		data.Type = "website"
	}
	data.Menu = siteMenu(data.Nav, data.Canonical)
	private := data.Admin != nil || isAdminPath(r.URL.Path)
	if s.live != nil && site != nil && reloadable(r, private, data) {
		data.Live = true
		data.LiveVersion = s.live.versionOf(site)
	}
	if private || status >= 400 || data.showsDrafts() {
		data.NoIndex = true
	}
	// Only a page meant to be shared shares its cover: a draft's (through
	// its preview link, say) is not served to whoever would fetch it.
	if data.Post != nil && !data.NoIndex {
		data.Image = coverImage(data.Site, data.Post.Post)
	}
	if data.Title == "" {
		data.Title = data.Site.Title
	} else {
		data.Title += " · " + data.Site.Title
	}
	if data.Description == "" {
		data.Description = data.Site.Description
	}
	data.Year = s.now().Year()
	var buf bytes.Buffer
	if err := s.tmpl.pages[page].ExecuteTemplate(&buf, "page", data); err != nil {
		s.log.ErrorContext(r.Context(), "rendering page", "page", page, "path", r.URL.Path, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	switch {
	case private || h.Get("Cache-Control") == "no-store":
		// Admin pages list readers' email and IP addresses: no cache, not
		// even the browser's, may keep them. A page whose handler said so
		// (a draft through its preview link) is kept by none either.
		h.Set("Cache-Control", "no-store")
	case h.Get("Set-Cookie") == "" && s.sharable(r, status, data):
		h.Set("Cache-Control", s.sharedPageCache())
	default:
		// The page may hold a reader's own details (the form filled in
		// from their cookie, their held comments, a form token of their
		// own), so no shared cache may keep it.
		h.Set("Cache-Control", "private, no-cache")
	}
	body := buf.Bytes()
	if k := data.keep; k != nil {
		if status == http.StatusOK {
			p := newCachedPage(string(k.key), body, s.tokenPlaceholder, k.tokenSlug, k.modified, h.Get("Content-Type"), h.Get("Cache-Control"))
			if h.Get("Cache-Control") == s.sharedPageCache() && (k.again == nil || bytes.Equal(k.again(), k.key)) {
				s.pages.put(p)
			}
			s.serve(w, r, p)
			return
		}
		if k.tokenSlug != "" {
			body = bytes.ReplaceAll(body, []byte(s.tokenPlaceholder), []byte(s.signer.sharedFormToken(k.tokenSlug, s.now())))
		}
	}
	s.serveBody(w, r, status, body, etagOf(body), time.Time{})
}

// sharedPageCache is how long caches shared by many readers (a proxy, a
// CDN) and browsers may keep a reader's page that is the same for everyone:
// Options.PublicMaxAge, then a further five minutes while they fetch it
// again in the background. A new comment shows within the max-age.
func (s *Server) sharedPageCache() string {
	maxAge := s.opts.PublicMaxAge
	if maxAge <= 0 {
		maxAge = DefaultPublicMaxAge
	}
	return "public, max-age=" + strconv.Itoa(int(maxAge/time.Second)) + ", stale-while-revalidate=300"
}

// DefaultPublicMaxAge is how long shared caches keep a reader's page
// unless Options.PublicMaxAge says otherwise.
const DefaultPublicMaxAge = time.Minute

// personalCookies are the cookies that make a reader's page their own: the
// name they commented under (filled into the form), their commenter id
// (their held comments shown to them, their edit links), a moderator's
// session.
var personalCookies = []string{readerCookie, commenterCookie, sessionCookieName}

// sharable reports whether a page may be kept by shared caches: a reader's
// page fetched without any cookie that makes it their own, answered 200,
// showing no draft, and not under serve -live (whose pages must reload at
// once). Its comment form's token is the shared one (guards.go).
func (s *Server) sharable(r *http.Request, status int, data pageData) bool {
	return status == http.StatusOK && !data.showsDrafts() && data.Edit == nil && s.everyones(r)
}

// everyones reports whether a request is answered alike for every reader:
// a GET or HEAD without a cookie that makes the page the reader's own
// (personalCookies), to a server not reloading pages (-live).
func (s *Server) everyones(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	if s.live != nil {
		return false
	}
	if r.Header.Get("Cookie") == "" {
		return true
	}
	for _, name := range personalCookies {
		if _, err := r.Cookie(name); err == nil {
			return false
		}
	}
	return true
}

// keyed starts the render cache's key of a page of kind for a request
// that sees what every reader sees (sharedView), and reports false for
// any other, which is rendered for itself. The key names the page's path,
// the base URL its links use, the site's settings and the year the footer
// shows.
func (s *Server) keyed(r *http.Request, kind string, cfg content.Config, f *siteFacts) (pageKey, bool) {
	if !s.sharedView(r) {
		pageCacheFigures.Add("bypassed", 1)
		return nil, false
	}
	return newKey(kind, r.URL.Path, cfg.BaseURL, f).num(uint64(s.now().Year())), true
}

// reloadable reports whether serve -live may reload the page by itself: a
// reader's page asked for with GET. Not an admin page (the editor, its
// preview, a moderator's forms) nor a reader's comment being edited,
// whose typing a reload would lose, nor the answer to a POST (a refused
// form shown back), which a reload would ask to send again.
func reloadable(r *http.Request, private bool, data pageData) bool {
	return !private && data.Edit == nil && (r.Method == http.MethodGet || r.Method == http.MethodHead)
}

// isAdminPath reports whether a site path is one of the admin pages.
func isAdminPath(p string) bool { return p == "/admin" || strings.HasPrefix(p, "/admin/") }

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	site := s.opts.Content.Current()
	s.render(w, r, status, "error", pageData{
		Title: heading,
		Feeds: feedLinks(s.config(r, site), "/", ""),
		Error: &errorInfo{Status: status, Heading: heading, Message: message},
	}, site)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.showProblem(w, r, problemNotFound)
}

// serverError logs a failure of the server's own and answers with a 500
// that says no more than that. A request cut short because its client
// went away is no failure: problemTable answers it.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, doing string, err error) {
	if errors.Is(err, context.Canceled) {
		s.fail(w, r, doing, err)
		return
	}
	s.log.ErrorContext(r.Context(), doing, "path", loggedPath(r.URL.Path), "err", err)
	s.showProblem(w, r, problemServerError)
}
