package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"milepost/internal/app"
)

// BenchmarkStaticBuild builds a site of 500 posts from scratch, and again
// over its own output after one post is edited (the incremental case, which
// renders every page but writes only what changed):
//
//	go test ./internal/app/ -run '^$' -bench StaticBuild -benchtime 3x
func BenchmarkStaticBuild(b *testing.B) {
	dir := b.TempDir()
	contentDir := filepath.Join(dir, "content")
	files := map[string]string{
		"site.yaml":      "title: Bench\nbase_url: https://runners.example.org\n",
		"authors/kay.md": "---\nname: Kay\n---\nRuns.\n",
		"authors/lee.md": "---\nname: Lee\n---\nRuns too.\n",
	}
	tags := []string{"marathon", "recovery", "track", "trail", "race-report"}
	for i := range 500 {
		author := []string{"kay", "lee"}[i%2]
		files[fmt.Sprintf("posts/run-%03d.md", i)] = fmt.Sprintf("---\ntitle: Run %d\ndate: 2024-01-01T06:00:00Z\nauthor: %s\ntags: [%s, %s]\n---\n%s",
			i, author, tags[i%5], tags[(i/5)%5], benchBody(i))
	}
	for name, text := range files {
		write(b, filepath.Join(contentDir, filepath.FromSlash(name)), text)
	}
	cfg := app.BuildConfig{ContentDir: contentDir, DBPath: filepath.Join(dir, "data", "milepost.db")}
	build := func(b *testing.B, out string) {
		cfg.OutDir = out
		if _, err := app.Build(context.Background(), cfg); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("fresh", func(b *testing.B) {
		n := 0
		for b.Loop() {
			n++
			build(b, filepath.Join(dir, fmt.Sprintf("fresh-%d", n)))
		}
	})
	b.Run("after-one-edit", func(b *testing.B) {
		out := filepath.Join(dir, "incremental")
		build(b, out)
		n := 0
		for b.Loop() {
			n++
			edited := fmt.Sprintf("---\ntitle: Run 7\ndate: 2024-01-01T06:00:00Z\nauthor: lee\ntags: [marathon]\n---\nEdited %d times.\n", n)
			if err := os.WriteFile(filepath.Join(contentDir, "posts", "run-007.md"), []byte(edited), 0o644); err != nil {
				b.Fatal(err)
			}
			build(b, out)
		}
	})
}

func benchBody(i int) string {
	s := ""
	for p := range 6 {
		s += fmt.Sprintf("Paragraph %d of run %d: easy miles, a tempo finish, **legs** fine, [splits](https://example.org/%d).\n\n", p, i, p)
	}
	return s
}
