package training

import (
	"fmt"
	"testing"
	"time"

	"milepost/internal/activity"
	"milepost/internal/content"
)

// manyRuns are n run posts by 20 authors, one every few hours back from
// now, newest first, with races, shoes and best efforts among them.
func manyRuns(n int, now time.Time) content.Listing {
	authors := make([]*content.Author, 20)
	for i := range authors {
		authors[i] = &content.Author{ID: fmt.Sprintf("runner-%02d", i), Name: fmt.Sprintf("Runner %d", i)}
	}
	posts := make(content.Listing, n)
	for i := range posts {
		km := float64(3 + i%20)
		r := &content.Run{DistanceM: km * 1000, TimeS: km * float64(270+i%60), Units: activity.Metric, Shoes: fmt.Sprintf("Shoe %d", i%7)}
		if i%50 == 0 {
			r.DistanceM, r.Race = 10000, &content.Race{Name: "Club 10K", OfficialS: float64(2400 + i%600)}
		}
		if i%3 == 0 {
			r.Activity = &content.Activity{Summary: activity.Summary{BestEfforts: []activity.BestEffort{
				{Name: "1 km", DistanceM: 1000, TimeS: float64(200 + i%90)},
				{Name: "5 km", DistanceM: 5000, TimeS: float64(1100 + i%400)},
			}}}
		}
		posts[i] = &content.Post{Slug: fmt.Sprintf("run-%d", i), Date: now.Add(-time.Duration(i) * 5 * time.Hour), Author: authors[i%len(authors)], Run: r}
	}
	return posts
}

// BenchmarkBuild adds up 10,000 run posts: what a content reload costs,
// once, on the first page view after it.
func BenchmarkBuild(b *testing.B) {
	now := time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)
	posts := manyRuns(10_000, now)
	b.ReportAllocs()
	for b.Loop() {
		Build(posts, Settings{})
	}
}

// BenchmarkPageViews is what each view of the log, records and club pages
// costs once the figures are built: no post is scanned again.
func BenchmarkPageViews(b *testing.B) {
	now := time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)
	f := Build(manyRuns(10_000, now), Settings{})
	a := f.Authors["runner-03"]
	b.ReportAllocs()
	for b.Loop() {
		a.Weeks(now, time.UTC, 52)
		a.Calendar(now.Year(), time.UTC)
		f.Club(now, 10)
	}
}

// BenchmarkCachedFigures is what a page view asks of a loaded site of
// 10,000 run posts: the figures, built on the first view only.
func BenchmarkCachedFigures(b *testing.B) {
	now := time.Date(2026, time.November, 30, 12, 0, 0, 0, time.UTC)
	files := map[string]string{
		"site.yaml":      "title: Runners\ntimezone: America/Los_Angeles\n",
		"authors/kay.md": "---\nname: Kay\n---\n",
		"authors/sam.md": "---\nname: Sam\n---\n",
	}
	for i := range 10_000 {
		author := []string{"kay", "sam"}[i%2]
		date := now.Add(-time.Duration(i) * 5 * time.Hour).Format(time.RFC3339)
		files[fmt.Sprintf("posts/run-%05d.md", i)] = fmt.Sprintf(
			"---\ntitle: Run %d\ndate: %s\nauthor: %s\nrun:\n  distance: %d km\n  time: %d:00\n  shoes: Shoe %d\n---\nOut.\n",
			i, date, author, 3+i%20, 15+i%20*5, i%7)
	}
	site := loadSite(b, files)
	var c Cache
	if f := c.For(site, now); len(f.Runs) != 10_000 {
		b.Fatalf("%d runs", len(f.Runs))
	}
	b.ReportAllocs()
	for b.Loop() {
		c.For(site, now)
	}
}
