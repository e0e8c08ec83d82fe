package web

import (
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"
	"strings"

	"milepost/internal/accounts"
	"milepost/internal/authoring"
	"milepost/internal/content"
	"milepost/internal/media"
)

// Author profiles from the browser: a runner fills theirs in on the invite
// page, and a signed-in writer edits their own at /admin/profile. The file
// rules (atomic, hash-guarded saves; unknown keys kept) are authoring's,
// what a valid profile is content's, what photo may be stored media's.

// maxProfileFormBytes bounds a profile form: one photo of at most
// media.MaxBytes, and the text fields of any admin form.
const maxProfileFormBytes = media.MaxBytes + maxAdminFormBytes

// errNoProfileName refuses a profile whose display name gives no ID: no
// letter or digit a web address can use.
var errNoProfileName = errors.New("the display name has no letters or digits")

// profileForm is a profile form as shown: the file's values, or what was
// typed when it was refused.
type profileForm struct {
	ID      string // "" for a profile still to be made
	Name    string
	Website string
	Bio     string
	Version authoring.Version
	// Avatar is the photo's URL path, when the profile has one.
	Avatar string
	// Problems are content's file:line refusals; Conflict the file as it
	// is now beside what the form would have written.
	Problems []string
	Conflict *editorConflict
	Error    string
	// History are the versions of the profile's file that saves
	// replaced, newest first, each restorable.
	History []authoring.Revision
}

func (s *Server) profileRoutes(m *http.ServeMux) {
	m.HandleFunc("GET /admin/profile", s.signedIn(s.profilePage, accounts.Role.CanWrite))
	m.Handle("POST /admin/profile", withBodyLimit(maxProfileFormBytes, s.signedIn(s.saveProfile, accounts.Role.CanWrite)))
	m.HandleFunc("POST /admin/profile/history/{id}", s.signedIn(s.restoreProfile, accounts.Role.CanWrite))
}

// openProfileForm is the form for the profile id as its file is now, or an
// empty form when id is "".
func (s *Server) openProfileForm(r *http.Request, id string) (*profileForm, error) {
	if id == "" {
		return &profileForm{}, nil
	}
	p, err := s.opts.Authoring.OpenProfile(r.Context(), id)
	if errors.Is(err, authoring.ErrNotFound) {
		// Tied to a profile whose file is gone: the form makes it again.
		return &profileForm{ID: id}, nil
	}
	if err != nil {
		return nil, err
	}
	f := &profileForm{ID: p.ID, Name: p.Name, Website: p.Website, Bio: p.Bio, Version: p.Version}
	if a := s.opts.Content.Current().Authors[p.ID]; a != nil && a.Avatar != "" {
		f.Avatar = "/authors/" + p.ID + "/" + a.Avatar
	}
	s.fillProfileHistory(r, f)
	return f, nil
}

// fillProfileHistory lists the profile's earlier versions on its form; the
// form works without them when they cannot be read.
func (s *Server) fillProfileHistory(r *http.Request, f *profileForm) {
	if f.ID == "" {
		return
	}
	h, err := s.opts.Authoring.ProfileHistory(r.Context(), f.ID)
	if err != nil {
		s.log.ErrorContext(r.Context(), "listing a profile's history", "author", f.ID, "err", err)
	}
	f.History = h
}

// restoreProfile saves an earlier version of the signed-in writer's own
// profile again, keeping the one it replaces, with a save's conflict rule.
func (s *Server) restoreProfile(w http.ResponseWriter, r *http.Request) {
	if err := readForm(w, r, maxAdminFormBytes); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	u := userOf(r)
	if err != nil || u.Author == "" {
		s.notFound(w, r)
		return
	}
	_, err = s.opts.Authoring.RestoreProfile(r.Context(), u.Author, id, authoring.Version(r.PostFormValue("version")), u.Name)
	if err != nil {
		f, ferr := s.openProfileForm(r, u.Author)
		if ferr != nil {
			s.fail(w, r, "opening an author profile", ferr)
			return
		}
		p, ok := s.profileProblem(f, err)
		if !ok {
			if inv := (*authoring.InvalidError)(nil); errors.As(err, &inv) {
				err = &unrestorableError{inv}
			}
			s.fail(w, r, "restoring a profile's version", err)
			return
		}
		s.renderAdmin(w, r, p.Status, "Your profile", adminPage{Section: "profile", Profile: f})
		return
	}
	s.reload(r)
	http.Redirect(w, r, "/admin/profile?"+s.noticeQuery("The earlier version is restored; the one it replaced is in the history."), http.StatusSeeOther)
}

func (s *Server) profilePage(w http.ResponseWriter, r *http.Request) {
	f, err := s.openProfileForm(r, userOf(r).Author)
	if err != nil {
		s.fail(w, r, "opening an author profile", err)
		return
	}
	s.renderAdmin(w, r, http.StatusOK, "Your profile", adminPage{Section: "profile", Profile: f})
}

// readProfileForm reads a form that may carry a profile: multipart with a
// photo (up to media.MaxBytes), or a plain form within the admin limit.
func readProfileForm(w http.ResponseWriter, r *http.Request) error {
	limit := int64(maxAdminFormBytes)
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		limit = maxProfileFormBytes
	}
	return readForm(w, r, limit)
}

// profileEdit is the edit a form asks for, for the profile id. Its photo
// is the upload's bytes, whatever the upload's file name says: the name
// never reaches a path. The caller closes the photo.
func profileEdit(r *http.Request, id, by string) (authoring.ProfileEdit, multipart.File, error) {
	e := authoring.ProfileEdit{ID: id, By: by, Name: r.PostFormValue("display_name"),
		Website: r.PostFormValue("website"), Bio: r.PostFormValue("bio")}
	if r.MultipartForm == nil {
		return e, nil, nil
	}
	files := r.MultipartForm.File["photo"]
	if len(files) == 0 || files[0].Size == 0 {
		// A form sent with no file chosen has an empty part.
		return e, nil, nil
	}
	f, err := files[0].Open()
	if err != nil {
		return e, nil, err
	}
	e.Photo = f
	return e, f, nil
}

// typed is the form as sent, to show back when it is refused.
func typed(r *http.Request, f *profileForm) *profileForm {
	f.Name, f.Website, f.Bio = r.PostFormValue("display_name"), r.PostFormValue("website"), r.PostFormValue("bio")
	f.Version = authoring.Version(r.PostFormValue("version"))
	return f
}

// profileProblem fills the form's error from err, or says false when err
// is no mistake the form can show.
func (s *Server) profileProblem(f *profileForm, err error) (problem, bool) {
	p, ok := problemOf(err, s.location())
	if !ok || !p.Form {
		return p, false
	}
	f.Error = p.Message
	var inv *authoring.InvalidError
	if errors.As(err, &inv) {
		f.Error = "Not saved: the site could not read the profile as it would be written. What is wrong is listed below."
		for _, pr := range inv.Problems {
			f.Problems = append(f.Problems, pr.Error())
		}
	}
	var c *authoring.ConflictError
	if errors.As(err, &c) {
		f.Error = "Not saved: the profile's file changed since you opened it. Nothing was overwritten. The file as it is now and your text are side by side below."
		f.Conflict = &editorConflict{File: c.File, Removed: c.Current == nil, Current: string(c.Current), Yours: string(c.Yours)}
	}
	return p, true
}

// saveProfile takes /admin/profile's form: the signed-in writer's own
// profile, made (and tied to their account) if they have none.
func (s *Server) saveProfile(w http.ResponseWriter, r *http.Request) {
	if err := readProfileForm(w, r); err != nil {
		s.fail(w, r, "reading a form", err)
		return
	}
	u := userOf(r)
	f := typed(r, &profileForm{ID: u.Author})
	id := u.Author
	if id == "" {
		id = s.opts.Authoring.NewProfileID(f.Name)
	}
	err := s.storeProfile(r, id, u.Name, f.Version)
	if err == nil && u.Author == "" {
		err = s.opts.Accounts.SetAuthor(r.Context(), u.Name, id)
	}
	if err != nil {
		p, ok := s.profileProblem(f, err)
		if !ok {
			s.fail(w, r, "saving an author profile", err)
			return
		}
		s.renderAdmin(w, r, p.Status, "Your profile", adminPage{Section: "profile", Profile: f})
		return
	}
	http.Redirect(w, r, "/admin/profile?"+s.noticeQuery("Your profile is saved."), http.StatusSeeOther)
}

// storeProfile saves the form's profile as id (refusing an id that could
// not be made from the name), and shows it at once.
func (s *Server) storeProfile(r *http.Request, id, by string, basedOn authoring.Version) error {
	if id == "" {
		return errNoProfileName
	}
	e, photo, err := profileEdit(r, id, by)
	if err != nil {
		return err
	}
	if photo != nil {
		defer photo.Close()
	}
	if _, err := s.opts.Authoring.SaveProfile(r.Context(), e, basedOn); err != nil {
		return err
	}
	s.reload(r)
	return nil
}

// checkProfile is storeProfile's verdict without writing: for the invite
// page, before the account is made.
func (s *Server) checkProfile(r *http.Request, id string) error {
	if id == "" {
		return errNoProfileName
	}
	e, photo, err := profileEdit(r, id, "")
	if err != nil {
		return err
	}
	if photo != nil {
		defer photo.Close()
	}
	return s.opts.Authoring.CheckProfile(r.Context(), e)
}

// avatarCacheSeconds is how long a profile photo is kept by browsers and
// caches: an hour, as its URL stays the same when the runner changes it.
const avatarCacheSeconds = 60 * 60

// authorAvatar serves an author's photo, /authors/{id}/avatar.jpg: as
// media's variant of the stored file (which the profile form stored
// stripped, but a hand-placed one may carry a phone's GPS position), so
// no metadata reaches a reader whoever put the file there.
func (s *Server) authorAvatar(w http.ResponseWriter, r *http.Request, v content.View, id, file string) {
	res, err := v.OpenAvatar(id, file)
	if errors.Is(err, os.ErrNotExist) || (err == nil && s.opts.Media == nil) {
		if res != nil {
			res.Close()
		}
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, "opening an author's photo", err)
		return
	}
	defer res.Close()
	version := "authors/" + id + "/" + file + " " + strconv.FormatInt(res.Info.Size(), 10) + " " +
		strconv.FormatInt(res.Info.ModTime().UnixNano(), 10)
	variant, err := s.opts.Media.Variant(r.Context(), res, version, 0)
	if errors.Is(err, media.ErrRefused) {
		s.log.WarnContext(r.Context(), "an author's photo is not served", "path", r.URL.Path, "err", err)
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.serverError(w, r, "making an author's photo", err)
		return
	}
	out, err := os.Open(variant.Path)
	if err != nil {
		s.serverError(w, r, "opening a photo variant", err)
		return
	}
	defer out.Close()
	h := w.Header()
	h.Set("Content-Type", variant.MediaType)
	h.Set("ETag", `"`+variant.Key+`"`)
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(avatarCacheSeconds))
	http.ServeContent(w, r, "", res.Info.ModTime(), io.ReadSeeker(out))
}

// photoReason is why media refused a photo, in its words: what follows
// authoring.ErrPhoto in err (or all of it).
func photoReason(err error) string {
	why := err.Error()
	if i := strings.Index(why, authoring.ErrPhoto.Error()+": "); i >= 0 {
		why = why[i+len(authoring.ErrPhoto.Error())+2:]
	}
	return why
}

// photoProblem says why a photo was refused, in media's words.
func photoProblem(err error, p *problem) {
	why := photoReason(err)
	p.Message = "Not saved: the photo cannot be used (" + why + "). Choose a JPEG, PNG, WebP or GIF of at most " +
		strconv.Itoa(media.MaxBytes>>20) + " MB, or none."
}
