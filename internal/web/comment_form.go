package web

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
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
	if open, err := s.comments.AcceptsComments(r.Context(), p.Slug); err != nil {
		s.serverError(w, r, "checking whether comments are open", err)
		return
	} else if !open {
		s.commentsClosed(w, r)
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
	ip := s.clientIP(r)
	if ok, wait := s.limiter.allow(ip, s.now()); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds()+0.999)))
		s.renderPost(w, r, http.StatusTooManyRequests, v, p, commentForm{Values: formInput(r, p.Slug), Token: s.keptToken(r, p.Slug),
			Problem: "You have posted several comments in a short time. Please wait a minute, then send this one again."})
		return
	}
	if problem := s.checkGuards(r, p.Slug); problem != "" {
		s.renderPost(w, r, http.StatusUnprocessableEntity, v, p, commentForm{Values: formInput(r, p.Slug), Problem: problem, Token: s.keptToken(r, p.Slug)})
		return
	}
	in := formInput(r, p.Slug)
	who := comments.Author{IP: ip, CommenterID: s.ensureCommenterID(w, r)}
	c, err := s.comments.Post(r.Context(), in, who)
	var (
		invalid comments.FieldErrors
		banned  *comments.BanError
	)
	switch {
	case errors.As(err, &invalid):
		s.renderPost(w, r, http.StatusUnprocessableEntity, v, p, commentForm{Values: in, Errors: invalid, Token: s.keptToken(r, p.Slug)})
		return
	case errors.As(err, &banned):
		s.errorPage(w, r, http.StatusForbidden, "You cannot comment here", banMessage(banned))
		return
	case errors.Is(err, comments.ErrClosed):
		s.commentsClosed(w, r)
		return
	case errors.Is(err, comments.ErrNoPost):
		s.notFound(w, r)
		return
	case errors.Is(err, comments.ErrDuplicate):
		s.renderPost(w, r, http.StatusUnprocessableEntity, v, p, commentForm{Values: in, Token: s.keptToken(r, p.Slug),
			Problem: "You have just posted this same comment. It is already on the page; there is no need to send it again."})
		return
	case err != nil:
		s.serverError(w, r, "storing a comment", err)
		return
	}
	s.rememberReader(w, r, in)
	id := strconv.FormatUint(c.ID, 10)
	http.Redirect(w, r, "/posts/"+p.Slug+"/?posted="+id+"#comment-"+id, http.StatusSeeOther)
}

func (s *Server) commentsClosed(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusForbidden, "Comments are closed",
		"This post no longer takes comments. Thank you for reading it.")
}

// Sentences for forms the guards refuse. The reader's text is kept, so a
// person who was merely quick can send it again.
const (
	msgTooFast   = "That was quicker than we expect a person to write a comment. Please check it and send it again."
	msgStaleForm = "This form is too old or was not served by this site. Please send your comment again from this page."
	msgHoneypot  = "Your comment looks like it was sent by an automated program. If you are a person, please send it again."
)

// checkGuards applies the spam guards to a parsed comment form; it returns
// the sentence to show when one refuses it.
func (s *Server) checkGuards(r *http.Request, slug string) string {
	g := s.opts.Guards
	if g.Honeypot && r.PostForm.Get(honeypotField) != "" {
		return msgHoneypot
	}
	if g.MinFormAge == 0 && g.MaxFormAge == 0 {
		return ""
	}
	age, ok := s.signer.formAge(r.PostForm.Get("ts"), slug, s.now())
	switch {
	case !ok:
		return msgStaleForm
	case g.MinFormAge > 0 && age < g.MinFormAge:
		return msgTooFast
	case g.MaxFormAge > 0 && age > g.MaxFormAge:
		return msgStaleForm
	}
	return ""
}

// keptToken returns the form's own time stamp when it is genuine and not
// stale, so that a form shown again to fix a mistake keeps counting from
// when the reader first opened it; otherwise "" for a fresh one.
func (s *Server) keptToken(r *http.Request, slug string) string {
	token := r.PostForm.Get("ts")
	age, ok := s.signer.formAge(token, slug, s.now())
	if !ok || (s.opts.Guards.MaxFormAge > 0 && age > s.opts.Guards.MaxFormAge) {
		return ""
	}
	return token
}

// readerCookie remembers the name, email and website a reader last used, so
// the form is filled in for them next time. It never leaves their browser
// except to come back here.
const readerCookie = "milepost_reader"

func (s *Server) rememberReader(w http.ResponseWriter, r *http.Request, in comments.Input) {
	v := url.Values{"name": {in.Name}, "email": {in.Email}, "website": {in.Website}}
	http.SetCookie(w, &http.Cookie{
		Name: readerCookie, Value: v.Encode(), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: s.secure(r),
	})
}

// rememberedReader fills the reader's details into an empty form.
func rememberedReader(r *http.Request, in *comments.Input) {
	c, err := r.Cookie(readerCookie)
	if err != nil {
		return
	}
	v, err := url.ParseQuery(c.Value)
	if err != nil {
		return
	}
	in.Name, in.Email, in.Website = v.Get("name"), v.Get("email"), v.Get("website")
}

// formInput reads the comment form's fields.
func formInput(r *http.Request, slug string) comments.Input {
	f := r.PostForm
	return comments.Input{
		Post: slug, Parent: f.Get("parent"), Name: f.Get("name"),
		Email: f.Get("email"), Website: f.Get("website"), Body: f.Get("body"),
	}
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

// banMessage tells a banned reader why and for how long.
func banMessage(b *comments.BanError) string {
	msg := "You may not comment on this site"
	if !b.Until.IsZero() {
		msg += " until " + b.Until.Format("January 2, 2006 at 15:04 MST")
	}
	if b.Reason != "" {
		msg += ". Reason: " + b.Reason
	}
	return msg + "."
}
