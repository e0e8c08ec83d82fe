package content

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestFrontMatterSyntaxErrorsPointAtTheKeyAndSayHowToFixIt(t *testing.T) {
	tests := []struct {
		name, post, want string
	}{{
		name: "a colon in the title on the first line of the front matter",
		post: "---\ntitle: Race day: 10k PR\ndate: 2024-01-01\n---\nFast.\n",
		want: `posts/bad.md:2: invalid YAML front matter: mapping values are not allowed in this context; quote the value: title: "Race day: 10k PR"`,
	}, {
		name: "a colon in the title further down",
		post: "---\ndate: 2024-01-01\ntitle: Race day: 10k PR\n---\nFast.\n",
		want: `posts/bad.md:3: invalid YAML front matter: mapping values are not allowed in this context; quote the value: title: "Race day: 10k PR"`,
	}, {
		name: "after comments and a list of several lines",
		post: "---\n# the race\ntags:\n  - race\n  - 10k\n\ndate: 2024-01-01\nsummary: Goal: sub 40\n---\nFast.\n",
		want: `posts/bad.md:8: invalid YAML front matter: mapping values are not allowed in this context; quote the value: summary: "Goal: sub 40"`,
	}, {
		name: "quotes inside the value are escaped in the hint",
		post: "---\ndate: 2024-01-01\ntitle: Coach said \"go\": so I went\n---\n",
		want: `posts/bad.md:3: invalid YAML front matter: mapping values are not allowed in this context; quote the value: title: "Coach said \"go\": so I went"`,
	}, {
		name: "a value starting with a character YAML reserves",
		post: "---\ndate: 2024-01-01\ntitle: `Hill` repeats\n---\n",
		want: "posts/bad.md:3: invalid YAML front matter: found character that cannot start any token; quote the value: title: \"`Hill` repeats\"",
	}, {
		name: "an unclosed list is reported at its key, with no quoting hint",
		post: "---\ntitle: Bad\ntags: [race, 10k\ndate: 2024-01-01\n---\n",
		want: "posts/bad.md:3: invalid YAML front matter: did not find expected ',' or ']'",
	}, {
		name: "TOML: an unquoted title",
		post: "+++\ndate = 2024-01-01\ntitle = Race day: 10k PR\n+++\n",
		want: `posts/bad.md:3: invalid TOML front matter: expected value but found "Race" instead; quote the value: title = "Race day: 10k PR"`,
	}, {
		name: "TOML: an unquoted word in a list gets no quoting of the whole list",
		post: "+++\ntitle = 'Bad'\ndate = 2024-01-01\ntags = [a]\n+++\n",
		want: `posts/bad.md:4: invalid TOML front matter: expected value but found "a" instead`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := loadSite(t, files{"posts/bad.md": tt.post})
			if diff := cmp.Diff([]string{tt.want}, problemList(site)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestQuoteHintsAreRight applies the fix each message suggests to the line
// it names and loads the post again: the fix must be the fix.
func TestQuoteHintsAreRight(t *testing.T) {
	for _, broken := range []string{
		"---\ntitle: Race day: 10k PR\ndate: 2024-01-01\n---\n",
		"---\ndate: 2024-01-01\ntitle: Race day: 10k PR\n---\n",
		"+++\ndate = 2024-01-01\ntitle = Race day: 10k PR\n+++\n",
	} {
		site := loadSite(t, files{"posts/p.md": broken})
		if len(site.Problems) != 1 {
			t.Fatalf("problems: %v", problemList(site))
		}
		p := site.Problems[0]
		_, fix, ok := strings.Cut(p.Err.Error(), "; quote the value: ")
		if !ok {
			t.Fatalf("no hint in %v", p)
		}
		lines := strings.Split(broken, "\n")
		lines[p.Line-1] = fix
		post := onlyPost(t, loadSite(t, files{"posts/p.md": strings.Join(lines, "\n")}))
		if post.Title != "Race day: 10k PR" {
			t.Errorf("title after the fix = %q", post.Title)
		}
	}
}
