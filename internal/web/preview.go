package web

import (
	"errors"
	"html/template"
	"net/http"
	"strings"
	"time"

	"milepost/internal/authoring"
	"milepost/internal/content"
)

// Draft preview links: a writer (or an editor) makes one from a post's edit
// page and sends it to someone without an account. /preview/TOKEN/ shows the
// post as readers will see it once it is published — the real post
// template, with its photos served under the link — and is never indexed,
// cached or leaked through a Referer. The link points at the slug, so it
// shows every later save, and ends when it is revoked or the post deleted.
// Which tokens open what is authoring's; this file checks who may make and
// revoke links and serves what a link opens.

// previewLinkRow is a link as the edit page lists it: never its token.
type previewLinkRow struct {
	Hash  string
	By    string
	At    string
	Short string // the start of the hash, to tell links apart
}

// previewAllTime is the view's clock for a preview link: a scheduled post
// is shown through its link before its time, as a draft is.
var previewAllTime = time.Unix(1<<62, 0)

func (s *Server) previewRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /preview/{token}/{$}", s.previewPage)
	m.HandleFunc("GET /preview/{token}/{file...}", s.previewFile)
	m.HandleFunc("POST /admin/posts/{slug}/preview-links", s.writer(s.createPreviewLink))
	m.HandleFunc("POST /admin/posts/{slug}/preview-links/{hash}", s.writer(s.revokePreviewLink))
}

// loggedPath is a request's path as logs may keep it: a preview link's
// token is a secret that opens a draft, and log files are read and kept by
// more people than drafts are meant for.
// The access log sees the path before a base URL's path is taken off it,
// hence the search rather than a prefix.
func loggedPath(path string) string {
	i := strings.Index(path, "/preview/")
	if i < 0 {
		return path
	}
	head, rest := path[:i+len("/preview/")], path[i+len("/preview/"):]
	if _, after, found := strings.Cut(rest, "/"); found {
		return head + "TOKEN/" + after
	}
	return head + "TOKEN"
}

// previewHeaders are a preview link's: its page and photos are the
// draft's, for whoever holds the link only.
func previewHeaders(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	// The token is in the address: no link on the page may send it on.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
}

// previewLinkPost returns the post a preview link's token opens, and the view
// that shows it, or nil when it opens nothing (answered with a 404).
func (s *Server) previewLinkPost(w http.ResponseWriter, r *http.Request) (*content.Post, content.View, string, bool) {
	token := r.PathValue("token")
	l, err := s.opts.Authoring.PreviewLinkOf(r.Context(), token)
	if err != nil {
		if !errors.Is(err, authoring.ErrNotFound) {
			s.serverError(w, r, "opening a preview link", err)
			return nil, content.View{}, "", false
		}
		s.notFound(w, r)
		return nil, content.View{}, "", false
	}
	v := content.View{Site: s.opts.Content.Current(), Now: previewAllTime, Drafts: true}
	p := v.Post(l.Slug)
	if p == nil {
		// The file is there but the site skips it (a hand edit broke
		// it): nothing a reader could see.
		s.notFound(w, r)
		return nil, content.View{}, "", false
	}
	return p, v, token, true
}

// previewPage shows the post a link opens as readers will see it: the post
// template without comments, its photos' addresses turned to the link's.
func (s *Server) previewPage(w http.ResponseWriter, r *http.Request) {
	p, v, token, ok := s.previewLinkPost(w, r)
	if !ok {
		return
	}
	base := v.Site.Config.BasePath()
	// The post's srcset names its photos at /posts/SLUG/, which serves
	// a draft's to no one; under the link they are served to its holder.
	// The slug is lowercase letters, digits and hyphens and the token hex,
	// so the replacement cannot make markup.
	shown := p.WithHTML(template.HTML(strings.ReplaceAll(string(p.HTML()),
		base+"/posts/"+p.Slug+"/", base+"/preview/"+token+"/")))
	previewHeaders(w)
	s.render(w, r, http.StatusOK, "post", pageData{
		Title: "Preview: " + p.Title, Description: p.Description(), Type: "article", Published: p.Date,
		NoIndex: true,
		Post:    &postPage{Post: shown, Now: s.now()},
	}, v.Site)
}

// previewFile serves a photo of the post's bundle to the link's holder,
// through the same code and rules as a reader's photo.
func (s *Server) previewFile(w http.ResponseWriter, r *http.Request) {
	p, v, _, ok := s.previewLinkPost(w, r)
	if !ok {
		return
	}
	previewHeaders(w)
	s.serveBundleFile(w, r, v, p.Slug, r.PathValue("file"), "no-store")
}

// createPreviewLink makes a link to the post for the writer who may edit
// it, and shows it on the edit page: the only time its token is known.
func (s *Server) createPreviewLink(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	p, ok := s.openForEdit(w, r)
	if !ok {
		return
	}
	if !s.allowWrite(w, r, "preview-link") {
		return
	}
	token, _, err := s.opts.Authoring.CreatePreviewLink(r.Context(), p.Slug, userOf(r).Name)
	if err != nil {
		s.fail(w, r, "making a preview link", err)
		return
	}
	page := s.editorPageFor(r, p.Slug)
	page.Form = s.formOf(p)
	s.fillFromFile(r, &page, p)
	page.NewPreviewLink = s.config(r, s.opts.Content.Current()).BaseURL + "/preview/" + token + "/"
	s.renderEditor(w, r, http.StatusCreated, "Edit “"+p.Title+"”", page)
}

// revokePreviewLink ends one of the post's links at once.
func (s *Server) revokePreviewLink(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	p, ok := s.openForEdit(w, r)
	if !ok {
		return
	}
	if err := s.opts.Authoring.RevokePreviewLink(r.Context(), p.Slug, r.PathValue("hash"), userOf(r).Name); err != nil {
		s.fail(w, r, "revoking a preview link", err)
		return
	}
	http.Redirect(w, r, "/admin/posts/"+p.Slug+"/edit?"+s.noticeQuery("The preview link is revoked: it shows nothing any more."), http.StatusSeeOther)
}

// previewLinksOf lists the post's links for its edit page.
func (s *Server) previewLinksOf(r *http.Request, slug string) []previewLinkRow {
	ls, err := s.opts.Authoring.PreviewLinks(r.Context(), slug)
	if err != nil {
		// The form works without them; they are listed again next time.
		s.log.ErrorContext(r.Context(), "listing a post's preview links", "slug", slug, "err", err)
		return nil
	}
	rows := make([]previewLinkRow, len(ls))
	for i, l := range ls {
		rows[i] = previewLinkRow{Hash: l.Hash, By: l.By, At: s.when(l.At), Short: l.Hash[:8]}
	}
	return rows
}
