package authoring

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"milepost/internal/content"
	"milepost/internal/media"
)

// Photos chosen in the editor go into the post's page bundle, beside its
// index.md, with a Markdown line each appended to the body. What is stored
// is media's variant of the upload — upright, at the largest width media
// serves, with no metadata (a phone's GPS position first of all) — never
// the bytes sent. The file's name is made here: the upload's base name as
// a slug (content.SlugFromTitle) and the extension of the format media
// detected, -2, -3, … while the bundle has that name. The name sent never
// reaches a path as given.
//
// A photo refused for any reason refuses the whole save, naming it, and
// nothing is written; photos are written only with the post's file, and
// removed again when that write fails.

// MaxPhotos is the most photos one save takes.
const MaxPhotos = 10

// FirstUpload is the Cover value that means "the first photo added by
// this save", whose file name is known only when it is stored.
const FirstUpload = "first-upload"

// PhotoUpload is a photo chosen in the editor.
type PhotoUpload struct {
	// Name is the upload's file name as the browser sent it: only a hint
	// for the stored file's name, and what a refusal calls the photo.
	Name string
	// Alt describes the photo for readers who cannot see it; required.
	Alt  string
	Data io.ReadSeeker
}

// PhotoError is the refusal of one photo of a save: Name is the upload's
// name, Err why (matching ErrPhoto and media.ErrRefused with media's
// reason, or ErrNoAlt). Nothing of the save was written.
type PhotoError struct {
	Name string
	Err  error
}

func (e *PhotoError) Error() string { return fmt.Sprintf("photo %q: %v", e.Name, e.Err) }
func (e *PhotoError) Unwrap() error { return e.Err }

var (
	// ErrNoAlt is matched by the error for a photo sent without a
	// description.
	ErrNoAlt = errors.New("it has no description for readers who cannot see it")
	// ErrTooManyPhotos is matched by the error for a save with more than
	// MaxPhotos photos.
	ErrTooManyPhotos = fmt.Errorf("more than %d photos at once", MaxPhotos)
)

// photoFile is a checked photo waiting to be stored: its stripped bytes,
// the base of its file name and extension, its Markdown alt text and,
// once placed, the name it has in the bundle.
type photoFile struct {
	upload string
	base   string
	ext    string
	alt    string
	data   []byte
	name   string
}

// preparePhotos checks every photo with media and renders what will be
// stored, before anything is written: one refusal refuses them all.
func preparePhotos(ctx context.Context, renders *media.Renderer, uploads []PhotoUpload) ([]photoFile, error) {
	if len(uploads) > MaxPhotos {
		return nil, ErrTooManyPhotos
	}
	var out []photoFile
	for _, u := range uploads {
		alt := oneLine(u.Alt)
		if alt == "" {
			return nil, &PhotoError{Name: u.Name, Err: ErrNoAlt}
		}
		info, data, err := probePhoto(u.Data)
		if err != nil {
			return nil, &PhotoError{Name: u.Name, Err: err}
		}
		var stripped bytes.Buffer
		if err := renders.Render(ctx, &stripped, data, info, info.FullWidth()); err != nil {
			if errors.Is(err, media.ErrRefused) {
				err = fmt.Errorf("%w: %w", ErrPhoto, err)
			}
			return nil, &PhotoError{Name: u.Name, Err: err}
		}
		out = append(out, photoFile{upload: u.Name, base: photoBase(u.Name), ext: info.Output().Ext(),
			alt: alt, data: stripped.Bytes()})
	}
	return out, nil
}

// photoBase is the base of a stored photo's name made from an upload's
// name: its last path element (either slash) without its extension, as a
// slug, cut short; "photo" when nothing of it can be used.
func photoBase(upload string) string {
	if i := strings.LastIndexAny(upload, `/\`); i >= 0 {
		upload = upload[i+1:]
	}
	upload = strings.TrimSuffix(upload, path.Ext(upload))
	base := content.SlugFromTitle(strings.ToValidUTF8(upload, ""))
	const most = 60
	if len(base) > most {
		base = strings.TrimRight(base[:most], "-")
	}
	if base == "" {
		return "photo"
	}
	return base
}

// oneLine is alt text on one line, trimmed: the textarea sends one line
// per photo, and an image's Markdown holds no line end.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "")), " ")
}

// MarkdownImage is the Markdown that shows the bundle's photo name (a path
// relative to the bundle) described by alt: the one way the editor writes
// a photo's line, for the photos a save adds and for those the edit page
// lists. The name is percent-encoded as a URL path, so that a name placed
// by hand with spaces, brackets, "?" or "#" still names its file, and one
// that would read as a scheme ("a:b.jpg") stays relative.
func MarkdownImage(alt, name string) string {
	dest := (&url.URL{Path: name}).EscapedPath()
	if first, _, _ := strings.Cut(dest, "/"); strings.Contains(first, ":") {
		dest = "./" + dest
	}
	return "![" + markdownAlt(alt) + "](" + dest + ")"
}

// markdownAlt escapes what would end or change an image's alt text.
func markdownAlt(alt string) string {
	return strings.NewReplacer(`\`, `\\`, `[`, `\[`, `]`, `\]`).Replace(alt)
}

// nameAll gives each photo a file name the bundle folder dir (absolute)
// does not have yet, nor another photo of the save.
func nameAll(dir string, photos []photoFile) {
	taken := map[string]bool{}
	for i := range photos {
		p := &photos[i]
		for n := 1; ; n++ {
			name := p.base + p.ext
			if n > 1 {
				name = p.base + "-" + strconv.Itoa(n) + p.ext
			}
			if taken[name] {
				continue
			}
			if _, err := os.Lstat(filepath.Join(dir, name)); errors.Is(err, fs.ErrNotExist) {
				p.name, taken[name] = name, true
				break
			}
		}
	}
}

// withPhotoLines is body with one image line per photo appended, in their
// own paragraph after the text as sent.
func withPhotoLines(body string, photos []photoFile) string {
	if len(photos) == 0 {
		return body
	}
	var b strings.Builder
	if trimmed := strings.TrimRight(body, "\r\n"); trimmed != "" {
		b.WriteString(trimmed)
		b.WriteString("\n\n")
	}
	for _, p := range photos {
		b.WriteString(MarkdownImage(p.alt, p.name))
		b.WriteByte('\n')
	}
	return b.String()
}

// placePhotos writes the photos into the bundle folder dir (absolute,
// made if missing) through os.Root, each under its own new name: a file
// that exists is never replaced (O_EXCL), and nothing is written outside
// the folder. It returns what removes them again.
func placePhotos(dir string, photos []photoFile) (remove func(), err error) {
	if len(photos) == 0 {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("making the post's folder for its photos: %w", err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("opening the post's folder: %w", err)
	}
	defer root.Close()
	var written []string
	remove = func() {
		for _, name := range written {
			os.Remove(filepath.Join(dir, name))
		}
	}
	for _, p := range photos {
		if err := writeNew(root, p.name, p.data); err != nil {
			remove()
			return nil, fmt.Errorf("storing photo %q as %s: %w", p.upload, p.name, err)
		}
		written = append(written, p.name)
	}
	return remove, nil
}

// writeNew writes a file that must not exist yet, synced.
func writeNew(root *os.Root, name string, data []byte) error {
	f, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		root.Remove(name)
	}
	return err
}

// BundlePhotos lists the photo files of the post's bundle folder that
// content serves, by name; none for a post written as a single file.
func (s *Service) BundlePhotos(p Post) []string {
	if p.Bundle == "" {
		return nil
	}
	entries, err := os.ReadDir(s.abs(p.Bundle))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.Type().IsRegular() && content.IsResource(e.Name()) && utf8.ValidString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names
}
