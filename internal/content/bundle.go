package content

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// A page bundle is a post written as a folder, as in Hugo:
// posts/SLUG/index.md with its photos beside it. The files are published
// under the post's URL (/posts/SLUG/photo.jpg), so Markdown such as
// ![Finish line](photo.jpg) works as written.
//
// Only files a reader should get are published: media types on
// resourceTypes, never the post's Markdown, hidden files, or original
// activity files (.fit, .gpx, .tcx), which carry where a runner lives.
// Files are opened through os.Root, so neither ".." nor a symbolic link
// reaches anything outside the bundle's folder.

// bundleIndex is the name of a page bundle's post file.
const bundleIndex = "index.md"

// resourceTypes are the media types of the bundle files that are served,
// by lowercased extension. Anything else is not found.
var resourceTypes = map[string]string{
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
	".gif":  "image/gif",
	".webp": "image/webp",
}

// bundleOf returns the folder of a post file, relative to the content
// directory, when the file is a page bundle's index.md, else "".
func bundleOf(rel string) string {
	dir := path.Dir(rel)
	if path.Base(rel) != bundleIndex || dir == "posts" || !strings.HasPrefix(dir, "posts/") {
		return ""
	}
	return dir
}

// Resource is an open file of a page bundle. Close it after use.
type Resource struct {
	*os.File
	Info fs.FileInfo
	// MediaType is the Content-Type to serve it with.
	MediaType string
}

// ErrNotPublished is returned (wrapped, alongside fs.ErrNotExist) for a
// bundle file that exists but is never served: its type is not on the
// allow-list, or it is hidden.
var ErrNotPublished = errors.New("not a file readers may download")

// OpenResource opens the file name (a slash-separated path inside the
// bundle, as in the URL) of the visible post with the slug. Every error
// that means "no such file for readers" matches fs.ErrNotExist: the post
// is not visible or not a bundle, the name is not a clean path inside
// the bundle, names a hidden file or a type that is not served, or leaves
// the folder through a symbolic link.
func (v View) OpenResource(slug, name string) (*Resource, error) {
	p := v.Post(slug)
	if p == nil || p.Bundle == "" {
		return nil, fmt.Errorf("%s has no file %q: %w", slug, name, fs.ErrNotExist)
	}
	mediaType, err := resourceType(name)
	if err != nil {
		return nil, fmt.Errorf("opening %s/%s: %w", p.Bundle, name, err)
	}
	f, info, err := openInBundle(filepath.Join(v.Site.dir, filepath.FromSlash(p.Bundle)), name)
	if err != nil {
		return nil, fmt.Errorf("opening %s/%s: %w", p.Bundle, name, err)
	}
	return &Resource{File: f, Info: info, MediaType: mediaType}, nil
}

// openInBundle opens the regular file name (a slash-separated path) inside
// the bundle folder dir through os.Root, so that neither ".." nor a
// symbolic link leads out of it. Every error that means "no such file for
// readers" matches fs.ErrNotExist.
func openInBundle(dir, name string) (*os.File, fs.FileInfo, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, nil, err
	}
	defer root.Close() // the file stays open
	notFound := func(err error) error {
		if !errors.Is(err, fs.ErrNotExist) {
			// Leaving the folder through a link, a path through a file, a
			// file the server may not read: nothing a reader may have.
			err = fmt.Errorf("%w (%w)", fs.ErrNotExist, err)
		}
		return err
	}
	// Checked before opening: opening a named pipe would wait for a writer.
	if info, err := root.Stat(filepath.FromSlash(name)); err != nil {
		return nil, nil, notFound(err)
	} else if !info.Mode().IsRegular() {
		return nil, nil, notFound(errors.New("not a regular file"))
	}
	f, err := root.Open(filepath.FromSlash(name))
	if err != nil {
		return nil, nil, notFound(err)
	}
	info, err := f.Stat()
	if err == nil && !info.Mode().IsRegular() {
		err = errors.New("not a regular file")
	}
	if err != nil {
		f.Close()
		return nil, nil, notFound(err)
	}
	return f, info, nil
}

// IsResource reports whether name (a slash-separated path inside a
// bundle) is a file readers may be served: the editor lists a bundle's
// photos by it.
func IsResource(name string) bool {
	_, err := resourceType(name)
	return err == nil
}

// resourceType checks that name may be served and returns its media type.
func resourceType(name string) (string, error) {
	if !fs.ValidPath(name) || name == "." {
		return "", fmt.Errorf("not a path inside the bundle: %w", fs.ErrNotExist)
	}
	for _, seg := range strings.Split(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return "", fmt.Errorf("%w: hidden: %w", ErrNotPublished, fs.ErrNotExist)
		}
	}
	t, ok := resourceTypes[strings.ToLower(path.Ext(name))]
	// An activity file is refused by name too, whatever the list above
	// becomes: it carries where the runner lives (runfile.go).
	if !ok || IsActivityFile(name) {
		return "", fmt.Errorf("%w: %w", ErrNotPublished, fs.ErrNotExist)
	}
	return t, nil
}
