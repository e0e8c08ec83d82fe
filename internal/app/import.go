package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"milepost/internal/comments"
	"milepost/internal/content"
	"milepost/internal/importer"
)

// ImportConfig is what `milepost import` is told.
type ImportConfig struct {
	// DBPath is the database to import into, created if missing.
	DBPath string
	// ContentDir is the content directory whose published posts the
	// comments are placed on.
	ContentDir string
	// File is the export to read; "-" means Stdin.
	File  string
	Stdin io.Reader
	// DryRun imports into a scratch copy of the database, so that the
	// report is exact, and leaves the database as it was.
	DryRun bool
	// Stdout receives the report; nil for none.
	Stdout io.Writer
	// MaxListed is how many comments of each kind the report lists
	// (unplaced, refused, changed) before giving only their number; 0
	// means 20.
	MaxListed int
	// Now decides which posts are published; zero means the current time.
	Now time.Time
}

// ImportReport is what an import did, or would do in a dry run.
type ImportReport struct {
	File   string
	Format importer.Format
	DryRun bool
	// Read is the number of comments in the file (those the source marks
	// as deleted, and pingbacks, are not counted).
	Read int
	// Seeded is the number of the site's sample comments (site.yaml's
	// seed_comments) stored first, because the database had never been
	// seeded; see seedSample.
	Seeded int
	// Imported were added; AlreadyPresent were in the database already
	// (an earlier import of the same comments), and were left as they are.
	Imported       int
	AlreadyPresent int
	// Unplaced could not be put on any post of the site.
	Unplaced []ImportNote
	// Refused were placed but break the rules every comment keeps (a
	// body of at most comments.MaxBodyChars characters, …).
	Refused []ImportNote
	// Changed were imported (or found present) with a change, which their
	// Note gives: a reply moved to the top level, an invalid website left
	// out, …
	Changed []ImportNote
	// A Milepost export's bans and moderation records (its audit log):
	// how many were restored, and how many the database had already and
	// were left as they are (a ban on the same email or IP address, a
	// record alike in time, moderator, kind, target and detail).
	BansRestored, BansPresent       int
	ActionsRestored, ActionsPresent int
}

// ImportNote is one comment of an import and what happened to it.
type ImportNote struct {
	Source string // the comment's key in the export, "wxr:12"
	Post   string // the slug of the post it was placed on, if any
	Note   string
}

// Import reads a Milepost export, a WordPress WXR file or a Disqus export,
// places its comments on the site's published posts by slug or old link,
// and stores those that keep the rules, in one transaction with a Milepost
// export's bans and moderation records. Importing the same file again adds
// nothing: comments are recognised by their Source, bans by their email or
// IP address, and records by their content (see bolt.DB.ImportAll). The
// report is written to cfg.Stdout, and returned.
func Import(ctx context.Context, cfg ImportConfig) (ImportReport, error) {
	rep := ImportReport{File: cfg.File, DryRun: cfg.DryRun}
	if cfg.File == "" {
		return rep, errors.New("importing comments: no file given")
	}

	site, err := content.Load(ctx, cfg.ContentDir)
	if err != nil {
		return rep, fmt.Errorf("importing comments: loading the content directory %s: %w", cfg.ContentDir, err)
	}
	now := cfg.Now
	if now.IsZero() {
		now = time.Now()
	}
	base := strings.TrimRight(site.Config.BaseURL, "/")
	var posts []importer.PostInfo
	for _, p := range (content.View{Site: site, Now: now}).Posts() {
		posts = append(posts, importer.PostInfo{Slug: p.Slug, URL: base + "/posts/" + p.Slug + "/"})
	}

	items, err := parseFile(cfg)
	if err != nil {
		return rep, err
	}
	rep.Format, rep.Read = items.format, len(items.items)
	placed, unplaced := importer.Place(items.items, posts)
	for _, u := range unplaced {
		rep.Unplaced = append(rep.Unplaced, ImportNote{Source: u.Item.Source, Note: u.Reason})
	}
	batch := comments.Export{Comments: toComments(placed, &rep)}
	if items.export != nil {
		batch.Bans = items.export.Bans
		batch.Actions = linkActions(items.export, batch.Comments)
	}

	if len(batch.Comments)+len(batch.Bans)+len(batch.Actions) > 0 {
		if err := store(ctx, cfg, site.Config.SeedComments, batch, &rep); err != nil {
			return rep, err
		}
	}
	if cfg.Stdout != nil {
		rep.write(cfg.Stdout, cfg.DBPath, cfg.MaxListed)
	}
	return rep, nil
}

type parsed struct {
	format importer.Format
	items  []importer.Item
	// export is the whole of a Milepost export, for its bans and
	// moderation records; nil for other formats.
	export *comments.Export
}

// parseFile reads cfg.File, or Stdin for "-". A Milepost export is read
// once, and kept to be read again with comments.ReadExport, since the
// importer gives only its comments.
func parseFile(cfg ImportConfig) (parsed, error) {
	var r io.Reader
	if cfg.File == "-" {
		if cfg.Stdin == nil {
			return parsed{}, errors.New("importing comments: no standard input to read")
		}
		r = cfg.Stdin
	} else {
		f, err := os.Open(cfg.File)
		if err != nil {
			return parsed{}, fmt.Errorf("importing comments: %w", err)
		}
		defer f.Close()
		r = f
	}
	var copied jsonCopy
	format, items, err := importer.Parse(io.TeeReader(r, &copied))
	if err != nil {
		// The importer's errors begin with what it was doing already.
		return parsed{}, fmt.Errorf("%s: %w", displayName(cfg.File), err)
	}
	p := parsed{format: format, items: items}
	if format == importer.FormatMilepost {
		if copied.notJSON { // cannot be: Parse took it for JSON
			return parsed{}, fmt.Errorf("%s: importing comments: the export was not kept to be read again", displayName(cfg.File))
		}
		e, err := comments.ReadExport(bytes.NewReader(bytes.TrimPrefix(copied.buf.Bytes(), utf8BOM)))
		if err != nil {
			return parsed{}, fmt.Errorf("%s: importing comments: %w", displayName(cfg.File), err)
		}
		p.export = &e
	}
	return p, nil
}

var utf8BOM = []byte("\xef\xbb\xbf")

// jsonCopy keeps what is written to it while it may be a Milepost export,
// whose first character after a byte order mark and blank space is '{',
// and drops it as soon as it is clear that it is not, so that a large XML
// export is not held in memory twice.
type jsonCopy struct {
	buf     bytes.Buffer
	notJSON bool
}

func (j *jsonCopy) Write(p []byte) (int, error) {
	if j.notJSON {
		return len(p), nil
	}
	j.buf.Write(p)
	b := j.buf.Bytes()
	if len(b) < len(utf8BOM) && bytes.HasPrefix(utf8BOM, b) {
		return len(p), nil // perhaps the start of a byte order mark
	}
	if rest := bytes.TrimLeft(bytes.TrimPrefix(b, utf8BOM), " \t\r\n"); len(rest) > 0 && rest[0] != '{' {
		j.notJSON = true
		j.buf = bytes.Buffer{}
	}
	return len(p), nil
}

// linkActions returns e's moderation records with each comment link turned
// from the comment's ID in the file to its batch ID in cs, found through
// the comment's Source as the importer gives it ("milepost:<id>" unless
// the comment has one of its own). A record about a comment that is not
// in cs (deleted before the export, unplaced or refused) loses its link:
// its ID would be another comment's here. Its Target still names it.
func linkActions(e *comments.Export, cs []comments.Comment) []comments.Action {
	if len(e.Actions) == 0 {
		return nil
	}
	sources := make(map[uint64]string, len(e.Comments)) // ID in the file → Source
	for _, c := range e.Comments {
		sources[c.ID] = c.Source
		if c.Source == "" {
			sources[c.ID] = "milepost:" + strconv.FormatUint(c.ID, 10)
		}
	}
	batch := make(map[string]uint64, len(cs)) // Source → batch ID
	for _, c := range cs {
		batch[c.Source] = c.ID
	}
	out := make([]comments.Action, len(e.Actions))
	for i, a := range e.Actions {
		if src, inFile := sources[a.Comment]; inFile {
			a.Comment = batch[src] // zero when the comment is not in cs
		} else {
			a.Comment = 0
		}
		out[i] = a
	}
	return out
}

func displayName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
}

// toComments turns placed items into the batch bolt's Import takes: batch
// IDs from 1 in order, parents given by batch ID. Place puts parents first,
// so a reply's parent has been dealt with by the time it is seen; a reply
// whose parent is refused goes to the top level. Refused items and changes
// are added to rep.
func toComments(placed []importer.Placed, rep *ImportReport) []comments.Comment {
	cs := make([]comments.Comment, 0, len(placed))
	ids := make(map[string]uint64, len(placed))       // Source → batch ID
	refused := make(map[string]string, len(placed)/8) // Source → why
	for _, p := range placed {
		it := p.Item
		c, changes, reason := toComment(it, p.Post)
		if reason != "" {
			refused[it.Source] = reason
			rep.Refused = append(rep.Refused, ImportNote{Source: it.Source, Post: p.Post, Note: reason})
			continue
		}
		if p.Note != "" {
			changes = append([]string{p.Note}, changes...)
		}
		if p.Parent != "" {
			if id, ok := ids[p.Parent]; ok {
				c.Parent = id
			} else {
				why := refused[p.Parent]
				if why == "" { // Place promises parents first; be safe anyway
					why = "not imported"
				}
				changes = append(changes, fmt.Sprintf("reply to %s, which is refused (%s): placed at top level", p.Parent, why))
			}
		}
		c.ID = uint64(len(cs) + 1)
		ids[it.Source] = c.ID
		cs = append(cs, c)
		if len(changes) > 0 {
			rep.Changed = append(rep.Changed, ImportNote{Source: it.Source, Post: p.Post, Note: strings.Join(changes, "; ")})
		}
	}
	return cs
}

// toComment checks an item against the rules a comment written on the site
// keeps, and returns it as a comment on post (without ID or Parent). An
// item that breaks one is refused, with the reason; an email or website
// that is not valid is left out, and changes says so.
func toComment(it importer.Item, post string) (c comments.Comment, changes []string, reason string) {
	body := strings.ReplaceAll(it.Body, "\r\n", "\n")
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r", "\n"))
	name := strings.TrimSpace(it.Name)
	switch {
	case len(it.Source) > comments.MaxSourceChars:
		return c, nil, fmt.Sprintf("its key in the export is %d bytes long; at most %d fit", len(it.Source), comments.MaxSourceChars)
	case body == "":
		return c, nil, "its text is empty"
	case !utf8.ValidString(body) || strings.IndexByte(body, 0) >= 0:
		return c, nil, "its text contains bytes that are not UTF-8 text, or a NUL"
	case utf8.RuneCountInString(body) > comments.MaxBodyChars:
		return c, nil, fmt.Sprintf("its text is %d characters long; at most %d fit", utf8.RuneCountInString(body), comments.MaxBodyChars)
	case utf8.RuneCountInString(name) > comments.MaxNameChars:
		return c, nil, fmt.Sprintf("its writer's name is %d characters long; at most %d fit", utf8.RuneCountInString(name), comments.MaxNameChars)
	case it.Created.IsZero():
		return c, nil, "it has no date"
	}
	status := comments.Status(it.Status)
	switch status {
	case "":
		status = comments.StatusApproved
	case comments.StatusApproved, comments.StatusPending, comments.StatusSpam:
	default:
		return c, nil, fmt.Sprintf("its status %q is not approved, pending or spam", it.Status)
	}

	// The form's own rules for the fields that are not length-checked
	// above; an anonymous comment stands in a name to pass them.
	in := comments.Input{Post: post, Name: name, Email: it.Email, Website: it.Website, Body: "x"}
	if in.Name == "" {
		in.Name = "anonymous"
	}
	v, errs := comments.Validate(in)
	if errs["name"] != "" {
		return c, nil, "its writer's name contains control characters or text that is not UTF-8"
	}
	email, website := v.Email, v.Website
	if errs["email"] != "" {
		email = ""
		changes = append(changes, "its email address is not valid: left out")
	}
	if errs["website"] != "" {
		website = ""
		changes = append(changes, "its website is not a valid http or https address: left out")
	}
	return comments.Comment{
		Post:    post,
		Name:    name,
		Email:   email,
		Website: website,
		Body:    body,
		Status:  status,
		Created: it.Created,
		IP:      strings.TrimSpace(it.IP),
		Source:  it.Source,
	}, changes, ""
}

// store imports batch into the database, or in a dry run into a scratch
// copy of it, and fills in rep's counts. The site's sample comments
// (seedFile) go in first if the database has never been seeded.
func store(ctx context.Context, cfg ImportConfig, seedFile string, batch comments.Export, rep *ImportReport) (err error) {
	path := cfg.DBPath
	if cfg.DryRun {
		dir, err := os.MkdirTemp("", "milepost-import-dry-run-")
		if err != nil {
			return fmt.Errorf("importing comments (dry run): %w", err)
		}
		defer os.RemoveAll(dir)
		path = filepath.Join(dir, "scratch.db")
		if err := copyIfExists(ctx, cfg.DBPath, path); err != nil {
			return fmt.Errorf("importing comments (dry run): %w", err)
		}
	}
	db, err := openDB(ctx, path, false, stopServerHint)
	if err != nil {
		return fmt.Errorf("importing comments: %w", err)
	}
	defer closeDB(db, &err)
	if rep.Seeded, err = seedComments(ctx, db, cfg.ContentDir, seedFile); err != nil {
		return fmt.Errorf("importing comments: %w", err)
	}
	r, err := db.ImportAll(ctx, batch)
	if err != nil {
		return err // already says "importing comments"
	}
	rep.Imported, rep.AlreadyPresent = r.Added, r.Skipped
	rep.BansRestored, rep.BansPresent = r.BansAdded, r.BansSkipped
	rep.ActionsRestored, rep.ActionsPresent = r.ActionsAdded, r.ActionsSkipped
	return nil
}

// copyIfExists copies the database at from, if there is one, to to.
func copyIfExists(ctx context.Context, from, to string) (err error) {
	if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := openDB(ctx, from, true, stopServerHint)
	if err != nil {
		return err
	}
	defer closeDB(db, &err)
	_, err = db.BackupFile(ctx, to)
	return err
}

// write prints the report.
func (r ImportReport) write(w io.Writer, db string, maxListed int) {
	if maxListed <= 0 {
		maxListed = 20
	}
	verb, restore, into := "imported", "restored", "into "+db
	if r.DryRun {
		verb, restore = "would import", "would be restored"
		into = "into " + db + " (dry run: nothing was written)"
	}
	fmt.Fprintf(w, "%s (%s) %s\n", displayName(r.File), formatName(r.Format), into)
	if r.Seeded > 0 {
		fmt.Fprintf(w, "  seeded first:     %s (the site's sample comments, as serve stores them in a new database)\n",
			plural(r.Seeded, "comment"))
	}
	fmt.Fprintf(w, "  read:             %s\n", plural(r.Read, "comment"))
	fmt.Fprintf(w, "  %-17s %d\n", verb+":", r.Imported)
	fmt.Fprintf(w, "  already present:  %d\n", r.AlreadyPresent)
	fmt.Fprintf(w, "  unplaced:         %d\n", len(r.Unplaced))
	fmt.Fprintf(w, "  refused:          %d\n", len(r.Refused))
	if r.Format == importer.FormatMilepost {
		fmt.Fprintf(w, "  bans:             %d %s, %d already present\n", r.BansRestored, restore, r.BansPresent)
		fmt.Fprintf(w, "  moderation log:   %s %s, %d already present\n", plural(r.ActionsRestored, "record"), restore, r.ActionsPresent)
	}
	list := func(title string, notes []ImportNote) {
		if len(notes) == 0 {
			return
		}
		fmt.Fprintf(w, "%s:\n", title)
		for i, n := range notes {
			if i == maxListed {
				fmt.Fprintf(w, "  … and %d more\n", len(notes)-maxListed)
				break
			}
			if n.Post != "" {
				fmt.Fprintf(w, "  %s on %s: %s\n", n.Source, n.Post, n.Note)
			} else {
				fmt.Fprintf(w, "  %s: %s\n", n.Source, n.Note)
			}
		}
	}
	list("Unplaced (no post of the site to put them on)", r.Unplaced)
	list("Refused", r.Refused)
	list("Changed on the way in", r.Changed)
}

func formatName(f importer.Format) string {
	switch f {
	case importer.FormatMilepost:
		return "Milepost export"
	case importer.FormatWXR:
		return "WordPress WXR"
	case importer.FormatDisqus:
		return "Disqus export"
	}
	return string(f)
}
