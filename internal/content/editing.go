package content

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"
)

// What the web editor (internal/authoring) needs of content's own rules: the
// file split the way the loader splits it, and the loader's verdict on a file
// before it is written. Every rule stays here; authoring only asks.

// PostSource is a content file split into its parts, as the loader reads it.
// The byte offsets are into the file as given (a leading BOM included), so
// that an editor can replace the front matter and nothing else.
type PostSource struct {
	Format string // "YAML" or "TOML"
	// FrontStart and FrontEnd delimit the front matter text, between the
	// opening and the closing delimiter lines; BodyStart is the first byte
	// after the closing delimiter's line.
	FrontStart, FrontEnd, BodyStart int
	// FrontLine is the file line of the front matter's first line.
	FrontLine int
	// Keys are the top-level keys in the order the parser gives them (the
	// order written, for YAML; TOML's decoder gives plain keys before
	// tables).
	Keys []FrontKey
}

// FrontKey is one top-level front matter key.
type FrontKey struct {
	Key  string // as written
	Line int    // file line of the key
	// Value is the decoded value (nil when empty); Text is a scalar's text
	// as written (YAML) or formatted (TOML), when Scalar; Items are the
	// texts of a list of scalars, when List.
	Value  any
	Text   string
	Scalar bool
	Items  []string
	List   bool
	// Fields are the keys of a value that is a map (run:), each with its
	// own line and its Key as written under the map ("distance"); nil for
	// any other value.
	Fields []FrontKey
}

// SplitSource splits a content file. Its error is a Problem without a file
// name: the caller knows it.
func SplitSource(src []byte) (PostSource, error) {
	if lerr := checkUTF8(src); lerr != nil {
		return PostSource{}, Problem{Line: lerr.line, Err: lerr.err}
	}
	doc, lerr := splitDocument(src)
	if lerr != nil {
		return PostSource{}, Problem{Line: lerr.line, Err: lerr.err}
	}
	fields, lerr := parseFront(doc)
	if lerr != nil {
		return PostSource{}, Problem{Line: lerr.line, Err: lerr.err}
	}
	bom := len(src) - len(bytes.TrimPrefix(src, []byte("\uFEFF")))
	_, afterOpen := nextLine(src[bom:], 0)
	s := PostSource{
		Format:     doc.format,
		FrontStart: bom + afterOpen,
		BodyStart:  len(src) - len(doc.body),
		FrontLine:  doc.frontLine,
	}
	s.FrontEnd = s.FrontStart + len(doc.front)
	for _, f := range fields {
		s.Keys = append(s.Keys, frontKeyOf(f, ""))
	}
	return s, nil
}

// frontKeyOf is the field f, whose key is prefix followed by its own.
func frontKeyOf(f field, prefix string) FrontKey {
	k := FrontKey{Key: strings.TrimPrefix(f.key, prefix), Line: f.line, Value: f.value, Text: f.text,
		Scalar: f.scalar, Items: f.items, List: f.list}
	for _, sub := range f.fields {
		k.Fields = append(k.Fields, frontKeyOf(sub, f.key+"."))
	}
	return k
}

// ParsePost reads src as the post file rel (relative to the content
// directory, slash-separated) of this site: with its settings, its authors,
// and its other posts' slugs. It returns the problems the loader would
// report for the file, each with its file:line, and the post only when there
// are none: a file it refuses is one the site would skip.
func (s *Site) ParsePost(rel string, src []byte) (*Post, []Problem) {
	return s.ParseMovedPost(rel, rel, src)
}

// ParseMovedPost is ParsePost for the post now at from as it would be at
// rel (a single file becoming a bundle, a draft taking a new slug): its own
// slug, held by from, is no other post's.
func (s *Site) ParseMovedPost(rel, from string, src []byte) (*Post, []Problem) {
	if path.Ext(rel) != ".md" || !ValidPostPath(rel) {
		return nil, []Problem{{File: rel, Err: fmt.Errorf("not a post file: posts are .md files under posts/")}}
	}
	if lerr := checkUTF8(src); lerr != nil {
		return nil, problems(rel, []*lineError{lerr})
	}
	l := &loader{cfg: s.Config, md: newMarkdown(s.Config.Markdown), basePath: s.Config.BasePath(), dir: s.dir, activities: s.activities, readers: s.readers}
	// The activity file is read from the disk the editor just wrote to;
	// the Source's cache makes an unchanged one cost nothing.
	lp, errs := l.post(context.Background(), rel, src, s.Authors)
	if len(errs) > 0 {
		return nil, problems(rel, errs)
	}
	if other := s.bySlug[lp.Slug]; other != nil && other.File != rel && other.File != from {
		return nil, []Problem{{File: rel, Line: lp.slugLine, Err: fmt.Errorf("slug %q is already used by %s", lp.Slug, other.File)}}
	}
	return lp.Post, nil
}

// ValidPostPath reports whether rel is a clean, slash-separated path of a
// file under posts/ in the content directory.
func ValidPostPath(rel string) bool {
	return strings.HasPrefix(rel, "posts/") && len(rel) > len("posts/") && path.Clean(rel) == rel &&
		!strings.ContainsAny(rel, "\\\x00")
}

// PostFile is the file (relative to the content directory) of the post with
// the slug, drafts and posts dated in the future included, or "".
func (s *Site) PostFile(slug string) string {
	if p := s.bySlug[slug]; p != nil {
		return p.File
	}
	return ""
}

// BundleDir is the folder of a page bundle (posts/SLUG) when rel is the
// bundle's index.md, else "": a bundle is moved as a whole, with its photos.
func BundleDir(rel string) string { return bundleOf(rel) }
