package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"milepost/internal/atomicfile"
	"milepost/internal/comments"
)

// ExportConfig is what `milepost export` is told.
type ExportConfig struct {
	DBPath string
	// Output is the file to write; "" or "-" means Stdout. A file is
	// written whole or not at all, readable by its owner only: an export
	// holds commenters' email and IP addresses.
	Output string
	Stdout io.Writer
	// Stderr receives the one-line summary.
	Stderr io.Writer
}

// Export writes every comment, ban and moderation record of the database
// as the JSON export (comments.WriteExport), which `milepost import` reads
// back.
func Export(ctx context.Context, cfg ExportConfig) (err error) {
	db, err := openDB(ctx, cfg.DBPath, true, stopServerHint)
	if err != nil {
		return fmt.Errorf("exporting comments: %w", err)
	}
	defer closeDB(db, &err)
	toStdout := cfg.Output == "" || cfg.Output == "-"
	if !toStdout {
		if same, err := db.IsDatabaseFile(cfg.Output); err != nil {
			return fmt.Errorf("exporting comments: %w", err)
		} else if same {
			return fmt.Errorf("exporting comments: %s is the database itself", cfg.Output)
		}
	}
	e, err := db.ExportAll(ctx)
	if err != nil {
		return err // already says "exporting comments"
	}
	where := "standard output"
	if toStdout {
		err = comments.WriteExport(cfg.Stdout, e)
	} else {
		where = cfg.Output
		err = atomicfile.Write(cfg.Output, 0o600, func(w io.Writer) error { return comments.WriteExport(w, e) })
	}
	if err != nil {
		return fmt.Errorf("exporting comments to %s: %w", where, err)
	}
	fmt.Fprintf(cfg.Stderr, "exported %s, %s and %s from %s to %s\n",
		plural(len(e.Comments), "comment"), plural(len(e.Bans), "ban"),
		plural(len(e.Actions), "moderation record"), cfg.DBPath, where)
	return nil
}

// BackupConfig is what `milepost backup` is told.
type BackupConfig struct {
	DBPath string
	// Output is the copy to write, replaced whole or not at all, readable
	// by its owner only; "-" means Stdout.
	Output string
	Stdout io.Writer
	// Stderr receives the one-line summary.
	Stderr io.Writer
}

// Backup writes a consistent copy of the database file, which must not be
// in use: it is for a stopped server. A running one serves its own backup
// (the error says so).
func Backup(ctx context.Context, cfg BackupConfig) (err error) {
	if cfg.Output == "" {
		return errors.New("backing up database: no output file given (-o)")
	}
	db, err := openDB(ctx, cfg.DBPath, true, backupHint)
	if err != nil {
		return fmt.Errorf("backing up database: %w", err)
	}
	defer closeDB(db, &err)
	var n int64
	where := cfg.Output
	if cfg.Output == "-" {
		where = "standard output"
		n, err = db.Backup(ctx, cfg.Stdout)
	} else {
		n, err = db.BackupFile(ctx, cfg.Output)
	}
	if err != nil {
		return err // already says "backing up database"
	}
	fmt.Fprintf(cfg.Stderr, "backed up %s to %s (%s)\n", cfg.DBPath, where, plural(int(n), "byte"))
	return nil
}

// plural is "1 comment", "2 comments".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
