package web_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"image"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/rwcarlsen/goexif/exif"

	"milepost/internal/accounts"
	"milepost/internal/authoring"
	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

// postWithPhotos sends the editor's form as a browser does when photos are
// chosen: multipart, every field, and one "photos" part per file.
func (b *browser) postWithPhotos(path string, fields url.Values, photos ...upload) response {
	b.h.t.Helper()
	return b.postFiles(path, fields, "photos", true, photos...)
}

// postFiles sends a multipart form: the fields, and a part of the file
// input named input per file. A file name with control characters is
// sent raw in its quoted string, or with extended set as RFC 7578 allows
// (filename* with the name percent-encoded), which the server reads.
func (b *browser) postFiles(path string, fields url.Values, input string, extended bool, photos ...upload) response {
	b.h.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				b.h.t.Fatal(err)
			}
		}
	}
	for _, p := range photos {
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p.name)
		disposition := fmt.Sprintf(`form-data; name="%s"; filename="%s"`, input, quoted)
		if extended && strings.ContainsFunc(p.name, unicode.IsControl) {
			disposition = fmt.Sprintf(`form-data; name=%q; filename*=UTF-8''%s`, input, url.PathEscape(p.name))
		}
		fw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Disposition": {disposition},
			"Content-Type": {"application/octet-stream"}})
		if err != nil {
			b.h.t.Fatal(err)
		}
		fw.Write(p.data)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.h.srv.URL+path, &body)
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

// jpegSized is a real JPEG whose header declares w×h pixels: what a
// decompression bomb looks like to a reader of headers, which must refuse
// it before decoding a pixel.
func jpegSized(t *testing.T, w, h uint16) []byte {
	t.Helper()
	b := mediatest.JPEG(t, mediatest.Halves(16, 16))
	i := bytes.Index(b, []byte{0xFF, 0xC0}) // baseline frame: length, precision, height, width
	if i < 0 {
		t.Fatal("no SOF0 marker in the test JPEG")
	}
	binary.BigEndian.PutUint16(b[i+5:], h)
	binary.BigEndian.PutUint16(b[i+7:], w)
	return b
}

// bundleFiles lists the files of a post's folder, sorted.
func (h *harness) bundleFiles(dir string) []string {
	h.t.Helper()
	entries, err := os.ReadDir(filepath.Join(h.dir, filepath.FromSlash(dir)))
	if err != nil && !os.IsNotExist(err) {
		h.t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

// newPostFields is the new post form of the writer, filled in.
func newPostFields(t *testing.T, b *browser, kv ...string) url.Values {
	t.Helper()
	form := b.get("/admin/posts/new")
	wantStatus(t, "the new post form", form, http.StatusOK)
	return with(formFields(t, form.body), append([]string{"date", "2026-11-20T09:30"}, kv...)...)
}

func TestTheEditorFormTakesPhotosWithTheirDescriptions(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	form := kay.get("/admin/posts/new")
	mustContain(t, "the new post form", form.body, `enctype="multipart/form-data"`,
		`<input id="post-photos" name="photos" type="file" multiple accept="image/jpeg,image/png,image/webp,image/gif"`,
		`name="photo_alts"`, "Describe each photo for readers who cannot see it", `<select id="post-cover" name="cover"`,
		`value="first-upload"`)
}

func TestTwoPhotosAreStoredStrippedInTheBundleWithTheirMarkdown(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	phone := mediatest.PhoneJPEG(t, 640, 480, 6)
	plain := mediatest.PNG(t, mediatest.Halves(320, 200))
	res := kay.postWithPhotos("/admin/posts/new", newPostFields(t, kay, "title", "Hill reps", "body", "Six hills.\r\n",
		"photo_alts", "The top of the hill at dawn\r\nMy [muddy] shoes\r\n", "cover", "first-upload", "action", "publish"),
		upload{name: "IMG_0042.JPG", data: phone}, upload{name: "Shoes After.png", data: plain})
	wantStatus(t, "publishing with two photos", res, http.StatusSeeOther)

	if got, want := h.bundleFiles("posts/hill-reps"), []string{"img-0042.jpg", "index.md", "shoes-after.png"}; !slices.Equal(got, want) {
		t.Fatalf("the bundle holds %v, want %v", got, want)
	}
	want := "---\ntitle: Hill reps\ndate: 2026-11-20T09:30:00Z\nauthor: kay\ncover: img-0042.jpg\n---\n\nSix hills.\n\n" +
		"![The top of the hill at dawn](img-0042.jpg)\n![My \\[muddy\\] shoes](shoes-after.png)\n"
	if got := h.readFile("posts/hill-reps/index.md"); got != want {
		t.Errorf("the post file:\n%s\nwant:\n%s", got, want)
	}
	stored := h.readFile("posts/hill-reps/img-0042.jpg")
	if _, err := exif.Decode(strings.NewReader(stored)); err == nil {
		t.Error("the stored photo still has EXIF")
	}
	for _, leak := range []string{"Exif", mediatest.CameraMake} {
		if strings.Contains(stored, leak) {
			t.Errorf("the stored photo carries %q", leak)
		}
	}
	// Orientation 6 is applied: the 640×480 sensor image shows upright
	// as 480×640.
	cfg, _, err := image.DecodeConfig(strings.NewReader(stored))
	if err != nil || cfg.Width != 480 || cfg.Height != 640 {
		t.Errorf("the stored photo is %d×%d (%v), want 480×640, turned upright", cfg.Width, cfg.Height, err)
	}
	page := h.get("/posts/hill-reps/")
	mustContain(t, "the post", page.body, `alt="The top of the hill at dawn"`, `srcset="/posts/hill-reps/img-0042.jpg 480w"`, `alt="My [muddy] shoes"`)
	if photo := h.get("/posts/hill-reps/img-0042.jpg?w=480"); photo.status != http.StatusOK {
		t.Errorf("the published photo's variant: %d", photo.status)
	}
	edit := kay.get("/admin/posts/hill-reps/edit")
	mustContain(t, "the edit page", edit.body, `src="/posts/hill-reps/img-0042.jpg?w=480"`, "![Describe the photo](shoes-after.png)",
		`<option value="img-0042.jpg" selected>`)
}

func TestRefusedPhotosRefuseTheSaveNamingThePhotoAndWriteNothing(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	good := mediatest.JPEG(t, mediatest.Halves(64, 48))
	tooBig := append(bytes.Clone(good), make([]byte, 26<<20)...)
	for _, c := range []struct {
		what  string
		photo upload
		alts  string
		want  string
	}{
		{"a HEIC", upload{name: "IMG_7.HEIC", data: []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic and the rest")}, "x", "HEIC photos are not supported"},
		{"a 100 MP header", upload{name: "bomb.png", data: mediatest.PNGHeader(10000, 10000)}, "x", "over 50 megapixels"},
		{"a 26 MB file", upload{name: "huge.jpg", data: tooBig}, "x", "over 25 MB"},
		{"a 100 MP JPEG header", upload{name: "bomb.jpg", data: jpegSized(t, 10000, 10000)}, "x", "over 50 megapixels"},
		{"garbage", upload{name: "notes.jpg", data: []byte("just text")}, "x", "this file is not a photo media can read: use JPEG, PNG, WebP or GIF"},
		{"no description", upload{name: "finish.jpg", data: good}, "", "no description"},
	} {
		t.Run(c.what, func(t *testing.T) {
			res := kay.postWithPhotos("/admin/posts/new", newPostFields(t, kay, "title", "Refused", "body", "My words stay.",
				"photo_alts", c.alts, "action", "draft"), c.photo)
			wantStatus(t, "saving", res, http.StatusUnprocessableEntity)
			mustContain(t, "the answer", res.body, "“"+c.photo.name+"”", c.want, "My words stay.")
			if files := h.bundleFiles("posts/refused"); len(files) != 0 {
				t.Errorf("a refused save left %v", files)
			}
		})
	}
}

func TestAnUploadsNameNeverLeavesTheBundleNorOverwritesAFile(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/long-run/index.md": "---\ntitle: Long run\ndate: 2026-11-01\nauthor: kay\n---\n\nThirty k.\n",
		"posts/long-run/x.jpg":    "the runner's own x.jpg",
		"posts/other/index.md":    "---\ntitle: Other\ndate: 2026-11-01\nauthor: kay\n---\n\nOther.\n",
	}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	page := kay.get("/admin/posts/long-run/edit")
	wantStatus(t, "the edit form", page, http.StatusOK)
	photo := mediatest.JPEG(t, mediatest.Halves(64, 48))
	res := kay.postWithPhotos("/admin/posts/long-run/edit", with(formFields(t, page.body), "action", "publish",
		"photo_alts", "one\ntwo\nthree\nfour\nfive"),
		upload{name: "../../x.jpg", data: photo}, upload{name: `..\x.jpg`, data: photo},
		upload{name: "../other/x.jpg", data: photo}, upload{name: "a\x00.jpg", data: photo}, upload{name: "...", data: photo})
	wantStatus(t, "saving", res, http.StatusSeeOther)
	want := []string{"a.jpg", "index.md", "photo.jpg", "x-2.jpg", "x-3.jpg", "x-4.jpg", "x.jpg"}
	if got := h.bundleFiles("posts/long-run"); !slices.Equal(got, want) {
		t.Errorf("the bundle holds %v, want %v", got, want)
	}
	if got := h.readFile("posts/long-run/x.jpg"); got != "the runner's own x.jpg" {
		t.Errorf("x.jpg was overwritten: %.40q", got)
	}
	if got := h.bundleFiles("posts/other"); !slices.Equal(got, []string{"index.md"}) {
		t.Errorf("another post's folder holds %v", got)
	}
	if got := h.bundleFiles("posts"); !slices.Equal(got, []string{"long-run", "other"}) {
		t.Errorf("posts/ holds %v", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "x.jpg")); !os.IsNotExist(err) {
		t.Errorf("a photo landed outside posts/: %v", err)
	}
}

func TestASingleFilePostBecomesABundleWhenPhotosAreAdded(t *testing.T) {
	text := "---\ntitle: Tempo\ndate: 2026-11-01\nauthor: kay\n---\n\nFast.\n"
	h := newHarness(t, siteFiles{"posts/tempo.md": text}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	page := kay.get("/admin/posts/tempo/edit")
	res := kay.postWithPhotos("/admin/posts/tempo/edit", with(formFields(t, page.body), "action", "publish", "photo_alts", "The track"),
		upload{name: "track.jpg", data: mediatest.JPEG(t, mediatest.Halves(64, 48))})
	wantStatus(t, "saving", res, http.StatusSeeOther)
	if _, err := os.Stat(filepath.Join(h.dir, "posts/tempo.md")); !os.IsNotExist(err) {
		t.Errorf("the single file is still there: %v", err)
	}
	if got, want := h.readFile("posts/tempo/index.md"), text+"\n![The track](track.jpg)\n"; got != want {
		t.Errorf("the bundle's index.md:\n%s\nwant:\n%s", got, want)
	}
	hist, err := h.db.Revisions(context.Background(), "tempo")
	if err != nil || len(hist) != 1 || hist[0].File != "posts/tempo.md" {
		t.Fatalf("the history: %+v, %v", hist, err)
	}
	if rev, _ := h.db.Revision(context.Background(), "tempo", hist[0].ID); string(rev.Content) != text {
		t.Errorf("the kept version:\n%s", rev.Content)
	}
	mustContain(t, "the post", h.get("/posts/tempo/").body, `srcset="/posts/tempo/track.jpg 64w"`)
}

func TestPhotosInSomeoneElsesPostFollowTheEditorsRoles(t *testing.T) {
	h := newHarness(t, siteFiles{
		"authors/zoe.md":          "---\nname: Zoe\n---\n",
		"authors/cy.md":           "---\nname: Cy\n---\n",
		"posts/zoes-run/index.md": "---\ntitle: Zoe's run\ndate: 2026-11-01\nauthor: zoe\ndraft: true\n---\n\nHers.\n",
	}, withAuthoring)
	photo := mediatest.JPEG(t, mediatest.Halves(64, 48))
	editor := h.writerAs("ed", accounts.RoleEditor, "")
	page := editor.get("/admin/posts/zoes-run/edit")
	wantStatus(t, "the editor opens it", page, http.StatusOK)
	fields := with(formFields(t, page.body), "action", "draft", "photo_alts", "A photo")
	for _, who := range []struct {
		name string
		role accounts.Role
	}{{"kay", accounts.RoleAuthor}, {"cy", accounts.RoleContributor}} {
		b := h.writerAs(who.name, who.role, who.name)
		res := b.postWithPhotos("/admin/posts/zoes-run/edit", fields, upload{name: "mine.jpg", data: photo})
		wantStatus(t, who.name+" adding a photo to Zoe's post", res, http.StatusForbidden)
	}
	if got := h.bundleFiles("posts/zoes-run"); !slices.Equal(got, []string{"index.md"}) {
		t.Fatalf("refused uploads left %v", got)
	}
	res := editor.postWithPhotos("/admin/posts/zoes-run/edit", fields, upload{name: "edited.jpg", data: photo})
	wantStatus(t, "the editor adding a photo", res, http.StatusSeeOther)
	if got := h.bundleFiles("posts/zoes-run"); !slices.Equal(got, []string{"edited.jpg", "index.md"}) {
		t.Errorf("the bundle holds %v", got)
	}
}

func TestADraftsPhotosAreShownToItsWriterOnly(t *testing.T) {
	h := newHarness(t, siteFiles{"authors/zoe.md": "---\nname: Zoe\n---\n"}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	res := kay.postWithPhotos("/admin/posts/new", newPostFields(t, kay, "title", "Secret route", "body", "Shh.",
		"photo_alts", "The trail", "action", "draft"), upload{name: "trail.jpg", data: mediatest.JPEG(t, mediatest.Halves(64, 48))})
	wantStatus(t, "saving a draft with a photo", res, http.StatusSeeOther)

	photo := kay.get("/posts/secret-route/trail.jpg?w=480")
	if photo.status != http.StatusOK || photo.header.Get("Cache-Control") != "private, no-store" {
		t.Errorf("the writer's own draft photo: %d, Cache-Control %q", photo.status, photo.header.Get("Cache-Control"))
	}
	preview := kay.postForm("/admin/posts/secret-route/edit", with(formFields(t, kay.get("/admin/posts/secret-route/edit").body), "action", "preview"))
	wantStatus(t, "the preview", preview, http.StatusOK)
	mustContain(t, "the preview", preview.body, `srcset="/posts/secret-route/trail.jpg 64w"`)

	if res := h.get("/posts/secret-route/trail.jpg"); res.status != http.StatusNotFound {
		t.Errorf("a stranger gets a draft's photo: %d", res.status)
	}
	zoe := h.writerAs("zoe", accounts.RoleAuthor, "zoe")
	if res := zoe.get("/posts/secret-route/trail.jpg"); res.status != http.StatusNotFound {
		t.Errorf("another author gets a draft's photo: %d", res.status)
	}
	ed := h.writerAs("ed", accounts.RoleEditor, "")
	if res := ed.get("/posts/secret-route/trail.jpg"); res.status != http.StatusOK {
		t.Errorf("an editor's view of the draft's photo: %d", res.status)
	}
}

func TestTheEditorsBodyBoundTakesPhotosAndNoMore(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	fields := newPostFields(t, kay, "title", "Many", "body", "Many photos.", "action", "draft", "photo_alts", strings.Repeat("a photo\n", 11))
	var photos []upload
	for range authoring.MaxPhotos + 1 {
		photos = append(photos, upload{name: "p.jpg", data: mediatest.JPEG(t, mediatest.Halves(16, 16))})
	}
	res := kay.postWithPhotos("/admin/posts/new", fields, photos...)
	wantStatus(t, "eleven photos", res, http.StatusUnprocessableEntity)
	mustContain(t, "the answer", res.body, "at most 10 photos", "Many photos.")

	// A body said to be over the bound is refused at its first file: the
	// text before it is read and shown back, no file is.
	huge := upload{name: "big.jpg", data: make([]byte, authoring.MaxPhotos*media.MaxBytes+(2<<20))}
	res = kay.postWithPhotos("/admin/posts/new", fields, huge)
	wantStatus(t, "a body over the bound", res, http.StatusRequestEntityTooLarge)
	mustContain(t, "the answer", res.body, "Many photos.", "over 251 MB together", "Nothing was saved")
	// Other admin forms keep every request's bound.
	res = kay.postWithPhotos("/admin/posts/many/history/1", url.Values{}, upload{name: "big.jpg", data: make([]byte, 2<<20)})
	wantStatus(t, "a large body elsewhere", res, http.StatusRequestEntityTooLarge)
}
