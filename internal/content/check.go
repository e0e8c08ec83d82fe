package content

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"milepost/internal/media"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// Check looks for the problems Load does not, because finding them costs a
// second reading of every post: images the Markdown shows from beside the
// post (![Finish](finish.jpg)) that readers would not get — missing from
// the page bundle, of a type that is not served, or next to a post that is
// a single file, beside which nothing is served. It returns them after
// each post's Warnings (a cover: readers would not get), which Load
// found. `milepost check` reports them with Load's problems; the site is
// served with them all the same.
//
// Only the posts Load kept are read, drafts and future posts included.
// Images elsewhere (another site, a path from the site's root) are not
// looked at: whether they exist is not decided by the post's folder.
//
// Each image file that is there and would be served is probed as media
// does before serving it: one media refuses — a HEIC file named .jpg, a
// decompression bomb — is a problem too.
func (s *Site) Check(ctx context.Context) ([]Problem, error) {
	md := newMarkdown(s.Config.Markdown)
	// Every post, whatever its date or draft state.
	all := View{Site: s, Now: time.Unix(1<<62, 0), Drafts: true}
	var out []Problem
	for _, p := range s.all {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		for _, w := range s.Warnings {
			if w.File == p.File {
				out = append(out, w)
			}
		}
		src, err := os.ReadFile(filepath.Join(s.dir, filepath.FromSlash(p.File)))
		if err != nil {
			// Changed since Load read it: reported as Load reports it.
			out = append(out, Problem{File: p.File, Err: fmt.Errorf("reading: %w", err)})
			continue
		}
		doc, lerr := splitDocument(src)
		if lerr != nil {
			out = append(out, Problem{File: p.File, Line: lerr.line, Err: lerr.err})
			continue
		}
		for _, img := range bodyImages(md, doc) {
			if e := checkImage(all, p, img.dest); e != nil {
				out = append(out, Problem{File: p.File, Line: img.line, Err: e})
			}
		}
	}
	return out, nil
}

// bodyImage is an image of a post's Markdown: its destination as written
// and the file line it is on.
type bodyImage struct {
	dest string
	line int
}

// bodyImages parses the body of doc as Load renders it (so an image Load
// removes for its scheme is not there) and returns its images in order.
func bodyImages(md *markdown, doc document) []bodyImage {
	body := doc.body
	tree := md.md.Parser().Parse(text.NewReader(body))
	firstLine := doc.endLine + 1
	var out []bodyImage
	_ = ast.Walk(tree, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		line := firstLine + bytes.Count(body[:imageOffset(img, body)], []byte("\n"))
		out = append(out, bodyImage{dest: string(img.Destination), line: line})
		return ast.WalkSkipChildren, nil
	})
	return out
}

// imageOffset returns where in src the image is written, as near as
// goldmark tells: inline nodes have no position of their own, but the text
// of an image's description does, and the image starts on its line. An
// image without a description is looked for by its destination in the
// lines of the block around it.
func imageOffset(img *ast.Image, src []byte) int {
	if t, ok := img.FirstChild().(*ast.Text); ok {
		return t.Segment.Start
	}
	for n := img.Parent(); n != nil; n = n.Parent() {
		if n.Type() != ast.TypeBlock || n.Lines().Len() == 0 {
			continue
		}
		lines := n.Lines()
		for i := range lines.Len() {
			seg := lines.At(i)
			if bytes.Contains(seg.Value(src), img.Destination) {
				return seg.Start
			}
		}
		return lines.At(0).Start
	}
	return 0
}

// checkImage returns why readers would not get the image at dest, shown
// in the post p, or nil when they would or when it is not p's to decide.
func checkImage(all View, p *Post, dest string) error {
	u, err := url.Parse(dest)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Path == "" || strings.HasPrefix(u.Path, "/") {
		return nil
	}
	// Where a browser showing /posts/SLUG/ asks for it.
	dir := "/posts/" + p.Slug + "/"
	resolved := (&url.URL{Path: dir}).ResolveReference(&url.URL{Path: u.Path}).Path
	name, inside := strings.CutPrefix(resolved, dir)
	if !inside || name == "" {
		return nil // another post's folder, or a page: not this bundle's
	}
	if p.Bundle == "" {
		return fmt.Errorf("image %q is shown from beside the post, but %s is a single file and nothing beside it is served: make the post a page bundle (posts/%s/index.md) with the image in its folder", dest, p.File, p.Slug)
	}
	if _, err := resourceType(name); errors.Is(err, ErrNotPublished) {
		if strings.HasPrefix(name, ".") || strings.Contains(name, "/.") {
			return fmt.Errorf("image %q is not served to readers: hidden files (names starting with a dot) never are", dest)
		}
		return fmt.Errorf("image %q is not served to readers: a bundle's images must be %s files", dest, servedTypes())
	}
	r, err := all.OpenResource(p.Slug, name)
	if err == nil {
		defer r.Close()
		if _, err := media.Probe(r); err != nil {
			return fmt.Errorf("image %q cannot be shown to readers: %w", dest, err)
		}
		return nil
	}
	if _, serr := os.Lstat(filepath.Join(all.Site.dir, filepath.FromSlash(p.Bundle), filepath.FromSlash(name))); errors.Is(serr, fs.ErrNotExist) {
		return fmt.Errorf("image %q: no file %s in %s/", dest, name, p.Bundle)
	}
	return fmt.Errorf("image %q is not served to readers: %w", dest, err)
}

// servedTypes lists the extensions of the bundle files that are served,
// for messages: ".gif, .jpeg, … or .webp".
func servedTypes() string {
	var exts []string
	for ext := range resourceTypes {
		exts = append(exts, ext)
	}
	slices.Sort(exts)
	return strings.Join(exts[:len(exts)-1], ", ") + " or " + exts[len(exts)-1]
}
