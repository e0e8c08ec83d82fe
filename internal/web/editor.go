package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/authoring"
	"milepost/internal/content"
)

// The web editor: writers list their posts at /admin/posts/, write a new
// one at /admin/posts/new and change one at /admin/posts/{slug}/edit. Every
// change goes through authoring, which writes the Markdown file in
// content/ and refuses to overwrite a file changed since the form was
// opened; this file only checks who may do what and shows the answers.

// maxPostFormBytes bounds the editor's form. The comment-sized limit of the
// other admin forms is too small for a post: 1 MiB (every request's bound,
// MaxBodyBytes) holds a story of well over a hundred thousand words.
const maxPostFormBytes = MaxBodyBytes

// Errors of the editor's own, answered through problemTable.
var (
	errNoAuthorProfile = errors.New("the account has no author profile")
	errMayNotPublish   = errors.New("the account's role may not publish")
	errNoSlug          = errors.New("the title gives no slug")
	errBadPostDate     = errors.New("the publish date is not a date")
)

// titleError is a title content.CleanTitle refuses, with its reason.
type titleError struct{ err error }

func (e *titleError) Error() string { return "the title: " + e.err.Error() }
func (e *titleError) Unwrap() error { return e.err }

// unrestorableError is an earlier version content would not load today;
// its answer names the problems, as there is no form to list them under.
type unrestorableError struct{ *authoring.InvalidError }

// Reloader is a SiteSource that can load the content directory again at
// once (content.Source is one): after a save, the writer's next page shows
// it rather than the site as it was a second ago.
type Reloader interface {
	Reload(ctx context.Context)
}

// editorPage is the editor form's state.
type editorPage struct {
	// Slug is the post's; "" on a new post's form. Action is where the
	// form is sent.
	Slug   string
	Action string
	Form   postForm
	// Version is the file's hash the form was opened from, sent back so
	// that a save never overwrites a change made since.
	Version authoring.Version
	File    string
	Author  string
	Extra   []authoring.Extra
	// Status is the post's as saved: Draft, Scheduled or Published ("" for
	// a new post).
	Status     string
	CanPublish bool
	Zone       string
	NoAuthor   bool
	// Error is what was wrong with the last try, Problems content's
	// file:line reasons and Conflict the two texts when the file changed.
	Error    string
	Problems []string
	Conflict *editorConflict
	History  []authoring.Revision
	Notice   string
	User     accounts.User
	// PreviewLinks are the post's draft preview links (preview.go), and
	// NewPreviewLink the address of one just made, shown this once.
	PreviewLinks   []previewLinkRow
	NewPreviewLink string
	// Review is where the post stands in the editors' review (nil: in
	// none); CanReview says the user may return or approve it.
	Review    *authoring.Review
	CanReview bool
	// Photos are the photos of the post's bundle (upload.go), offered as
	// its cover too.
	Photos []photoRow
	// SlugFixed says why the slug cannot change any more ("": it can,
	// until the post is first published).
	SlugFixed string
	// MaxPhotos is how many photos one save takes.
	MaxPhotos int
	// AwaitingReview is the editors' review queue, shown to editors in
	// the admin navigation.
	AwaitingReview int
}

// postForm is the editor's fields as text, as the form shows them.
type postForm struct {
	Title, Slug, Body, Tags, Summary, Date string
	// Cover is the cover photo's file name, "" for none, or
	// authoring.FirstUpload.
	Cover string
	// PhotoAlts is the photos' descriptions as typed, shown back when a
	// save is refused (the files must be chosen again).
	PhotoAlts string
	// Run is the run: fields as typed (authoring keeps the others under
	// run: as the file has them).
	Run authoring.RunFields
	// Activity is the post's activity file ("" for none): a new one
	// replaces it when chosen.
	Activity string
}

// DateIsLocal reports whether Date is empty or a datetime-local value, which
// the date picker can show; anything else the writer typed is shown as text,
// to be put right.
func (f postForm) DateIsLocal() bool {
	_, err := time.Parse(dateInputLayout, f.Date)
	return f.Date == "" || err == nil
}

// editorConflict is the file as it is now beside what the writer sent.
type editorConflict struct {
	File    string
	Removed bool
	Current string
	Yours   string
}

// trashPage lists the trash for editors.
type trashPage struct {
	Items []authoring.Trashed
}

func (s *Server) editorRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /admin/posts/new", s.writer(s.newPostForm))
	m.Handle("POST /admin/posts/new", withStreamedBodyLimit(MaxEditorUploadBytes, s.writer(s.savePost)))
	m.HandleFunc("GET /admin/posts/{slug}/edit", s.writer(s.editPostForm))
	m.Handle("POST /admin/posts/{slug}/edit", withStreamedBodyLimit(MaxEditorUploadBytes, s.writer(s.savePost)))
	m.HandleFunc("POST /admin/posts/{slug}/history/{id}", s.writer(s.restoreRevision))
	m.HandleFunc("POST /admin/posts/{slug}/return", s.signedIn(s.returnPost, accounts.Role.CanEditOthers))
	m.HandleFunc("GET /admin/trash/{$}", s.signedIn(s.trashList, accounts.Role.CanEditOthers))
	m.HandleFunc("POST /admin/trash/{id}", s.signedIn(s.restoreTrashed, accounts.Role.CanEditOthers))
}

// writer lets signed-in writers through: every role but moderator.
func (s *Server) writer(h http.HandlerFunc) http.HandlerFunc {
	return s.signedIn(h, accounts.Role.CanWrite)
}

// mayEdit reports whether u may change a post by author: their own (the
// post's author is their profile), or anyone's for editors and admins.
func mayEdit(u accounts.User, author string) bool {
	return u.Role.CanEditOthers() || (u.Author != "" && u.Author == author)
}

// postStatus is how the editor names a post's state at now.
func postStatus(draft bool, date, now time.Time) string {
	switch {
	case draft:
		return "Draft"
	case date.After(now):
		return "Scheduled"
	}
	return "Published"
}

// dateInputLayout is an <input type="datetime-local">'s value.
const dateInputLayout = "2006-01-02T15:04"

// dateWritten is how the editor writes a date it changed into the front
// matter, as milepost new does: RFC 3339 in the site's zone, with its
// offset, so the post keeps the moment the writer meant even if the site's
// zone changes later.
const dateWritten = time.RFC3339

func (s *Server) newPostForm(w http.ResponseWriter, r *http.Request) {
	u := userOf(r)
	page := s.editorPageFor(r, "")
	page.Form.Date = s.now().In(s.location()).Format(dateInputLayout)
	page.NoAuthor = u.Author == ""
	s.renderEditor(w, r, http.StatusOK, "New post", page)
}

func (s *Server) editPostForm(w http.ResponseWriter, r *http.Request) {
	p, ok := s.openForEdit(w, r)
	if !ok {
		return
	}
	page := s.editorPageFor(r, p.Slug)
	page.Form = s.formOf(p)
	s.fillFromFile(r, &page, p)
	s.renderEditor(w, r, http.StatusOK, "Edit “"+p.Title+"”", page)
}

// removedMeanwhile is the conflict of a form whose post has no file any
// more, or nil.
func (s *Server) removedMeanwhile(r *http.Request, slug string) *authoring.ConflictError {
	if _, err := s.opts.Authoring.Open(r.Context(), slug); errors.Is(err, authoring.ErrNotFound) && content.ValidSlug(slug) {
		return &authoring.ConflictError{Slug: slug, File: "posts/" + slug}
	}
	return nil
}

// openForEdit opens the post of the path's slug, answering 404 for none and
// 403 for a post the user may not edit.
func (s *Server) openForEdit(w http.ResponseWriter, r *http.Request) (authoring.Post, bool) {
	p, err := s.opts.Authoring.Open(r.Context(), r.PathValue("slug"))
	if errors.Is(err, authoring.ErrInvalidSlug) {
		err = authoring.ErrNotFound // a slug no post can have: not found
	}
	if err != nil {
		s.fail(w, r, "opening a post", err)
		return authoring.Post{}, false
	}
	if !mayEdit(userOf(r), p.Author) {
		s.fail(w, r, "", errNotAllowed)
		return authoring.Post{}, false
	}
	return p, true
}

func (s *Server) editorPageFor(r *http.Request, slug string) editorPage {
	u := userOf(r)
	page := editorPage{Slug: slug, Action: "/admin/posts/new", CanPublish: u.Role.CanPublish(),
		Zone: s.location().String(), Notice: s.notice(r), User: u, Author: u.Author, CanReview: u.Role.CanEditOthers(),
		MaxPhotos: authoring.MaxPhotos}
	if slug != "" {
		page.Action = "/admin/posts/" + slug + "/edit"
	}
	return page
}

// fillFromFile sets what the form shows of the file as it is on disk:
// its version, author, other keys, status and history.
func (s *Server) fillFromFile(r *http.Request, page *editorPage, p authoring.Post) {
	page.Version, page.File, page.Author, page.Extra = p.Version, p.File, p.Author, p.Extra
	page.Status = postStatus(p.Draft, s.parseDate(p.Date), s.now())
	h, err := s.opts.Authoring.History(r.Context(), p.Slug)
	if err != nil {
		// The form works without it; the history is shown again next time.
		s.log.ErrorContext(r.Context(), "listing a post's history", "slug", p.Slug, "err", err)
	}
	page.History = h
	page.PreviewLinks = s.previewLinksOf(r, p.Slug)
	page.Photos = s.photoRows(p)
	page.SlugFixed = slugFixed(s.opts.Authoring.Renamable(r.Context(), p))
	if page.SlugFixed == "" {
		// The slug field is shown; its value the post's slug.
		page.Form.Slug = p.Slug
	}
	switch rev, err := s.opts.Authoring.ReviewOf(r.Context(), p.Slug); {
	case err == nil:
		page.Review = &rev
	case !errors.Is(err, authoring.ErrNotFound):
		// As the history: the form works without it.
		s.log.ErrorContext(r.Context(), "reading a post's review", "slug", p.Slug, "err", err)
	}
}

// slugFixed says why a post's slug may not change, "" when it may (a
// draft never published).
func slugFixed(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, authoring.ErrSlugInFrontMatter):
		return "The file sets the slug in its front matter (slug:); only a hand edit of the file changes it."
	case errors.Is(err, authoring.ErrRenamePublished):
		return "The post has been published (or scheduled), so its address may be linked to: it stays as it is."
	case errors.Is(err, authoring.ErrHasComments):
		return "The post has comments, which stay with its address: it stays as it is."
	}
	return "The slug cannot be changed just now."
}

// parseDate reads a front matter date in the site's zone; the zero time
// when it is none.
func (s *Server) parseDate(text string) time.Time {
	t, err := content.ParseDate(text, s.location())
	if err != nil {
		return time.Time{}
	}
	return t
}

// formOf is a post's fields as the form shows them.
func (s *Server) formOf(p authoring.Post) postForm {
	f := postForm{Title: p.Title, Slug: p.Slug, Body: p.Body, Tags: strings.Join(p.Tags, ", "), Summary: p.Summary, Cover: p.Cover,
		Run: p.Run, Activity: p.Activity}
	if t := s.parseDate(p.Date); !t.IsZero() {
		f.Date = t.In(s.location()).Format(dateInputLayout)
	}
	return f
}

func (s *Server) renderEditor(w http.ResponseWriter, r *http.Request, status int, title string, page editorPage) {
	w.Header().Set("Cache-Control", "no-store")
	page.AwaitingReview = s.awaitingReview(r, page.User)
	s.render(w, r, status, "editor", pageData{Title: title, Editor: &page}, s.opts.Content.Current())
}

// savePost takes the editor's form: preview, save as a draft, publish (or
// schedule), or delete.
func (s *Server) savePost(w http.ResponseWriter, r *http.Request) {
	form, readErr := readEditorForm(w, r)
	defer form.close()
	if tooLarge := (*editorTooLargeError)(nil); readErr != nil && !errors.As(readErr, &tooLarge) && !errors.Is(readErr, authoring.ErrTooManyPhotos) {
		s.fail(w, r, "reading a form", readErr)
		return
	}
	// A form over a bound is shown back with the text read before it.
	u, f := userOf(r), form.values
	var cur *authoring.Post
	page := s.editorPageFor(r, r.PathValue("slug"))
	page.Form = postForm{Title: f.Get("title"), Slug: strings.TrimSpace(f.Get("slug")), Body: f.Get("body"),
		Tags: f.Get("tags"), Summary: f.Get("summary"), Date: f.Get("date"), Cover: f.Get("cover"),
		PhotoAlts: f.Get("photo_alts"), Run: runFieldsOf(f)}
	if page.Slug != "" {
		page.Version = authoring.Version(f.Get("version")) // the version the form was opened from
		if page.Version == "" {
			s.fail(w, r, "", errUnreadableForm)
			return
		}
		typedSlug := page.Form.Slug
		if removed := s.removedMeanwhile(r, page.Slug); removed != nil {
			// Deleted or moved since the form was opened: the writer's
			// text is all there is of their edit, so it is shown back.
			s.editorProblem(w, r, page, "", removed)
			return
		}
		p, ok := s.openForEdit(w, r)
		if !ok {
			return
		}
		cur = &p
		version := page.Version
		s.fillFromFile(r, &page, p)
		page.Version = version
		page.Form.Slug = p.Slug
		if typedSlug != "" {
			// A new slug: authoring moves a draft never published, and
			// refuses any other post's; kept in the form either way.
			page.Form.Slug = typedSlug
		}
		if _, sent := f["cover"]; !sent {
			// A form without the cover field leaves the cover as it is.
			page.Form.Cover = p.Cover
		}
		if _, sent := f["run_distance"]; !sent {
			// As the cover: a form without the run's fields leaves them.
			page.Form.Run = p.Run
		}
		page.Form.Activity = p.Activity
	}
	if readErr != nil {
		s.editorProblem(w, r, page, "", readErr)
		return
	}
	action := f.Get("action")
	if action == "delete" && cur != nil {
		s.deletePost(w, r, page, *cur)
		return
	}
	edit, err := s.editOf(u, cur, page.Form)
	if err != nil {
		s.editorProblem(w, r, page, "checking a post", err)
		return
	}
	if cur == nil {
		page.Form.Slug = edit.Slug
	}
	switch action {
	case "preview":
		s.previewPost(w, r, page, edit)
		return
	case "draft":
		if cur != nil && !cur.Draft && !u.Role.CanPublish() {
			// Saving a published post as a draft takes it down, and
			// what readers see is publishing's to decide.
			s.editorProblem(w, r, page, "", errMayNotPublish)
			return
		}
		edit.Draft = true
	case "submit":
		// A contributor's way to publish: the draft is saved, then put in
		// the editors' queue.
		if u.Role.CanPublish() {
			s.fail(w, r, "", errUnreadableForm)
			return
		}
		if cur != nil && !cur.Draft {
			// Submitting saves a draft: that would take a published
			// post down, which is publishing's to decide.
			s.editorProblem(w, r, page, "", errMayNotPublish)
			return
		}
		edit.Draft = true
	case "publish":
		if !u.Role.CanPublish() {
			s.editorProblem(w, r, page, "", errMayNotPublish)
			return
		}
		edit.Draft = false
	default:
		s.fail(w, r, "", errUnreadableForm)
		return
	}
	edit.Photos = form.photoUploads()
	edit.ActivityFile = form.activityUpload()
	saved, err := s.opts.Authoring.Save(r.Context(), edit, page.Version)
	if err != nil {
		s.editorProblem(w, r, page, "saving a post", err)
		return
	}
	s.reload(r)
	status := postStatus(saved.Draft, s.parseDate(saved.Date), s.now())
	done := map[string]string{"Draft": "Saved as a draft.", "Scheduled": "Scheduled.", "Published": "Published."}[status]
	if action == "submit" {
		if _, err := s.opts.Authoring.SubmitForReview(r.Context(), saved.Slug, u.Name); err != nil {
			// The draft is saved; only the submission failed.
			s.fail(w, r, "submitting a post for review", err)
			return
		}
		done = "Saved and submitted for review: an editor will publish it or return it with a note."
	}
	if action == "publish" && page.Review != nil {
		// Publishing a post in review approves it.
		if err := s.opts.Authoring.ApproveReview(r.Context(), saved.Slug, u.Name); err != nil {
			s.log.ErrorContext(r.Context(), "ending the review of a published post", "slug", saved.Slug, "err", err)
		}
	}
	http.Redirect(w, r, "/admin/posts/"+saved.Slug+"/edit?"+s.noticeQuery(done), http.StatusSeeOther)
}

// editOf makes the edit a form asks for, with what the form cannot change
// taken from the file: the author (the signed-in writer's profile for a
// new post, so that no one writes as someone else), lastmod and the slug key.
func (s *Server) editOf(u accounts.User, cur *authoring.Post, form postForm) (authoring.Edit, error) {
	title, err := content.CleanTitle(form.Title)
	if err != nil {
		return authoring.Edit{}, &titleError{err}
	}
	e := authoring.Edit{By: u.Name, Body: form.Body,
		Fields: authoring.Fields{Title: title, Summary: form.Summary, Tags: splitTags(form.Tags), Cover: form.Cover, Run: form.Run}}
	if cur != nil {
		e.Slug, e.Author, e.Lastmod, e.SlugKey, e.Draft = cur.Slug, cur.Author, cur.Lastmod, cur.SlugKey, cur.Draft
		e.Activity = cur.Activity
		if form.Slug != cur.Slug {
			e.NewSlug = form.Slug
		}
		if form.Title == cur.Title {
			// Kept as written, spaces and all: an unchanged save changes no byte.
			e.Title = cur.Title
		}
	} else {
		if u.Author == "" {
			return authoring.Edit{}, errNoAuthorProfile
		}
		e.Author = u.Author
		e.Slug = form.Slug
		if e.Slug == "" {
			if e.Slug = content.SlugFromTitle(title); e.Slug == "" {
				return authoring.Edit{}, errNoSlug
			}
		}
	}
	if e.Date, err = s.dateOf(form.Date, cur); err != nil {
		return authoring.Edit{}, err
	}
	return e, nil
}

// dateOf is the date key to write for the form's publish date: the file's
// own text when the form shows the same minute (a save that changes
// nothing leaves the file's bytes), now when the form has none.
func (s *Server) dateOf(form string, cur *authoring.Post) (string, error) {
	loc := s.location()
	form = strings.TrimSpace(form)
	if form == "" {
		return s.now().In(loc).Format(dateWritten), nil
	}
	t, err := time.ParseInLocation(dateInputLayout, form, loc)
	if err != nil {
		// A browser without datetime-local sends what was typed.
		if t, err = content.ParseDate(form, loc); err != nil {
			return "", fmt.Errorf("%w: %w", errBadPostDate, err)
		}
	}
	if cur != nil {
		if was := s.parseDate(cur.Date); !was.IsZero() && was.Truncate(time.Minute).Equal(t.Truncate(time.Minute)) {
			return cur.Date, nil
		}
	}
	return t.In(loc).Format(dateWritten), nil
}

// splitTags reads the comma-separated tags field.
func splitTags(field string) []string {
	var tags []string
	for _, t := range strings.Split(field, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}

// previewPost shows the post as readers will see it, with the real post
// template, without saving anything. The page is an admin page: never
// indexed, never stored by a cache.
func (s *Server) previewPost(w http.ResponseWriter, r *http.Request, page editorPage, edit authoring.Edit) {
	p, err := s.opts.Authoring.Preview(r.Context(), edit)
	if err != nil {
		s.editorProblem(w, r, page, "previewing a post", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, http.StatusOK, "post", pageData{
		Title: "Preview: " + p.Title, Description: p.Description(), Type: "article", Published: p.Date,
		NoIndex: true,
		Post:    &postPage{Post: p, Now: s.now()},
	}, s.opts.Content.Current())
}

// deletePost moves the post into the trash, where an editor can restore
// it. Taking a published post off the site is publishing's to decide.
func (s *Server) deletePost(w http.ResponseWriter, r *http.Request, page editorPage, cur authoring.Post) {
	u := userOf(r)
	if !cur.Draft && !u.Role.CanPublish() {
		s.fail(w, r, "", errMayNotPublish)
		return
	}
	if _, err := s.opts.Authoring.Delete(r.Context(), cur.Slug, page.Version, u.Name); err != nil {
		s.editorProblem(w, r, page, "deleting a post", err)
		return
	}
	s.reload(r)
	http.Redirect(w, r, "/admin/posts/?"+s.noticeQuery("“"+cur.Title+"” was moved to the trash; an editor can restore it."), http.StatusSeeOther)
}

// editorProblem shows the form again with what was wrong and the writer's
// text kept, or the error page for a refusal no form can put right. An
// error the table does not know is the server failing to write (a full
// disk, a read-only content directory): 503, with the text shown back.
func (s *Server) editorProblem(w http.ResponseWriter, r *http.Request, page editorPage, doing string, err error) {
	p, ok := problemOf(err, s.location())
	if !ok {
		s.log.ErrorContext(r.Context(), doing, "path", r.URL.Path, "err", err)
		p = problemPostUnavailable
	}
	if !p.Form {
		s.showProblem(w, r, p)
		return
	}
	page.Error = p.Message
	var inv *authoring.InvalidError
	if errors.As(err, &inv) {
		for _, pr := range inv.Problems {
			page.Problems = append(page.Problems, pr.Error())
		}
	}
	var c *authoring.ConflictError
	if errors.As(err, &c) {
		page.Conflict = &editorConflict{File: c.File, Removed: c.Current == nil, Current: string(c.Current), Yours: string(c.Yours)}
	}
	if page.Slug == "" {
		page.NoAuthor = page.User.Author == ""
	}
	setRetryAfter(w, p.RetryAfter)
	title := "New post"
	if page.Slug != "" {
		title = "Edit “" + page.Form.Title + "”"
	}
	s.renderEditor(w, r, p.Status, title, page)
}

// restoreRevision saves an earlier version of the post again, keeping the
// one it replaces.
func (s *Server) restoreRevision(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	cur, ok := s.openForEdit(w, r)
	if !ok {
		return
	}
	u := userOf(r)
	rev, err := s.opts.Authoring.Revision(r.Context(), cur.Slug, id)
	if err != nil {
		s.fail(w, r, "reading a revision", err)
		return
	}
	// What a restore would publish, or whose post it would make it, is
	// checked as a save of that text would be.
	if old, problems := s.opts.Content.Current().ParsePost(rev.File, rev.Content); len(problems) == 0 {
		if !old.Draft && !u.Role.CanPublish() {
			s.fail(w, r, "", errMayNotPublish)
			return
		}
		if author := ""; !u.Role.CanEditOthers() {
			if old.Author != nil {
				author = old.Author.ID
			}
			if !mayEdit(u, author) {
				s.fail(w, r, "", errNotAllowed)
				return
			}
		}
	}
	if _, err := s.opts.Authoring.Restore(r.Context(), cur.Slug, id, authoring.Version(r.PostForm.Get("version")), u.Name); err != nil {
		if inv := (*authoring.InvalidError)(nil); errors.As(err, &inv) {
			err = &unrestorableError{inv} // no form to list them under
		}
		s.fail(w, r, "restoring a revision", err)
		return
	}
	s.reload(r)
	http.Redirect(w, r, "/admin/posts/"+cur.Slug+"/edit?"+s.noticeQuery("The version of "+s.when(rev.At)+" is restored; the one it replaced is in the history."), http.StatusSeeOther)
}

// returnPost sends a post awaiting review back to its writer with the
// editor's note, which the writer sees on the post's edit page and in
// their list of posts.
func (s *Server) returnPost(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	p, ok := s.openForEdit(w, r)
	if !ok {
		return
	}
	if _, err := s.opts.Authoring.ReturnForReview(r.Context(), p.Slug, r.PostForm.Get("note"), userOf(r).Name); err != nil {
		s.fail(w, r, "returning a post to its writer", err)
		return
	}
	http.Redirect(w, r, "/admin/posts/"+p.Slug+"/edit?"+s.noticeQuery("Returned to its writer with your note."), http.StatusSeeOther)
}

// when writes a time as the pages do.
func (s *Server) when(t time.Time) string { return t.In(s.location()).Format(dateTimeLayout) }

func (s *Server) trashList(w http.ResponseWriter, r *http.Request) {
	items, err := s.opts.Authoring.Trash(r.Context())
	if err != nil {
		s.serverError(w, r, "listing the trash", err)
		return
	}
	s.renderAdmin(w, r, http.StatusOK, "Trash", adminPage{Section: "trash", Trash: &trashPage{Items: items}})
}

func (s *Server) restoreTrashed(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil {
		s.notFound(w, r)
		return
	}
	p, err := s.opts.Authoring.RestoreFromTrash(r.Context(), id, userOf(r).Name)
	if err != nil {
		s.fail(w, r, "restoring from the trash", err)
		return
	}
	s.reload(r)
	http.Redirect(w, r, "/admin/posts/"+p.Slug+"/edit?"+s.noticeQuery("“"+p.Title+"” is back from the trash."), http.StatusSeeOther)
}

// reload shows a change the editor made at once, when the content source
// can load again on demand.
func (s *Server) reload(r *http.Request) {
	if rl, ok := s.opts.Content.(Reloader); ok {
		rl.Reload(r.Context())
	}
}
