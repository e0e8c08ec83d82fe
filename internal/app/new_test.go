package app_test

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
	"milepost/internal/content"
)

// cli runs the milepost binary with args and returns its exit status, its
// standard output and its standard error.
func cli(t *testing.T, bin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running milepost %s: %v", strings.Join(args, " "), err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

// sampleCopy copies the sample content directory into a temporary one that
// a test may change.
func sampleCopy(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "content")
	if err := os.CopyFS(dir, os.DirFS(sampleContent)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func loadContent(t *testing.T, dir string) *content.Site {
	t.Helper()
	site, err := content.Load(context.Background(), dir, content.Overrides{})
	if err != nil {
		t.Fatalf("content.Load: %v", err)
	}
	for _, p := range site.Problems {
		t.Errorf("content problem: %v", p)
	}
	return site
}

// everyPost is the post with the slug, whatever its date or draft state.
func everyPost(site *content.Site, slug string) *content.Post {
	return content.View{Site: site, Now: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Drafts: true}.Post(slug)
}

// `milepost new "Title"` writes a draft page bundle that the site loads
// with the title as typed, the slug from the title, the date in the site's
// time zone and the author, and prints its path.
func TestNewWritesABundleTheSiteLoads(t *testing.T) {
	bin := milepostBinary(t)
	dir := sampleCopy(t)
	la, err := time.LoadLocation("America/Los_Angeles") // site.yaml's timezone
	if err != nil {
		t.Fatal(err)
	}

	code, out, errOut := cli(t, bin, "new", "-content", dir, "-author", "kay-kays-bird-club", "-date", "2026-03-01 07:30", "Race day: 10k PR")
	want := filepath.Join(dir, "posts", "race-day-10k-pr", "index.md")
	if code != 0 || out != want+"\n" {
		t.Fatalf("new: exit %d, stdout %q, stderr %q; want 0 and %q", code, out, errOut, want)
	}
	site := loadContent(t, dir)
	p := everyPost(site, "race-day-10k-pr")
	if p == nil {
		t.Fatal("the new post is not in the site")
	}
	if p.Title != "Race day: 10k PR" || p.File != "posts/race-day-10k-pr/index.md" || p.Bundle != "posts/race-day-10k-pr" ||
		!p.Date.Equal(time.Date(2026, 3, 1, 7, 30, 0, 0, la)) || p.Date.Location().String() != la.String() ||
		p.Author == nil || p.Author.ID != "kay-kays-bird-club" || !p.Draft {
		t.Errorf("the new post: %q %s %s %v author %v draft %v", p.Title, p.File, p.Bundle, p.Date, p.Author, p.Draft)
	}
	// Served as a draft only: not among the published posts.
	if (content.View{Site: site, Now: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}).Post("race-day-10k-pr") != nil {
		t.Error("the new draft is published")
	}

	// Without -date, the post is dated now, in the site's zone; -draft=false
	// publishes it.
	before := time.Now().Truncate(time.Second)
	if code, _, errOut := cli(t, bin, "new", "-content", dir, "-draft=false", "Easy miles"); code != 0 {
		t.Fatalf("new: exit %d: %s", code, errOut)
	}
	after := time.Now()
	site = loadContent(t, dir)
	p = everyPost(site, "easy-miles")
	if p == nil || p.Draft || p.Author != nil || p.Date.Before(before) || p.Date.After(after) || p.Date.Location().String() != la.String() {
		t.Errorf("a post without -date or author, not a draft: %+v", p)
	}
	if code, out, _ := cli(t, bin, "check", "-content", dir); code != 0 || out != "3 posts (1 draft), 1 author, no problems\n" {
		t.Errorf("check after new: exit %d, %q", code, out)
	}

	// The server shows both: the draft with -drafts, as a writer previews.
	srv := startWith(t, app.ServeConfig{DBPath: filepath.Join(t.TempDir(), "milepost.db"), ContentDir: dir, Drafts: true})
	if page := get(t, srv.base+"/posts/race-day-10k-pr/"); !strings.Contains(page, "Race day: 10k PR") || !strings.Contains(page, "Kay-Kay") {
		t.Error("the served draft lacks its title or author")
	}
	if page := get(t, srv.base+"/"); !strings.Contains(page, "Easy miles") {
		t.Error("the home page lacks the published new post")
	}
	if err := srv.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// A slug another post has, in any way, is refused with the file that has
// it, and nothing is written over; -slug chooses another.
func TestNewNeverTakesASlugThatIsTaken(t *testing.T) {
	bin := milepostBinary(t)
	dir := sampleCopy(t)
	for name, text := range map[string]string{
		// Load skips it (no date), but its name is the slug.
		"posts/broken.md": "---\ntitle: Broken\n---\nStill here.\n",
		// A single post whose front matter takes the slug.
		"posts/2025/old.md": "---\ntitle: Old\ndate: 2025-01-01\nslug: hill-repeats\n---\n",
		// A folder that is not a post yet.
		"posts/notes/draft.txt": "ideas",
	} {
		write(t, filepath.Join(dir, filepath.FromSlash(name)), text)
	}
	for title, file := range map[string]string{
		"Massage during training": "posts/massage-during-training.md",
		"Broken!":                 "posts/broken.md",
		"Hill repeats":            "posts/2025/old.md",
		"Notes":                   "posts/notes",
	} {
		code, out, errOut := cli(t, bin, "new", "-content", dir, title)
		if code != 1 || out != "" || !strings.Contains(errOut, file) || !strings.Contains(errOut, "-slug") {
			t.Errorf("new %q: exit %d, stdout %q, stderr %q; want 1 and an error naming %s", title, code, out, errOut, file)
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "posts/broken.md")); err != nil || string(b) != "---\ntitle: Broken\n---\nStill here.\n" {
		t.Errorf("posts/broken.md is now %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "posts/notes/index.md")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("new wrote into a folder that was there: %v", err)
	}

	// A second new with the same title is refused the same way, and the
	// first post's file is left as it was.
	if code, _, errOut := cli(t, bin, "new", "-content", dir, "Tempo Tuesday"); code != 0 {
		t.Fatalf("new: %s", errOut)
	}
	first, _ := os.ReadFile(filepath.Join(dir, "posts/tempo-tuesday/index.md"))
	code, _, errOut := cli(t, bin, "new", "-content", dir, "-date", "2020-01-01", "Tempo  tuesday!")
	if code != 1 || !strings.Contains(errOut, "posts/tempo-tuesday/index.md") {
		t.Errorf("the same slug again: exit %d, %s", code, errOut)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "posts/tempo-tuesday/index.md")); string(again) != string(first) {
		t.Errorf("the first post was overwritten:\n%s", again)
	}
	if code, out, errOut := cli(t, bin, "new", "-content", dir, "-slug", "tempo-tuesday-2", "Tempo Tuesday"); code != 0 || !strings.HasSuffix(out, filepath.FromSlash("posts/tempo-tuesday-2/index.md\n")) {
		t.Errorf("-slug: exit %d, %q, %s", code, out, errOut)
	}
	loadContentAllowing(t, dir, "posts/broken.md")
}

// loadContentAllowing loads dir and fails the test on any problem but those
// of the files named.
func loadContentAllowing(t *testing.T, dir string, files ...string) *content.Site {
	t.Helper()
	site, err := content.Load(context.Background(), dir, content.Overrides{})
	if err != nil {
		t.Fatalf("content.Load: %v", err)
	}
	for _, p := range site.Problems {
		if !strings.Contains(strings.Join(files, " "), p.File) {
			t.Errorf("content problem: %v", p)
		}
	}
	return site
}

// Hostile titles give a safe slug and come back from the file as typed, or
// are refused with a clear error; nothing is written outside posts/.
func TestNewWithHostileTitles(t *testing.T) {
	bin := milepostBinary(t)
	dir := sampleCopy(t)
	long := strings.Repeat("Long slow distance ", 540) // about 10 KB
	written := map[string]string{                      // title → slug
		"../x":                        "x",
		"../../../etc/passwd":         "etc-passwd",
		"/tmp/evil":                   "tmp-evil",
		"title: with colon":           "title-with-colon",
		`"Quoted" and \backslash\`:    "quoted-and-backslash",
		"- a list item?":              "a-list-item",
		"# not a comment":             "not-a-comment",
		"true":                        "true",
		"null":                        "null",
		"&anchor *alias !tag | >":     "anchor-alias-tag",
		"---":                         "",
		"Sunrise 🌅 run, 5 km ☀️":      "sunrise-run-5-km",
		"Crème brûlée after the Half": "creme-brulee-after-the-half",
		long:                          "long-slow-distance-long-slow-distance-long-slow-distance", // cut between words
	}
	delete(written, "---")
	for title, slug := range written {
		// After "--", a title may start with a dash.
		code, out, errOut := cli(t, bin, "new", "-content", dir, "--", title)
		if code != 0 || out != filepath.Join(dir, "posts", slug, "index.md")+"\n" {
			t.Errorf("new %.40q: exit %d, stdout %q, stderr %q; want the slug %q", title, code, out, errOut, slug)
		}
	}
	site := loadContent(t, dir)
	for title, slug := range written {
		if p := everyPost(site, slug); p == nil || p.Title != strings.TrimSpace(title) {
			t.Errorf("post %s: %+v; want the title %.40q", slug, p, title)
		}
	}
	if len(written[long]) > content.MaxTitleSlug {
		t.Errorf("the long title's slug has %d bytes", len(written[long]))
	}

	refused := []struct {
		args []string
		want string
	}{
		{[]string{"?!… ---"}, "choose one with -slug"},
		{[]string{"🏃‍♀️🎉"}, "choose one with -slug"},
		{[]string{"東京マラソン"}, "choose one with -slug"},
		{[]string{"   "}, "the title is empty"},
		{[]string{"two\nlines"}, "one line"},
		{[]string{"bell\a"}, "one line"},
		{[]string{"-slug", "../x", "Fine title"}, `slug "../x" must be lowercase`},
		{[]string{"-slug", "Upper", "Fine title"}, "must be lowercase"},
		{[]string{"-author", "../kay", "Fine title"}, `no author "../kay" in content/authors: there are kay-kays-bird-club`},
		{[]string{"-date", "yesterday", "Fine title"}, `-date: "yesterday" is not a date`},
	}
	for _, c := range refused {
		code, out, errOut := cli(t, bin, append([]string{"new", "-content", dir}, c.args...)...)
		if code != 1 || out != "" || !strings.Contains(errOut, c.want) {
			t.Errorf("new %q: exit %d, stdout %q, stderr %q; want 1 and %q", c.args, code, out, errOut, c.want)
		}
	}
	if code, _, errOut := cli(t, bin, "new", "-content", dir); code != 2 || !strings.Contains(errOut, "want exactly one TITLE") {
		t.Errorf("new without a title: exit %d, %s", code, errOut)
	}
	// Nothing was written anywhere but into new folders of posts/.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "authors comments.json posts site.yaml" {
		t.Errorf("the content directory holds %s", got)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "x")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("new wrote beside the content directory: %v", err)
	}
	posts, _ := os.ReadDir(filepath.Join(dir, "posts"))
	if len(posts) != len(written)+1 {
		t.Errorf("posts/ has %d entries; want %d", len(posts), len(written)+1)
	}
}
