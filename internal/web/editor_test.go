package web_test

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"milepost/internal/accounts"
	"milepost/internal/authoring"
	"milepost/internal/bolt"
	"milepost/internal/content"
	"milepost/internal/web"
)

// withAuthoring serves the content through a content.Source, with the
// editor writing to it.
func withAuthoring(o *harnessConfig) { o.authoring = true }

// editorSource is the content of dir as serve has it (a Source, reloaded
// after each save) and the authoring service over it, its trash beside
// the database.
func editorSource(t *testing.T, dir string, over content.Overrides, db *bolt.DB) (web.SiteSource, *authoring.Service) {
	t.Helper()
	src, err := content.NewSource(context.Background(), dir, over, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("loading content: %v", err)
	}
	svc, err := authoring.New(authoring.Config{Site: src.Current, TrashDir: filepath.Join(t.TempDir(), "trash"), Store: db})
	if err != nil {
		t.Fatalf("authoring.New: %v", err)
	}
	return src, svc
}

// sampleSite is the sample content directory, to edit its real post.
func sampleSite(t *testing.T) siteFiles {
	t.Helper()
	files := siteFiles{}
	root := "../../content"
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		files[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

const samplePost = "posts/massage-during-training.md"

// writerAs adds a user of the role tied to the author profile (none when
// ""), and signs a browser in as them.
func (h *harness) writerAs(name string, role accounts.Role, author string) *browser {
	h.t.Helper()
	h.addUser(name, role)
	if author != "" {
		if err := h.accounts.SetAuthor(context.Background(), name, author); err != nil {
			h.t.Fatalf("tying %s to %s: %v", name, author, err)
		}
	}
	b := h.browser()
	b.signIn(name)
	return b
}

func (h *harness) readFile(rel string) string {
	h.t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, filepath.FromSlash(rel)))
	if err != nil {
		h.t.Fatalf("reading %s: %v", rel, err)
	}
	return string(b)
}

// formFields reads the fields of the page's editor form as a browser
// would send them (an HTML parser drops the newline after <textarea>).
func formFields(t *testing.T, page string) url.Values {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	attr := func(n *html.Node, key string) string {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val
			}
		}
		return ""
	}
	var form *html.Node
	var find func(*html.Node)
	find = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "form" && strings.Contains(attr(n, "class"), "editor-form") {
			form = n
		}
		for c := n.FirstChild; c != nil && form == nil; c = c.NextSibling {
			find(c)
		}
	}
	find(doc)
	if form == nil {
		t.Fatalf("no editor form in:\n%.600s", page)
	}
	v := url.Values{}
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "input":
				if name := attr(n, "name"); name != "" {
					v.Set(name, attr(n, "value"))
				}
			case "textarea":
				var text strings.Builder
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					text.WriteString(c.Data)
				}
				// A browser sends a textarea's line ends as CR LF.
				v.Set(attr(n, "name"), strings.ReplaceAll(text.String(), "\n", "\r\n"))
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return v
}

func with(v url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func wantStatus(t *testing.T, what string, res response, status int) {
	t.Helper()
	if res.status != status {
		t.Fatalf("%s: status %d, want %d\n%.1500s", what, res.status, status, res.body)
	}
}

func TestAWriterCreatesAPostAndTheFileIsAsWritten(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	form := kay.get("/admin/posts/new")
	wantStatus(t, "the new post form", form, http.StatusOK)
	fields := formFields(t, form.body)
	res := kay.postForm("/admin/posts/new", with(fields, "title", "First 10k: done!", "body", "I ran *ten* kilometres.\r\n\r\nThen I ate.\r\n",
		"tags", "race, 10k", "summary", "", "date", "2026-11-20T09:30", "action", "publish"))
	wantStatus(t, "publishing", res, http.StatusSeeOther)
	if loc := res.header.Get("Location"); !strings.HasPrefix(loc, "/admin/posts/first-10k-done/edit?") {
		t.Errorf("after publishing, sent to %s", loc)
	}
	want := "---\ntitle: 'First 10k: done!'\ndate: 2026-11-20T09:30:00Z\nauthor: kay\ntags: [race, 10k]\n---\n\nI ran *ten* kilometres.\n\nThen I ate.\n"
	if got := h.readFile("posts/first-10k-done/index.md"); got != want {
		t.Errorf("the file:\n%s\nwant:\n%s", got, want)
	}
	// The site shows it at once, without waiting for the directory to be
	// polled.
	mustContain(t, "the post", h.get("/posts/first-10k-done/").body, "<em>ten</em>", "First 10k: done!")
	list := kay.get("/admin/posts/")
	mustContain(t, "the writer's list", list.body, "/admin/posts/first-10k-done/edit", "Published")
}

func TestOpeningAndSavingTheSamplePostLeavesItsBytes(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	before := h.readFile(samplePost)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	page := kay.get("/admin/posts/massage-during-training/edit")
	wantStatus(t, "the edit form", page, http.StatusOK)
	res := kay.postForm("/admin/posts/massage-during-training/edit", with(formFields(t, page.body), "action", "publish"))
	wantStatus(t, "saving unchanged", res, http.StatusSeeOther)
	if got := h.readFile(samplePost); got != before {
		t.Errorf("an unchanged save changed the file:\n%s", got)
	}
	mustContain(t, "the history", kay.get("/admin/posts/massage-during-training/edit").body, "None yet")
}

func TestAHandEditMeanwhileIs409WithBothTextsAndTheFileKept(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	fields := formFields(t, kay.get("/admin/posts/massage-during-training/edit").body)
	hand := strings.Replace(h.readFile(samplePost), "Just got home", "Edited by hand: just got home", 1)
	if err := os.WriteFile(filepath.Join(h.dir, samplePost), []byte(hand), 0o644); err != nil {
		t.Fatal(err)
	}
	res := kay.postForm("/admin/posts/massage-during-training/edit", with(fields, "body", "My text from the browser.\r\n", "action", "publish"))
	wantStatus(t, "a save over a hand edit", res, http.StatusConflict)
	mustContain(t, "the conflict page", res.body, "Edited by hand: just got home", "My text from the browser.", "Nothing was overwritten")
	if got := h.readFile(samplePost); got != hand {
		t.Errorf("the hand edit was overwritten:\n%s", got)
	}
}

func TestPreviewUsesThePostTemplateIsNoindexAndSavesNothing(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	before := h.readFile(samplePost)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	fields := formFields(t, kay.get("/admin/posts/massage-during-training/edit").body)
	res := kay.postForm("/admin/posts/massage-during-training/edit", with(fields, "body", "A **bold** preview.\r\n", "action", "preview"))
	wantStatus(t, "preview", res, http.StatusOK)
	mustContain(t, "preview", res.body, `<meta name="robots" content="noindex">`, `class="post h-entry"`, "<strong>bold</strong>")
	if cc := res.header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("preview Cache-Control %q", cc)
	}
	if got := h.readFile(samplePost); got != before {
		t.Error("a preview changed the file")
	}
	// A new post's preview writes nothing either.
	res = kay.postForm("/admin/posts/new", url.Values{"title": {"Not yet"}, "body": {"Soon."}, "action": {"preview"}})
	wantStatus(t, "a new post's preview", res, http.StatusOK)
	if _, err := os.Stat(filepath.Join(h.dir, "posts", "not-yet")); !os.IsNotExist(err) {
		t.Errorf("a preview made the post's folder: %v", err)
	}
}

func TestAContributorSavesDraftsButCannotPublish(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	cai := h.writerAs("cai", accounts.RoleContributor, "kay")
	page := cai.get("/admin/posts/new")
	if strings.Contains(page.body, `value="publish"`) {
		t.Error("a contributor is offered Publish")
	}
	post := url.Values{"title": {"My first run"}, "body": {"It rained."}, "date": {"2026-11-20T09:30"}}
	res := cai.postForm("/admin/posts/new", with(post, "action", "publish"))
	wantStatus(t, "a contributor publishing", res, http.StatusForbidden)
	mustContain(t, "the refusal", res.body, "It rained.", "may write drafts but not publish")
	if _, err := os.Stat(filepath.Join(h.dir, "posts", "my-first-run")); !os.IsNotExist(err) {
		t.Errorf("a refused publish wrote the post: %v", err)
	}
	wantStatus(t, "a contributor's draft", cai.postForm("/admin/posts/new", with(post, "action", "draft")), http.StatusSeeOther)
	mustContain(t, "the draft", h.readFile("posts/my-first-run/index.md"), "draft: true")
	fields := formFields(t, cai.get("/admin/posts/my-first-run/edit").body)
	wantStatus(t, "publishing the saved draft", cai.postForm("/admin/posts/my-first-run/edit", with(fields, "action", "publish")), http.StatusForbidden)
	mustContain(t, "the draft after", h.readFile("posts/my-first-run/index.md"), "draft: true")
	if res := h.get("/posts/my-first-run/"); res.status != http.StatusNotFound {
		t.Errorf("readers see the contributor's draft: %d", res.status)
	}
}

func TestAnAuthorCannotEditAnothersPostButAnEditorCan(t *testing.T) {
	files := sampleSite(t)
	files["authors/lee.md"] = "---\nname: Lee\n---\n"
	h := newHarness(t, files, withAuthoring)
	before := h.readFile(samplePost)
	lee := h.writerAs("lee", accounts.RoleAuthor, "lee")
	wantStatus(t, "another's post's form", lee.get("/admin/posts/massage-during-training/edit"), http.StatusForbidden)
	res := lee.postForm("/admin/posts/massage-during-training/edit", url.Values{"title": {"Mine now"}, "body": {"x"}, "version": {"0"}, "action": {"draft"}})
	wantStatus(t, "saving another's post", res, http.StatusForbidden)
	res = lee.postForm("/admin/posts/massage-during-training/edit", url.Values{"version": {"0"}, "action": {"delete"}})
	wantStatus(t, "deleting another's post", res, http.StatusForbidden)
	if got := h.readFile(samplePost); got != before {
		t.Error("the refused author changed the file")
	}
	if strings.Contains(lee.get("/admin/posts/").body, "/admin/posts/massage-during-training/edit") {
		t.Error("an author's list links to another's post")
	}

	ed := h.writerAs("ed", accounts.RoleEditor, "")
	fields := formFields(t, ed.get("/admin/posts/massage-during-training/edit").body)
	res = ed.postForm("/admin/posts/massage-during-training/edit", with(fields, "title", "Massage during training, edited", "action", "publish"))
	wantStatus(t, "an editor's save", res, http.StatusSeeOther)
	got := h.readFile(samplePost)
	if want := strings.Replace(before, "title: Massage during training", "title: Massage during training, edited", 1); got != want {
		t.Errorf("after the editor's save:\n%s\nwant only the title changed:\n%s", got, want)
	}
	mustContain(t, "the author is kept", got, "author: kay-kays-bird-club")
}

func TestHostileInputNeverReachesAPathAndIsRefused(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	post := url.Values{"body": {"Text."}, "date": {"2026-11-20T09:30"}, "action": {"draft"}}

	// A title is only ever made into a slug: ../x is the slug x.
	wantStatus(t, "title ../x", kay.postForm("/admin/posts/new", with(post, "title", "../x")), http.StatusSeeOther)
	mustContain(t, "the ../x post", h.readFile("posts/x/index.md"), "title: ../x")
	for _, slug := range []string{"../y", "a/b", "Y", "z\x00"} {
		res := kay.postForm("/admin/posts/new", with(post, "title", "Slug test", "slug", slug))
		wantStatus(t, "slug "+slug, res, http.StatusUnprocessableEntity)
		mustContain(t, "slug "+slug, res.body, "A slug is lowercase letters", "Text.")
	}
	res := kay.postForm("/admin/posts/new", with(post, "title", "Nul\x00title"))
	wantStatus(t, "a NUL in the title", res, http.StatusUnprocessableEntity)
	mustContain(t, "a NUL in the title", res.body, "one line of text")
	res = kay.postForm("/admin/posts/new", with(post, "title", "!!!"))
	wantStatus(t, "a title with no slug", res, http.StatusUnprocessableEntity)
	res = kay.postForm("/admin/posts/new", with(post, "title", "Taken", "slug", "massage-during-training"))
	wantStatus(t, "a taken slug", res, http.StatusConflict)
	res = kay.postForm("/admin/posts/new", with(post, "title", "Bad date", "date", "next tuesday"))
	wantStatus(t, "a bad date", res, http.StatusUnprocessableEntity)
	// A body is what content would load from a file: a NUL is kept as
	// typed (as in a hand-written file) and never reaches a page.
	res = kay.postForm("/admin/posts/new", with(post, "title", "Nul body", "body", "a\x00b", "action", "publish"))
	wantStatus(t, "a NUL in the body", res, http.StatusSeeOther)
	if page := h.get("/posts/nul-body/"); page.status != http.StatusOK || strings.Contains(page.body, "\x00") {
		t.Errorf("the post with a NUL: %d, NUL on the page: %t", page.status, strings.Contains(page.body, "\x00"))
	}
	res = kay.postForm("/admin/posts/new", with(post, "title", "Huge", "body", strings.Repeat("a", web.MaxBodyBytes)))
	wantStatus(t, "a body over 1 MiB", res, http.StatusRequestEntityTooLarge)
	res = kay.postForm("/admin/posts/new", with(post, "title", "Large", "body", strings.Repeat("Run. ", 150_000)))
	wantStatus(t, "a 750 KB body", res, http.StatusSeeOther)
	res = kay.postForm("/admin/posts/new", with(post, "title", "What", "action", "explode"))
	wantStatus(t, "an unknown action", res, http.StatusBadRequest)
	for _, dir := range []string{"y", "a", "nul-title", "huge", "taken", "bad-date", "what", "cross-site"} {
		if _, err := os.Stat(filepath.Join(h.dir, "posts", dir)); !os.IsNotExist(err) {
			t.Errorf("a refused post left posts/%s: %v", dir, err)
		}
	}
	// A form sent from another site is refused before it is read.
	res = kay.postForm("/admin/posts/new", with(post, "title", "Cross site"), "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	wantStatus(t, "a cross-site form", res, http.StatusForbidden)
	// Paths the editor routes never open.
	for _, path := range []string{"/admin/posts/..%2Fsite.yaml/edit", "/admin/posts/NOPE/edit", "/admin/posts/nope/edit"} {
		if res := kay.get(path); res.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.status)
		}
	}
}

func TestAWriterWithoutAnAuthorProfileIsToldToAskAnAdmin(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	ana := h.writerAs("ana", accounts.RoleAuthor, "")
	mustContain(t, "the new post form", ana.get("/admin/posts/new").body, "no author profile yet")
	res := ana.postForm("/admin/posts/new", url.Values{"title": {"Hello"}, "body": {"My words."}, "action": {"draft"}})
	wantStatus(t, "saving without a profile", res, http.StatusForbidden)
	mustContain(t, "the refusal", res.body, "Ask an admin", "My words.")
}

func TestDeletingMovesToTheTrashAndAnEditorRestoresIt(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	before := h.readFile(samplePost)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	wantStatus(t, "an author's trash", kay.get("/admin/trash/"), http.StatusForbidden)
	fields := formFields(t, kay.get("/admin/posts/massage-during-training/edit").body)
	res := kay.postForm("/admin/posts/massage-during-training/edit", url.Values{"version": {fields.Get("version")}, "action": {"delete"}})
	wantStatus(t, "delete", res, http.StatusSeeOther)
	if _, err := os.Stat(filepath.Join(h.dir, samplePost)); !os.IsNotExist(err) {
		t.Fatalf("the deleted post's file is still there: %v", err)
	}
	wantStatus(t, "the deleted post", h.get("/posts/massage-during-training/"), http.StatusNotFound)

	ed := h.writerAs("ed", accounts.RoleEditor, "")
	trash := ed.get("/admin/trash/")
	mustContain(t, "the trash", trash.body, "massage-during-training", `action="/admin/trash/1"`)
	wantStatus(t, "restore", ed.postForm("/admin/trash/1", url.Values{}), http.StatusSeeOther)
	if got := h.readFile(samplePost); got != before {
		t.Errorf("the restored file differs:\n%s", got)
	}
	wantStatus(t, "the restored post", h.get("/posts/massage-during-training/"), http.StatusOK)
}

func TestTheHistoryListsEarlierVersionsAndRestoresOne(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	before := h.readFile(samplePost)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	fields := formFields(t, kay.get("/admin/posts/massage-during-training/edit").body)
	wantStatus(t, "an edit", kay.postForm("/admin/posts/massage-during-training/edit", with(fields, "body", "Shorter now.\r\n", "action", "publish")), http.StatusSeeOther)
	page := kay.get("/admin/posts/massage-during-training/edit")
	mustContain(t, "the history", page.body, "Earlier versions", `action="/admin/posts/massage-during-training/history/1"`, "Shorter now.")
	res := kay.postForm("/admin/posts/massage-during-training/history/1", url.Values{"version": {formFields(t, page.body).Get("version")}})
	wantStatus(t, "restoring", res, http.StatusSeeOther)
	if got := h.readFile(samplePost); got != before {
		t.Errorf("the restored file differs:\n%s", got)
	}
	// A stale version is a conflict, and nothing is written.
	res = kay.postForm("/admin/posts/massage-during-training/history/1", url.Values{"version": {fields.Get("version") + "0"}})
	wantStatus(t, "restoring over a newer version", res, http.StatusConflict)
}

func TestModeratorsStillCloseCommentsFromThePostsList(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	mod := h.writerAs("mo", accounts.RoleModerator, "")
	list := mod.get("/admin/posts/")
	mustContain(t, "the moderator's list", list.body, "Massage during training", "Close comments")
	if strings.Contains(list.body, "/edit") {
		t.Error("a moderator is offered the editor")
	}
	wantStatus(t, "the editor for a moderator", mod.get("/admin/posts/new"), http.StatusForbidden)
}

func TestAFutureDateSchedulesThePostAndTheListsFilterByStatus(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring) // the clock says 2026-11-24 12:00 UTC
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	post := url.Values{"body": {"Text."}}
	wantStatus(t, "scheduling", kay.postForm("/admin/posts/new", with(post, "title", "Next week", "date", "2026-12-01T08:00", "action", "publish")), http.StatusSeeOther)
	wantStatus(t, "a draft", kay.postForm("/admin/posts/new", with(post, "title", "Not ready", "date", "2026-11-01T08:00", "action", "draft")), http.StatusSeeOther)
	mustContain(t, "the scheduled file", h.readFile("posts/next-week/index.md"), "date: 2026-12-01T08:00:00-08:00") // the site's zone, with its offset
	wantStatus(t, "a scheduled post before its time", h.get("/posts/next-week/"), http.StatusNotFound)
	mustContain(t, "the edit page", kay.get("/admin/posts/next-week/edit").body, "Scheduled")

	for show, want := range map[string][]string{
		"mine":      {"Next week", "Not ready", "Massage during training"},
		"drafts":    {"Not ready"},
		"scheduled": {"Next week"},
	} {
		list := kay.get("/admin/posts/?show=" + show).body
		for _, title := range []string{"Next week", "Not ready", "Massage during training"} {
			if got, wanted := strings.Contains(list, ">"+title+"</a>"), slices.Contains(want, title); got != wanted {
				t.Errorf("?show=%s lists %q: %t, want %t", show, title, got, wanted)
			}
		}
	}
	// A writer's pages offer only what their role may use.
	cai := h.writerAs("cai", accounts.RoleContributor, "")
	list := cai.get("/admin/posts/")
	wantStatus(t, "a contributor's list", list, http.StatusOK)
	if strings.Contains(list.body, "/admin/bans/") || strings.Contains(list.body, "Close comments") || strings.Contains(list.body, "Next week") {
		t.Errorf("a contributor's list offers moderation or others' posts:\n%s", list.body)
	}
	mustContain(t, "a contributor's list", list.body, "no author profile yet")
	ed := h.writerAs("ed", accounts.RoleEditor, "")
	mustContain(t, "an editor's drafts", ed.get("/admin/posts/?show=drafts").body, ">Not ready</a>")
}

func TestAContributorCannotTakeDownOrRestoreAPublishedVersion(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	before := h.readFile(samplePost)
	// Kay, once an author, is a contributor now; her post is published.
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	fields := formFields(t, kay.get("/admin/posts/massage-during-training/edit").body)
	wantStatus(t, "an edit", kay.postForm("/admin/posts/massage-during-training/edit", with(fields, "body", "Later.\r\n", "action", "publish")), http.StatusSeeOther)
	if err := h.accounts.SetRole(context.Background(), "kay", accounts.RoleContributor); err != nil {
		t.Fatal(err)
	}
	page := kay.get("/admin/posts/massage-during-training/edit")
	version := formFields(t, page.body).Get("version")
	wantStatus(t, "a contributor deleting a published post", kay.postForm("/admin/posts/massage-during-training/edit",
		url.Values{"version": {version}, "action": {"delete"}}), http.StatusForbidden)
	wantStatus(t, "a contributor restoring a published version", kay.postForm("/admin/posts/massage-during-training/history/1",
		url.Values{"version": {version}}), http.StatusForbidden)
	wantStatus(t, "a contributor saving a published post as a draft", kay.postForm("/admin/posts/massage-during-training/edit",
		with(formFields(t, page.body), "body", "Taken down.\r\n", "action", "draft")), http.StatusForbidden)
	wantStatus(t, "the post, for readers", h.get("/posts/massage-during-training/"), http.StatusOK)
	if got := h.readFile(samplePost); got == before || !strings.Contains(got, "Later.") {
		t.Errorf("the refused contributor changed the file:\n%s", got)
	}
}

func TestEditorsSeeTheFilesTheSiteSkippedAndCanMendThem(t *testing.T) {
	files := sampleSite(t)
	files["posts/broken.md"] = "---\ntitle: Broken\ndate: someday\nauthor: kay-kays-bird-club\n---\nText.\n"
	h := newHarness(t, files, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	if strings.Contains(kay.get("/admin/posts/").body, "posts/broken.md") {
		t.Error("an author's list shows the site's problems")
	}
	ed := h.writerAs("ed", accounts.RoleEditor, "")
	mustContain(t, "the editor's list", ed.get("/admin/posts/").body, "Files the site could not load",
		`href="/admin/posts/broken/edit"`, "posts/broken.md", "someday")
	fields := formFields(t, ed.get("/admin/posts/broken/edit").body)
	res := ed.postForm("/admin/posts/broken/edit", with(fields, "date", "2026-11-01T10:00", "action", "publish"))
	wantStatus(t, "mending the date", res, http.StatusSeeOther)
	wantStatus(t, "the mended post", h.get("/posts/broken/"), http.StatusOK)
	if strings.Contains(ed.get("/admin/posts/").body, "Files the site could not load") {
		t.Error("the mended file is still listed as skipped")
	}
}

func TestAPostRemovedWhileItWasEditedShowsTheTextBack(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	fields := formFields(t, kay.get("/admin/posts/massage-during-training/edit").body)
	if err := os.Remove(filepath.Join(h.dir, samplePost)); err != nil {
		t.Fatal(err)
	}
	res := kay.postForm("/admin/posts/massage-during-training/edit", with(fields, "body", "Typed on a phone.\r\n", "action", "publish"))
	wantStatus(t, "a save of a removed post", res, http.StatusConflict)
	mustContain(t, "the answer", res.body, "was removed or moved", "Typed on a phone.")
	if _, err := os.Stat(filepath.Join(h.dir, samplePost)); !os.IsNotExist(err) {
		t.Errorf("the removed post was written again: %v", err)
	}
}
