package web

import (
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"

	"milepost/internal/activity"
	"milepost/internal/authoring"
	"milepost/internal/content"
	"milepost/internal/media"
)

// Photos chosen in the editor: the editor's form is multipart, with a file
// input "photos" (several at once) and a textarea "photo_alts", one line
// of description per photo in the order chosen. What is stored, under what
// name and where, is authoring's to decide (the upload's name never
// reaches a path); this file reads the form within its bounds.

// maxEditorUploadBytes bounds an editor form that carries photos: as many
// photos as one save takes, each of at most media.MaxBytes, and the text.
// An activity file (at most activity.DefaultLimits.MaxFileBytes, a
// quarter of it) counts within it: a save with the largest watch file
// takes fewer photos. Every other request stays within MaxBodyBytes.
const maxEditorUploadBytes = authoring.MaxPhotos*media.MaxBytes + maxPostFormBytes

// uploadMemory is how much of a form with photos is held in memory; the
// rest waits in temporary files, removed when the request is answered.
const uploadMemory = 32 << 20

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

// activityUpload is the activity file the form carries (the file input
// "activity"), opened, or nil; the caller calls the function returned
// once done. An input left empty sends an empty part, which is no file.
func activityUpload(r *http.Request) (*authoring.ActivityUpload, func(), error) {
	if r.MultipartForm == nil {
		return nil, func() {}, nil
	}
	for _, fh := range r.MultipartForm.File["activity"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return nil, func() {}, fmt.Errorf("opening an uploaded activity file: %w", err)
		}
		return &authoring.ActivityUpload{Name: fh.Filename, Data: f}, func() { f.Close() }, nil
	}
	return nil, func() {}, nil
}

// runFieldsOf is the run's fields of the editor's form, each on one line
// as the file keeps them.
func runFieldsOf(f url.Values) authoring.RunFields {
	line := func(name string) string { return strings.Join(strings.Fields(f.Get(name)), " ") }
	return authoring.RunFields{Type: line("run_type"), Distance: line("run_distance"), Time: line("run_time"), Race: line("run_race")}
}

// ActivityAccept is the activity file input's accept attribute.
func (p editorPage) ActivityAccept() string { return content.ActivityAccept }

// RunTypeOptions are the choices of the run's type: none, each type
// content knows, and the file's own value when it is none of them (kept,
// so that a save does not drop it; content warns of it).
func (p editorPage) RunTypeOptions() []selectOption {
	opts := []selectOption{{Value: "", Label: "Not said"}}
	known := p.Form.Run.Type == ""
	for _, t := range content.RunTypes() {
		opts = append(opts, selectOption{Value: string(t), Label: string(t)})
		known = known || string(t) == p.Form.Run.Type
	}
	if !known {
		opts = append(opts, selectOption{Value: p.Form.Run.Type, Label: p.Form.Run.Type + " (as the file has it)"})
	}
	for i := range opts {
		opts[i].Selected = opts[i].Value == p.Form.Run.Type
	}
	return opts
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
			Markdown: authoring.MarkdownImage("Describe the photo", name)})
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

// activityRefusal says which activity file was refused and why, in the
// reader's words.
func activityRefusal(err error, p *problem) {
	var ae *authoring.ActivityError
	errors.As(err, &ae)
	p.Message = fmt.Sprintf("Not saved: the activity file “%s” cannot be used: %s. Nothing was saved, and no file was stored; "+
		"your text is kept below. Choose a FIT, GPX or TCX file from your watch (gzipped or not, at most %d MB), or save without one.",
		ae.Name, ae.Reason(), activity.DefaultLimits.MaxFileBytes>>20)
}

// selectOption is one choice of a select of the editor: the cover photo, the run's type.
type selectOption struct {
	Value, Label string
	Selected     bool
}

// CoverOptions are the cover photo's choices: none, each photo of the
// bundle, the first photo this save adds, and the file's own value when
// it names none of those (kept, so that a save does not drop it).
func (p editorPage) CoverOptions() []selectOption {
	opts := []selectOption{{Value: "", Label: "None"}}
	known := p.Form.Cover == ""
	for _, ph := range p.Photos {
		opts = append(opts, selectOption{Value: ph.Name, Label: ph.Name})
		known = known || ph.Name == p.Form.Cover
	}
	opts = append(opts, selectOption{Value: authoring.FirstUpload, Label: "The first photo added below"})
	known = known || p.Form.Cover == authoring.FirstUpload
	if !known {
		opts = append(opts, selectOption{Value: p.Form.Cover, Label: p.Form.Cover + " (as the file has it)"})
	}
	for i := range opts {
		opts[i].Selected = opts[i].Value == p.Form.Cover
	}
	return opts
}
