package web

import (
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"milepost/internal/content"
	"milepost/internal/media"
)

// bundleCacheSeconds is how long browsers and caches keep a page bundle's
// photo: thirty days, the photo's ETag and Last-Modified letting them check
// cheaply after that. A writer who changes a photo gives it a new name to
// have readers see it at once.
const bundleCacheSeconds = 30 * 24 * 60 * 60

// bundleFile serves a photo of a page bundle under its post's URL,
// /posts/{slug}/{file...}: never the file itself, but the variant media
// makes of it — upright, without its metadata (a phone's GPS position
// first), at its full width (at most media.MaxWidth) or, with ?w=480 (one
// of media.Widths), narrower. Which files may be served is content's rule
// (View.OpenResource), what bytes media's; anything else, and a photo
// media refuses, is the site's 404 page.
//
// A draft's or a scheduled post's photos are served, besides, to a
// signed-in writer who may edit the post, so that the editor's preview and
// its edit page show them; anyone else gets the 404 of a post that does
// not exist.
func (s *Server) bundleFile(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	slug := r.PathValue("slug")
	cache := "public, max-age=" + strconv.Itoa(bundleCacheSeconds)
	if p := v.Post(slug); p != nil && p.Draft {
		// Shown only to a -drafts preview; never kept by a shared cache.
		cache = "private, no-cache"
	} else if p == nil {
		if writers, ok := s.unpublishedForWriter(r, v.Site, slug); ok {
			v, cache = writers, "private, no-store"
		}
	}
	s.serveBundleFile(w, r, v, slug, r.PathValue("file"), cache)
}

// unpublishedForWriter is the view that shows the draft or scheduled post
// with the slug, when r comes from a signed-in writer who may edit it;
// false for anyone else, and for a post that does not exist at all.
func (s *Server) unpublishedForWriter(r *http.Request, site *content.Site, slug string) (content.View, bool) {
	all := content.View{Site: site, Now: previewAllTime, Drafts: true}
	p := all.Post(slug)
	if p == nil || s.opts.Accounts == nil || sessionToken(r) == "" {
		return content.View{}, false
	}
	u, err := s.opts.Accounts.Authenticate(r.Context(), sessionToken(r))
	if err != nil || !u.Role.CanWrite() {
		return content.View{}, false
	}
	author := ""
	if p.Author != nil {
		author = p.Author.ID
	}
	return all, mayEdit(u, author)
}

// serveBundleFile serves the photo name of the bundle of the post with the
// slug, as v sees the posts, with the Cache-Control cache: the reader's
// route above, and a draft preview link's (preview.go).
func (s *Server) serveBundleFile(w http.ResponseWriter, r *http.Request, v content.View, slug, name, cache string) {
	res, err := v.OpenResource(slug, name)
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
	width, ok := photoWidth(r.URL.Query())
	if !ok || s.opts.Media == nil {
		s.notFound(w, r)
		return
	}
	variant, err := s.opts.Media.Variant(r.Context(), res, photoVersion(slug, name, res), width)
	if errors.Is(err, media.ErrRefused) {
		var widthErr *media.WidthError
		if !errors.As(err, &widthErr) {
			// A photo put in the bundle by hand that media will not
			// decode: the writer learns of it here.
			s.log.WarnContext(r.Context(), "a page bundle's photo is not served", "path", loggedPath(r.URL.Path), "err", err)
		}
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, "making a page bundle's photo", err)
		return
	}
	f, err := os.Open(variant.Path)
	if err != nil {
		s.serverError(w, r, "opening a photo variant", err)
		return
	}
	defer f.Close()
	h := w.Header()
	h.Set("Content-Type", variant.MediaType)
	// The variant's key changes with the photo's bytes and the width:
	// a strong validator.
	h.Set("ETag", `"`+variant.Key+`"`)
	h.Set("Cache-Control", cache)
	// ServeContent answers If-None-Match, If-Modified-Since and ranges;
	// the photo's own time is when its variants last changed.
	http.ServeContent(w, r, "", res.Info.ModTime(), f)
}

// photoVersion names a bundle's photo as it is now: while its size and
// time stay the same, media answers from the variants it has without
// reading the photo again.
func photoVersion(slug, name string, res *content.Resource) string {
	return slug + "/" + name + " " + strconv.FormatInt(res.Info.Size(), 10) + " " +
		strconv.FormatInt(res.Info.ModTime().UnixNano(), 10)
}

// photoWidth reads a photo request's width: ?w=960 (content's
// PhotoWidthParam, which pages' srcset use), or none for the full width
// (0). A second w, or one that is not a plain number, is no photo. Whether
// a number is a width photos are made at is media's to say.
func photoWidth(q url.Values) (int, bool) {
	ws, ok := q[content.PhotoWidthParam]
	if !ok {
		return 0, true
	}
	if len(ws) != 1 || ws[0] == "" || ws[0][0] == '+' || ws[0][0] == '-' {
		return 0, false
	}
	n, err := strconv.Atoi(ws[0])
	if err != nil || n == 0 {
		return 0, false
	}
	return n, true
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
