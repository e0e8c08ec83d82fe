package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rwcarlsen/goexif/exif"

	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

func newCache(t testing.TB) *media.Cache {
	t.Helper()
	c, err := media.NewCache(t.TempDir(), media.NewRenderer(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// variant builds the variant of photo at width w and returns its bytes.
func variant(t *testing.T, c *media.Cache, photo []byte, w int) (media.Variant, []byte) {
	t.Helper()
	v, err := c.Variant(context.Background(), bytes.NewReader(photo), "", w)
	if err != nil {
		t.Fatalf("variant %d: %v", w, err)
	}
	b, err := os.ReadFile(v.Path)
	if err != nil {
		t.Fatal(err)
	}
	return v, b
}

func TestVariantsOfAPhoneJPEGCarryNoMetadataAtAll(t *testing.T) {
	photo := mediatest.PhoneJPEG(t, 1200, 800, 1)
	c := newCache(t)
	for _, w := range []int{0, 480, 960} {
		v, b := variant(t, c, photo, w)
		if v.MediaType != "image/jpeg" {
			t.Errorf("width %d: %s, want a JPEG still", w, v.MediaType)
		}
		// Only the segments the encoder writes from pixels: no APPn
		// (EXIF, XMP, ICC), no comment.
		for _, m := range mediatest.Segments(b) {
			if m >= 0xe0 && m <= 0xef || m == 0xfe {
				t.Errorf("width %d: the variant has a metadata segment FF%X", w, m)
			}
		}
		if _, err := exif.Decode(bytes.NewReader(b)); err == nil {
			t.Errorf("width %d: an EXIF reader finds EXIF in the variant", w)
		}
		for _, leak := range []string{"Exif", mediatest.CameraMake} {
			if bytes.Contains(b, []byte(leak)) {
				t.Errorf("width %d: the variant holds %q", w, leak)
			}
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("width %d: the variant does not decode: %v", w, err)
		}
		want := w
		if w == 0 {
			want = 1200
		}
		if got := img.Bounds().Size(); got != image.Pt(want, want*2/3) || v.Width != want || v.Height != want*2/3 {
			t.Errorf("width %d: variant %v (says %d×%d), want %d×%d", w, got, v.Width, v.Height, want, want*2/3)
		}
	}
}

func TestAPhotoTakenOnItsSideIsTurnedUpright(t *testing.T) {
	// Stored 400×200, left half red; orientation 6 says "turn clockwise to
	// show", so upright it is 200×400 with red on top.
	photo := mediatest.PhoneJPEG(t, 400, 200, 6)
	info, err := media.Probe(bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 200 || info.Height != 400 || info.Orientation != 6 {
		t.Fatalf("Probe = %+v, want 200×400 upright, orientation 6", info)
	}
	c := newCache(t)
	for _, w := range []int{0, 480} { // 480 is wider than the photo: its full width
		v, b := variant(t, c, photo, w)
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if got := img.Bounds().Size(); got != image.Pt(200, 400) || v.Width != 200 || v.Height != 400 {
			t.Fatalf("width %d: %v, want 200×400: width and height swap", w, got)
		}
		if top, bottom := img.At(100, 50), img.At(100, 350); !mediatest.Near(top, mediatest.Red) || !mediatest.Near(bottom, mediatest.Blue) {
			t.Errorf("width %d: top %v, bottom %v; want red on top, blue below (turned clockwise)", w, top, bottom)
		}
	}
}

func TestEveryOrientationShowsThePhotoTheSameWayUp(t *testing.T) {
	// The same upright picture (red left, blue right; 40×20) stored as
	// each orientation's camera stores it.
	stored := map[int]image.Image{
		1: mediatest.Halves(40, 20),
		2: mirror(mediatest.Halves(40, 20)),
		3: turn(turn(mediatest.Halves(40, 20))),
		4: mirror(turn(turn(mediatest.Halves(40, 20)))),
		5: mirror(turn(turn(turn(mediatest.Halves(40, 20))))), // its own mirror image across the diagonal
		6: turn(mediatest.Halves(40, 20)),                     // shown by turning it clockwise
		7: mirror(turn(mediatest.Halves(40, 20))),
		8: turn(turn(turn(mediatest.Halves(40, 20)))), // shown by turning it anticlockwise
	}
	for o, img := range stored {
		photo := mediatest.WithExif(t, mediatest.JPEG(t, img), mediatest.GPSExif(uint16(o)))
		var out bytes.Buffer
		info, err := media.Probe(bytes.NewReader(photo))
		if err != nil {
			t.Fatal(err)
		}
		if err := media.NewRenderer(1).Render(context.Background(), &out, photo, info, info.FullWidth()); err != nil {
			t.Fatal(err)
		}
		shown, err := jpeg.Decode(&out)
		if err != nil {
			t.Fatal(err)
		}
		if shown.Bounds().Size() != image.Pt(40, 20) || !mediatest.Near(shown.At(5, 10), mediatest.Red) || !mediatest.Near(shown.At(35, 10), mediatest.Blue) {
			t.Errorf("orientation %d: shown %v, left %v, right %v; want 40×20, red left, blue right",
				o, shown.Bounds().Size(), shown.At(5, 10), shown.At(35, 10))
		}
	}
}

// turn turns an image a quarter anticlockwise; mirror flips it left to
// right. Written plainly here, apart from the code under test.
func turn(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(y, b.Dx()-1-x, img.At(x, y))
		}
	}
	return out
}

func mirror(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	out := image.NewRGBA(b)
	for y := range b.Dy() {
		for x := range b.Dx() {
			out.Set(b.Dx()-1-x, y, img.At(x, y))
		}
	}
	return out
}

func TestADecompressionBombIsRefusedFromItsHeader(t *testing.T) {
	bomb := mediatest.PNGHeader(10_000, 6_000) // 60 megapixels in 60 bytes
	c := newCache(t)
	var err error
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err = c.Variant(context.Background(), bytes.NewReader(bomb), "", 0)
	runtime.ReadMemStats(&after)
	var tooMany *media.TooManyPixelsError
	if !errors.As(err, &tooMany) || tooMany.Width != 10_000 || tooMany.Height != 6_000 || !errors.Is(err, media.ErrRefused) {
		t.Fatalf("Variant of a 60 MP PNG: %v, want a TooManyPixelsError", err)
	}
	if !strings.Contains(err.Error(), "10000×6000") || !strings.Contains(err.Error(), "50 megapixels") {
		t.Errorf("the refusal %q does not say why", err)
	}
	// Decoding would allocate 240 MB for the pixels; refusing, almost
	// nothing.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
		t.Errorf("refusing the bomb allocated %d bytes", alloc)
	}
	if got := c.Stats(); got.Built != 0 {
		t.Errorf("stats %+v: nothing may be built", got)
	}
	// A header at the limit is read.
	if _, err := media.Probe(bytes.NewReader(mediatest.PNGHeader(10_000, 5_000))); errors.As(err, &tooMany) {
		t.Errorf("50 megapixels exactly: %v", err)
	}
}

func TestAFileOver25MBIsRefusedUnread(t *testing.T) {
	big := make([]byte, media.MaxBytes+1)
	copy(big, mediatest.JPEG(t, mediatest.Halves(10, 10)))
	_, err := media.Probe(bytes.NewReader(big))
	var tooLarge *media.TooLargeError
	if !errors.As(err, &tooLarge) || !errors.Is(err, media.ErrRefused) || !strings.Contains(err.Error(), "25 MB") {
		t.Fatalf("a 25 MB + 1 byte file: %v", err)
	}
	_, err = newCache(t).Variant(context.Background(), bytes.NewReader(big), "", 480)
	if !errors.As(err, &tooLarge) {
		t.Fatalf("Variant of a 25 MB + 1 byte file: %v", err)
	}
}

func TestFormatsMediaCannotReadAreNamedInTheRefusal(t *testing.T) {
	for _, tc := range []struct {
		name, head, format string
	}{
		{"an iPhone's HEIC", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"},
		{"a HEIF", "\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "HEIC"},
		{"an AVIF", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", "AVIF"},
		{"a TIFF", "II*\x00\x08\x00\x00\x00", "TIFF"},
		{"a BMP", "BM\x36\x00\x00\x00", "BMP"},
		{"a video", "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00", ""},
		{"text", "title: not a photo\n", ""},
		{"nothing", "", ""},
	} {
		_, err := media.Probe(strings.NewReader(tc.head))
		var unsupported *media.UnsupportedError
		if !errors.As(err, &unsupported) || unsupported.Format != tc.format || !errors.Is(err, media.ErrRefused) {
			t.Errorf("%s: %v, want UnsupportedError{%q}", tc.name, err, tc.format)
			continue
		}
		if !strings.Contains(err.Error(), "use JPEG, PNG, WebP or GIF") ||
			(tc.format != "" && !strings.Contains(err.Error(), tc.format+" photos are not supported")) {
			t.Errorf("%s: the refusal %q does not say what is refused and what to use", tc.name, err)
		}
	}
}

func TestDamagedPhotosAreRefusedNotServed(t *testing.T) {
	whole := mediatest.PhoneJPEG(t, 64, 64, 1)
	for name, photo := range map[string][]byte{
		"a JPEG cut in its header":    whole[:40],
		"a JPEG cut in its pixels":    whole[:len(whole)-200],
		"a PNG with a bad checksum":   append(mediatest.PNGHeader(10, 10)[:29], 0, 0, 0, 0),
		"a PNG of no pixels":          mediatest.PNGHeader(0, 10),
		"a WebP header and no more":   []byte("RIFF\x10\x00\x00\x00WEBPVP8 "),
		"a GIF of only its signature": []byte("GIF89a"),
	} {
		_, err := newCache(t).Variant(context.Background(), bytes.NewReader(photo), "", 0)
		var unreadable *media.UnreadableError
		if !errors.As(err, &unreadable) || !errors.Is(err, media.ErrRefused) {
			t.Errorf("%s: %v, want an UnreadableError", name, err)
		}
	}
}

func TestAHostileEXIFBlockIsIgnoredNotTrusted(t *testing.T) {
	img := mediatest.JPEG(t, mediatest.Halves(40, 20))
	for name, block := range map[string][]byte{
		"an empty block":                 []byte("Exif\x00\x00"),
		"a TIFF header and nothing else": []byte("Exif\x00\x00II*\x00"),
		"an IFD past the end":            []byte("Exif\x00\x00II*\x00\xff\xff\xff\x7f"),
		"an IFD of 65535 entries":        []byte("Exif\x00\x00II*\x00\x08\x00\x00\x00\xff\xff"),
		"an orientation of 9":            mediatest.GPSExif(9),
		"an orientation of 0":            mediatest.GPSExif(0),
	} {
		photo := mediatest.WithExif(t, img, block)
		info, err := media.Probe(bytes.NewReader(photo))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if info.Orientation != 1 || info.Width != 40 {
			t.Errorf("%s: %+v, want the photo as stored", name, info)
		}
	}
}

// loopedExif is an EXIF block whose IFD0 (an orientation of 6) names a
// next IFD that names IFD0 again: a reader that follows the chain never
// ends, and keeps what it reads on every turn.
func loopedExif() []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00")
	b = le.AppendUint32(b, 8)
	const ifd1 = 8 + 2 + 12 + 4
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0x0112) // Orientation
	b = le.AppendUint16(b, 3)      // SHORT
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 6)
	b = le.AppendUint32(b, ifd1) // next IFD
	b = le.AppendUint16(b, 0)
	b = le.AppendUint32(b, 8) // next IFD: IFD0 again
	return append([]byte("Exif\x00\x00"), b...)
}

func TestAnEXIFBlockWhoseDirectoriesLoopIsReadOnce(t *testing.T) {
	photo := mediatest.WithExif(t, mediatest.JPEG(t, mediatest.Halves(40, 20)), loopedExif())
	type answer struct {
		info media.Info
		err  error
	}
	done := make(chan answer, 1)
	go func() {
		info, err := media.Probe(bytes.NewReader(photo))
		done <- answer{info, err}
	}()
	select {
	case a := <-done:
		if a.err != nil || a.info.Orientation != 6 {
			t.Errorf("Probe: %+v, %v; want the orientation of IFD0, 6", a.info, a.err)
		}
	case <-time.After(5 * time.Second):
		// The goroutine is left running: the test binary ends with it.
		t.Fatal("Probe did not return in 5 s: it follows the loop of IFDs")
	}
}

// TestATagCountThatWrapsTakesNoMemory is what the fuzzer found: the EXIF
// reader sizes a tag's values by count × size in 32 bits, so a count of
// 2³⁰+1 LONGs passes as one 4-byte value, and the reader then made room
// for 2³⁰ of them — 8 GB for each probe of a photo of a few hundred bytes,
// which a server receiving it in a bundle or an upload would not survive.
// Such a block is ignored, at no cost.
func TestATagCountThatWrapsTakesNoMemory(t *testing.T) {
	le := binary.LittleEndian
	for name, count := range map[string]uint32{"wrapping to 4 bytes": 1<<30 + 1, "wrapping to none": 1 << 30} {
		b := []byte("Exif\x00\x00II*\x00")
		b = le.AppendUint32(b, 8)
		b = le.AppendUint16(b, 2)
		b = le.AppendUint16(b, 0x0110) // Model
		b = le.AppendUint16(b, 4)      // LONG
		b = le.AppendUint32(b, count)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint16(b, 0x0112) // Orientation
		b = le.AppendUint16(b, 3)      // SHORT
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, 6)
		b = le.AppendUint32(b, 0)
		photo := mediatest.WithExif(t, mediatest.JPEG(t, mediatest.Halves(40, 20)), b)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		info, err := media.Probe(bytes.NewReader(photo))
		runtime.ReadMemStats(&after)
		if err != nil || info.Orientation != 1 {
			t.Errorf("%s: %+v, %v; want the photo as stored", name, info, err)
		}
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("%s: probing a %d-byte photo took %d MB", name, len(photo), grew>>20)
		}
	}
}

func TestVariantsAreNeverEnlarged(t *testing.T) {
	for _, tc := range []struct {
		width, full int
		widths      []int
	}{
		{300, 300, []int{300}},
		{480, 480, []int{480}},
		{700, 700, []int{480, 700}},
		{2000, 2000, []int{480, 960, 1600, 2000}},
		{2400, 2400, []int{480, 960, 1600, 2400}},
		{6000, 2400, []int{480, 960, 1600, 2400}},
	} {
		info := media.Info{Format: media.JPEG, Width: tc.width, Height: tc.width / 2}
		if got := info.VariantWidths(); !slices.Equal(got, tc.widths) || info.FullWidth() != tc.full {
			t.Errorf("%d px wide: widths %v, full %d; want %v, %d", tc.width, got, info.FullWidth(), tc.widths, tc.full)
		}
		for _, w := range media.Widths() {
			if got, ok := info.Fit(w); !ok || got > tc.width || got > w {
				t.Errorf("%d px wide: Fit(%d) = %d, %v", tc.width, w, got, ok)
			}
		}
	}
	info := media.Info{Width: 3000, Height: 2000}
	for _, w := range []int{0, 1, 500, 959, 961, 3000, 100_000, -480} {
		if got, ok := info.Fit(w); ok {
			t.Errorf("Fit(%d) = %d: only the standard widths are made", w, got)
		}
	}
	// And the bytes: a 700 px photo asked for at 960 and 2400 is 700 wide.
	c := newCache(t)
	photo := mediatest.PNG(t, mediatest.Halves(700, 350))
	for _, w := range []int{960, 2400} {
		v, b := variant(t, c, photo, w)
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 700 || v.Width != 700 {
			t.Errorf("a 700 px photo at %d: %d px wide", w, img.Bounds().Dx())
		}
	}
	if got := c.Stats(); got.Built != 1 || got.Reused != 1 {
		t.Errorf("stats %+v: 960 and 2400 are one variant, built once", got)
	}
	_, err := c.Variant(context.Background(), bytes.NewReader(photo), "", 961)
	var widthErr *media.WidthError
	if !errors.As(err, &widthErr) || !errors.Is(err, media.ErrRefused) {
		t.Errorf("an odd width: %v, want a WidthError", err)
	}
}

func TestEachFormatKeepsOrGetsAFormatBrowsersShow(t *testing.T) {
	frame := func(c uint8) *image.Paletted {
		img := image.NewPaletted(image.Rect(0, 0, 600, 300), []color.Color{mediatest.Red, mediatest.Blue})
		for i := range img.Pix {
			img.Pix[i] = c
		}
		return img
	}
	lossy, err := os.ReadFile("testdata/blue-purple-pink.lossy.webp")
	if err != nil {
		t.Fatal(err)
	}
	lossless, err := os.ReadFile("testdata/blue-purple-pink.lossless.webp")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		photo []byte
		out   string
	}{
		{"JPEG", mediatest.JPEG(t, mediatest.Halves(600, 300)), "image/jpeg"},
		{"PNG", mediatest.PNG(t, mediatest.Halves(600, 300)), "image/png"},
		{"GIF (its first frame)", mediatest.GIF(t, frame(0), frame(1)), "image/png"},
		{"lossy WebP (opaque)", lossy, "image/jpeg"},
		{"lossless WebP (may be transparent)", lossless, "image/png"},
	} {
		c := newCache(t)
		v, b := variant(t, c, tc.photo, 480)
		if v.MediaType != tc.out {
			t.Errorf("%s: %s, want %s", tc.name, v.MediaType, tc.out)
			continue
		}
		img, format, err := image.Decode(bytes.NewReader(b))
		if err != nil || "image/"+format != tc.out {
			t.Errorf("%s: the variant is %q: %v", tc.name, format, err)
			continue
		}
		info, err := media.Probe(bytes.NewReader(tc.photo))
		if err != nil {
			t.Fatal(err)
		}
		if want := min(480, info.Width); img.Bounds().Size() != image.Pt(want, v.Height) || v.Width != want {
			t.Errorf("%s: %v, want %d×%d", tc.name, img.Bounds(), want, v.Height)
		}
		if strings.HasPrefix(tc.name, "GIF") && !mediatest.Near(img.At(240, 100), mediatest.Red) {
			t.Errorf("GIF: %v, want the first frame's red", img.At(240, 100))
		}
	}
}

func TestManyRequestsForOneVariantBuildItOnce(t *testing.T) {
	c := newCache(t)
	photo := mediatest.PhoneJPEG(t, 1000, 600, 1)
	var wg sync.WaitGroup
	paths := make([]string, 16)
	for i := range paths {
		wg.Go(func() {
			v, err := c.Variant(context.Background(), bytes.NewReader(photo), "", 480)
			if err != nil {
				t.Error(err)
				return
			}
			paths[i] = v.Path
		})
	}
	wg.Wait()
	if got := c.Stats(); got.Built != 1 {
		t.Errorf("16 requests at once: %d builds, want 1", got.Built)
	}
	for _, p := range paths {
		if p != paths[0] {
			t.Fatalf("one variant, two files: %q, %q", p, paths[0])
		}
	}
}

func TestTheCacheKnowsPhotosByTheirBytes(t *testing.T) {
	dir := t.TempDir()
	c, err := media.NewCache(dir, media.NewRenderer(1))
	if err != nil {
		t.Fatal(err)
	}
	photo := mediatest.PNG(t, mediatest.Halves(600, 300))
	v1, _ := variant(t, c, photo, 480)
	// The same bytes under another name, or after a restart: the same file.
	restarted, err := media.NewCache(dir, media.NewRenderer(1))
	if err != nil {
		t.Fatal(err)
	}
	if v2, _ := variant(t, restarted, bytes.Clone(photo), 480); v2.Path != v1.Path || v2.Key != v1.Key {
		t.Errorf("the same photo: %q then %q", v1.Path, v2.Path)
	}
	if got := restarted.Stats(); got.Built != 0 || got.Reused != 1 {
		t.Errorf("after a restart: %+v, want the variant on disk reused", got)
	}
	// Changed pixels: another variant.
	changed := mediatest.PNG(t, mediatest.Halves(600, 301))
	if v3, _ := variant(t, c, changed, 480); v3.Path == v1.Path || v3.Key == v1.Key {
		t.Errorf("a changed photo kept the old variant %q", v1.Path)
	}
	if !strings.HasPrefix(v1.Path, dir) {
		t.Errorf("variant path %q is not in the cache directory %q", v1.Path, dir)
	}
}

// TestPruneRemovesWhatNobodyAskedFor: the variants of a photo changed or
// gone are never asked for again, so the cache would only grow. Prune
// removes the variants not used for its time and the half-written files a
// crash left, and keeps a variant a reader asked for since, however old
// its file: asking marks it used. A pruned variant asked for again is
// built again.
func TestPruneRemovesWhatNobodyAskedFor(t *testing.T) {
	dir := t.TempDir()
	c, err := media.NewCache(dir, media.NewRenderer(1))
	if err != nil {
		t.Fatal(err)
	}
	gone := mediatest.PNG(t, mediatest.Halves(600, 300))
	read := mediatest.PNG(t, mediatest.Halves(600, 301))
	old := time.Now().Add(-media.DefaultUnusedFor - time.Hour)
	age := func(path string, at time.Time) {
		t.Helper()
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
	}
	vGone, _ := variant(t, c, gone, 480)
	vRead, _ := variant(t, c, read, 480)
	age(vGone.Path, old)
	age(vRead.Path, old)
	// A reader asks for one of them: it is marked used.
	if again, _ := variant(t, c, read, 480); again.Path != vRead.Path {
		t.Fatalf("the variant moved: %q, %q", vRead.Path, again.Path)
	}
	if fi, err := os.Stat(vRead.Path); err != nil || time.Since(fi.ModTime()) > time.Minute {
		t.Fatalf("a variant asked for was not marked used: %v, %v", fi.ModTime(), err)
	}
	// Half-written files: one a crash left an hour and more ago, one being
	// written now.
	crashed := filepath.Join(filepath.Dir(vGone.Path), ".x.png.123.tmp")
	writing := filepath.Join(filepath.Dir(vGone.Path), ".y.png.456.tmp")
	for _, p := range []string{crashed, writing} {
		if err := os.WriteFile(p, []byte("part of a photo"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	age(crashed, time.Now().Add(-2*time.Hour))
	goneSize := fileSize(t, vGone.Path)

	files, freed, err := c.Prune(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if files != 2 || freed != goneSize+int64(len("part of a photo")) {
		t.Errorf("Prune removed %d files, %d bytes; want 2, %d", files, freed, goneSize+int64(len("part of a photo")))
	}
	for path, want := range map[string]bool{vGone.Path: false, crashed: false, vRead.Path: true, writing: true} {
		if _, err := os.Stat(path); (err == nil) != want {
			t.Errorf("%s kept: %v, want %v", filepath.Base(path), err == nil, want)
		}
	}
	// Asked for again, the pruned variant is built again.
	before := c.Stats().Built
	if v, _ := variant(t, c, gone, 480); v.Path != vGone.Path || c.Stats().Built != before+1 {
		t.Errorf("the pruned variant asked for again: %q, %d builds", v.Path, c.Stats().Built-before)
	}
	if _, err := os.Stat(vGone.Path); err != nil {
		t.Errorf("the pruned variant was not built again: %v", err)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func TestTheOrientationIsFoundWhereverTheHeaderPutsIt(t *testing.T) {
	// A JPEG whose EXIF comes after 100 KB of other metadata (a comment),
	// past Probe's first read.
	upright := mediatest.JPEG(t, mediatest.Halves(40, 20))
	comment := append([]byte{0xff, 0xfe, 0xff, 0xff}, bytes.Repeat([]byte("x"), 0xffff-2)...)
	late := append([]byte{0xff, 0xd8}, comment...)
	late = append(late, comment...)
	late = append(late, mediatest.WithExif(t, upright, mediatest.GPSExif(6))[2:]...)
	// A PNG with an eXIf chunk (TIFF data, no "Exif" prefix).
	tiff := mediatest.GPSExif(8)[len("Exif\x00\x00"):]
	withEXIf := mediatest.WithChunk(t, mediatest.PNG(t, mediatest.Halves(40, 20)), "eXIf", tiff)
	for name, photo := range map[string][]byte{"a JPEG's EXIF after 128 KB": late, "a PNG's eXIf chunk": withEXIf} {
		info, err := media.Probe(bytes.NewReader(photo))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if info.Orientation < 6 || info.Width != 20 || info.Height != 40 {
			t.Errorf("%s: %+v, want turned a quarter, 20×40", name, info)
		}
	}
}

// unread is a photo file that must not be read.
type unread struct{ t *testing.T }

func (u unread) Read([]byte) (int, error) {
	u.t.Error("the photo was read again")
	return 0, errors.New("not to be read")
}

func TestAKnownVersionOfAPhotoIsNotReadAgain(t *testing.T) {
	c := newCache(t)
	photo := mediatest.PhoneJPEG(t, 1000, 500, 1)
	first, err := c.Variant(context.Background(), bytes.NewReader(photo), "race-day/finish.jpg 1234 5678", 480)
	if err != nil {
		t.Fatal(err)
	}
	// The same version: the variant on disk, the photo unread; and a
	// width no variant is made at is refused unread.
	again, err := c.Variant(context.Background(), unread{t}, "race-day/finish.jpg 1234 5678", 480)
	if err != nil || again != first {
		t.Fatalf("the same version: %+v, %v; want %+v", again, err, first)
	}
	if _, err := c.Variant(context.Background(), unread{t}, "race-day/finish.jpg 1234 5678", 961); !errors.Is(err, media.ErrRefused) {
		t.Errorf("an odd width of a known photo: %v", err)
	}
	// A new version is read: here, the photo turned on its side.
	turned := mediatest.PhoneJPEG(t, 1000, 500, 6)
	v, err := c.Variant(context.Background(), bytes.NewReader(turned), "race-day/finish.jpg 1234 9999", 480)
	if err != nil || v.Key == first.Key || v.Height != 960 {
		t.Errorf("a new version: %+v, %v", v, err)
	}
	// A refused photo is refused from memory too.
	heic := "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"
	for _, src := range []io.Reader{strings.NewReader(heic), unread{t}} {
		if _, err := c.Variant(context.Background(), src, "race-day/phone.jpg 24 1", 0); !errors.Is(err, media.ErrRefused) {
			t.Errorf("a HEIC: %v", err)
		}
	}
	// Without a version, the photo is read every time.
	if _, err := c.Variant(context.Background(), bytes.NewReader(photo), "", 480); err != nil {
		t.Fatal(err)
	}
}

// gated is a photo file whose reading waits for open to be closed, after
// telling reading that it has begun.
type gated struct {
	r             io.Reader
	reading, open chan struct{}
	once          sync.Once
}

func (g *gated) Read(p []byte) (int, error) {
	g.once.Do(func() { close(g.reading) })
	<-g.open
	return g.r.Read(p)
}

// counted is a photo file that counts its reads.
type counted struct {
	r     io.Reader
	reads *atomic.Int64
}

func (c counted) Read(p []byte) (int, error) {
	c.reads.Add(1)
	return c.r.Read(p)
}

func TestReadersOfANewPhotoShareOneRead(t *testing.T) {
	c := newCache(t)
	photo := mediatest.PhoneJPEG(t, 1000, 600, 1)
	const version = "race-day/start.jpg 1 2"
	first := &gated{r: bytes.NewReader(photo), reading: make(chan struct{}), open: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() {
		if _, err := c.Variant(context.Background(), first, version, 480); err != nil {
			t.Error(err)
		}
	})
	<-first.reading
	// Fifteen more readers while the first read is under way: they wait
	// for it rather than each holding the photo's bytes.
	var reads atomic.Int64
	const others = 15
	for range others {
		wg.Go(func() {
			if _, err := c.Variant(context.Background(), counted{bytes.NewReader(photo), &reads}, version, 480); err != nil {
				t.Error(err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // for them to reach the read under way
	close(first.open)
	wg.Wait()
	if n := reads.Load(); n >= others {
		t.Errorf("%d of %d readers read the photo themselves", n, others)
	} else if n > 0 {
		t.Logf("%d of %d readers came too late to share the read", n, others)
	}
	if got := c.Stats(); got.Built != 1 {
		t.Errorf("stats %+v, want one build", got)
	}
}
