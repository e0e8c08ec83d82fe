package web_test

import (
	"context"
	"image"
	"math/rand/v2"
	"net/http"
	"net/url"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/media/mediatest"
)

// noisePhoto is a PNG of random opaque pixels, which no compression makes
// smaller: about 3 MB, a phone photo's size and over MaxBodyBytes.
func noisePhoto(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 1000, 1000))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range img.Pix {
		img.Pix[i] = byte(rng.Uint32())
		if i%4 == 3 {
			img.Pix[i] = 0xff
		}
	}
	photo := mediatest.PNG(t, img)
	if len(photo) < 2<<20 {
		t.Fatalf("the photo is %d bytes, not the few MB it should be", len(photo))
	}
	return photo
}

// Under -base-url with a path, the forms that take photos take them as
// they do at the root: the bound of a request's body is its route's.
func TestUnderABasePathTheEditorAndProfileTakeARealPhoto(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring, withBaseURL("http://x.test/blog"))
	h.addUser("kay", accounts.RoleAuthor)
	if err := h.accounts.SetAuthor(context.Background(), "kay", "kay"); err != nil {
		t.Fatal(err)
	}
	kay := h.browser()
	res := kay.postForm("/blog/admin/login", url.Values{"name": {"kay"}, "password": {"kay has a long password"}})
	wantStatus(t, "signing in under /blog", res, http.StatusSeeOther)
	photo := noisePhoto(t)

	form := kay.get("/blog/admin/posts/new")
	wantStatus(t, "the new post form", form, http.StatusOK)
	fields := with(formFields(t, form.body), "date", "2026-11-20T09:30", "title", "Long run", "body", "Thirty k.",
		"photo_alts", "The river path", "action", "draft")
	res = kay.postWithPhotos("/blog/admin/posts/new", fields, upload{name: "river.png", data: photo})
	wantStatus(t, "a new post with a 3 MB photo under /blog", res, http.StatusSeeOther)
	if got := h.bundleFiles("posts/long-run"); len(got) != 2 {
		t.Errorf("the new bundle holds %v, want index.md and the photo", got)
	}
	edit := kay.get("/blog/admin/posts/long-run/edit")
	wantStatus(t, "the edit form", edit, http.StatusOK)
	res = kay.postWithPhotos("/blog/admin/posts/long-run/edit", with(formFields(t, edit.body), "photo_alts", "The bridge", "action", "draft"),
		upload{name: "bridge.png", data: photo})
	wantStatus(t, "an edit with a 3 MB photo under /blog", res, http.StatusSeeOther)

	profile := kay.get("/blog/admin/profile")
	wantStatus(t, "the profile page", profile, http.StatusOK)
	res = kay.postMultipart("/blog/admin/profile", map[string]string{"display_name": "Kay Runner", "website": "", "bio": "Runs.",
		"version": formValue(t, profile.body, "version")}, &upload{name: "kay.png", data: photo})
	wantStatus(t, "a profile with a 3 MB photo under /blog", res, http.StatusSeeOther)

	// Every other route keeps MaxBodyBytes.
	res = kay.postForm("/blog/admin/login", url.Values{"name": {"kay"}, "password": {string(photo)}})
	wantStatus(t, "a 3 MB sign-in form", res, http.StatusRequestEntityTooLarge)
}
