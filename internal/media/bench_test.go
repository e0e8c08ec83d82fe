package media_test

import (
	"bytes"
	"io"
	"strconv"
	"testing"

	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

// BenchmarkRender builds each variant of a 12-megapixel phone photo (4000×3000,
// with GPS EXIF): the cost of a photo's first view at each width.
func BenchmarkRender(b *testing.B) {
	photo := mediatest.PhoneJPEG(b, 4000, 3000, 1)
	info, err := media.Probe(bytes.NewReader(photo))
	if err != nil {
		b.Fatal(err)
	}
	renders := media.NewRenderer(1)
	for _, w := range info.VariantWidths() {
		b.Run(strconv.Itoa(w)+"w", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := renders.Render(b.Context(), io.Discard, photo, info, w); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProbe reads the header of the same photo, as rendering a page
// does for each of its photos.
func BenchmarkProbe(b *testing.B) {
	photo := mediatest.PhoneJPEG(b, 4000, 3000, 6)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := media.Probe(bytes.NewReader(photo)); err != nil {
			b.Fatal(err)
		}
	}
}
