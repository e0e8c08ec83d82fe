package web

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"milepost/internal/comments"
)

// postComment takes the comment form. Success is a 303 to the new comment, so
// that reloading the page does not post it twice. A comment that is not
// posted shows the post again with the reader's text kept and what went
// wrong at the top of the form (and next to each field it concerns); the
// form's action ends in #comment-form-errors, so the page opens at that
// summary, focused.
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
		s.fail(w, r, "", comments.ErrClosed)
		return
	}
	if err := readForm(w, r, MaxCommentBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	in := formInput(r, p.Slug)
	refuse := func(doing string, err error) {
		pr := s.formProblem(r, doing, err)
		if !pr.Form {
			s.showProblem(w, r, pr)
			return
		}
		form := commentForm{Values: in, Token: s.keptToken(r, p.Slug)}
		if fe := (comments.FieldErrors)(nil); errors.As(err, &fe) {
			form.Errors = fe
		} else {
			form.Problem = pr.Message
		}
		setRetryAfter(w, pr.RetryAfter)
		s.renderPost(w, r, pr.Status, v, p, form, nil)
	}
	ip := s.clientIP(r)
	if ok, wait := s.limiter.allow(limitComment, ip, s.now()); !ok {
		refuse("", &waitError{errTooManyComments, wait})
		return
	}
	if err := s.checkGuards(r, p.Slug); err != nil {
		refuse("", err)
		return
	}
	token := r.PostForm.Get("ts")
	claimed, err := s.claimForm(token, p.Slug, ip)
	if err != nil {
		refuse("", err)
		return
	}
	who := comments.Author{IP: ip, CommenterID: s.ensureCommenterID(w, r)}
	c, err := s.comments.Post(r.Context(), in, who)
	if err != nil {
		if claimed {
			// Not posted: the reader may send this form again.
			s.forms.release(formClaim(token, ip))
		}
		refuse("storing a comment", err)
		return
	}
	s.rememberReader(w, r, in)
	s.followComment(r, c) // the "email me" boxes (subscribe.go)
	id := strconv.FormatUint(c.ID, 10)
	http.Redirect(w, r, "/posts/"+p.Slug+"/?posted="+id+"#comment-"+id, http.StatusSeeOther)
}

// checkGuards applies the spam guards to a parsed comment form; it returns
// why one refuses it (errHoneypot, errFormTooFast, errFormStale).
func (s *Server) checkGuards(r *http.Request, slug string) error {
	g := s.opts.Guards
	if g.Honeypot && r.PostForm.Get(honeypotField) != "" {
		return errHoneypot
	}
	if !s.formTokens() {
		return nil
	}
	served, ok := s.signer.formServed(r.PostForm.Get("ts"), slug)
	age := s.now().Sub(served)
	switch {
	case !ok:
		return errFormStale
	case g.MinFormAge > 0 && age < g.MinFormAge:
		return errFormTooFast
	case g.MaxFormAge > 0 && age > g.MaxFormAge:
		return errFormStale
	}
	return nil
}

// formTokens reports whether comment forms carry a signed time stamp that
// is checked (and is single-use).
func (s *Server) formTokens() bool {
	return s.opts.Guards.MinFormAge > 0 || s.opts.Guards.MaxFormAge > 0
}

// claimForm marks a checked form token as used by the reader at ip (see
// formClaim), so that the same form cannot post twice (errFormUsed). It
// reports whether it claimed one: the caller releases it if the comment is
// not posted after all.
func (s *Server) claimForm(token, slug, ip string) (bool, error) {
	if !s.formTokens() {
		return false, nil
	}
	served, ok := s.signer.formServed(token, slug)
	if !ok {
		return false, errFormStale
	}
	switch s.forms.claim(formClaim(token, ip), served, s.formsExpire()) {
	case formUsed:
		return false, errFormUsed
	case formTooOld:
		return false, errFormStale
	}
	return true, nil
}

// formsExpire is the time before which a form is too old to be accepted;
// zero when forms never expire.
func (s *Server) formsExpire() time.Time {
	if s.opts.Guards.MaxFormAge <= 0 {
		return time.Time{}
	}
	return s.now().Add(-s.opts.Guards.MaxFormAge)
}

// keptToken returns the form's own time stamp when it is genuine, not stale
// and not used, so that a form shown again to fix a mistake keeps counting
// from when the reader first opened it; otherwise "" for a fresh one.
func (s *Server) keptToken(r *http.Request, slug string) string {
	token := r.PostForm.Get("ts")
	served, ok := s.signer.formServed(token, slug)
	if !ok || served.Before(s.formsExpire()) || s.forms.spent(formClaim(token, s.clientIP(r)), served) {
		return ""
	}
	return token
}

// fieldError is one line of the comment form's error summary.
type fieldError struct {
	Field   string // the field's name: "name", "body", …
	Message string
	// Input is the id of the field's input to link to; "" for a problem
	// with no field of its own to fix (the comment replied to).
	Input string
}

// formOrder is the order of the comment form's fields, for its error
// summary.
var formOrder = []string{"name", "email", "website", "body", "parent"}

// ErrorList is the form's errors in the order of its fields, then any
// others, for the summary at the top of the form.
func (f commentForm) ErrorList() []fieldError {
	var out []fieldError
	seen := map[string]bool{}
	for _, field := range formOrder {
		if msg, ok := f.Errors[field]; ok {
			out = append(out, newFieldError(field, msg))
			seen[field] = true
		}
	}
	var rest []string
	for field := range f.Errors {
		if !seen[field] {
			rest = append(rest, field)
		}
	}
	slices.Sort(rest)
	for _, field := range rest {
		out = append(out, newFieldError(field, f.Errors[field]))
	}
	return out
}

func newFieldError(field, msg string) fieldError {
	fe := fieldError{Field: field, Message: msg}
	if slices.Contains(formOrder[:4], field) {
		fe.Input = "field-" + field
	}
	return fe
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

// readForm reads a POST's form into r.PostForm, its body bounded by limit.
// It returns what the request is refused with, for the error table: a body
// that is not a form (errNotAForm), one over the limit (*http.MaxBytesError,
// 413) or one that cannot be parsed (errUnreadableForm). Handlers call it
// before reading a field: PostFormValue swallows those errors and leaves
// the fields empty, which would turn a too-large comment into "required".
func readForm(w http.ResponseWriter, r *http.Request, limit int64) error {
	if !isForm(r) {
		return errNotAForm
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := parseForm(r, limit); err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("%w: %w", errUnreadableForm, err)
	}
	return nil
}

// parseForm reads either form encoding into r.PostForm. Multipart bodies are
// already bounded by the MaxBytesReader, so they are held in memory.
func parseForm(r *http.Request, limit int64) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		return r.ParseMultipartForm(limit)
	}
	return r.ParseForm()
}

// banMessage tells a banned reader why and for how long; the ban's end is
// written in loc, the site's zone, like every time the site shows.
func banMessage(b *comments.BanError, loc *time.Location) string {
	msg := "You may not comment on this site"
	if !b.Until.IsZero() {
		if loc == nil {
			loc = time.UTC
		}
		msg += " until " + b.Until.In(loc).Format(dateTimeLayout)
	}
	if b.Reason != "" {
		msg += ". Reason: " + b.Reason
	}
	return msg + "."
}
