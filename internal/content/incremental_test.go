package content

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// stamp is the next modification time edit gives a file: far apart, so a
// change is seen whatever the file system's time granularity.
var stamp = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// edit writes the file and gives it a modification time no file had.
func edit(t testing.TB, dir, name, text string) {
	t.Helper()
	writeFile(t, dir, name, text)
	stamp = stamp.Add(time.Second)
	if err := os.Chtimes(filepath.Join(dir, filepath.FromSlash(name)), stamp, stamp); err != nil {
		t.Fatal(err)
	}
}

// reread lists the slugs whose post was read again between two Sites, and
// fails if one kept its Version but not its *Post.
func reread(t *testing.T, before, after *Site) []string {
	t.Helper()
	var out []string
	for _, p := range allPosts(after) {
		old := before.bySlug[p.Slug]
		switch {
		case old == nil || old.Version != p.Version:
			out = append(out, p.Slug)
		case old != p:
			t.Errorf("%s kept its Version but not its *Post", p.Slug)
		}
	}
	return out
}

func post(title, date, more string) string {
	return "---\ntitle: " + title + "\ndate: " + date + "\n" + more + "---\n" + title + " happened.\n"
}

func newTestSource(t *testing.T, fs files) (*Source, string) {
	t.Helper()
	dir := writeSite(t, fs)
	log, _ := newLog()
	s, err := NewSource(context.Background(), dir, Overrides{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Current().Problems) > 0 {
		t.Fatalf("problems: %v", problemList(s.Current()))
	}
	return s, dir
}

func TestAReloadReadsOnlyWhatChanged(t *testing.T) {
	ctx := context.Background()
	s, dir := newTestSource(t, files{
		"authors/kay.md":           "---\nname: Kay\n---\n",
		"authors/ben.md":           "---\nname: Ben\n---\n",
		"posts/a.md":               post("A", "2024-01-01", "author: kay\ntags: [hills]\n"),
		"posts/b.md":               post("B", "2024-01-02", "author: ben\n"),
		"posts/2024/c.md":          post("C", "2024-01-03", "author: kay\n"),
		"posts/race/index.md":      post("Race", "2024-01-04", "") + "\nSee [the map](map.html).\n",
		"posts/race/finish.png":    pngBytes,
		"posts/unrelated/notes.md": post("Notes", "2024-01-05", ""),
	})
	step := func(what string, change func(), wantReread []string) *Site {
		t.Helper()
		before := s.Current()
		change()
		s.Reload(ctx)
		after := s.Current()
		if wantReread == nil {
			if after != before {
				t.Errorf("%s: a new Site, want none: nothing a post reads changed", what)
			}
			return after
		}
		if after == before {
			t.Fatalf("%s: no new Site", what)
		}
		if got := reread(t, before, after); !cmp.Equal(got, wantReread, cmpopts.EquateEmpty()) {
			t.Errorf("%s: read again %v, want %v", what, got, wantReread)
		}
		return after
	}

	step("nothing", func() {}, nil)
	site := step("a post edited", func() {
		edit(t, dir, "posts/a.md", post("A, edited", "2024-01-01", "author: kay\ntags: [hills, tempo]\n"))
	}, []string{"a"})
	if p := site.bySlug["a"]; p.Title != "A, edited" || !strings.Contains(string(p.HTML()), "A, edited happened.") {
		t.Errorf("a after its edit: %q, %q", p.Title, p.HTML())
	}
	if got := slugs(View{Site: site, Now: time.Now()}.Tag("tempo")); !cmp.Equal(got, []string{"a"}) {
		t.Errorf("tag tempo lists %v, want [a]: the listings are built again", got)
	}

	step("an editor's swap file", func() { edit(t, dir, "posts/.a.md.swp", "swap") }, nil)
	step("a hidden file in a bundle", func() { edit(t, dir, "posts/race/.finish.png.swp", "swap") }, nil)

	step("a post added", func() { edit(t, dir, "posts/2024/d.md", post("D", "2024-01-06", "")) }, []string{"d"})
	step("a photo replaced", func() { edit(t, dir, "posts/race/finish.png", pngBytes+" retouched") }, []string{"race"})
	step("a photo added", func() { edit(t, dir, "posts/race/photos/start.png", pngBytes) }, []string{"race"})

	site = step("a post renamed", func() {
		if err := os.Rename(filepath.Join(dir, "posts/b.md"), filepath.Join(dir, "posts/b2.md")); err != nil {
			t.Fatal(err)
		}
	}, []string{"b2"})
	if site.bySlug["b"] != nil {
		t.Error("the renamed post is still there under its old name")
	}
	site = step("a post deleted", func() {
		if err := os.Remove(filepath.Join(dir, "posts/2024/d.md")); err != nil {
			t.Fatal(err)
		}
	}, []string{})
	if site.bySlug["d"] != nil || len(allPosts(site)) != 5 {
		t.Errorf("after deleting d: %v", slugs(allPosts(site)))
	}

	// An author's file: the posts naming them point at the new Author.
	site = step("an author renamed", func() { edit(t, dir, "authors/kay.md", "---\nname: Kay-Kay\n---\n") }, []string{"c", "a"})
	for _, slug := range []string{"a", "c"} {
		if a := site.bySlug[slug].Author; a == nil || a.Name != "Kay-Kay" || a != site.Authors["kay"] {
			t.Errorf("%s's author after the change: %+v", slug, a)
		}
	}
	site = step("an author's photo", func() { edit(t, dir, "authors/ben.png", pngBytes) }, []string{"b2"})
	if site.Authors["ben"].Avatar != "avatar.png" || site.bySlug["b2"].Author != site.Authors["ben"] {
		t.Errorf("ben's photo after adding it: %q", site.Authors["ben"].Avatar)
	}

	// A post naming an author who is not there yet is loaded once they are.
	site = step("a post by a new author", func() { edit(t, dir, "posts/e.md", post("E", "2024-01-07", "author: eve\n")) }, []string{})
	if len(site.Problems) != 1 || !strings.Contains(site.Problems[0].Error(), `unknown author "eve"`) {
		t.Errorf("problems = %v, want e's unknown author", problemList(site))
	}
	site = step("the new author", func() { edit(t, dir, "authors/eve.md", "---\nname: Eve\n---\n") }, []string{"e"})
	if len(site.Problems) > 0 || site.bySlug["e"].Author.Name != "Eve" {
		t.Errorf("after adding eve: problems %v", problemList(site))
	}

	// site.yaml: every post is read again, with the new settings.
	site = step("site.yaml", func() { edit(t, dir, "site.yaml", "title: Renamed\nbase_url: https://example.org/blog\n") },
		[]string{"e", "notes", "race", "c", "b2", "a"})
	if site.Config.Title != "Renamed" || !strings.Contains(string(site.bySlug["race"].Summary()), `"/blog/posts/race/map.html"`) {
		t.Errorf("after the settings change: title %q, race's summary %q", site.Config.Title, site.bySlug["race"].Summary())
	}
}

// A folder of posts that turns into a page bundle (an index.md appears)
// or stops being one is read as the loader reads it.
func TestAFolderBecomingABundle(t *testing.T) {
	ctx := context.Background()
	s, dir := newTestSource(t, files{
		"posts/trip/day-1.md": post("Day 1", "2024-01-01", ""),
		"posts/trip/day-2.md": post("Day 2", "2024-01-02", ""),
	})
	s.apply(ctx, changes{posts: map[string]bool{"posts/trip/index.md": true}}) // an event with no change
	edit(t, dir, "posts/trip/index.md", post("Trip", "2024-01-03", ""))
	s.apply(ctx, changes{posts: map[string]bool{"posts/trip/index.md": true}})
	if got := slugs(allPosts(s.Current())); !cmp.Equal(got, []string{"trip"}) {
		t.Errorf("with an index.md: %v, want the bundle alone", got)
	}
	if err := os.Remove(filepath.Join(dir, "posts/trip/index.md")); err != nil {
		t.Fatal(err)
	}
	s.apply(ctx, changes{posts: map[string]bool{"posts/trip/index.md": true}})
	if got := slugs(allPosts(s.Current())); !cmp.Equal(got, []string{"day-2", "day-1"}) {
		t.Errorf("without the index.md: %v, want its two posts", got)
	}
	// An event naming a bundle's photo reads its post.
	edit(t, dir, "posts/trip/index.md", post("Trip", "2024-01-03", ""))
	s.Reload(ctx)
	before := s.Current()
	edit(t, dir, "posts/trip/photo.png", pngBytes)
	s.apply(ctx, changes{posts: map[string]bool{"posts/trip/photo.png": true}})
	if got := reread(t, before, s.Current()); !cmp.Equal(got, []string{"trip"}) {
		t.Errorf("a photo's event read %v again, want [trip]", got)
	}
}

// The incremental Site is the Site a load from scratch makes.
func TestAnIncrementalSiteIsALoadedSite(t *testing.T) {
	ctx := context.Background()
	s, dir := newTestSource(t, files{
		"authors/kay.md": "---\nname: Kay\n---\n",
		"posts/a.md":     post("A", "2024-01-01", "author: kay\ntags: [x]\n"),
		"posts/c.md":     post("C", "2024-01-03", "draft: true\ntags: [x, y]\n"),
	})
	edit(t, dir, "posts/b.md", post("B", "2024-01-02", "slug: a\n"))
	edit(t, dir, "posts/a-b.md", post("AB", "2024-01-01", "tags: [y]\n"))
	edit(t, dir, "posts/a/z.md", post("Z", "2024-01-01", "slug: a-b\n"))
	edit(t, dir, "posts/c.md", post("C", "2024-01-04", "author: nobody\n"))
	s.Reload(ctx)
	fresh, err := Load(ctx, dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Current()
	if diff := cmp.Diff(problemList(fresh), problemList(got)); diff != "" {
		t.Errorf("problems (-loaded +incremental):\n%s", diff)
	}
	for _, v := range []View{{Now: time.Now()}, {Now: time.Now(), Drafts: true}} {
		a, b := v, v
		a.Site, b.Site = fresh, got
		if diff := cmp.Diff(slugs(a.Posts()), slugs(b.Posts())); diff != "" {
			t.Errorf("posts (-loaded +incremental):\n%s", diff)
		}
		if diff := cmp.Diff(a.Tags(), b.Tags()); diff != "" {
			t.Errorf("tags (-loaded +incremental):\n%s", diff)
		}
	}
}

// Posts are rendered when a page first asks for them: not at load, and
// not at all while they are not visible.
func TestPostsAreRenderedOnFirstUse(t *testing.T) {
	site := loadSite(t, files{
		"posts/past.md":   post("Past", "2024-01-01", ""),
		"posts/future.md": post("Future", "2999-01-01", ""),
	})
	rendered := func(slug string) bool { return site.bySlug[slug].body.rendered.Load() }
	if rendered("past") || rendered("future") {
		t.Fatal("a post was rendered at load")
	}
	now := View{Site: site, Now: time.Now()}
	var wg sync.WaitGroup
	for range 8 { // readers at once, as requests are
		wg.Go(func() {
			for _, p := range now.Posts() {
				if !strings.Contains(string(p.Summary()), "Past happened.") || p.ReadingMinutes() != 1 {
					t.Errorf("%s: summary %q", p.Slug, p.Summary())
				}
			}
		})
	}
	wg.Wait()
	if !rendered("past") || rendered("future") {
		t.Errorf("rendered: past %v, future %v; want past only", rendered("past"), rendered("future"))
	}
	if site.bySlug["past"].body.render.Load() != nil {
		t.Error("the Markdown is still held after rendering")
	}
	due := View{Site: site, Now: time.Date(2999, 1, 2, 0, 0, 0, 0, time.UTC)}
	if h := due.Post("future").HTML(); !strings.Contains(string(h), "Future happened.") {
		t.Errorf("the future post once due: %q", h)
	}
}

// Post.Text renders a post no page has asked for without keeping its
// page (the search index reads every post), and reads a kept page as it is.
func TestTextKeepsNoPage(t *testing.T) {
	site := loadSite(t, files{"posts/past.md": post("Past", "2024-01-01", "")})
	p := site.bySlug["past"]
	text := p.Text()
	if !strings.Contains(text, "Past happened.") {
		t.Errorf("text %q", text)
	}
	if p.body.rendered.Load() || p.body.render.Load() == nil {
		t.Error("Text kept the rendered page")
	}
	p.HTML()
	if got := p.Text(); got != text {
		t.Errorf("text once rendered %q, before %q", got, text)
	}
}

// reloads counts the Sites a Source swaps in.
func reloads(s *Source) func() int {
	ch, _ := s.Subscribe()
	var mu sync.Mutex
	n := 0
	go func() {
		for range ch {
			mu.Lock()
			n++
			mu.Unlock()
		}
	}()
	return func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// A burst of changes, as a git checkout makes, is one reload, not one per
// file; a new folder's files are seen.
func TestABurstOfEventsIsOneReload(t *testing.T) {
	s, dir := newTestSource(t, files{"posts/a.md": post("A", "2024-01-01", "")})
	watch(t, s)
	count := reloads(s)
	for i := range 30 {
		writeFile(t, dir, fmt.Sprintf("posts/2025/run-%02d/index.md", i), post(fmt.Sprintf("Run %d", i), "2025-01-01", ""))
	}
	eventually(t, "the 31 posts", func() bool { return len(allPosts(s.Current())) == 31 })
	time.Sleep(3 * maxDelay)
	// One burst, seen at its end; a slow machine may split it once or twice.
	if n := count(); n < 1 || n > 3 {
		t.Errorf("%d reloads for one burst of 30 new posts, want 1 (at most 3)", n)
	}
}

// Without file system events, Watch looks at every file each interval.
func TestWatchWithoutEventsLooksAtEveryFile(t *testing.T) {
	newFileWatcher = func() (*fsnotify.Watcher, error) { return nil, errors.New("no events here") }
	t.Cleanup(func() { newFileWatcher = fsnotify.NewWatcher })
	dir := writeSite(t, files{"posts/a.md": post("A", "2024-01-01", "")})
	log, logs := newLog()
	s, err := NewSource(context.Background(), dir, Overrides{}, log)
	if err != nil {
		t.Fatal(err)
	}
	watch(t, s)
	if !strings.Contains(logs.String(), "looking at every file instead") {
		t.Errorf("the fallback is not logged:\n%s", logs)
	}
	edit(t, dir, "posts/a.md", post("A, edited", "2024-01-01", ""))
	eventually(t, "the edit", func() bool { return s.Current().bySlug["a"].Title == "A, edited" })
}

// A post loaded from its file keeps no Markdown: its first render reads
// the file again. Until the reload that follows a change, the body is
// what the file now holds; a file gone, or no longer a post, renders no
// body, and the site's other posts are as they were.
func TestAPostsBodyIsReadFromItsFileWhenFirstRendered(t *testing.T) {
	dir := writeSite(t, files{
		"posts/a.md": post("A", "2024-01-01", ""),
		"posts/b.md": post("B", "2024-01-02", ""),
		"posts/c.md": post("C", "2024-01-03", ""),
	})
	site, err := Load(context.Background(), dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	now := View{Site: site, Now: time.Now()}
	writeFile(t, dir, "posts/a.md", post("A", "2024-01-01", "")+"Added after the load.\n")
	if err := os.Remove(filepath.Join(dir, "posts", "b.md")); err != nil {
		t.Fatal(err)
	}
	if h := string(now.Post("a").HTML()); !strings.Contains(h, "Added after the load.") {
		t.Errorf("a post changed before its first render shows %q, want the file as it now is", h)
	}
	if h := now.Post("b").HTML(); h != "" {
		t.Errorf("a post whose file is gone renders %q, want no body", h)
	}
	if h := string(now.Post("c").HTML()); !strings.Contains(h, "C happened.") {
		t.Errorf("an unchanged post renders %q", h)
	}
}

// Loading keeps none of the posts' Markdown: the heap after a load of
// posts with long bodies is far smaller than the bodies.
func TestALoadedSiteHoldsNoMarkdown(t *testing.T) {
	const n, size = 200, 20 << 10
	fs := files{}
	long := strings.Repeat("A long paragraph about the long run. ", size/37)
	for i := range n {
		fs[fmt.Sprintf("posts/p%03d.md", i)] = post(fmt.Sprintf("P%d", i), "2024-01-01", "") + long + "\n"
	}
	dir := writeSite(t, fs)
	heap := func() uint64 {
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	before := heap()
	site, err := Load(context.Background(), dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	grown := heap() - before
	if grown > n*size/4 {
		t.Errorf("a load of %d posts of %d KB grew the heap by %d KB: the Markdown is kept", n, size>>10, grown>>10)
	}
	if h := string(View{Site: site, Now: time.Now()}.Post("p007").HTML()); !strings.Contains(h, "long run") {
		t.Errorf("the post renders %.100q", h)
	}
	runtime.KeepAlive(site)
}
