package themes_test

import (
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"milepost/themes"
)

func TestDefaultThemeHasItsTemplatesAndStylesheet(t *testing.T) {
	for _, name := range []string{"templates/layout.html", "templates/post.html", "templates/list.html", "templates/error.html", "static/style.css"} {
		if _, err := fs.Stat(themes.Default(), name); err != nil {
			t.Errorf("default theme lacks %s: %v", name, err)
		}
	}
}

func TestDiskThemeOverridesOnlyTheFilesItHas(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "static"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "static", "style.css"), []byte("body{color:red}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "static", "extra.css"), []byte("p{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	theme, err := themes.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	css, err := fs.ReadFile(theme, "static/style.css")
	if err != nil || string(css) != "body{color:red}" {
		t.Errorf("style.css = %q, %v; want the disk copy", css, err)
	}
	if _, err := fs.ReadFile(theme, "templates/post.html"); err != nil {
		t.Errorf("post.html not inherited from the default theme: %v", err)
	}
	files, err := fs.Glob(theme, "static/*.css")
	if err != nil || len(files) != 2 {
		t.Errorf("static/*.css = %v, %v; want extra.css and style.css once each", files, err)
	}
}

func TestOpenRefusesAMissingDirectory(t *testing.T) {
	if _, err := themes.Open(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("Open of a missing directory succeeded")
	}
}

// escapingTheme is a theme directory with symbolic links that lead out of it
// — to a "secret" file and to a folder beside the theme — and one link that
// stays inside it.
func escapingTheme(t *testing.T) (dir, secret string) {
	t.Helper()
	outside := t.TempDir()
	secret = "db contents that must never be served"
	if err := os.WriteFile(filepath.Join(outside, "milepost.db"), []byte(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(outside, "evil.html"), []byte(`{{define "main"}}`+secret+`{{end}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dir = t.TempDir()
	for _, sub := range []string{"static", "templates"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"static/link":         filepath.Join(outside, "milepost.db"),
		"static/relative":     filepath.Join("..", "..", filepath.Base(outside), "milepost.db"),
		"static/outside":      outside,
		"templates/evil.html": filepath.Join(outside, "evil.html"),
		"static/inside.css":   "style.css",
	}
	if err := os.WriteFile(filepath.Join(dir, "static", "style.css"), []byte("body{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}
	return dir, secret
}

func TestThemeLinksCannotLeaveTheThemeDirectory(t *testing.T) {
	dir, secret := escapingTheme(t)
	theme, err := themes.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"static/link", "static/relative", "static/outside/milepost.db", "templates/evil.html"} {
		if b, err := fs.ReadFile(theme, name); err == nil {
			t.Errorf("read %s through the theme: %q", name, b)
		} else if strings.Contains(err.Error(), secret) {
			t.Errorf("error for %s carries the file's text: %v", name, err)
		}
	}
	// A link that stays inside the theme still works.
	if b, err := fs.ReadFile(theme, "static/inside.css"); err != nil || string(b) != "body{}" {
		t.Errorf("static/inside.css = %q, %v; want the linked style.css", b, err)
	}
	// A template behind an escaping link is not quietly replaced by nothing:
	// parsing the theme's templates fails.
	if _, err := template.ParseFS(theme, "templates/*.html"); err == nil {
		t.Error("parsed templates/*.html through a link that leaves the theme directory")
	}
}
