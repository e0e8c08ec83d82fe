// Package media makes the photos readers are served: it reads a photo's
// header and refuses what it will not decode (too large a file, too many
// pixels, a format it cannot read), turns it upright by its EXIF
// orientation, and re-encodes it at the widths pages ask for — from pixels
// only, so no metadata (GPS position, camera, time) survives. Variants are
// built once and kept in a cache directory (cache.go).
//
// It knows nothing of HTTP or of where photos come from: content decides
// which file may be served, media what bytes are served for it.
package media

import (
	"errors"
	"fmt"
	"slices"
)

// Limits on the photos media decodes. A photo over either is refused
// before its pixels are decoded: a small file can declare an enormous
// image (a "decompression bomb"), and decoding allocates for every pixel
// it declares.
const (
	// MaxBytes is the largest photo file read: 25 MB.
	MaxBytes = 25 << 20
	// MaxPixels is the most pixels a photo may have: 50 megapixels, more
	// than any phone camera's photo, about 200 MB once decoded.
	MaxPixels = 50_000_000
)

// JPEGQuality is the quality JPEG variants are encoded at: indistinguishable
// from the original at the sizes pages show, about a third of its bytes.
const JPEGQuality = 82

// standardWidths are the widths, in pixels, variants are made at: from a
// phone's column to a wide high-density screen. A photo narrower than one
// of them is never enlarged to it.
var standardWidths = [...]int{480, 960, 1600, 2400}

// Widths returns the widths variants are made at, narrowest first.
func Widths() []int { return slices.Clone(standardWidths[:]) }

// MaxWidth is the widest variant: a photo wider than this is served at
// this width at most.
const MaxWidth = 2400

// Format is a photo's encoding.
type Format string

// The formats media reads. Variants are written as JPEG or PNG only: the
// standard library and golang.org/x/image have no GIF-quality or WebP
// encoder worth serving (see Format.Output).
const (
	JPEG Format = "jpeg"
	PNG  Format = "png"
	GIF  Format = "gif"
	WebP Format = "webp"
)

// MediaType is the Content-Type of a file in the format.
func (f Format) MediaType() string { return "image/" + string(f) }

// Ext is the file name extension, with its dot, of a file in the format.
func (f Format) Ext() string {
	if f == JPEG {
		return ".jpg"
	}
	return "." + string(f)
}

// Info is what a photo's header says about it.
type Info struct {
	Format Format
	// Width and Height are as the photo is shown: after its orientation,
	// so a portrait photo taken with the phone on its side is taller than
	// wide.
	Width, Height int
	// Orientation is the EXIF orientation (1 to 8): how the stored pixels
	// are turned to show the photo upright. 1 when the photo has none.
	Orientation int
	// Opaque is false when the photo may have transparent pixels (PNG,
	// GIF, and WebP with an alpha channel): its variants are PNG, which
	// keeps them; JPEG would turn them black.
	Opaque bool
}

// Output is the format of the photo's variants: JPEG stays JPEG, a photo
// that may be transparent becomes (or stays) PNG, and an opaque WebP
// becomes JPEG. A GIF's variants are PNGs of its first frame.
func (i Info) Output() Format {
	if i.Format == JPEG || (i.Format == WebP && i.Opaque) {
		return JPEG
	}
	return PNG
}

// FullWidth is the width of the photo's largest variant: its own width,
// or MaxWidth if it is wider.
func (i Info) FullWidth() int { return min(i.Width, MaxWidth) }

// VariantWidths are the widths the photo is served at, narrowest first: the
// standard widths narrower than the photo, and its full width. The last is
// FullWidth.
func (i Info) VariantWidths() []int {
	full := i.FullWidth()
	var ws []int
	for _, w := range standardWidths {
		if w < full {
			ws = append(ws, w)
		}
	}
	return append(ws, full)
}

// Fit is the width of the variant that answers a request for width w (one
// of Widths): w itself, or the full width when w is not narrower than the
// photo — a photo is never enlarged. It is false for any other w, so that
// requests cannot fill the cache with widths no page asks for.
func (i Info) Fit(w int) (int, bool) {
	if !slices.Contains(standardWidths[:], w) {
		return 0, false
	}
	return min(w, i.FullWidth()), true
}

// HeightAt returns the height of the variant of the given width, keeping the
// photo's proportions (at least one pixel).
func (i Info) HeightAt(width int) int {
	if i.Width == 0 {
		return 0
	}
	return max(1, (i.Height*width+i.Width/2)/i.Width)
}

// ErrRefused is matched (errors.Is) by every error that refuses a photo
// for what it is rather than for a failure to read it: TooLargeError,
// TooManyPixelsError, UnsupportedError and UnreadableError.
var ErrRefused = errors.New("photo refused")

// TooLargeError refuses a photo file over MaxBytes.
type TooLargeError struct {
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the photo is over %d MB: make it smaller", e.Limit>>20)
}
func (e *TooLargeError) Is(target error) bool { return target == ErrRefused }

// TooManyPixelsError refuses a photo whose header declares more than
// MaxPixels pixels.
type TooManyPixelsError struct {
	Width, Height int
	Limit         int
}

func (e *TooManyPixelsError) Error() string {
	return fmt.Sprintf("the photo is %d×%d pixels, over %d megapixels: make it smaller",
		e.Width, e.Height, e.Limit/1_000_000)
}
func (e *TooManyPixelsError) Is(target error) bool { return target == ErrRefused }

// UnsupportedError refuses a photo in a format media does not read.
type UnsupportedError struct {
	// Format names what the file is, when it is recognised ("HEIC",
	// "AVIF", "TIFF", "BMP"), else "".
	Format string
}

func (e *UnsupportedError) Error() string {
	what := "this file is not a photo media can read"
	if e.Format != "" {
		what = e.Format + " photos are not supported"
	}
	return what + ": use JPEG, PNG, WebP or GIF"
}
func (e *UnsupportedError) Is(target error) bool { return target == ErrRefused }

// UnreadableError refuses a photo of a supported format whose header or
// pixels are damaged.
type UnreadableError struct {
	Format Format
	Err    error
}

func (e *UnreadableError) Error() string {
	return fmt.Sprintf("the %s photo is damaged: %v", e.Format, e.Err)
}
func (e *UnreadableError) Unwrap() error        { return e.Err }
func (e *UnreadableError) Is(target error) bool { return target == ErrRefused }
