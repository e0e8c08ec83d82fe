package web_test

import (
	"bytes"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/mmcdole/gofeed"

	"milepost/internal/media/mediatest"
)

// coverSite has a post with a cover 2000 px wide, shown after another
// photo in its body; one whose body opens with its cover; and one with a photo but no
// cover.
func coverSite(t *testing.T) siteFiles {
	return siteFiles{
		"posts/race-day/index.md": post("title: Race day\ndate: 2024-05-01T09:00:00Z\nauthor: kay\ncover: finish.png",
			"We lined up at dawn.\n\n![Warming up](warm-up.png)\n\n![Crossing the line at 41:12](finish.png)"),
		"posts/race-day/finish.png":  string(mediatest.PNG(t, mediatest.Halves(2000, 1000))),
		"posts/race-day/warm-up.png": string(mediatest.PNG(t, mediatest.Halves(600, 400))),
		"posts/hill-reps/index.md": post("title: Hill reps\ndate: 2024-04-01T09:00:00Z\ncover: hill.jpg",
			"![The hill](hill.jpg)\n\nSix times up."),
		"posts/hill-reps/hill.jpg": string(mediatest.PhoneJPEG(t, 1200, 800, 1)),
		"posts/easy-run/index.md": post("title: Easy run\ndate: 2024-03-01T09:00:00Z",
			"![Trees](trees.png)\n\nNothing to report."),
		"posts/easy-run/trees.png": string(mediatest.PNG(t, mediatest.Halves(800, 400))),
	}
}

// meta returns the content of the page's <meta property|name="key">, and
// whether there is one.
func meta(page, key string) (string, bool) {
	m := regexp.MustCompile(`<meta (?:property|name)="` + regexp.QuoteMeta(key) + `" content="([^"]*)">`).FindStringSubmatch(page)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// imageSize fetches the photo at the absolute URL u from the harness and
// returns its size and its bytes.
func imageSize(t *testing.T, h *harness, u string) (int, int, int) {
	t.Helper()
	path, ok := strings.CutPrefix(u, "https://runners.example.org")
	if !ok {
		t.Fatalf("%s is not on the site's base URL", u)
	}
	res := h.get(path)
	if res.status != http.StatusOK {
		t.Fatalf("GET %s: %d", path, res.status)
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader([]byte(res.body)))
	if err != nil {
		t.Fatalf("GET %s: not an image: %v", path, err)
	}
	return cfg.Width, cfg.Height, len(res.body)
}

func TestAPostsCoverIsItsOpenGraphImageWithItsSizeAndAlt(t *testing.T) {
	h := newHarness(t, coverSite(t))
	page := h.get("/posts/race-day/").body
	want := map[string]string{
		"og:image":        "https://runners.example.org/posts/race-day/finish.png?w=1600",
		"og:image:width":  "1600",
		"og:image:height": "800",
		"og:image:alt":    "Crossing the line at 41:12",
		"twitter:card":    "summary_large_image",
	}
	for key, v := range want {
		if got, ok := meta(page, key); got != v {
			t.Errorf("%s = %q (present: %v), want %q", key, got, ok, v)
		}
	}
	// The URL serves the photo at the size the page says.
	if w, ht, _ := imageSize(t, h, want["og:image"]); w != 1600 || ht != 800 {
		t.Errorf("og:image is %d×%d, the page says 1600×800", w, ht)
	}
	// Above the story, at every width, not lazily: it is the first thing
	// seen.
	cover := regexp.MustCompile(`(?s)<figure class="cover">\s*<img [^>]*>`).FindString(page)
	for _, attr := range []string{`src="/posts/race-day/finish.png"`, `width="2000"`, `height="1000"`,
		`srcset="/posts/race-day/finish.png?w=480 480w, /posts/race-day/finish.png?w=960 960w, /posts/race-day/finish.png?w=1600 1600w, /posts/race-day/finish.png 2000w"`,
		`sizes="`, `alt="Crossing the line at 41:12"`} {
		if !strings.Contains(cover, attr) {
			t.Errorf("the cover %q lacks %s", cover, attr)
		}
	}
	if strings.Contains(cover, `loading="lazy"`) {
		t.Errorf("the cover is lazy: %s", cover)
	}
	if i, j := strings.Index(page, `class="cover"`), strings.Index(page, "<p>We lined up at dawn.</p>"); i < 0 || i > j {
		t.Error("the cover is not above the story")
	}
}

func TestACoverTheBodyOpensWithIsNotShownTwice(t *testing.T) {
	h := newHarness(t, coverSite(t))
	page := h.get("/posts/hill-reps/").body
	if strings.Contains(page, `class="cover"`) {
		t.Error("the cover is shown above a body that opens with it")
	}
	if n := strings.Count(page, `src="hill.jpg"`); n != 1 {
		t.Errorf("the photo is shown %d times", n)
	}
	// A photo 1200 px wide is shared whole.
	if got, _ := meta(page, "og:image"); got != "https://runners.example.org/posts/hill-reps/hill.jpg" {
		t.Errorf("og:image = %q", got)
	}
	if got, _ := meta(page, "og:image:alt"); got != "The hill" {
		t.Errorf("og:image:alt = %q", got)
	}
}

func TestPagesWithoutACoverHaveNoOpenGraphImage(t *testing.T) {
	h := newHarness(t, coverSite(t))
	for _, path := range []string{"/posts/easy-run/", "/", "/tags/", "/authors/kay/"} {
		page := h.get(path).body
		if _, ok := meta(page, "og:image"); ok {
			t.Errorf("%s has an og:image", path)
		}
		if got, _ := meta(page, "twitter:card"); got != "summary" {
			t.Errorf("%s: twitter:card %q, want summary", path, got)
		}
	}
}

func TestFeedsCarryEachCoverWithItsTrueLength(t *testing.T) {
	h := newHarness(t, coverSite(t))
	const cover = "https://runners.example.org/posts/race-day/finish.png?w=1600"
	_, _, size := imageSize(t, h, cover)
	for _, path := range []string{"/feed.xml", "/atom.xml", "/feed.json"} {
		t.Run(path, func(t *testing.T) {
			f, err := gofeed.NewParser().ParseString(h.get(path).body)
			if err != nil {
				t.Fatal(err)
			}
			items := map[string]*gofeed.Item{}
			for _, it := range f.Items {
				items[it.Title] = it
			}
			race, easy := items["Race day"], items["Easy run"]
			if race == nil || easy == nil {
				t.Fatalf("items %v", items)
			}
			if path == "/feed.json" {
				if race.Image == nil || race.Image.URL != cover {
					t.Errorf("image %+v, want %s", race.Image, cover)
				}
				if easy.Image != nil {
					t.Errorf("a post without a cover has the image %+v", easy.Image)
				}
				return
			}
			if len(race.Enclosures) != 1 {
				t.Fatalf("enclosures %+v, want the cover", race.Enclosures)
			}
			e := race.Enclosures[0]
			if e.URL != cover || e.Type != "image/png" || e.Length != strconv.Itoa(size) {
				t.Errorf("enclosure %+v, want %s image/png %d bytes", e, cover, size)
			}
			if len(easy.Enclosures) != 0 {
				t.Errorf("a post without a cover has the enclosures %+v", easy.Enclosures)
			}
		})
	}
}

func TestListsShowASmallLazyThumbnailOfEachCover(t *testing.T) {
	h := newHarness(t, coverSite(t))
	for _, path := range []string{"/", "/authors/kay/"} {
		page := h.get(path).body
		thumbs := regexp.MustCompile(`<img class="card-cover" [^>]*>`).FindAllString(page, -1)
		// Race day and hill reps have covers (hill reps has no author);
		// the easy run's photo is not one.
		want := 2
		if path != "/" {
			want = 1
		}
		if len(thumbs) != want {
			t.Fatalf("%s: thumbnails %q, want %d", path, thumbs, want)
		}
		for _, attr := range []string{`src="/posts/race-day/finish.png"`, `width="2000"`, `height="1000"`, `loading="lazy"`, `alt=""`,
			`srcset="/posts/race-day/finish.png?w=480 480w,`} {
			if !strings.Contains(thumbs[0], attr) {
				t.Errorf("%s: thumbnail %s lacks %s", path, thumbs[0], attr)
			}
		}
	}
}

func TestADraftDoesNotShareItsCover(t *testing.T) {
	files := coverSite(t)
	files["posts/race-day/index.md"] = strings.Replace(files["posts/race-day/index.md"], "cover: finish.png", "cover: finish.png\ndraft: true", 1)
	h := newHarness(t, files, withDrafts)
	page := h.get("/posts/race-day/").body
	if !strings.Contains(page, `class="cover"`) {
		t.Fatal("the draft's page does not show its cover to its writer")
	}
	if got, ok := meta(page, "og:image"); ok {
		t.Errorf("a draft shares its cover, %s, which no one else may fetch", got)
	}
}
