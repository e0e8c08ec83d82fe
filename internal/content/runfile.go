package content

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"milepost/internal/activity"
)

// A post's activity file is read as the post is loaded — in the loader's
// workers, one per CPU, so a site of many files is read in parallel — and
// turned at once into what pages may show of it (Activity): the points
// themselves are not kept. The original file is never served (bundle.go).
//
// A change of site.yaml reads every post again (tree.go), as does an
// author's change their posts, and reading a long run costs most of a
// second, so a Source keeps what it read (activityCache) and reads a file
// again only when its size or modification time changed, or the privacy
// settings that shaped its route did.

// activityExtensions are the extensions of activity files, each possibly
// followed by .gz.
var activityExtensions = []string{".fit", ".gpx", ".tcx"}

// IsActivityFile reports whether name is an activity file by its name: a
// FIT, GPX or TCX file, gzipped or not. Such files are never served.
func IsActivityFile(name string) bool {
	n := strings.TrimSuffix(strings.ToLower(name), ".gz")
	for _, ext := range activityExtensions {
		if path.Ext(n) == ext {
			return true
		}
	}
	return false
}

// ActivityAccept is the list of file types an activity upload takes, as
// an HTML accept attribute.
const ActivityAccept = ".fit,.gpx,.tcx,.gz"

// activityCache keeps the activity files a Source's loads read, keyed by
// the file, so that a reload reads only files that changed. It holds the
// files the last load used and no others.
type activityCache struct {
	mu      sync.Mutex
	entries map[string]activityEntry // by the file's path
	used    map[string]bool          // the paths the running load asked for
}

// activityEntry is one file as it was read: its Activity, or why it could
// not be read (a broken file is not read again either until it changes).
type activityEntry struct {
	key activityKey
	act *Activity
	err error
}

// activityKey is what the result of reading a file depends on.
type activityKey struct {
	size, modNanos int64
	privacy        string // the zones and trim the route was cleaned with
	download       bool   // whether the cleaned segments are kept
	downloadTimes  bool   // whether they keep their points' times
}

func newActivityCache() *activityCache {
	return &activityCache{entries: make(map[string]activityEntry)}
}

// begin starts a load: the entries it does not ask for are dropped by end.
func (c *activityCache) begin() {
	c.mu.Lock()
	c.used = make(map[string]bool)
	c.mu.Unlock()
}

// end drops the entries of files the load did not read: gone, renamed or
// no longer named by a post.
func (c *activityCache) end() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.entries {
		if !c.used[p] {
			delete(c.entries, p)
		}
	}
	c.used = nil
}

// get returns the file's entry if it was read with the same key, and
// marks the file as used by the running load.
func (c *activityCache) get(file string, key activityKey) (activityEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.used != nil {
		c.used[file] = true
	}
	e, ok := c.entries[file]
	return e, ok && e.key == key
}

// forget drops the entries of the files of the bundle folder b: its
// post is gone.
func (c *activityCache) forget(b string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p := range c.entries {
		if strings.HasPrefix(p, b+"/") {
			delete(c.entries, p)
		}
	}
}

func (c *activityCache) put(file string, e activityEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[file] = e
}

// postActivity reads the activity file name of the bundle post p,
// cleaned with privacy; download keeps the cleaned segments, with their
// points' times when downloadTimes is set. The error says why readers
// will not get the run's charts.
func (l *loader) postActivity(ctx context.Context, p *Post, name string, privacy Privacy, download, downloadTimes bool) (*Activity, error) {
	if p.Bundle == "" {
		return nil, fmt.Errorf("names a file beside the post, but %s is a single file: make the post a page bundle (posts/%s/index.md) with the file in its folder", p.File, p.Slug)
	}
	if !fs.ValidPath(name) || name == "." || strings.HasPrefix(name, ".") || strings.Contains(name, "/.") {
		return nil, errors.New("must name a file inside the post's folder, such as run.fit")
	}
	if !IsActivityFile(name) {
		return nil, errors.New("is not an activity file: it must be a FIT, GPX or TCX file (gzipped or not)")
	}
	f, info, err := openInBundle(filepath.Join(l.dir, filepath.FromSlash(p.Bundle)), name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("is not in the post's folder: no file %s in %s/", name, p.Bundle)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot be opened: %w", err)
	}
	defer f.Close()
	file := p.Bundle + "/" + name
	key := activityKey{size: info.Size(), modNanos: info.ModTime().UnixNano(), privacy: fmt.Sprint(privacy),
		download: download, downloadTimes: downloadTimes}
	if l.activities != nil {
		if e, ok := l.activities.get(file, key); ok {
			return e.act, e.err
		}
	}
	a, err := readActivity(ctx, l.readers, f, name, privacy, download, downloadTimes)
	if l.activities != nil && ctx.Err() == nil {
		l.activities.put(file, activityEntry{key: key, act: a, err: err})
	}
	return a, err
}

// readActivity reads an activity file and keeps what pages may show of
// it: the figures of the whole track, whose charts leave out what privacy
// hides, and the route as privacy leaves it.
func readActivity(ctx context.Context, readers *activity.Readers, f fs.File, name string, privacy Privacy, download, downloadTimes bool) (*Activity, error) {
	// The privacy seed is drawn from the file's bytes as they are read.
	seed := activity.NewSeedHash()
	act, err := readers.Read(ctx, name, io.TeeReader(f, seed), activity.DefaultLimits)
	if err != nil {
		var ferr *activity.FileError
		if errors.As(err, &ferr) {
			return nil, fmt.Errorf("cannot be read: %s", ferr.Reason)
		}
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	// What the reader left (a FIT's checksum, trailing bytes) goes into
	// the seed too, up to the size a file may have: it is of the file.
	if _, err := io.Copy(seed, io.LimitReader(f, activity.DefaultLimits.MaxFileBytes)); err != nil {
		return nil, fmt.Errorf("cannot be read: %w", err)
	}
	summary, segments, err := activity.Publish(act, privacy.Zones, privacy.TrimM, seed.Seed())
	if err != nil {
		return nil, fmt.Errorf("cleaning its route: %w", err) // the settings were checked when read
	}
	a := &Activity{
		File:     name,
		Start:    act.Start,
		Summary:  summary,
		Route:    activity.Route(segments, activity.RoutePoints, privacy.Zones...),
		Download: download,
		Dropped:  act.Dropped,
		Warnings: act.Warnings,
	}
	if download {
		a.Segments = activity.Track(segments, downloadTimes)
	}
	return a, nil
}

// runFields are the front matter keys of the run behind a post, read once
// the post's author (and so its units and privacy zones) is known.
type runFields struct {
	run, activity, download, downloadTimes *field
}

// run reads the run fields of the post p, whose page bundle's activity
// file is read with the author's and the site's privacy settings. It
// returns nil when the post has neither run: nor activity:, and warnings
// for what readers will not get.
func (l *loader) run(ctx context.Context, p *Post, rf runFields) (*Run, []*lineError) {
	hasRun := rf.run != nil && rf.run.value != nil
	hasActivity := rf.activity != nil && rf.activity.value != nil
	if !hasRun && !hasActivity {
		return nil, nil
	}
	units := l.cfg.unitsFor(p.Author)
	d, warnings := declaredRun{}, []*lineError(nil)
	if hasRun {
		d, warnings = readRun(*rf.run, units)
	}
	download := false
	if rf.download != nil {
		var lerr *lineError
		if download, lerr = rf.download.boolean(false); lerr != nil {
			warnings = append(warnings, errAt(lerr.line, "%v; the run's track is not offered for download", lerr.err))
		}
	}
	// Times say when the runner was where: a download carries them only
	// when asked for, and only a download can.
	downloadTimes := false
	if rf.downloadTimes != nil {
		var lerr *lineError
		downloadTimes, lerr = rf.downloadTimes.boolean(false)
		switch {
		case lerr != nil:
			warnings = append(warnings, errAt(lerr.line, "%v; the route download carries no times", lerr.err))
		case downloadTimes && !download:
			warnings = append(warnings, errAt(rf.downloadTimes.line, "activity_download_times gives the route download its times, but the post offers no download: add activity_download: true, or remove the key"))
			downloadTimes = false
		}
	}
	r := &Run{
		Type: d.Type, DistanceM: d.DistanceM, TimeS: d.TimeS,
		ElevationM: d.ElevationM, HasElevation: d.HasElevation,
		Shoes: d.Shoes, Units: units,
	}
	if d.Race.Name != "" {
		race := d.Race
		r.Race = &race
		if r.TimeS == 0 {
			r.TimeS = race.OfficialS
		}
	}
	if hasActivity {
		name, lerr := rf.activity.str()
		name = strings.TrimSpace(name)
		switch {
		case lerr != nil:
			warnings = append(warnings, errAt(lerr.line, "%v; the post is served without its run's charts", lerr.err))
		case name == "" || l.dir == "": // a loader without a directory reads no files
		default:
			a, err := l.postActivity(ctx, p, name, l.cfg.privacyFor(p.Author), download, downloadTimes)
			if err != nil {
				warnings = append(warnings, errAt(rf.activity.line, "activity %q %v; the post is served without its run's charts", name, err))
			}
			r.Activity = a
		}
	}
	if a := r.Activity; a != nil {
		if r.DistanceM == 0 {
			r.DistanceM = a.Summary.DistanceM
		}
		if r.TimeS == 0 {
			// A race's clock does not stop when the runner does: its
			// time is the file's elapsed time, pauses included; any
			// other run's is its moving time.
			r.TimeS = a.Summary.MovingS
			if r.Type == RunRace || r.Race != nil {
				r.TimeS = a.Summary.ElapsedS
			}
		}
		if !r.HasElevation && a.Summary.HasElevation {
			r.ElevationM, r.HasElevation = a.Summary.GainM, true
		}
	}
	return r, warnings
}

// unitsFor is how the posts of the author a (nil for none) show
// distances: the author's units, else the site's.
func (c Config) unitsFor(a *Author) activity.Units {
	if a != nil && a.Units != "" {
		return a.Units
	}
	return c.Units
}

// privacyFor is the privacy the routes of the author a (nil for none) are
// cleaned with: the site's zones and the author's, and the site's trim.
func (c Config) privacyFor(a *Author) Privacy {
	p := Privacy{Zones: c.Privacy.Zones, TrimM: c.Privacy.TrimM}
	if a != nil && len(a.Zones) > 0 {
		p.Zones = append(append([]activity.Zone(nil), c.Privacy.Zones...), a.Zones...)
	}
	return p
}

// UnitsFor is how the posts of the author a (nil for none) show
// distances: the author's units, else the site's.
func (s *Site) UnitsFor(a *Author) activity.Units { return s.Config.unitsFor(a) }

// PrivacyFor is what the routes of the author a's posts (nil for none)
// are cleaned with: the site's privacy zones and the author's, and the
// site's trim. Every output that shows where a run went is built with it.
func (s *Site) PrivacyFor(a *Author) Privacy { return s.Config.privacyFor(a) }
