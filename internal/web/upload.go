package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
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

// MaxEditorUploadBytes bounds an editor form that carries photos, the
// largest body serve takes (a proxy in front must let it through): as many
// photos as one save takes, each of at most media.MaxBytes, and the text.
// An activity file (at most activity.DefaultLimits.MaxFileBytes, a
// quarter of it) counts within it: a save with the largest watch file
// takes fewer photos. Every other request stays within MaxBodyBytes.
const MaxEditorUploadBytes = authoring.MaxPhotos*media.MaxBytes + maxPostFormBytes

// maxEditorParts bounds how many parts an editor form may have: the
// editor sends some twenty, and every part costs a little memory however
// small it is.
const maxEditorParts = 1000

// editorForm is the editor's form as read: its text fields, and the files
// chosen, each in a temporary file until the request is answered (close).
type editorForm struct {
	values   url.Values
	photos   []formFile
	activity *formFile // nil: none chosen
}

// formFile is a file part of the form: the name it was sent with, and its
// bytes — at most its bound and one byte more, which tells authoring the
// file is over the bound.
type formFile struct {
	name string
	data *os.File
}

// close removes the form's temporary files.
func (f *editorForm) close() {
	files := f.photos
	if f.activity != nil {
		files = append(files, *f.activity)
	}
	for _, ff := range files {
		ff.data.Close()
		os.Remove(ff.data.Name())
	}
}

// editorTooLargeError refuses an editor form over one of its bounds: its
// text fields over maxPostFormBytes together (text), or the whole form
// over MaxEditorUploadBytes. The form is shown back with the text read
// before the bound was reached.
type editorTooLargeError struct {
	text  bool
	limit int64
}

func (e *editorTooLargeError) Error() string {
	if e.text {
		return fmt.Sprintf("the editor's text fields are over %d bytes together", e.limit)
	}
	return fmt.Sprintf("the editor's form is over %d bytes", e.limit)
}

// readEditorForm reads the editor's form part by part, in the order the
// browser sends them (the order of editor.html: every text field, then
// the photos and the activity file), with a bound for each kind: the text
// fields take maxPostFormBytes together, a photo media.MaxBytes and the
// activity file the reader's limit, each kept to its bound and a byte
// more (authoring refuses the file then, naming it), and the whole body
// MaxEditorUploadBytes. A form over a bound is refused with an
// *editorTooLargeError and what was read so far, so that the writer's
// text is shown back. A Content-Length over the whole bound is refused at
// the first file part: the text before it is read, and nothing of the
// files. A plain (urlencoded) form is read within maxPostFormBytes.
//
// The form returned is never nil; the caller closes it.
func readEditorForm(w http.ResponseWriter, r *http.Request) (*editorForm, error) {
	form := &editorForm{values: url.Values{}}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		if err := readForm(w, r, maxPostFormBytes); err != nil {
			return form, err
		}
		form.values = r.PostForm
		return form, nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxEditorUploadBytes)
	mr, err := r.MultipartReader()
	if err != nil {
		return form, fmt.Errorf("%w: %w", errUnreadableForm, err)
	}
	tooLarge := func(err error) error {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			return &editorTooLargeError{limit: MaxEditorUploadBytes}
		}
		return fmt.Errorf("%w: %w", errUnreadableForm, err)
	}
	textLeft := int64(maxPostFormBytes)
	for parts := 0; ; parts++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return form, nil
		}
		if err != nil {
			return form, tooLarge(err)
		}
		if parts == maxEditorParts {
			return form, fmt.Errorf("%w: over %d parts", errUnreadableForm, maxEditorParts)
		}
		name := part.FormName()
		if name != "photos" && name != "activity" {
			budget := textLeft - int64(len(name))
			value, err := io.ReadAll(io.LimitReader(part, max(budget, 0)+1))
			if err != nil {
				return form, tooLarge(err)
			}
			if int64(len(value)) > budget {
				// What fits is shown back, cut where a character ends.
				form.values.Add(name, strings.ToValidUTF8(string(value[:max(budget, 0)]), ""))
				return form, &editorTooLargeError{text: true, limit: maxPostFormBytes}
			}
			textLeft = budget - int64(len(value))
			form.values.Add(name, string(value))
			continue
		}
		if part.FileName() == "" {
			continue // a file input left empty
		}
		if r.ContentLength > MaxEditorUploadBytes {
			// The files cannot all be read: refused before reading one.
			return form, &editorTooLargeError{limit: MaxEditorUploadBytes}
		}
		bound := int64(media.MaxBytes)
		if name == "activity" {
			if form.activity != nil {
				continue // one activity file a save: the first one chosen
			}
			bound = activity.DefaultLimits.MaxFileBytes
		} else if len(form.photos) == authoring.MaxPhotos {
			return form, authoring.ErrTooManyPhotos
		}
		f, err := keepPart(part, bound)
		if err != nil {
			return form, tooLarge(err)
		}
		if name == "activity" {
			form.activity = &formFile{name: part.FileName(), data: f}
		} else {
			form.photos = append(form.photos, formFile{name: part.FileName(), data: f})
		}
	}
}

// keepPart copies a file part, at most bound bytes and one more, into a
// temporary file, and returns it open at its start.
func keepPart(part io.Reader, bound int64) (*os.File, error) {
	f, err := os.CreateTemp("", "milepost-upload-*")
	if err != nil {
		return nil, fmt.Errorf("keeping an uploaded file: %w", err)
	}
	_, err = io.Copy(f, io.LimitReader(part, bound+1))
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// photoUploads are the photos the form carries, each with its line of
// photo_alts (blank lines skipped).
func (f *editorForm) photoUploads() []authoring.PhotoUpload {
	var alts []string
	for _, line := range strings.Split(f.values.Get("photo_alts"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			alts = append(alts, line)
		}
	}
	var uploads []authoring.PhotoUpload
	for i, ph := range f.photos {
		u := authoring.PhotoUpload{Name: ph.name, Data: ph.data}
		if i < len(alts) {
			u.Alt = alts[i]
		}
		uploads = append(uploads, u)
	}
	return uploads
}

// activityUpload is the activity file the form carries, or nil.
func (f *editorForm) activityUpload() *authoring.ActivityUpload {
	if f.activity == nil {
		return nil
	}
	return &authoring.ActivityUpload{Name: f.activity.name, Data: f.activity.data}
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

// editorTooLarge says which of the editor's bounds a form went over, and
// what of it is shown back.
func editorTooLarge(err error, p *problem) {
	var e *editorTooLargeError
	errors.As(err, &e)
	if e.text {
		p.Message = fmt.Sprintf("Not saved: the story and the other fields are over %s together, which is more than one post takes. "+
			"Nothing was saved. What was read is below, cut where the %s ran out: the end of the story is missing. "+
			"Shorten the story, or split it into two posts, and save again.", byteSize(e.limit), byteSize(e.limit))
		return
	}
	p.Message = fmt.Sprintf("Not saved: the photos and the activity file are over %d MB together (at most %d photos of %d MB each at a time). "+
		"Nothing was saved, and no file was stored; your text is kept below. Choose fewer or smaller photos and save again.",
		e.limit>>20, authoring.MaxPhotos, media.MaxBytes>>20)
}
