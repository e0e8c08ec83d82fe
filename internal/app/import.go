package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

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
type ImportNote = importer.Note

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

	site, err := content.Load(ctx, cfg.ContentDir, content.Overrides{})
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

	parsed, err := parseFile(cfg)
	if err != nil {
		return rep, err
	}
	rep.Format, rep.Read = parsed.Format, len(parsed.Items)
	placed, unplaced := importer.Place(parsed.Items, posts)
	for _, u := range unplaced {
		rep.Unplaced = append(rep.Unplaced, ImportNote{Source: u.Item.Source, Note: u.Reason})
	}
	conv := importer.Convert(placed, now)
	rep.Refused, rep.Changed = conv.Refused, conv.Changed
	batch := comments.Export{Comments: conv.Comments}
	if parsed.Export != nil {
		batch.Bans = parsed.Export.Bans
		batch.Actions = importer.LinkActions(parsed.Export, batch.Comments)
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

// parseFile reads cfg.File, or Stdin for "-". A file larger than an
// import may be is refused before it is read; standard input once that
// much has been read.
func parseFile(cfg ImportConfig) (importer.Parsed, error) {
	var p importer.Parsed
	var err error
	if cfg.File == "-" {
		if cfg.Stdin == nil {
			return p, errors.New("importing comments: no standard input to read")
		}
		p, err = importer.ParseAll(cfg.Stdin)
	} else {
		p, err = importer.ParseFile(cfg.File)
	}
	if err != nil {
		// The importer's errors begin with what it was doing already.
		return p, fmt.Errorf("%s: %w", displayName(cfg.File), err)
	}
	return p, nil
}

func displayName(file string) string {
	if file == "-" {
		return "standard input"
	}
	return file
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
