package content

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"milepost/internal/activity"
)

// A Source keeps what it made of each file of its content directory — the
// file's size and modification time, and what reading it gave — so that a
// reload reads again only the files that changed, and builds the new Site
// from the *Post and *Author values of the others, unchanged. The Site is
// still immutable and swapped whole; only what it is built from is kept.
//
// Which files to look at comes from the watcher's events (a post, a
// bundle's folder, the authors folder), or from a scan of every file (the
// fallback, and Reload); either way a file is read only if its key
// changed. A post is read again when:
//   - its file changed, or a file of its page bundle did (a photo, the
//     activity file): its key hashes them all;
//   - an author file changed, was added or removed, or an author's photo
//     did, and the post names that author, or could not be loaded (it may
//     have named an author that did not exist);
//   - site.yaml changed: every file is, with the new settings.

// fileKey is what says a file changed: its size and modification time and,
// for a page bundle's index.md or an author file, a hash of the same of
// the files beside it that it uses (photos, activity files, avatar).
type fileKey struct {
	size, modNanos int64
	extra          uint64
	err            string // a file that cannot be read has its error as key
}

// tree is a content directory as last read, file by file.
type tree struct {
	dir  string
	over Overrides

	cfg    Config
	cfgKey fileKey
	// broken is set when site.yaml could not be used: nothing is read
	// again until it changes, and the previous Site keeps serving.
	broken bool
	l      *loader

	authors           map[string]*authorEntry // by file, authors/ID.md
	authorsUnreadable []Problem
	posts             map[string]*postEntry // by file
	postsUnreadable   []Problem             // folders under posts/ that could not be read
	// order is the keys of posts in path order; nil when a post was added
	// or removed since it was sorted.
	order []string

	activities *activityCache
	readers    *activity.Readers

	// cacheErr is why the last full load could not save the front matter
	// cache, for the Source's log: the load itself is whole.
	cacheErr error
}

type authorEntry struct {
	key fileKey
	res result[*Author]
}

type postEntry struct {
	key fileKey
	res result[*loadedPost]
}

func newTree(dir string, over Overrides, activities *activityCache) *tree {
	readers := over.Activities
	if readers == nil {
		readers = activity.NewReaders(0)
	}
	return &tree{dir: dir, over: over, activities: activities, readers: readers}
}

// full reads the whole directory again: site.yaml, every author and every
// post. On an error the tree is left as it was.
func (t *tree) full(ctx context.Context) error {
	key := statKey(t.dir, configFile, nil)
	cfg, err := loadConfig(ctx, t.dir, t.over)
	if err != nil {
		t.cfgKey, t.broken = key, true
		return err
	}
	next := &tree{dir: t.dir, over: t.over, cfg: cfg, cfgKey: key, activities: t.activities, readers: t.readers,
		authors: make(map[string]*authorEntry), posts: make(map[string]*postEntry)}
	next.l = &loader{cfg: cfg, md: newMarkdown(cfg.Markdown), basePath: cfg.BasePath(), dir: t.dir, activities: t.activities, readers: t.readers, bodiesOnDisk: t.dir != ""}
	if t.activities != nil {
		t.activities.begin()
		defer t.activities.end()
	}
	// Only a full load reads many files it has parsed before; a reload
	// reads the few that changed, which the cache does not hold.
	next.l.front = openFrontCache(t.over.FrontMatterCache)
	defer func() { next.l.front = nil }()
	if _, err := next.scanAuthors(ctx); err != nil {
		return err
	}
	if _, err := next.scanPosts(ctx, []string{"posts"}); err != nil {
		return err
	}
	next.cacheErr = next.l.front.save()
	*t = *next
	return nil
}

// update reads again what changed among the authors (when authors is set)
// and under each of the roots (files or folders under posts/, "posts" for
// all of them), or everything when site.yaml changed. It reports whether
// anything did. A tree whose site.yaml is broken changes only once it is
// fixed.
func (t *tree) update(ctx context.Context, config, authors bool, roots []string) (bool, error) {
	if config {
		if key := statKey(t.dir, configFile, nil); key != t.cfgKey {
			if err := t.full(ctx); err != nil {
				return false, err
			}
			return true, nil
		}
	}
	if t.broken {
		return false, nil
	}
	var changedAuthors map[string]bool
	if authors {
		var err error
		if changedAuthors, err = t.scanAuthors(ctx); err != nil {
			return false, err
		}
	}
	changed, err := t.scanPosts(ctx, roots)
	if err != nil {
		return false, err
	}
	// A changed author re-reads its posts: they point at it.
	if len(changedAuthors) > 0 {
		var again []string
		for rel, e := range t.posts {
			if v := e.res.value; v == nil || v.Author != nil && changedAuthors[v.Author.ID] {
				again = append(again, rel)
			}
		}
		t.readPosts(ctx, again, nil)
	}
	return changed || len(changedAuthors) > 0, ctx.Err()
}

// scanAuthors reads the author files that changed since the last scan and
// drops those that are gone. It returns the ids of the authors that
// changed, were added or removed.
func (t *tree) scanAuthors(ctx context.Context) (map[string]bool, error) {
	files, unreadable, err := markdownFiles(ctx, t.dir, "authors", false)
	if err != nil {
		return nil, err
	}
	changed := make(map[string]bool)
	id := func(rel string) string { return strings.TrimSuffix(path.Base(rel), ".md") }
	listed := make(map[string]bool, len(files))
	var read []string
	keys := make(map[string]fileKey, len(files))
	for _, rel := range files {
		listed[rel] = true
		keys[rel] = statKey(t.dir, rel, t.avatarFiles(id(rel)))
		if e := t.authors[rel]; e == nil || e.key != keys[rel] {
			read = append(read, rel)
		}
	}
	for rel := range t.authors {
		if !listed[rel] {
			delete(t.authors, rel)
			changed[id(rel)] = true
		}
	}
	for i, r := range loadAll(ctx, t.dir, read, t.l.author) {
		if a := r.value; a != nil {
			a.Avatar = avatarOf(t.dir, a.ID)
		}
		t.authors[read[i]] = &authorEntry{key: keys[read[i]], res: r}
		changed[id(read[i])] = true
	}
	t.authorsUnreadable = unreadable
	return changed, ctx.Err()
}

// avatarFiles is the extra of an author file's key: its photos beside it.
func (t *tree) avatarFiles(id string) func(add func(rel string)) {
	return func(add func(rel string)) {
		for _, ext := range AvatarExts {
			add(AvatarFile(id, ext))
		}
	}
}

// scanPosts reads the post files under the roots that changed since the
// last scan and drops those that are gone. It reports whether a post was
// read, added or removed.
func (t *tree) scanPosts(ctx context.Context, roots []string) (bool, error) {
	changed := false
	for _, root := range roots {
		files, unreadable, err := t.listPosts(ctx, root)
		if err != nil {
			return changed, err
		}
		under := func(rel string) bool { return rel == root || strings.HasPrefix(rel, root+"/") }
		t.postsUnreadable = slices.DeleteFunc(t.postsUnreadable, func(p Problem) bool { return under(p.File) })
		t.postsUnreadable = append(t.postsUnreadable, unreadable...)
		if len(t.posts) == 0 {
			// The first scan: sized once rather than grown file by file.
			t.posts = make(map[string]*postEntry, len(files))
		}
		listed := make(map[string]bool, len(files))
		for _, rel := range files {
			listed[rel] = true
		}
		for rel := range t.posts {
			if under(rel) && !listed[rel] {
				if b := bundleOf(rel); b != "" && t.activities != nil {
					t.activities.forget(b)
				}
				delete(t.posts, rel)
				t.order, changed = nil, true
			}
		}
		var read []string
		keys := make(map[string]fileKey, len(files))
		for _, rel := range files {
			b := bundleOf(rel)
			e := t.posts[rel]
			if e == nil && b == "" {
				// A new file is read whatever its key: the read gives
				// it (result.read), with no look-up of its path here
				// (at start-up, every file is new).
				read = append(read, rel)
				continue
			}
			var extra func(func(string))
			if b != "" {
				extra = func(add func(string)) { bundleFiles(t.dir, b, add) }
			}
			keys[rel] = statKey(t.dir, rel, extra)
			if e == nil || e.key != keys[rel] {
				read = append(read, rel)
			}
		}
		if len(read) > 0 {
			changed = true
		}
		t.readPosts(ctx, read, keys)
		if err := ctx.Err(); err != nil {
			return changed, err
		}
	}
	return changed, nil
}

// readPosts reads the post files (in parallel) and keeps what they gave
// under keys, or under the key they had when keys has none for them, or
// else under the key of what was read (a new file outside a bundle).
func (t *tree) readPosts(ctx context.Context, files []string, keys map[string]fileKey) {
	if len(files) == 0 {
		return
	}
	authors := t.authorMap()
	results := loadAll(ctx, t.dir, files, func(rel string, src []byte) (*loadedPost, []*lineError) {
		return t.l.post(ctx, rel, src, authors)
	})
	if ctx.Err() != nil {
		return // the files left unread would be reported as skipped
	}
	for i, r := range results {
		rel := files[i]
		key, ok := keys[rel]
		switch {
		case ok:
		case t.posts[rel] != nil:
			key = t.posts[rel].key
		default:
			key = r.read
		}
		if lp := r.value; lp != nil {
			lp.Version = t.postVersion(rel, key, lp.Post)
		}
		if t.posts[rel] == nil {
			t.order = nil
		}
		t.posts[rel] = &postEntry{key: key, res: r}
	}
}

// postVersion is the Version of post p, read from the file rel under key:
// a digest of the identity (path, size, modification time) of every file
// its parse read — its own and its bundle's (key), site.yaml and its
// author's file with the author's photos — in the content directory. A
// post read again gets a new Version exactly when one of them changed,
// and the same files give the same Version in every process, so that a
// static build tells from the render cache's keys which pages an earlier
// build made (internal/build).
func (t *tree) postVersion(rel string, key fileKey, p *Post) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s\x00", t.dir, rel)
	key.hash(h)
	t.cfgKey.hash(h)
	if p.Author != nil {
		if e := t.authors["authors/"+p.Author.ID+".md"]; e != nil {
			e.key.hash(h)
		}
	}
	return h.Sum64() | 1 // 0 stands for no post (web's page keys)
}

// hash writes k into h.
func (k fileKey) hash(h io.Writer) {
	fmt.Fprintf(h, "%d\x00%d\x00%d\x00%s\x00", k.size, k.modNanos, k.extra, k.err)
}

// listPosts lists the post files under root: a file or folder under posts/,
// or posts itself. A folder that is a page bundle is its index.md.
func (t *tree) listPosts(ctx context.Context, root string) ([]string, []Problem, error) {
	if root == "posts" {
		return markdownFiles(ctx, t.dir, "posts", true)
	}
	info, err := os.Stat(filepath.Join(t.dir, filepath.FromSlash(root)))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, nil
	case err != nil:
		return nil, []Problem{{File: root, Err: fmt.Errorf("reading: %w", err)}}, nil
	case !info.IsDir():
		if strings.HasSuffix(root, ".md") {
			return []string{root}, nil, nil
		}
		return nil, nil, nil
	}
	index := root + "/" + bundleIndex
	if info, err := os.Stat(filepath.Join(t.dir, filepath.FromSlash(index))); err == nil && info.Mode().IsRegular() {
		return []string{index}, nil, nil
	}
	return markdownFiles(ctx, t.dir, root, true)
}

// authorMap is the authors as a Site has them: by id.
func (t *tree) authorMap() map[string]*Author {
	m := make(map[string]*Author, len(t.authors))
	for _, e := range t.authors {
		if a := e.res.value; a != nil {
			m[a.ID] = a
		}
	}
	return m
}

// site builds the Site of the tree as it is: new maps and listings, the
// posts and authors that did not change shared with the previous Site.
func (t *tree) site() *Site {
	site := &Site{Config: t.cfg, Authors: t.authorMap(), dir: t.dir, activities: t.activities, readers: t.readers}
	authorFiles := slices.SortedFunc(maps.Keys(t.authors), comparePaths)
	site.Problems = append(site.Problems, t.authorsUnreadable...)
	for _, rel := range authorFiles {
		site.Problems = append(site.Problems, t.authors[rel].res.problems...)
	}
	unreadable := slices.Clone(t.postsUnreadable)
	slices.SortStableFunc(unreadable, func(a, b Problem) int { return comparePaths(a.File, b.File) })
	site.Problems = append(site.Problems, unreadable...)

	if t.order == nil {
		t.order = make([]string, 0, len(t.posts))
		for rel := range t.posts {
			t.order = append(t.order, rel)
		}
		slices.SortFunc(t.order, comparePaths)
	}
	site.bySlug = make(map[string]*Post, len(t.order))
	site.all = make(Listing, 0, len(t.order))
	for _, rel := range t.order {
		r := t.posts[rel].res
		site.Problems = append(site.Problems, r.problems...)
		lp := r.value
		if lp == nil {
			continue
		}
		p := lp.Post
		// Files are in path order, so the first file keeps its slug.
		if first := site.bySlug[p.Slug]; first != nil {
			site.Problems = append(site.Problems, Problem{
				File: p.File, Line: lp.slugLine,
				Err: fmt.Errorf("slug %q is already used by %s", p.Slug, first.File),
			})
			continue
		}
		site.bySlug[p.Slug] = p
		site.all = append(site.all, p)
		site.Warnings = append(site.Warnings, lp.warnings...)
	}
	site.index()
	return site
}

// comparePaths orders slash-separated paths as a walk of the directory
// visits them: by name at each level.
func comparePaths(a, b string) int {
	for a != "" && b != "" {
		as, arest, _ := strings.Cut(a, "/")
		bs, brest, _ := strings.Cut(b, "/")
		if c := strings.Compare(as, bs); c != 0 {
			return c
		}
		a, b = arest, brest
	}
	return cmp.Compare(len(a), len(b))
}

// statKey is the key of the file rel (relative to dir), with the files
// extra names (relative to dir too) hashed into it.
func statKey(dir, rel string, extra func(add func(rel string))) fileKey {
	// Stat rather than Lstat: files are read through symbolic links.
	info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		return fileKey{err: err.Error()}
	}
	k := keyOf(info)
	if extra != nil {
		h := fnv.New64a()
		extra(func(rel string) { hashStat(h, dir, rel) })
		k.extra = h.Sum64()
	}
	return k
}

// keyOf is the key of a file of info, without the files beside it.
func keyOf(info fs.FileInfo) fileKey {
	return fileKey{size: info.Size(), modNanos: info.ModTime().UnixNano()}
}

// hashStat writes the path, size and modification time of the file rel
// into h, or its error: a file appearing, changing or going changes h.
func hashStat(h io.Writer, dir, rel string) {
	info, err := os.Stat(filepath.Join(dir, filepath.FromSlash(rel)))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return // absent, as most avatars are
		}
		fmt.Fprintf(h, "%s\x00%v\n", rel, err)
		return
	}
	fmt.Fprintf(h, "%s\x00%d\x00%d\n", rel, info.Size(), info.ModTime().UnixNano())
}
