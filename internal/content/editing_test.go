package content

import (
	"context"
	"strings"
	"testing"
)

// ParsePost gives an editor the verdict Load would give the file, with the
// same file:line problems, before the file is written.
func TestParsePostJudgesAFileAsLoadWould(t *testing.T) {
	dir := writeSite(t, files{
		"authors/kay.md":        "---\nname: Kay\n---\n",
		"posts/first.md":        "---\ntitle: First\ndate: 2024-01-01\n---\nHi.\n",
		"posts/second/index.md": "---\ntitle: Second\ndate: 2024-01-02\nauthor: kay\n---\nHi.\n",
	})
	site, err := Load(context.Background(), dir, Overrides{})
	if err != nil || len(site.Problems) > 0 {
		t.Fatalf("Load: %v %v", err, site.Problems)
	}
	for _, tc := range []struct {
		rel, src, want string
	}{
		{"posts/first.md", "---\ntitle: First, edited\ndate: 2024-01-01\n---\nHi.\n", ""},
		{"posts/first.md", "---\ntitle: First\ndate: 2024-01-01\nauthor: nobody\n---\n", `posts/first.md:4: unknown author "nobody"`},
		{"posts/first.md", "---\ndate: soon\n---\n", "posts/first.md:1: missing title"},
		{"posts/first.md", "---\ntitle: First\ndate: 2024-01-01\nslug: second\n---\n", `posts/first.md:4: slug "second" is already used by posts/second/index.md`},
		{"posts/third.md", "---\ntitle: Third\ndate: 2024-01-03\n---\n\xff\n", "posts/third.md:5: invalid UTF-8"},
		{"posts/../site.yaml", "---\ntitle: x\ndate: 2024-01-01\n---\n", "not a post file"},
		{"authors/kay.md", "---\ntitle: x\ndate: 2024-01-01\n---\n", "not a post file"},
	} {
		_, problems := site.ParsePost(tc.rel, []byte(tc.src))
		var got []string
		for _, p := range problems {
			got = append(got, p.Error())
		}
		if all := strings.Join(got, "; "); tc.want == "" && all != "" || !strings.Contains(all, tc.want) {
			t.Errorf("ParsePost(%s, %q) = %q, want %q", tc.rel, tc.src, all, tc.want)
		}
	}
	if site.PostFile("second") != "posts/second/index.md" || site.PostFile("none") != "" {
		t.Errorf("PostFile: %q, %q", site.PostFile("second"), site.PostFile("none"))
	}
}

func TestSplitSourceGivesTheOffsetsOfEachPart(t *testing.T) {
	src := "\uFEFF+++\r\ntitle = \"T\"\r\n+++\r\nBody\r\n"
	s, err := SplitSource([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Format != "TOML" || src[s.FrontStart:s.FrontEnd] != "title = \"T\"\r\n" || src[s.BodyStart:] != "Body\r\n" {
		t.Errorf("split %+v: front %q, body %q", s, src[s.FrontStart:s.FrontEnd], src[s.BodyStart:])
	}
	if len(s.Keys) != 1 || s.Keys[0].Key != "title" || s.Keys[0].Line != 2 || s.Keys[0].Text != "T" {
		t.Errorf("keys %+v", s.Keys)
	}
	if _, err := SplitSource([]byte("no front matter")); err == nil || !strings.Contains(err.Error(), "no front matter") {
		t.Errorf("SplitSource of a file without front matter: %v", err)
	}
}
