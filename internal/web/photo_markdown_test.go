package web_test

import (
	"html"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/media/mediatest"
)

// The edit page lists a bundle's photos with the Markdown that shows each,
// written as a save writes a new photo's line: a name placed by hand with
// spaces, parentheses, "?" or "#" still shows its photo once pasted.
func TestTheMarkdownOfAHandPlacedPhotoShowsItWhateverItsName(t *testing.T) {
	photo := string(mediatest.JPEG(t, mediatest.Halves(64, 48)))
	names := []string{"finish (2).jpg", "my photo.jpg", "what?#.jpg"}
	files := siteFiles{"posts/race/index.md": "---\ntitle: Race\ndate: 2026-11-01\nauthor: kay\n---\n\nRace day.\n"}
	for _, n := range names {
		files["posts/race/"+n] = photo
	}
	h := newHarness(t, files, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	page := kay.get("/admin/posts/race/edit")
	wantStatus(t, "the edit page", page, http.StatusOK)
	var lines []string
	for _, m := range regexp.MustCompile(`<code>(!\[Describe the photo\][^<]*)</code>`).FindAllStringSubmatch(page.body, -1) {
		lines = append(lines, html.UnescapeString(m[1]))
	}
	if len(lines) != len(names) {
		t.Fatalf("the edit page lists the Markdown of %d photos, want %d: %q", len(lines), len(names), lines)
	}
	res := kay.postForm("/admin/posts/race/edit", with(formFields(t, page.body), "action", "publish",
		"body", "Race day.\r\n\r\n"+strings.Join(lines, "\r\n\r\n")+"\r\n"))
	wantStatus(t, "saving the photos' lines", res, http.StatusSeeOther)
	post := h.get("/posts/race/").body
	if got := strings.Count(post, `srcset="`); got != len(names) {
		t.Errorf("the post shows %d photos with their variants, want %d; its lines: %q", got, len(names), lines)
	}
}
