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
	thread, err := s.comments.ForPost(r.Context(), p.Slug, s.commenterID(r))
	if err != nil {
		s.serverError(w, r, "reading comments", err)
		return v, nil, nil, false
	}
	n := findNode(thread, id)
	switch {
	case n == nil:
		s.notFound(w, r)
		return v, nil, nil, false
	case !n.Own:
		s.errorPage(w, r, http.StatusForbidden, "Not your comment",
			"Only the person who wrote a comment can change it, from the browser they wrote it in.")
		return v, nil, nil, false
	case n.EditUntil.IsZero() || !s.now().Before(n.EditUntil):
		s.errorPage(w, r, http.StatusForbidden, "Too late to change this comment",
			"Comments can be changed for a short while after they are posted, and not once someone has replied.")
		return v, nil, nil, false
	}
	return v, p, n, true
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
		Title: "Edit your comment", Feeds: feedLinks(s.config(v.Site), "/", ""), Edit: &e,
	}, v.Site)
}

func (s *Server) editOwn(w http.ResponseWriter, r *http.Request) {
	v, p, n, ok := s.ownComment(w, r)
	if !ok {
		return
	}
	body := r.PostFormValue("body")
	c, err := s.comments.EditOwn(r.Context(), n.Comment.ID, s.commenterID(r), body)
	var invalid comments.FieldErrors
	switch {
	case errors.As(err, &invalid):
		s.renderEdit(w, r, http.StatusUnprocessableEntity, v, editPage{Post: p, Comment: n.Comment, Body: body, Error: bodyError(invalid), EditUntil: n.EditUntil})
		return
	case err != nil:
		s.ownCommentError(w, r, "editing a comment", err)
		return
	}
	http.Redirect(w, r, "/posts/"+p.Slug+"/#comment-"+strconv.FormatUint(c.ID, 10), http.StatusSeeOther)
}

func (s *Server) deleteOwn(w http.ResponseWriter, r *http.Request) {
	_, p, n, ok := s.ownComment(w, r)
	if !ok {
		return
	}
	if err := s.comments.DeleteOwn(r.Context(), n.Comment.ID, s.commenterID(r)); err != nil {
		s.ownCommentError(w, r, "deleting a comment", err)
		return
	}
	http.Redirect(w, r, "/posts/"+p.Slug+"/#comments", http.StatusSeeOther)
}

// ownCommentError explains why a reader's change was refused; a reply may
// have arrived, or the window closed, since the form was served.
func (s *Server) ownCommentError(w http.ResponseWriter, r *http.Request, doing string, err error) {
	switch {
	case errors.Is(err, comments.ErrHasReplies):
		s.errorPage(w, r, http.StatusConflict, "Someone has replied",
			"This comment has a reply now, so it can no longer be changed or deleted.")
	case errors.Is(err, comments.ErrEditWindowPassed):
		s.errorPage(w, r, http.StatusForbidden, "Too late to change this comment",
			"The time to change this comment has passed.")
	case errors.Is(err, comments.ErrNotYours):
		s.errorPage(w, r, http.StatusForbidden, "Not your comment",
			"Only the person who wrote a comment can change it, from the browser they wrote it in.")
	case errors.Is(err, comments.ErrNotFound):
		s.notFound(w, r)
	default:
		s.serverError(w, r, doing, err)
	}
}
