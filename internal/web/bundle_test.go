package web_test

import (
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rwcarlsen/goexif/exif"

	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

// The photos of the bundle site: a wide PNG of the finish with a place name
// in a text chunk, a phone's JPEG
// of the start taken on its side, with its GPS position, and a draft's PNG.
// startJPEG is stored 800×400 with EXIF orientation 6: upright, it is
// 400×800.
var finishPNG, startJPEG, planPNG []byte

func makeBundlePhotos(t *testing.T) {
	finishPNG = mediatest.WithText(t, mediatest.PNG(t, mediatest.Halves(1200, 600)), "Location", "the runner's street")
	startJPEG = mediatest.PhoneJPEG(t, 800, 400, 6)
	planPNG = mediatest.PNG(t, mediatest.Halves(300, 200))
}

// decodePhoto decodes a served photo, failing the test if it is none.
func decodePhoto(t *testing.T, what, body string) image.Image {
	t.Helper()
	img, _, err := image.Decode(strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s: not a photo: %v", what, err)
	}
	return img
}

// photoCache is a media cache in a test's temporary directory.
func photoCache(t testing.TB) *media.Cache {
	t.Helper()
	c, err := media.NewCache(t.TempDir(), media.NewRenderer(0))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// withPhotoCache serves bundle photos through c, whose stats a test reads.
func withPhotoCache(c *media.Cache) harnessOption {
	return func(o *harnessConfig) { o.Media = c }
}

// bundleSite serves a content directory with page bundles beside a
// single-file post, files that must never be served among the photos, and
// symbolic links that try to lead out of a bundle. It returns the server's
// URL.
func bundleSite(t *testing.T, opts ...harnessOption) string {
	t.Helper()
	makeBundlePhotos(t)
	files := siteFiles{
		"posts/race-day/index.md": post("title: Race day\ndate: 2024-05-01\nauthor: kay",
			"![The finish line](finish.png)\n\n<!--more-->\n\nWe crossed it together.\n\n![Start](photos/start.jpg)"),
		"posts/race-day/finish.png":       string(finishPNG),
		"posts/race-day/photos/start.jpg": string(startJPEG),
		"posts/race-day/run.fit":          "FIT: the route from the runner's front door",
		"posts/race-day/route.gpx":        "<gpx>the route from the runner's front door</gpx>",
		"posts/race-day/Track.TCX.gz":     "TCX: the route from the runner's front door, gzipped",
		"posts/race-day/.notes.png":       string(mediatest.PNG(t, mediatest.Halves(10, 10))) + "a hidden file's text",
		"posts/race-day/notes.md":         "private notes",
		"posts/single.md":                 post("title: Single file\ndate: 2024-04-01\nauthor: kay", "Still works."),
		"posts/plan/index.md":             post("title: Next plan\ndate: 2024-06-01\nauthor: kay\ndraft: true", "![Plan](plan.png)"),
		"posts/plan/plan.png":             string(planPNG),
	}
	h := newHarness(t, files, opts...)
	site := h.site
	if len(site.Problems) > 0 {
		t.Fatalf("content problems: %v", site.Problems)
	}
	dir := site.Dir()
	// Bundle files are opened when asked for, so links made now count. The
	// file outside is a photo media would serve: only content's rule keeps
	// it out.
	secret := filepath.Join(t.TempDir(), "secret.png")
	if err := os.WriteFile(secret, append(mediatest.PNG(t, mediatest.Halves(10, 10)), "a file outside the content directory"...), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"posts/race-day/secret.png": secret,
		"posts/race-day/config.png": "../../site.yaml",
		"posts/race-day/up":         "..",
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	return h.srv.URL
}

// fetch GETs a URL, following redirects as a browser would.
func fetch(t *testing.T, u string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

var imgSrcRE = regexp.MustCompile(`<img src="([^"]*)"`)

// imageURLs are the absolute URLs of the images of the page at pageURL, as
// a browser resolves them.
func imageURLs(t *testing.T, pageURL string) []string {
	t.Helper()
	res, body := fetch(t, pageURL)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", pageURL, res.StatusCode)
	}
	base := res.Request.URL // after any redirect
	var out []string
	for _, m := range imgSrcRE.FindAllStringSubmatch(body, -1) {
		ref, err := url.Parse(m[1])
		if err != nil {
			t.Fatalf("image URL %q: %v", m[1], err)
		}
		out = append(out, base.ResolveReference(ref).String())
	}
	return out
}

func TestBundlePhotosLoadFromThePostAndTheListsThatShowThem(t *testing.T) {
	srv := bundleSite(t)
	pages := map[string][]string{
		// The post's own page: Markdown's relative URLs as written.
		srv + "/posts/race-day/": {srv + "/posts/race-day/finish.png", srv + "/posts/race-day/photos/start.jpg"},
		// Pages of summaries: resolved against the post's URL.
		srv + "/":              {srv + "/posts/race-day/finish.png"},
		srv + "/authors/kay/":  {srv + "/posts/race-day/finish.png"},
		srv + "/posts/single/": nil,
		// Redirected to the post's URL, against which they resolve.
		srv + "/posts/race-day": {srv + "/posts/race-day/finish.png", srv + "/posts/race-day/photos/start.jpg"},
	}
	for page, want := range pages {
		got := imageURLs(t, page)
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("images of %s = %q, want %q", page, got, want)
		}
	}
	for u, want := range map[string]struct {
		mediaType     string
		width, height int
		original      []byte
	}{
		srv + "/posts/race-day/finish.png":       {"image/png", 1200, 600, finishPNG},
		srv + "/posts/race-day/photos/start.jpg": {"image/jpeg", 400, 800, startJPEG},
	} {
		res, body := fetch(t, u)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", u, res.StatusCode)
			continue
		}
		if body == string(want.original) || strings.Contains(body, "runner's street") || strings.Contains(body, "Exif") {
			t.Errorf("GET %s: the original file, or its metadata, is served", u)
		}
		if got := res.Header.Get("Content-Type"); got != want.mediaType {
			t.Errorf("GET %s: Content-Type %q, want %q", u, got, want.mediaType)
		}
		if img := decodePhoto(t, u, body); img.Bounds().Size() != image.Pt(want.width, want.height) {
			t.Errorf("GET %s: %v, want %d×%d", u, img.Bounds().Size(), want.width, want.height)
		}
		if got := res.Header.Get("Cache-Control"); got != "public, max-age=2592000" {
			t.Errorf("GET %s: Cache-Control %q, want thirty days, public", u, got)
		}
		etag, lastMod := res.Header.Get("ETag"), res.Header.Get("Last-Modified")
		if etag == "" || lastMod == "" {
			t.Fatalf("GET %s: ETag %q, Last-Modified %q: want both validators", u, etag, lastMod)
		}
		if res, body := fetch(t, u, "If-None-Match", etag); res.StatusCode != http.StatusNotModified || body != "" {
			t.Errorf("GET %s with If-None-Match: %d, want 304 and no body", u, res.StatusCode)
		}
		if res, _ := fetch(t, u, "If-Modified-Since", lastMod); res.StatusCode != http.StatusNotModified {
			t.Errorf("GET %s with If-Modified-Since: %d, want 304", u, res.StatusCode)
		}
		if got := res.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", u, got)
		}
	}
}

func TestBundleServesOnlyWhatReadersShouldGet(t *testing.T) {
	srv := bundleSite(t)
	leaks := []string{"front door", "outside the content", "a hidden file", "private notes", "title:", "\x89PNG"}
	for _, path := range []string{
		"/posts/race-day/index.md",
		"/posts/race-day/notes.md",
		"/posts/race-day/run.fit",
		"/posts/race-day/route.gpx",
		"/posts/race-day/Track.TCX.gz",
		"/posts/race-day/.notes.png",
		"/posts/race-day/secret.png",          // a link out of the content directory
		"/posts/race-day/config.png",          // a link to site.yaml
		"/posts/race-day/up/site.yaml",        // through a linked folder
		"/posts/race-day/up/race-day/run.fit", // and back in
		"/posts/race-day/../../site.yaml",
		"/posts/race-day/..%2f..%2fsite.yaml",
		"/posts/race-day/%2e%2e/%2e%2e/site.yaml",
		"/posts/race-day/photos",
		"/posts/race-day/nothing.png",
		"/posts/single/finish.png",
		"/posts/plan/plan.png", // a draft, without -drafts
		"/posts/nobody/finish.png",
	} {
		res, body := fetch(t, srv+path)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.StatusCode)
		}
		for _, leak := range leaks {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s leaks %q", path, leak)
			}
		}
	}
}

func TestBundleOfADraftOnlyWithDrafts(t *testing.T) {
	srv := bundleSite(t, withDrafts)
	res, body := fetch(t, srv+"/posts/plan/plan.png")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the draft's photo with -drafts: %d", res.StatusCode)
	}
	if img := decodePhoto(t, "the draft's photo", body); img.Bounds().Dx() != 300 {
		t.Errorf("the draft's photo: %v", img.Bounds())
	}
	if got := res.Header.Get("Cache-Control"); got != "private, no-cache" {
		t.Errorf("the draft's photo: Cache-Control %q, want private, no-cache: no shared cache keeps a preview", got)
	}
}

func TestBundleFilesLeaveOtherRoutesTheirAnswers(t *testing.T) {
	srv := bundleSite(t)
	for _, path := range []string{"/posts/race-day/comments", "/posts/race-day/comments/1/delete"} {
		res, _ := fetch(t, srv+path)
		if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "POST" {
			t.Errorf("GET %s: %d, Allow %q; want 405, Allow POST", path, res.StatusCode, res.Header.Get("Allow"))
		}
	}
	req, err := http.NewRequest(http.MethodHead, srv+"/posts/race-day/finish.png", nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	_, body := fetch(t, srv+"/posts/race-day/finish.png")
	if res.StatusCode != http.StatusOK || res.ContentLength != int64(len(body)) {
		t.Errorf("HEAD of a photo: %d, length %d, want 200 and the length of what GET serves (%d)", res.StatusCode, res.ContentLength, len(body))
	}
}

func TestAPhonePhotoIsServedUprightWithoutItsGPSPosition(t *testing.T) {
	srv := bundleSite(t)
	for _, u := range []string{"/posts/race-day/photos/start.jpg", "/posts/race-day/photos/start.jpg?w=480"} {
		res, body := fetch(t, srv+u)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("GET %s: %d %s", u, res.StatusCode, res.Header.Get("Content-Type"))
		}
		for _, m := range mediatest.Segments([]byte(body)) {
			if m >= 0xe0 && m <= 0xef || m == 0xfe {
				t.Errorf("GET %s: the photo has a metadata segment FF%X", u, m)
			}
		}
		if _, err := exif.Decode(strings.NewReader(body)); err == nil {
			t.Errorf("GET %s: an EXIF reader finds EXIF in the photo", u)
		}
		for _, leak := range []string{"Exif", mediatest.CameraMake} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s: the photo holds %q", u, leak)
			}
		}
		// Stored 800×400 on its side: upright, 400×800.
		if got := decodePhoto(t, u, body).Bounds().Size(); got != image.Pt(400, 800) {
			t.Errorf("GET %s: %v, want 400×800, turned upright", u, got)
		}
	}
}

func TestPhotosComeInTheWidthsPagesAskForNeverEnlarged(t *testing.T) {
	srv := bundleSite(t)
	full, fullBody := fetch(t, srv+"/posts/race-day/finish.png")
	for _, tc := range []struct {
		query string
		width int
	}{
		{"?w=480", 480},
		{"?w=960", 960},
		{"?w=1600", 1200}, // the photo is 1200 wide: its full width
		{"?w=2400", 1200},
	} {
		u := srv + "/posts/race-day/finish.png" + tc.query
		res, body := fetch(t, u)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", u, res.StatusCode)
			continue
		}
		img := decodePhoto(t, u, body)
		if img.Bounds().Dx() != tc.width || img.Bounds().Dy() != tc.width/2 {
			t.Errorf("GET %s: %v, want %d wide", u, img.Bounds(), tc.width)
		}
		if sameAsFull := res.Header.Get("ETag") == full.Header.Get("ETag"); sameAsFull != (tc.width == 1200) || sameAsFull != (body == fullBody) {
			t.Errorf("GET %s: ETag %s (full: %s): one ETag per variant's bytes", u, res.Header.Get("ETag"), full.Header.Get("ETag"))
		}
	}
	// Only the standard widths: a width of one's choosing would let anyone
	// fill the cache.
	for _, q := range []string{"?w=961", "?w=1", "?w=0", "?w=-480", "?w=+480", "?w=480.0", "?w=0x1e0", "?w=", "?w=480&w=960", "?w=99999999999999999999"} {
		if res, _ := fetch(t, srv+"/posts/race-day/finish.png"+q); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET finish.png%s: %d, want 404", q, res.StatusCode)
		}
	}
}

func TestPhotosMediaRefusesAreNotServed(t *testing.T) {
	files := siteFiles{
		"posts/trip/index.md": post("title: Trip\ndate: 2024-05-01\nauthor: kay", "![x](phone.jpg)"),
		// An iPhone's HEIC with a .jpg name, an AVIF, a decompression
		// bomb, a damaged JPEG, a text file named as a photo.
		"posts/trip/phone.jpg":   "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic the HEIC's own bytes",
		"posts/trip/photo.avif":  "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1 the AVIF's own bytes",
		"posts/trip/bomb.png":    string(mediatest.PNGHeader(10_000, 6_000)),
		"posts/trip/damaged.jpg": string(mediatest.PhoneJPEG(t, 64, 64, 1)[:300]),
		"posts/trip/notes.gif":   "GPS: the runner's street",
	}
	h := newHarness(t, files)
	for _, name := range []string{"phone.jpg", "photo.avif", "bomb.png", "damaged.jpg", "notes.gif"} {
		res, body := fetch(t, h.srv.URL+"/posts/trip/"+name)
		if res.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", name, res.StatusCode)
		}
		for _, leak := range []string{"own bytes", "runner's street", "Exif", "\x89PNG"} {
			if strings.Contains(body, leak) {
				t.Errorf("GET %s leaks %q", name, leak)
			}
		}
	}
}

func TestManyReadersOfANewPhotoGetItBuiltOnce(t *testing.T) {
	photos := photoCache(t)
	srv := bundleSite(t, withPhotoCache(photos))
	u := srv + "/posts/race-day/photos/start.jpg?w=480"
	var wg sync.WaitGroup
	bodies := make([]string, 8)
	for i := range bodies {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				t.Error(err)
				return
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer res.Body.Close()
			b, err := io.ReadAll(res.Body)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Errorf("GET %s: %d, %v", u, res.StatusCode, err)
			}
			bodies[i] = string(b)
		})
	}
	wg.Wait()
	for _, b := range bodies {
		if b != bodies[0] || b == "" {
			t.Fatal("readers were served different bytes")
		}
	}
	if got := photos.Stats(); got.Built != 1 {
		t.Errorf("8 readers at once: %+v, want one build", got)
	}
}

var srcsetRE = regexp.MustCompile(`<img src="finish.png" alt="The finish line" width="(\d+)" height="(\d+)" srcset="([^"]*)" sizes="[^"]+" loading="lazy" decoding="async">`)

func TestEveryWidthAPostOffersIsServedAtThatWidth(t *testing.T) {
	srv := bundleSite(t)
	_, page := fetch(t, srv+"/posts/race-day/")
	m := srcsetRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the post's photo has no size and srcset: %s", page)
	}
	if m[1] != "1200" || m[2] != "600" {
		t.Errorf("width %s, height %s; want the photo's 1200×600", m[1], m[2])
	}
	var widths []string
	for _, candidate := range strings.Split(m[3], ", ") {
		u, w, ok := strings.Cut(candidate, " ")
		if !ok || !strings.HasSuffix(w, "w") {
			t.Fatalf("srcset candidate %q", candidate)
		}
		widths = append(widths, w)
		res, body := fetch(t, srv+u)
		if res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", u, res.StatusCode)
			continue
		}
		if got := decodePhoto(t, u, body).Bounds().Dx(); strconv.Itoa(got)+"w" != w {
			t.Errorf("GET %s: %d px wide, the srcset says %s", u, got, w)
		}
	}
	if strings.Join(widths, " ") != "480w 960w 1200w" {
		t.Errorf("srcset widths %v, want 480, 960 and the photo's own 1200", widths)
	}
}

func TestAPhotoChangedOnDiskIsServedAnew(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/trip/index.md": post("title: Trip\ndate: 2024-05-01\nauthor: kay", "![x](view.png)"),
		"posts/trip/view.png": string(mediatest.PNG(t, mediatest.Halves(600, 300))),
	})
	u := h.srv.URL + "/posts/trip/view.png"
	before, body := fetch(t, u)
	if before.StatusCode != http.StatusOK || decodePhoto(t, u, body).Bounds().Dx() != 600 {
		t.Fatalf("GET %s: %d", u, before.StatusCode)
	}
	file := filepath.Join(h.site.Dir(), "posts", "trip", "view.png")
	if err := os.WriteFile(file, mediatest.PNG(t, mediatest.Halves(500, 500)), 0o644); err != nil {
		t.Fatal(err)
	}
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(file, later, later); err != nil {
		t.Fatal(err)
	}
	after, body := fetch(t, u, "If-None-Match", before.Header.Get("ETag"))
	if after.StatusCode != http.StatusOK || after.Header.Get("ETag") == before.Header.Get("ETag") {
		t.Fatalf("GET %s after the photo changed: %d, ETag %s (was %s)", u, after.StatusCode, after.Header.Get("ETag"), before.Header.Get("ETag"))
	}
	if got := decodePhoto(t, u, body).Bounds().Size(); got != image.Pt(500, 500) {
		t.Errorf("GET %s after the photo changed: %v, want the new 500×500", u, got)
	}
}
