package content

import (
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/yuin/goldmark/ast"

	"milepost/internal/media"
)

// A post's photos are served as media's variants (web's bundle handler):
// at full width at the photo's own URL, and narrower with ?w=WIDTH. So that
// a browser downloads only the width it shows and keeps the page still
// while photos arrive, each photo of a post's bundle is rendered with
// width, height, srcset, sizes, loading="lazy" and decoding="async" — read
// from the photo's header (media.Probe) as the post is loaded. A photo
// media refuses is rendered as written, and not served.

// PhotoWidthParam is the query parameter that asks for a bundle photo at a
// width (one of media.Widths): /posts/race-day/finish.jpg?w=960.
const PhotoWidthParam = "w"

// photoSizes tells the browser how wide a post's photo is shown, so it can
// pick from the srcset before the style sheet is read: the default theme's
// column (40rem less 1.25rem of padding each side), or the window less the
// padding on a narrower screen.
const photoSizes = "(min-width: 40rem) 37.5rem, calc(100vw - 2.5rem)"

// photoFinder reads the header of a photo of a post's bundle, given by its
// slash-separated path inside the bundle; false when there is no such photo
// for readers or media refuses it.
type photoFinder func(name string) (media.Info, bool)

// bundlePhotos is the photoFinder of the bundle folder (relative to the
// content directory): only files content serves, opened as they are when
// served.
func (l *loader) bundlePhotos(bundle string) photoFinder {
	dir := filepath.Join(l.dir, filepath.FromSlash(bundle))
	return func(name string) (media.Info, bool) {
		if _, err := resourceType(name); err != nil {
			return media.Info{}, false
		}
		info, err := probeBundlePhoto(dir, name)
		return info, err == nil
	}
}

// probeBundlePhoto reads the header of the photo name (a slash-separated
// path) of the bundle folder dir, opened as it is when served. A missing
// file, or one readers may not have, matches fs.ErrNotExist; a photo media
// refuses, media.ErrRefused.
func probeBundlePhoto(dir, name string) (media.Info, error) {
	f, _, err := openInBundle(dir, name)
	if err != nil {
		return media.Info{}, err
	}
	defer f.Close()
	return media.Probe(f)
}

// photoAttributes gives each image of doc that shows a photo of the post's
// bundle its size and variants. The srcset's URLs are paths from the
// site's root, so that they hold in a summary shown on other pages too.
// It returns which bundle photos the body shows, for the cover (cover.go).
func photoAttributes(doc ast.Node, src []byte, postPath string, photos photoFinder) shownPhotos {
	base := &url.URL{Path: postPath}
	shown := shownPhotos{alt: make(map[string]string)}
	images := 0
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		img, ok := n.(*ast.Image)
		if !ok || !entering {
			return ast.WalkContinue, nil
		}
		images++
		dest := string(img.Destination)
		ref, err := url.Parse(dest)
		if err != nil || ref.Scheme != "" || ref.Host != "" || ref.Opaque != "" || ref.RawQuery != "" || ref.Fragment != "" ||
			ref.Path == "" || strings.HasPrefix(ref.Path, "/") {
			return ast.WalkSkipChildren, nil
		}
		resolved := base.ResolveReference(&url.URL{Path: ref.Path}).Path
		name, inside := strings.CutPrefix(resolved, postPath)
		if !inside || name == "" {
			return ast.WalkSkipChildren, nil
		}
		info, ok := photos(name)
		if !ok {
			return ast.WalkSkipChildren, nil
		}
		if images == 1 {
			shown.first = name
		}
		if _, seen := shown.alt[name]; !seen {
			shown.alt[name] = imageAlt(img, src)
		}
		at := (&url.URL{Path: resolved}).EscapedPath()
		full := info.FullWidth()
		img.SetAttributeString("width", strconv.Itoa(full))
		img.SetAttributeString("height", strconv.Itoa(info.HeightAt(full)))
		img.SetAttributeString("srcset", srcset(at, info))
		img.SetAttributeString("sizes", photoSizes)
		img.SetAttributeString("loading", "lazy")
		img.SetAttributeString("decoding", "async")
		return ast.WalkSkipChildren, nil
	})
	return shown
}

// srcset is the srcset of the photo described by info served at the URL
// path at: each of its widths, the full one without a width parameter.
func srcset(at string, info media.Info) string {
	full := info.FullWidth()
	var set []string
	for _, w := range info.VariantWidths() {
		u := at
		if w != full {
			u += "?" + PhotoWidthParam + "=" + strconv.Itoa(w)
		}
		set = append(set, u+" "+strconv.Itoa(w)+"w")
	}
	return strings.Join(set, ", ")
}
