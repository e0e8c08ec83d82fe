package content

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
)

// An author's photo is the file beside the author's Markdown,
// authors/ID.jpg or authors/ID.png (the formats media's variants are in),
// published at /authors/ID/avatar.jpg (or .png). It is opened through
// os.Root on the authors folder, as a bundle's files are, so a symbolic
// link leads nowhere.

// AvatarExts are the file name extensions an author's photo may have, in
// the order they are looked for.
var AvatarExts = []string{".jpg", ".png"}

// AvatarFile is the file, relative to the content directory, of the
// author's photo with the extension ext (one of AvatarExts).
func AvatarFile(id, ext string) string { return "authors/" + id + ext }

// avatarOf is the URL file name of the author's photo ("avatar.jpg"), or
// "" when the authors folder has none for id.
func avatarOf(dir, id string) string {
	for _, ext := range AvatarExts {
		if f, _, err := openInBundle(filepath.Join(dir, "authors"), id+ext); err == nil {
			f.Close()
			return "avatar" + ext
		}
	}
	return ""
}

// OpenAvatar opens the photo of the author with the id, name being the file
// name of its URL (Author.Avatar). Every error meaning "no such photo"
// matches fs.ErrNotExist.
func (v View) OpenAvatar(id, name string) (*Resource, error) {
	a := v.Site.Authors[id]
	if a == nil || a.Avatar == "" || name != a.Avatar {
		return nil, fmt.Errorf("author %q has no photo %q: %w", id, name, fs.ErrNotExist)
	}
	ext := path.Ext(name)
	f, info, err := openInBundle(filepath.Join(v.Site.dir, "authors"), id+ext)
	if err != nil {
		return nil, fmt.Errorf("opening the photo of author %q: %w", id, err)
	}
	return &Resource{File: f, Info: info, MediaType: resourceTypes[ext]}, nil
}

// ParseAuthor reads src as the author file rel (authors/ID.md) of this
// site, returning the problems the loader would report for it, each with
// its file:line, and the author only when there are none.
func (s *Site) ParseAuthor(rel string, src []byte) (*Author, []Problem) {
	if path.Dir(rel) != "authors" || path.Ext(rel) != ".md" {
		return nil, []Problem{{File: rel, Err: fmt.Errorf("not an author file: authors are .md files in authors/")}}
	}
	if lerr := checkUTF8(src); lerr != nil {
		return nil, problems(rel, []*lineError{lerr})
	}
	l := &loader{cfg: s.Config, md: newMarkdown(s.Config.Markdown), basePath: s.Config.BasePath(), dir: s.dir, readers: s.readers}
	a, errs := l.author(rel, src)
	if len(errs) > 0 {
		return nil, problems(rel, errs)
	}
	return a, nil
}
