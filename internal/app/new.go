package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"milepost/internal/atomicfile"
	"milepost/internal/content"
)

// NewPostConfig is what `milepost new` is told.
type NewPostConfig struct {
	// ContentDir is the content directory; the post goes into its posts/.
	ContentDir string
	Title      string
	// Slug is the post's folder name and URL segment; "" makes it from the
	// title (content.SlugFromTitle).
	Slug string
	// Author is an author ID of content/authors; "" writes no author.
	Author string
	// Date is the post's date as front matter dates are written, in the
	// site's time zone unless it says otherwise; "" means Now.
	Date string
	// Draft marks the post draft: true, so that it is served only with
	// serve -drafts until the writer publishes it.
	Draft bool
	// Now is the date of a post without Date; zero means the current time.
	Now time.Time
	// Stdout receives the new file's path; nil for none.
	Stdout io.Writer
}

// NewPost writes a new post as a page bundle, posts/SLUG/index.md, with
// front matter Load accepts and an empty body, and returns the file's path.
// It never replaces anything: a slug another post has (whatever its date
// or draft state), or that a file or folder in posts/ already takes, is
// refused with the file that has it.
func NewPost(ctx context.Context, cfg NewPostConfig) (string, error) {
	title, err := content.CleanTitle(cfg.Title)
	if err != nil {
		return "", err
	}
	// The site's settings (its time zone) and its posts and authors, as
	// the server would see them.
	site, err := content.Load(ctx, cfg.ContentDir, content.Overrides{})
	if err != nil {
		return "", fmt.Errorf("loading the content directory: %w", err)
	}

	slug := cfg.Slug
	switch {
	case slug != "" && !content.ValidSlug(slug):
		return "", fmt.Errorf("slug %q must be lowercase letters, digits and inner hyphens", slug)
	case slug == "":
		if slug = content.SlugFromTitle(title); slug == "" {
			return "", fmt.Errorf("the title %q has no letters or digits to make a slug of: choose one with -slug", title)
		}
	}
	if err := slugFree(site, slug); err != nil {
		return "", err
	}

	date := cfg.Now
	if date.IsZero() {
		date = time.Now()
	}
	date = date.In(site.Config.Location).Truncate(time.Second)
	if cfg.Date != "" {
		if date, err = content.ParseDate(cfg.Date, site.Config.Location); err != nil {
			return "", fmt.Errorf("-date: %w", err)
		}
	}
	if cfg.Author != "" {
		if err := authorKnown(site, cfg.Author); err != nil {
			return "", err
		}
	}

	file, err := newPostFile(title, date, cfg.Author, cfg.Draft, nil, "")
	if err != nil {
		return "", err
	}
	path, err := createBundle(ctx, cfg.ContentDir, slug, file)
	if err != nil {
		return "", err
	}
	if cfg.Stdout != nil {
		fmt.Fprintln(cfg.Stdout, path)
	}
	return path, nil
}

// authorKnown returns an error naming the site's authors unless id is
// one of them.
func authorKnown(site *content.Site, id string) error {
	if site.Authors[id] != nil {
		return nil
	}
	known := slices.Sorted(maps.Keys(site.Authors))
	if len(known) == 0 {
		return fmt.Errorf("no author %q: content/authors has no author files", id)
	}
	return fmt.Errorf("no author %q in content/authors: there are %s", id, strings.Join(known, ", "))
}

// farFuture is after every post's date: a View at it with drafts sees
// every post the site has.
var farFuture = time.Unix(1<<62, 0)

// slugFree returns an error naming the file that has slug, if one has: a
// post Load read (a file of any name may set slug:), or a file or folder
// of that name in posts/ that Load could not read as a post.
func slugFree(site *content.Site, slug string) error {
	every := content.View{Site: site, Now: farFuture, Drafts: true}
	if p := every.Post(slug); p != nil {
		return fmt.Errorf("slug %q is taken: %s has it; choose another with -slug", slug, p.File)
	}
	for _, name := range []string{slug + ".md", slug} {
		rel := "posts/" + name
		if _, err := os.Lstat(filepath.Join(site.Dir(), "posts", name)); err == nil {
			return fmt.Errorf("slug %q is taken: %s exists; choose another with -slug", slug, rel)
		}
	}
	return nil
}

// newPostFile is the text of a new post: YAML front matter written by the
// YAML encoder, so that any title (a colon, quotes, a leading dash) reads
// back as typed, with more keys after draft (pairs of key and value nodes:
// an import's activity and run), and body after it.
func newPostFile(title string, date time.Time, author string, draft bool, more []*yaml.Node, body string) ([]byte, error) {
	front := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node) {
		front.Content = append(front.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
	}
	// Always quoted: a writer editing the title later keeps the quotes and
	// need not know which characters YAML reserves.
	add("title", &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: title})
	// With its offset: the time the writer meant even if the site's zone
	// changes later.
	add("date", &yaml.Node{Kind: yaml.ScalarNode, Value: date.Format(time.RFC3339)})
	if author != "" {
		add("author", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: author})
	}
	add("draft", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(draft)})
	front.Content = append(front.Content, more...)
	var buf bytes.Buffer
	buf.WriteString("---\n")
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(front); err != nil {
		return nil, fmt.Errorf("writing the front matter: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("writing the front matter: %w", err)
	}
	buf.WriteString("---\n\n")
	if body != "" {
		buf.WriteString(body)
		buf.WriteString("\n")
	}
	return buf.Bytes(), nil
}

// createBundle makes the folder posts/SLUG and writes index.md into it
// atomically. Making the folder is what claims the slug: it fails if
// anything of that name appeared since slugFree looked, so nothing is ever
// replaced. On failure the folder is removed again.
func createBundle(ctx context.Context, contentDir, slug string, file []byte) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	posts := filepath.Join(contentDir, "posts")
	if err := os.MkdirAll(posts, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", posts, err)
	}
	dir := filepath.Join(posts, slug)
	if err := os.Mkdir(dir, 0o755); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("slug %q is taken: posts/%s exists; choose another with -slug", slug, slug)
		}
		return "", fmt.Errorf("creating the post's folder: %w", err)
	}
	path := filepath.Join(dir, "index.md")
	if err := atomicfile.WriteFile(path, file, 0o644); err != nil {
		os.Remove(dir) // empty: atomicfile removed its temporary file
		return "", fmt.Errorf("writing the new post: %w", err)
	}
	return path, nil
}
