package media

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/disintegration/imaging"
	"golang.org/x/image/webp"
)

// DefaultRenders is how many photos a Renderer decodes at once unless told
// otherwise. Each render may hold a decoded photo of up to MaxPixels
// (about 200 MB); more at once would risk the server's memory for no gain
// on a small machine.
const DefaultRenders = 2

// Renderer renders photos, a bounded number at once: the server's one
// Renderer is shared by everything that decodes a photo — the Cache's
// variants and the photos a save strips — so that readers asking for new
// variants and writers saving many photos together cannot hold more
// decoded photos in memory than it allows. A Renderer is safe for
// concurrent use.
type Renderer struct {
	slots chan struct{}
}

// NewRenderer returns a Renderer that renders at most n photos at once;
// n <= 0 means DefaultRenders.
func NewRenderer(n int) *Renderer {
	if n <= 0 {
		n = DefaultRenders
	}
	return &Renderer{slots: make(chan struct{}, n)}
}

// Render writes the variant of a photo at width (one of info's
// VariantWidths) to w: its pixels decoded, turned upright, resized with the
// Catmull-Rom filter and encoded in info.Output(). Only pixels are written:
// EXIF (the GPS position first of all), XMP, ICC profiles and comments of
// the original are never copied. data is the whole photo and info is
// Probe's answer for it, which has refused what must not be decoded.
//
// While the Renderer's renders are all taken, Render waits for one to
// end, or for ctx to be done (an error matching ctx.Err()).
func (r *Renderer) Render(ctx context.Context, w io.Writer, data []byte, info Info, width int) error {
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting to render a photo: %w", ctx.Err())
	}
	defer func() { <-r.slots }()
	return render(w, data, info, width)
}

// render is Render without the bound.
func render(w io.Writer, data []byte, info Info, width int) error {
	if width < 1 || width > info.FullWidth() {
		return fmt.Errorf("rendering a %d px wide variant of a %d px wide photo: never enlarged", width, info.Width)
	}
	decode := map[Format]func(io.Reader) (image.Image, error){
		JPEG: jpeg.Decode, PNG: png.Decode, GIF: gif.Decode, WebP: webp.Decode,
	}[info.Format]
	if decode == nil {
		return &UnsupportedError{Format: string(info.Format)}
	}
	// gif.Decode returns the first frame only.
	src, err := decode(bytes.NewReader(data))
	if err != nil {
		return &UnreadableError{Format: info.Format, Err: err}
	}
	if src.Bounds().Empty() {
		// A GIF's header may promise a screen its first frame does not
		// cover at all: there are no pixels to show.
		return &UnreadableError{Format: info.Format, Err: errors.New("the image has no pixels")}
	}
	// The size to scale the stored pixels to: the variant's, turned back
	// a quarter when the orientation turns them a quarter.
	vw, vh := width, info.HeightAt(width)
	sw, sh := vw, vh
	if info.Orientation >= 5 {
		sw, sh = vh, vw
	}
	img := src
	if b := src.Bounds(); b.Dx() != sw || b.Dy() != sh {
		// imaging resizes in two passes (rows, then columns) through an
		// 8-bit buffer of the variant's width by the photo's height:
		// about 60 MB for 2400 px from 50 megapixels, where x/image/draw's
		// Catmull-Rom keeps 32 bytes per pixel of the photo's width by the
		// variant's height, several times that.
		img = imaging.Resize(src, sw, sh, imaging.CatmullRom)
	}
	img = orient(img, info.Orientation)
	switch info.Output() {
	case JPEG:
		if n, ok := img.(*image.NRGBA); ok {
			// Output is JPEG only for opaque photos, whose NRGBA pixels are
			// their RGBA pixels: the encoder's fast path takes RGBA, and
			// without it every pixel is an allocation.
			img = &image.RGBA{Pix: n.Pix, Stride: n.Stride, Rect: n.Rect}
		}
		err = jpeg.Encode(w, img, &jpeg.Options{Quality: JPEGQuality})
	default:
		err = (&png.Encoder{CompressionLevel: png.DefaultCompression}).Encode(w, img)
	}
	if err != nil {
		return fmt.Errorf("encoding a %d px wide %s variant: %w", width, info.Output(), err)
	}
	return nil
}

// orient turns an image as its EXIF orientation (1-8) says, so that it
// shows upright with no orientation tag. Turning and mirroring move whole
// pixels: nothing is resampled.
func orient(img image.Image, o int) image.Image {
	switch o {
	case 2:
		return imaging.FlipH(img) // mirrored
	case 3:
		return imaging.Rotate180(img) // upside down
	case 4:
		return imaging.FlipV(img) // mirrored upside down
	case 5:
		return imaging.Transpose(img) // mirrored, on its side
	case 6:
		return imaging.Rotate270(img) // turned a quarter clockwise to show (imaging turns anticlockwise)
	case 7:
		return imaging.Transverse(img) // mirrored, on its other side
	case 8:
		return imaging.Rotate90(img) // turned a quarter anticlockwise to show
	}
	return img
}
