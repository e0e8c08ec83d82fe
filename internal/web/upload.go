package web

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"milepost/internal/authoring"
	"milepost/internal/media"
)

// Photos chosen in the editor: the editor's form is multipart, with a file
// input "photos" (several at once) and a textarea "photo_alts", one line
// of description per photo in the order chosen. What is stored, under what
// name and where, is authoring's to decide (the upload's name never
// reaches a path); this file reads the form within its bounds.

// maxEditorUploadBytes bounds an editor form that carries photos: as many
// photos as one save takes, each of at most media.MaxBytes, and the text.
// Every other request stays within MaxBodyBytes.
const maxEditorUploadBytes = authoring.MaxPhotos*media.MaxBytes + maxPostFormBytes

// uploadMemory is how much of a form with photos is held in memory; the
// rest waits in temporary files, removed when the request is answered.
const uploadMemory = 32 << 20

// photoFormLimit is the body bound of a form that may carry photos, above
// MaxBodyBytes, or 0 for any other request: its own route bounds it
// again.
func photoFormLimit(r *http.Request) int64 {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return 0
	}
	switch p := r.URL.Path; {
	case p == "/admin/invite" || p == "/admin/profile":
		return maxProfileFormBytes
	case isEditorForm(p):
		return maxEditorUploadBytes
	}
	return 0
}

// isEditorForm reports whether p is where the editor's form is sent.
func isEditorForm(p string) bool {
	if p == "/admin/posts/new" {
		return true
	}
	ok, _ := path.Match("/admin/posts/*/edit", p)
	return ok
}

// readEditorForm reads the editor's form: multipart with photos, held in
// memory up to uploadMemory, or a plain form within maxPostFormBytes.
// The caller removes the temporary files (r.MultipartForm.RemoveAll).
func readEditorForm(w http.ResponseWriter, r *http.Request) error {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return readForm(w, r, maxPostFormBytes)
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxEditorUploadBytes)
	if err := r.ParseMultipartForm(uploadMemory); err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			return err
		}
		return fmt.Errorf("%w: %w", errUnreadableForm, err)
	}
	return nil
}

// photoUploads are the photos the form carries, each with its line of
// photo_alts (blank lines skipped), opened; the caller closes them. A
// file input left empty sends one empty part, which is no photo.
func photoUploads(r *http.Request) ([]authoring.PhotoUpload, func(), error) {
	var uploads []authoring.PhotoUpload
	var open []multipart.File
	closeAll := func() {
		for _, f := range open {
			f.Close()
		}
	}
	if r.MultipartForm == nil {
		return nil, closeAll, nil
	}
	var alts []string
	for _, line := range strings.Split(r.PostFormValue("photo_alts"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			alts = append(alts, line)
		}
	}
	for _, fh := range r.MultipartForm.File["photos"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			closeAll()
			return nil, func() {}, fmt.Errorf("opening an uploaded photo: %w", err)
		}
		open = append(open, f)
		u := authoring.PhotoUpload{Name: fh.Filename, Data: f}
		if n := len(uploads); n < len(alts) {
			u.Alt = alts[n]
		}
		uploads = append(uploads, u)
	}
	return uploads, closeAll, nil
}

// photoRow is a photo of the post's bundle as the edit page lists it.
type photoRow struct {
	Name     string
	Thumb    string // the 480 px variant's address
	Markdown string // to paste into the story
}

// photoRows lists the bundle's photos of the post.
func (s *Server) photoRows(p authoring.Post) []photoRow {
	var rows []photoRow
	for _, name := range s.opts.Authoring.BundlePhotos(p) {
		rows = append(rows, photoRow{Name: name, Thumb: "/posts/" + p.Slug + "/" + name + "?w=480",
			Markdown: "![Describe the photo](" + name + ")"})
	}
	return rows
}

// photoRefusal says which photo was refused and why, in media's words.
func photoRefusal(err error, p *problem) {
	var pe *authoring.PhotoError
	errors.As(err, &pe)
	why := photoReason(pe.Err)
	p.Message = fmt.Sprintf("Not saved: the photo “%s” cannot be used: %s. Nothing was saved, and no photo was stored; "+
		"your text is kept below. Choose the photos again (JPEG, PNG, WebP or GIF, at most %d MB each), each with a line describing it.",
		pe.Name, why, media.MaxBytes>>20)
}

// coverOption is one choice of the editor's cover photo list.
type coverOption struct {
	Value, Label string
	Selected     bool
}

// CoverOptions are the cover photo's choices: none, each photo of the
// bundle, the first photo this save adds, and the file's own value when
// it names none of those (kept, so that a save does not drop it).
func (p editorPage) CoverOptions() []coverOption {
	opts := []coverOption{{Value: "", Label: "None"}}
	known := p.Form.Cover == ""
	for _, ph := range p.Photos {
		opts = append(opts, coverOption{Value: ph.Name, Label: ph.Name})
		known = known || ph.Name == p.Form.Cover
	}
	opts = append(opts, coverOption{Value: authoring.FirstUpload, Label: "The first photo added below"})
	known = known || p.Form.Cover == authoring.FirstUpload
	if !known {
		opts = append(opts, coverOption{Value: p.Form.Cover, Label: p.Form.Cover + " (as the file has it)"})
	}
	for i := range opts {
		opts[i].Selected = opts[i].Value == p.Form.Cover
	}
	return opts
}
