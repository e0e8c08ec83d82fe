package app_test

import (
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/app"
)

// TestServeBuildsTheSearchIndexAtStartUp: serve is ready before its
// search index is, and builds the index itself, in the background: /search
// answers 503 (with Retry-After) until it is built, then 200 with the
// post. (On a site this small the 503 is seldom seen.)
func TestServeBuildsTheSearchIndexAtStartUp(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"site.yaml":            "title: Club\n",
		"authors/kay.md":       "---\nname: Kay\n---\n",
		"posts/fartlek.md":     "---\ntitle: Fartlek Friday\ndate: 2024-05-03\nauthor: kay\n---\nSurges between the lamp posts.\n",
		"posts/long-run.md":    "---\ntitle: Long run\ndate: 2024-05-05\nauthor: kay\n---\nEasy miles by the river.\n",
		"posts/recovery.md":    "---\ntitle: Recovery\ndate: 2024-05-06\nauthor: kay\n---\nA walk.\n",
		"posts/tempo/index.md": "---\ntitle: Tempo\ndate: 2024-05-07\nauthor: kay\n---\nThreshold work.\n",
	} {
		write(t, filepath.Join(dir, filepath.FromSlash(name)), text)
	}
	srv := startWith(t, app.ServeConfig{ContentDir: dir, DBPath: filepath.Join(t.TempDir(), "milepost.db")})
	defer srv.stop()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, err := http.Get(srv.base + "/search?q=lamp+posts")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch {
		case res.StatusCode == http.StatusServiceUnavailable && res.Header.Get("Retry-After") != "" && time.Now().Before(deadline):
			time.Sleep(5 * time.Millisecond)
			continue
		case res.StatusCode != http.StatusOK:
			t.Fatalf("/search: %d\n%.500s", res.StatusCode, body)
		}
		if !strings.Contains(string(body), `href="/posts/fartlek/"`) || strings.Contains(string(body), `href="/posts/long-run/"`) {
			t.Fatalf("/search for lamp posts does not find the fartlek alone:\n%.2000s", body)
		}
		return
	}
}
