package content

import (
	"errors"
	"io/fs"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"

	"milepost/internal/media"
)

// A post's front matter may name a cover photo: cover: finish.jpg, a photo
// of its page bundle. It is what other sites show of the post (Open Graph's
// og:image, feeds' enclosures) and what the post's page shows above the
// story. A cover is never guessed from the body's photos: a runner who
// wants one says which.
//
// A cover readers would not get — no such file, not a photo, a photo media
// refuses, a name outside the bundle, a post that is a single file — is a
// problem at the key's line (Site.Warnings, which serve logs and check
// reports), and the post is served without a cover: a wrong photo name
// should not take a story down.

// Cover is the photo a post names with cover:, as its body's photos are
// rendered: its size and its variants.
type Cover struct {
	// Name is the photo's slash-separated path inside the post's bundle,
	// as written: "finish.jpg".
	Name string
	// title is the post's, the photo's description when the body gives
	// none (Alt).
	title string
	// Photo is what the photo's header says.
	Photo media.Info
	// Src is the URL of the photo at its full width and Srcset its widths,
	// from the site's root (under the base URL's path), as the body's
	// photos get them; Sizes is the body's photos' sizes.
	Src, Srcset, Sizes string
	// Width and Height are those of the full-width variant.
	Width, Height int
	// body is the post's, whose images tell Alt and LeadsBody.
	body *postBody
	// Path is the photo's URL path from the site's root, without the base
	// URL's path: "/posts/race-day/finish.jpg".
	Path string
}

// ShareWidth is the width asked of a cover's variant for other sites:
// Open Graph images and feed enclosures. Social networks ask for 1200 to
// 1600 px; a narrower photo is shared at its own width.
const ShareWidth = 1600

// SharedPhoto is the variant of a cover other sites are given.
type SharedPhoto struct {
	// Path is the variant's URL path from the site's root, without the
	// base URL's path: put the base URL in front of it for an absolute URL.
	Path string
	// Width and Height are the variant's; MediaType the format it is
	// served in (a WebP cover is served as JPEG, say).
	Width, Height int
	MediaType     string
}

// Shared is the variant of the cover given to other sites: ShareWidth
// wide, or the photo's own width when it is narrower.
func (c *Cover) Shared() SharedPhoto {
	w, _ := c.Photo.Fit(ShareWidth)
	p := c.Path
	if w != c.Photo.FullWidth() {
		p += "?" + PhotoWidthParam + "=" + strconv.Itoa(ShareWidth)
	}
	return SharedPhoto{Path: p, Width: w, Height: c.Photo.HeightAt(w), MediaType: c.Photo.Output().MediaType()}
}

// shownPhotos is what rendering a bundle post's body learnt of the photos
// it shows: the bundle photo its first image shows ("" when the first
// image is no photo of the bundle, or there is none), and each bundle
// photo's description where it is first shown.
type shownPhotos struct {
	first string
	alt   map[string]string
}

// cover reads the cover: key of the post p, whose body showed the bundle
// photos shown. It returns nil and why when readers would not get the
// photo.
func (l *loader) cover(p *Post, f field) (*Cover, *lineError) {
	name, lerr := f.str()
	if lerr != nil {
		return nil, lerr
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, nil
	}
	bad := func(format string, args ...any) *lineError {
		return errAt(f.line, "cover %q "+format+"; the post is served without a cover", append([]any{name}, args...)...)
	}
	if l.dir == "" {
		return nil, nil // a loader without a directory reads no photos
	}
	if p.Bundle == "" {
		return nil, bad("names a photo beside the post, but %s is a single file and nothing beside it is served: make the post a page bundle (posts/%s/index.md) with the photo in its folder", p.File, p.Slug)
	}
	if _, err := resourceType(name); err != nil {
		switch {
		case !errors.Is(err, ErrNotPublished):
			return nil, bad("must name a photo inside the post's folder, such as finish.jpg")
		case strings.HasPrefix(name, ".") || strings.Contains(name, "/."):
			return nil, bad("is a hidden file (its name starts with a dot), which is never served")
		default:
			return nil, bad("is not a photo: a cover must be a %s file", servedTypes())
		}
	}
	info, err := probeBundlePhoto(filepath.Join(l.dir, filepath.FromSlash(p.Bundle)), name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, bad("is not in the post's folder: no file %s in %s/", name, p.Bundle)
	case err != nil:
		return nil, bad("cannot be shown to readers: %v", err)
	}
	sitePath := (&url.URL{Path: "/posts/" + p.Slug + "/" + name}).EscapedPath()
	at := l.basePath + sitePath
	c := &Cover{
		Name: name, title: p.Title, Photo: info,
		Src: at, Srcset: srcset(at, info), Sizes: photoSizes,
		Width: info.FullWidth(), Height: info.HeightAt(info.FullWidth()),
		Path: sitePath, body: p.body,
	}
	return c, nil
}

// Alt describes the photo: the description of the body's image that
// shows it, else the post's title. It renders the body if need be.
func (c *Cover) Alt() string {
	if alt := strings.TrimSpace(c.body.get().shown.alt[c.Name]); alt != "" {
		return alt
	}
	return c.title
}

// LeadsBody reports whether the body's first image is this photo: the
// page then shows it there, not a second time above the story. It
// renders the body if need be.
func (c *Cover) LeadsBody() bool { return c.body.get().shown.first == c.Name }

// imageAlt is the text of an image's description, as goldmark writes it
// in the alt attribute.
func imageAlt(img *ast.Image, src []byte) string {
	var b strings.Builder
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		for c := n.FirstChild(); c != nil; c = c.NextSibling() {
			switch c := c.(type) {
			case *ast.Text:
				b.Write(c.Segment.Value(src))
				if c.SoftLineBreak() || c.HardLineBreak() {
					b.WriteByte(' ')
				}
			case *ast.String:
				b.Write(c.Value)
			default:
				walk(c)
			}
		}
	}
	walk(img)
	return b.String()
}
