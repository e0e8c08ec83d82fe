package app_test

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/app"
	"milepost/internal/authoring"
	"milepost/internal/bolt"
)

// serve wires the editor: a post written in the browser is a file in
// content/, served on the next request; a deleted one goes to the trash
// beside the database.
func TestTheEditorWritesContentAndTrashesBesideTheDatabase(t *testing.T) {
	dir := sampleCopy(t)
	db := filepath.Join(t.TempDir(), "data", "milepost.db")
	addWriter(t, db, "kay", "kay-kays-bird-club")
	srv := startWith(t, app.ServeConfig{DBPath: db, ContentDir: dir})
	defer srv.stop()

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) *http.Response {
		t.Helper()
		res, err := client.PostForm(srv.base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/admin/login", url.Values{"name": {"kay"}, "password": {"long enough password"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("signing in: %d", res.StatusCode)
	}
	res := post("/admin/posts/new", url.Values{"title": {"Hill repeats"}, "body": {"Up and down, *eight* times."},
		"date": {"2026-01-10T07:00"}, "action": {"publish"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("publishing: %d", res.StatusCode)
	}
	file := filepath.Join(dir, "posts", "hill-repeats", "index.md")
	src, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(src), "author: kay-kays-bird-club") {
		t.Fatalf("the new file: %v\n%s", err, src)
	}
	// Served at once: the save reloads the site rather than waiting for
	// the next poll.
	if page := get(t, srv.base+"/posts/hill-repeats/"); !strings.Contains(page, "<em>eight</em>") {
		t.Errorf("the new post's page:\n%.500s", page)
	}

	res = post("/admin/posts/hill-repeats/edit", url.Values{"version": {string(authoring.VersionOf(src))}, "action": {"delete"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("deleting: %d", res.StatusCode)
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the deleted file is still in content/: %v", err)
	}
	trashed, _ := filepath.Glob(filepath.Join(filepath.Dir(db), "trash", "*", "hill-repeats", "index.md"))
	if len(trashed) != 1 {
		entries, _ := os.ReadDir(filepath.Join(filepath.Dir(db), "trash"))
		t.Errorf("the trash beside the database holds %v, want the post's bundle", entries)
	}
}

// addWriter makes an author tied to the author profile, before the
// server opens the database.
func addWriter(t *testing.T, path, name, author string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := bolt.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := accounts.NewService(db, accounts.Options{Cost: testCost})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Add(ctx, name, accounts.RoleAuthor, "long enough password"); err != nil {
		t.Fatal(err)
	}
	if err := svc.SetAuthor(ctx, name, author); err != nil {
		t.Fatal(err)
	}
}
