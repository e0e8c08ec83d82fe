package web

import (
	"errors"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
)

// bundleCacheSeconds is how long browsers and caches keep a page bundle's
// photo: thirty days, the file's ETag and Last-Modified letting them check
// cheaply after that. A writer who changes a photo gives it a new name to
// have readers see it at once.
const bundleCacheSeconds = 30 * 24 * 60 * 60

// bundleFile serves a file of a page bundle under its post's URL,
// /posts/{slug}/{file...}. Which files may be served is content's rule
// (View.OpenResource); anything else is the site's 404 page.
func (s *Server) bundleFile(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	slug := r.PathValue("slug")
	res, err := v.OpenResource(slug, r.PathValue("file"))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			if allow := s.otherMethods(r); allow != "" {
				w.Header().Set("Allow", allow)
				s.showProblem(w, r, methodNotAllowed(r.Method))
				return
			}
			s.notFound(w, r)
			return
		}
		s.serverError(w, r, "opening a page bundle's file", err)
		return
	}
	defer res.Close()
	h := w.Header()
	h.Set("Content-Type", res.MediaType)
	h.Set("ETag", `"`+strconv.FormatInt(res.Info.Size(), 36)+"-"+strconv.FormatInt(res.Info.ModTime().UnixNano(), 36)+`"`)
	if p := v.Post(slug); p != nil && p.Draft {
		// Shown only to a -drafts preview; never kept by a shared cache.
		h.Set("Cache-Control", "private, no-cache")
	} else {
		h.Set("Cache-Control", "public, max-age="+strconv.Itoa(bundleCacheSeconds))
	}
	// ServeContent answers If-None-Match, If-Modified-Since and ranges.
	http.ServeContent(w, r, "", res.Info.ModTime(), res)
}

// otherMethods lists the methods of the other routes that serve r's path.
// Bundle files share their path with routes such as the comment form's
// target (POST /posts/{slug}/comments): a GET there must still answer 405
// with Allow, as if this route did not exist.
func (s *Server) otherMethods(r *http.Request) string {
	_, own := s.mux.Handler(r)
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost} {
		if m == r.Method || (m == http.MethodGet && r.Method == http.MethodHead) {
			continue
		}
		other := r.Clone(r.Context())
		other.Method = m
		if _, pattern := s.mux.Handler(other); pattern != "" && pattern != own {
			allow = append(allow, m)
		}
	}
	return strings.Join(allow, ", ")
}
