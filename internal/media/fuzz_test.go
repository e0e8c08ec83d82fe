package media_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

// FuzzProbeAndRender feeds hostile bytes to the header reader, the EXIF
// reader behind it and, for what they accept, the decoder: every answer is
// a variant or a refusal, never a panic, and never a variant wider than the
// photo.
func FuzzProbeAndRender(f *testing.F) {
	f.Add(mediatest.PhoneJPEG(f, 40, 20, 6))
	f.Add(mediatest.PNG(f, mediatest.Halves(30, 10)))
	f.Add(mediatest.GIF(f, mediatest.Frame(5, 5)))
	f.Add(mediatest.PNGHeader(10_000, 6_000))
	f.Add([]byte("RIFF\x10\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	renders := media.NewRenderer(0)
	f.Fuzz(func(t *testing.T, photo []byte) {
		info, err := media.Probe(bytes.NewReader(photo))
		if err != nil {
			if !errors.Is(err, media.ErrRefused) {
				t.Fatalf("Probe: %v does not match ErrRefused", err)
			}
			return
		}
		if info.Width < 1 || info.Height < 1 || info.Width*info.Height > media.MaxPixels || info.Orientation < 1 || info.Orientation > 8 {
			t.Fatalf("Probe accepted %+v", info)
		}
		if info.Width*info.Height > 1<<20 {
			return // decoding is fine, but slow for a fuzzer
		}
		if err := renders.Render(t.Context(), io.Discard, photo, info, info.VariantWidths()[0]); err != nil && !errors.Is(err, media.ErrRefused) {
			t.Fatalf("Render: %v", err)
		}
	})
}
