// Package content reads a Milepost content directory (site settings, authors and
// Markdown posts) into an immutable, in-memory Site.
//
// A Site is never modified after Load returns; a changed directory is loaded again
// into a new Site and swapped in whole (see Source), so readers never see half a
// rebuild.
package content

import (
	"crypto/sha256"
	"fmt"
	"html/template"
	"sort"
	"time"

	"milepost/internal/activity"
	"milepost/internal/comments"
	"milepost/internal/mail"
	"milepost/internal/websub"
)

// Config is content/site.yaml.
type Config struct {
	Title       string `yaml:"title" toml:"title"`
	Description string `yaml:"description" toml:"description"`
	// BaseURL is the absolute URL the site is served at, without a trailing slash.
	BaseURL  string `yaml:"base_url" toml:"base_url"`
	Language string `yaml:"language" toml:"language"`
	// Timezone is the IANA name of the zone that post dates written without
	// one are in. Empty means UTC.
	Timezone string `yaml:"timezone" toml:"timezone"`
	// Location is Timezone loaded. Every post date is in it, so themes can
	// show and group dates without converting.
	Location *time.Location `yaml:"-" toml:"-"`
	// PostsPerPage is the page size of the home, tag and author lists.
	PostsPerPage int `yaml:"posts_per_page" toml:"posts_per_page"`
	// Comments is the comments: block: whether comments are open and how
	// they are moderated. The comments package owns its keys, defaults and
	// rules.
	Comments comments.Settings `yaml:"comments" toml:"comments"`
	Markdown MarkdownConfig    `yaml:"markdown" toml:"markdown"`
	// SeedComments names a comments export (JSON), relative to the content
	// directory, loaded into a new database once.
	SeedComments string `yaml:"seed_comments" toml:"seed_comments"`
	// Units is how distances are shown: metric (the default) or
	// imperial. An author may choose their own (Author.Units).
	Units activity.Units `yaml:"units" toml:"units"`
	// Privacy is where routes are never shown (runconfig.go); an author's
	// zones add to it (Site.PrivacyFor).
	Privacy Privacy `yaml:"privacy" toml:"-"`
	// ShoeLimit is the mileage past which shoes are noted as worn, as
	// written ("700 km"); ShoeLimitM is it in metres, DefaultShoeLimitM
	// when not set.
	ShoeLimit  string  `yaml:"shoe_limit" toml:"shoe_limit"`
	ShoeLimitM float64 `yaml:"-" toml:"-"`
	// WebSub is the websub: block, the hubs feeds name and ping; the
	// websub package owns its keys and rules.
	WebSub websub.Settings `yaml:"websub" toml:"websub"`
	// Email is the email: block, the SMTP server that sends subscribers
	// and commenters their mail; the mail package owns its keys and rules.
	Email mail.Settings `yaml:"email" toml:"email"`
	// Params holds keys Milepost does not know, for themes.
	Params map[string]any `yaml:",inline" toml:"-"`
}

// MarkdownConfig is the markdown: block of site.yaml.
type MarkdownConfig struct {
	// UnsafeHTML lets raw HTML in posts through to the page. Off by default:
	// raw HTML is dropped.
	UnsafeHTML bool `yaml:"unsafe_html" toml:"unsafe_html"`
}

// Author is one file in content/authors. ID is the file name without .md.
type Author struct {
	ID      string
	Name    string
	Website string
	// Bio is the rendered Markdown body of the author file.
	Bio    template.HTML
	Params map[string]any
	// Avatar is the file name of the author's photo under the author's
	// URL ("avatar.jpg"), "" when there is none (see OpenAvatar).
	Avatar string
	// Units is how the author's posts show distances; "" for the site's
	// (Site.UnitsFor).
	Units activity.Units
	// Zones are the author's own privacy zones, added to the site's for
	// their posts (Site.PrivacyFor).
	Zones []activity.Zone
}

// Post is one Markdown file in content/posts.
type Post struct {
	Slug    string
	Title   string
	Date    time.Time
	Lastmod time.Time // equals Date unless the front matter sets lastmod
	Author  *Author   // nil when the post names no author
	Tags    []string
	Draft   bool
	// CommentsOpen is false when the front matter says comments: false.
	CommentsOpen bool
	// The body's HTML, its summary, description and length are methods
	// (body.go): they are rendered the first time a page asks for them.
	body *postBody
	// Version is a digest of the identity of the files the post was read
	// from (tree.postVersion): a post read again because one of them
	// changed gets a new one, a post a reload did not read again keeps its
	// *Post and its Version, so what was made from it stays valid, and the
	// same files give the same Version in every process. A post parsed
	// from memory (ParsePost) has one of its own, from a counter.
	Version uint64
	// Params holds front matter keys Milepost does not know, for themes.
	Params map[string]any
	// File is the post's path relative to the content directory.
	File string
	// sum is the SHA-256 of the file as it was read and parsed (Sum).
	sum [sha256.Size]byte
	// Bundle is the folder of a page bundle (posts/SLUG/index.md and its
	// files), relative to the content directory; "" for a single file.
	Bundle string
	// Cover is the photo the front matter names with cover: (cover.go);
	// nil when it names none, or one readers would not get.
	Cover *Cover
	// Run is the run the post tells of: its run: fields merged with its
	// activity: file (run.go); nil when it has neither.
	Run *Run
}

// Sum is the SHA-256 of the post's file as it was read and parsed: the
// same after a restart, different after any edit. It is zero for a Post
// made outside a load.
func (p *Post) Sum() [sha256.Size]byte { return p.sum }

// Problem is a file that could not be loaded; the rest of the site still is.
type Problem struct {
	File string // relative to the content directory
	Line int    // 1-based; 0 when no line applies
	Err  error
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %v", p.File, p.Line, p.Err)
	}
	return fmt.Sprintf("%s: %v", p.File, p.Err)
}

func (p Problem) Unwrap() error { return p.Err }

// Site is a loaded content directory. It is immutable.
type Site struct {
	Config  Config
	Authors map[string]*Author
	// Problems lists the files that were skipped, in file order.
	Problems []Problem
	// Warnings lists the problems of posts that were loaded all the same,
	// without what was at fault (a cover: readers would not get), in file
	// order.
	Warnings []Problem

	dir     string  // the content directory, for bundle files
	all     Listing // every post, drafts included, newest first
	public  Listing // all without drafts
	bySlug  map[string]*Post
	byTag   map[string]Listing
	byTagD  map[string]Listing
	byAuth  map[string]Listing
	byAuthD map[string]Listing

	// activities is the Source's cache of activity files, for ParsePost;
	// nil for a Site loaded on its own.
	activities *activityCache
	// readers reads the activity files of posts parsed after the load
	// (ParseMovedPost), in turn with the load's other reads.
	readers *activity.Readers
}

// Dir is the content directory the site was loaded from.
func (s *Site) Dir() string { return s.dir }

// Listing is a list of posts, newest first.
type Listing []*Post

// At returns the posts of l published at or before now. Because l is sorted
// newest first, the posts dated in the future are a prefix of it.
func (l Listing) At(now time.Time) Listing {
	i := sort.Search(len(l), func(i int) bool { return !l[i].Date.After(now) })
	return l[i:]
}

// View is what one request may see of a Site: posts published by Now, and
// drafts only when Drafts is set.
//
// Drafts is for pages a writer previews (serve -drafts). Whatever leaves
// the site to be indexed or followed elsewhere — feeds, the sitemap — is
// built from a View without drafts, always: View{Site: s, Now: now}, or
// Published() of a request's View.
type View struct {
	Site   *Site
	Now    time.Time
	Drafts bool
}

// Published returns v without drafts: the View feeds and the sitemap use.
func (v View) Published() View {
	v.Drafts = false
	return v
}

// Posts returns the visible posts, newest first.
func (v View) Posts() Listing {
	if v.Drafts {
		return v.Site.all.At(v.Now)
	}
	return v.Site.public.At(v.Now)
}

// Post returns the visible post with the slug, or nil.
func (v View) Post(slug string) *Post {
	p := v.Site.bySlug[slug]
	if p == nil || p.Date.After(v.Now) || (p.Draft && !v.Drafts) {
		return nil
	}
	return p
}

// Tag returns the visible posts with the tag, newest first.
func (v View) Tag(tag string) Listing {
	if v.Drafts {
		return v.Site.byTagD[tag].At(v.Now)
	}
	return v.Site.byTag[tag].At(v.Now)
}

// ByAuthor returns the visible posts of the author, newest first.
func (v View) ByAuthor(id string) Listing {
	if v.Drafts {
		return v.Site.byAuthD[id].At(v.Now)
	}
	return v.Site.byAuth[id].At(v.Now)
}

// TagCount is a tag with the number of visible posts carrying it.
type TagCount struct {
	Tag   string
	Count int
}

// Tags returns every tag with at least one visible post, by name.
func (v View) Tags() []TagCount {
	idx := v.Site.byTag
	if v.Drafts {
		idx = v.Site.byTagD
	}
	var out []TagCount
	for tag, l := range idx {
		if n := len(l.At(v.Now)); n > 0 {
			out = append(out, TagCount{tag, n})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Tag < out[j].Tag })
	return out
}
