package media

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/rwcarlsen/goexif/exif"
	"golang.org/x/image/webp"
)

// Probe reads a photo's header — never its pixels — and says what it is,
// or refuses it: a file over MaxBytes, a format media does not read, a
// header declaring more than MaxPixels pixels. It reads only the first
// bytes of r (and seeks to its end to learn its size), so it is cheap
// enough to call while rendering a page.
func Probe(r io.ReadSeeker) (Info, error) {
	size, err := r.Seek(0, io.SeekEnd)
	if err != nil {
		return Info{}, fmt.Errorf("finding the photo's size: %w", err)
	}
	if size > MaxBytes {
		return Info{}, &TooLargeError{Limit: MaxBytes}
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return Info{}, fmt.Errorf("rewinding the photo: %w", err)
	}
	// The header and the metadata segments before the pixels: an EXIF
	// segment is at most 64 KiB, and the dimensions come before it or soon
	// after.
	head := make([]byte, min(size, headBytes))
	if _, err := io.ReadFull(r, head); err != nil {
		return Info{}, fmt.Errorf("reading the photo's header: %w", err)
	}
	return probe(head, size)
}

// headBytes is how much of a file Probe reads.
const headBytes = 256 << 10

// probe is Probe on the first bytes of a file of the given size.
func probe(head []byte, size int64) (Info, error) {
	format, name := sniff(head)
	if format == "" {
		return Info{}, &UnsupportedError{Format: name}
	}
	decodeConfig := map[Format]func(io.Reader) (image.Config, error){
		JPEG: jpeg.DecodeConfig, PNG: png.DecodeConfig, GIF: gif.DecodeConfig, WebP: webp.DecodeConfig,
	}[format]
	// A header cut short by headBytes reads as damaged, and a file whose
	// header is longer than that is no photo worth serving.
	cfg, err := decodeConfig(bytes.NewReader(head))
	if err != nil {
		return Info{}, &UnreadableError{Format: format, Err: err}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Info{}, &UnreadableError{Format: format, Err: fmt.Errorf("no pixels (%d×%d)", cfg.Width, cfg.Height)}
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Info{}, &TooManyPixelsError{Width: cfg.Width, Height: cfg.Height, Limit: MaxPixels}
	}
	info := Info{Format: format, Width: cfg.Width, Height: cfg.Height, Orientation: orientation(format, head)}
	if info.Orientation >= 5 { // turned a quarter: width and height swap
		info.Width, info.Height = info.Height, info.Width
	}
	info.Opaque = format == JPEG || (format == WebP && webpOpaque(head))
	return info, nil
}

// sniff tells the format from a file's first bytes, not its name: a file
// is what it holds. For a format media does not read it returns "" and,
// when it knows it, the format's name for the refusal.
func sniff(b []byte) (Format, string) {
	switch {
	case bytes.HasPrefix(b, []byte("\xff\xd8\xff")):
		return JPEG, ""
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return PNG, ""
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return GIF, ""
	case len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return WebP, ""
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		// ISO media: the brand says which.
		switch brand := string(b[8:12]); brand {
		case "avif", "avis":
			return "", "AVIF"
		case "heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1":
			return "", "HEIC"
		}
		return "", ""
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")):
		return "", "TIFF"
	case bytes.HasPrefix(b, []byte("BM")):
		return "", "BMP"
	}
	return "", ""
}

// webpOpaque reports whether a WebP file has no alpha channel: a lossy
// ("VP8 ") file without the extended header's alpha flag.
func webpOpaque(b []byte) bool {
	if len(b) < 21 {
		return false
	}
	switch string(b[12:16]) {
	case "VP8 ":
		return true
	case "VP8X":
		const alphaFlag = 0x10
		return b[20]&alphaFlag == 0
	}
	return false // VP8L, lossless, may be transparent
}

// orientation is the EXIF orientation in a photo's header, 1 when it has
// none or a damaged one: a photo is better shown turned wrong than not at
// all.
func orientation(format Format, head []byte) int {
	raw := exifBlock(format, head)
	if raw == nil {
		return 1
	}
	o, err := exifOrientation(raw)
	if err != nil || o < 1 || o > 8 {
		return 1
	}
	return o
}

// exifOrientation reads the Orientation tag from an EXIF block (TIFF data,
// optionally after "Exif\0\0") with the EXIF reader. The reader is old code
// fed hostile bytes: a panic in it is a damaged block, not a crash.
func exifOrientation(raw []byte) (o int, err error) {
	defer func() {
		if p := recover(); p != nil {
			o, err = 0, fmt.Errorf("reading EXIF: %v", p)
		}
	}()
	x, err := exif.Decode(bytes.NewReader(raw))
	if x == nil {
		return 0, fmt.Errorf("reading EXIF: %w", err)
	}
	tag, err := x.Get(exif.Orientation)
	if err != nil {
		return 0, fmt.Errorf("reading the EXIF orientation: %w", err)
	}
	return tag.Int(0)
}

// exifBlock finds the EXIF metadata in a photo's header: a JPEG's APP1
// "Exif" segment, a WebP's EXIF chunk or a PNG's eXIf chunk. Only the
// container is walked here; the EXIF reader reads what is inside.
func exifBlock(format Format, b []byte) []byte {
	switch format {
	case JPEG:
		// Segments: FF marker, 2-byte big-endian length (itself included),
		// up to the first scan.
		for i := 2; i+4 <= len(b) && b[i] == 0xff; {
			marker, n := b[i+1], int(binary.BigEndian.Uint16(b[i+2:]))
			if marker == 0xda || n < 2 || i+2+n > len(b) { // start of scan
				return nil
			}
			seg := b[i+4 : i+2+n]
			if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
				return seg
			}
			i += 2 + n
		}
	case WebP:
		// RIFF chunks: 4-byte name, 4-byte little-endian size, data padded
		// to an even length.
		for i := 12; i+8 <= len(b); {
			name, n := string(b[i:i+4]), int(binary.LittleEndian.Uint32(b[i+4:]))
			if n < 0 || i+8+n > len(b) {
				return nil
			}
			if name == "EXIF" {
				return b[i+8 : i+8+n]
			}
			i += 8 + n + n%2
		}
	case PNG:
		// Chunks: 4-byte big-endian length, 4-byte name, data, 4-byte CRC.
		for i := 8; i+8 <= len(b); {
			n, name := int(binary.BigEndian.Uint32(b[i:])), string(b[i+4:i+8])
			if n < 0 || i+12+n > len(b) || name == "IDAT" {
				return nil
			}
			if name == "eXIf" {
				return b[i+8 : i+8+n]
			}
			i += 12 + n
		}
	}
	return nil
}
