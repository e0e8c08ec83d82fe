package content

import (
	"context"
	"strings"
	"testing"

	"milepost/internal/media/mediatest"
)

func TestABundlesPhotosAreRenderedWithTheirSizeAndWidths(t *testing.T) {
	dir := writeSite(t, files{
		"posts/race-day/index.md": "---\ntitle: Race day\ndate: 2024-05-01\n---\n" +
			"![Finish](finish.png)\n\n<!--more-->\n\n" +
			"![Start](photos/start.jpg)\n\n![Crowd](crowd.png)\n\n![Phone](phone.jpg)\n\n" +
			"![Remote](https://example.org/x.png)\n\n![Root](/posts/race-day/finish.png)\n\n" +
			"![Other post](../plan/plan.png)\n\n![Hidden](.secret.png)\n\n![Missing](gone.png)\n\n" +
			"![Query](finish.png?w=480)\n\n![Attack](a%22onerror=%22x.png)\n",
		"posts/race-day/finish.png":       string(mediatest.PNG(t, mediatest.Halves(1200, 600))),
		"posts/race-day/photos/start.jpg": string(mediatest.PhoneJPEG(t, 800, 400, 6)),
		"posts/race-day/crowd.png":        string(mediatest.PNGHeader(6000, 3000)), // the header is all that is read
		"posts/race-day/phone.jpg":        "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic",
		"posts/race-day/.secret.png":      string(mediatest.PNG(t, mediatest.Halves(10, 10))),
		`posts/race-day/a"onerror="x.png`: string(mediatest.PNG(t, mediatest.Halves(10, 10))),
		"posts/plan/index.md":             "---\ntitle: Plan\ndate: 2024-06-01\n---\nText.\n",
		"posts/plan/plan.png":             string(mediatest.PNG(t, mediatest.Halves(600, 300))),
		"posts/single.md":                 "---\ntitle: Single\ndate: 2024-04-01\n---\n![Beside](finish.png)\n",
		"posts/finish.png":                string(mediatest.PNG(t, mediatest.Halves(600, 300))),
	})
	site, err := Load(context.Background(), dir, Overrides{BaseURL: "https://example.org/blog/"})
	if err != nil {
		t.Fatal(err)
	}
	all := View{Site: site, Now: site.all[0].Date.AddDate(1, 0, 0)}
	html := string(all.Post("race-day").HTML())
	at := "/blog/posts/race-day/"
	sizes := ` sizes="(min-width: 40rem) 37.5rem, calc(100vw - 2.5rem)" loading="lazy" decoding="async">`
	for _, want := range []string{
		// 1200 px wide: 480, 960 and its own width, never more.
		`<img src="finish.png" alt="Finish" width="1200" height="600" srcset="` +
			at + `finish.png?w=480 480w, ` + at + `finish.png?w=960 960w, ` + at + `finish.png 1200w"` + sizes,
		// Stored 800×400 on its side: upright 400×800, narrower than any
		// standard width, so only itself.
		`<img src="photos/start.jpg" alt="Start" width="400" height="800" srcset="` + at + `photos/start.jpg 400w"` + sizes,
		// 6000 px wide: served 2400 wide at most.
		`<img src="crowd.png" alt="Crowd" width="2400" height="1200" srcset="` + at + `crowd.png?w=480 480w, ` +
			at + `crowd.png?w=960 960w, ` + at + `crowd.png?w=1600 1600w, ` + at + `crowd.png 2400w"` + sizes,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the post's HTML lacks\n%s\nin\n%s", want, html)
		}
	}
	// Not a photo of the bundle readers get: as written, without sizes.
	for _, alt := range []string{"Phone", "Remote", "Root", "Other post", "Hidden", "Missing", "Query"} {
		i := strings.Index(html, `alt="`+alt+`"`)
		if i < 0 {
			t.Errorf("no image %q in %s", alt, html)
			continue
		}
		if tag := html[i : i+strings.Index(html[i:], ">")]; strings.Contains(tag, "srcset") || strings.Contains(tag, "width") {
			t.Errorf("image %q: %s, want no sizes", alt, tag)
		}
	}
	// A file name with quotes stays inside its attributes.
	if want := `srcset="` + at + `a%22onerror=%22x.png 10w"`; !strings.Contains(html, want) || strings.Contains(html, `" onerror`) || strings.Contains(html, `"onerror`) {
		t.Errorf("a photo named with quotes: want %s in %s", want, html)
	}
	// The summary is shown on other pages: its srcset still holds there.
	if sum := string(all.Post("race-day").Summary()); !strings.Contains(sum, `srcset="`+at+`finish.png?w=480 480w`) ||
		!strings.Contains(sum, `src="/blog/posts/race-day/finish.png"`) {
		t.Errorf("summary %s", sum)
	}
	// Beside a single-file post nothing is served.
	if single := string(all.Post("single").HTML()); strings.Contains(single, "srcset") {
		t.Errorf("a single-file post's image: %s", single)
	}
}
