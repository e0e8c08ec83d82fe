package web_test

import (
	"fmt"
	"milepost/internal/media/mediatest"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var srcHrefRE = regexp.MustCompile(`(src|href)="([^"]*)"`)

// TestADeliveredArticleHasAbsoluteLinksAndItsPhotos: a post bundle's body
// links its photo and its files relative to the post, as the editor writes
// them; the Create the fake instance receives has every src and href
// absolute (each dereferences), the cover and the body's photo as Image
// attachments, the summary, the run's line and hashtags Mastodon reads
// whole, linking to the tag pages.
func TestADeliveredArticleHasAbsoluteLinksAndItsPhotos(t *testing.T) {
	h, f := followedHarness(t)

	cover := mediatest.PNG(t, mediatest.Halves(800, 400))
	warmUp := mediatest.JPEG(t, mediatest.Halves(600, 400))
	writeSiteFiles(t, h.dir, siteFiles{
		"posts/hill-reps/cover.png":      string(cover),
		"posts/hill-reps/warm-up.jpg":    string(warmUp),
		"posts/hill-reps/photos/top.jpg": string(warmUp),
	})
	h.change("posts/hill-reps/index.md", post(
		"title: Hill reps\ndate: 2026-11-20\nauthor: kay\ncover: cover.png\nsummary: Six times up the big hill.\n"+
			"tags: [race-day, hills]\nrun:\n  distance: 8 km\n  time: \"45:00\"",
		"![Warming up by the gate](warm-up.jpg)\n\nThe [top](photos/top.jpg), the [same](./photos/top.jpg), "+
			"[last week](../first-run/), [home](/), [the splits](#splits), [sorted](?sort=pace) and "+
			"[a race](https://example.org/race) or [mail](mailto:kay@example.org).\n\n## Splits {#splits}\n\nEven."))

	create := f.next(t, "Create")
	article, _ := create["object"].(map[string]any)
	content, _ := article["content"].(string)
	postURL := h.base + "/posts/hill-reps/"
	links := map[string]string{}
	for _, m := range srcHrefRE.FindAllStringSubmatch(content, -1) {
		links[m[2]] = m[1]
	}
	for _, want := range []string{
		postURL + "warm-up.jpg", postURL + "photos/top.jpg", h.base + "/posts/first-run/",
		h.base + "/", postURL + "#splits", postURL + "?sort=pace", "https://example.org/race", "mailto:kay@example.org",
	} {
		if _, ok := links[want]; !ok {
			t.Errorf("the content has no link or image %q:\n%s", want, content)
		}
	}
	for link := range links {
		if !strings.HasPrefix(link, "http://") && !strings.HasPrefix(link, "https://") && !strings.HasPrefix(link, "mailto:") {
			t.Errorf("a relative address %q in the delivered content", link)
			continue
		}
		if !strings.HasPrefix(link, h.base) {
			continue
		}
		if res, _ := fetch(t, link); res.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %d", link, res.StatusCode)
		}
	}

	var images []string
	for _, a := range article["attachment"].([]any) {
		att := a.(map[string]any)
		if att["type"] != "Image" {
			t.Errorf("attachment %v is not an Image", att)
		}
		images = append(images, fmt.Sprint(att["url"]))
		switch {
		case strings.HasPrefix(fmt.Sprint(att["url"]), postURL+"cover.png"):
			if att["mediaType"] != "image/png" {
				t.Errorf("the cover's attachment %v", att)
			}
		case att["url"] == postURL+"warm-up.jpg":
			if att["mediaType"] != "image/jpeg" || att["name"] != "Warming up by the gate" {
				t.Errorf("the body photo's attachment %v", att)
			}
		}
		if res, _ := fetch(t, fmt.Sprint(att["url"])); res.StatusCode != http.StatusOK {
			t.Errorf("the attachment %v does not dereference: %d", att["url"], res.StatusCode)
		}
	}
	if len(images) != 2 || !strings.HasPrefix(images[0], postURL+"cover.png") || images[1] != postURL+"warm-up.jpg" {
		t.Errorf("attachments %v, want the cover and the body's photo", images)
	}
	if article["summary"] != "Six times up the big hill." {
		t.Errorf("summary %q", article["summary"])
	}
	if !strings.Contains(content, "8 km") || !strings.Contains(content, "45:00") {
		t.Errorf("the run's line is not in the content:\n%s", content)
	}

	var names []string
	for _, tag := range article["tag"].([]any) {
		tm := tag.(map[string]any)
		names = append(names, fmt.Sprint(tm["name"]))
		if tm["name"] == "#raceday" && tm["href"] != h.base+"/tags/race-day/" {
			t.Errorf("the hashtag's href %v", tm["href"])
		}
	}
	if !slices.Equal(names, []string{"#raceday", "#hills"}) {
		t.Errorf("hashtags %v, want #raceday and #hills (letters, digits and underscores alone)", names)
	}
	if res, _ := fetch(t, h.base+"/tags/race-day/"); res.StatusCode != http.StatusOK {
		t.Errorf("the hashtag's tag page: %d", res.StatusCode)
	}
}

// TestEveryUpdateIsNewerThanTheLast: a post edited twice without a new
// lastmod (its Date stands for it) is sent two Updates whose objects'
// updated are each newer than the one before, and than the post's
// published: Mastodon ignores an Update whose updated is not newer than
// what it has.
func TestEveryUpdateIsNewerThanTheLast(t *testing.T) {
	h, f := followedHarness(t)
	updatedOf := func(act map[string]any) time.Time {
		t.Helper()
		obj, _ := act["object"].(map[string]any)
		at, err := time.Parse(time.RFC3339, fmt.Sprint(obj["updated"]))
		if err != nil {
			t.Fatalf("the %s's object has no readable updated (%v): %v", act["type"], obj["updated"], err)
		}
		return at
	}
	published := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	last := published
	for i, body := range []string{"An easy six in the park.", "An easy seven in the park."} {
		h.change("posts/first-run.md", post("title: First run\ndate: 2026-11-01\nauthor: kay\ntags: [easy]", body))
		update := f.next(t, "Update")
		if update["type"] != "Update" {
			t.Fatalf("edit %d: a %v, want an Update", i+1, update["type"])
		}
		if at := updatedOf(update); !at.After(last) {
			t.Errorf("edit %d: updated %s is not newer than %s", i+1, at, last)
		} else {
			last = at
		}
	}
}
