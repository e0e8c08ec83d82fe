// Package strava reads a Strava bulk export ("Download your data": a zip
// of activities.csv and an activities/ folder of .fit.gz, .gpx and .tcx.gz
// files) and turns each run in it into a draft post: its front matter
// (title, date, run: fields, the activity file) and the activity's
// description as its body. It writes nothing itself: Import hands each
// bundle to the caller, who writes it (or, in a dry run, does not).
//
// The zip is untrusted. Its entry names are never used as paths: the
// files activities.csv names are looked up among the entries by their
// cleaned names, and an entry whose name is absolute, has a "..", a
// backslash, or appears twice is never read. Everything read is bounded
// (Limits): the number of entries, each file, all files together, and
// what a gzipped activity file unpacks to.
package strava

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"milepost/internal/activity"
)

// Limits bound what an import reads from an export.
type Limits struct {
	// MaxEntries is the most entries the zip may have: a decade of daily
	// runs with photos is tens of thousands.
	MaxEntries int
	// MaxCSVBytes is the largest activities.csv (a row is about 1 KB).
	MaxCSVBytes int64
	// MaxTotalBytes is the most an import reads out of the zip in all,
	// activities.csv and every activity file together.
	MaxTotalBytes int64
	// Activity bounds each activity file: MaxFileBytes its size in the
	// zip, MaxUncompressedBytes what a gzipped one unpacks to.
	Activity activity.Limits
}

// DefaultLimits are far above any runner's history and far below what
// would fill a disk or memory.
var DefaultLimits = Limits{
	MaxEntries:    200_000,
	MaxCSVBytes:   64 << 20,
	MaxTotalBytes: 8 << 30,
	Activity:      activity.DefaultLimits,
}

// csvName is the activity list's name at the export's root.
const csvName = "activities.csv"

// Errors an activity's file can have besides being unreadable as an
// activity; Import reports them as the reason the run was skipped.
var (
	ErrNoFile     = errors.New("the export has no such file")
	ErrUnsafeName = errors.New("the file name is not a plain path inside the export")
	ErrTooLarge   = errors.New("over the import's size limit")
)

// Export is an opened bulk export.
type Export struct {
	// Activities are the rows of activities.csv that could be read, in
	// file order.
	Activities []Activity
	// BadRows are the rows that could not be, with why.
	BadRows []RowError
	// Ignored names the zip's entries that are never read because of
	// their names (absolute, "..", backslashes, twice in the zip) or
	// because they are symbolic links.
	Ignored []string

	limits Limits
	files  map[string]*zip.File // by cleaned name, relative to root
	root   string               // "" or the one folder the export was zipped in, with "/"
	read   int64                // bytes read out of the zip so far
}

// Open reads the export's directory and its activities.csv. It fails on
// a file that is not a zip, has too many entries, or has no readable
// activities.csv; a row of activities.csv that cannot be read is only
// reported (BadRows).
func Open(ctx context.Context, r io.ReaderAt, size int64, limits Limits) (*Export, error) {
	zr, err := zip.NewReader(r, size)
	// With GODEBUG=zipinsecurepath=0 the reader comes with ErrInsecurePath
	// when a name is unsafe; such names are never used as paths here, and
	// are set aside below, so the rest of the export is still read.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, fmt.Errorf("reading the export as a zip file: %w", err)
	}
	if len(zr.File) > limits.MaxEntries {
		return nil, fmt.Errorf("the export has %d entries, more than the %d an import reads", len(zr.File), limits.MaxEntries)
	}
	e := &Export{limits: limits, files: make(map[string]*zip.File, len(zr.File))}
	twice := map[string]bool{}
	for _, f := range zr.File {
		if f.Mode()&fs.ModeSymlink != 0 {
			e.Ignored = append(e.Ignored, f.Name+": a symbolic link")
			continue
		}
		if f.Mode().IsDir() || strings.HasSuffix(f.Name, "/") {
			continue
		}
		name, ok := cleanName(f.Name)
		if !ok {
			e.Ignored = append(e.Ignored, f.Name+": not a plain path inside the export")
			continue
		}
		if first, dup := e.files[name]; dup || twice[name] {
			// Which of the two is meant cannot be known: neither is read.
			if dup {
				e.Ignored = append(e.Ignored, first.Name+": in the zip twice")
			}
			e.Ignored = append(e.Ignored, f.Name+": in the zip twice")
			delete(e.files, name)
			twice[name] = true
			continue
		}
		e.files[name] = f
	}
	if err := e.findRoot(); err != nil {
		return nil, err
	}
	csvFile := e.files[e.root+csvName]
	if csvFile.UncompressedSize64 > uint64(limits.MaxCSVBytes) {
		return nil, fmt.Errorf("%s is over %s", csvName, sizeText(limits.MaxCSVBytes))
	}
	data, err := e.readEntry(ctx, csvFile, limits.MaxCSVBytes)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", csvName, err)
	}
	if e.Activities, e.BadRows, err = parseCSV(data); err != nil {
		return nil, err
	}
	return e, nil
}

// findRoot finds activities.csv: at the zip's root as Strava writes it,
// or inside the one folder a runner who unpacked the export zipped it
// again in.
func (e *Export) findRoot() error {
	if _, ok := e.files[csvName]; ok {
		return nil
	}
	var roots []string
	for name := range e.files {
		if dir, base := path.Split(name); base == csvName && strings.Count(dir, "/") == 1 {
			roots = append(roots, dir)
		}
	}
	switch len(roots) {
	case 0:
		return fmt.Errorf("the zip has no %s: is it a Strava bulk export?", csvName)
	case 1:
		e.root = roots[0]
		return nil
	}
	return fmt.Errorf("the zip has %d folders with an %s: zip one export at a time", len(roots), csvName)
}

// cleanName is an entry's or activities.csv's file name as a path inside
// the export, or false when it is not one: absolute, with a ".." or a
// backslash (a Windows separator that would make "a\..\x" mean something
// else elsewhere), or not UTF-8.
func cleanName(name string) (string, bool) {
	if name == "" || strings.ContainsAny(name, "\\\x00") || strings.HasPrefix(name, "/") {
		return "", false
	}
	for _, elem := range strings.Split(name, "/") {
		if elem == ".." {
			return "", false
		}
	}
	clean := path.Clean(name)
	return clean, fs.ValidPath(clean) && clean != "."
}

// ReadFile returns the file the CSV names (activities/123.fit.gz), read
// whole from the zip within the per-file and total limits.
func (e *Export) ReadFile(ctx context.Context, name string) ([]byte, error) {
	clean, ok := cleanName(name)
	if !ok {
		return nil, ErrUnsafeName
	}
	f := e.files[e.root+clean]
	if f == nil {
		return nil, ErrNoFile
	}
	max := e.limits.Activity.MaxFileBytes
	if f.UncompressedSize64 > uint64(max) {
		return nil, fmt.Errorf("the file is %w of %s", ErrTooLarge, sizeText(max))
	}
	return e.readEntry(ctx, f, max)
}

// readEntry reads an entry whole, at most max bytes of it and never more
// than the import has left of MaxTotalBytes. The sizes the zip declares
// are not trusted: what is read is counted.
func (e *Export) readEntry(ctx context.Context, f *zip.File, max int64) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	left := e.limits.MaxTotalBytes - e.read
	total := false
	if left < max {
		max, total = left, true
	}
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("opening it in the zip: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, max+1))
	e.read += int64(len(data))
	if int64(len(data)) > max {
		if total {
			return nil, fmt.Errorf("the export is %w of %s in all", ErrTooLarge, sizeText(e.limits.MaxTotalBytes))
		}
		return nil, fmt.Errorf("the file is %w of %s", ErrTooLarge, sizeText(max))
	}
	if err != nil {
		return nil, fmt.Errorf("unpacking it from the zip: %w", err)
	}
	return data, nil
}

func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}
