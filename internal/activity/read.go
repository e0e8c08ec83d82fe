package activity

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"golang.org/x/sync/semaphore"
)

// Limits bound what Read accepts, so a hostile or broken upload cannot
// exhaust memory: the size of the file as given, and for a gzipped file
// the size it unpacks to (a few kilobytes of gzip can unpack to gigabytes).
//
// MaxPoints bounds the points (and FIT laps) a file may hold, counted as
// they are read: a minimal FIT record is 6 bytes and a point 128, so a
// 64 MB file of records would otherwise take gigabytes. A Limits without
// one has DefaultLimits' count.
type Limits struct {
	MaxFileBytes         int64
	MaxUncompressedBytes int64
	MaxPoints            int
}

// DefaultLimits fit a 100,000-point GPX (about 30 MB) with room to spare;
// a FIT of a day-long ultra is a few MB, and 500,000 points are a week of
// one a second.
var DefaultLimits = Limits{
	MaxFileBytes:         64 << 20,
	MaxUncompressedBytes: 128 << 20,
	MaxPoints:            500_000,
}

// Read reads an activity file; name gives its format by extension (.fit,
// .gpx, .tcx, each optionally followed by .gz) and names it in errors.
// What cannot be read at all is a *FileError saying why; what can be read
// in part is returned with Warnings saying what was left out.
func Read(ctx context.Context, name string, r io.Reader) (*Activity, error) {
	return ReadLimited(ctx, name, r, DefaultLimits)
}

// DefaultReads is how many activity files a Readers reads at once unless
// told otherwise: each may hold up to DefaultLimits.MaxPoints points (64 MB)
// and the file's bytes while it is read.
const DefaultReads = 2

// Readers reads activity files, a bounded number at once: the server's
// one Readers is shared by everything that reads a watch file — the
// content loader, the editor's upload, the Strava import — so that many
// uploads and a reload together cannot hold more files in memory than it
// allows (as media.Renderer does for photos). A Readers is safe for
// concurrent use.
type Readers struct {
	turns *semaphore.Weighted
}

// NewReaders returns a Readers that reads at most n files at once; n <= 0
// means DefaultReads.
func NewReaders(n int) *Readers {
	if n <= 0 {
		n = DefaultReads
	}
	return &Readers{turns: semaphore.NewWeighted(int64(n))}
}

// Read is ReadLimited taking its turn: while all the reads are taken it
// waits for one to end, or for ctx to be done (an error matching
// ctx.Err()).
func (rs *Readers) Read(ctx context.Context, name string, r io.Reader, limits Limits) (*Activity, error) {
	if err := rs.turns.Acquire(ctx, 1); err != nil {
		return nil, fmt.Errorf("waiting to read %s: %w", name, err)
	}
	defer rs.turns.Release(1)
	return ReadLimited(ctx, name, r, limits)
}

// ReadLimited is Read with limits other than DefaultLimits.
func ReadLimited(ctx context.Context, name string, r io.Reader, limits Limits) (*Activity, error) {
	format, gzipped, err := formatOf(name)
	if err != nil {
		return nil, err
	}
	in := &limitedReader{r: r, left: limits.MaxFileBytes}
	var src io.Reader = in
	var unpacked *limitedReader
	if gzipped {
		zr, err := gzip.NewReader(bufio.NewReader(in))
		if err != nil {
			if in.exceeded {
				return nil, tooLarge(name, limits.MaxFileBytes, "file")
			}
			return nil, &FileError{Name: name, Reason: "not a readable gzip file", Err: err}
		}
		defer zr.Close()
		// A single gzip member: a second one appended after is ignored
		// rather than unpacked, as no watch or export writes two.
		zr.Multistream(false)
		unpacked = &limitedReader{r: zr, left: limits.MaxUncompressedBytes}
		src = unpacked
	}

	maxPoints := limits.MaxPoints
	if maxPoints <= 0 {
		maxPoints = DefaultLimits.MaxPoints
	}
	var act *Activity
	switch format {
	case FormatFIT:
		act, err = readFIT(ctx, src, maxPoints)
	case FormatGPX:
		act, err = readGPX(ctx, src, maxPoints)
	case FormatTCX:
		act, err = readTCX(ctx, src, maxPoints)
	}
	// The limits are checked first: a parser cut off by one reports
	// "unexpected end", which would hide the real reason.
	if in.exceeded {
		return nil, tooLarge(name, limits.MaxFileBytes, "file")
	}
	if unpacked != nil && unpacked.exceeded {
		return nil, tooLarge(name, limits.MaxUncompressedBytes, "unpacked file")
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return nil, fmt.Errorf("reading %s: %w", name, ctxErr)
	}
	if err != nil {
		var fe *FileError
		if errors.As(err, &fe) {
			fe.Name = name
			return nil, fe
		}
		return nil, &FileError{Name: name, Reason: "cannot be read", Err: err}
	}
	act.Format = format
	act.Warnings = append(act.Warnings, normalize(act)...)
	if len(act.Points) == 0 {
		return nil, &FileError{Name: name, Reason: "the file has no track points with a time"}
	}
	act.Start = act.Points[0].Time
	return act, nil
}

// formatOf tells the format from the file's name.
func formatOf(name string) (Format, bool, error) {
	base := strings.ToLower(path.Base(strings.ReplaceAll(name, "\\", "/")))
	gzipped := strings.HasSuffix(base, ".gz")
	base = strings.TrimSuffix(base, ".gz")
	switch path.Ext(base) {
	case ".fit":
		return FormatFIT, gzipped, nil
	case ".gpx":
		return FormatGPX, gzipped, nil
	case ".tcx":
		return FormatTCX, gzipped, nil
	}
	return "", false, &FileError{Name: name, Reason: "not an activity file: the name must end in .fit, .gpx or .tcx (optionally .gz)"}
}

// tooManyPoints refuses a file of more than max points.
func tooManyPoints(max int) error {
	return &FileError{Reason: fmt.Sprintf("the file has more than %d points", max)}
}

func tooLarge(name string, limit int64, what string) error {
	return &FileError{Name: name, Reason: fmt.Sprintf("the %s is over %s", what, megabytes(limit))}
}

func megabytes(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// limitedReader is io.LimitReader that remembers it was cut off, so a
// file one byte over the limit is refused as too large rather than read
// as a truncated file.
type limitedReader struct {
	r        io.Reader
	left     int64
	exceeded bool
}

var errLimit = errors.New("size limit reached")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// One byte more tells "exactly at the limit" from "over it".
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.exceeded = true
			return 0, errLimit
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// What a watch can measure of a run on Earth. A value outside is a
// sensor's glitch or a damaged or hostile file, and is read as no value:
// an elevation of 1e308 summed into a climb gives +Inf, which no page can
// show. Each bound leaves room for every real sport a file may hold.
const (
	lowestElevationM  = -500 // the Dead Sea's shore is at −430 m
	highestElevationM = 9000 // Everest is 8,849 m
	maxSpeedMPS       = 100  // 360 km/h: faster than any sport a watch records
	maxDistanceM      = 1e7  // 10,000 km in one file
	maxHeartRateBPM   = 250  // above any human heart's
	maxCadence        = 254  // per foot or per revolution, as FIT's one byte holds
	maxLapS           = 30 * 24 * 3600
)

// plausibleElevation reports whether v metres can be an elevation; NaN
// and the infinities cannot.
func plausibleElevation(v float64) bool {
	return v >= lowestElevationM && v <= highestElevationM
}

// plausibleSpeed reports whether v metres per second can be a speed.
func plausibleSpeed(v float64) bool { return v >= 0 && v <= maxSpeedMPS }

// plausibleDistance reports whether v metres can be a distance in a file.
func plausibleDistance(v float64) bool { return v >= 0 && v <= maxDistanceM }

// plausibleHeartRate reports whether v beats per minute can be a heart
// rate; 0 is a watch's "none".
func plausibleHeartRate(v float64) bool { return v > 0 && v <= maxHeartRateBPM }

// plausibleCadence reports whether v steps (of one foot) or revolutions
// per minute can be a cadence; 0 is "none".
func plausibleCadence(v float64) bool { return v > 0 && v <= maxCadence }

// plausibleLapTime reports whether v seconds can be a lap's time.
func plausibleLapTime(v float64) bool { return v >= 0 && v <= maxLapS }
