package content

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// files is a content directory written inline: path (with forward slashes)
// to text.
type files map[string]string

// minimalConfig is the site.yaml written when a test gives none.
const minimalConfig = "title: Test\n"

// writeSite writes fs into a new temporary content directory, with
// minimalConfig as site.yaml unless fs has one, and returns the directory.
func writeSite(t testing.TB, fs files) string {
	t.Helper()
	dir := t.TempDir()
	if _, ok := fs["site.yaml"]; !ok {
		writeFile(t, dir, "site.yaml", minimalConfig)
	}
	for name, text := range fs {
		writeFile(t, dir, name, text)
	}
	return dir
}

func writeFile(t testing.TB, dir, name, text string) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// loadSite writes fs and loads it, failing the test if Load fails.
func loadSite(t testing.TB, fs files) *Site {
	t.Helper()
	site, err := Load(context.Background(), writeSite(t, fs), Overrides{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return site
}

// problems returns the site's problems as "file:line: message" strings,
// which is how they are logged.
func problemList(s *Site) []string {
	var out []string
	for _, p := range s.Problems {
		out = append(out, p.Error())
	}
	return out
}

// slugs returns the slugs of the posts in l, in order.
func slugs(l Listing) []string {
	var out []string
	for _, p := range l {
		out = append(out, p.Slug)
	}
	return out
}

// allPosts is every loaded post, drafts and future posts included.
func allPosts(s *Site) Listing {
	return View{Site: s, Now: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), Drafts: true}.Posts()
}

// onlyPost returns the single post of a site that should have loaded
// exactly one, failing on any problem.
func onlyPost(t testing.TB, s *Site) *Post {
	t.Helper()
	if len(s.Problems) > 0 {
		t.Fatalf("unexpected problems: %v", problemList(s))
	}
	all := allPosts(s)
	if len(all) != 1 {
		t.Fatalf("loaded %d posts %v, want 1", len(all), slugs(all))
	}
	return all[0]
}

// body loads a site whose one post has the Markdown body md and returns
// the post.
func body(t testing.TB, config, md string) *Post {
	t.Helper()
	fs := files{"posts/p.md": "---\ntitle: P\ndate: 2024-01-01\n---\n" + md}
	if config != "" {
		fs["site.yaml"] = config
	}
	return onlyPost(t, loadSite(t, fs))
}

// locationByName compares time zones by name: *time.Location has
// unexported fields cmp cannot look into.
var locationByName = cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })

func mustZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
