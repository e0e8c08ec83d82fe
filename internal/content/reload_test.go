package content

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// Reload shows a file written a moment ago at once, with no Watch running:
// the editor's save is on the writer's next page.
func TestReloadShowsAChangeAtOnce(t *testing.T) {
	dir := writeSite(t, files{"posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nFirst.\n"})
	s, err := NewSource(context.Background(), dir, Overrides{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := s.Current()
	s.Reload(context.Background())
	if s.Current() != before {
		t.Error("Reload with nothing changed loaded the site again")
	}
	if err := os.WriteFile(filepath.Join(dir, "posts", "b.md"), []byte("---\ntitle: B\ndate: 2024-01-02\n---\nSecond.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s.Reload(context.Background())
	if s.Current().PostFile("b") != "posts/b.md" {
		t.Errorf("after Reload the site has no post b: %v", s.Current().Problems)
	}
}
