package web

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"milepost/internal/content"
)

// A run's charts are drawn once per post of the site being served: page
// views after the first cost nothing, and a reload — an edited post, a
// changed file, new privacy settings — is drawn afresh.
func TestRunViewsAreDrawnOncePerSiteAndAfreshAfterAReload(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) {
		t.Helper()
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	fit, err := os.ReadFile(filepath.Join("..", "activity", "testdata", "triathlon_fr255.fit"))
	if err != nil {
		t.Fatal(err)
	}
	write("site.yaml", "title: Runs\n")
	write("posts/tri/run.fit", string(fit))
	write("posts/tri/index.md", "---\ntitle: Tri\ndate: 2026-06-14\nactivity: run.fit\nrun:\n  distance: 5 km\n---\nHot.\n")
	ctx := context.Background()
	src, err := content.NewSource(ctx, dir, content.Overrides{}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{opts: Options{Content: src}, log: slog.New(slog.DiscardHandler)}
	post := func() *content.Post {
		p := content.View{Site: src.Current(), Now: time.Now()}.Post("tri")
		if p == nil || p.Run == nil {
			t.Fatalf("no run: %v", src.Current().Warnings)
		}
		return p
	}

	first := post()
	v := s.runView(first)
	if v == nil || v.Distance != "5 km" || len(v.Charts) == 0 {
		t.Fatalf("run view %+v", v)
	}
	if again := s.runView(first); again != v {
		t.Error("the second view of the post drew it again")
	}
	// An editor's preview is a copy of the post: drawn for it, not kept.
	preview := *first
	if pv := s.runView(&preview); pv == v || pv.Distance != "5 km" {
		t.Errorf("the preview's view %p (the kept one %p)", pv, v)
	}
	if len(s.runs.byPost) != 1 {
		t.Errorf("%d views kept, want the post's alone", len(s.runs.byPost))
	}

	write("posts/tri/index.md", "---\ntitle: Tri\ndate: 2026-06-14\nactivity: run.fit\nrun:\n  distance: 6 km\n---\nHot.\n")
	src.Reload(ctx)
	second := post()
	if second == first {
		t.Fatal("the reload kept the post")
	}
	if nv := s.runView(second); nv == v || nv.Distance != "6 km" {
		t.Errorf("after the reload: %+v", nv)
	}
	// The old site's post, still held by a request, is drawn but no
	// longer kept.
	if old := s.runView(first); old == v || s.runs.site != src.Current() || len(s.runs.byPost) != 1 {
		t.Errorf("the old site's view was kept: %d views", len(s.runs.byPost))
	}
}
