package themes_test

import (
	"io/fs"
	"os"
	"path/filepath"
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
