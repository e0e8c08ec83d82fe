package training

import (
	"context"
	"os"
	"testing"
	"testing/fstest"
	"time"

	"milepost/internal/content"
)

// loadSite writes a content directory and loads it.
func loadSite(t testing.TB, files map[string]string) *content.Site {
	t.Helper()
	fsys := fstest.MapFS{}
	for name, text := range files {
		fsys[name] = &fstest.MapFile{Data: []byte(text), Mode: 0o644}
	}
	dir := t.TempDir()
	if err := os.CopyFS(dir, fsys); err != nil {
		t.Fatal(err)
	}
	site, err := content.Load(context.Background(), dir, content.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Problems) > 0 || len(site.Warnings) > 0 {
		t.Fatalf("problems %v, warnings %v", site.Problems, site.Warnings)
	}
	return site
}

func runPost(date, distance string, extra string) string {
	return "---\ntitle: A run\ndate: " + date + "\nauthor: kay\n" + extra + "run:\n  distance: " + distance + "\n  time: 50:00\n---\nOut and back.\n"
}

func TestDraftsAndFuturePostsAreNeverCounted(t *testing.T) {
	site := loadSite(t, map[string]string{
		"site.yaml":        "title: Runners\ntimezone: UTC\n",
		"authors/kay.md":   "---\nname: Kay\n---\n",
		"posts/done.md":    runPost("2026-11-02T07:00:00Z", "10 km", ""),
		"posts/draft.md":   runPost("2026-11-03T07:00:00Z", "20 km", "draft: true\n"),
		"posts/planned.md": runPost("2026-12-01T07:00:00Z", "40 km", ""),
	})
	var c Cache
	now := time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)
	f := c.For(site, now)
	if a := f.Authors["kay"]; a == nil || a.AllTime.Runs != 1 || a.AllTime.DistanceM != 10000 {
		t.Fatalf("drafts or future posts counted: %+v", a)
	}
	if again := c.For(site, now.Add(time.Hour)); again != f {
		t.Error("the figures were built again for the same posts")
	}
	// The planned run's date comes: it counts, the draft still does not.
	later := c.For(site, time.Date(2026, time.December, 1, 8, 0, 0, 0, time.UTC))
	if later == f || later.Authors["kay"].AllTime.DistanceM != 50000 {
		t.Errorf("after the planned run's date: %+v", later.Authors["kay"].AllTime)
	}
	// A reload is a new Site, with new figures.
	reloaded := loadSite(t, map[string]string{
		"site.yaml":      "title: Runners\ntimezone: UTC\nshoe_limit: 5 km\n",
		"authors/kay.md": "---\nname: Kay\n---\n",
		"posts/done.md":  runPost("2026-11-02T07:00:00Z", "10 km\n  shoes: Pegasus 40", ""),
	})
	if f := c.For(reloaded, now); f.Authors["kay"].AllTime.Runs != 1 || len(f.Authors["kay"].Gear) != 1 || !f.Authors["kay"].Gear[0].Worn {
		t.Errorf("after a reload with a shoe limit of 5 km: %+v", f.Authors["kay"])
	}
}

func TestPageViewsAtOnceBuildTheFiguresOnce(t *testing.T) {
	site := loadSite(t, map[string]string{
		"site.yaml":      "title: Runners\n",
		"authors/kay.md": "---\nname: Kay\n---\n",
		"posts/done.md":  runPost("2026-11-02T07:00:00Z", "10 km", ""),
	})
	var c Cache
	now := time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)
	got := make(chan *Figures)
	for range 8 {
		go func() { got <- c.For(site, now) }()
	}
	first := <-got
	for range 7 {
		if f := <-got; f != first {
			t.Error("two page views at once built the figures twice")
		}
	}
}
