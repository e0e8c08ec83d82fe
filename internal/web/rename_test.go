package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/media/mediatest"
)

// formValue is the value of the first input named name on the page.
func formValue(t *testing.T, page, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `"[^>]* value="([^"]*)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no input %s on the page:\n%.1500s", name, page)
	}
	return m[1]
}

func itoa(id uint64) string { return strconv.FormatUint(id, 10) }

// saveDraft saves the post's edit form as a draft with kv changed, and
// wants it saved.
func saveDraft(t *testing.T, b *browser, slug string, kv ...string) response {
	t.Helper()
	page := b.get("/admin/posts/" + slug + "/edit")
	wantStatus(t, "the edit form", page, http.StatusOK)
	res := b.postForm("/admin/posts/"+slug+"/edit", with(formFields(t, page.body), append([]string{"action", "draft"}, kv...)...))
	return res
}

func TestADraftsNewSlugMovesItsFolderHistoryAndPreviewLinks(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	res := kay.postWithPhotos("/admin/posts/new", newPostFields(t, kay, "title", "Long run", "body", "Thirty k.",
		"photo_alts", "The river path", "action", "draft"), upload{name: "river.jpg", data: mediatest.JPEG(t, mediatest.Halves(64, 48))})
	wantStatus(t, "saving the draft", res, http.StatusSeeOther)
	wantStatus(t, "saving it again", saveDraft(t, kay, "long-run", "body", "Thirty-two k.\r\n\r\n![The river path](river.jpg)\r\n"), http.StatusSeeOther)
	token := makePreviewLink(t, kay, "long-run")

	page := kay.get("/admin/posts/long-run/edit")
	mustContain(t, "a draft's edit page", page.body, `<input id="post-slug" name="slug"`, `value="long-run"`)
	res = kay.postForm("/admin/posts/long-run/edit", with(formFields(t, page.body), "action", "draft", "slug", "sunday-long-run"))
	wantStatus(t, "renaming", res, http.StatusSeeOther)
	if loc := res.header.Get("Location"); !strings.HasPrefix(loc, "/admin/posts/sunday-long-run/edit?") {
		t.Errorf("after renaming, sent to %s", loc)
	}
	if got := h.bundleFiles("posts/sunday-long-run"); !slices.Equal(got, []string{"index.md", "river.jpg"}) {
		t.Errorf("the new folder holds %v", got)
	}
	if _, err := os.Stat(filepath.Join(h.dir, "posts/long-run")); !os.IsNotExist(err) {
		t.Errorf("the old folder is still there: %v", err)
	}
	ctx := context.Background()
	if old, _ := h.db.Revisions(ctx, "long-run"); len(old) != 0 {
		t.Errorf("revisions left under the old slug: %+v", old)
	}
	// The save before, and the one that moved it.
	if revs, _ := h.db.Revisions(ctx, "sunday-long-run"); len(revs) != 2 || revs[0].File != "posts/long-run/index.md" {
		t.Errorf("the history under the new slug: %+v", revs)
	}
	edit := kay.get("/admin/posts/sunday-long-run/edit")
	mustContain(t, "the moved post's edit page", edit.body, "Restore this version", `src="/posts/sunday-long-run/river.jpg?w=480"`)
	if strings.Contains(edit.body, "None: no one without an account") {
		t.Error("the preview link did not follow the post")
	}
	mustContain(t, "the preview link", h.get("/preview/"+token+"/").body, "Thirty-two k.")
	if res := kay.get("/posts/sunday-long-run/river.jpg"); res.status != http.StatusOK {
		t.Errorf("the moved draft's photo for its writer: %d", res.status)
	}
	checkDB(t, h)
}

func TestANewSlugThatIsTakenOrInvalidIsRefusedWithTheTextKept(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/plan/index.md":  "---\ntitle: Plan\ndate: 2026-11-01\nauthor: kay\ndraft: true\n---\n\nPlan.\n",
		"posts/taken/index.md": "---\ntitle: Taken\ndate: 2026-11-01\nauthor: kay\n---\n\nTaken.\n",
	}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	res := saveDraft(t, kay, "plan", "slug", "taken", "body", "My new words.")
	wantStatus(t, "a taken slug", res, http.StatusConflict)
	mustContain(t, "the answer", res.body, "Another post has this slug", "My new words.", `value="taken"`)
	res = saveDraft(t, kay, "plan", "slug", "../taken", "body", "My new words.")
	wantStatus(t, "an invalid slug", res, http.StatusUnprocessableEntity)
	mustContain(t, "the answer", res.body, "A slug is lowercase letters", "My new words.")
	if got := h.readFile("posts/plan/index.md"); !strings.Contains(got, "\nPlan.\n") {
		t.Errorf("a refused rename changed the file:\n%s", got)
	}
}

func TestAPublishedPostKeepsItsSlug(t *testing.T) {
	h := newHarness(t, siteFiles{
		"posts/race/index.md": "---\ntitle: Race\ndate: 2026-11-01\nauthor: kay\n---\n\nRace.\n",
	}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	page := kay.get("/admin/posts/race/edit")
	mustContain(t, "a published post's edit page", page.body, "/posts/race/", "its address may be linked to")
	if strings.Contains(page.body, `name="slug"`) {
		t.Error("a published post's slug is editable")
	}
	// A form sent with a slug anyway is refused.
	res := kay.postForm("/admin/posts/race/edit", with(formFields(t, page.body), "action", "publish", "slug", "race-day", "body", "Kept."))
	wantStatus(t, "renaming a published post", res, http.StatusConflict)
	mustContain(t, "the answer", res.body, "its address may be linked to and stays", "Kept.")

	// Taken down, it is a draft that was published: its address stays too.
	wantStatus(t, "unpublishing", saveDraft(t, kay, "race"), http.StatusSeeOther)
	page = kay.get("/admin/posts/race/edit")
	if strings.Contains(page.body, `name="slug"`) {
		t.Error("a draft that was published has an editable slug")
	}
	res = kay.postForm("/admin/posts/race/edit", with(formFields(t, page.body), "action", "draft", "slug", "race-day"))
	wantStatus(t, "renaming a draft that was published", res, http.StatusConflict)
	if got := h.bundleFiles("posts"); !slices.Equal(got, []string{"race"}) {
		t.Errorf("posts/ holds %v", got)
	}
}

func TestAProfilesEarlierVersionsAreListedAndRestorable(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	page := kay.get("/admin/profile")
	mustContain(t, "the profile page", page.body, "Earlier versions", "None yet")
	version := formValue(t, page.body, "version")
	res := kay.postMultipart("/admin/profile", map[string]string{"display_name": "Kay Runner", "website": "", "bio": "New bio.", "version": version}, nil)
	wantStatus(t, "saving the profile", res, http.StatusSeeOther)
	if got := h.readFile("authors/kay.md"); !strings.Contains(got, "name: Kay Runner") {
		t.Fatalf("the profile file:\n%s", got)
	}
	revs, err := h.db.Revisions(context.Background(), "authors/kay")
	if err != nil || len(revs) != 1 {
		t.Fatalf("the profile's history: %+v, %v", revs, err)
	}
	if posts, _ := h.db.Revisions(context.Background(), "kay"); len(posts) != 0 {
		t.Errorf("the profile's history is under a post's slug: %+v", posts)
	}
	page = kay.get("/admin/profile")
	mustContain(t, "the profile page", page.body, "Restore this version", "/admin/profile/history/")

	// A restore based on an older version is a conflict, and writes nothing.
	res = kay.postForm("/admin/profile/history/"+itoa(revs[0].ID), url.Values{"version": {version}})
	wantStatus(t, "restoring over a changed file", res, http.StatusConflict)
	res = kay.postForm("/admin/profile/history/"+itoa(revs[0].ID), url.Values{"version": {formValue(t, page.body, "version")}})
	wantStatus(t, "restoring", res, http.StatusSeeOther)
	if got := h.readFile("authors/kay.md"); got != authorFile {
		t.Errorf("the restored profile:\n%s\nwant:\n%s", got, authorFile)
	}
	if revs, _ := h.db.Revisions(context.Background(), "authors/kay"); len(revs) != 2 {
		t.Errorf("after the restore the history has %d versions, want 2", len(revs))
	}
	// Only one's own profile: another's version ID restores nothing of theirs.
	zoe := h.writerAs("zoe", accounts.RoleAuthor, "")
	wantStatus(t, "a writer without a profile restoring", zoe.postForm("/admin/profile/history/"+itoa(revs[0].ID), url.Values{"version": {version}}), http.StatusNotFound)
	checkDB(t, h)
}
