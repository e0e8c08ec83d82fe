package content

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const kayAuthor = `---
name: Kay-Kay's Bird Club
website: https://kay.example.org
location: Oakland
---
Hat-maker and *running fool*.
`

// renderedBody is what a post's body methods give.
type renderedBody struct {
	Summary, HTML             template.HTML
	Description               string
	WordCount, ReadingMinutes int
}

func bodyOf(p *Post) renderedBody {
	return renderedBody{Summary: p.Summary(), HTML: p.HTML(), Description: p.Description(), WordCount: p.WordCount(), ReadingMinutes: p.ReadingMinutes()}
}

var (
	longRunBody = renderedBody{Summary: "<p>A <em>short</em> one.</p>\n", Description: "A short one.",
		HTML: "<p>Thirty-two kilometres.</p>\n", WordCount: 2, ReadingMinutes: 1}
	easyFiveBody = renderedBody{Summary: "<p>Easy five.</p>\n", HTML: "<p>Easy five.</p>\n", Description: "Easy five.",
		WordCount: 2, ReadingMinutes: 1}
)

func TestFrontMatterKeys(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	kay := &Author{
		ID: "kay", Name: "Kay-Kay's Bird Club", Website: "https://kay.example.org",
		Bio:    "<p>Hat-maker and <em>running fool</em>.</p>\n",
		Params: map[string]any{"location": "Oakland"},
	}
	// Both formats spell the same post; only the types of unknown numbers
	// differ (YAML decodes int, TOML int64).
	full := func(params map[string]any) *Post {
		return &Post{
			Slug:         "long-run",
			Title:        `Long run, "easy" pace`,
			Date:         time.Date(2024, 3, 10, 7, 30, 0, 0, paris),
			Lastmod:      time.Date(2024, 3, 11, 0, 0, 0, 0, paris),
			Author:       kay,
			Tags:         []string{"marathon", "long-run", "recovery"},
			Draft:        true,
			CommentsOpen: false,
			Params:       params,
			File:         "posts/2024/sunday.md",
		}
	}
	tests := []struct {
		name string
		post string
		want *Post
		body renderedBody
	}{{
		name: "YAML",
		post: `---
title: Long run, "easy" pace
date: 2024-03-10T07:30:00
author: kay
tags: [Marathon, "Long  Run", marathon, " Recovery "]
summary: A *short* one.
slug: long-run
draft: true
lastmod: 2024-03-11
comments: false
distance_km: 32
shoes: {brand: Trail, size: 42}
---
Thirty-two kilometres.
`,
		want: full(map[string]any{"distance_km": 32, "shoes": map[string]any{"brand": "Trail", "size": 42}}),
		body: longRunBody,
	}, {
		name: "TOML",
		post: `+++
title = 'Long run, "easy" pace'
date = 2024-03-10T07:30:00
author = "kay"
tags = ["Marathon", "Long  Run", "marathon", " Recovery "]
summary = "A *short* one."
slug = "long-run"
draft = true
lastmod = 2024-03-11
comments = false
distance_km = 32

[shoes]
brand = "Trail"
size = 42
+++
Thirty-two kilometres.
`,
		want: full(map[string]any{"distance_km": int64(32), "shoes": map[string]any{"brand": "Trail", "size": int64(42)}}),
		body: longRunBody,
	}, {
		name: "only the required keys",
		post: "---\ntitle: Short\ndate: 2024-03-10\n---\nEasy five.\n",
		want: &Post{
			Slug: "sunday", Title: "Short",
			Date:         time.Date(2024, 3, 10, 0, 0, 0, 0, paris),
			Lastmod:      time.Date(2024, 3, 10, 0, 0, 0, 0, paris), // = Date
			CommentsOpen: true,
			File:         "posts/2024/sunday.md",
		},
		body: easyFiveBody,
	}, {
		name: "keys in any case, CRLF line ends, a byte order mark and empty optional keys",
		post: "\uFEFF---\r\nTitle: Short\r\nDATE: 2024-03-10\r\nauthor:\r\ntags: []\r\nslug: ''\r\n---\r\nEasy five.\r\n",
		want: &Post{
			Slug: "sunday", Title: "Short",
			Date:         time.Date(2024, 3, 10, 0, 0, 0, 0, paris),
			Lastmod:      time.Date(2024, 3, 10, 0, 0, 0, 0, paris),
			CommentsOpen: true,
			File:         "posts/2024/sunday.md",
		},
		body: easyFiveBody,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := loadSite(t, files{
				"site.yaml":            "timezone: Europe/Paris\n",
				"authors/kay.md":       kayAuthor,
				"posts/2024/sunday.md": tt.post,
			})
			got := onlyPost(t, site)
			if got.Version == 0 {
				t.Error("the post has no Version")
			}
			// Version numbers the parse, whichever it is.
			if diff := cmp.Diff(tt.want, got, locationByName, cmpopts.IgnoreUnexported(Post{}), cmpopts.IgnoreFields(Post{}, "Version")); diff != "" {
				t.Errorf("post mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.body, bodyOf(got)); diff != "" {
				t.Errorf("rendered body mismatch (-want +got):\n%s", diff)
			}
			if loc := got.Date.Location().String(); loc != "Europe/Paris" {
				t.Errorf("Date is in %s, want the site's zone", loc)
			}
			if diff := cmp.Diff(map[string]*Author{"kay": kay}, site.Authors); diff != "" {
				t.Errorf("authors mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDates(t *testing.T) {
	ny := mustZone(t, "America/New_York")
	tests := []struct {
		front string // the date line(s) of the front matter
		toml  bool
		want  time.Time
	}{
		{front: "date: 2024-03-10T07:30:00Z", want: time.Date(2024, 3, 10, 7, 30, 0, 0, time.UTC)},
		{front: "date: 2024-03-10T07:30:00+01:00", want: time.Date(2024, 3, 10, 6, 30, 0, 0, time.UTC)},
		{front: "date: 2024-03-10T07:30:00.5-05:00", want: time.Date(2024, 3, 10, 12, 30, 0, 5e8, time.UTC)},
		{front: "date: 2024-03-10T07:30:00", want: time.Date(2024, 3, 10, 7, 30, 0, 0, ny)},
		{front: "date: 2024-03-10 07:30", want: time.Date(2024, 3, 10, 7, 30, 0, 0, ny)},
		{front: "date: 2024-03-10", want: time.Date(2024, 3, 10, 0, 0, 0, 0, ny)},
		{front: `date: "2024-07-01"`, want: time.Date(2024, 7, 1, 0, 0, 0, 0, ny)},
		{front: "date = 2024-03-10T07:30:00", toml: true, want: time.Date(2024, 3, 10, 7, 30, 0, 0, ny)},
		{front: "date = 2024-03-10", toml: true, want: time.Date(2024, 3, 10, 0, 0, 0, 0, ny)},
		{front: "date = 2024-03-10T07:30:00Z", toml: true, want: time.Date(2024, 3, 10, 7, 30, 0, 0, time.UTC)},
		{front: `date = "2024-03-10 07:30"`, toml: true, want: time.Date(2024, 3, 10, 7, 30, 0, 0, ny)},
	}
	for _, tt := range tests {
		t.Run(tt.front, func(t *testing.T) {
			post := "---\ntitle: T\n" + tt.front + "\n---\n"
			if tt.toml {
				post = "+++\ntitle = 'T'\n" + tt.front + "\n+++\n"
			}
			got := onlyPost(t, loadSite(t, files{
				"site.yaml":  "timezone: America/New_York\n",
				"posts/t.md": post,
			}))
			if !got.Date.Equal(tt.want) {
				t.Errorf("Date = %v, want %v", got.Date, tt.want)
			}
			if !got.Lastmod.Equal(got.Date) {
				t.Errorf("Lastmod = %v, want Date %v", got.Lastmod, got.Date)
			}
			if got.Date.Location().String() != "America/New_York" {
				t.Errorf("Date is in %v, want the site's zone", got.Date.Location())
			}
		})
	}
}

func TestTags(t *testing.T) {
	tests := []struct {
		in   []string
		want []string
	}{
		{in: nil, want: nil},
		{in: []string{"Marathon"}, want: []string{"marathon"}},
		{in: []string{"  Long \t Run  ", "long run", "LONG-RUN"}, want: []string{"long-run"}},
		{in: []string{"b", "a", "B", "", "  "}, want: []string{"b", "a"}},
		{in: []string{"Trail Running\u00a0Shoes"}, want: []string{"trail-running-shoes"}},
	}
	for _, tt := range tests {
		if got := normalizeTags(tt.in); !cmp.Equal(got, tt.want) {
			t.Errorf("normalizeTags(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// good is a post that loads; every problem case has it beside the broken
// file to show that the rest of the site still loads.
const good = "---\ntitle: Good\ndate: 2024-01-01\nauthor: kay\n---\nFine.\n"

func TestProblems(t *testing.T) {
	tests := []struct {
		name  string
		files files
		want  []string // the problems, as logged
		posts []string // the slugs that load
	}{{
		name:  "no front matter",
		files: files{"posts/bad.md": "# Just Markdown\n\ntitle: no\n"},
		want:  []string{"posts/bad.md:1: no front matter: the file must start with a --- (YAML) or +++ (TOML) line"},
	}, {
		name:  "empty file",
		files: files{"posts/bad.md": ""},
		want:  []string{"posts/bad.md:1: no front matter: the file must start with a --- (YAML) or +++ (TOML) line"},
	}, {
		name:  "unterminated YAML",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate: 2024-01-01\n\nBody.\n"},
		want:  []string{"posts/bad.md:1: unterminated front matter: no closing --- line"},
	}, {
		name:  "unterminated TOML",
		files: files{"posts/bad.md": "+++\ntitle = 'Bad'\n---\nBody.\n"},
		want:  []string{"posts/bad.md:1: unterminated front matter: no closing +++ line"},
	}, {
		name:  "YAML syntax",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate 2024-01-01\ntags: [a]\n---\n"},
		want:  []string{"posts/bad.md:3: invalid YAML front matter: could not find expected ':'"},
	}, {
		name:  "YAML syntax: tab indentation",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate: 2024-01-01\ntags:\n\t- a\n---\n"},
		want:  []string{"posts/bad.md:5: invalid YAML front matter: found character that cannot start any token"},
	}, {
		name:  "YAML syntax: unclosed quote reported inside the front matter",
		files: files{"posts/bad.md": "---\ndate: 2024-01-01\ntitle: \"Bad\n---\nBody.\n"},
		want:  []string{"posts/bad.md:3: invalid YAML front matter: found unexpected end of stream"},
	}, {
		name:  "TOML syntax",
		files: files{"posts/bad.md": "+++\ntitle = 'Bad'\ndate = 2024-01-01\ntags = [a]\n+++\n"},
		want:  []string{`posts/bad.md:4: invalid TOML front matter: expected value but found "a" instead`},
	}, {
		name:  "TOML duplicate key",
		files: files{"posts/bad.md": "+++\ntitle = 'Bad'\ndate = 2024-01-01\ntitle = 'Worse'\n+++\n"},
		want:  []string{"posts/bad.md:4: invalid TOML front matter: Key 'title' has already been defined."},
	}, {
		name:  "YAML duplicate key, in another case",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate: 2024-01-01\nTitle: Worse\n---\n"},
		want:  []string{`posts/bad.md:4: duplicate key "Title" (first on line 2)`},
	}, {
		name:  "front matter is a list",
		files: files{"posts/bad.md": "---\n- title\n- date\n---\n"},
		want:  []string{"posts/bad.md:2: front matter must be keys with values, not a list"},
	}, {
		name: "wrong types, all reported",
		files: files{"posts/bad.md": `---
title: [Bad]
date: 2024-01-01
tags: marathon
draft: "yes"
comments: 0
slug: {a: b}
summary: [x]
---
`},
		want: []string{
			"posts/bad.md:2: title must be text, not a list",
			`posts/bad.md:4: tags must be a list such as [a, b], not text "marathon"`,
			`posts/bad.md:5: draft must be true or false, not text "yes"`,
			`posts/bad.md:6: comments must be true or false, not a number "0"`,
			"posts/bad.md:7: slug must be text, not a map",
			"posts/bad.md:8: summary must be text, not a list",
		},
	}, {
		name:  "TOML wrong types",
		files: files{"posts/bad.md": "+++\ntitle = 'Bad'\ndate = 2024-01-01\ndraft = 'true'\ntags = [['a']]\n+++\n"},
		want: []string{
			`posts/bad.md:4: draft must be true or false, not text "true"`,
			"posts/bad.md:5: tags must be a list such as [a, b], not a list",
		},
	}, {
		name:  "missing title",
		files: files{"posts/bad.md": "---\ndate: 2024-01-01\n---\n"},
		want:  []string{"posts/bad.md:1: missing title"},
	}, {
		name:  "empty title",
		files: files{"posts/bad.md": "---\ndate: 2024-01-01\ntitle: '  '\n---\n"},
		want:  []string{"posts/bad.md:3: missing title"},
	}, {
		name:  "missing date and title",
		files: files{"posts/bad.md": "---\nsummary: x\n---\n"},
		want:  []string{"posts/bad.md:1: missing title", "posts/bad.md:1: missing date"},
	}, {
		name:  "empty front matter",
		files: files{"posts/bad.md": "+++\n+++\nBody.\n"},
		want:  []string{"posts/bad.md:1: missing title", "posts/bad.md:1: missing date"},
	}, {
		name:  "empty date",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate:\n---\n"},
		want:  []string{"posts/bad.md:3: missing date"},
	}, {
		name:  "unparseable date",
		files: files{"posts/bad.md": "---\ntitle: Bad\ntags: [a]\ndate: 3 March 2024\n---\n"},
		want: []string{`posts/bad.md:4: date "3 March 2024" is not a date: write it as 2006-01-02, ` +
			`2006-01-02 15:04, 2006-01-02T15:04:05 or RFC 3339 (2006-01-02T15:04:05+01:00)`},
	}, {
		name:  "impossible date",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate: 2024-02-30\n---\n"},
		want: []string{`posts/bad.md:3: date "2024-02-30" is not a date: write it as 2006-01-02, ` +
			`2006-01-02 15:04, 2006-01-02T15:04:05 or RFC 3339 (2006-01-02T15:04:05+01:00)`},
	}, {
		name:  "unparseable lastmod",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate: 2024-01-01\nlastmod: soon\n---\n"},
		want: []string{`posts/bad.md:4: lastmod "soon" is not a date: write it as 2006-01-02, ` +
			`2006-01-02 15:04, 2006-01-02T15:04:05 or RFC 3339 (2006-01-02T15:04:05+01:00)`},
	}, {
		name:  "TOML time without a day",
		files: files{"posts/bad.md": "+++\ntitle = 'Bad'\ndate = 07:30:00\n+++\n"},
		want:  []string{"posts/bad.md:3: date 07:30:00 has no day"},
	}, {
		name:  "unknown author",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate: 2024-01-01\n\n# who wrote it\nauthor: kai\n---\n"},
		want:  []string{`posts/bad.md:6: unknown author "kai"`},
	}, {
		name:  "unknown author in TOML, after a multi-line string",
		files: files{"posts/bad.md": "+++\ntitle = 'Bad'\nsummary = '''\nauthor = \"not this line\"\n'''\ndate = 2024-01-01\n  author = \"kai\"\n+++\n"},
		want:  []string{`posts/bad.md:7: unknown author "kai"`},
	}, {
		name:  "bad slug",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate: 2024-01-01\nslug: Long Run\n---\n"},
		want:  []string{`posts/bad.md:4: slug "Long Run" must be lowercase letters, digits and inner hyphens`},
	}, {
		name:  "file name that gives no slug",
		files: files{"posts/long run.md": "---\ntitle: Bad\ndate: 2024-01-01\n---\n"},
		want:  []string{`posts/long run.md: the file name gives the slug "long run", which is not lowercase letters, digits and inner hyphens: rename the file or set slug`},
	}, {
		name: "file name that gives no slug, with a slug set",
		files: files{
			"posts/long run.md": "---\ntitle: Fine\ndate: 2024-01-01\nslug: long-run\n---\n",
		},
		posts: []string{"good", "long-run"},
	}, {
		name:  "file name lowercased",
		files: files{"posts/Long-Run.md": "---\ntitle: Fine\ndate: 2024-01-01\n---\n"},
		posts: []string{"good", "long-run"},
	}, {
		name: "duplicate slug from a file name, reported on the second file in path order",
		files: files{
			"posts/2023/good.md": "---\ntitle: Older\ndate: 2023-01-01\n---\n",
			"posts/b.md":         "---\ntitle: Also good\ndate: 2023-01-01\nslug: good\n---\n",
		},
		want: []string{
			`posts/b.md:4: slug "good" is already used by posts/2023/good.md`,
			`posts/good.md: slug "good" is already used by posts/2023/good.md`,
		},
		posts: []string{"good"},
	}, {
		name:  "invalid UTF-8",
		files: files{"posts/bad.md": "---\ntitle: Bad\ndate: 2024-01-01\n---\nFine.\nCaf\xe9 au lait.\n"},
		want:  []string{"posts/bad.md:6: invalid UTF-8 (byte 0xe9)"},
	}, {
		name:  "author without a name, and the post that names it",
		files: files{"authors/sam.md": "---\nwebsite: https://sam.example.org\n---\nBio.\n", "posts/bad.md": "---\ntitle: Bad\ndate: 2024-01-01\nauthor: sam\n---\n"},
		want:  []string{"authors/sam.md:1: missing name", `posts/bad.md:4: unknown author "sam"`},
	}, {
		name:  "author with a bad website",
		files: files{"authors/sam.md": "---\nname: Sam\nwebsite: javascript:alert(1)\n---\n"},
		want:  []string{`authors/sam.md:3: website "javascript:alert(1)" must be an http or https URL`},
	}, {
		name:  "author file name that is no id",
		files: files{"authors/Sam Smith.md": "---\nname: Sam\n---\n"},
		want:  []string{`authors/Sam Smith.md: the author id "Sam Smith" from the file name must be lowercase letters, digits and inner hyphens`},
	}, {
		name:  "author without front matter",
		files: files{"authors/sam.md": "Sam runs.\n"},
		want:  []string{"authors/sam.md:1: no front matter: the file must start with a --- (YAML) or +++ (TOML) line"},
	}, {
		name: "hidden files and other extensions are not content",
		files: files{
			"posts/.#good.md":     "broken",
			"posts/.drafts/x.md":  "broken",
			"posts/notes.txt":     "broken",
			"authors/sub/deep.md": "broken",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.files["authors/kay.md"] = kayAuthor
			tt.files["posts/good.md"] = good
			site := loadSite(t, tt.files)
			if diff := cmp.Diff(tt.want, problemList(site)); diff != "" {
				t.Errorf("problems mismatch (-want +got):\n%s", diff)
			}
			wantPosts := tt.posts
			if wantPosts == nil {
				wantPosts = []string{"good"}
			}
			if diff := cmp.Diff(wantPosts, slugs(allPosts(site))); diff != "" {
				t.Errorf("loaded posts mismatch (-want +got):\n%s", diff)
			}
			for _, p := range site.Problems {
				if p.Err == nil || p.Unwrap() != p.Err {
					t.Errorf("problem %v does not carry its error", p)
				}
			}
		})
	}
}

func TestView(t *testing.T) {
	post := func(title, date, extra string) string {
		return fmt.Sprintf("---\ntitle: %s\ndate: %s\n%s---\n%s text.\n", title, date, extra, title)
	}
	site := loadSite(t, files{
		"authors/kay.md": kayAuthor,
		"authors/sam.md": "---\nname: Sam\n---\n",
		"posts/a.md":     post("A", "2024-01-01", "author: kay\ntags: [road]\n"),
		"posts/d.md":     post("D", "2024-01-01", "author: sam\ntags: [road, trail]\n"), // same date as a: a first
		"posts/b.md":     post("B", "2024-02-01", "author: kay\ntags: [trail]\ndraft: true\n"),
		"posts/c.md":     post("C", "2024-03-01T09:00:00", "author: kay\ntags: [road, Race Day]\n"),
	})
	if len(site.Problems) > 0 {
		t.Fatalf("problems: %v", problemList(site))
	}
	feb := time.Date(2024, 2, 15, 0, 0, 0, 0, time.UTC)
	march := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC) // the moment c is published
	type views struct {
		posts              []string
		road, trail, race  []string
		kay, sam           []string
		tags               []TagCount
		visible, invisible []string // Post(slug) non-nil / nil
	}
	tests := []struct {
		name string
		view View
		want views
	}{{
		name: "public, before c",
		view: View{Site: site, Now: feb},
		want: views{
			posts: []string{"a", "d"}, road: []string{"a", "d"}, trail: []string{"d"},
			kay: []string{"a"}, sam: []string{"d"},
			tags:    []TagCount{{"road", 2}, {"trail", 1}},
			visible: []string{"a", "d"}, invisible: []string{"b", "c", "nope"},
		},
	}, {
		name: "drafts, before c",
		view: View{Site: site, Now: feb, Drafts: true},
		want: views{
			posts: []string{"b", "a", "d"}, road: []string{"a", "d"}, trail: []string{"b", "d"},
			kay: []string{"b", "a"}, sam: []string{"d"},
			tags:    []TagCount{{"road", 2}, {"trail", 2}},
			visible: []string{"a", "b", "d"}, invisible: []string{"c", "nope"},
		},
	}, {
		name: "public, once c's time has come, with no reload",
		view: View{Site: site, Now: march},
		want: views{
			posts: []string{"c", "a", "d"}, road: []string{"c", "a", "d"}, trail: []string{"d"}, race: []string{"c"},
			kay: []string{"c", "a"}, sam: []string{"d"},
			tags:    []TagCount{{"race-day", 1}, {"road", 3}, {"trail", 1}},
			visible: []string{"a", "c", "d"}, invisible: []string{"b", "nope"},
		},
	}, {
		name: "public, a second before c",
		view: View{Site: site, Now: march.Add(-time.Second)},
		want: views{
			posts: []string{"a", "d"}, road: []string{"a", "d"}, trail: []string{"d"},
			kay: []string{"a"}, sam: []string{"d"},
			tags:    []TagCount{{"road", 2}, {"trail", 1}},
			visible: []string{"a", "d"}, invisible: []string{"b", "c", "nope"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.view
			got := views{
				posts: slugs(v.Posts()),
				road:  slugs(v.Tag("road")), trail: slugs(v.Tag("trail")), race: slugs(v.Tag("race-day")),
				kay: slugs(v.ByAuthor("kay")), sam: slugs(v.ByAuthor("sam")),
				tags: v.Tags(),
			}
			for _, s := range []string{"a", "b", "c", "d", "nope"} {
				if v.Post(s) != nil {
					got.visible = append(got.visible, s)
				} else {
					got.invisible = append(got.invisible, s)
				}
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(views{})); diff != "" {
				t.Errorf("view mismatch (-want +got):\n%s", diff)
			}
		})
	}
	if got := site.Authors["sam"]; got == nil || got.Name != "Sam" || got.Bio != "" {
		t.Errorf("author sam = %+v, want Sam with no bio", got)
	}
}

// TestManyPosts loads enough posts for the loader's workers to run side by
// side (go test -race checks them) and checks the order does not depend on
// which worker finished first.
func TestManyPosts(t *testing.T) {
	fs := files{"authors/kay.md": kayAuthor}
	var want []string
	for i := 99; i >= 0; i-- {
		slug := fmt.Sprintf("p%02d", i)
		want = append(want, slug)
		// Two posts a day, so half the order comes from the slug.
		date := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i/2) * time.Hour)
		fs["posts/"+slug+".md"] = fmt.Sprintf("---\ntitle: P%d\ndate: %s\nauthor: kay\ntags: [t%d]\n---\n%s\n",
			i, date.Format("2006-01-02T15:04:05"), i%3, strings.Repeat("Word and [a link](https://example.org). ", 20))
	}
	// Same hour for p(2k) and p(2k+1): newest first, then by slug.
	for i := 0; i+1 < len(want); i += 2 {
		want[i], want[i+1] = want[i+1], want[i]
	}
	site := loadSite(t, fs)
	if len(site.Problems) > 0 {
		t.Fatalf("problems: %v", problemList(site))
	}
	if diff := cmp.Diff(want, slugs(allPosts(site))); diff != "" {
		t.Errorf("order mismatch (-want +got):\n%s", diff)
	}
}

func TestUnreadableFile(t *testing.T) {
	dir := writeSite(t, files{"posts/good.md": good, "authors/kay.md": kayAuthor, "elsewhere/real.md": "---\ntitle: Linked\ndate: 2024-02-01\n---\n"})
	// A post may be a symbolic link; a dangling one is a problem.
	if err := os.Symlink(filepath.Join(dir, "elsewhere", "real.md"), filepath.Join(dir, "posts", "linked.md")); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	if err := os.Symlink(filepath.Join(dir, "nowhere.md"), filepath.Join(dir, "posts", "dangling.md")); err != nil {
		t.Fatal(err)
	}
	site, err := Load(context.Background(), dir, Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if got := slugs(allPosts(site)); !cmp.Equal(got, []string{"linked", "good"}) {
		t.Errorf("posts = %v, want [linked good]", got)
	}
	if len(site.Problems) != 1 || site.Problems[0].File != "posts/dangling.md" || site.Problems[0].Line != 0 ||
		!errors.Is(site.Problems[0], fs.ErrNotExist) {
		t.Errorf("problems = %v, want posts/dangling.md, not found", site.Problems)
	}
}
