package app_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
	"milepost/internal/media"
	"milepost/internal/media/mediatest"
)

// TestServedPhotosAreStrippedAndCachedBesideTheDatabase runs the server as
// `milepost serve` does: a bundle's phone photo is served without its
// EXIF, and its variants are kept in media-cache/ beside the database, where
// a restarted server finds them, and prunes those nobody asked for in months.
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
	// Restarted, the server serves the variants it made: the same files,
	// not files written again.
	made := map[string]os.FileInfo{}
	for _, v := range variants {
		info, err := os.Stat(v)
		if err != nil {
			t.Fatal(err)
		}
		made[v] = info
	}
	// A variant of a photo since changed, unused for longer than the
	// cache keeps one: the restarted server prunes it.
	stale := filepath.Join(dir, "data", "media-cache", "ff", "ff00000000000000000000000000000f-480w-v1.jpg")
	write(t, stale, "an old photo's variant")
	longAgo := time.Now().Add(-media.DefaultUnusedFor - time.Hour)
	if err := os.Chtimes(stale, longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
	srv = startWith(t, cfg)
	defer srv.stop()
	get(t, srv.base+"/posts/race-day/start.jpg?w=480")
	for _, v := range variants {
		if info, err := os.Stat(v); err != nil || !os.SameFile(info, made[v]) {
			t.Errorf("variant %s was made again after a restart (%v)", v, err)
		}
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(stale); errors.Is(err, fs.ErrNotExist) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a variant unused for longer than the cache keeps one was not pruned")
		}
	}
}
