package feed_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"milepost/internal/activity"
	"milepost/internal/content"
	"milepost/internal/feed"
)

// runPosts are a marathon race report in km, a long run in miles with
// only a distance, and a post with no run.
func runPosts() content.Listing {
	return content.Listing{
		content.PostWithBody(content.Post{
			Slug: "portland", Title: "Portland", Date: time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC),
			Run: &content.Run{
				Type: content.RunRace, DistanceM: 42195, TimeS: 3*3600 + 28*60 + 15,
				ElevationM: 120, HasElevation: true, Units: activity.Metric,
				Race: &content.Race{Name: "Portland Marathon", Place: 312, Bib: "4417", OfficialS: 12495.4},
			},
		}, "<p>What a day.</p>", ""),
		content.PostWithBody(content.Post{
			Slug: "sunday-long", Title: "Sunday long", Date: time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC),
			Run: &content.Run{Type: content.RunLong, DistanceM: 16 * activity.MetresPerMile, Units: activity.Imperial},
		}, "<p>Slow and steady.</p>", ""),
		content.PostWithBody(content.Post{
			Slug: "rest", Title: "Rest", Date: time.Date(2026, 9, 30, 7, 0, 0, 0, time.UTC),
		}, "<p>Nothing.</p>", ""),
	}
}

func TestEachFeedItemLeadsWithItsRunsFigures(t *testing.T) {
	want := []string{
		"Race · Portland Marathon · 42.2 km in 3:28:15 (4:56 /km)",
		"Long · 16 mi",
		"",
	}
	for _, f := range feed.Formats {
		data, err := feed.Build(siteChannel(), runPosts(), f)
		if err != nil {
			t.Fatal(err)
		}
		parsed := parse(t, data)
		for i, it := range parsed.Items {
			content := it.Content
			if content == "" {
				content = it.Description
			}
			line := ""
			if strings.HasPrefix(content, `<p class="run">`) {
				line, _, _ = strings.Cut(strings.TrimPrefix(content, `<p class="run">`), "</p>")
			}
			if line != want[i] {
				t.Errorf("%v item %d leads with %q, want %q\n%s", f, i, line, want[i], content)
			}
		}
	}
}

func TestTheJSONFeedCarriesTheRunAsTheMilepostExtension(t *testing.T) {
	data, err := feed.Build(siteChannel(), runPosts(), feed.JSON)
	if err != nil {
		t.Fatal(err)
	}
	// Read as any JSON Feed reader would: the feed parses, and the
	// extension is an object on the item.
	if parsed := parse(t, data); len(parsed.Items) != 3 {
		t.Fatalf("%d items", len(parsed.Items))
	}
	var doc struct {
		Items []struct {
			ID       string         `json:"id"`
			Milepost map[string]any `json:"_milepost"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"run": map[string]any{
			"type": "race", "distance_m": 42195.0, "time_s": 12495.0, "elevation_m": 120.0,
			"race": map[string]any{"name": "Portland Marathon", "place": 312.0, "bib": "4417", "official_s": 12495.4},
		}},
		{"run": map[string]any{"type": "long", "distance_m": 25749.5}},
		nil,
	}
	for i, it := range doc.Items {
		if diff := cmp.Diff(want[i], it.Milepost); diff != "" {
			t.Errorf("item %d _milepost (-want +got):\n%s", i, diff)
		}
	}
	if !strings.Contains(string(data), `"items"`) || strings.Count(string(data), `"items"`) != 1 {
		t.Errorf("items written %d times", strings.Count(string(data), `"items"`))
	}
}

// A run figure that is not finite (a file's elevation of 1e308 summed to
// +Inf; the readers refuse such files, the feeds do not rely on it) is
// left out of the run line and of _milepost, and the feeds still build:
// encoding/json refuses +Inf, which took the whole site's JSON Feed down.
func TestANonFiniteRunFigureIsLeftOutOfTheFeeds(t *testing.T) {
	inf, nan := math.Inf(1), math.NaN()
	posts := content.Listing{
		{
			Slug: "hill", Title: "Hill", Date: time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC),
			Run: &content.Run{Type: content.RunLong, DistanceM: 12000, TimeS: nan, ElevationM: inf, HasElevation: true, Units: activity.Metric},
		},
		{
			Slug: "far", Title: "Far", Date: time.Date(2026, 10, 4, 9, 0, 0, 0, time.UTC),
			Run: &content.Run{Type: content.RunRace, DistanceM: inf, TimeS: 3000, ElevationM: nan, HasElevation: true, Units: activity.Metric,
				Race: &content.Race{Name: "Bridge 10K", OfficialS: math.Inf(-1)}},
		},
	}
	wantLines := []string{"Long · 12 km", "Race · Bridge 10K · 50:00"}
	for _, f := range feed.Formats {
		data, err := feed.Build(siteChannel(), posts, f)
		if err != nil {
			t.Fatalf("%v: %v", f, err)
		}
		if s := string(data); strings.Contains(s, "Inf") || strings.Contains(s, "NaN") {
			t.Errorf("%v feed writes a non-finite number:\n%s", f, s)
		}
		for i, it := range parse(t, data).Items {
			content := it.Content
			if content == "" {
				content = it.Description
			}
			if !strings.HasPrefix(content, `<p class="run">`+wantLines[i]+"</p>") {
				t.Errorf("%v item %d: %s\nwant the line %q", f, i, content, wantLines[i])
			}
		}
	}
	data, err := feed.Build(siteChannel(), posts, feed.JSON)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Items []struct {
			Milepost map[string]any `json:"_milepost"`
		} `json:"items"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"run": map[string]any{"type": "long", "distance_m": 12000.0}},
		{"run": map[string]any{"type": "race", "time_s": 3000.0, "race": map[string]any{"name": "Bridge 10K"}}},
	}
	for i, it := range doc.Items {
		if diff := cmp.Diff(want[i], it.Milepost); diff != "" {
			t.Errorf("item %d _milepost (-want +got):\n%s", i, diff)
		}
	}
}
