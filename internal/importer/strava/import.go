package strava

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"milepost/internal/activity"
	"milepost/internal/content"
)

// IDKey is the front matter key an imported post keeps Strava's activity
// ID under. Content keeps it as an unknown key (Post.Params); an import
// finds the posts that have it, so that a second one adds nothing.
const IDKey = "strava_id"

// Options say which of the export's activities an import takes and how
// their posts are written.
type Options struct {
	// Location is the site's time zone, which post dates are written in.
	Location *time.Location
	// Since leaves out activities that started before it; zero: none.
	Since time.Time
	// Type is the activity type taken (see TypeMatches); "" means "Run".
	Type string
	// Imported are the activity IDs some post of the site already has
	// (IDKey), with that post's file: they are skipped.
	Imported map[string]string
	// SlugFree says whether the site has no post, file or folder of the
	// slug. Slugs Import gave earlier in the same run are its own
	// concern.
	SlugFree func(slug string) bool
	// Activities reads the export's activity files, taking turns with the
	// program's other reads of watch files; nil means a bound of the
	// import's own.
	Activities *activity.Readers
}

// Bundle is one new post, posts/Slug: a draft with Title and Date (in the
// site's zone) by the import's author, the front matter keys of the run
// after those every new post has, Body, and the activity file.
type Bundle struct {
	Activity Activity
	Slug     string
	Title    string
	Date     time.Time
	// Front is the run's front matter keys, pairs of key and value nodes:
	// activity, run and IDKey.
	Front []*yaml.Node
	// Body is the activity's description, as Strava has it.
	Body string
	// FileName is the activity file's name in the bundle, which Front's
	// activity: names; File is its bytes as they are in the export.
	FileName string
	File     []byte
}

// Reason is why an activity was not imported.
type Reason string

// The reasons, in the order they are checked.
const (
	SkipBadRow     Reason = "unreadable row in activities.csv"
	SkipType       Reason = "not the type asked for"
	SkipBefore     Reason = "before -since"
	SkipImported   Reason = "already imported"
	SkipNoFile     Reason = "no activity file"
	SkipUnreadable Reason = "unreadable activity file"
)

// Reasons lists every Reason in the order a report gives them.
var Reasons = []Reason{SkipType, SkipBefore, SkipImported, SkipNoFile, SkipUnreadable, SkipBadRow}

// Done is an activity imported, or that a dry run would import.
type Done struct {
	Line     int
	ID       string
	Title    string
	Start    time.Time
	Slug     string
	FileName string
}

// Skipped is an activity left out, with why.
type Skipped struct {
	Line   int
	ID     string
	Name   string
	Start  time.Time // zero for a row that could not be read
	Reason Reason
	// Detail says more: the activity's type, the post that has it, the
	// reader's error.
	Detail string
}

// Report is what an import did.
type Report struct {
	Imported []Done
	Skipped  []Skipped
	// Ignored are the zip's entries never read because of their names.
	Ignored []string
}

// Count returns how many activities were skipped for reason.
func (r *Report) Count(reason Reason) int {
	n := 0
	for _, s := range r.Skipped {
		if s.Reason == reason {
			n++
		}
	}
	return n
}

// Import goes through the export's activities in file order and hands
// each one to take to write; write may do nothing (a dry run) and is still
// given everything, so that the report is the same. An error from write
// or ctx stops the import; what was written stays.
//
// Every activity file is read (opts.Activities) before it is
// taken, so that a damaged file, or one that unpacks past the limits, is
// reported rather than imported.
func Import(ctx context.Context, e *Export, opts Options, write func(context.Context, Bundle) error) (*Report, error) {
	if opts.Type == "" {
		opts.Type = "Run"
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	rep := &Report{Ignored: e.Ignored}
	for _, b := range e.BadRows {
		rep.Skipped = append(rep.Skipped, Skipped{Line: b.Line, ID: b.ID, Reason: SkipBadRow, Detail: b.Err.Error()})
	}
	imported := map[string]string{}
	for id, file := range opts.Imported {
		imported[id] = file
	}
	readers := opts.Activities
	if readers == nil {
		readers = activity.NewReaders(0)
	}
	slugs := map[string]bool{}
	for _, a := range e.Activities {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		skip := func(reason Reason, detail string) {
			rep.Skipped = append(rep.Skipped, Skipped{Line: a.Line, ID: a.ID, Name: a.Name, Start: a.Start, Reason: reason, Detail: detail})
		}
		switch {
		case !TypeMatches(opts.Type, a.Type):
			skip(SkipType, a.Type)
			continue
		case a.Start.Before(opts.Since):
			skip(SkipBefore, "")
			continue
		case imported[a.ID] != "":
			skip(SkipImported, imported[a.ID])
			continue
		case a.File == "":
			skip(SkipNoFile, "activities.csv names none (an activity entered by hand)")
			continue
		}
		data, err := e.ReadFile(ctx, a.File)
		switch {
		case errors.Is(err, ErrNoFile) || errors.Is(err, ErrUnsafeName):
			skip(SkipNoFile, fmt.Sprintf("%s: %v", a.File, err))
			continue
		case ctx.Err() != nil:
			return rep, ctx.Err()
		case err != nil:
			skip(SkipUnreadable, fmt.Sprintf("%s: %v", a.File, err))
			continue
		}
		if _, err := readers.Read(ctx, a.File, bytes.NewReader(data), e.limits.Activity); err != nil {
			if ctx.Err() != nil {
				return rep, ctx.Err()
			}
			skip(SkipUnreadable, err.Error())
			continue
		}

		title := postTitle(a, loc)
		slug := freeSlug(title, a.Start.In(loc), func(s string) bool {
			return !slugs[s] && (opts.SlugFree == nil || opts.SlugFree(s))
		})
		b := Bundle{Activity: a, Slug: slug, Title: title, Date: a.Start.In(loc), Body: a.Description, FileName: bundleFileName(a.File), File: data}
		b.Front = runFront(a, b.FileName)
		if err := write(ctx, b); err != nil {
			return rep, fmt.Errorf("writing activity %s as posts/%s: %w", a.ID, slug, err)
		}
		slugs[slug] = true
		imported[a.ID] = "posts/" + slug + "/index.md"
		rep.Imported = append(rep.Imported, Done{Line: a.Line, ID: a.ID, Title: title, Start: a.Start, Slug: slug, FileName: b.FileName})
	}
	return rep, nil
}

// TypeMatches says whether an import asked for want takes an activity of
// Strava's type got: the same type, or one whose last word it is, so that
// "Run" takes Strava's "Trail Run" and "Virtual Run" (a treadmill run) too,
// while "Trail Run" takes only trail runs. Case does not matter.
func TypeMatches(want, got string) bool {
	want, got = strings.ToLower(strings.TrimSpace(want)), strings.ToLower(strings.TrimSpace(got))
	return want != "" && (got == want || strings.HasSuffix(got, " "+want))
}

// postTitle is the activity's name, or when it has none that Milepost
// would take as a title, its type and day ("Run on January 2, 2024").
func postTitle(a Activity, loc *time.Location) string {
	if title, err := content.CleanTitle(a.Name); err == nil {
		return title
	}
	kind := a.Type
	if kind == "" {
		kind = "Run"
	}
	return kind + " on " + a.Start.In(loc).Format("January 2, 2006")
}

// freeSlug is the slug of the title if free, else with the day added
// (morning-run-2024-01-02), else with -2, -3, … after that.
func freeSlug(title string, day time.Time, free func(string) bool) string {
	base := content.SlugFromTitle(title)
	if base == "" {
		base = "run"
	}
	if free(base) {
		return base
	}
	dated := base + "-" + day.Format("2006-01-02")
	for n := 1; ; n++ {
		slug := dated
		if n > 1 {
			slug = fmt.Sprintf("%s-%d", dated, n)
		}
		if free(slug) {
			return slug
		}
	}
}

var plainFileName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// bundleFileName is the name the activity file gets in the bundle: its
// name in the export (Strava's are "123456.fit.gz"), or "activity" with
// its extension when that name is not a plain file name.
func bundleFileName(exportName string) string {
	base := path.Base(exportName)
	if plainFileName.MatchString(base) {
		return base
	}
	lower := strings.ToLower(base)
	for _, ext := range []string{".fit.gz", ".gpx.gz", ".tcx.gz", ".fit", ".gpx", ".tcx"} {
		if strings.HasSuffix(lower, ext) {
			return "activity" + ext
		}
	}
	return "activity"
}

// RunType is the run: type Strava's workout type gives: race, long run and
// workout have their own; a default run (or any other value) gives none,
// as Strava's default covers easy runs, tempo runs and everything a runner
// did not mark, and the post should not claim which.
func RunType(workoutType string) content.RunType {
	switch strings.ToLower(strings.TrimSpace(workoutType)) {
	case "1", "race":
		return content.RunRace
	case "2", "long run":
		return content.RunLong
	case "3", "workout":
		return content.RunWorkout
	}
	return ""
}

// runFront is the front matter an imported run has besides what every
// new post has: the activity file, the run: figures Strava gives (content
// fills the rest from the file), and the activity's ID.
func runFront(a Activity, fileName string) []*yaml.Node {
	text := func(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }
	add := func(m []*yaml.Node, key string, value *yaml.Node) []*yaml.Node {
		return append(m, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
	}
	var run []*yaml.Node
	runType := RunType(a.WorkoutType)
	if runType != "" {
		run = add(run, "type", text(string(runType)))
	}
	if a.DistanceM > 0 {
		run = add(run, "distance", text(activity.KilometresText(a.DistanceM)))
	}
	// A race is timed from gun to finish, pauses included (a watch
	// paused at a drinks table does not stop the race's clock); any
	// other run by its moving time.
	seconds := a.MovingS
	if runType == content.RunRace && a.ElapsedS > 0 {
		seconds = a.ElapsedS
	}
	if seconds >= 1 {
		run = add(run, "time", text(activity.DurationText(seconds)))
	}
	if a.ElevationM > 0 {
		run = add(run, "elevation", text(activity.HeightText(a.ElevationM, activity.Metric)))
	}
	front := add(nil, "activity", text(fileName))
	if len(run) > 0 {
		front = add(front, "run", &yaml.Node{Kind: yaml.MappingNode, Content: run})
	}
	// Quoted: an ID is a name, not a number to be rounded.
	return add(front, IDKey, &yaml.Node{Kind: yaml.ScalarNode, Style: yaml.DoubleQuotedStyle, Value: a.ID})
}

// idLine is the line IDKey is written on (runFront).
var idLine = regexp.MustCompile(`(?m)^` + IDKey + `:[ \t]*"?([0-9]{1,20})"?[ \t]*\r?$`)

// IDInText finds the activity ID in the text of a post content could not
// load (a front matter problem a runner introduced while editing): such a
// post is still an imported run, and importing it again would duplicate
// it. It returns "" when the text has no IDKey line as an import writes it.
func IDInText(text []byte) string {
	if m := idLine.FindSubmatch(text); m != nil {
		return string(m[1])
	}
	return ""
}
