package web

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"milepost/internal/comments"
)

// postComment takes the comment form. Success is a 303 to the new comment, so
// that reloading the page does not post it twice; a mistake re-renders the
// post with the reader's text kept and each error next to its field.
func (s *Server) postComment(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	p := v.Post(r.PathValue("slug"))
	if p == nil {
		s.notFound(w, r)
		return
	}
	if !s.config(v.Site).Comments.Enabled || !p.CommentsOpen {
		s.errorPage(w, r, http.StatusForbidden, "Comments are closed",
			"This post no longer takes comments. Thank you for reading it.")
		return
	}
	if !isForm(r) {
		s.errorPage(w, r, http.StatusUnsupportedMediaType, "Unsupported form encoding",
			"Comments are sent as an HTML form (application/x-www-form-urlencoded or multipart/form-data).")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxCommentBytes)
	if err := parseForm(r); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.errorPage(w, r, http.StatusRequestEntityTooLarge, "Comment too long",
				"That comment is larger than this site accepts. Please shorten it and try again.")
			return
		}
		s.errorPage(w, r, http.StatusBadRequest, "Unreadable form",
			"The comment form could not be read. Please go back and try again.")
		return
	}
	ip := clientIP(r)
	if ok, wait := s.limiter.allow(ip, s.now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		s.errorPage(w, r, http.StatusTooManyRequests, "Slow down a little",
			"You have posted several comments in a short time. Please wait a minute and try again.")
		return
	}
	in := comments.Input{
		Post:    p.Slug,
		Parent:  r.PostForm.Get("parent"),
		Name:    r.PostForm.Get("name"),
		Email:   r.PostForm.Get("email"),
		Website: r.PostForm.Get("website"),
		Body:    r.PostForm.Get("body"),
	}
	c, err := s.opts.Comments.Post(r.Context(), in, ip)
	var invalid comments.FieldErrors
	switch {
	case errors.As(err, &invalid):
		s.renderPost(w, r, http.StatusUnprocessableEntity, v, p, commentForm{Values: in, Errors: invalid})
		return
	case err != nil:
		s.serverError(w, r, "storing a comment", err)
		return
	}
	http.Redirect(w, r, "/posts/"+p.Slug+"/#comment-"+strconv.FormatUint(c.ID, 10), http.StatusSeeOther)
}

// isForm reports whether the request body is an HTML form.
func isForm(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && (mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data")
}

// parseForm reads either form encoding into r.PostForm. Multipart bodies are
// already bounded by the MaxBytesReader, so they are held in memory.
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return r.ParseMultipartForm(MaxCommentBytes)
	}
	return r.ParseForm()
}
