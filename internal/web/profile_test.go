package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

// upload is a file part of a multipart form.
type upload struct {
	name string // the file name the browser sends
	data []byte
}

// postMultipart sends a multipart/form-data form, as a browser sends a form
// with a file input.
func (b *browser) postMultipart(path string, fields map[string]string, photo *upload) response {
	b.h.t.Helper()
	form := url.Values{}
	for k, v := range fields {
		form.Set(k, v)
	}
	var files []upload
	if photo != nil {
		files = append(files, *photo)
	}
	return b.postFiles(path, form, "photo", false, files...)
}

func joinFields(token, name string, profile map[string]string) map[string]string {
	f := map[string]string{"token": token, "name": name, "password": "a long new password", "confirm": "a long new password"}
	for k, v := range profile {
		f[k] = v
	}
	return f
}

// readContent reads a file of the harness's content directory, "" when
// there is none.
func (h *harness) readContent(rel string) string {
	b, err := os.ReadFile(filepath.Join(h.dir, filepath.FromSlash(rel)))
	if err != nil && !os.IsNotExist(err) {
		h.t.Fatal(err)
	}
	return string(b)
}

// Issue 8: a runner joins with an invite and fills in their profile with a
// phone's photo; the profile is a file content serves, the photo is served
// without where it was taken, and the upload's file name never reaches a
// path.
func TestJoiningWithAProfileMakesTheAuthorPageWithItsPhoto(t *testing.T) {
	h := newHarness(t, massageSite(""), withAuthoring)
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	link, token := inviteAs(t, admin, "author", "")

	runner := h.browser()
	form := runner.get(link)
	mustContain(t, "invite page", form.body, `enctype="multipart/form-data"`, `name="display_name"`, `name="bio"`, `name="photo"`)
	res := runner.postMultipart("/admin/invite", joinFields(token, "zoe", map[string]string{
		"display_name": "Zoë Runner", "website": "https://zoe.example/", "bio": "Runs *before* dawn.",
	}), &upload{name: "../../site.yaml", data: mediatest.PhoneJPEG(t, 800, 600, 6)})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/welcome" {
		t.Fatalf("joining: %d to %q\n%.2000s", res.status, res.header.Get("Location"), res.body)
	}
	want := "---\nname: Zoë Runner\nwebsite: https://zoe.example/\n---\n\nRuns *before* dawn.\n"
	if got := h.readContent("authors/zoe-runner.md"); got != want {
		t.Errorf("the profile file:\n%s\nwant:\n%s", got, want)
	}
	if got := h.readContent("site.yaml"); got != siteYAML {
		t.Errorf("the upload's file name reached site.yaml:\n%s", got)
	}
	us, _ := h.accounts.List(context.Background())
	if len(us) != 2 || us[1].Name != "zoe" || us[1].Author != "zoe-runner" {
		t.Errorf("users = %+v, want zoe with the profile zoe-runner", us)
	}

	page := h.get("/authors/zoe-runner/")
	mustContain(t, "author page", page.body, "Zoë Runner", "<em>before</em>", `href="https://zoe.example/"`,
		`src="/authors/zoe-runner/avatar.jpg"`)
	photo := h.get("/authors/zoe-runner/avatar.jpg")
	if photo.status != http.StatusOK || photo.header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("the photo: %d %q", photo.status, photo.header.Get("Content-Type"))
	}
	for _, leak := range []string{"Exif", mediatest.CameraMake} {
		if strings.Contains(photo.body, leak) {
			t.Errorf("the served photo carries %q", leak)
		}
	}
	if stored := h.readContent("authors/zoe-runner.jpg"); strings.Contains(stored, "Exif") {
		t.Error("the stored photo carries the phone's EXIF")
	}
	if res := h.get("/authors/zoe-runner/avatar.png"); res.status != http.StatusNotFound {
		t.Errorf("a photo the author does not have: %d", res.status)
	}
	if res := h.get("/authors/kay/avatar.jpg"); res.status != http.StatusNotFound {
		t.Errorf("the photo of an author without one: %d", res.status)
	}
}

// An invite for a profile the site has edits that profile's file, keeping
// what the form does not show.
func TestJoiningForAnExistingProfileEditsItsFile(t *testing.T) {
	files := massageSite("")
	files["authors/kay.md"] = "---\nname: Kay-Kay's Bird Club # the club\nstrava: 1234\n---\nHat-maker.\n"
	h := newHarness(t, files, withAuthoring)
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	link, token := inviteAs(t, admin, "author", "kay")
	runner := h.browser()
	form := runner.get(link)
	mustContain(t, "invite page for kay", form.body, `value="Kay-Kay&#39;s Bird Club"`, "Hat-maker.", `name="version" value="`)
	version := between(form.body, `name="version" value="`, `"`)
	res := runner.postMultipart("/admin/invite", joinFields(token, "kayrunner", map[string]string{
		"display_name": "Kay-Kay's Bird Club", "bio": "Hat-maker and running fool.\r\n", "version": version,
	}), nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("joining: %d\n%.2000s", res.status, res.body)
	}
	want := "---\nname: Kay-Kay's Bird Club # the club\nstrava: 1234\n---\nHat-maker and running fool.\n"
	if got := h.readContent("authors/kay.md"); got != want {
		t.Errorf("kay.md:\n%s\nwant:\n%s", got, want)
	}
	entries, _ := os.ReadDir(filepath.Join(h.dir, "authors"))
	if len(entries) != 1 {
		t.Errorf("authors/ holds %d files, want kay.md alone", len(entries))
	}
}

// A refused profile is shown back with what was typed, writes nothing, and
// leaves the invite working.
func TestARefusedProfileIsShownBackAndTheInviteStillWorks(t *testing.T) {
	h := newHarness(t, massageSite(""), withAuthoring)
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	_, token := inviteAs(t, admin, "author", "")
	runner := h.browser()
	typed := map[string]string{"display_name": "Zed <b>Runner</b>", "bio": "My *bio* & more", "website": "https://zed.example/"}
	heic := []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
	tooBig := append(mediatest.JPEG(t, mediatest.Halves(8, 8)), make([]byte, media.MaxBytes)...)
	for what, c := range map[string]struct {
		profile map[string]string
		photo   *upload
		says    string
	}{
		"a HEIC photo":           {typed, &upload{"IMG_0001.HEIC", heic}, "HEIC"},
		"a photo over the limit": {typed, &upload{"big.jpg", tooBig}, "the photo cannot be used"},
		"a javascript: website":  {map[string]string{"display_name": "Zed", "bio": "My *bio* & more", "website": "javascript:alert(1)"}, nil, "http or https"},
		"a name with no letters": {map[string]string{"display_name": "🏃 !!", "bio": "My *bio* & more"}, nil, "letters or digits"},
		"no display name at all": {map[string]string{"bio": "My *bio* & more"}, nil, "letters or digits"},
		"a data: website":        {map[string]string{"display_name": "Zed", "bio": "My *bio* & more", "website": "data:text/html,x"}, nil, "http or https"},
	} {
		res := runner.postMultipart("/admin/invite", joinFields(token, "zed", c.profile), c.photo)
		if res.status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422\n%.1500s", what, res.status, res.body)
			continue
		}
		mustContain(t, what, res.body, c.says, `value="zed"`, "My *bio* &amp; more", `name="token" value="`+token+`"`)
		if c.profile["display_name"] != "" {
			mustContain(t, what, res.body, `value="`+strings.ReplaceAll(strings.ReplaceAll(c.profile["display_name"], "<", "&lt;"), ">", "&gt;")+`"`)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(h.dir, "authors"))
	if len(entries) != 1 {
		t.Errorf("authors/ holds %d files after refusals, want kay.md alone", len(entries))
	}
	res := runner.postMultipart("/admin/invite", joinFields(token, "zed", typed), nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("joining after the refusals: %d\n%.1500s", res.status, res.body)
	}
	page := h.get("/authors/zed-b-runner-b/")
	mustContain(t, "author page", page.body, "Zed &lt;b&gt;Runner&lt;/b&gt;")
	mustNotContain(t, "author page", page.body, "<b>Runner</b>")
}

// Issue 8: a writer edits their own profile; a hand edit of the file
// meanwhile is a 409 with both texts, and nothing is overwritten.
func TestAWriterEditsTheirProfileAndAHandEditMeanwhileIsAConflict(t *testing.T) {
	h := newHarness(t, massageSite(""), withAuthoring)
	h.addUser("kayrunner", accounts.RoleAuthor)
	if err := h.accounts.SetAuthor(context.Background(), "kayrunner", "kay"); err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	b.signIn("kayrunner")
	form := b.get("/admin/profile")
	if form.status != http.StatusOK {
		t.Fatalf("/admin/profile: %d", form.status)
	}
	mustContain(t, "profile page", form.body, "Kay-Kay&#39;s Bird Club", "Running fool.", `href="/authors/kay/"`)
	version := between(form.body, `name="version" value="`, `"`)

	hand := "---\nname: Kay by hand\n---\nWritten in vim.\n"
	if err := os.WriteFile(filepath.Join(h.dir, "authors", "kay.md"), []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	res := b.postMultipart("/admin/profile", map[string]string{"display_name": "Kay K", "bio": "From the form.", "version": version}, nil)
	if res.status != http.StatusConflict {
		t.Fatalf("saving over a hand edit: %d, want 409\n%.1500s", res.status, res.body)
	}
	mustContain(t, "conflict", res.body, "Written in vim.", "From the form.", `value="Kay K"`)
	if got := h.readContent("authors/kay.md"); got != hand {
		t.Errorf("the hand edit was overwritten:\n%s", got)
	}

	form = b.get("/admin/profile")
	version = between(form.body, `name="version" value="`, `"`)
	res = b.postMultipart("/admin/profile", map[string]string{"display_name": "Kay K", "bio": "From the form.", "version": version},
		&upload{"me.png", mediatest.PNG(t, mediatest.Halves(64, 64))})
	if res.status != http.StatusSeeOther {
		t.Fatalf("saving: %d\n%.1500s", res.status, res.body)
	}
	if got := h.readContent("authors/kay.md"); got != "---\nname: Kay K\n---\nFrom the form.\n" {
		t.Errorf("kay.md:\n%s", got)
	}
	page := h.get("/authors/kay/")
	mustContain(t, "author page", page.body, "Kay K", "From the form.", `src="/authors/kay/avatar.png"`)
	if res := h.get("/authors/kay/avatar.png"); res.status != http.StatusOK || res.header.Get("Content-Type") != "image/png" {
		t.Errorf("the photo: %d %q", res.status, res.header.Get("Content-Type"))
	}
	mustContain(t, "posts list", b.get("/admin/posts/").body, `href="/admin/profile"`)
	// A reader has no profile form.
	if res := h.get("/admin/profile"); res.status != http.StatusSeeOther {
		t.Errorf("/admin/profile signed out: %d", res.status)
	}
}

// between is the text of s after the first start, up to end.
func between(s, start, end string) string {
	_, after, ok := strings.Cut(s, start)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, end)
	return v
}

// The upload's file name is never used: whatever it says, the photo is
// stored as authors/ID.png (or .jpg) and nowhere else; bytes that are not a
// photo, whatever their name, are refused.
func TestAnUploadsFileNameNeverReachesTheDisk(t *testing.T) {
	h := newHarness(t, massageSite(""), withAuthoring)
	h.addUser("kayrunner", accounts.RoleAuthor)
	if err := h.accounts.SetAuthor(context.Background(), "kayrunner", "kay"); err != nil {
		t.Fatal(err)
	}
	b := h.browser()
	b.signIn("kayrunner")
	png := mediatest.PNG(t, mediatest.Halves(32, 32))
	for _, name := range []string{"../../site.yaml", "/etc/passwd", `..\..\site.yaml`, "kay.md", ".htaccess", "a\x00b.jpg", "../posts/x/index.md"} {
		version := between(b.get("/admin/profile").body, `name="version" value="`, `"`)
		res := b.postMultipart("/admin/profile", map[string]string{"display_name": "Kay", "version": version}, &upload{name, png})
		want := http.StatusSeeOther
		if strings.ContainsRune(name, 0) {
			want = http.StatusBadRequest // no form a browser sends
		}
		if res.status != want {
			t.Errorf("a photo named %q: %d, want %d\n%.1000s", name, res.status, want, res.body)
		}
	}
	version := between(b.get("/admin/profile").body, `name="version" value="`, `"`)
	res := b.postMultipart("/admin/profile", map[string]string{"display_name": "Kay", "version": version},
		&upload{"photo.jpg", []byte("<script>alert(1)</script>")})
	if res.status != http.StatusUnprocessableEntity {
		t.Errorf("a script named photo.jpg: %d, want 422", res.status)
	} else {
		mustContain(t, "a script named photo.jpg", res.body, "the photo cannot be used", `value="Kay"`)
	}
	var names []string
	entries, _ := os.ReadDir(filepath.Join(h.dir, "authors"))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, " ") != "kay.md kay.png" {
		t.Errorf("authors/ holds %v, want kay.md and kay.png", names)
	}
	if got := h.readContent("site.yaml"); got != siteYAML {
		t.Errorf("site.yaml changed:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "posts", "x")); !os.IsNotExist(err) {
		t.Errorf("posts/x: %v", err)
	}
}

// A writer with no profile makes one at /admin/profile, and it is theirs.
func TestAWriterWithoutAProfileMakesOne(t *testing.T) {
	h := newHarness(t, massageSite(""), withAuthoring)
	h.addUser("ana", accounts.RoleContributor)
	b := h.browser()
	b.signIn("ana")
	mustContain(t, "posts list", b.get("/admin/posts/").body, "Write your profile")
	mustContain(t, "profile page", b.get("/admin/profile").body, "this makes one")
	res := b.postMultipart("/admin/profile", map[string]string{"display_name": "Kay-Kay's Bird Club", "bio": "Also Kay."}, nil)
	if res.status != http.StatusSeeOther {
		t.Fatalf("making a profile: %d\n%.1500s", res.status, res.body)
	}
	// kay-kays-bird-club is free; kay.md is another runner's file.
	if got := h.readContent("authors/kay-kays-bird-club.md"); got != "---\nname: Kay-Kay's Bird Club\n---\n\nAlso Kay.\n" {
		t.Errorf("the new profile:\n%s", got)
	}
	if got := h.readContent("authors/kay.md"); got != authorFile {
		t.Errorf("kay.md changed:\n%s", got)
	}
	us, err := h.accounts.List(context.Background())
	if err != nil || len(us) != 1 || us[0].Author != "kay-kays-bird-club" {
		t.Errorf("users = %+v, %v", us, err)
	}
	mustContain(t, "profile page", b.get("/admin/profile").body, `href="/authors/kay-kays-bird-club/"`)
}
