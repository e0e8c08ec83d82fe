package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"math"

	"github.com/rwcarlsen/goexif/tiff"
	"golang.org/x/image/webp"
)

// Probe reads a photo's header — never its pixels — and says what it is,
// or refuses it: a file over MaxBytes, a format media does not read, a
// header declaring more than MaxPixels pixels. It reads the first bytes of
// r (64 KiB, more only when the header and its metadata run on), after
// seeking to its end to learn its size, so it is cheap enough to call
// for every photo of every post as the site loads.
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
	var head []byte
	for n := min(size, firstRead); ; n = min(size, 4*n) {
		more := make([]byte, n-int64(len(head)))
		if _, err := io.ReadFull(r, more); err != nil {
			return Info{}, fmt.Errorf("reading the photo's header: %w", err)
		}
		head = append(head, more...)
		info, cut, err := probe(head, n == size)
		if !cut {
			return info, err
		}
	}
}

// firstRead is how much of a file Probe reads first: enough for the header
// and EXIF of a phone's photo.
const firstRead = 64 << 10

// probe is Probe on the first bytes of a file, all of it when whole. It
// says cut when they end before what it needs.
func probe(head []byte, whole bool) (info Info, cut bool, err error) {
	if !whole && len(head) < 16 {
		return Info{}, true, nil
	}
	format, name := sniff(head)
	if format == "" {
		return Info{}, false, &UnsupportedError{Format: name}
	}
	decodeConfig := map[Format]func(io.Reader) (image.Config, error){
		JPEG: jpeg.DecodeConfig, PNG: png.DecodeConfig, GIF: gif.DecodeConfig, WebP: webp.DecodeConfig,
	}[format]
	cfg, err := decodeConfig(bytes.NewReader(head))
	if err != nil {
		if !whole && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
			return Info{}, true, nil
		}
		return Info{}, false, &UnreadableError{Format: format, Err: err}
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return Info{}, false, &UnreadableError{Format: format, Err: fmt.Errorf("no pixels (%d×%d)", cfg.Width, cfg.Height)}
	}
	if int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return Info{}, false, &TooManyPixelsError{Width: cfg.Width, Height: cfg.Height, Limit: MaxPixels}
	}
	block, cut := exifBlock(format, head)
	if cut && !whole {
		return Info{}, true, nil
	}
	info = Info{Format: format, Width: cfg.Width, Height: cfg.Height, Orientation: orientation(block)}
	if info.Orientation >= 5 { // turned a quarter: width and height swap
		info.Width, info.Height = info.Height, info.Width
	}
	info.Opaque = format == JPEG || (format == WebP && webpOpaque(head))
	return info, false, nil
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

// orientation is the EXIF orientation in an EXIF block, 1 when there is
// none or a damaged one: a photo is better shown turned wrong than not at
// all.
func orientation(block []byte) int {
	if block == nil {
		return 1
	}
	o, err := exifOrientation(block)
	if err != nil || o < 1 || o > 8 {
		return 1
	}
	return o
}

// exifOrientation reads the Orientation tag from IFD0 of an EXIF block
// (TIFF data, optionally after "Exif\0\0"), where cameras write it, with
// the EXIF reader's directory decoder. Only IFD0 is read: the reader's own
// Decode follows the chain of IFDs to its end, and a chain that loops back
// on itself has none (a photo of a hundred bytes held its reader, and
// ever more memory, for good). The reader is old code fed hostile bytes:
// a panic in it is a damaged block, not a crash.
func exifOrientation(raw []byte) (o int, err error) {
	defer func() {
		if p := recover(); p != nil {
			o, err = 0, fmt.Errorf("reading EXIF: %v", p)
		}
	}()
	raw = bytes.TrimPrefix(raw, []byte("Exif\x00\x00"))
	if len(raw) < 8 {
		return 0, errors.New("reading EXIF: no TIFF header")
	}
	var order binary.ByteOrder
	switch string(raw[:4]) {
	case "II*\x00":
		order = binary.LittleEndian
	case "MM\x00*":
		order = binary.BigEndian
	default:
		return 0, errors.New("reading EXIF: not TIFF data")
	}
	at := int64(order.Uint32(raw[4:8]))
	if err := checkIFD(raw, at, order); err != nil {
		return 0, fmt.Errorf("reading EXIF: %w", err)
	}
	r := bytes.NewReader(raw)
	if _, err := r.Seek(at, io.SeekStart); err != nil {
		return 0, fmt.Errorf("reading EXIF: %w", err)
	}
	ifd0, _, err := tiff.DecodeDir(r, order)
	if err != nil {
		return 0, fmt.Errorf("reading EXIF: %w", err)
	}
	for _, tag := range ifd0.Tags {
		if tag.Id == orientationTag {
			return tag.Int(0)
		}
	}
	return 0, errors.New("reading EXIF: no orientation")
}

// checkIFD refuses a directory the EXIF reader would take too much memory
// for. The reader sizes a tag's values by its count times its type's size
// in 32 bits, which wraps: a count of 2³⁰+1 LONGs passes as 4 bytes, and
// the reader then makes room for 2³⁰ values — 8 GB for a photo of a few
// hundred bytes. So each entry of the directory at is checked first: its
// values must fit in 32 bits and, when they are not inside the entry,
// within the block.
func checkIFD(raw []byte, at int64, order binary.ByteOrder) error {
	if at < 0 || at+2 > int64(len(raw)) {
		return errors.New("the first directory is outside the block")
	}
	n := int64(int16(order.Uint16(raw[at:])))
	for i := int64(0); i < n; i++ {
		e := at + 2 + 12*i
		if e+12 > int64(len(raw)) {
			return nil // the reader stops here with an error of its own
		}
		size := uint64(tiffTypeSize(order.Uint16(raw[e+2:]))) * uint64(order.Uint32(raw[e+4:]))
		if size > math.MaxUint32 {
			return fmt.Errorf("tag %#x claims %d bytes of values", order.Uint16(raw[e:]), size)
		}
		if size > 4 && uint64(order.Uint32(raw[e+8:]))+size > uint64(len(raw)) {
			return fmt.Errorf("tag %#x claims %d bytes of values past the block's end", order.Uint16(raw[e:]), size)
		}
	}
	return nil
}

// tiffTypeSize is the size of one value of a TIFF field type; 0 for a type
// TIFF does not define.
func tiffTypeSize(typ uint16) uint32 {
	switch typ {
	case 1, 2, 6, 7: // BYTE, ASCII, SBYTE, UNDEFINED
		return 1
	case 3, 8: // SHORT, SSHORT
		return 2
	case 4, 9, 11: // LONG, SLONG, FLOAT
		return 4
	case 5, 10, 12: // RATIONAL, SRATIONAL, DOUBLE
		return 8
	}
	return 0
}

// orientationTag is the TIFF tag of the EXIF orientation.
const orientationTag = 0x0112

// exifBlock finds the EXIF metadata in a photo's header: a JPEG's APP1
// "Exif" segment, a WebP's EXIF chunk or a PNG's eXIf chunk. It says cut
// when b ends before the place the block would be has been passed. Only
// the container is walked here; the EXIF reader reads what is inside.
func exifBlock(format Format, b []byte) (block []byte, cut bool) {
	switch format {
	case JPEG:
		// Segments: FF marker, 2-byte big-endian length (itself included),
		// up to the first scan or frame: EXIF comes before both.
		for i := 2; ; {
			if i+4 > len(b) {
				return nil, true
			}
			marker, n := b[i+1], int(binary.BigEndian.Uint16(b[i+2:]))
			frame := marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc
			if b[i] != 0xff || frame || marker == 0xda || n < 2 {
				return nil, false
			}
			if i+2+n > len(b) {
				return nil, true
			}
			seg := b[i+4 : i+2+n]
			if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
				return seg, false
			}
			i += 2 + n
		}
	case WebP:
		// Only an extended file (VP8X) whose flags say so has EXIF, in a
		// chunk after the pixels.
		const exifFlag = 0x08
		if len(b) < 21 || string(b[12:16]) != "VP8X" || b[20]&exifFlag == 0 {
			return nil, false
		}
		// RIFF chunks: 4-byte name, 4-byte little-endian size, data padded
		// to an even length.
		for i := 12; ; {
			if i+8 > len(b) {
				return nil, true
			}
			name, n := string(b[i:i+4]), int64(binary.LittleEndian.Uint32(b[i+4:]))
			if int64(i)+8+n > int64(len(b)) {
				return nil, true
			}
			if name == "EXIF" {
				return b[i+8 : i+8+int(n)], false
			}
			i += 8 + int(n) + int(n%2)
		}
	case PNG:
		// Chunks: 4-byte big-endian length, 4-byte name, data, 4-byte CRC;
		// eXIf comes before the pixels (IDAT).
		for i := 8; ; {
			if i+8 > len(b) {
				return nil, true
			}
			n, name := int64(binary.BigEndian.Uint32(b[i:])), string(b[i+4:i+8])
			if name == "IDAT" || name == "IEND" {
				return nil, false
			}
			if int64(i)+12+n > int64(len(b)) {
				return nil, true
			}
			if name == "eXIf" {
				return b[i+8 : i+8+int(n)], false
			}
			i += 12 + int(n)
		}
	}
	return nil, false
}
