package web

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"milepost/internal/activity"
	"milepost/internal/activity/chart"
	"milepost/internal/content"
	"milepost/internal/training"
)

// The runs added up: an author's training log and records, and the club's
// week. The figures come from training, built once per site and set of
// published posts (training.Cache): a page view lays them out and draws
// two charts, and never reads the posts again. Drafts and posts dated in
// the future are never counted, whatever -drafts says.

const (
	// logWeeks is how many weeks the log's bars go back.
	logWeeks = 52
	// clubRaces is how many of the latest races the club page lists.
	clubRaces = 10
)

func (s *Server) trainingRoutes(m *http.ServeMux) {
	// More specific than /authors/{id}/{file} (the author's feeds), so an
	// author whose id is "log" keeps their page at /authors/log/ and their
	// log at /authors/log/log/.
	m.HandleFunc("GET /authors/{id}/log/{$}", s.trainingLog)
	m.HandleFunc("GET /authors/{id}/records/{$}", s.trainingRecords)
	m.HandleFunc("GET /authors/{id}/log", addSlash)
	m.HandleFunc("GET /authors/{id}/records", addSlash)
	m.HandleFunc("GET /club/{$}", s.club)
	m.HandleFunc("GET /club", addSlash)
}

// trainingPage is what the log, records and club pages show, as text in
// the units of whose figures they are.
type trainingPage struct {
	Author  *content.Author // nil on the club page
	Unit    string          // "km" or "mi"
	Log     *logView
	Records *recordsView
	Club    *clubView
}

type logView struct {
	Weekly, Calendar runChart
	// Year is the calendar's; Years are the years it can show, newest
	// first.
	Year    int
	Years   []int
	Totals  []totalRow // a row a year, newest first
	AllTime totalRow
	Longest *performanceRow
	Gear    []gearRow
	// ShoeLimit is the site's limit past which shoes are noted as worn.
	ShoeLimit string
}

type totalRow struct {
	Label          string
	Runs           int
	Distance, Time string
}

type gearRow struct {
	Shoes       string
	Runs        int
	Distance    string
	First, Last time.Time
	Worn        bool
}

// performanceRow is a run, a race result or a best effort, linked to its
// post.
type performanceRow struct {
	Author      *content.Author
	Slug, Title string
	Date        time.Time
	Distance    string // the standard distance's name, else the distance run
	Time, Pace  string
	Race        string
	Place       int
	// Beat is the time of the record it beat; "" for none.
	Beat string
}

type recordView struct {
	Distance string
	Current  performanceRow
	// History is every time the record was set, oldest first.
	History []performanceRow
}

type recordsView struct {
	Records []recordView
	Races   []performanceRow
}

type clubView struct {
	Week, Month periodView
	Races       []performanceRow
	NewRecords  []performanceRow
	RecordDays  int
}

type periodView struct {
	Start, End time.Time // End is the period's last day
	totalRow
	Runners []runnerRow
}

type runnerRow struct {
	Author   *content.Author
	Runs     int
	Distance string
}

// figures are the training figures of the site being served, as
// published now.
func (s *Server) figures() *training.Figures {
	return s.trainingCache.For(s.opts.Content.Current(), s.now())
}

// authorFigures is what a log or records page is about: the site served,
// its figures, the author and theirs (nil when they have no run yet).
type authorFigures struct {
	site    *content.Site
	figures *training.Figures
	author  *content.Author
	runs    *training.Author
}

// trainingAuthor is the author of a log or records page and their
// figures; ok is false, with a 404 sent, for an author who does not
// exist.
func (s *Server) trainingAuthor(w http.ResponseWriter, r *http.Request) (af authorFigures, ok bool) {
	af.site = s.opts.Content.Current()
	af.author = af.site.Authors[r.PathValue("id")]
	if af.author == nil {
		s.notFound(w, r)
		return af, false
	}
	af.figures = s.trainingCache.For(af.site, s.now())
	af.runs = af.figures.Authors[af.author.ID]
	return af, true
}

// units are how the author's figures are shown.
func (af authorFigures) units() activity.Units {
	if af.runs != nil {
		return af.runs.Units
	}
	return af.figures.Settings.Units
}

func (s *Server) trainingLog(w http.ResponseWriter, r *http.Request) {
	af, ok := s.trainingAuthor(w, r)
	if !ok {
		return
	}
	keep, done := s.keptTraining(w, r, af.site, "log")
	if done {
		return
	}
	a, f, ta, u := af.author, af.figures, af.runs, af.units()
	loc := f.Settings.Location
	now := s.now().In(loc)
	lv := &logView{Year: now.Year(), Years: []int{now.Year()}, ShoeLimit: activity.DistanceText(f.Settings.ShoeLimitM, u)}
	if ta != nil {
		for _, y := range ta.Years {
			if y.Year != now.Year() {
				lv.Years = append(lv.Years, y.Year)
			}
		}
	}
	canonical := "/authors/" + url.PathEscape(a.ID) + "/log/"
	if q := r.URL.Query().Get("year"); q != "" {
		y, err := strconv.Atoi(q)
		if err != nil || !slices.Contains(lv.Years, y) {
			s.notFound(w, r)
			return
		}
		lv.Year = y
		canonical += "?year=" + q
	}
	slices.SortFunc(lv.Years, func(x, y int) int { return y - x })

	var weeks []chart.WeekDistance
	var days []chart.DayDistance
	if ta != nil {
		for _, wk := range ta.Weeks(now, loc, logWeeks) {
			weeks = append(weeks, chart.WeekDistance{Start: wk.Start, DistanceM: wk.DistanceM, Runs: wk.Runs})
		}
		for _, d := range ta.Calendar(lv.Year, loc) {
			days = append(days, chart.DayDistance{Date: d.Date, DistanceM: d.DistanceM, Runs: d.Runs})
		}
		for _, y := range ta.Years {
			lv.Totals = append(lv.Totals, totalText(strconv.Itoa(y.Year), y.Total, u))
		}
		lv.AllTime = totalText("All time", ta.AllTime, u)
		if l := ta.Longest; l != nil {
			lv.Longest = &performanceRow{Slug: l.Post.Slug, Title: l.Post.Title, Date: l.Date,
				Distance: activity.DistanceText(l.DistanceM, u), Time: activity.DurationText(l.TimeS), Pace: activity.PaceText(l.TimeS, l.DistanceM, u)}
		}
		for _, g := range ta.Gear {
			lv.Gear = append(lv.Gear, gearRow{Shoes: g.Shoes, Runs: g.Runs, Distance: activity.DistanceText(g.DistanceM, u), First: g.First, Last: g.Last, Worn: g.Worn})
		}
	} else {
		for _, d := range (&training.Author{}).Calendar(lv.Year, loc) {
			days = append(days, chart.DayDistance{Date: d.Date})
		}
	}
	if len(weeks) > 0 {
		lv.Weekly = runChart{Kind: "weekly", Heading: fmt.Sprintf("The last %d weeks", logWeeks)}.with(chart.WeeklyDistance(weeks, u))
	}
	lv.Calendar = runChart{Kind: "calendar", Heading: "Days run in " + strconv.Itoa(lv.Year)}.with(chart.YearCalendar(lv.Year, days, u))
	s.renderTraining(w, r, af.site, "log", "Training log of "+a.Name, canonical, &trainingPage{Author: a, Unit: u.Abbrev(), Log: lv}, keep)
}

func (s *Server) trainingRecords(w http.ResponseWriter, r *http.Request) {
	af, ok := s.trainingAuthor(w, r)
	if !ok {
		return
	}
	keep, done := s.keptTraining(w, r, af.site, "records")
	if done {
		return
	}
	a, ta, u := af.author, af.runs, af.units()
	rv := &recordsView{}
	if ta != nil {
		for _, rec := range ta.Records {
			view := recordView{Distance: rec.Distance}
			for i, p := range rec.History {
				row := performanceText(nil, p, u)
				row.Distance = "" // the heading says it
				if i > 0 {
					row.Beat = activity.DurationText(rec.History[i-1].TimeS)
				}
				view.History = append(view.History, row)
			}
			view.Current = view.History[len(view.History)-1]
			rv.Records = append(rv.Records, view)
		}
		for _, p := range ta.Races {
			rv.Races = append(rv.Races, performanceText(nil, p, u))
		}
	}
	s.renderTraining(w, r, af.site, "records", "Records of "+a.Name, "/authors/"+url.PathEscape(a.ID)+"/records/",
		&trainingPage{Author: a, Unit: u.Abbrev(), Records: rv}, keep)
}

func (s *Server) club(w http.ResponseWriter, r *http.Request) {
	site := s.opts.Content.Current()
	keep, done := s.keptTraining(w, r, site, "club")
	if done {
		return
	}
	f := s.trainingCache.For(site, s.now())
	u := f.Settings.Units
	c := f.Club(s.now(), clubRaces)
	cv := &clubView{Week: periodText(c.Week, u, "This week"), Month: periodText(c.Month, u, c.Month.Start.Format("January")), RecordDays: training.NewRecordDays}
	for _, race := range c.Races {
		cv.Races = append(cv.Races, performanceText(race.Author, race.Performance, u))
	}
	for _, set := range c.NewRecords {
		row := performanceText(set.Author, set.Performance, u)
		row.Beat = activity.DurationText(set.Previous.TimeS)
		cv.NewRecords = append(cv.NewRecords, row)
	}
	s.renderTraining(w, r, site, "club", "The club", "/club/", &trainingPage{Unit: u.Abbrev(), Club: cv}, keep)
}

// keptTraining serves a training page (the log, records, the club) from
// the render cache, and reports true, when it is kept; else it says how to
// keep it once rendered, nil for a request that is not everyone's. The
// figures are the whole site's, as of today: such a page is kept by the
// site's generation, the number of its posts published by now, the day,
// the year asked for (the log's ?year=) and, on the club page, how many
// new records it shows (one drops off NewRecordDays after it was set, at
// its time of day). Its Last-Modified is when it was rendered: no change
// it shows can be later.
func (s *Server) keptTraining(w http.ResponseWriter, r *http.Request, site *content.Site, kind string) (*keptPage, bool) {
	facts := s.facts(site)
	key, ok := s.keyed(r, kind, s.config(r, site), facts)
	if !ok {
		return nil, false
	}
	v := content.View{Site: site, Now: s.now()}
	posts := v.Posts()
	today := dayOf(v.Now, site.Config.Location)
	key = key.num(facts.gen).num(uint64(len(posts))).num(uint64(today.Unix())).str(r.URL.Query().Get("year"))
	if kind == "club" {
		key = key.num(uint64(len(s.trainingCache.For(site, v.Now).Club(v.Now, 0).NewRecords)))
	}
	if s.serveKept(w, r, key) {
		return nil, true
	}
	return &keptPage{key: key, modified: v.Now}, false
}

func (s *Server) renderTraining(w http.ResponseWriter, r *http.Request, site *content.Site, page, title, canonical string, tp *trainingPage, keep *keptPage) {
	cfg := s.config(r, site)
	root := "/"
	heading := ""
	if tp.Author != nil {
		root, heading = "/authors/"+url.PathEscape(tp.Author.ID)+"/", tp.Author.Name
	}
	s.render(w, r, http.StatusOK, page, pageData{
		Title:     title,
		Canonical: canonical,
		Feeds:     feedLinks(cfg, root, heading),
		Training:  tp,
		keep:      keep,
	}, site)
}

func totalText(label string, t training.Total, u activity.Units) totalRow {
	return totalRow{Label: label, Runs: t.Runs, Distance: activity.DistanceText(t.DistanceM, u), Time: activity.DurationText(t.TimeS)}
}

func periodText(p training.Period, u activity.Units, label string) periodView {
	v := periodView{Start: p.Start, End: p.End.AddDate(0, 0, -1), totalRow: totalText(label, p.Total, u)}
	for _, rn := range p.Runners {
		v.Runners = append(v.Runners, runnerRow{Author: rn.Author, Runs: rn.Runs, Distance: activity.DistanceText(rn.DistanceM, u)})
	}
	return v
}

func performanceText(a *content.Author, p training.Performance, u activity.Units) performanceRow {
	row := performanceRow{Author: a, Slug: p.Post.Slug, Title: p.Post.Title, Date: p.Date, Distance: p.Distance,
		Time: activity.DurationText(p.TimeS), Pace: activity.PaceText(p.TimeS, p.DistanceM, u), Race: p.Race, Place: p.Place}
	if row.Distance == "" {
		row.Distance = activity.DistanceText(p.DistanceM, u)
	}
	return row
}

// clubTeaser is the home page's line about the club's week; nil when no
// post of the site tells of a run.
type clubTeaser struct {
	Runs, Runners int
	Distance      string
}

// clubWeek is the templates' clubWeek: the club's week so far. It is
// worked out once per day and set of figures, as the home page's cache key
// names it (pages.go).
func (s *Server) clubWeek() *clubTeaser {
	f := s.figures()
	if len(f.Runs) == 0 {
		return nil
	}
	now := s.now()
	day := dayOf(now, f.Settings.Location)
	if m := s.teaser.Load(); m != nil && m.figures == f && m.day.Equal(day) {
		return m.teaser
	}
	w := f.Club(now, 0).Week
	t := &clubTeaser{Runs: w.Runs, Runners: len(w.Runners), Distance: activity.DistanceText(w.DistanceM, f.Settings.Units)}
	s.teaser.Store(&teaserMemo{figures: f, day: day, teaser: t})
	return t
}

// teaserMemo is the club's week as worked out for one set of figures on
// one day.
type teaserMemo struct {
	figures *training.Figures
	day     time.Time
	teaser  *clubTeaser
}

// dayOf is the start of the day t is in, in loc (the site's zone).
func dayOf(t time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// authorRuns is the templates' authorRuns: how many published runs an
// author's posts tell of, for the links to their log and records.
func (s *Server) authorRuns(id string) int {
	if a := s.figures().Authors[id]; a != nil {
		return a.AllTime.Runs
	}
	return 0
}

// trainingSitemap adds the club page and each author's log and records
// to the sitemap, for a site whose posts tell of runs, each last changed
// when the newest change to a run it counts was made.
func (s *Server) trainingSitemap(v content.View, add func(path string, lastmod time.Time)) {
	f := s.trainingCache.For(v.Site, v.Now)
	if len(f.Runs) == 0 {
		return
	}
	add("/club/", runsModified(f.Runs))
	for _, a := range sortedAuthors(v) {
		if ta := f.Authors[a.ID]; ta != nil {
			newest := runsModified(ta.Runs)
			add("/authors/"+url.PathEscape(a.ID)+"/log/", newest)
			add("/authors/"+url.PathEscape(a.ID)+"/records/", newest)
		}
	}
}

// runsModified is when the newest change to the posts of runs was made.
func runsModified(runs []training.Run) time.Time {
	posts := make(content.Listing, len(runs))
	for i, r := range runs {
		posts[i] = r.Post
	}
	return lastModified(posts)
}
