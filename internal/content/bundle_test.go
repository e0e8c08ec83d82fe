package content

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// pngBytes is the start of a PNG file: enough to tell files apart.
const pngBytes = "\x89PNG\r\n\x1a\n finish line"

func TestPageBundles(t *testing.T) {
	site := loadSite(t, files{
		"posts/single.md":                 "---\ntitle: Single\ndate: 2024-01-01\n---\nText.\n",
		"posts/Race-Day/index.md":         "---\ntitle: Race day\ndate: 2024-02-01\n---\n![Finish](finish.png)\n",
		"posts/Race-Day/finish.png":       pngBytes,
		"posts/Race-Day/notes.md":         "not a post, and no front matter",
		"posts/Race-Day/extra/sub.md":     "nor this",
		"posts/2024/named/index.md":       "---\ntitle: Named\ndate: 2024-03-01\nslug: other-name\n---\nText.\n",
		"posts/2024/plain.md":             "---\ntitle: Plain\ndate: 2024-04-01\n---\nText.\n",
		"posts/Bad Folder/index.md":       "---\ntitle: Bad\ndate: 2024-05-01\n---\nText.\n",
		"posts/.hidden-bundle/index.md":   "broken",
		"posts/Race-Day/.finish.png.swp":  "swap",
		"posts/Race-Day/activity/run.fit": "FIT",
	})
	if diff := cmp.Diff([]string{
		`posts/Bad Folder/index.md: the folder name gives the slug "bad folder", which is not lowercase letters, digits and inner hyphens: rename the folder or set slug`,
	}, problemList(site)); diff != "" {
		t.Errorf("problems mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"plain", "other-name", "race-day", "single"}, slugs(allPosts(site))); diff != "" {
		t.Errorf("posts mismatch (-want +got):\n%s", diff)
	}
	v := View{Site: site, Now: time.Now()}
	for slug, bundle := range map[string]string{"race-day": "posts/Race-Day", "other-name": "posts/2024/named", "single": "", "plain": ""} {
		if got := v.Post(slug).Bundle; got != bundle {
			t.Errorf("%s: Bundle = %q, want %q", slug, got, bundle)
		}
	}
	if got, want := v.Post("race-day").HTML(), "<p><img src=\"finish.png\" alt=\"Finish\"></p>\n"; string(got) != want {
		t.Errorf("HTML = %q, want %q: relative, so it loads from the post's URL", got, want)
	}
}

func TestOpenResource(t *testing.T) {
	dir := writeSite(t, files{
		"posts/race/index.md":         "---\ntitle: Race\ndate: 2024-02-01\n---\n![Finish](finish.png)\n",
		"posts/race/finish.png":       pngBytes,
		"posts/race/photos/start.JPG": "jpeg",
		"posts/race/route.gpx":        "<gpx/>",
		"posts/race/run.fit":          "FIT",
		"posts/race/run.tcx":          "<tcx/>",
		"posts/race/.secret.png":      "hidden",
		"posts/race/.git/logo.png":    "hidden",
		"posts/race/dir.png/x.png":    "a folder named like a file",
		"posts/draft/index.md":        "---\ntitle: Draft\ndate: 2024-02-01\ndraft: true\n---\n",
		"posts/draft/photo.png":       pngBytes,
		"posts/future/index.md":       "---\ntitle: Future\ndate: 2999-02-01\n---\n",
		"posts/future/photo.png":      pngBytes,
		"posts/single.md":             "---\ntitle: Single\ndate: 2024-02-01\n---\n",
		"posts/other/index.md":        "---\ntitle: Other\ndate: 2024-02-01\n---\n",
		"posts/other/mine.png":        pngBytes,
		"private.png":                 "outside every bundle",
	})
	outside := filepath.Join(t.TempDir(), "home.png")
	if err := os.WriteFile(outside, []byte("outside the content directory"), 0o644); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{
		"posts/race/escape.png":  outside,
		"posts/race/sibling.png": "../other/mine.png",
		"posts/race/up":          "../other",
		"posts/race/inside.png":  "photos/../finish.png",
	} {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(link))); err != nil {
			t.Skipf("symbolic links: %v", err)
		}
	}
	site, err := Load(context.Background(), dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	view := View{Site: site, Now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}

	served := []struct{ slug, name, mediaType, body string }{
		{"race", "finish.png", "image/png", pngBytes},
		{"race", "photos/start.JPG", "image/jpeg", "jpeg"},
		{"race", "inside.png", "image/png", pngBytes}, // a link that stays in the bundle
	}
	for _, tt := range served {
		t.Run("served "+tt.name, func(t *testing.T) {
			r, err := view.OpenResource(tt.slug, tt.name)
			if err != nil {
				t.Fatalf("OpenResource: %v", err)
			}
			defer r.Close()
			b, err := io.ReadAll(r)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.body || r.MediaType != tt.mediaType || r.Info.Size() != int64(len(tt.body)) {
				t.Errorf("got %q as %s (size %d), want %q as %s", b, r.MediaType, r.Info.Size(), tt.body, tt.mediaType)
			}
		})
	}

	notServed := []struct{ why, slug, name string }{
		{"the post's Markdown", "race", "index.md"},
		{"a GPS track", "race", "route.gpx"},
		{"an activity file", "race", "run.fit"},
		{"a TCX activity", "race", "run.tcx"},
		{"a hidden file", "race", ".secret.png"},
		{"a file in a hidden folder", "race", ".git/logo.png"},
		{"a folder", "race", "dir.png"},
		{"a missing file", "race", "nothing.png"},
		{"dot-dot out of the bundle", "race", "../other/mine.png"},
		{"dot-dot out of the content directory", "race", "../../private.png"},
		{"an absolute path", "race", "/etc/passwd.png"},
		{"an empty name", "race", ""},
		{"a symbolic link out of the content directory", "race", "escape.png"},
		{"a symbolic link to another bundle", "race", "sibling.png"},
		{"a path through a linked folder", "race", "up/mine.png"},
		{"a draft's file without drafts", "draft", "photo.png"},
		{"a future post's file", "future", "photo.png"},
		{"a single-file post has no files", "single", "finish.png"},
		{"no such post", "nobody", "finish.png"},
	}
	for _, tt := range notServed {
		t.Run("not served: "+tt.why, func(t *testing.T) {
			r, err := view.OpenResource(tt.slug, tt.name)
			if err == nil {
				r.Close()
				t.Fatalf("OpenResource(%q, %q) opened %s", tt.slug, tt.name, r.Name())
			}
			if !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("OpenResource(%q, %q) = %v, want an error matching fs.ErrNotExist", tt.slug, tt.name, err)
			}
		})
	}

	t.Run("a draft's file with drafts", func(t *testing.T) {
		drafts := view
		drafts.Drafts = true
		r, err := drafts.OpenResource("draft", "photo.png")
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
	})
}
