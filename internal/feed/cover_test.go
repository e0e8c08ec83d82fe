package feed_test

import (
	"testing"

	"github.com/mmcdole/gofeed"

	"milepost/internal/content"
	"milepost/internal/feed"
	"milepost/internal/media"
)

func TestACoverIsAnEnclosureOnlyWithItsLength(t *testing.T) {
	posts := samplePosts()
	// A WebP 3000 px wide: shared 1600 px wide, as the JPEG media makes.
	posts[0].Cover = &content.Cover{Name: "finish.webp", Path: "/posts/boston-2024/finish.webp",
		Photo: media.Info{Format: media.WebP, Width: 3000, Height: 2000, Opaque: true}}
	posts[1].Cover = &content.Cover{Name: "start.png", Path: "/posts/second/start.png",
		Photo: media.Info{Format: media.PNG, Width: 800, Height: 600}}
	ch := feed.Channel{Title: "Runs", BaseURL: baseURL + "/club/", Path: "/",
		// The second post's size is not known: it gets no enclosure.
		CoverBytes: map[string]int64{posts[0].Slug: 123456}}
	const want = baseURL + "/club/posts/boston-2024/finish.webp?w=1600"
	for _, f := range feed.Formats {
		t.Run(f.Name(), func(t *testing.T) {
			body, err := feed.Build(ch, posts, f)
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := gofeed.NewParser().ParseString(string(body))
			if err != nil {
				t.Fatal(err)
			}
			first, second := parsed.Items[0], parsed.Items[1]
			if f == feed.JSON {
				if first.Image == nil || first.Image.URL != want || second.Image != nil {
					t.Errorf("images %+v, %+v; want %s, none", first.Image, second.Image, want)
				}
				return
			}
			if len(first.Enclosures) != 1 || *first.Enclosures[0] != (gofeed.Enclosure{URL: want, Length: "123456", Type: "image/jpeg"}) {
				t.Errorf("enclosures %+v", first.Enclosures)
			}
			if len(second.Enclosures) != 0 {
				t.Errorf("a cover of unknown length is an enclosure: %+v", second.Enclosures[0])
			}
		})
	}
}
