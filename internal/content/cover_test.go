package content

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"milepost/internal/media/mediatest"
)

// coverPost is a bundle post's index.md whose front matter has the cover
// line given (line 4 of the file) and the body md.
func coverPost(cover, md string) string {
	return "---\ntitle: Race day\ndate: 2024-05-01\n" + cover + "\n---\n" + md
}

func TestACoverNamesABundlePhotoWithItsSizeWidthsAndAlt(t *testing.T) {
	dir := writeSite(t, files{
		"posts/race-day/index.md": coverPost("cover: finish.png",
			"![The start](start.png)\n\nThe race.\n\n![Crossing the line at 41:12](finish.png)\n"),
		"posts/race-day/finish.png": string(mediatest.PNG(t, mediatest.Halves(2000, 1000))),
		"posts/race-day/start.png":  string(mediatest.PNG(t, mediatest.Halves(600, 300))),
	})
	site, err := Load(context.Background(), dir, Overrides{BaseURL: "https://example.org/blog/"})
	if err != nil {
		t.Fatal(err)
	}
	p := onlyPost(t, site)
	if len(site.Warnings) > 0 {
		t.Fatalf("warnings: %v", site.Warnings)
	}
	c := p.Cover
	if c == nil {
		t.Fatal("no cover")
	}
	at := "/blog/posts/race-day/finish.png"
	got := map[string]any{"name": c.Name, "alt": c.Alt(), "src": c.Src, "srcset": c.Srcset, "sizes": c.Sizes,
		"width": c.Width, "height": c.Height, "leads": c.LeadsBody()}
	want := map[string]any{"name": "finish.png", "alt": "Crossing the line at 41:12", "src": at,
		"srcset": at + "?w=480 480w, " + at + "?w=960 960w, " + at + "?w=1600 1600w, " + at + " 2000w",
		"sizes":  photoSizes, "width": 2000, "height": 1000, "leads": false}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("cover (-want +got):\n%s", d)
	}
	// Other sites get the 1600 px variant, at a path from the site's root
	// (the base URL, path included, goes in front of it).
	if d := cmp.Diff(SharedPhoto{Path: "/posts/race-day/finish.png?w=1600", Width: 1600, Height: 800, MediaType: "image/png"}, c.Shared()); d != "" {
		t.Errorf("shared (-want +got):\n%s", d)
	}
}

func TestACoverTheBodyOpensWithLeadsItAndANarrowOneIsSharedWhole(t *testing.T) {
	p := onlyPost(t, loadSite(t, files{
		"posts/race-day/index.md":   coverPost("cover: finish.jpg", "![](finish.jpg)\n\nThe race.\n"),
		"posts/race-day/finish.jpg": string(mediatest.PhoneJPEG(t, 1200, 900, 1)),
	}))
	c := p.Cover
	if c == nil {
		t.Fatal("no cover")
	}
	if !c.LeadsBody() {
		t.Error("the body's first image is the cover, but LeadsBody is false")
	}
	// An image without a description: the post's title describes it.
	if c.Alt() != "Race day" {
		t.Errorf("alt %q, want the title", c.Alt())
	}
	if d := cmp.Diff(SharedPhoto{Path: "/posts/race-day/finish.jpg", Width: 1200, Height: 900, MediaType: "image/jpeg"}, c.Shared()); d != "" {
		t.Errorf("shared (-want +got):\n%s", d)
	}
}

func TestAPostWithPhotosButNoCoverKeyHasNoCover(t *testing.T) {
	p := onlyPost(t, loadSite(t, files{
		"posts/race-day/index.md":   coverPost("tags: [race]", "![Finish](finish.png)\n"),
		"posts/race-day/finish.png": string(mediatest.PNG(t, mediatest.Halves(800, 400))),
	}))
	if p.Cover != nil {
		t.Errorf("cover %+v, want none: a cover is never guessed", p.Cover)
	}
}

func TestABadCoverIsAProblemAtItsLineAndThePostServesWithoutOne(t *testing.T) {
	photo := string(mediatest.PNG(t, mediatest.Halves(800, 400)))
	for _, tc := range []struct {
		name, cover string
		extra       files
		file        string
		want        string
	}{
		{"missing file", "cover: gone.jpg", nil, "posts/race-day/index.md",
			`cover "gone.jpg" is not in the post's folder: no file gone.jpg in posts/race-day/`},
		{"not a photo", "cover: notes.txt", files{"posts/race-day/notes.txt": "splits"}, "posts/race-day/index.md",
			`cover "notes.txt" is not a photo: a cover must be a .gif, .jpeg, .jpg, .png or .webp file`},
		{"a HEIC named .jpg", "cover: phone.jpg", files{"posts/race-day/phone.jpg": "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"},
			"posts/race-day/index.md", `cover "phone.jpg" cannot be shown to readers: `},
		{"outside the bundle", "cover: ../x.png", files{"posts/x.png": photo}, "posts/race-day/index.md",
			`cover "../x.png" must name a photo inside the post's folder, such as finish.jpg`},
		{"an absolute path", "cover: /etc/x.png", nil, "posts/race-day/index.md",
			`cover "/etc/x.png" must name a photo inside the post's folder`},
		{"hidden", "cover: .secret.png", files{"posts/race-day/.secret.png": photo}, "posts/race-day/index.md",
			`cover ".secret.png" is a hidden file`},
		{"not text", "cover: [a.png, b.png]", nil, "posts/race-day/index.md", `cover must be text, not a list`},
		{"a single-file post", "cover: finish.png", files{"posts/finish.png": photo}, "posts/race-day.md",
			`cover "finish.png" names a photo beside the post, but posts/race-day.md is a single file`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fs := files{tc.file: coverPost(tc.cover, "![Finish](finish.png)\n"), "posts/race-day/finish.png": photo}
			for k, v := range tc.extra {
				fs[k] = v
			}
			site := loadSite(t, fs)
			p := onlyPost(t, site) // served all the same, and not a skipped file
			if p.Cover != nil {
				t.Errorf("cover %+v, want none", p.Cover)
			}
			if len(site.Warnings) != 1 {
				t.Fatalf("warnings %v, want one", site.Warnings)
			}
			got := site.Warnings[0].Error()
			if prefix := tc.file + ":4: " + tc.want; !strings.HasPrefix(got, prefix) {
				t.Errorf("warning\n%s\nwant it to start\n%s", got, prefix)
			}
			// milepost check reports it with the body's image problems.
			more, err := site.Check(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(more) == 0 || more[0].Error() != got {
				t.Errorf("Check: %v, want %s first", more, got)
			}
		})
	}
}
