package content

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"milepost/internal/activity"
	"milepost/internal/comments"
)

func TestConfig(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want Config
	}{{
		name: "empty file gets every default",
		yaml: "",
		want: Config{
			Title: "Milepost", Language: "en", PostsPerPage: 10,
			Comments: comments.DefaultSettings(), Location: time.UTC,
		},
	}, {
		name: "comments block without enabled keeps comments open",
		yaml: "comments: {}\ntitle: ' '\n",
		want: Config{
			Title: "Milepost", Language: "en", PostsPerPage: 10,
			Comments: comments.DefaultSettings(), Location: time.UTC,
		},
	}, {
		name: "moderation settings",
		yaml: `comments:
  moderation: " All "
  link_limit: 0
  hold_words: [" casino ", "buy now"]
  reject_words: ["spam-bot"]
  close_after_days: 90
  edit_minutes: 0
  duplicate_minutes: 30
`,
		want: Config{
			Title: "Milepost", Language: "en", PostsPerPage: 10, Location: time.UTC,
			Comments: comments.Settings{
				Enabled: true, Moderation: "all", LinkLimit: 0,
				HoldWords: []string{"casino", "buy now"}, RejectWords: []string{"spam-bot"},
				CloseAfterDays: 90, EditMinutes: 0, DuplicateMinutes: 30,
			},
		},
	}, {
		name: "empty moderation and word lists get the defaults",
		yaml: "comments:\n  moderation: ''\n  hold_words: []\n",
		want: Config{
			Title: "Milepost", Language: "en", PostsPerPage: 10,
			Comments: comments.DefaultSettings(), Location: time.UTC,
		},
	}, {
		name: "every key",
		yaml: `title: Club
description: Long runs.
base_url: https://runners.example.org/
language: fr
timezone: Europe/Paris
posts_per_page: 5
comments:
  enabled: false
markdown:
  unsafe_html: true
seed_comments: comments.json
hero_image: /static/hero.jpg
social: {mastodon: "@club@example.social"}
`,
		want: Config{
			Title: "Club", Description: "Long runs.",
			BaseURL:  "https://runners.example.org", // trailing slash removed
			Language: "fr", Timezone: "Europe/Paris", Location: mustZone(t, "Europe/Paris"),
			PostsPerPage: 5,
			Comments: comments.Settings{Enabled: false, Moderation: "first-time", LinkLimit: 2,
				EditMinutes: 15, DuplicateMinutes: 10},
			Markdown:     MarkdownConfig{UnsafeHTML: true},
			SeedComments: "comments.json",
			Params: map[string]any{
				"hero_image": "/static/hero.jpg",
				"social":     map[string]any{"mastodon": "@club@example.social"},
			},
		},
	}, {
		name: "run settings: units, privacy zones and trim, shoe limit",
		yaml: "units: Imperial\nprivacy:\n  zones:\n    - {lat: 45.52, lon: -122.68, radius_m: 250}\n    - lat: 45.5\n      lon: -122.6\n      radius_m: 100\n  trim_m: 0\nshoe_limit: 400 mi\n",
		want: Config{
			Title: "Milepost", Language: "en", PostsPerPage: 10,
			Comments: comments.DefaultSettings(), Location: time.UTC,
			Units:     activity.Imperial,
			Privacy:   Privacy{Zones: []activity.Zone{{Lat: 45.52, Lon: -122.68, RadiusM: 250}, {Lat: 45.5, Lon: -122.6, RadiusM: 100}}, TrimM: 0},
			ShoeLimit: "400 mi", ShoeLimitM: 400 * activity.MetresPerMile,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := loadSite(t, files{"site.yaml": tt.yaml})
			want := tt.want
			if want.Units == "" {
				want.Units, want.Privacy.TrimM, want.ShoeLimitM = activity.Metric, activity.DefaultTrimM, DefaultShoeLimitM
			}
			if diff := cmp.Diff(want, site.Config, locationByName); diff != "" {
				t.Errorf("Config mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name   string
		yaml   string // "" for no site.yaml at all
		want   string // in the error
		notExt bool   // the error wraps fs.ErrNotExist
	}{
		{name: "missing", want: "reading site settings", notExt: true},
		{name: "syntax", yaml: "title: [Club\n", want: "parsing"},
		{name: "wrong type", yaml: "posts_per_page: ten\n", want: "line 1"},
		{name: "page size", yaml: "posts_per_page: 0\n", want: "posts_per_page is 0"},
		{name: "unknown zone", yaml: "timezone: Mars/Olympus\n", want: `timezone "Mars/Olympus"`},
		{name: "local zone", yaml: "timezone: Local\n", want: `timezone "Local"`},
		{name: "relative base URL", yaml: "base_url: runners.example.org\n", want: "base_url"},
		{name: "moderation mode", yaml: "comments: {moderation: sometimes}\n", want: `comments.moderation is "sometimes"; it must be open, first-time or all`},
		{name: "negative link limit", yaml: "comments: {link_limit: -1}\n", want: "comments.link_limit is -1; it must be 0 or more"},
		{name: "negative close after", yaml: "comments: {close_after_days: -3}\n", want: "comments.close_after_days is -3"},
		{name: "huge close after", yaml: "comments: {close_after_days: 100000000}\n", want: "comments.close_after_days is 100000000; it must be at most"},
		{name: "negative edit minutes", yaml: "comments: {edit_minutes: -1}\n", want: "comments.edit_minutes is -1"},
		{name: "huge duplicate minutes", yaml: "comments: {duplicate_minutes: 99999999}\n", want: "comments.duplicate_minutes is 99999999"},
		{name: "hold word without letters", yaml: "comments: {hold_words: [casino, '!!!']}\n", want: `comments.hold_words entry 2 ("!!!") has no letters or digits`},
		{name: "empty reject word", yaml: "comments: {reject_words: ['  ']}\n", want: "comments.reject_words entry 1"},
		{name: "word list not a list", yaml: "comments: {reject_words: casino}\n", want: "line 1"},
		{name: "units", yaml: "units: furlongs\n", want: `units "furlongs" must be metric or imperial`},
		{name: "privacy zone too small", yaml: "title: Club\nprivacy:\n  zones:\n    - {lat: 45.5, lon: -122.6, radius_m: 250}\n    - {lat: 45.5, lon: -122.6, radius_m: 50}\n", want: "line 5: privacy zone radius 50 m is under the minimum of 100 m"},
		{name: "privacy zone without radius", yaml: "privacy:\n  zones:\n    - {lat: 45.5, lon: -122.6}\n", want: "line 3: a privacy zone needs lat, lon and radius_m (at least 100 m); it has no radius_m"},
		{name: "privacy zone off the map", yaml: "privacy:\n  zones:\n    - {lat: 95, lon: 0, radius_m: 200}\n", want: "line 3: privacy zone at 95, 0 is not a place on the map"},
		{name: "privacy zone typo", yaml: "privacy:\n  zones:\n    - {lat: 45, lon: 0, radius: 200}\n", want: `line 3: a privacy zone has the unknown key "radius"`},
		{name: "privacy negative trim", yaml: "privacy:\n  trim_m: -5\n", want: "line 2: privacy trim_m -5 must be zero or more"},
		{name: "privacy unknown key", yaml: "privacy:\n  zone: []\n", want: `privacy has the unknown key "zone"`},
		{name: "smtp password", yaml: "title: Club\nemail:\n  host: smtp.example.org\n  from: club@example.org\n  user: club\n  password: hunter2\n",
			want: "line 6: email: password is never read from site.yaml, which should hold no secret: remove it, and give the password with serve -smtp-password-file FILE or in MILEPOST_SMTP_PASSWORD"},
		{name: "shoe limit", yaml: "shoe_limit: lots\n", want: `shoe_limit "lots" must be a number and a unit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.yaml != "" {
				writeFile(t, dir, "site.yaml", tt.yaml)
			}
			writeFile(t, dir, "posts/fine.md", "---\ntitle: Fine\ndate: 2024-01-01\n---\n")
			site, err := Load(context.Background(), dir, Overrides{})
			if err == nil {
				t.Fatalf("Load succeeded with %+v, want an error", site.Config)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q shows the password", err)
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, "site.yaml")) {
				t.Errorf("error %q does not name the file", err)
			}
			if got := errors.Is(err, fs.ErrNotExist); got != tt.notExt {
				t.Errorf("errors.Is(err, fs.ErrNotExist) = %v, want %v", got, tt.notExt)
			}
		})
	}
}

func TestLoadMissingDirectory(t *testing.T) {
	_, err := Load(context.Background(), filepath.Join(t.TempDir(), "nope"), Overrides{})
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load of a missing directory: %v, want fs.ErrNotExist", err)
	}
}

func TestLoadCancelled(t *testing.T) {
	dir := writeSite(t, files{"posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\n"})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Load(ctx, dir, Overrides{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Load with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestEmptySite(t *testing.T) {
	// No authors/ and no posts/ is a site with nothing in it yet, not an
	// error.
	site := loadSite(t, files{})
	v := View{Site: site, Now: time.Now()}
	if len(v.Posts()) != 0 || len(v.Tags()) != 0 || len(site.Authors) != 0 || len(site.Problems) != 0 {
		t.Errorf("empty site has posts %v, tags %v, authors %v, problems %v", v.Posts(), v.Tags(), site.Authors, site.Problems)
	}
}

// TestConfigPasswordElsewhereIsFine: only email's password key is
// refused; the word anywhere else, or a theme's own key, is not.
func TestConfigPasswordElsewhereIsFine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "site.yaml", "title: Password tips\nwifi:\n  password: guest\nemail:\n  host: smtp.example.org\n  from: club@example.org\n  user: password\n")
	site, err := Load(context.Background(), dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if site.Config.Email.User != "password" {
		t.Errorf("email user %q", site.Config.Email.User)
	}
}
