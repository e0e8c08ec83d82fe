package main

import (
	"fmt"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// hugoConfig is the configuration of the Hugo site the live edit and the
// static build are compared with: the same posts, paginated as the site
// is, with tags. Hugo also makes its RSS feeds and sitemap, as Milepost
// does.
const hugoConfig = `baseURL = "http://127.0.0.1/"
title = "Milepost benchmark"
languageCode = "en"
paginate = %d
[taxonomies]
  tag = "tags"
[markup.goldmark.renderer]
  unsafe = false
`

// hugoLayouts are a small theme: a post page (title, date, tags, content)
// and a list page (the page's posts with their summaries, a link to the
// next page), which Hugo uses for the home page, the section, the tags and
// each tag.
var hugoLayouts = map[string]string{
	"_default/single.html": `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ site.Title }}</title></head>
<body><article><h1>{{ .Title }}</h1>
<p><time datetime="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">{{ .Date.Format "January 2, 2006" }}</time>
{{ range .GetTerms "tags" }} · <a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a>{{ end }}</p>
{{ .Content }}</article></body></html>
`,
	"_default/list.html": `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }} · {{ site.Title }}</title></head>
<body><h1>{{ .Title }}</h1>
{{ range .Paginator.Pages }}<article><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<p><time>{{ .Date.Format "January 2, 2006" }}</time></p>{{ .Summary }}</article>
{{ end }}{{ with .Paginator.Next }}<a href="{{ .URL }}">Older posts</a>{{ end }}
</body></html>
`,
}

// makeHugoSite writes a Hugo site over a copy of site's posts into dir.
func makeHugoSite(site, dir string) error {
	if err := os.MkdirAll(filepath.Join(dir, "content"), 0o755); err != nil {
		return fmt.Errorf("making the Hugo site: %w", err)
	}
	if err := os.CopyFS(filepath.Join(dir, "content", "posts"), os.DirFS(filepath.Join(site, "posts"))); err != nil {
		return fmt.Errorf("copying the posts into the Hugo site: %w", err)
	}
	perPage, err := postsPerPage(site)
	if err != nil {
		return err
	}
	files := map[string]string{"config.toml": fmt.Sprintf(hugoConfig, perPage)}
	for name, text := range hugoLayouts {
		files[filepath.Join("layouts", name)] = text
	}
	for name, text := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("making the Hugo site: %w", err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return fmt.Errorf("making the Hugo site: %w", err)
		}
	}
	return nil
}

// siteSettings are the few settings of site.yaml the command reads.
type siteSettings struct {
	PostsPerPage int    `yaml:"posts_per_page"`
	BaseURL      string `yaml:"base_url"`
}

func readSiteSettings(site string) (siteSettings, error) {
	var settings siteSettings
	data, err := os.ReadFile(filepath.Join(site, "site.yaml"))
	if err != nil {
		return settings, fmt.Errorf("reading site.yaml: %w", err)
	}
	if err := yaml.Unmarshal(data, &settings); err != nil {
		return settings, fmt.Errorf("reading site.yaml: %w", err)
	}
	return settings, nil
}

// postsPerPage is the site's posts_per_page (10 when unset), so that Hugo
// paginates its lists as Milepost does.
func postsPerPage(site string) (int, error) {
	settings, err := readSiteSettings(site)
	if err != nil {
		return 0, err
	}
	if settings.PostsPerPage <= 0 {
		return 10, nil
	}
	return settings.PostsPerPage, nil
}
