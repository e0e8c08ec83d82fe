package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"milepost/internal/activity"
	"milepost/internal/atomicfile"
	"milepost/internal/content"
	"milepost/internal/importer/strava"
)

// ImportStravaConfig is what `milepost import-strava` is told.
type ImportStravaConfig struct {
	// ContentDir is the content directory; the posts go into its posts/.
	ContentDir string
	// Export is the Strava bulk export, a zip file.
	Export string
	// Author is the author ID of content/authors the posts are by.
	Author string
	// Since, when set, leaves out activities that started before it: a
	// date as front matter dates are written, in the site's time zone.
	Since string
	// Type is the activity type taken (strava.TypeMatches); "" is "Run".
	Type string
	// DryRun reads and checks everything and writes nothing.
	DryRun bool
	// Limits bound what is read from the zip; zero is strava.DefaultLimits.
	Limits strava.Limits
	// Stdout receives the report; nil for none.
	Stdout io.Writer
}

// ImportStrava makes a draft page bundle of each run of a Strava bulk
// export that the site does not have yet (see package strava), and
// reports what it made and what it skipped and why. It never replaces
// anything: a slug taken gets the run's day, then a number, added. Each
// bundle is written into a hidden folder of posts/ and renamed into place
// whole, so a running server's watcher, or a crash, never sees half of it.
func ImportStrava(ctx context.Context, cfg ImportStravaConfig) (*strava.Report, error) {
	if cfg.Author == "" {
		return nil, errors.New("-author is required: the runner whose export it is, an ID of content/authors")
	}
	// One bound on the watch files read at once, the site's and the
	// export's.
	activities := activity.NewReaders(0)
	site, err := content.Load(ctx, cfg.ContentDir, content.Overrides{Activities: activities})
	if err != nil {
		return nil, fmt.Errorf("loading the content directory: %w", err)
	}
	if err := authorKnown(site, cfg.Author); err != nil {
		return nil, err
	}
	opts := strava.Options{
		Location:   site.Config.Location,
		Type:       cfg.Type,
		Imported:   importedRuns(site),
		SlugFree:   func(slug string) bool { return slugFree(site, slug) == nil },
		Activities: activities,
	}
	if cfg.Since != "" {
		if opts.Since, err = content.ParseDate(cfg.Since, site.Config.Location); err != nil {
			return nil, fmt.Errorf("-since: %w", err)
		}
	}
	limits := cfg.Limits
	if limits == (strava.Limits{}) {
		limits = strava.DefaultLimits
	}

	f, err := os.Open(cfg.Export)
	if err != nil {
		return nil, fmt.Errorf("opening the export: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the export: %w", err)
	}
	export, err := strava.Open(ctx, f, info.Size(), limits)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Export, err)
	}

	posts := filepath.Join(site.Dir(), "posts")
	rep, err := strava.Import(ctx, export, opts, func(ctx context.Context, b strava.Bundle) error {
		// Written in a dry run too, so that its report is the same.
		index, err := newPostFile(b.Title, b.Date, cfg.Author, true, b.Front, b.Body)
		if err != nil || cfg.DryRun {
			return err
		}
		return writeBundle(ctx, posts, b, index)
	})
	if cfg.Stdout != nil && rep != nil {
		writeStravaReport(cfg.Stdout, cfg, rep)
	}
	return rep, err
}

// importedRuns are the Strava activity IDs the site's posts have, drafts
// and future posts included, with the file of each. A post content could
// not load is looked at too: it is still an imported run.
func importedRuns(site *content.Site) map[string]string {
	ids := map[string]string{}
	for _, p := range (content.View{Site: site, Now: farFuture, Drafts: true}).Posts() {
		if id, ok := p.Params[strava.IDKey]; ok {
			ids[fmt.Sprint(id)] = p.File
		}
	}
	for _, prob := range site.Problems {
		if !strings.HasPrefix(prob.File, "posts/") {
			continue
		}
		text, err := os.ReadFile(filepath.Join(site.Dir(), filepath.FromSlash(prob.File)))
		if err != nil {
			continue
		}
		if id := strava.IDInText(text); id != "" {
			ids[id] = prob.File
		}
	}
	return ids
}

// writeBundle writes a bundle, its index.md and activity file, into a new hidden folder of posts/ (which
// content and its watcher skip) and renames it to posts/SLUG. The rename
// replaces nothing: os.Rename refuses an existing folder, and the system a
// file, so a post of that slug that appeared since the slug was found free
// stays as it is and the import stops. On any error nothing of the bundle
// is left.
func writeBundle(ctx context.Context, posts string, b strava.Bundle, index []byte) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.MkdirAll(posts, 0o755); err != nil {
		return fmt.Errorf("creating %s: %w", posts, err)
	}
	tmp, err := os.MkdirTemp(posts, ".import-strava-*")
	if err != nil {
		return fmt.Errorf("creating a folder for the new post: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err := os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("setting the permissions of the new post's folder: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, "index.md"), index, 0o644); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(tmp, b.FileName), b.File, 0o644); err != nil {
		return err
	}
	dir := filepath.Join(posts, b.Slug)
	if _, err := os.Lstat(dir); err == nil {
		return fmt.Errorf("posts/%s appeared during the import", b.Slug)
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("moving the new post into place: %w", err)
	}
	return atomicfile.SyncDir(posts)
}

// writeStravaReport says what was imported, and what was skipped: a
// count per reason, and each skip a runner may want to look at (a
// missing or damaged file, a bad row) on its own line.
func writeStravaReport(w io.Writer, cfg ImportStravaConfig, rep *strava.Report) {
	verb := "imported"
	if cfg.DryRun {
		verb = "would import"
	}
	fmt.Fprintf(w, "%s %s from %s\n", verb, plural(len(rep.Imported), "run"), filepath.Base(cfg.Export))
	for _, d := range rep.Imported {
		fmt.Fprintf(w, "  posts/%s/index.md  %s (%s, activity %s)\n", d.Slug, d.Title, d.Start.Format("2006-01-02"), d.ID)
	}
	if len(rep.Skipped) > 0 {
		var counts []string
		for _, r := range strava.Reasons {
			if n := rep.Count(r); n > 0 {
				counts = append(counts, fmt.Sprintf("%d %s", n, r))
			}
		}
		fmt.Fprintf(w, "skipped %d: %s\n", len(rep.Skipped), strings.Join(counts, ", "))
	}
	for _, s := range rep.Skipped {
		switch s.Reason {
		case strava.SkipNoFile, strava.SkipUnreadable, strava.SkipBadRow:
			fmt.Fprintf(w, "  activities.csv:%d activity %s %q: %s: %s\n", s.Line, s.ID, s.Name, s.Reason, s.Detail)
		}
	}
	if len(rep.Ignored) > 0 {
		entries := fmt.Sprintf("%d zip entries", len(rep.Ignored))
		if len(rep.Ignored) == 1 {
			entries = "1 zip entry"
		}
		fmt.Fprintf(w, "ignored %s, never read:\n", entries)
		for _, name := range rep.Ignored {
			fmt.Fprintf(w, "  %s\n", name)
		}
	}
}
