package content

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAnAuthorsPhotoBesideTheProfileIsPublishedAsAvatar(t *testing.T) {
	site := loadSite(t, files{
		"authors/kay.md":  "---\nname: Kay\n---\n",
		"authors/kay.jpg": "photo bytes",
		"authors/zed.md":  "---\nname: Zed\n---\n",
		"authors/zed.png": "png bytes",
		"authors/ann.md":  "---\nname: Ann\n---\n",
		"authors/ann.gif": "not an avatar format",
	})
	v := View{Site: site, Now: time.Now()}
	for id, want := range map[string]string{"kay": "avatar.jpg", "zed": "avatar.png", "ann": ""} {
		if got := site.Authors[id].Avatar; got != want {
			t.Errorf("%s.Avatar = %q, want %q", id, got, want)
		}
	}
	res, err := v.OpenAvatar("kay", "avatar.jpg")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res)
	res.Close()
	if string(b) != "photo bytes" || res.MediaType != "image/jpeg" {
		t.Errorf("kay's photo: %q %s", b, res.MediaType)
	}
	for _, c := range [][2]string{{"kay", "avatar.png"}, {"ann", "avatar.gif"}, {"kay", "../kay.jpg"}, {"nobody", "avatar.jpg"}, {"kay", "kay.jpg"}} {
		if res, err := v.OpenAvatar(c[0], c[1]); !errors.Is(err, fs.ErrNotExist) {
			if res != nil {
				res.Close()
			}
			t.Errorf("OpenAvatar(%q, %q) = %v, want not found", c[0], c[1], err)
		}
	}
}

func TestAnAuthorsPhotoThatIsALinkOutOfAuthorsIsNotPublished(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret.jpg")
	if err := os.WriteFile(outside, []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := writeSite(t, files{"authors/kay.md": "---\nname: Kay\n---\n"})
	if err := os.Symlink(outside, filepath.Join(dir, "authors", "kay.jpg")); err != nil {
		t.Skipf("symbolic links: %v", err)
	}
	site, err := Load(t.Context(), dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if a := site.Authors["kay"]; a.Avatar != "" {
		t.Errorf("a link out of authors/ is published as %q", a.Avatar)
	}
}

func TestParseAuthorJudgesAProfileAsTheLoaderDoes(t *testing.T) {
	site := loadSite(t, files{})
	if a, problems := site.ParseAuthor("authors/kay.md", []byte("---\nname: Kay\nwebsite: https://kay.example\n---\nBio.\n")); len(problems) > 0 || a.Name != "Kay" {
		t.Errorf("a good profile: %v %v", a, problems)
	}
	for _, c := range []struct{ rel, src, says string }{
		{"authors/kay.md", "---\nname: Kay\nwebsite: javascript:alert(1)\n---\n", "http or https"},
		{"authors/kay.md", "---\nwebsite: https://kay.example\n---\n", "missing name"},
		{"posts/kay.md", "---\nname: Kay\n---\n", "not an author file"},
		{"authors/Kay.md", "---\nname: Kay\n---\n", "author id"},
	} {
		_, problems := site.ParseAuthor(c.rel, []byte(c.src))
		if len(problems) == 0 || !strings.Contains(problems[0].Error(), c.says) {
			t.Errorf("%s %q: %v, want %q", c.rel, c.src, problems, c.says)
		}
	}
}
