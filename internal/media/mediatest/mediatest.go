// Package mediatest makes the photos media's tests and web's are made of:
// built in code, so that no fixture hides what it holds — above all, a
// phone's JPEG with its GPS position in EXIF.
package mediatest

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"slices"
	"testing"

	"github.com/rwcarlsen/goexif/exif"
)

// Red and Blue are the colours of Halves.
var (
	Red  = color.RGBA{R: 220, G: 20, B: 20, A: 255}
	Blue = color.RGBA{R: 20, G: 20, B: 220, A: 255}
)

// Halves is a w×h image, its left half red and its right half blue, so
// that which way it is turned can be seen.
func Halves(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := Red
			if x >= w/2 {
				c = Blue
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

// JPEG encodes img as a JPEG, with no metadata.
func JPEG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// PNG encodes img as a PNG.
func PNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The EXIF a phone writes: where the photo was taken, and which way up.
const (
	CameraMake = "RunnersPhone"
	// GPS: 47° 36' 22.26" N, 122° 19' 51.36" W, a runner's street.
	latSeconds = 2226 // hundredths
	lonSeconds = 5136
)

// GPSExif is an EXIF block ("Exif\0\0" and little-endian TIFF data) with
// the camera's make, an orientation and a GPS position, laid out by hand
// as cameras write it: IFD0 (Make, Orientation, a pointer to the GPS IFD),
// then the GPS IFD, then the values too long to sit in their entries.
func GPSExif(orientation uint16) []byte {
	le := binary.LittleEndian
	var b []byte
	b = append(b, "II*\x00"...)
	b = le.AppendUint32(b, 8) // IFD0 follows the header
	const (
		ifd0   = 8
		n0     = 3
		gpsIFD = ifd0 + 2 + n0*12 + 4
		nGPS   = 4
		values = gpsIFD + 2 + nGPS*12 + 4
	)
	makeAt := values
	latAt := makeAt + len(CameraMake) + 1
	lonAt := latAt + 24
	entry := func(tag, typ uint16, count, value uint32) {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, count)
		b = le.AppendUint32(b, value)
	}
	const ascii, short, long, rational = 2, 3, 4, 5
	b = le.AppendUint16(b, n0)
	entry(0x010f, ascii, uint32(len(CameraMake)+1), uint32(makeAt)) // Make
	entry(0x0112, short, 1, uint32(orientation))                    // Orientation
	entry(0x8825, long, 1, gpsIFD)                                  // GPS IFD
	b = le.AppendUint32(b, 0)
	b = le.AppendUint16(b, nGPS)
	entry(0x0001, ascii, 2, uint32('N'))      // GPSLatitudeRef
	entry(0x0002, rational, 3, uint32(latAt)) // GPSLatitude
	entry(0x0003, ascii, 2, uint32('W'))      // GPSLongitudeRef
	entry(0x0004, rational, 3, uint32(lonAt)) // GPSLongitude
	b = le.AppendUint32(b, 0)
	b = append(b, CameraMake+"\x00"...)
	for _, r := range [][2]uint32{{47, 1}, {36, 1}, {latSeconds, 100}, {122, 1}, {19, 1}, {lonSeconds, 100}} {
		b = le.AppendUint32(b, r[0])
		b = le.AppendUint32(b, r[1])
	}
	return append([]byte("Exif\x00\x00"), b...)
}

// WithExif puts an EXIF block into a JPEG as an APP1 segment right after
// its start marker, where cameras put it.
func WithExif(t testing.TB, jpg, block []byte) []byte {
	t.Helper()
	if !bytes.HasPrefix(jpg, []byte{0xff, 0xd8}) {
		t.Fatal("not a JPEG")
	}
	seg := []byte{0xff, 0xe1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(2+len(block)))
	out := append([]byte{0xff, 0xd8}, seg...)
	out = append(out, block...)
	return append(out, jpg[2:]...)
}

// PhoneJPEG is a w×h JPEG (as stored: before orientation) with the GPS
// EXIF above. It checks that an EXIF reader finds the position in it, so
// that a test which finds none in a variant means something.
func PhoneJPEG(t testing.TB, w, h int, orientation uint16) []byte {
	t.Helper()
	photo := WithExif(t, JPEG(t, Halves(w, h)), GPSExif(orientation))
	x, err := exif.Decode(bytes.NewReader(photo))
	if err != nil {
		t.Fatalf("the test photo's EXIF: %v", err)
	}
	lat, lon, err := x.LatLong()
	if err != nil || lat < 47.6 || lat > 47.61 || lon > -122.33 || lon < -122.34 {
		t.Fatalf("the test photo's GPS position: %v, %v, %v", lat, lon, err)
	}
	if _, err := jpeg.Decode(bytes.NewReader(photo)); err != nil {
		t.Fatalf("the test photo does not decode: %v", err)
	}
	return photo
}

// PNGHeader is the start of a PNG file declaring a w×h RGBA image, with
// one byte of pixel data: what a decompression bomb looks like to a
// reader of headers.
func PNGHeader(w, h uint32) []byte {
	chunk := func(b []byte, name string, data []byte) []byte {
		b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
		start := len(b)
		b = append(b, name...)
		b = append(b, data...)
		return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:]))
	}
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0) // 8-bit RGBA, no interlace
	b := []byte("\x89PNG\r\n\x1a\n")
	b = chunk(b, "IHDR", ihdr)
	b = chunk(b, "IDAT", []byte{0x78})
	return chunk(b, "IEND", nil)
}

// Segments lists a JPEG's marker segments before its first scan.
func Segments(jpg []byte) []byte {
	var markers []byte
	for i := 2; i+4 <= len(jpg) && jpg[i] == 0xff; {
		m := jpg[i+1]
		markers = append(markers, m)
		if m == 0xda {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
	}
	return markers
}

// GIF encodes frames as an animated GIF.
func GIF(t testing.TB, frames ...*image.Paletted) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := gif.EncodeAll(&b, &gif.GIF{Image: frames, Delay: make([]int, len(frames))}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Near reports whether two colours are the same to the eye, as JPEG keeps
// them.
func Near(a color.Color, b color.RGBA) bool {
	r, g, bl, _ := a.RGBA()
	d := func(x uint32, y uint8) int { return max(int(x>>8)-int(y), int(y)-int(x>>8)) }
	return d(r, b.R) < 40 && d(g, b.G) < 40 && d(bl, b.B) < 40
}

// Frame is a w×h GIF frame of one colour.
func Frame(w, h int) *image.Paletted {
	return image.NewPaletted(image.Rect(0, 0, w, h), []color.Color{Red, Blue})
}

// WithText puts a tEXt chunk (key, text) into a PNG right after its
// header, as photo tools write a comment or a place name.
func WithText(t testing.TB, p []byte, key, text string) []byte {
	t.Helper()
	return WithChunk(t, p, "tEXt", []byte(key+"\x00"+text))
}

// WithChunk puts a chunk into a PNG right after its header.
func WithChunk(t testing.TB, p []byte, name string, data []byte) []byte {
	t.Helper()
	const ihdrEnd = 8 + 4 + 4 + 13 + 4 // signature, IHDR length, name, data, CRC
	if len(p) < ihdrEnd || string(p[12:16]) != "IHDR" {
		t.Fatal("not a PNG")
	}
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(c, name...)
	c = append(c, data...)
	c = binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
	out := append(slices.Clone(p[:ihdrEnd]), c...)
	return append(out, p[ihdrEnd:]...)
}
