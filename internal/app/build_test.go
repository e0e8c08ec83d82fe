package app_test

import (
	"bytes"
	"context"
	"fmt"
	"image/jpeg"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"golang.org/x/net/html"

	"milepost/internal/activity/activitytest"
	"milepost/internal/app"
	"milepost/internal/build"
	"milepost/internal/media/mediatest"
)

const buildBase = "https://runners.example.org"

// buildRecord is the build's record of what it saved, which every build
// rewrites: not a file of the site.
const buildRecord = ".milepost-build-state"

// buildSite is the sample site, copied, with a page bundle whose phone
// photo carries its GPS position, a second story and a draft: the
// content of a static build's tests.
func buildSite(t *testing.T) (contentDir, db string) {
	t.Helper()
	dir := t.TempDir()
	contentDir = filepath.Join(dir, "content")
	if err := os.CopyFS(contentDir, os.DirFS(filepath.Join("..", "..", "content"))); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"posts/race-day/index.md": "---\ntitle: Race day\ndate: 2024-05-01\nauthor: kay-kays-bird-club\ntags: [racing]\ncover: finish.jpg\n---\n" +
			"![Crossing the line](finish.jpg)\n\nThe [massage](/posts/massage-during-training/) helped.\n",
		"posts/race-day/finish.jpg": string(mediatest.PhoneJPEG(t, 1200, 800, 1)),
		"posts/easy-monday.md":      "---\ntitle: Easy Monday\ndate: 2024-05-06\nauthor: kay-kays-bird-club\ntags: [recovery]\n---\nSix slow miles.\n",
		"posts/sprint-tri/index.md": "---\ntitle: Sprint triathlon\ndate: 2024-06-14\nauthor: kay-kays-bird-club\nactivity: run.fit\nactivity_download: true\n---\nThe run off the bike hurt.\n",
		"posts/sprint-tri/run.fit":  string(activitytest.File(t, "triathlon_fr255.fit")),
		"posts/secret-plan.md":      "---\ntitle: The secret plan\ndate: 2024-05-07\nauthor: kay-kays-bird-club\ntags: [secret-tag]\ndraft: true\n---\nNot yet.\n",
	} {
		write(t, filepath.Join(contentDir, filepath.FromSlash(name)), text)
	}
	return contentDir, filepath.Join(dir, "data", "milepost.db")
}

func write(t testing.TB, path, text string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func runBuild(t *testing.T, cfg app.BuildConfig) build.Result {
	t.Helper()
	if cfg.BaseURL == "" {
		cfg.BaseURL = buildBase
	}
	res, err := app.Build(context.Background(), cfg)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	if len(res.Broken) > 0 {
		t.Errorf("the build found broken links: %v", res.Broken)
	}
	return res
}

// TestStaticBuildServesEveryLinkFromAPlainFileServer builds the sample site
// and walks every link of every page of the output — href, src, srcset, the
// og:image — and every link of its feeds: each one of the site's own is a
// file, which a plain static file server answers 200 with the bytes of the
// file. Text files have .gz and .br copies that decode to the same bytes;
// photos carry no metadata; the draft is nowhere; the comment form posts to
// the base URL.
func TestStaticBuildServesEveryLinkFromAPlainFileServer(t *testing.T) {
	contentDir, db := buildSite(t)
	out := filepath.Join(t.TempDir(), "public")
	res := runBuild(t, app.BuildConfig{ContentDir: contentDir, DBPath: db, OutDir: out})
	if res.Pages == 0 || res.Written == 0 {
		t.Fatalf("the build saved nothing: %+v", res)
	}
	files := outputFiles(t, out)
	static := httptest.NewServer(http.FileServer(http.Dir(out)))
	defer static.Close()
	// A web server runs as a user of its own: everything is readable by
	// all.
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err == nil && info.Mode().Perm()&0o005 != 0o005 && (d.IsDir() || info.Mode().Perm()&0o004 == 0) {
			t.Errorf("%s is %v: not readable by other users", p, info.Mode())
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	links := checkLinks(t, out, files, static.URL)
	for _, want := range []string{
		"/posts/race-day/finish.w-480.jpg", "/posts/race-day/finish.w-960.jpg", "/posts/race-day/finish.jpg",
		"/feed.xml", "/atom.xml", "/feed.json", "/comments.xml", "/posts/race-day/comments.xml",
		"/tags/racing/feed.xml", "/authors/kay-kays-bird-club/atom.xml", "/static/style.css",
		"/posts/massage-during-training/comments/1", // a comment feed's link: a page that sends browsers on
		"/posts/sprint-tri/route.gpx",
	} {
		if !links[want] {
			t.Errorf("no page links to %s", want)
		}
	}
	for _, want := range []string{"robots.txt", "sitemap.xml", "archive/index.html", "tags/index.html", "tags/racing/index.html",
		"posts/easy-monday/index.html", "posts/massage-during-training/comments.xml"} {
		if !files[want] {
			t.Errorf("the output has no %s", want)
		}
	}
	for name := range files {
		if strings.Contains(name, "secret") {
			t.Errorf("the draft is in the output: %s", name)
		}
		b := readOut(t, out, name)
		if bytes.Contains(b, []byte("The secret plan")) || bytes.Contains(b, []byte("secret-tag")) {
			t.Errorf("%s shows the draft", name)
		}
	}
	checkCompressedCopies(t, out, files)

	// Photos: no metadata, at the widths their file names say.
	for name, width := range map[string]int{"posts/race-day/finish.jpg": 1200, "posts/race-day/finish.w-480.jpg": 480, "posts/race-day/finish.w-960.jpg": 960} {
		b := readOut(t, out, name)
		for _, m := range mediatest.Segments(b) {
			if m >= 0xe0 && m <= 0xef || m == 0xfe {
				t.Errorf("%s has a metadata segment FF%X", name, m)
			}
		}
		if bytes.Contains(b, []byte("Exif")) || bytes.Contains(b, []byte(mediatest.CameraMake)) {
			t.Errorf("%s keeps its EXIF", name)
		}
		img, err := jpeg.DecodeConfig(bytes.NewReader(b))
		if err != nil || img.Width != width {
			t.Errorf("%s: %d px wide (%v), want %d", name, img.Width, err, width)
		}
	}

	// The run's charts are drawn in its page; its file is never served.
	if !bytes.Contains(readOut(t, out, "posts/sprint-tri/index.html"), []byte("<svg")) {
		t.Error("the run's page has no chart")
	}
	if files["posts/sprint-tri/run.fit"] {
		t.Error("the activity file itself is in the output")
	}

	// The comment form posts to the live server, with no time stamp a
	// file would keep for ever; the sample comments are on the page.
	page := string(readOut(t, out, "posts/massage-during-training/index.html"))
	for _, want := range []string{
		`action="` + buildBase + `/posts/massage-during-training/comments#comment-form-errors"`,
		`name="ts" value=""`,
		"Good luck with your marathon this weekend!",
		`href="` + buildBase + `/posts/massage-during-training/?reply=1#comment-form"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the post page lacks %s", want)
		}
	}
}

// TestStaticBuildIsIncremental builds twice (the second writes nothing),
// edits one story (only the files whose bytes changed are written, and an
// unrelated story's page is left as it was), then deletes a story (its
// files go, and no page links to it).
func TestStaticBuildIsIncremental(t *testing.T) {
	contentDir, db := buildSite(t)
	out := filepath.Join(t.TempDir(), "public")
	cfg := app.BuildConfig{ContentDir: contentDir, DBPath: db, OutDir: out}
	first := runBuild(t, cfg)
	before := snapshot(t, out)

	again := runBuild(t, cfg)
	if again.Written != 0 || again.Removed != 0 || again.Unchanged != first.Written {
		t.Errorf("a second build of the same site: %d written, %d removed, %d unchanged; want 0, 0, %d", again.Written, again.Removed, again.Unchanged, first.Written)
	}
	for name, f := range snapshot(t, out) {
		if !f.mod.Equal(before[name].mod) {
			t.Errorf("the second build touched %s", name)
		}
	}

	story := filepath.Join(contentDir, "posts", "easy-monday.md")
	write(t, story, "---\ntitle: Easy Monday\ndate: 2024-05-06\nauthor: kay-kays-bird-club\ntags: [recovery]\n---\nSeven slow miles, not six.\n")
	edited := runBuild(t, cfg)
	after := snapshot(t, out)
	changed := 0
	for name, f := range after {
		if old, ok := before[name]; !ok || !bytes.Equal(old.body, f.body) {
			changed++
		}
	}
	if edited.Written != changed || changed == 0 {
		t.Errorf("after an edit the build wrote %d files; %d changed", edited.Written, changed)
	}
	if !bytes.Contains(after["posts/easy-monday/index.html"].body, []byte("Seven slow miles")) {
		t.Error("the edited story's page was not rebuilt")
	}
	for _, name := range []string{"posts/massage-during-training/index.html", "posts/race-day/index.html.br", "posts/race-day/finish.w-960.jpg"} {
		if !after[name].mod.Equal(before[name].mod) {
			t.Errorf("editing another story rewrote %s", name)
		}
	}

	if err := os.RemoveAll(filepath.Join(contentDir, "posts", "race-day")); err != nil {
		t.Fatal(err)
	}
	removed := runBuild(t, cfg)
	if removed.Removed == 0 {
		t.Error("deleting a story removed no file")
	}
	if _, err := os.Stat(filepath.Join(out, "posts", "race-day")); !os.IsNotExist(err) {
		t.Errorf("the deleted story's folder is still in the output (%v)", err)
	}
	files := outputFiles(t, out)
	for name := range files {
		if strings.Contains(name, "racing") {
			t.Errorf("the deleted story's tag is still in the output: %s", name)
		}
	}
	static := httptest.NewServer(http.FileServer(http.Dir(out)))
	defer static.Close()
	if links := checkLinks(t, out, files, static.URL); links["/posts/race-day/"] {
		t.Error("a page still links to the deleted story")
	}
}

// TestStaticBuildWithoutComments leaves the comment form and the reply
// links out, and keeps the comments as of the build.
func TestStaticBuildWithoutComments(t *testing.T) {
	contentDir, db := buildSite(t)
	out := filepath.Join(t.TempDir(), "public")
	runBuild(t, app.BuildConfig{ContentDir: contentDir, DBPath: db, OutDir: out, NoComments: true})
	for name := range outputFiles(t, out) {
		if !strings.HasSuffix(name, ".html") {
			continue
		}
		if b := readOut(t, out, name); bytes.Contains(b, []byte("<form")) || bytes.Contains(b, []byte("?reply=")) {
			t.Errorf("%s has a comment form or a reply link", name)
		}
	}
	page := readOut(t, out, "posts/massage-during-training/index.html")
	if !bytes.Contains(page, []byte("Good luck with your marathon this weekend!")) {
		t.Error("the comments are missing from the post page")
	}
}

// TestStaticBuildRefusesWhatItCannotBuild: no base URL to point the feeds
// and the form at, and a directory of someone's own files, which the
// build's clean-up would empty.
func TestStaticBuildRefusesWhatItCannotBuild(t *testing.T) {
	contentDir, db := buildSite(t)
	out := filepath.Join(t.TempDir(), "public")
	if _, err := app.Build(context.Background(), app.BuildConfig{ContentDir: contentDir, DBPath: db, OutDir: out}); err == nil || !strings.Contains(err.Error(), "base URL") {
		t.Errorf("a build without a base URL: %v", err)
	}
	own := t.TempDir()
	write(t, filepath.Join(own, "thesis.tex"), "years of work")
	_, err := app.Build(context.Background(), app.BuildConfig{ContentDir: contentDir, DBPath: db, OutDir: own, BaseURL: buildBase})
	if err == nil || !strings.Contains(err.Error(), "not made by milepost build") {
		t.Errorf("a build into a directory of other files: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(own, "thesis.tex")); err != nil || string(b) != "years of work" {
		t.Errorf("the directory's own file: %q, %v", b, err)
	}
}

// outputFiles lists the output's files, slash-separated.
func outputFiles(t *testing.T, out string) map[string]bool {
	t.Helper()
	files := map[string]bool{}
	err := filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(out, p)
		if rel != buildRecord {
			files[filepath.ToSlash(rel)] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func readOut(t *testing.T, out, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkLinks walks every link of every HTML page and feed of the output and
// checks that each of the site's own is a file there, which the static
// server at static answers 200 with its bytes. Links only the live server
// answers — the form's action, a reply link's ?reply= — must point at the
// base URL. It returns the site paths linked.
func checkLinks(t *testing.T, out string, files map[string]bool, static string) map[string]bool {
	t.Helper()
	linked := map[string]bool{}
	base, _ := url.Parse(buildBase)
	for name := range files {
		var refs []string
		switch {
		case strings.HasSuffix(name, ".html"):
			refs = htmlLinks(t, readOut(t, out, name))
		case path.Base(name) == "feed.xml" || path.Base(name) == "atom.xml" || path.Base(name) == "comments.xml" || path.Base(name) == "sitemap.xml":
			refs = xmlLinks(readOut(t, out, name))
		default:
			continue
		}
		dir := strings.TrimSuffix(name, "index.html")
		page, _ := base.Parse("/" + dir)
		for _, ref := range refs {
			u, err := page.Parse(ref)
			if err != nil {
				t.Errorf("%s: unreadable link %q", name, ref)
				continue
			}
			if u.Host != base.Host {
				continue
			}
			if u.RawQuery != "" {
				if !strings.HasPrefix(ref, buildBase+"/") {
					t.Errorf("%s: %q needs the live server but does not point at the base URL", name, ref)
				}
				continue
			}
			if strings.HasSuffix(u.Path, "/comments") {
				continue // the form's action, checked by the callers
			}
			linked[u.Path] = true
			file := strings.TrimPrefix(u.Path, "/")
			if file == "" || strings.HasSuffix(file, "/") {
				file += "index.html"
			}
			if !files[file] && path.Ext(file) == "" {
				// A redirect's page: the static server adds the slash.
				file += "/index.html"
			}
			if !files[file] {
				t.Errorf("%s links to %s: no file %s in the output", name, ref, file)
				continue
			}
			checkServed(t, static, u.EscapedPath(), readOut(t, out, file))
		}
	}
	return linked
}

var servedOnce = map[string]bool{}

// checkServed fetches a path from the static server once.
func checkServed(t *testing.T, static, p string, want []byte) {
	t.Helper()
	if servedOnce[static+p] {
		return
	}
	servedOnce[static+p] = true
	resp, err := http.Get(static + p)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, want) {
		t.Errorf("GET %s from a static file server: %d, %d bytes (%v); want 200 and the file's %d bytes", p, resp.StatusCode, len(got), err, len(want))
	}
}

// htmlLinks are the addresses of a page's href, src, srcset, action and
// og:image.
func htmlLinks(t *testing.T, page []byte) []string {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				switch {
				case a.Key == "href" || a.Key == "src" || a.Key == "action":
					refs = append(refs, a.Val)
				case a.Key == "srcset":
					for _, c := range strings.Split(a.Val, ",") {
						if f := strings.Fields(c); len(f) > 0 {
							refs = append(refs, f[0])
						}
					}
				case a.Key == "content" && strings.HasPrefix(a.Val, buildBase+"/"):
					refs = append(refs, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return refs
}

// xmlLinks are the site's addresses in a feed or sitemap: every text or
// attribute value that starts with the base URL.
func xmlLinks(b []byte) []string {
	var refs []string
	for _, part := range strings.FieldsFunc(string(b), func(r rune) bool { return strings.ContainsRune("<>\"", r) }) {
		if strings.HasPrefix(part, buildBase+"/") {
			refs = append(refs, html.UnescapeString(part))
		}
	}
	return refs
}

// checkCompressedCopies checks that every .gz and .br file decodes to the
// file beside it, and that every large text file has both.
func checkCompressedCopies(t *testing.T, out string, files map[string]bool) {
	t.Helper()
	copies := 0
	for name := range files {
		var decode func(io.Reader) (io.Reader, error)
		switch path.Ext(name) {
		case ".gz":
			decode = func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) }
		case ".br":
			decode = func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil }
		case ".html", ".xml", ".json", ".css", ".svg", ".txt":
			if len(readOut(t, out, name)) >= build.MinCopyBytes && (!files[name+".gz"] || !files[name+".br"]) {
				t.Errorf("%s has no .gz or .br copy", name)
			}
			continue
		default:
			continue
		}
		copies++
		plain := strings.TrimSuffix(name, path.Ext(name))
		r, err := decode(bytes.NewReader(readOut(t, out, name)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, readOut(t, out, plain)) {
			t.Errorf("%s does not decode to %s (%v)", name, plain, err)
		}
	}
	if copies == 0 {
		t.Error("the output has no compressed copies")
	}
}

type outFile struct {
	body []byte
	mod  time.Time
}

func snapshot(t *testing.T, out string) map[string]outFile {
	t.Helper()
	snap := map[string]outFile{}
	for name := range outputFiles(t, out) {
		info, err := os.Stat(filepath.Join(out, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		snap[name] = outFile{body: readOut(t, out, name), mod: info.ModTime()}
	}
	return snap
}

// TestStaticBuildAgainMatchesAFreshBuild changes the site in each way a
// page can depend on — a story's text, a comment, a setting, a story
// deleted, the build's options, a story added — and builds again into the same directory after
// each: the output is then exactly, file for file and byte for byte, what
// a build into a new directory makes (nothing stale is left), while the
// pages that nothing changed are not rendered again.
func TestStaticBuildAgainMatchesAFreshBuild(t *testing.T) {
	contentDir, db := buildSite(t)
	out := filepath.Join(t.TempDir(), "public")
	cfg := app.BuildConfig{ContentDir: contentDir, DBPath: db, OutDir: out}
	first := runBuild(t, cfg)
	if first.Skipped != 0 {
		t.Errorf("a first build skipped %d pages", first.Skipped)
	}
	again := runBuild(t, cfg)
	// What has no key in the render cache is always asked for: photos,
	// the static files, a comment's lasting address. The rest is skipped.
	if again.Skipped < first.Pages/2 {
		t.Errorf("a build of an unchanged site skipped %d of %d pages", again.Skipped, again.Pages)
	}
	unkeyed := again.Pages - again.Skipped

	fresh := 0
	rebuild := func(what string, maxRendered int, check func(out string)) {
		t.Helper()
		res := runBuild(t, cfg)
		if rendered := res.Pages - res.Skipped - unkeyed; rendered > maxRendered || rendered <= 0 {
			t.Errorf("after %s the build rendered %d pages besides the %d it always asks for; want 1 to %d", what, rendered, unkeyed, maxRendered)
		}
		fresh++
		freshOut := filepath.Join(t.TempDir(), fmt.Sprintf("fresh-%d", fresh))
		freshCfg := cfg
		freshCfg.OutDir = freshOut
		runBuild(t, freshCfg)
		got, want := outputFiles(t, out), outputFiles(t, freshOut)
		for name := range want {
			if !got[name] {
				t.Errorf("after %s the output lacks %s", what, name)
			} else if !bytes.Equal(readOut(t, out, name), readOut(t, freshOut, name)) {
				t.Errorf("after %s, %s is not what a fresh build makes", what, name)
			}
		}
		for name := range got {
			if !want[name] {
				t.Errorf("after %s the output still has %s", what, name)
			}
		}
		check(out)
	}
	pages := first.Pages

	story := filepath.Join(contentDir, "posts", "easy-monday.md")
	write(t, story, "---\ntitle: Easy Monday\ndate: 2024-05-06\nauthor: kay-kays-bird-club\ntags: [recovery]\n---\nSeven slow miles, not six.\n")
	rebuild("editing a story", pages/2, func(out string) {
		if !bytes.Contains(readOut(t, out, "posts/easy-monday/index.html"), []byte("Seven slow miles")) {
			t.Error("the edited story's page was not rebuilt")
		}
	})

	export := filepath.Join(t.TempDir(), "comment.json")
	write(t, export, `{"version": 1, "comments": [{"id": 50, "post": "easy-monday", "body": "Slow miles are the best miles.", "status": "approved", "created": "2024-05-07T08:00:00Z"}]}`)
	if _, err := app.Import(context.Background(), app.ImportConfig{DBPath: db, ContentDir: contentDir, File: export}); err != nil {
		t.Fatal(err)
	}
	rebuild("a new comment", pages/2, func(out string) {
		if !bytes.Contains(readOut(t, out, "posts/easy-monday/index.html"), []byte("Slow miles are the best miles.")) {
			t.Error("the new comment is not on its story's page")
		}
	})

	settings := filepath.Join(contentDir, "site.yaml")
	yaml, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	write(t, settings, strings.Replace(string(yaml), "title: Milepost", "title: Kay's Milepost", 1))
	rebuild("a new title", pages, func(out string) {
		if !bytes.Contains(readOut(t, out, "posts/race-day/index.html"), []byte("Kay&#39;s Milepost")) {
			t.Error("a story's page does not show the site's new title")
		}
	})

	if err := os.RemoveAll(filepath.Join(contentDir, "posts", "race-day")); err != nil {
		t.Fatal(err)
	}
	rebuild("deleting a story", pages/2, func(out string) {})

	cfg.NoComments = true
	rebuild("leaving the comment form out", pages, func(out string) {
		if bytes.Contains(readOut(t, out, "posts/easy-monday/index.html"), []byte("<form")) {
			t.Error("a story's page still has the comment form")
		}
	})

	write(t, filepath.Join(contentDir, "posts", "hill-repeats.md"), "---\ntitle: Hill repeats\ndate: 2024-07-01\nauthor: kay-kays-bird-club\ntags: [hills]\n---\nEight times up.\n")
	rebuild("a new story", pages/2, func(out string) {
		if !bytes.Contains(readOut(t, out, "index.html"), []byte("Hill repeats")) {
			t.Error("the home page does not list the new story")
		}
	})
}
