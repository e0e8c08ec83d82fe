// Package authoring is a post as edited: opened with the hash of its file,
// saved atomically unless the file changed since, with every replaced
// version kept, and deleted into a trash it can come back from. It is the
// only writer of content/ besides a person with a text editor or git, and
// the two never lose each other's work:
//
//   - Open returns the post's fields, body and Version (the SHA-256 of the
//     file's bytes). A form carries the Version; Save refuses, with a
//     *ConflictError holding the file's current text, when the file is no
//     longer that version, and writes nothing.
//   - A save changes only what was edited: front matter keys Milepost does
//     not know, comments and key order stay byte for byte, and saving
//     without a change leaves the file as it was.
//   - What a save would write is read back by content first; a file the
//     site would skip is refused with content's own file:line problems.
//   - Before a file is replaced, its bytes are kept in the Store (History,
//     Restore).
//
// Every rule of what a valid post is belongs to content; this package asks
// it (content.Site.ParsePost) and has no rules of its own about posts.
package authoring

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"milepost/internal/activity"
	"milepost/internal/atomicfile"
	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/media"
)

// Version is the hex SHA-256 of a post file's bytes. The zero Version
// means "no file yet": saving with it creates a new post.
type Version string

// VersionOf returns the Version of a file's bytes.
func VersionOf(b []byte) Version {
	sum := sha256.Sum256(b)
	return Version(hex.EncodeToString(sum[:]))
}

// Post is a post as authored.
type Post struct {
	Slug string
	Fields
	// Extra are the keys Milepost does not know, in file order, kept as
	// they were by every save.
	Extra []Extra
	Body  string
	// File is the post's file relative to the content directory
	// (posts/SLUG/index.md for a bundle, or posts/….md); Bundle is the
	// bundle's folder, "" for a single file.
	File   string
	Bundle string
	// Format is the front matter's, "YAML" or "TOML".
	Format  string
	Version Version
}

// Edit is what an editor sends: the post's slug (the one it was opened
// with, or a new post's), its fields and body, and who saves it.
type Edit struct {
	Slug string
	Fields
	Body string
	By   string
	// Photos are stored in the post's bundle with the save, each with a
	// line of Markdown appended to Body (photos.go); a Cover of
	// FirstUpload names the first of them.
	Photos []PhotoUpload
	// ActivityFile, when set, is stored in the post's bundle with the
	// save and named by its activity: key (activityupload.go).
	ActivityFile *ActivityUpload
	// NewSlug, when set and not Slug, moves the post to that slug with
	// the save: only a draft never published (rename.go).
	NewSlug string
}

// ConflictError is Save's (and Restore's and Delete's) refusal when the file
// is no longer the version the edit was based on: someone changed it by hand
// or another save won. Nothing was written; both texts are here for the
// writer to compare.
type ConflictError struct {
	Slug string
	File string // relative to the content directory
	// Current is the file as it is now (nil when it no longer exists) and
	// CurrentVersion its Version; Yours is what the save would have written.
	Current        []byte
	CurrentVersion Version
	Yours          []byte
}

func (e *ConflictError) Error() string {
	if e.Current == nil {
		return fmt.Sprintf("%s was removed since it was opened: nothing was saved", e.File)
	}
	return fmt.Sprintf("%s changed since it was opened (now version %.12s): nothing was saved", e.File, e.CurrentVersion)
}

// InvalidError is the refusal of a file content would not load, with its
// problems (each prints as file:line: what).
type InvalidError struct {
	Problems []content.Problem
}

func (e *InvalidError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "; ")
}

var (
	// ErrInvalidSlug is matched by the error for a slug that is not
	// lowercase letters, digits and inner hyphens (content.ValidSlug):
	// nothing such as ../, a / or a NUL ever reaches a path.
	ErrInvalidSlug = errors.New("not a valid slug")
	// ErrSlugTaken is matched by the error for a new post, or a post back
	// from the trash, whose slug another post has.
	ErrSlugTaken = errors.New("slug is taken by another post")
	// ErrOtherFileSystem is matched by the error for a trash directory on
	// another file system than content/: moving there would be a copy,
	// which is not atomic, so it is refused.
	ErrOtherFileSystem = errors.New("the trash directory is on another file system than the content directory")
)

// Config is what a Service is made from.
type Config struct {
	// Site returns the content as last loaded (content.Source.Current): it
	// knows which file has which slug, and judges a file before it is
	// written. Its Dir is the content directory written to.
	Site func() *content.Site
	// TrashDir is where deleted posts go. It must be outside the content
	// directory (or the site would load them) and on the same file system.
	TrashDir string
	Store    Store
	Log      *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Photos renders the photos a save strips, taking turns with the
	// server's other renders (the photo cache's); nil means a Renderer of
	// the Service's own.
	Photos *media.Renderer
	// Activities reads the watch files saves attach, taking turns with the
	// server's other reads (the content loader's); nil means a bound of
	// the Service's own.
	Activities *activity.Readers
}

// Service opens, saves, deletes and restores posts. It is safe for
// concurrent use: the operations on one slug run one at a time.
type Service struct {
	site     func() *content.Site
	dir      string
	trashDir string
	store    Store
	log      *slog.Logger
	now      func() time.Time
	locks    slugLocks
	photos   *media.Renderer
	// activities bounds the watch files read at once.
	activities *activity.Readers
}

// New checks c and returns a Service.
func New(c Config) (*Service, error) {
	if c.Site == nil || c.Store == nil || c.TrashDir == "" {
		return nil, errors.New("authoring: Site, Store and TrashDir are required")
	}
	site := c.Site()
	if site == nil {
		return nil, errors.New("authoring: no site loaded")
	}
	dir, err := filepath.Abs(site.Dir())
	if err != nil {
		return nil, fmt.Errorf("authoring: the content directory: %w", err)
	}
	trash, err := filepath.Abs(c.TrashDir)
	if err != nil {
		return nil, fmt.Errorf("authoring: the trash directory: %w", err)
	}
	if rel, err := filepath.Rel(dir, trash); err == nil && filepath.IsLocal(rel) || trash == dir {
		return nil, fmt.Errorf("authoring: the trash directory %s is inside the content directory %s: the site would load what is deleted", trash, dir)
	}
	s := &Service{site: c.Site, dir: dir, trashDir: trash, store: c.Store, log: c.Log, now: c.Now, photos: c.Photos, activities: c.Activities}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.photos == nil {
		s.photos = media.NewRenderer(0)
	}
	if s.activities == nil {
		s.activities = activity.NewReaders(0)
	}
	return s, nil
}

// Open returns the post with the slug as its file is now. The error matches
// ErrInvalidSlug, ErrNotFound or ErrLink, or is an *InvalidError when the front
// matter cannot be read at all (the file must then be mended by hand).
func (s *Service) Open(ctx context.Context, slug string) (Post, error) {
	if err := ctx.Err(); err != nil {
		return Post{}, err
	}
	rel, err := s.locate(slug)
	if err != nil {
		return Post{}, fmt.Errorf("opening post %q: %w", slug, err)
	}
	src, err := s.read(rel)
	if err != nil {
		return Post{}, fmt.Errorf("opening post %q: %w", slug, err)
	}
	return postOf(slug, rel, src)
}

// postOf splits a post file into a Post.
func postOf(slug, rel string, src []byte) (Post, error) {
	split, err := content.SplitSource(src)
	if err != nil {
		return Post{}, invalid(rel, err)
	}
	f, extra := readFields(split)
	return Post{Slug: slug, Fields: f, Extra: extra, Body: string(src[storyStart(src, split):]), File: rel,
		Bundle: content.BundleDir(rel), Format: split.Format, Version: VersionOf(src)}, nil
}

// invalid makes content's Problem from SplitSource name its file.
func invalid(rel string, err error) error {
	var p content.Problem
	if errors.As(err, &p) {
		p.File = rel
		return &InvalidError{Problems: []content.Problem{p}}
	}
	return fmt.Errorf("reading %s: %w", rel, err)
}

// Save writes the edit if the post's file is still the version basedOn
// (the zero Version: a new post, written as the bundle posts/SLUG/index.md).
// It returns the post as saved. Errors: *ConflictError (nothing written),
// *InvalidError (content would not load the result; nothing written),
// ErrInvalidSlug, ErrNotFound, ErrLink, ErrSlugTaken (a new post whose
// slug is used), ErrSlugUsed (one whose slug a post had), or what the
// file system said (a read-only or full disk: the file is left as it
// was, with no half-written file beside it).
//
// Saving what the file already holds writes nothing and keeps no revision.
func (s *Service) Save(ctx context.Context, e Edit, basedOn Version) (Post, error) {
	if err := ctx.Err(); err != nil {
		return Post{}, err
	}
	if !content.ValidSlug(e.Slug) {
		return Post{}, fmt.Errorf("saving post %q: %w", e.Slug, ErrInvalidSlug)
	}
	// Checked and made before the lock is taken: decoding photos is slow,
	// and a refused one refuses the save before anything is looked at.
	photos, err := preparePhotos(ctx, s.photos, e.Photos)
	if err != nil {
		return Post{}, fmt.Errorf("saving post %q: %w", e.Slug, err)
	}
	act, err := prepareActivity(ctx, s.activities, e.ActivityFile)
	if err != nil {
		return Post{}, fmt.Errorf("saving post %q: %w", e.Slug, err)
	}
	// A move holds the new slug's lock too, so that no new post takes it
	// meanwhile; the two are taken in one order, so that two moves the
	// other way round cannot wait for each other.
	slugs := []string{e.Slug}
	if e.NewSlug != "" && e.NewSlug != e.Slug && content.ValidSlug(e.NewSlug) {
		slugs = append(slugs, e.NewSlug)
		slices.Sort(slugs)
	}
	for _, slug := range slugs {
		defer s.locks.lock(slug)()
	}
	ch := change{photos: photos, activity: act}
	if basedOn == "" {
		rel := "posts/" + e.Slug + "/index.md"
		if taken, err := s.locate(e.Slug); err == nil {
			return Post{}, fmt.Errorf("saving new post %q: %w (%s)", e.Slug, ErrSlugTaken, taken)
		} else if !errors.Is(err, ErrNotFound) {
			return Post{}, fmt.Errorf("saving new post %q: %w", e.Slug, err)
		}
		if err := s.slugUnused(ctx, e.Slug); err != nil {
			return Post{}, fmt.Errorf("saving new post %q: %w", e.Slug, err)
		}
		s.withPhotos(&e, content.BundleDir(rel), photos, act)
		src, err := newFile(e.Fields, e.Body)
		if err != nil {
			return Post{}, fmt.Errorf("saving new post %q: %w", e.Slug, err)
		}
		return s.write(ctx, e.Slug, rel, nil, "", src, e.By, "", ch)
	}
	rel, old, err := s.current(e.Slug, basedOn, nil)
	if err != nil {
		if c := (*ConflictError)(nil); errors.As(err, &c) {
			c.Yours = s.yours(c.Current, e)
		}
		return Post{}, fmt.Errorf("saving post %q: %w", e.Slug, err)
	}
	split, err := content.SplitSource(old)
	if err != nil {
		return Post{}, fmt.Errorf("saving post %q: %w", e.Slug, invalid(rel, err))
	}
	// Photos go into the post's bundle: a single file becomes one.
	bundle := content.BundleDir(rel)
	if bundle == "" && len(ch.stored()) > 0 {
		ch.to = asBundle(rel)
		bundle = content.BundleDir(ch.to)
	}
	if e.NewSlug != "" && e.NewSlug != e.Slug {
		if err := s.renamable(ctx, e.Slug, rel, old, e.NewSlug); err != nil {
			return Post{}, fmt.Errorf("moving post %q to %q: %w", e.Slug, e.NewSlug, err)
		}
		ch.toSlug = e.NewSlug
		if ch.to, err = s.movedTo(rel, e.NewSlug, len(ch.stored()) > 0); err != nil {
			return Post{}, fmt.Errorf("moving post %q to %q: %w", e.Slug, e.NewSlug, err)
		}
	}
	s.withPhotos(&e, bundle, photos, act)
	src, err := editFile(old, split, e.Fields, e.Body)
	if err != nil {
		return Post{}, fmt.Errorf("saving %s: %w", rel, err)
	}
	return s.write(ctx, e.Slug, rel, old, basedOn, src, e.By, "", ch)
}

// withPhotos names the photos and the activity file (nil for none) for
// the bundle folder (relative), appends the photos' lines to the edit's
// body, makes a Cover of FirstUpload the first one's name, and the
// activity: key the activity file's.
func (s *Service) withPhotos(e *Edit, bundle string, photos []photoFile, act *photoFile) {
	files := append(append(make([]photoFile, 0, len(photos)+1), photos...), activityList(act)...)
	nameAll(s.abs(bundle), files)
	copy(photos, files)
	if act != nil {
		act.name = files[len(photos)].name
		e.Activity = act.name
	}
	e.Body = withPhotoLines(e.Body, photos)
	if e.Cover == FirstUpload {
		e.Cover = ""
		if len(photos) > 0 {
			e.Cover = photos[0].name
		}
	}
}

// yours is the text an edit would have made of the current file, for the
// conflict page, or nothing when it cannot be made.
func (s *Service) yours(current []byte, e Edit) []byte {
	if current != nil {
		if split, err := content.SplitSource(current); err == nil {
			if b, err := editFile(current, split, e.Fields, e.Body); err == nil {
				return b
			}
		}
	}
	b, _ := newFile(e.Fields, e.Body)
	return b
}

// current finds the slug's file and reads it, refusing with a
// *ConflictError when it is not the version basedOn.
func (s *Service) current(slug string, basedOn Version, yours []byte) (rel string, src []byte, err error) {
	rel, err = s.locate(slug)
	if errors.Is(err, ErrNotFound) {
		return "", nil, &ConflictError{Slug: slug, File: "posts/" + slug, Yours: yours}
	}
	if err != nil {
		return "", nil, err
	}
	src, err = s.read(rel)
	if errors.Is(err, ErrNotFound) {
		return "", nil, &ConflictError{Slug: slug, File: rel, Yours: yours}
	}
	if err != nil {
		return "", nil, err
	}
	if v := VersionOf(src); v != basedOn {
		return "", nil, &ConflictError{Slug: slug, File: rel, Current: src, CurrentVersion: v, Yours: yours}
	}
	return rel, src, nil
}

// change is what a save does besides writing the post's file: photos to
// store in its bundle, and a move of the post — a single file becoming a
// bundle, or a draft taking a new slug.
type change struct {
	photos []photoFile
	// activity is the activity file to store beside them; nil for none.
	activity *photoFile
	// to is where the post's file is written when it moves ("": where it
	// is); toSlug its new slug ("": the same).
	to, toSlug string
}

// write checks src with content, keeps old as a revision and replaces the
// file with src, re-reading the file just before the rename so that a hand
// edit made meanwhile is never overwritten. The slug's lock is held.
//
// The post's move and its photos come first, so that content judges the
// file where it will be with its photos beside it; every step is undone
// when a later one fails, so a refused or failed save leaves no half
// state.
//
// restored, when not "", says the text is an earlier version brought back
// (the log's detail); otherwise the log entry's kind says what the save
// changed.
func (s *Service) write(ctx context.Context, slug, rel string, old []byte, basedOn Version, src []byte, by, restored string, ch change) (post Post, err error) {
	target, toSlug := rel, slug
	if ch.to != "" {
		target = ch.to
	}
	if ch.toSlug != "" {
		toSlug = ch.toSlug
	}
	for _, p := range []string{rel, target} {
		if err := s.noLinks(p); err != nil {
			return Post{}, fmt.Errorf("saving %s: %w", p, err)
		}
	}
	site := s.site()
	if old != nil && bytes.Equal(old, src) && target == rel && len(ch.stored()) == 0 {
		if _, problems := site.ParsePost(rel, src); len(problems) > 0 {
			return Post{}, fmt.Errorf("saving %s: %w", rel, &InvalidError{Problems: problems})
		}
		return postOf(slug, rel, src)
	}
	// A move to a new slug is recorded before anything moves, and ended
	// from where the file is once it is written or put back: a crash at
	// any step leaves the record, and SettleMoves puts the post's records
	// under the slug of the place its file is in.
	var move *Move
	if toSlug != slug {
		move = &Move{From: slug, To: toSlug, FromPath: movedPath(rel), ToPath: movedPath(target)}
		if err := s.store.BeginMove(ctx, *move); err != nil {
			return Post{}, fmt.Errorf("saving %s: %w", target, err)
		}
		defer func() {
			// After the folder is moved back on a failure (the deferred
			// undo below runs first).
			if serr := s.settleMove(context.WithoutCancel(ctx), *move); serr != nil {
				s.log.Error("ending a post's move", "from", move.From, "to", move.To, "err", serr)
			}
		}()
	}
	undo, err := s.arrange(rel, target, ch.stored())
	if err != nil {
		return Post{}, fmt.Errorf("saving %s: %w", target, err)
	}
	defer func() {
		if err != nil {
			undo()
		}
	}()
	parsed, problems := site.ParseMovedPost(target, rel, src)
	if len(problems) > 0 {
		return Post{}, fmt.Errorf("saving %s: %w", target, &InvalidError{Problems: problems})
	}
	file := s.abs(target)
	perm := fs.FileMode(0o644)
	logged := postAction(s.changeKind(site, rel, old, parsed), toSlug, by, s.now(), target)
	switch {
	case restored != "":
		logged.Kind, logged.Detail = comments.ActionPostRestore, restored
	case old == nil && parsed.Draft:
		logged.Detail += ", a draft"
	case old == nil && parsed.Date.After(s.now()):
		logged.Detail += ", scheduled"
	case old == nil:
		logged.Detail += ", published"
	}
	if target != rel {
		logged.Detail += ", moved from " + rel
	}
	if n := len(ch.photos); n > 0 {
		logged.Detail += fmt.Sprintf(", %d photo(s) added", n)
	}
	if ch.activity != nil {
		logged.Detail += ", activity file " + ch.activity.name + " added"
	}
	// The log entry is committed before the file is written, with the
	// revision when there is one: if the process dies (or the disk
	// refuses the write) in between, the log tells of a save the file
	// does not show, and the history holds a revision equal to the file.
	// The other order could lose the record of a change that is on disk.
	if old == nil {
		if err := s.store.LogPostAction(ctx, logged); err != nil {
			return Post{}, fmt.Errorf("saving %s: logging it: %w", rel, err)
		}
		// A review left by a post of this slug moved away by hand is not
		// this new post's.
		if err := s.endReview(ctx, slug); err != nil {
			return Post{}, fmt.Errorf("saving %s: %w", rel, err)
		}
	}
	if old != nil {
		if fi, err := os.Stat(file); err == nil {
			perm = fi.Mode().Perm()
		}
		// Kept before the file is replaced: a crash after this leaves a
		// revision that equals the file, never a replaced file with no
		// revision.
		rev := Revision{Slug: toSlug, File: rel, Version: basedOn, By: by, At: s.now(), Content: old,
			Published: wasOut(site, rel, old)}
		if toSlug != slug {
			// The history, review and preview links follow the post, with
			// this revision, in one transaction; on a failure from here
			// on they go back with the folder (settleMove).
			err = s.store.RenamePost(ctx, slug, toSlug, rev, logged)
		} else {
			_, err = s.store.AddRevision(ctx, rev, logged)
		}
		if err != nil {
			return Post{}, fmt.Errorf("saving %s: keeping the previous version: %w", rel, err)
		}
	}
	err = atomicfile.Write(file, perm, func(w io.Writer) error {
		if _, err := w.Write(src); err != nil {
			return fmt.Errorf("writing %s: %w", target, err)
		}
		return s.recheck(toSlug, target, basedOn, src)
	})
	if err != nil {
		return Post{}, fmt.Errorf("saving %s: %w", target, err)
	}
	s.log.Info("post saved", "slug", toSlug, "file", target, "by", by, "version", VersionOf(src), "photos", len(ch.photos))
	return postOf(toSlug, target, src)
}

// arrange moves the post's file (or its bundle's folder) from rel to
// target and stores the photos in target's bundle, and returns what undoes
// both.
func (s *Service) arrange(rel, target string, photos []photoFile) (_ func(), err error) {
	var undos []func()
	// Not the named result: a return of nil with an error must still
	// undo what was done.
	undo := func() {
		for i := len(undos) - 1; i >= 0; i-- {
			undos[i]()
		}
	}
	defer func() {
		if err != nil {
			undo()
		}
	}()
	if target != rel {
		from, to := rel, target
		if b := content.BundleDir(rel); b != "" {
			// A bundle moves whole, photos and all.
			from, to = b, content.BundleDir(target)
		}
		if _, err := os.Lstat(s.abs(to)); err == nil {
			return nil, fmt.Errorf("%w (%s)", ErrSlugTaken, to)
		}
		made, err := s.mkdirs(path.Dir(to))
		undos = append(undos, made)
		if err != nil {
			return nil, err
		}
		if err := rename(s.abs(from), s.abs(to)); err != nil {
			return nil, err
		}
		undos = append(undos, func() {
			if err := rename(s.abs(to), s.abs(from)); err != nil {
				s.log.Error("moving a post back after a failed save", "from", to, "to", from, "err", err)
			}
		})
		s.syncDirs(filepath.Dir(s.abs(from)), filepath.Dir(s.abs(to)))
	}
	if len(photos) > 0 {
		bundle := content.BundleDir(target)
		made, err := s.mkdirs(bundle)
		undos = append(undos, made)
		if err != nil {
			return nil, err
		}
		removePhotos, err := placePhotos(s.abs(bundle), photos)
		if err != nil {
			return nil, err
		}
		undos = append(undos, removePhotos)
	}
	return undo, nil
}

// mkdirs makes the folder rel and the ones above it that are missing, and
// returns what removes those it made (when still empty).
func (s *Service) mkdirs(rel string) (remove func(), err error) {
	var made []string
	for d := rel; d != "." && d != "posts"; d = path.Dir(d) {
		if _, err := os.Lstat(s.abs(d)); err == nil {
			break
		}
		made = append(made, d)
	}
	remove = func() {
		for _, d := range made {
			os.Remove(s.abs(d)) // only while empty
		}
	}
	if err := s.noLinks(rel); err != nil {
		return remove, err
	}
	if err := os.MkdirAll(s.abs(rel), 0o755); err != nil {
		return remove, fmt.Errorf("making the folder %s: %w", rel, err)
	}
	return remove, nil
}

// recheck is the last look at the file before the rename: another process
// (a text editor, git) may have written it since it was read.
func (s *Service) recheck(slug, rel string, basedOn Version, yours []byte) error {
	now, err := os.ReadFile(s.abs(rel))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if basedOn == "" {
			return nil
		}
		return &ConflictError{Slug: slug, File: rel, Yours: yours}
	case err != nil:
		return fmt.Errorf("reading %s again before replacing it: %w", rel, err)
	}
	if v := VersionOf(now); v != basedOn {
		return &ConflictError{Slug: slug, File: rel, Current: now, CurrentVersion: v, Yours: yours}
	}
	return nil
}

// locate finds the file of the post with the slug: where the loaded site
// has it, or, for a post the site has not loaded (just written, or with a
// problem that makes the site skip it), at posts/SLUG/index.md or
// posts/SLUG.md.
func (s *Service) locate(slug string) (string, error) {
	if !content.ValidSlug(slug) {
		return "", ErrInvalidSlug
	}
	if rel := s.site().PostFile(slug); rel != "" && content.ValidPostPath(rel) {
		if fi, err := os.Lstat(s.abs(rel)); err == nil && fi.Mode().IsRegular() {
			return rel, s.noLinks(rel)
		}
	}
	for _, rel := range []string{"posts/" + slug + "/index.md", "posts/" + slug + ".md"} {
		fi, err := os.Lstat(s.abs(rel))
		if err == nil && fi.Mode().IsRegular() {
			return rel, s.noLinks(rel)
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, syscallNotDir) {
			return "", fmt.Errorf("looking for %s: %w", rel, err)
		}
	}
	return "", ErrNotFound
}

// ErrLink is matched by the error for a post path that goes through a
// symbolic link: the editor writes and moves only real files and folders
// inside the content directory, never where a link leads.
var ErrLink = errors.New("goes through a symbolic link")

// noLinks refuses rel when a part of it that exists is a symbolic link.
func (s *Service) noLinks(rel string) error {
	p := s.dir
	for _, part := range strings.Split(rel, "/") {
		p = filepath.Join(p, part)
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checking %s: %w", rel, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return fmt.Errorf("%s %w (%s)", rel, ErrLink, p)
		}
	}
	return nil
}

// read reads a post file; a missing one is ErrNotFound.
func (s *Service) read(rel string) ([]byte, error) {
	b, err := os.ReadFile(s.abs(rel))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: %w", rel, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", rel, err)
	}
	return b, nil
}

// abs is the path of a file relative to the content directory. rel is
// always made here from a valid slug or found by content's loader.
func (s *Service) abs(rel string) string {
	return filepath.Join(s.dir, filepath.FromSlash(rel))
}

// slugLocks serialise the operations on one slug in this process, so that
// of two saves based on the same version exactly one wins (the other finds
// the file changed). Other processes are caught by the re-check before the
// rename.
type slugLocks struct {
	mu    sync.Mutex
	locks map[string]*slugLock
}

type slugLock struct {
	sync.Mutex
	users int
}

func (l *slugLocks) lock(slug string) (unlock func()) {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = make(map[string]*slugLock)
	}
	sl := l.locks[slug]
	if sl == nil {
		sl = &slugLock{}
		l.locks[slug] = sl
	}
	sl.users++
	l.mu.Unlock()
	sl.Lock()
	return func() {
		sl.Unlock()
		l.mu.Lock()
		if sl.users--; sl.users == 0 {
			delete(l.locks, slug)
		}
		l.mu.Unlock()
	}
}
