package content

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode"

	"milepost/internal/activity"
)

// wordsPerMinute is the reading speed behind Post.ReadingMinutes.
const wordsPerMinute = 220

// Load reads the content directory dir into a Site.
//
// Only an unreadable directory or a missing or invalid site.yaml fail the
// load. A post or author file that cannot be used is skipped and reported in
// Site.Problems, so one typo never takes the whole blog down.
func Load(ctx context.Context, dir string, o Overrides) (*Site, error) {
	return load(ctx, dir, o, nil)
}

// load is Load keeping the activity files it reads in activities, and
// reading only those activities does not hold; nil reads them all.
func load(ctx context.Context, dir string, o Overrides, activities *activityCache) (*Site, error) {
	t := newTree(dir, o, activities)
	if err := t.full(ctx); err != nil {
		return nil, err
	}
	return t.site(), nil
}

// index sorts the posts and builds the listings the View methods read.
func (s *Site) index() {
	slices.SortFunc(s.all, func(a, b *Post) int {
		if c := b.Date.Compare(a.Date); c != 0 {
			return c // newest first
		}
		return cmp.Compare(a.Slug, b.Slug)
	})
	s.byTag = make(map[string]Listing)
	s.byTagD = make(map[string]Listing)
	s.byAuth = make(map[string]Listing)
	s.byAuthD = make(map[string]Listing)
	s.public = make(Listing, 0, len(s.all))
	for _, p := range s.all {
		if !p.Draft {
			s.public = append(s.public, p)
		}
		for _, t := range p.Tags {
			s.byTagD[t] = append(s.byTagD[t], p)
			if !p.Draft {
				s.byTag[t] = append(s.byTag[t], p)
			}
		}
		if p.Author != nil {
			id := p.Author.ID
			s.byAuthD[id] = append(s.byAuthD[id], p)
			if !p.Draft {
				s.byAuth[id] = append(s.byAuth[id], p)
			}
		}
	}
	// Clipped so that a caller appending to a listing gets a copy instead of
	// writing into an array other requests are reading.
	s.all, s.public = slices.Clip(s.all), slices.Clip(s.public)
	for _, m := range []map[string]Listing{s.byTag, s.byTagD, s.byAuth, s.byAuthD} {
		for k, l := range m {
			m[k] = slices.Clip(l)
		}
	}
}

// loader holds what decoding a file needs besides the file.
type loader struct {
	cfg Config
	md  *markdown
	// basePath is the path of the base URL without its trailing slash:
	// "" for a site at the root of its host, "/blog" for one below.
	basePath string
	// dir is the content directory, whose bundles' photos are probed for
	// their size; "" probes none.
	dir string
	// activities keeps the activity files read across a Source's loads;
	// nil reads each one.
	activities *activityCache
	// readers reads the activity files the cache does not hold, a bounded
	// number at once.
	readers *activity.Readers
	// bodiesOnDisk is set when every post comes from its file in dir, as
	// it was read: a post then keeps no Markdown and reads its body again
	// when first rendered (body.go). A post parsed from text that may be
	// on no disk (the editor's preview) keeps its own.
	bodiesOnDisk bool
	// front keeps parsed front matter between runs during a full load;
	// nil parses every one.
	front *frontCache
}

// parseFront is parseFront through the loader's cache.
func (l *loader) parseFront(doc document) ([]field, *lineError) {
	if doc.format == "TOML" {
		return parseTOML(doc)
	}
	return l.front.parse(doc)
}

// markdownFiles returns the .md files under dir/sub, relative to dir with
// forward slashes, in path order; of a page bundle (recursive only), only
// its index.md. A missing sub directory is an empty one; one that cannot
// be read fails. A directory below it that cannot be read is a problem,
// like a file that cannot be.
func markdownFiles(ctx context.Context, dir, sub string, recursive bool) (files []string, unreadable []Problem, err error) {
	root := filepath.Join(dir, sub)
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				if errors.Is(err, fs.ErrNotExist) {
					return fs.SkipDir
				}
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			unreadable = append(unreadable, Problem{File: filepath.ToSlash(rel), Err: fmt.Errorf("reading: %w", err)})
			return nil // WalkDir goes on with the next entry
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		// Editors leave hidden swap and lock files (".#post.md") next to
		// the files being edited.
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if p != root && !recursive {
				return fs.SkipDir
			}
			// A folder with an index.md is a page bundle: one post, and
			// the files beside it are its own, Markdown or not.
			if p != root {
				if info, err := os.Stat(filepath.Join(p, bundleIndex)); err == nil && info.Mode().IsRegular() {
					rel, err := filepath.Rel(dir, filepath.Join(p, bundleIndex))
					if err != nil {
						return err
					}
					files = append(files, filepath.ToSlash(rel))
					return fs.SkipDir
				}
			}
			return nil
		}
		if strings.HasSuffix(d.Name(), ".md") {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("listing %s: %w", root, err)
	}
	return files, unreadable, nil
}

// result is what became of one file: its value, or nil and the problems
// that made it be skipped.
type result[T any] struct {
	value    T
	problems []Problem
	// read is the key of the file as it was read (its size and
	// modification time, from the open file: no second look-up of its
	// path), without the files beside it a key may hash.
	read fileKey
}

// loadAll reads and decodes the files (relative to dir) with one worker per
// CPU: rendering Markdown is most of the cost of a load. The results are in
// file order whatever order the workers finish in.
func loadAll[T any](ctx context.Context, dir string, files []string, decode func(rel string, src []byte) (T, []*lineError)) []result[T] {
	results := make([]result[T], len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for i := range next {
				results[i] = loadFile(dir, files[i], decode)
			}
		})
	}
	for i := range files {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

func loadFile[T any](dir, rel string, decode func(string, []byte) (T, []*lineError)) result[T] {
	src, key, err := readKeyed(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return result[T]{problems: []Problem{{File: rel, Err: fmt.Errorf("reading: %w", err)}}, read: key}
	}
	if lerr := checkUTF8(src); lerr != nil {
		return result[T]{problems: problems(rel, []*lineError{lerr}), read: key}
	}
	v, errs := decode(rel, src)
	if len(errs) > 0 {
		return result[T]{problems: problems(rel, errs), read: key}
	}
	return result[T]{value: v, read: key}
}

// readKeyed reads the file name whole, as os.ReadFile does, and returns
// its key taken from the open file before reading: a change made while it
// is read gives the file a later key than the one returned, so the next
// scan reads it again.
func readKeyed(name string) ([]byte, fileKey, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fileKey{err: err.Error()}, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fileKey{err: err.Error()}, err
	}
	key := keyOf(info)
	// One byte more than the size, so that the read that finds the end
	// need not grow the slice; more if the file grew meanwhile.
	src := make([]byte, 0, info.Size()+1)
	for {
		n, err := f.Read(src[len(src):cap(src)])
		src = src[:len(src)+n]
		if err == io.EOF {
			return src, key, nil
		}
		if err != nil {
			return nil, key, err
		}
		if len(src) == cap(src) {
			src = append(src, 0)[:len(src)]
		}
	}
}

// problems turns a file's line errors into Problems, in line order.
func problems(rel string, errs []*lineError) []Problem {
	slices.SortStableFunc(errs, func(a, b *lineError) int { return cmp.Compare(a.line, b.line) })
	out := make([]Problem, len(errs))
	for i, e := range errs {
		out[i] = Problem{File: rel, Line: e.line, Err: e.err}
	}
	return out
}

// loadedPost is a post with the line of its slug key, 0 when the slug comes
// from the file name, for the duplicate slug problem.
type loadedPost struct {
	*Post
	slugLine int
	// warnings are the problems the post was loaded despite (a cover:
	// readers would not get), for Site.Warnings.
	warnings []Problem
}

// post decodes one post file. It reports every problem with the front matter
// it finds, not only the first, so that one round of fixes is enough.
func (l *loader) post(ctx context.Context, rel string, src []byte, authors map[string]*Author) (*loadedPost, []*lineError) {
	doc, lerr := splitDocument(src)
	if lerr != nil {
		return nil, []*lineError{lerr}
	}
	fields, lerr := l.parseFront(doc)
	if lerr != nil {
		return nil, []*lineError{lerr}
	}
	p := &Post{File: rel, sum: sha256.Sum256(src), CommentsOpen: true, Bundle: bundleOf(rel), Version: parses.Add(1)}
	pf := postFields{titleLine: openLine, dateLine: openLine, bad: make(map[string]bool)}
	var errs []*lineError
	for _, f := range fields {
		if e := l.postField(p, &pf, f, authors); e != nil {
			pf.bad[strings.ToLower(f.key)] = true
			errs = append(errs, e)
		}
	}
	errs = append(errs, pf.check(p)...)
	if len(errs) > 0 {
		return nil, errs
	}
	p.body = l.lazyBody(p, doc.body, pf.summary)
	lp := &loadedPost{Post: p, slugLine: pf.slugLine}
	if pf.cover != nil {
		var cerr *lineError
		if p.Cover, cerr = l.cover(p, *pf.cover); cerr != nil {
			lp.warnings = problems(rel, []*lineError{cerr})
		}
	}
	var runWarnings []*lineError
	if p.Run, runWarnings = l.run(ctx, p, pf.run); len(runWarnings) > 0 {
		lp.warnings = append(lp.warnings, problems(rel, runWarnings)...)
		slices.SortStableFunc(lp.warnings, func(a, b Problem) int { return cmp.Compare(a.Line, b.Line) })
	}
	return lp, nil
}

// postFields is what reading a post's front matter learns besides the Post
// itself: where its keys were, which were bad, and its summary's Markdown.
type postFields struct {
	summary             string
	titleLine, dateLine int
	slugLine            int // 0: the slug comes from the file name
	haveDate            bool
	haveLastmod         bool
	bad                 map[string]bool // keys already reported
	// cover is the cover: key, read once the body is rendered: its
	// description comes from there.
	cover *field
	// run are the keys of the run behind the post, read once its author
	// is known (runfile.go).
	run runFields
}

// postField decodes one front matter key into p.
func (l *loader) postField(p *Post, pf *postFields, f field, authors map[string]*Author) *lineError {
	var e *lineError
	switch strings.ToLower(f.key) {
	case "title":
		p.Title, e = f.str()
		p.Title = strings.TrimSpace(p.Title)
		pf.titleLine = f.line
	case "date":
		p.Date, pf.haveDate, e = f.date(l.cfg.Location)
		pf.dateLine = f.line
	case "lastmod":
		p.Lastmod, pf.haveLastmod, e = f.date(l.cfg.Location)
	case "author":
		var id string
		if id, e = f.str(); e == nil && strings.TrimSpace(id) != "" {
			id = strings.TrimSpace(id)
			if p.Author = authors[id]; p.Author == nil {
				e = errAt(f.line, "unknown author %q", id)
			}
		}
	case "tags":
		var tags []string
		tags, e = f.strs()
		p.Tags = normalizeTags(tags)
	case "summary":
		pf.summary, e = f.str()
	case "slug":
		p.Slug, e = f.str()
		if e != nil || p.Slug == "" {
			break
		}
		pf.slugLine = f.line
		if !ValidSlug(p.Slug) {
			e = errAt(f.line, "slug %q must be lowercase letters, digits and inner hyphens", p.Slug)
		}
	case "draft":
		p.Draft, e = f.boolean(false)
	case "comments":
		p.CommentsOpen, e = f.boolean(true)
	case "cover":
		pf.cover = &f
	case "run":
		pf.run.run = &f
	case "activity":
		pf.run.activity = &f
	case "activity_download":
		pf.run.download = &f
	case "activity_download_times":
		pf.run.downloadTimes = &f
	default:
		if p.Params == nil {
			p.Params = make(map[string]any)
		}
		p.Params[f.key] = f.value
	}
	return e
}

// check reports the required keys that are missing and gives p the
// defaults of the keys that were left out.
func (pf *postFields) check(p *Post) []*lineError {
	var errs []*lineError
	if p.Title == "" && !pf.bad["title"] {
		errs = append(errs, errAt(pf.titleLine, "missing title"))
	}
	if !pf.haveDate && !pf.bad["date"] {
		errs = append(errs, errAt(pf.dateLine, "missing date"))
	}
	if pf.slugLine == 0 {
		name, what := strings.TrimSuffix(path.Base(p.File), ".md"), "file"
		if p.Bundle != "" {
			name, what = path.Base(p.Bundle), "folder"
		}
		p.Slug = strings.ToLower(name)
		if !ValidSlug(p.Slug) {
			errs = append(errs, errAt(0, "the %s name gives the slug %q, which is not lowercase letters, digits and inner hyphens: rename the %s or set slug", what, p.Slug, what))
		}
	}
	if !pf.haveLastmod {
		p.Lastmod = p.Date
	}
	return errs
}

// author decodes one author file. Its ID is the file name, which is part of
// the author's URL and must therefore be a valid slug.
func (l *loader) author(rel string, src []byte) (*Author, []*lineError) {
	id := strings.TrimSuffix(path.Base(rel), ".md")
	if !ValidSlug(id) {
		return nil, []*lineError{errAt(0, "the author id %q from the file name must be lowercase letters, digits and inner hyphens", id)}
	}
	doc, lerr := splitDocument(src)
	if lerr != nil {
		return nil, []*lineError{lerr}
	}
	fields, lerr := l.parseFront(doc)
	if lerr != nil {
		return nil, []*lineError{lerr}
	}
	a := &Author{ID: id}
	var errs []*lineError
	nameLine, badName := openLine, false
	for _, f := range fields {
		var e *lineError
		if ok, rerr := authorRunField(a, f); ok {
			if rerr != nil {
				errs = append(errs, rerr)
			}
			continue
		}
		switch strings.ToLower(f.key) {
		case "name":
			a.Name, e = f.str()
			a.Name = strings.TrimSpace(a.Name)
			nameLine, badName = f.line, e != nil
		case "website":
			a.Website, e = f.str()
			a.Website = strings.TrimSpace(a.Website)
			if scheme, _ := urlScheme(a.Website); e == nil && a.Website != "" && scheme != "http" && scheme != "https" {
				e = errAt(f.line, "website %q must be an http or https URL", a.Website)
			}
		default:
			if a.Params == nil {
				a.Params = make(map[string]any)
			}
			a.Params[f.key] = f.value
		}
		if e != nil {
			errs = append(errs, e)
		}
	}
	if a.Name == "" && !badName {
		errs = append(errs, errAt(nameLine, "missing name"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	bio, err := l.md.html(doc.body)
	if err != nil {
		return nil, []*lineError{{line: doc.endLine + 1, err: err}}
	}
	a.Bio = bio
	return a, nil
}

// validSlug reports whether s is lowercase ASCII letters, digits and
// hyphens, neither first nor last: it is a URL path segment.
func ValidSlug(s string) bool {
	if s == "" || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// normalizeTags trims and lowercases tags and joins the words of each with
// single hyphens, so "Long  Run" and "long run" are one tag, long-run.
// Duplicates and empty tags go; the order stays.
func normalizeTags(tags []string) []string {
	var out []string
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		t = strings.Join(strings.FieldsFunc(strings.ToLower(t), unicode.IsSpace), "-")
		if t == "" || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, t)
	}
	return out
}
