package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// home-page.html and post-page.html are the sample site's pages as
// milepost serve sent them.

func TestFirstLinks(t *testing.T) {
	home := []byte(readTestdata(t, "home-page.html"))
	if got, ok := firstLink(home, postLink); !ok || got != "/posts/massage-during-training/" {
		t.Errorf("first post link = %q, %v", got, ok)
	}
	// "/tags/", the list of tags, comes first and is not a tag's page.
	if got, ok := firstLink(home, tagLink); !ok || got != "/tags/marathon/" {
		t.Errorf("first tag link = %q, %v", got, ok)
	}
	if got, ok := firstLink([]byte(`<p><a href="/about/">x</a></p>`), postLink); ok {
		t.Errorf("a page without post links gave %q", got)
	}
}

func TestCommentForm(t *testing.T) {
	action, fields, err := commentForm([]byte(readTestdata(t, "post-page.html")))
	if err != nil {
		t.Fatal(err)
	}
	if action != "/posts/massage-during-training/comments" {
		t.Errorf("action = %q, want the form's path without its fragment", action)
	}
	for _, name := range []string{"parent", "ts", "homepage", "name", "email", "website", "body"} {
		if _, ok := fields[name]; !ok {
			t.Errorf("no field %q in %v", name, fields)
		}
	}
	if ts := fields.Get("ts"); !strings.Contains(ts, "..") {
		t.Errorf("ts = %q, want the page's shared form token", ts)
	}
	if _, _, err := commentForm([]byte(readTestdata(t, "home-page.html"))); err == nil {
		t.Error("the home page has no comment form, but one was read")
	}
}

func TestPublishComments(t *testing.T) {
	for name, tc := range map[string]struct{ in, kept string }{
		"held":        {in: "title: Club\ncomments:\n  moderation: first-time # hold newcomers\n  link_limit: 1\n", kept: "link_limit"},
		"closed":      {in: "title: Club\ncomments:\n  enabled: false\n", kept: "title"},
		"no comments": {in: "title: Club\nposts_per_page: 5\n", kept: "posts_per_page"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "site.yaml")
			if err := os.WriteFile(path, []byte(tc.in), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := publishComments(dir); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Title    string
				Comments struct {
					Enabled    bool
					Moderation string
				}
			}
			if err := yaml.Unmarshal(data, &got); err != nil {
				t.Fatalf("%v in\n%s", err, data)
			}
			if got.Title != "Club" || !got.Comments.Enabled || got.Comments.Moderation != "open" {
				t.Errorf("site.yaml after publishComments:\n%s", data)
			}
			if !strings.Contains(string(data), tc.kept) {
				t.Errorf("%s was lost:\n%s", tc.kept, data)
			}
		})
	}
}
