package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"milepost/internal/comments"
	"milepost/internal/content"
)

// editPage is the data of the page where readers edit or delete their own
// comment while the site's edit window lasts.
type editPage struct {
	Post      *content.Post
	Comment   comments.Comment
	Body      string
	Error     string
	EditUntil time.Time
}

// ownComment finds the post and the reader's own, still editable comment
// named in the URL; it answers the request itself and returns false when
// there is none.
func (s *Server) ownComment(w http.ResponseWriter, r *http.Request) (content.View, *content.Post, *comments.Node, bool) {
	v := s.view()
	p := v.Post(r.PathValue("slug"))
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if p == nil || err != nil {
		s.notFound(w, r)
		return v, nil, nil, false
	}
	n, err := s.comments.Own(r.Context(), p.Slug, id, s.commenterID(r))
	if err != nil {
		s.fail(w, r, "reading a comment", err)
		return v, nil, nil, false
	}
	var refusal error
	switch {
	case !n.Own:
		refusal = comments.ErrNotYours
	case n.EditUntil.IsZero() || !s.now().Before(n.EditUntil):
		refusal = comments.ErrEditWindowPassed
	}
	if refusal != nil {
		s.fail(w, r, "", refusal)
		return v, nil, nil, false
	}
	return v, p, &n, true
}

// bodyError is what to say about an edited comment's text.
func bodyError(invalid comments.FieldErrors) string {
	if msg := invalid["body"]; msg != "" {
		return msg
	}
	return invalid.Error()
}

// parseID reads a decimal comment id; 0, which no comment has, when it
// is not one.
func parseID(s string) uint64 {
	id, _ := strconv.ParseUint(s, 10, 64)
	return id
}

// ownNode is the viewer's own comment with the id in a thread, or nil.
func ownNode(nodes []*comments.Node, id uint64) *comments.Node {
	if n := findNode(nodes, id); n != nil && n.Own {
		return n
	}
	return nil
}

// findNode finds the comment with the id in a thread.
func findNode(nodes []*comments.Node, id uint64) *comments.Node {
	for _, n := range nodes {
		if n.Comment.ID == id {
			return n
		}
		if found := findNode(n.Children, id); found != nil {
			return found
		}
	}
	return nil
}

func (s *Server) editOwnForm(w http.ResponseWriter, r *http.Request) {
	v, p, n, ok := s.ownComment(w, r)
	if !ok {
		return
	}
	s.renderEdit(w, r, http.StatusOK, v, editPage{Post: p, Comment: n.Comment, Body: n.Comment.Body, EditUntil: n.EditUntil})
}

func (s *Server) renderEdit(w http.ResponseWriter, r *http.Request, status int, v content.View, e editPage) {
	s.render(w, r, status, "comment-edit", pageData{
		Title: "Edit your comment", Feeds: feedLinks(s.config(r, v.Site), "/", ""), Edit: &e,
	}, v.Site)
}

// editOwn saves a reader's change to their comment. Its body is bounded
// as a new comment's is. Like new comments, changes are rate-limited per
// address group, before the comment is read: a refusal shows the text back
// with Retry-After.
func (s *Server) editOwn(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, MaxCommentBytes); err != nil {
		s.fail(w, r, "", err)
		return
	}
	body := r.PostForm.Get("body")
	if ok, wait := s.limiter.allow(limitChange, s.clientIP(r), s.now()); !ok {
		s.refuseChange(w, r, editPage{Body: body}, "", &waitError{errTooManyChanges, wait})
		return
	}
	_, p, n, ok := s.ownComment(w, r)
	if !ok {
		return
	}
	c, err := s.comments.EditOwn(r.Context(), n.Comment.ID, s.commenterID(r), body)
	if err != nil {
		s.refuseChange(w, r, editPage{Post: p, Comment: n.Comment, Body: body, EditUntil: n.EditUntil}, "editing a comment", err)
		return
	}
	http.Redirect(w, r, "/posts/"+p.Slug+"/comments/"+strconv.FormatUint(c.ID, 10), http.StatusSeeOther)
}

// deleteOwn deletes a reader's comment at their request, rate-limited as
// editOwn is.
func (s *Server) deleteOwn(w http.ResponseWriter, r *http.Request) {
	if ok, wait := s.limiter.allow(limitChange, s.clientIP(r), s.now()); !ok {
		s.fail(w, r, "", &waitError{errTooManyChanges, wait})
		return
	}
	_, p, n, ok := s.ownComment(w, r)
	if !ok {
		return
	}
	if err := s.comments.DeleteOwn(r.Context(), n.Comment.ID, s.commenterID(r)); err != nil {
		s.fail(w, r, "deleting a comment", err)
		return
	}
	http.Redirect(w, r, "/posts/"+p.Slug+"/#comments", http.StatusSeeOther)
}

// refuseChange answers an edit that was not saved: the edit page again with
// the reader's text and what went wrong when they can try again (a mistake,
// a rate limit, a store failure), else an error page (a reply arrived, or
// the window closed, since the form was served). e holds what is known of
// the comment; when the refusal came before anything was read, the page is
// filled in from the URL.
func (s *Server) refuseChange(w http.ResponseWriter, r *http.Request, e editPage, doing string, err error) {
	pr := s.formProblem(r, doing, err)
	v := s.view()
	if e.Post == nil {
		e.Post = v.Post(r.PathValue("slug"))
		e.Comment.ID = parseID(r.PathValue("id"))
	}
	if !pr.Form || e.Post == nil || e.Comment.ID == 0 {
		s.showProblem(w, r, pr)
		return
	}
	e.Error = pr.Message
	var invalid comments.FieldErrors
	if errors.As(err, &invalid) {
		e.Error = bodyError(invalid)
	}
	setRetryAfter(w, pr.RetryAfter)
	s.renderEdit(w, r, pr.Status, v, e)
}
