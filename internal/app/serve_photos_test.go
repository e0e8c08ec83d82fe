package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
	"milepost/internal/media/mediatest"
)

// TestServedPhotosAreStrippedAndCachedBesideTheDatabase runs the server as
// `milepost serve` does: a bundle's phone photo is served without its
// EXIF, and its variants are kept in media-cache/ beside the database, where
// a restarted server finds them.
func TestServedPhotosAreStrippedAndCachedBesideTheDatabase(t *testing.T) {
	dir := t.TempDir()
	contentDir := filepath.Join(dir, "content")
	for name, text := range map[string]string{
		"site.yaml":                  "title: Photos\n",
		"authors/kay.md":             "---\nname: Kay\n---\n",
		"posts/race-day/index.md":    "---\ntitle: Race day\ndate: 2024-05-01\nauthor: kay\n---\n![The start](start.jpg)\n",
		"posts/race-day/start.jpg":   string(mediatest.PhoneJPEG(t, 1000, 500, 1)),
		"posts/race-day/notes.jpg":   "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
		"posts/race-day/private.gpx": "<gpx/>",
	} {
		write(t, filepath.Join(contentDir, filepath.FromSlash(name)), text)
	}
	db := filepath.Join(dir, "data", "milepost.db")
	cfg := app.ServeConfig{DBPath: db, ContentDir: contentDir}
	srv := startWith(t, cfg)
	page := get(t, srv.base+"/posts/race-day/")
	if !strings.Contains(page, `width="1000" height="500" srcset="/posts/race-day/start.jpg?w=480 480w, /posts/race-day/start.jpg?w=960 960w, /posts/race-day/start.jpg 1000w"`) {
		t.Errorf("the post's photo has no size and srcset: %s", page)
	}
	for _, u := range []string{"/posts/race-day/start.jpg", "/posts/race-day/start.jpg?w=480"} {
		if body := get(t, srv.base+u); strings.Contains(body, "Exif") || strings.Contains(body, mediatest.CameraMake) {
			t.Errorf("GET %s: the photo keeps its EXIF", u)
		}
	}
	if code, _ := status(t, srv.base+"/posts/race-day/notes.jpg"); code != 404 {
		t.Errorf("a HEIC: %d, want 404", code)
	}
	if err := srv.stop(); err != nil {
		t.Fatal(err)
	}
	variants, err := filepath.Glob(filepath.Join(dir, "data", "media-cache", "*", "*.jpg"))
	if err != nil || len(variants) != 2 {
		t.Fatalf("the cache beside the database holds %v (%v), want the two variants served", variants, err)
	}
	// Restarted, the server serves the variants it made.
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, v := range variants {
		if err := os.Chtimes(v, past, past); err != nil {
			t.Fatal(err)
		}
	}
	srv = startWith(t, cfg)
	defer srv.stop()
	get(t, srv.base+"/posts/race-day/start.jpg?w=480")
	for _, v := range variants {
		if info, err := os.Stat(v); err != nil || !info.ModTime().Equal(past) {
			t.Errorf("variant %s was made again after a restart (%v)", v, err)
		}
	}
}
