package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
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
	Feeds       []feedLink
	Year        int

	List    *listPage
	Post    *postPage
	Archive []archiveMonth
	Tags    []content.TagCount
	Error   *errorInfo
	Edit    *editPage
	Admin   *adminPage
}

// feedLink is a <link rel="alternate"> in a page's head.
type feedLink struct {
	Title, Type, URL string
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
var pageNames = []string{"list", "post", "archive", "tags", "error", "comment-edit", "admin"}

var funcs = template.FuncMap{
	"date":     func(t time.Time) string { return t.Format("January 2, 2006") },
	"datetime": func(t time.Time) string { return t.Format(time.RFC3339) },
	"month":    func(t time.Time) string { return t.Format("January 2006") },
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return fmt.Sprintf("%d %s", n, one)
		}
		return fmt.Sprintf("%d %s", n, many)
	},
	"pathEscape": url.PathEscape,
	"add":        func(a, b int) int { return a + b },
	// commentHTML trusts a comment's HTML: it was sanitised when stored.
	"commentHTML": func(c comments.Comment) template.HTML { return template.HTML(c.HTML) },
	"dict":        dict,
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

func parseTemplates(theme fs.FS) (*templates, error) {
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
	data.Site = s.config(site)
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
	// Pages can hold a reader's own details (the form filled in from their
	// cookie, their held comments), so no shared cache may keep them.
	h.Set("Cache-Control", "private, no-cache")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, heading, message string) {
	site := s.opts.Content.Current()
	s.render(w, r, status, "error", pageData{
		Title: heading,
		Feeds: feedLinks(s.config(site), "/", ""),
		Error: &errorInfo{Status: status, Heading: heading, Message: message},
	}, site)
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "Page not found",
		"There is nothing at this address. The post may have moved, or the link may be mistyped.")
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request, doing string, err error) {
	s.log.ErrorContext(r.Context(), doing, "path", r.URL.Path, "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, "Something went wrong",
		"The server could not finish this request. Please try again in a moment.")
}
