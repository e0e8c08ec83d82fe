package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"image"
	_ "image/jpeg" // to read the served photos' sizes
	_ "image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/mmcdole/gofeed"
	"github.com/rwcarlsen/goexif/exif"
	"go.yaml.in/yaml/v3"

	"milepost/internal/accounts"
	"milepost/internal/content"
	"milepost/internal/media/mediatest"
)

// The people of the story and what they type.
const (
	clubAdmin         = "club-admin"
	clubAdminPassword = "the admin's long password"
	editorName        = "sam-edits"
	editorPassword    = "the editor's long password"

	runnerName     = "dana"
	runnerPassword = "ridge runner password"
	runnerDisplay  = "Dana Okafor"
	runnerBio      = "Trail runner, *slow* and happy. Training for my first 50k."
	runnerWebsite  = "https://dana.example.org/"

	storyTitle = "Twenty miles on the ridge"
	storySlug  = "twenty-miles-on-the-ridge"
	storyTags  = "long run, hills"
	// storyBody is the Markdown the runner types: a heading, a list and a
	// link, as a phone's keyboard sends them.
	storyBody = "Up at five, out the door by six.\n\n" +
		"## Splits\n\n" +
		"- First ten: easy, 9:40 a mile\n" +
		"- Second ten: the ridge, walking the steep bits\n\n" +
		"The loop is on the [club's route page](https://club.example.org/routes/ridge)."

	jpegUpload = "IMG_2041.JPG"
	jpegAlt    = "The summit cairn at dawn, fog in the valley below"
	pngUpload  = "Route map.png"
	pngAlt     = "Map of the ridge loop, twenty miles"

	contributorName     = "lee"
	contributorPassword = "first parkrun password"
	contributorDisplay  = "Lee Park"
	contributorTitle    = "My first parkrun"
	contributorSlug     = "my-first-parkrun"
	contributorBody     = "Five kilometres in the rain, and I loved it."
	reviewNote          = "Lovely! Please add your finishing time before it goes out."
	contributorAddition = "\n\nMy time: 31:12."
)

// storyTimeout bounds each tab of the story: its tabs live through all of
// it, which is longer than one test of a single page. Alone the story takes
// under a minute; under CI's -race run, beside every other package's tests,
// its first five steps alone took 75 s, so the bound leaves room for that
// and still ends a hung browser well inside CI's budget.
const storyTimeout = 6 * time.Minute

// story is the shared state of TestStory's steps: the server, the people's
// tabs, and what one step learns for the next.
type story struct {
	t    *testing.T
	srv  *server
	tabs []*tab

	admin, runner, stranger, contributor, editor *tab

	authorID string // the runner's author profile, content/authors/ID.md
	uploads  map[string][]byte
	// photos are the bundle's photo files, in the order the editor
	// appended them, with their alt text.
	photos []storyPhoto
	// typedBody is the runner's Markdown as the edit page now holds it:
	// what they typed, plus the editor's photo lines.
	typedBody string
}

type storyPhoto struct{ alt, file string }

// step runs one part of the story as a subtest, its tabs reporting to it.
// A failed step ends the story: every later step builds on it.
func (s *story) step(name string, f func(t *testing.T)) {
	s.t.Helper()
	ok := s.t.Run(name, func(t *testing.T) {
		for _, tb := range s.tabs {
			tb.t = t
		}
		defer func() {
			for _, tb := range s.tabs {
				tb.t = s.t
			}
		}()
		f(t)
	})
	if !ok {
		s.t.FailNow()
	}
}

// TestStory is issue 8's whole authoring story through a real Chromium: an
// admin invites a runner, who joins on a phone, writes a post with two
// photos (one carrying its GPS position), previews it, shares a preview
// link and publishes; the post reaches the home page and the three feeds,
// its photos are served without metadata in several widths, the file on
// disk is what the runner wrote, a hand edit made meanwhile is neither
// overwritten nor overwrites; and a contributor's post goes through an
// editor's review.
func TestStory(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil,
		withAccount(clubAdmin, accounts.RoleAdmin, clubAdminPassword),
		withAccount(editorName, accounts.RoleEditor, editorPassword))
	s := &story{t: t, srv: srv}
	for _, tb := range []**tab{&s.admin, &s.runner, &s.stranger, &s.contributor, &s.editor} {
		*tb = newTabWithin(t, storyTimeout)
		s.tabs = append(s.tabs, *tb)
	}

	var inviteURL string
	s.step("1 the admin invites a runner as an author", func(t *testing.T) {
		signIn(s.admin, srv.base, clubAdmin, clubAdminPassword)
		inviteURL = s.invite(accounts.RoleAuthor)
	})

	s.step("2 the runner joins on a phone and fills in their profile", func(t *testing.T) {
		onAPhone(s.runner)
		s.authorID = s.join(s.runner, inviteURL, runnerName, runnerPassword, runnerDisplay, runnerBio, runnerWebsite)
		if got := s.runner.text("main h1"); got != "Welcome, "+runnerName {
			t.Errorf("after joining, the page is headed %q, want Welcome, %s", got, runnerName)
		}
		if got := s.runner.text("main .lede strong"); got != "author" {
			t.Errorf("the welcome page says the runner's role is %q, want author", got)
		}
		profile, err := os.ReadFile(filepath.Join(srv.contentDir, "authors", s.authorID+".md"))
		if err != nil {
			t.Fatalf("the runner's profile file: %v", err)
		}
		for _, want := range []string{runnerDisplay, runnerBio, runnerWebsite} {
			if !strings.Contains(string(profile), want) {
				t.Errorf("content/authors/%s.md does not hold %q:\n%s", s.authorID, want, profile)
			}
		}
		// The link worked once.
		if res, body := srv.get(t, strings.TrimPrefix(inviteURL, srv.base)); res.StatusCode == http.StatusOK || strings.Contains(body, `id="join-name"`) {
			t.Errorf("the invite link still offers the join form after it was used: status %d", res.StatusCode)
		}
	})

	s.step("3 the runner writes a post with two photos and saves a draft", func(t *testing.T) {
		s.writePost(t)
	})

	s.step("4 the preview shows the draft with both photos", func(t *testing.T) {
		r := s.runner
		if status := r.clickAndLoad(`form.editor-form button[name="action"][value="preview"]`); status != http.StatusOK {
			t.Fatalf("previewing: status %d", status)
		}
		s.checkRendered(r, "the preview")
		if n := r.count(`meta[name="robots"][content~="noindex"]`); n != 1 {
			t.Errorf("the preview has %d noindex robots tags, want 1", n)
		}
	})

	s.step("5 a preview link shows the draft to someone not signed in", func(t *testing.T) {
		r := s.runner
		openPage(r, srv.base+"/admin/posts/"+storySlug+"/edit", "the edit page")
		if status := r.clickAndLoad(`.preview-links form[action="/admin/posts/` + storySlug + `/preview-links"] button`); status != http.StatusCreated {
			t.Fatalf("making a preview link: status %d", status)
		}
		link := run(r, "reading the preview link", chromedp.Value(chromedp.ID("new-preview-link")))
		fitsThePhone(r, "the edit page with its preview links")
		path, ok := strings.CutPrefix(link, "http://milepost.test")
		if !ok || !strings.HasPrefix(path, "/preview/") {
			t.Fatalf("the preview link is %q, want one under the site's base URL at /preview/", link)
		}
		// A stranger: no session, no account.
		if res, _ := srv.get(t, "/posts/"+storySlug+"/"); res.StatusCode != http.StatusNotFound {
			t.Errorf("the draft at its own address, for a stranger: status %d, want 404", res.StatusCode)
		}
		openPage(s.stranger, srv.base+path, "the preview link, for a stranger")
		if got := s.stranger.text("article.post h1"); got != storyTitle {
			t.Errorf("the preview link shows a post headed %q, want %q", got, storyTitle)
		}
		s.checkRendered(s.stranger, "the preview link")
		if n := s.stranger.count(`meta[name="robots"][content~="noindex"]`); n != 1 {
			t.Errorf("the preview link's page has %d noindex robots tags, want 1", n)
		}
		if res, _ := srv.get(t, path); !strings.Contains(res.Header.Get("X-Robots-Tag"), "noindex") {
			t.Errorf("the preview link's X-Robots-Tag is %q, want noindex", res.Header.Get("X-Robots-Tag"))
		}
	})

	s.step("6 the runner publishes: the home page and the three feeds have it", func(t *testing.T) {
		r := s.runner
		openPage(r, srv.base+"/admin/posts/"+storySlug+"/edit", "the edit page")
		// The photos' thumbnails sit just above the buttons and load when
		// they come into view: if they moved the buttons, a tap aimed at
		// Publish would land elsewhere (as it did, now and then, here).
		if shift := layoutShiftScrollingTo(r, `form.editor-form button[name="action"][value="publish"]`); shift != 0 {
			t.Errorf("the edit page moves (layout shift %.3f) when its photos' thumbnails arrive, under the runner's finger", shift)
		}
		if status := r.clickAndLoad(`form.editor-form button[name="action"][value="publish"]`); status != http.StatusOK {
			t.Fatalf("publishing: status %d", status)
		}
		if got := r.text("p.notice[role=status]"); got != "Published." {
			t.Errorf("the notice after publishing reads %q, want Published.", got)
		}
		// The runner's list of posts says so, on the phone too.
		openPage(r, srv.base+"/admin/posts/", "the runner's posts page")
		row := `.admin-table tr:has(a[href="/admin/posts/` + storySlug + `/edit"])`
		if got := r.text(row + " td:nth-child(2)"); got != "Published" {
			t.Errorf("the runner's list gives the post the status %q, want Published", got)
		}
		fitsThePhone(r, "the runner's list of posts")
		s.checkOnHomePage(r, storySlug, storyTitle)
		s.checkInFeeds(t, storySlug, storyTitle)
	})

	s.step("7 the served photos have no metadata and come in several widths", func(t *testing.T) {
		s.checkServedPhotos(t)
	})

	s.step("8 the Markdown file is what the runner wrote", func(t *testing.T) {
		s.checkFileOnDisk(t)
	})

	s.step("9 a hand edit made while the runner edits is kept, and so is the runner's text", func(t *testing.T) {
		s.conflictingHandEdit(t)
	})

	s.step("10 a contributor's post goes through an editor's review", func(t *testing.T) {
		s.review(t)
	})
}

// signIn signs tb in at the sign-in page.
func signIn(tb *tab, base, name, password string) {
	tb.t.Helper()
	openPage(tb, base+"/admin/login", "the sign-in page")
	tb.do("filling the sign-in form",
		chromedp.SendKeys(chromedp.ID("login-name"), name),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
	)
	if status := tb.clickAndLoad(`form[action="/admin/login"] button[type="submit"]`); status != http.StatusOK {
		tb.t.Fatalf("signing in as %s: the page after it has status %d", name, status)
	}
	if got, want := tb.text(".admin-nav .who"), name+" ("; !strings.HasPrefix(got, want) {
		tb.t.Fatalf("after signing in as %s, the admin pages say %q is signed in", name, got)
	}
}

// openPage loads the page at url in tb, which must answer 200.
func openPage(tb *tab, url, what string) {
	tb.t.Helper()
	if status := tb.navigate(url); status != http.StatusOK {
		tb.t.Fatalf("%s: status %d", what, status)
	}
}

// typeAtEnd types text at the end of the field, as a person who taps
// after the last word does.
func typeAtEnd(tb *tab, id, text string) {
	tb.t.Helper()
	tb.do("typing at the end of #"+id,
		chromedp.Focus(chromedp.ID(id)),
		chromedp.Evaluate[chromedp.Void](`(() => { const f = document.getElementById(`+jsString(id)+`); f.setSelectionRange(f.value.length, f.value.length); })()`),
		chromedp.KeyEvent(text),
	)
}

// onAPhone makes tb a 390×844 phone screen.
func onAPhone(tb *tab) {
	tb.t.Helper()
	if _, err := chromedp.Call(tb.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: phoneWidth, Height: phoneHeight, DeviceScaleFactor: 3, Mobile: true,
	}); err != nil {
		tb.t.Fatalf("emulating a phone: %v", err)
	}
	if _, err := chromedp.Call(tb.ctx, emulation.SetTouchEmulationEnabled, emulation.SetTouchEmulationEnabledParams{Enabled: true, MaxTouchPoints: 5}); err != nil {
		tb.t.Fatalf("emulating a touch screen: %v", err)
	}
}

// layoutShiftScrollingTo scrolls the element sel finds into the middle of
// the screen, as a person about to tap it would, waits for every image
// the page has begun to load, and returns how much the page's layout moved
// meanwhile (the Layout Instability API's layout-shift score, summed).
func layoutShiftScrollingTo(tb *tab, sel string) float64 {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	shift, err := evalRetrying[float64](ctx, waitForElement(sel, `(el) => new Promise((resolve) => {
		let shift = 0;
		new PerformanceObserver((list) => {
			for (const e of list.getEntries()) {
				if (!e.hadRecentInput) shift += e.value;
			}
		}).observe({type: "layout-shift", buffered: false});
		el.scrollIntoView({block: "center"});
		const settled = () => Array.from(document.images).every((i) => i.complete);
		// Lazy images start to load once they are near the screen; two
		// frames later they have started, and once all are complete two
		// more frames let the observer report the shifts they made.
		const frames = (n, then) => n === 0 ? then() : requestAnimationFrame(() => frames(n - 1, then));
		const wait = () => settled() ? frames(2, () => setTimeout(() => resolve(shift), 50)) : setTimeout(wait, 20);
		frames(2, wait);
	})`))
	if err != nil {
		tb.fatal("scrolling to "+sel+" and waiting for the page to settle", err)
	}
	return shift
}

// fitsThePhone checks that the page needs no sideways scrolling on the
// phone's screen.
func fitsThePhone(tb *tab, page string) {
	tb.t.Helper()
	if w := eval[int](tb, `document.documentElement.scrollWidth`); w > phoneWidth {
		tb.t.Errorf("%s is %d px wide on a %d px phone: the page must be scrolled sideways", page, w, phoneWidth)
	}
}

// invite makes an invite for role on the admin's Users page and returns
// its link, at the test server's address.
func (s *story) invite(role accounts.Role) string {
	a := s.admin
	a.t.Helper()
	openPage(a, s.srv.base+"/admin/users/", "the Users page")
	a.do("choosing the invite's role", chromedp.SetValue(chromedp.ID("invite-role"), string(role)))
	if status := a.clickAndLoad(`form[action="/admin/users/invites"] button[type="submit"]`); status != http.StatusOK {
		a.t.Fatalf("making an invite: status %d", status)
	}
	link := run(a, "reading the invite link", chromedp.Value(chromedp.ID("invite-link")))
	// The page gives the link at the site's base URL; the test's server
	// listens elsewhere.
	path, ok := strings.CutPrefix(link, "http://milepost.test")
	if !ok || !strings.HasPrefix(path, "/admin/invite?token=") {
		a.t.Fatalf("the invite link is %q, want one at the base URL's /admin/invite?token=", link)
	}
	if got := a.text("main"); !strings.Contains(got, "Send this invite to the runner") {
		a.t.Errorf("the Users page does not tell the admin what to do with the invite")
	}
	if n := a.count(`form[action^="/admin/users/invites/"][action$="/revoke"]`); n < 1 {
		a.t.Errorf("the pending invite is not listed with a Revoke button")
	}
	return s.srv.base + path
}

// join opens an invite link in tb, chooses the name and password, fills in
// the author profile and joins; it returns the author profile's ID.
func (s *story) join(tb *tab, link, name, password, display, bio, website string) string {
	tb.t.Helper()
	openPage(tb, link, "the invite link")
	if got := tb.text("main h1"); got != "Join" {
		tb.t.Fatalf("the invite link's page is headed %q, want Join", got)
	}
	if tb == s.runner {
		fitsThePhone(tb, "the invite page")
	}
	tb.do("filling the invite form",
		chromedp.SendKeys(chromedp.ID("join-name"), name),
		chromedp.SendKeys(chromedp.ID("join-password"), password),
		chromedp.SendKeys(chromedp.ID("join-confirm"), password),
		chromedp.SendKeys(chromedp.ID("profile-name"), display),
		chromedp.SendKeys(chromedp.ID("profile-bio"), bio),
	)
	if website != "" {
		tb.do("filling in the website", chromedp.SendKeys(chromedp.ID("profile-website"), website))
	}
	if status := tb.clickAndLoad(`form[action="/admin/invite"] button[type="submit"]`); status != http.StatusOK {
		tb.t.Fatalf("joining: the page after it has status %d: %s", status, tb.text("main"))
	}
	if loc := tb.location(); loc != s.srv.base+"/admin/welcome" {
		tb.t.Fatalf("joining led to %s, want the welcome page: %s", loc, tb.text("main"))
	}
	href := eval[string](tb, `document.querySelector("main .lede a[href^='/authors/']")?.getAttribute("href") ?? ""`)
	id := strings.TrimSuffix(strings.TrimPrefix(href, "/authors/"), "/")
	if id == "" || strings.Contains(id, "/") {
		tb.t.Fatalf("the welcome page links no author profile (%q): the runner's profile was not made", href)
	}
	return id
}

// writePost is step 3: the runner, on the phone, types the post, chooses
// two photos at once with their alt text and saves a draft.
func (s *story) writePost(t *testing.T) {
	r := s.runner
	dir := t.TempDir()
	s.uploads = map[string][]byte{
		// A phone's photo, stored sideways with orientation 6, carrying
		// the runner's street in its GPS tags.
		jpegUpload: mediatest.PhoneJPEG(t, 1800, 1200, 6),
		// A screenshot whose text chunk names a place.
		pngUpload: mediatest.WithText(t, mediatest.PNG(t, mediatest.Halves(1000, 700)), "Location", "12 Home Street"),
	}
	var files []string
	for _, name := range []string{jpegUpload, pngUpload} {
		// What the served photos are checked for must be in what is sent.
		if metadataIn(s.uploads[name]) == "" {
			t.Fatalf("the test's %s carries no metadata to strip", name)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, s.uploads[name], 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, path)
	}

	openPage(r, s.srv.base+"/admin/posts/new", "the new post page")
	fitsThePhone(r, "the new post page")
	if n := r.count(`form.editor-form[enctype="multipart/form-data"] input[type="file"][name="photos"][multiple]`); n != 1 {
		t.Fatalf("the editor has no multipart form with a multiple photos field")
	}
	r.do("typing the post",
		chromedp.SendKeys(chromedp.ID("post-title"), storyTitle),
		chromedp.SendKeys(chromedp.ID("post-body"), storyBody),
		chromedp.SendKeys(chromedp.ID("post-tags"), storyTags),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type="file"][name="photos"]`), files),
		chromedp.SendKeys(chromedp.CSS(`textarea[name="photo_alts"]`), jpegAlt+"\n"+pngAlt),
	)
	if got := eval[int](r, `document.querySelector('input[name="photos"]').files.length`); got != 2 {
		t.Fatalf("the photos field holds %d files, want the two chosen", got)
	}
	if status := r.clickAndLoad(`form.editor-form button[name="action"][value="draft"]`); status != http.StatusOK {
		t.Fatalf("saving the draft: the page after it has status %d: %s", status, r.text("main"))
	}
	if loc := r.location(); !strings.HasPrefix(loc, s.srv.base+"/admin/posts/"+storySlug+"/edit") {
		t.Fatalf("saving the draft led to %s, want the post's edit page: %s", loc, r.text("main"))
	}
	if got := r.text("p.notice[role=status]"); got != "Saved as a draft." {
		t.Errorf("the notice after saving reads %q, want Saved as a draft.", got)
	}
	if got, want := run(r, "reading the status line", chromedp.TextContent(chromedp.CSS("main .page-head .eyebrow"))), "Draft · posts/"+storySlug+"/index.md"; got != want {
		t.Errorf("the edit page's status line reads %q, want %q", got, want)
	}
	fitsThePhone(r, "the edit page")

	// The editor put a line per photo at the end of what was typed, and
	// the photos in the post's bundle. The field shows the story from
	// its first line: the blank line after the front matter is the
	// file's, not the runner's.
	s.typedBody = run(r, "reading the story field", chromedp.Value(chromedp.ID("post-body")))
	rest, ok := strings.CutPrefix(s.typedBody, storyBody)
	if !ok {
		t.Fatalf("the story field no longer starts with what the runner typed:\n%q", s.typedBody)
	}
	s.photos = photoLines(t, rest)
	if len(s.photos) != 2 || s.photos[0].alt != jpegAlt || s.photos[1].alt != pngAlt {
		t.Fatalf("the photo lines added to the story are %q, want the JPEG's then the PNG's with their alt text", s.photos)
	}
	for i, ext := range []string{".jpg", ".png"} {
		if f := s.photos[i].file; filepath.Ext(f) != ext || f != strings.ToLower(f) || strings.ContainsAny(f, " /_") {
			t.Errorf("photo %d is stored as %q, want a lower-case name of letters, digits and hyphens ending %s", i+1, f, ext)
		}
	}
	bundle := filepath.Join(s.srv.contentDir, "posts", storySlug)
	entries, err := os.ReadDir(bundle)
	if err != nil {
		t.Fatalf("the post's bundle: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{"index.md", s.photos[0].file, s.photos[1].file}
	slices.Sort(names)
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("the bundle holds %q, want %q", names, want)
	}
	// What is stored is already stripped: the upload's bytes are nowhere.
	for _, p := range s.photos {
		b, err := os.ReadFile(filepath.Join(bundle, p.file))
		if err != nil {
			t.Fatalf("the stored photo: %v", err)
		}
		if leak := metadataIn(b); leak != "" {
			t.Errorf("the stored %s has %s", p.file, leak)
		}
		for name, up := range s.uploads {
			if bytes.Equal(b, up) {
				t.Errorf("the stored %s is the upload %s as it was sent", p.file, name)
			}
		}
	}
}

// photoMarkdown is a Markdown image on a line of its own.
var photoMarkdown = regexp.MustCompile(`^!\[([^\]]*)\]\(([^)\s]+)\)$`)

// photoLines reads the lines the editor appends for photos: blank lines
// and images only.
func photoLines(t *testing.T, text string) []storyPhoto {
	t.Helper()
	var out []storyPhoto
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if strings.TrimSpace(line) == "" {
			continue
		}
		m := photoMarkdown.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("after the runner's text there is %q, which is no photo line", line)
			continue
		}
		out = append(out, storyPhoto{alt: m[1], file: m[2]})
	}
	return out
}

// renderedPhoto is an image of a post as the browser shows it.
type renderedPhoto struct {
	Alt     string `json:"alt"`
	Src     string `json:"src"`
	Srcset  string `json:"srcset"`
	Width   string `json:"width"`
	Height  string `json:"height"`
	Natural int    `json:"natural"`
}

// photosShown scrolls each photo of the post on tb's page into view, waits
// for it and reports it. The photos are lazy: only one on the screen
// loads. A variant is made on its first request, which under the race
// detector takes seconds: the wait for each is long.
func photosShown(tb *tab) []renderedPhoto {
	tb.t.Helper()
	return run(tb, "waiting for the post's photos", chromedp.Evaluate[[]renderedPhoto](`(async () => {
		const imgs = [...document.querySelectorAll("article.post .prose img")];
		for (const img of imgs) {
			img.scrollIntoView();
			if (img.complete && img.naturalWidth > 0) continue;
			await new Promise((resolve) => {
				img.addEventListener("load", resolve, {once: true});
				img.addEventListener("error", resolve, {once: true});
				setTimeout(resolve, 40000);
			});
		}
		return imgs.map((img) => ({
			alt: img.alt, src: img.getAttribute("src") ?? "", srcset: img.getAttribute("srcset") ?? "",
			width: img.getAttribute("width") ?? "", height: img.getAttribute("height") ?? "",
			natural: img.naturalWidth,
		}));
	})()`, chromedp.EvalAwaitPromise))
}

// checkRendered checks the post as tb shows it: the runner's Markdown made
// into a heading, a list and a link, and both photos loaded with their alt
// text.
func (s *story) checkRendered(tb *tab, where string) {
	tb.t.Helper()
	if got := tb.text("article.post h1"); got != storyTitle {
		tb.t.Errorf("%s is headed %q, want %q", where, got, storyTitle)
	}
	if got := tb.text("article.post .prose h2"); got != "Splits" {
		tb.t.Errorf("%s's heading reads %q, want Splits", where, got)
	}
	if n := tb.count("article.post .prose ul > li"); n != 2 {
		tb.t.Errorf("%s's list has %d items, want 2", where, n)
	}
	if n := tb.count(`article.post .prose a[href="https://club.example.org/routes/ridge"]`); n != 1 {
		tb.t.Errorf("%s has %d links to the route page, want 1", where, n)
	}
	shown := photosShown(tb)
	if len(shown) != 2 {
		tb.t.Fatalf("%s shows %d photos, want 2: %+v", where, len(shown), shown)
	}
	for i, p := range shown {
		if p.Alt != s.photos[i].alt {
			tb.t.Errorf("%s: photo %d has the alt text %q, want %q", where, i+1, p.Alt, s.photos[i].alt)
		}
		if p.Natural == 0 {
			tb.t.Errorf("%s: photo %d (%s) did not load", where, i+1, p.Src)
		}
	}
}

// checkOnHomePage checks that the home page lists the post first.
func (s *story) checkOnHomePage(tb *tab, slug, title string) {
	tb.t.Helper()
	openPage(tb, s.srv.base+"/", "the home page")
	link := `.post-list .post-card h2 a[href="/posts/` + slug + `/"]`
	if tb.count(link) != 1 {
		tb.t.Fatalf("the home page does not list /posts/%s/", slug)
	}
	if got := tb.text(link); got != title {
		tb.t.Errorf("the home page lists the post as %q, want %q", got, title)
	}
	if got := tb.text(".post-list .post-card h2 a"); got != title {
		tb.t.Errorf("the newest post on the home page is %q, want %q", got, title)
	}
}

// checkInFeeds checks that RSS, Atom and JSON Feed each have the post.
func (s *story) checkInFeeds(t *testing.T, slug, title string) {
	t.Helper()
	for _, path := range []string{"/feed.xml", "/atom.xml", "/feed.json"} {
		res, body := s.srv.get(t, path)
		if res.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", path, res.StatusCode)
			continue
		}
		f, err := gofeed.NewParser().ParseString(body)
		if err != nil {
			t.Errorf("%s does not parse: %v", path, err)
			continue
		}
		if !slices.ContainsFunc(f.Items, func(it *gofeed.Item) bool {
			return it.Title == title && strings.HasSuffix(it.Link, "/posts/"+slug+"/")
		}) {
			t.Errorf("%s has no item %q linking to /posts/%s/", path, title, slug)
		}
	}
}

// metadataIn names the metadata b carries, or says "" for none: an EXIF
// block goexif can read, the bytes of one, the test phone's camera make or
// GPS position, or a PNG text chunk.
func metadataIn(b []byte) string {
	if _, err := exif.Decode(bytes.NewReader(b)); err == nil {
		return "EXIF that goexif reads"
	}
	gps := mediatest.GPSExif(1)
	// The block ends with the latitude's and longitude's rationals.
	position := gps[len(gps)-48:]
	for what, leak := range map[string][]byte{
		"an EXIF header":       []byte("Exif\x00\x00"),
		"the camera's make":    []byte(mediatest.CameraMake),
		"the GPS position":     position,
		"the PNG's place name": []byte("12 Home Street"),
		"a PNG text chunk":     []byte("tEXt"),
		"a PNG EXIF chunk":     []byte("eXIf"),
	} {
		if bytes.Contains(b, leak) {
			return what
		}
	}
	if bytes.HasPrefix(b, []byte{0xff, 0xd8}) && slices.Contains(mediatest.Segments(b), 0xe1) {
		return "an APP1 segment"
	}
	return ""
}

// checkServedPhotos is step 7: every address the post page gives for its
// photos, fetched as a reader's browser would.
func (s *story) checkServedPhotos(t *testing.T) {
	r := s.runner
	openPage(r, s.srv.base+"/posts/"+storySlug+"/", "the published post")
	shown := photosShown(r)
	if len(shown) != 2 {
		t.Fatalf("the post shows %d photos, want 2", len(shown))
	}
	page, _ := url.Parse(s.srv.base + "/posts/" + storySlug + "/")
	sent := map[[32]byte]string{}
	for name, b := range s.uploads {
		sent[sha256.Sum256(b)] = name
	}
	// The JPEG is 1800×1200 stored sideways: upright, it is 1200 wide.
	wantSize := [][2]int{{1200, 1800}, {1000, 700}}
	for i, p := range shown {
		if p.Natural == 0 {
			t.Errorf("photo %d did not load on the post page", i+1)
		}
		if p.Width != strconv.Itoa(wantSize[i][0]) || p.Height != strconv.Itoa(wantSize[i][1]) {
			t.Errorf("photo %d has width=%q height=%q, want %d×%d (upright, no layout shift)", i+1, p.Width, p.Height, wantSize[i][0], wantSize[i][1])
		}
		type candidate struct {
			url   string
			width int // 0 for the src, whose width is the photo's
		}
		cands := []candidate{{p.Src, wantSize[i][0]}}
		for c := range strings.SplitSeq(p.Srcset, ",") {
			u, w, ok := strings.Cut(strings.TrimSpace(c), " ")
			n, err := strconv.Atoi(strings.TrimSuffix(w, "w"))
			if !ok || err != nil || !strings.HasSuffix(w, "w") {
				t.Errorf("photo %d: the srcset candidate %q is not “URL WIDTHw”", i+1, c)
				continue
			}
			cands = append(cands, candidate{u, n})
		}
		if len(cands)-1 < 3 {
			t.Errorf("photo %d offers %d widths in its srcset (%q), want several", i+1, len(cands)-1, p.Srcset)
		}
		for _, c := range cands {
			ref, err := url.Parse(c.url)
			if err != nil {
				t.Errorf("photo %d: the address %q: %v", i+1, c.url, err)
				continue
			}
			abs := page.ResolveReference(ref)
			res, err := http.Get(abs.String())
			if err != nil {
				t.Fatalf("GET %s: %v", abs, err)
			}
			b, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err != nil {
				t.Fatalf("GET %s: %v", abs, err)
			}
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s: status %d", abs.RequestURI(), res.StatusCode)
				continue
			}
			if leak := metadataIn(b); leak != "" {
				t.Errorf("%s has %s", abs.RequestURI(), leak)
			}
			if name, ok := sent[sha256.Sum256(b)]; ok {
				t.Errorf("%s serves the upload %s byte for byte", abs.RequestURI(), name)
			}
			cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s is no image: %v", abs.RequestURI(), err)
			} else if cfg.Width != c.width {
				t.Errorf("%s is %d px wide, want %d", abs.RequestURI(), cfg.Width, c.width)
			}
		}
	}
}

// storyFront is the front matter the editor writes.
type storyFront struct {
	Title  string   `yaml:"title"`
	Date   string   `yaml:"date"`
	Author string   `yaml:"author"`
	Tags   []string `yaml:"tags"`
	Draft  bool     `yaml:"draft"`
}

// readPostFile reads a post's index.md from disk and splits it.
func (s *story) readPostFile(t *testing.T, slug string) ([]byte, storyFront, string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(s.srv.contentDir, "posts", slug, "index.md"))
	if err != nil {
		t.Fatalf("the post's file: %v", err)
	}
	split, err := content.SplitSource(src)
	if err != nil {
		t.Fatalf("posts/%s/index.md does not split into front matter and body: %v", slug, err)
	}
	var front storyFront
	if err := yaml.Unmarshal(src[split.FrontStart:split.FrontEnd], &front); err != nil {
		t.Fatalf("posts/%s/index.md's front matter: %v", slug, err)
	}
	return src, front, string(src[split.BodyStart:])
}

// checkFileOnDisk is step 8.
func (s *story) checkFileOnDisk(t *testing.T) {
	src, front, body := s.readPostFile(t, storySlug)
	if front.Title != storyTitle || front.Author != s.authorID || front.Draft ||
		!slices.Equal(front.Tags, []string{"long run", "hills"}) {
		t.Errorf("the front matter is %+v, want the title %q, the author %q, the tags [long run hills] and no draft", front, storyTitle, s.authorID)
	}
	if _, err := content.ParseDate(front.Date, time.UTC); err != nil {
		t.Errorf("the front matter's date %q: %v", front.Date, err)
	}
	// A blank line after the front matter is the file's, not the runner's.
	if body != "\n"+s.typedBody {
		t.Errorf("the file's body is not a blank line, then the runner's text and photo lines:\n got %q\nwant %q", body, "\n"+s.typedBody)
	}
	if !strings.HasPrefix(strings.TrimPrefix(body, "\n"), storyBody) {
		t.Errorf("the file's body does not start with what the runner typed, byte for byte:\n%s", src)
	}
}

// conflictingHandEdit is step 9: the runner adds a line in the editor
// while the file is edited by hand; their save is refused and shows both.
func (s *story) conflictingHandEdit(t *testing.T) {
	r := s.runner
	openPage(r, s.srv.base+"/admin/posts/"+storySlug+"/edit", "the edit page")
	const runnersLine = "\n\nAfter the ice bath: legs fine, feet not."
	typeAtEnd(r, "post-body", runnersLine)
	runnersText := run(r, "reading the story field", chromedp.Value(chromedp.ID("post-body")))
	if runnersText != s.typedBody+runnersLine {
		t.Fatalf("the story field holds %q after typing, want the saved text and the new line", runnersText)
	}

	path := filepath.Join(s.srv.contentDir, "posts", storySlug, "index.md")
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const handLine = "Fixed by hand on the club laptop: the second ten were 11:05 a mile."
	handEdited := strings.Replace(string(before), "## Splits\n", "## Splits\n\n"+handLine+"\n", 1)
	if handEdited == string(before) {
		t.Fatal("the hand edit changed nothing")
	}
	if err := os.WriteFile(path, []byte(handEdited), 0o644); err != nil {
		t.Fatal(err)
	}

	if status := r.clickAndLoad(`form.editor-form button[name="action"][value="publish"]`); status != http.StatusConflict {
		t.Fatalf("saving over the hand edit: status %d, want 409: %s", status, r.text("main"))
	}
	if got := r.text("#form-errors"); !strings.Contains(got, "changed since you opened it") || !strings.Contains(got, "Nothing was overwritten") {
		t.Errorf("the page after the refused save says %q, want that the file changed and nothing was overwritten", got)
	}
	if got := run(r, "reading the file as it is now", chromedp.Value(chromedp.ID("conflict-current"))); got != handEdited {
		t.Errorf("the conflict shows the file as\n%q\nwant the hand edit\n%q", got, handEdited)
	}
	if got := run(r, "reading the runner's text", chromedp.Value(chromedp.ID("conflict-yours"))); !strings.Contains(got, strings.TrimSpace(runnersLine)) {
		t.Errorf("the conflict's “your text” lacks the runner's new line:\n%s", got)
	}
	if got := run(r, "reading the story field", chromedp.Value(chromedp.ID("post-body"))); got != runnersText {
		t.Errorf("the form holds %q after the conflict, want the runner's text %q", got, runnersText)
	}
	if n := r.count("#conflict-current, #conflict-yours, #post-body"); n != 3 {
		t.Errorf("the conflict page has %d of the three texts", n)
	}
	fitsThePhone(r, "the conflict page")
	now, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(now) != handEdited {
		t.Errorf("the file on disk after the refused save is\n%s\nwant the hand edit untouched", now)
	}
	// Readers get the hand edit, which the site picks up by itself.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, page := s.srv.get(t, "/posts/"+storySlug+"/")
		if strings.Contains(page, "Fixed by hand on the club laptop") {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the post page does not show the hand edit 5 s after it")
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// review is step 10: a contributor writes a post and submits it; they
// cannot publish it; an editor returns it with a note, the contributor
// sees the note, changes the post and submits it again; the editor
// publishes it.
func (s *story) review(t *testing.T) {
	link := s.invite(accounts.RoleContributor)
	c := s.contributor
	contributorID := s.join(c, link, contributorName, contributorPassword, contributorDisplay, "New to running.", "")
	if got := c.text("main .lede strong"); got != "contributor" {
		t.Errorf("the welcome page says the contributor's role is %q", got)
	}

	// The contributor writes and submits; nothing offers to publish.
	openPage(c, s.srv.base+"/admin/posts/new", "the new post page")
	publish := `form.editor-form button[name="action"][value="publish"]`
	submit := `form.editor-form button[name="action"][value="submit"]`
	if n := c.count(publish); n != 0 {
		t.Errorf("a contributor's new post page has %d Publish buttons", n)
	}
	c.do("typing the post",
		chromedp.SendKeys(chromedp.ID("post-title"), contributorTitle),
		chromedp.SendKeys(chromedp.ID("post-body"), contributorBody),
	)
	if got := c.text(submit); got != "Submit for review" {
		t.Errorf("the contributor's button reads %q, want Submit for review", got)
	}
	if status := c.clickAndLoad(submit); status != http.StatusOK {
		t.Fatalf("submitting for review: status %d: %s", status, c.text("main"))
	}
	if got := c.text("p.notice[role=status]"); !strings.HasPrefix(got, "Saved and submitted for review") {
		t.Errorf("the notice after submitting reads %q", got)
	}
	if got := c.text("#review-heading"); got != "Awaiting review" {
		t.Errorf("the edit page's review part is headed %q, want Awaiting review", got)
	}
	if n := c.count(publish); n != 0 {
		t.Errorf("a contributor's edit page has %d Publish buttons", n)
	}

	// A publish the page does not offer, forged in the contributor's own
	// browser, is refused and changes nothing.
	c.do("forging a publish", chromedp.SetAttributeValue(chromedp.CSS(submit), "value", "publish"))
	if status := c.clickAndLoad(`form.editor-form button[name="action"][value="publish"]`); status != http.StatusForbidden {
		t.Errorf("a contributor's forged publish: status %d, want 403", status)
	}
	if _, front, _ := s.readPostFile(t, contributorSlug); !front.Draft {
		t.Errorf("after the forged publish the contributor's post is not a draft: %+v", front)
	}
	if res, _ := s.srv.get(t, "/posts/"+contributorSlug+"/"); res.StatusCode != http.StatusNotFound {
		t.Errorf("after the forged publish the post is at its address: status %d", res.StatusCode)
	}

	// The editor, on their phone too, finds it in the queue and returns
	// it with a note.
	e := s.editor
	onAPhone(e)
	signIn(e, s.srv.base, editorName, editorPassword)
	openPage(e, s.srv.base+"/admin/posts/", "the editor's posts page")
	// Every post, with the buttons that close their comments.
	fitsThePhone(e, "the editor's list of all posts")
	if got := e.text(".admin-nav .review-count"); got != "Awaiting review: 1" {
		t.Errorf("the editor's admin pages say %q, want Awaiting review: 1", got)
	}
	if status := e.clickAndLoad(".admin-nav .review-count"); status != http.StatusOK {
		t.Fatalf("the review queue: status %d", status)
	}
	edit := `a[href="/admin/posts/` + contributorSlug + `/edit"]`
	if e.count(".admin-table "+edit) != 1 {
		t.Fatalf("the review queue does not list %s: %s", contributorTitle, e.text("main"))
	}
	if status := e.clickAndLoad(".admin-table " + edit); status != http.StatusOK {
		t.Fatalf("the post's edit page: status %d", status)
	}
	e.do("writing the note", chromedp.SendKeys(chromedp.ID("review-note"), reviewNote))
	if status := e.clickAndLoad(`form.review-form button[type="submit"]`); status != http.StatusOK {
		t.Fatalf("returning the post: status %d", status)
	}
	if got := e.text("p.notice[role=status]"); got != "Returned to its writer with your note." {
		t.Errorf("the notice after returning reads %q", got)
	}

	// The contributor sees the note, in their list and on the post.
	openPage(c, s.srv.base+"/admin/posts/", "the contributor's posts page")
	if got := c.text(".admin-table .review-note"); got != reviewNote {
		t.Errorf("the contributor's list shows the note %q, want %q", got, reviewNote)
	}
	openPage(c, s.srv.base+"/admin/posts/"+contributorSlug+"/edit", "the contributor's edit page")
	if got := c.text("#review-heading"); got != "Returned with a note" {
		t.Errorf("the review part is headed %q, want Returned with a note", got)
	}
	if got := c.text("blockquote.review-note"); got != reviewNote {
		t.Errorf("the edit page shows the note %q, want %q", got, reviewNote)
	}
	typeAtEnd(c, "post-body", contributorAddition)
	if got := c.text(submit); got != "Submit for review again" {
		t.Errorf("the contributor's button reads %q, want Submit for review again", got)
	}
	if status := c.clickAndLoad(submit); status != http.StatusOK {
		t.Fatalf("submitting again: status %d: %s", status, c.text("main"))
	}

	// The editor publishes it.
	openPage(e, s.srv.base+"/admin/posts/"+contributorSlug+"/edit", "the post's edit page for the editor")
	if got := e.text("#review-heading"); got != "Awaiting review" {
		t.Errorf("the editor's edit page's review part is headed %q, want Awaiting review", got)
	}
	if got := run(e, "reading the story field", chromedp.Value(chromedp.ID("post-body"))); strings.TrimPrefix(got, "\n") != contributorBody+contributorAddition {
		t.Errorf("the editor sees the story %q, want the contributor's revision", got)
	}
	if status := e.clickAndLoad(publish); status != http.StatusOK {
		t.Fatalf("the editor publishing: status %d: %s", status, e.text("main"))
	}
	if got := e.text("p.notice[role=status]"); got != "Published." {
		t.Errorf("the notice after the editor publishes reads %q", got)
	}
	if n := e.count("#review-heading"); n != 0 {
		t.Errorf("the published post is still shown in review")
	}
	openPage(e, s.srv.base+"/admin/posts/", "the editor's posts page")
	if n := e.count(".admin-nav .review-count"); n != 0 {
		t.Errorf("the editor's admin pages still count posts awaiting review: %s", e.text(".admin-nav .review-count"))
	}
	_, front, body := s.readPostFile(t, contributorSlug)
	if front.Draft || front.Author != contributorID {
		t.Errorf("the published post's front matter is %+v, want no draft and the contributor's profile as author", front)
	}
	if strings.TrimPrefix(body, "\n") != contributorBody+contributorAddition {
		t.Errorf("the published post's body is %q", body)
	}
	s.checkOnHomePage(c, contributorSlug, contributorTitle)
}
