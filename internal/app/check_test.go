package app_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"milepost/internal/media/mediatest"
)

// `milepost check` loads the content as serve does and prints every
// problem as file:line: message — exit status 1 if any, else 0 and a
// summary — for CI and git hooks.
func TestCheckCommand(t *testing.T) {
	bin := milepostBinary(t)

	t.Run("the sample site has no problems", func(t *testing.T) {
		code, out, errOut := cli(t, bin, "check", "-content", sampleContent)
		if code != 0 || out != "1 post, 1 author, no problems\n" || errOut != "" {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
	})

	t.Run("a broken post fails with its file and line", func(t *testing.T) {
		dir := sampleCopy(t)
		add := func(name, text string) {
			write(t, filepath.Join(dir, filepath.FromSlash(name)), text)
		}
		add("posts/x.md", "---\ntitle: Race day: 10k PR\ndate: 2026-01-02\n---\nBody.\n")
		add("posts/y.md", "---\ntitle: Y\ndate: 2026-01-02\nauthor: nobody\ntags: 3\n---\n")
		add("posts/race/index.md", "---\ntitle: Race\ndate: 2026-01-02\n---\n\n![The finish](finish.jpg)\n\n![Start](start.jpg)\n\n"+
			"![Phone](phone.jpg) ![Bomb](bomb.png)\n")
		add("posts/race/start.jpg", string(mediatest.PhoneJPEG(t, 64, 48, 1)))
		// A phone's HEIC photo renamed, and a PNG header of 60 megapixels.
		add("posts/race/phone.jpg", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
		add("posts/race/bomb.png", string(mediatest.PNGHeader(10000, 6000)))
		add("authors/Bad Name.md", "---\nname: Bad\n---\n")
		code, out, errOut := cli(t, bin, "check", "-content", dir)
		want := strings.Join([]string{
			`authors/Bad Name.md: the author id "Bad Name" from the file name must be lowercase letters, digits and inner hyphens`,
			`posts/x.md:2: invalid YAML front matter: mapping values are not allowed in this context; quote the value: title: "Race day: 10k PR"`,
			`posts/y.md:4: unknown author "nobody"`,
			`posts/y.md:5: tags must be a list such as [a, b], not a number "3"`,
			`posts/race/index.md:6: image "finish.jpg": no file finish.jpg in posts/race/`,
			`posts/race/index.md:10: image "phone.jpg" cannot be shown to readers: HEIC photos are not supported: use JPEG, PNG, WebP or GIF`,
			`posts/race/index.md:10: image "bomb.png" cannot be shown to readers: the photo is 10000×6000 pixels, over 50 megapixels: make it smaller`,
		}, "\n") + "\n"
		if code != 1 || out != want || errOut != "milepost: 7 problems in 4 files\n" {
			t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr: %q", code, out, want, errOut)
		}
	})

	t.Run("content that cannot be loaded fails", func(t *testing.T) {
		dir := sampleCopy(t)
		if err := os.Remove(filepath.Join(dir, "site.yaml")); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := cli(t, bin, "check", "-content", dir)
		if code != 1 || out != "" || !strings.Contains(errOut, "loading the content directory: reading site settings") {
			t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
		}
		if code, _, errOut := cli(t, bin, "check", "-content", dir, "extra"); code != 2 || !strings.Contains(errOut, "check takes no arguments") {
			t.Errorf("an argument: exit %d, %s", code, errOut)
		}
	})
}
