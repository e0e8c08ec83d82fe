package content

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"milepost/internal/media/mediatest"
)

// Check finds the images a post shows from beside it that readers would not
// get, each at the line it is written on.
func TestCheckFindsImagesReadersWouldNotGet(t *testing.T) {
	front := "---\ntitle: Race day\ndate: 2026-01-02\n---\n"
	photo := string(mediatest.JPEG(t, mediatest.Halves(8, 8)))
	dir := writeSite(t, files{
		"posts/race-day/index.md": front + "The start.\n\n" + // line 5
			"![The finish](finish.jpg)\n\n" + // line 7: present
			"![Missing](missing.jpg) and\n" + // line 9
			"![](./photos/gone.png)\n\n" + // line 10: no description
			"| a | b |\n|---|---|\n| x | ![cell](cell.webp) |\n\n" + // line 14
			"![Phone](IMG_0001.HEIC)\n\n" + // line 16: present, not served
			"![Hidden](.secret.jpg)\n\n" + // line 18
			"![Space](finish%20line.jpg)\n\n" + // line 20: present
			"![Other post](../other/x.jpg) ![Root](/static/logo.png) ![Web](https://example.org/a.jpg) ![Fragment](#top)\n\n" +
			"![Ref][pic]\n\n[pic]: nowhere.gif\n", // line 24
		"posts/race-day/finish.jpg":      photo,
		"posts/race-day/finish line.jpg": photo,
		"posts/race-day/IMG_0001.HEIC":   "heic",
		"posts/race-day/.secret.jpg":     "jpeg",
		"posts/single.md":                front + "\n![Alone](alone.jpg)\n", // line 6
		"posts/fine/index.md":            front + "![Ok](ok.png)\n",
		"posts/fine/ok.png":              string(mediatest.PNG(t, mediatest.Halves(8, 8))),
	})
	site, err := Load(context.Background(), dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Problems) > 0 {
		t.Fatalf("Load's problems: %v", problemList(site))
	}
	got, err := site.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range got {
		lines = append(lines, p.Error())
	}
	want := []string{
		`posts/race-day/index.md:9: image "missing.jpg": no file missing.jpg in posts/race-day/`,
		`posts/race-day/index.md:10: image "./photos/gone.png": no file photos/gone.png in posts/race-day/`,
		`posts/race-day/index.md:14: image "cell.webp": no file cell.webp in posts/race-day/`,
		`posts/race-day/index.md:16: image "IMG_0001.HEIC" is not served to readers: a bundle's images must be .gif, .jpeg, .jpg, .png or .webp files`,
		`posts/race-day/index.md:18: image ".secret.jpg" is not served to readers: hidden files (names starting with a dot) never are`,
		`posts/race-day/index.md:24: image "nowhere.gif": no file nowhere.gif in posts/race-day/`,
		`posts/single.md:6: image "alone.jpg" is shown from beside the post, but posts/single.md is a single file and nothing beside it is served: make the post a page bundle (posts/single/index.md) with the image in its folder`,
	}
	if !slices.Equal(lines, want) {
		t.Errorf("Check:\n%s\nwant:\n%s", join(lines), join(want))
	}
}

// A bundle image that is a symbolic link out of the folder is not served,
// and Check says so.
func TestCheckImageLinkingOutOfTheBundle(t *testing.T) {
	dir := writeSite(t, files{
		"posts/p/index.md": "---\ntitle: P\ndate: 2026-01-02\n---\n![x](leak.jpg)\n",
		"secret.jpg":       "private",
	})
	if err := os.Symlink(filepath.Join(dir, "secret.jpg"), filepath.Join(dir, "posts/p/leak.jpg")); err != nil {
		t.Skip("no symbolic links:", err)
	}
	site, err := Load(context.Background(), dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := site.Check(context.Background())
	if err != nil || len(got) != 1 || got[0].Line != 5 {
		t.Fatalf("Check = %v, %v; want one problem on line 5", got, err)
	}
}

func join(lines []string) string {
	out := ""
	for _, l := range lines {
		out += "  " + l + "\n"
	}
	return out
}

// Each image that is there is probed as media probes it before serving
// it; what media refuses is a problem at the image's line.
func TestCheckFindsPhotosMediaRefuses(t *testing.T) {
	site := loadSite(t, files{
		"posts/p/index.md":  "---\ntitle: P\ndate: 2026-01-02\n---\n![good](good.jpg)\n\n![phone](phone.jpg)\n\n![gone](gone.jpg)\n",
		"posts/p/good.jpg":  string(mediatest.JPEG(t, mediatest.Halves(8, 8))),
		"posts/p/phone.jpg": "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", // a HEIC named .jpg
	})
	got, err := site.Check(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, p := range got {
		lines = append(lines, p.Error())
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `posts/p/index.md:7: image "phone.jpg" cannot be shown to readers: `) ||
		!strings.Contains(lines[0], "HEIC") || lines[1] != `posts/p/index.md:9: image "gone.jpg": no file gone.jpg in posts/p/` {
		t.Errorf("Check:\n%s", join(lines))
	}
}
