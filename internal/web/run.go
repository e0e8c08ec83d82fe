package web

import (
	"bytes"
	"errors"
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"milepost/internal/activity"
	"milepost/internal/activity/chart"
	"milepost/internal/content"
)

// The run behind a story, on its page: a card of its figures and the
// charts of its activity file, drawn on the server (chart), and the
// route as GPX when the post offers it. Everything shown of where the run
// went comes from what content kept after privacy (Run.Activity.Route and
// Segments), never from the file, which is never served.

// errNoRouteDownload refuses the GPX route of a post that does not offer
// one (no activity_download: true, or nothing left of the route once the
// privacy zones and ends are taken out).
var errNoRouteDownload = errors.New("the post offers no route download")

// routeFileName is the name the route download is served at, below its
// post. Its route is more specific than the bundle files' route, so a
// bundle file of that name (the activity file itself, say) is never served
// in its place.
const routeFileName = "route.gpx"

// runView is what a post page shows of its run: the figures as text in
// the post's units, only those known, and the charts.
type runView struct {
	Type      string // "race", as the front matter names it; the theme capitalises
	Distance  string
	Time      string
	Pace      string
	Elevation string
	Race      *raceView
	Shoes     string
	Charts    []runChart
	// Download is the path of the route's GPX, when the post offers it.
	Download string
}

type raceView struct {
	Name, Place, Bib, Official string
}

// runChart is one chart of the page: its heading, the drawing and the
// table that says the same.
type runChart struct {
	Kind    string // "route", "elevation", "pace", "heart-rate", "splits"
	Heading string
	SVG     template.HTML
	Table   chart.Table
}

// newRunView lays out the run of post p. It draws every chart, so callers
// go through runViews, which does it once per post and site.
func newRunView(p *content.Post) *runView {
	run := p.Run
	if run == nil {
		return nil
	}
	u := run.Units
	if !u.Valid() {
		u = activity.Metric
	}
	v := &runView{Type: string(run.Type), Shoes: run.Shoes}
	// Each text is "" for a figure that is none (a file's elevation of
	// 1e308 summed to +Inf), which the card leaves out.
	v.Distance = activity.DistanceText(run.DistanceM, u)
	v.Time = activity.DurationText(run.TimeS)
	v.Pace = activity.PaceText(run.TimeS, run.DistanceM, u)
	if run.HasElevation {
		v.Elevation = activity.HeightText(run.ElevationM, u)
	}
	if r := run.Race; r != nil {
		v.Race = &raceView{Name: r.Name, Bib: r.Bib}
		if r.Place > 0 {
			v.Race.Place = strconv.Itoa(r.Place)
		}
		// Without a time of its own the run's time is the official one
		// (content's rule): the card shows it once.
		if r.OfficialS != run.TimeS {
			v.Race.Official = activity.DurationText(r.OfficialS)
		}
	}
	a := run.Activity
	if a == nil {
		return v
	}
	s := a.Summary
	// The charts over distance have nothing to draw without one (a leg
	// recorded without GPS or a foot pod): none is shown.
	overDistance := activity.Positive(s.DistanceM)
	if len(a.Route.Segments) > 0 {
		v.Charts = append(v.Charts, runChart{Kind: "route", Heading: "Route"}.with(chart.Route(a.Route, s.DistanceM, u)))
	}
	if overDistance && s.HasElevation {
		v.Charts = append(v.Charts, runChart{Kind: "elevation", Heading: "Elevation"}.with(chart.Elevation(s.Series, u)))
	}
	if overDistance && s.PaceSPerKm > 0 {
		v.Charts = append(v.Charts, runChart{Kind: "pace", Heading: "Pace"}.with(chart.Pace(s.Series, u)))
	}
	if overDistance && s.AvgHeartRateBPM > 0 {
		v.Charts = append(v.Charts, runChart{Kind: "heart-rate", Heading: "Heart rate"}.with(chart.HeartRate(s.Series, u)))
	}
	splits := s.SplitsKm
	if u == activity.Imperial {
		splits = s.SplitsMile
	}
	if len(splits) > 1 {
		v.Charts = append(v.Charts, runChart{Kind: "splits", Heading: "Splits"}.with(chart.Splits(splits, u)))
	}
	if offersRoute(p) {
		v.Download = "/posts/" + p.Slug + "/" + routeFileName
	}
	return v
}

func (c runChart) with(drawn chart.Chart) runChart {
	c.SVG, c.Table = drawn.SVG, drawn.Table
	return c
}

// offersRoute reports whether p's route may be downloaded: its front
// matter opts in and privacy left something of the route.
func offersRoute(p *content.Post) bool {
	if p.Run == nil || p.Run.Activity == nil || !p.Run.Activity.Download {
		return false
	}
	for _, seg := range p.Run.Activity.Segments {
		if len(seg) > 1 {
			return true
		}
	}
	return false
}

// runViews keeps the run views of the current site's posts, each laid out
// once, when its page is first asked for. A reload makes a new Site, and
// the first request that sees it starts afresh, so nothing of an old file
// or old privacy settings is ever shown.
type runViews struct {
	mu     sync.Mutex
	site   *content.Site
	byPost map[*content.Post]func() *runView
}

// runView is the run view of post p, or nil when p tells of no run; the
// templates' runView. Only a post of the site being served is kept: one
// an older site still holds, or an editor's preview, is laid out for its
// request alone.
func (s *Server) runView(p *content.Post) *runView {
	if p == nil || p.Run == nil {
		return nil
	}
	site := s.opts.Content.Current()
	if (content.View{Site: site, Now: previewAllTime, Drafts: true}).Post(p.Slug) != p {
		return newRunView(p)
	}
	c := &s.runs
	c.mu.Lock()
	if c.site != site || c.byPost == nil {
		c.site, c.byPost = site, map[*content.Post]func() *runView{}
	}
	build, ok := c.byPost[p]
	if !ok {
		// Drawn outside the lock, once: other pages are not held up, and
		// two first readers of one post do not draw it twice.
		build = sync.OnceValue(func() *runView { return newRunView(p) })
		c.byPost[p] = build
	}
	c.mu.Unlock()
	return build()
}

// routeGPX serves /posts/{slug}/route.gpx: the route of a post that
// offers it, as GPX built from the track privacy left (activity.WriteGPX:
// positions and elevations, and times only if the post opted in to them).
// Any other post's is 404.
func (s *Server) routeGPX(w http.ResponseWriter, r *http.Request) {
	v := s.view()
	p := v.Post(r.PathValue("slug"))
	if p == nil {
		s.notFound(w, r)
		return
	}
	if !offersRoute(p) {
		s.fail(w, r, "serving a route download", errNoRouteDownload)
		return
	}
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": p.Slug + ".gpx"}))
	// Kept by the post and the settings (the privacy zones, the author's
	// among them); a draft's is written for its request alone.
	facts := s.facts(v.Site)
	key := newKey("route", p.Slug, "", facts).post(p)
	if !p.Draft && s.serveKept(w, r, key) {
		return
	}
	var buf bytes.Buffer
	if err := activity.WriteGPX(r.Context(), &buf, p.Title, p.Run.Activity.Segments); err != nil {
		s.serverError(w, r, "writing a route download", err)
		return
	}
	// Checked each time (no-cache): a privacy zone added to site.yaml must
	// take the route out of every cache at once.
	if p.Draft {
		h := w.Header()
		h.Set("Content-Type", "application/gpx+xml")
		h.Set("Cache-Control", "private, no-cache")
		s.serveBody(w, r, http.StatusOK, buf.Bytes(), etagOf(buf.Bytes()), time.Time{})
		return
	}
	s.keepAndServe(w, r, key, buf.Bytes(), facts.modifiedAt(content.Listing{p}), "application/gpx+xml", "public, no-cache")
}
