package content

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// cachedSite is a site of three posts, one with a run and keys of every
// kind a theme may read, loaded with a front matter cache.
func cachedSite(t *testing.T) (dir, cache string) {
	t.Helper()
	dir = writeSite(t, files{
		"authors/kay.md": "---\nname: Kay\n---\n",
		"posts/a.md":     "---\ntitle: Alpha\ndate: 2024-05-01\nauthor: kay\ntags: [Long, hills]\n---\nA.\n",
		"posts/b.md":     "---\ntitle: Beta\ndate: 2024-05-02 07:30\nrun:\n  type: race\n  distance: 10 km\n  time: '41:02'\nshoe: {brand: Hoka, miles: 212.5, retired: false}\nsplits: [4:05, 4:07, null]\nseen: 2024-05-02T07:30:00-07:00\n---\nB.\n",
		"posts/c.md":     "+++\ntitle = \"Gamma\"\ndate = 2024-05-03\n+++\nC.\n",
	})
	return dir, filepath.Join(t.TempDir(), "front-matter.cache")
}

func loadCached(t *testing.T, dir, cache string) *Site {
	t.Helper()
	site, err := Load(context.Background(), dir, Overrides{FrontMatterCache: cache})
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Problems) > 0 {
		t.Fatalf("problems: %v", problemList(site))
	}
	return site
}

// postsSeen is what a load made of each post, as readers and themes see
// it; Version is left out, as each load numbers its parses anew.
func postsSeen(s *Site) []Post {
	var out []Post
	for _, p := range s.all {
		c := *p
		c.Version, c.body = 0, nil
		out = append(out, c)
	}
	return out
}

func TestALoadWithTheFrontMatterCacheMakesTheSameSite(t *testing.T) {
	dir, cache := cachedSite(t)
	plain, err := Load(context.Background(), dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	first := loadCached(t, dir, cache)  // parses, and fills the cache
	second := loadCached(t, dir, cache) // reads it from the cache
	opts := cmp.Options{cmp.AllowUnexported(Post{}), cmp.Comparer(func(a, b *time.Location) bool { return a.String() == b.String() })}
	if d := cmp.Diff(postsSeen(plain), postsSeen(first), opts); d != "" {
		t.Errorf("first load with the cache (-plain +cached):\n%s", d)
	}
	if d := cmp.Diff(postsSeen(plain), postsSeen(second), opts); d != "" {
		t.Errorf("second load, from the cache (-plain +cached):\n%s", d)
	}
	b := second.all[1]
	if b.Slug != "b" || b.Params["shoe"].(map[string]any)["miles"] != 212.5 || b.Run == nil {
		t.Errorf("post b from the cache: slug %q, params %v, run %v", b.Slug, b.Params, b.Run)
	}
}

// writeCacheEntry writes a cache file that says the front matter text
// front is the fields given.
func writeCacheEntry(t *testing.T, cache, front string, fields []field) {
	t.Helper()
	blob, ok := appendFields(nil, fields)
	if !ok {
		t.Fatal("fields not encodable")
	}
	if err := os.WriteFile(cache, encodeFrontCache(map[string][]byte{front: blob}, programIdentity()), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestTheCacheIsReadByTheExactTextOfTheFrontMatter(t *testing.T) {
	dir := writeSite(t, files{"posts/a.md": "---\ntitle: Alpha\ndate: 2024-05-01\n---\nA.\n"})
	cache := filepath.Join(t.TempDir(), "front-matter.cache")
	// A cache that says otherwise than the file shows that the load took
	// the cache's word; a file nobody would write this way.
	writeCacheEntry(t, cache, "title: Alpha\ndate: 2024-05-01\n", []field{
		{key: "title", line: 2, value: "From the cache", text: "From the cache", scalar: true},
		{key: "date", line: 3, value: "2024-05-01", text: "2024-05-01", scalar: true},
	})
	if got := onlyPost(t, loadCached(t, dir, cache)).Title; got != "From the cache" {
		t.Fatalf("title %q: the cache was not read", got)
	}
	// One byte more (a trailing space) is another text: parsed afresh.
	writeFile(t, dir, "posts/a.md", "---\ntitle: Alpha \ndate: 2024-05-01\n---\nA.\n")
	if got := onlyPost(t, loadCached(t, dir, cache)).Title; got != "Alpha" {
		t.Fatalf("title %q after an edit, want Alpha", got)
	}
}

func TestTheCacheKeepsOnlyTheFrontMatterOfTheLastLoad(t *testing.T) {
	dir, cache := cachedSite(t)
	loadCached(t, dir, cache)
	entries := func() map[string][]byte {
		t.Helper()
		data, err := os.ReadFile(cache)
		if err != nil {
			t.Fatal(err)
		}
		e, err := decodeFrontCache(data, programIdentity())
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	// Three YAML front matters: the author's and two posts'. TOML is
	// quick to parse and not kept.
	if got := len(entries()); got != 3 {
		t.Fatalf("%d entries after the first load, want 3", got)
	}
	info, _ := os.Stat(cache)
	loadCached(t, dir, cache)
	if again, _ := os.Stat(cache); !os.SameFile(info, again) {
		t.Error("a load that parsed nothing new wrote the cache again")
	}
	if err := os.Remove(filepath.Join(dir, "posts", "a.md")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "posts/d.md", "---\ntitle: Delta\ndate: 2024-05-04\n---\n")
	writeFile(t, dir, "posts/e.md", "---\ntitle: Delta\ndate: 2024-05-04\n---\nThe same front matter.\n")
	loadCached(t, dir, cache)
	got := entries()
	if _, ok := got["title: Alpha\ndate: 2024-05-01\nauthor: kay\ntags: [Long, hills]\n"]; ok || len(got) != 3 {
		t.Errorf("after a post was removed and two added with one front matter: %d entries, the removed one kept: %t", len(got), ok)
	}
}

func TestADamagedOrForeignCacheIsIgnoredAndReplaced(t *testing.T) {
	for name, spoil := range map[string]func([]byte) []byte{
		"a byte changed": func(b []byte) []byte { b[len(b)-5] ^= 0x20; return b },
		"cut short":      func(b []byte) []byte { return b[:len(b)/2] },
		"empty":          func([]byte) []byte { return nil },
		"not a cache":    func([]byte) []byte { return []byte("title: x\n") },
		"another program": func(b []byte) []byte {
			blob, _ := appendFields(nil, []field{{key: "title", line: 2, value: "Old", text: "Old", scalar: true}})
			return encodeFrontCache(map[string][]byte{"title: Alpha\ndate: 2024-05-01\nauthor: kay\ntags: [Long, hills]\n": blob}, []byte("milepost 0.9"))
		},
	} {
		t.Run(name, func(t *testing.T) {
			dir, cache := cachedSite(t)
			loadCached(t, dir, cache)
			data, err := os.ReadFile(cache)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(cache, spoil(data), 0o600); err != nil {
				t.Fatal(err)
			}
			site := loadCached(t, dir, cache)
			if got := site.all[2].Title; got != "Alpha" || len(site.all) != 3 {
				t.Fatalf("%d posts, the oldest titled %q", len(site.all), got)
			}
			again, err := os.ReadFile(cache)
			if err != nil {
				t.Fatal(err)
			}
			if e, err := decodeFrontCache(again, programIdentity()); err != nil || len(e) != 3 {
				t.Errorf("the cache was not made again: %d entries, %v", len(e), err)
			}
		})
	}
}

func TestACacheThatCannotBeSavedIsLoggedAndTheSiteServes(t *testing.T) {
	dir, _ := cachedSite(t)
	blocked := filepath.Join(t.TempDir(), "a-file")
	writeFile(t, filepath.Dir(blocked), "a-file", "not a directory")
	var log bytes.Buffer
	src, err := NewSource(context.Background(), dir, Overrides{FrontMatterCache: filepath.Join(blocked, "front-matter.cache")},
		slog.New(slog.NewTextHandler(&log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(src.Current().all); n != 3 {
		t.Errorf("%d posts, want 3", n)
	}
	if !strings.Contains(log.String(), "front matter cache") {
		t.Errorf("nothing logged of the cache that could not be saved:\n%s", log.String())
	}
}

func TestFrontMatterValuesComeBackFromTheCacheAsParsed(t *testing.T) {
	fronts := []string{
		"title: Plain\n",
		"title: 1.10\ncount: 42\nneg: -7\nratio: 0.25\nyes: true\nno: false\nnothing: null\nempty:\n",
		"date: 2024-05-01\nat: 2024-05-01T07:30:00Z\nlocal: 2024-05-01 07:30\noffset: 2024-05-01T07:30:00.123456789-07:00\nodd: 2024-05-01T07:30:00+05:45\n",
		"tags: [a, b, 'c d']\nnone: []\nmixed: [1, two, {three: 3}]\n",
		"run:\n  type: race\n  distance: 42.195 km\n  time: 3:28:15\n  place: 312\n  nested: {deep: [1, 2]}\n",
		"emptymap: {}\nquoted: \"x: y\"\nfolded: >\n  one\n  two\nliteral: |\n  a\n  b\n",
	}
	for _, front := range fronts {
		doc, lerr := splitDocument([]byte("---\n" + front + "---\n"))
		if lerr != nil {
			t.Fatal(lerr)
		}
		fields, lerr := parseYAML(doc)
		if lerr != nil {
			t.Fatalf("%q: %v", front, lerr)
		}
		blob, ok := appendFields(nil, fields)
		if !ok {
			t.Errorf("%q is not kept", front)
			continue
		}
		back, ok := decodeFields(blob)
		if !ok || !reflect.DeepEqual(back, fields) {
			t.Errorf("%q comes back as\n%#v\nnot\n%#v", front, back, fields)
		}
	}
}

func TestValuesTheCacheCannotKeepAreParsedEveryTime(t *testing.T) {
	for _, v := range []any{
		uint64(1 << 63),     // YAML's integers beyond int
		map[any]any{1: "a"}, // a map with keys that are not text
		time.Date(2024, 5, 1, 0, 0, 0, 0, time.Local), // would come back in another machine's zone
		[]any{struct{}{}},
	} {
		if _, ok := appendValue(nil, v); ok {
			t.Errorf("%#v was encoded", v)
		}
	}
}
