package web_test

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"milepost/internal/activity/activitytest"
)

// The runs added up (issue 9): an author's training log and records and
// the club's week, from the stories' run: fields and activity files.

// runPost is a post telling of a run: its date, author and run: fields.
func runPost(title, date, author, run string, front ...string) string {
	return post("title: "+title+"\ndate: "+date+"\nauthor: "+author+"\n"+strings.Join(front, "\n")+"\nrun:\n"+run, "Out the door.")
}

// clubSite is two runners' month; the harness's clock says Tuesday,
// November 24, 2026, noon UTC.
func clubSite(t *testing.T) siteFiles {
	t.Helper()
	fit := activitytest.File(t, "triathlon_fr255.fit")
	return siteFiles{
		"authors/sam.md": "---\nname: Sam Strider\n---\n",
		"posts/easy-monday.md": runPost("Easy Monday", "2026-11-23T07:00:00Z", "kay",
			"  type: easy\n  distance: 10 km\n  time: 55:00\n  shoes: Pegasus 40"),
		"posts/harvest-half.md": runPost("Harvest Half", "2026-11-22T08:00:00Z", "kay",
			"  type: race\n  distance: 13.1 mi\n  time: 1:45:10\n  race: Harvest Half\n  place: 41\n  official: 1:44:30\n  shoes: Pegasus 40"),
		"posts/turkey-trot.md": runPost("Turkey Trot", "2026-11-01T08:00:00Z", "kay",
			"  type: race\n  distance: 5 km\n  time: 22:30\n  race: Turkey Trot"),
		"posts/planned-long-run.md": runPost("Planned long run", "2026-11-25T07:00:00Z", "kay",
			"  distance: 30 km\n  time: 2:45:00"),
		"posts/secret-ultra.md": runPost("Secret ultra", "2026-11-24T06:00:00Z", "kay",
			"  distance: 50 km\n  time: 5:30:00", "draft: true"),
		"posts/sams-tempo.md": runPost("Sam's tempo", "2026-11-24T06:30:00Z", "sam",
			"  type: tempo\n  distance: 8 km\n  time: 36:00"),
		"posts/sprint-tri/index.md": post("title: Sprint triathlon\ndate: 2026-06-14T09:00:00Z\nauthor: sam\nactivity: run.fit", "The run off the bike hurt."),
		"posts/sprint-tri/run.fit":  string(fit),
	}
}

func TestAnAuthorsTrainingLog(t *testing.T) {
	h := newHarness(t, clubSite(t))
	res := h.get("/authors/kay/log/")
	if res.status != 200 {
		t.Fatalf("log: %d\n%s", res.status, res.body)
	}
	if csp := res.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'none'") {
		t.Errorf("CSP %q", csp)
	}
	mustContain(t, "log", res.body,
		`class="chart chart-weekly"`, `class="chart chart-calendar"`, "<h1>Kay-Kay&#39;s Bird Club</h1>",
		// 10 km + 13.1 mi + 5 km, the draft and the planned run left out.
		"<dt>Runs</dt><dd>3</dd>", "<dt>Distance</dt><dd>36.1 km</dd>",
		`<a href="/posts/harvest-half/">Harvest Half</a>`, // the longest run
		"<title>Week of Nov 16, 2026: 21.1 km, 1 run</title>", "<title>Week of Nov 23, 2026: 10 km, 1 run</title>",
		"<title>Monday, November 23: 10 km</title>",
		`<span class="gear-name">Pegasus 40</span>`, `<span class="gear-distance">31.1 km</span>`)
	mustNotContain(t, "log", res.body, "Secret ultra", "50 km", "30 km", "Planned long run", "style=", "<script")
	if strings.Contains(res.body, "gear-worn") {
		t.Error("shoes with 31 km are noted as worn")
	}

	// The planned run counts once its date has come; a draft never does.
	h.clock.Set(time.Date(2026, time.November, 25, 8, 0, 0, 0, time.UTC))
	mustContain(t, "log on the 25th", h.get("/authors/kay/log/").body, "<dt>Runs</dt><dd>4</dd>", "<title>Week of Nov 23, 2026: 40 km, 2 runs</title>")
	mustNotContain(t, "log on the 25th", h.get("/authors/kay/log/").body, "Secret ultra")
}

// uncountedRuns are a draft and a post dated after the harness's clock,
// each a race faster than any of Kay's with the triathlon's activity file
// (best efforts Kay has none of), this week: were either counted, the
// log's totals, the records and the club's week and new records would
// all show it.
func uncountedRuns(t *testing.T, files siteFiles, draft, future bool) siteFiles {
	t.Helper()
	fit := string(activitytest.File(t, "triathlon_fr255.fit"))
	race := func(title, date, name string, front ...string) string {
		return runPost(title, date, "kay", "  type: race\n  distance: 5 km\n  time: 17:45\n  race: "+name, append([]string{"activity: run.fit"}, front...)...)
	}
	files["posts/secret-5k/index.md"] = race("Secret 5K", "2026-11-24T06:00:00Z", "Hidden Harriers 5K", "draft: "+strconv.FormatBool(draft))
	files["posts/secret-5k/run.fit"] = fit
	date := "2026-11-23T06:00:00Z"
	if future {
		date = "2026-11-26T06:00:00Z"
	}
	files["posts/thursday-5k/index.md"] = race("Thursday 5K", date, "Thanksgiving Dash")
	files["posts/thursday-5k/run.fit"] = fit
	return files
}

func TestDraftsAreNotCountedEvenWhenShown(t *testing.T) {
	for _, c := range []struct {
		what string
		opts []harnessOption
	}{{"drafts hidden", nil}, {"drafts shown", []harnessOption{withDrafts}}} {
		t.Run(c.what, func(t *testing.T) {
			h := newHarness(t, uncountedRuns(t, clubSite(t), true, true), c.opts...)
			if w := h.site.Warnings; len(w) > 0 {
				t.Fatalf("warnings: %v", w)
			}
			if c.opts != nil {
				mustContain(t, "draft's page", h.get("/posts/secret-5k/").body, "Secret 5K", "Hidden Harriers 5K")
			}
			uncounted := []string{"Secret ultra", "50 km", "Secret 5K", "Hidden Harriers", "Thursday 5K", "Thanksgiving Dash", "17:45", "best effort"}
			for _, path := range []string{"/authors/kay/log/", "/authors/kay/records/", "/club/"} {
				mustNotContain(t, path, h.get(path).body, uncounted...)
			}
			// What is counted is as without them.
			mustContain(t, "log", h.get("/authors/kay/log/").body, "<dt>Runs</dt><dd>3</dd>", "<dt>Distance</dt><dd>36.1 km</dd>")
			mustContain(t, "records", h.get("/authors/kay/records/").body, "<h3>5 km</h3>", `<span class="perf-time">22:30</span>`)
			week, month, _ := strings.Cut(h.get("/club/").body, `id="month-heading"`)
			mustContain(t, "club's week", week, "<dt>Distance</dt><dd>18 km</dd>", "<dt>Runs</dt><dd>2</dd>")
			mustContain(t, "club's month", month, "<dt>Runs</dt><dd>4</dd>", "No records broken in the last 30 days.")
		})
	}
	// The checks can fail: the same runs published and dated today are
	// counted on every page.
	h := newHarness(t, uncountedRuns(t, clubSite(t), false, false))
	mustContain(t, "records of the published races", h.get("/authors/kay/records/").body, "best effort", "Hidden Harriers 5K", "Thanksgiving Dash")
	mustContain(t, "log of the published races", h.get("/authors/kay/log/").body, "<dt>Runs</dt><dd>5</dd>")
	club := h.get("/club/").body
	_, records, _ := strings.Cut(club, `id="records-heading"`)
	mustContain(t, "club of the published races", club, "<dt>Runs</dt><dd>4</dd>")
	mustContain(t, "club's new records of the published races", records, "17:45", "beat 22:30")
}

func TestShoesPastTheSitesLimitAreNoted(t *testing.T) {
	files := clubSite(t)
	files["site.yaml"] = siteYAML + "shoe_limit: 30 km\n"
	body := newHarness(t, files).get("/authors/kay/log/").body
	mustContain(t, "log", body, `<span class="badge gear-worn">Past 30 km: time for a new pair?</span>`)
}

func TestAnAuthorsLogInTheirUnits(t *testing.T) {
	files := clubSite(t)
	files["authors/kay.md"] = "---\nname: Kay\nunits: imperial\n---\n"
	body := newHarness(t, files).get("/authors/kay/log/").body
	mustContain(t, "log in miles", body, "<dt>Distance</dt><dd>22.4 mi</dd>", "Distance per week, last 52 weeks (mi)", "Days run in 2026 (mi)")
}

func TestTheLogsCalendarOfAnotherYear(t *testing.T) {
	files := clubSite(t)
	files["posts/old-run.md"] = runPost("Old run", "2011-10-03T07:00:00Z", "kay", "  distance: 12 km\n  time: 1:00:00")
	h := newHarness(t, files)
	body := h.get("/authors/kay/log/").body
	mustContain(t, "log", body, `href="/authors/kay/log/?year=2011"`, `aria-current="page">2026</a>`)
	old := h.get("/authors/kay/log/?year=2011")
	mustContain(t, "2011", old.body, "Days run in 2011", "<title>Monday, October 3: 12 km</title>", `<link rel="canonical" href="https://runners.example.org/authors/kay/log/?year=2011">`)
	for _, year := range []string{"2010", "twenty", "2011x"} {
		if res := h.get("/authors/kay/log/?year=" + year); res.status != 404 {
			t.Errorf("year %s: %d", year, res.status)
		}
	}
}

func TestAnAuthorsRecords(t *testing.T) {
	h := newHarness(t, clubSite(t))
	kay := h.get("/authors/kay/records/")
	if kay.status != 200 {
		t.Fatalf("records: %d", kay.status)
	}
	mustContain(t, "kay's records", kay.body,
		"<h3>half marathon</h3>",                 // 13.1 mi is within 1% of it
		`<span class="perf-time">1:44:30</span>`, // the official time, not 1:45:10
		"<h3>5 km</h3>", `<span class="perf-time">22:30</span>`,
		`<a href="/posts/harvest-half/">Harvest Half</a>`, "(place 41)")
	mustNotContain(t, "kay's records", kay.body, "1:45:10", "Secret ultra")

	// Sam's triathlon run has an activity file: its best efforts are
	// records, linked to the post.
	sam := h.get("/authors/sam/records/")
	mustContain(t, "sam's records", sam.body, "<h3>400 m</h3>", "<h3>1 km</h3>", "<h3>1 mile</h3>", `<a href="/posts/sprint-tri/">Sprint triathlon</a>`,
		`<span class="perf-what">best effort</span>`)
	mustNotContain(t, "sam's records", sam.body, "<h3>5 km</h3>")
}

func TestTheClubsWeek(t *testing.T) {
	h := newHarness(t, clubSite(t))
	club := h.get("/club/")
	if club.status != 200 {
		t.Fatalf("club: %d", club.status)
	}
	week, month, _ := strings.Cut(club.body, `id="month-heading"`)
	// This week began on Monday the 23rd: Kay's 10 km and Sam's 8 km.
	mustContain(t, "this week", week, `<time datetime="2026-11-23">Nov 23</time>–<time datetime="2026-11-29">Nov 29</time>`,
		"<dt>Distance</dt><dd>18 km</dd>", "<dt>Runs</dt><dd>2</dd>",
		`<a href="/authors/kay/log/">Kay-Kay&#39;s Bird Club</a> <span class="runner-figures">10 km · 1 run</span>`,
		`<a href="/authors/sam/log/">Sam Strider</a> <span class="runner-figures">8 km · 1 run</span>`)
	mustContain(t, "this month", month, "<dt>Distance</dt><dd>44.1 km</dd>", "<dt>Runs</dt><dd>4</dd>",
		"Harvest Half", "Turkey Trot")
	mustNotContain(t, "club", club.body, "Secret ultra", "Planned long run")

	home := h.get("/")
	mustContain(t, "home", home.body, `<a href="/club/">The club this week: 18 km, 2 runs by 2 runners`)
	mustContain(t, "author page", h.get("/authors/kay/").body, `href="/authors/kay/log/"`, `href="/authors/kay/records/"`)
}

func TestTheTrainingPagesRoutes(t *testing.T) {
	files := clubSite(t)
	// An author whose id is a page's name keeps every page of theirs.
	files["authors/log.md"] = "---\nname: Logan\n---\n"
	files["authors/records.md"] = "---\nname: Rex Cords\n---\n"
	files["posts/logans-run.md"] = runPost("Logan's run", "2026-11-20T07:00:00Z", "log", "  distance: 7 km\n  time: 40:00")
	h := newHarness(t, files)
	for path, want := range map[string]string{
		"/authors/log/":             "<h1>Logan</h1>",
		"/authors/log/log/":         "<dt>Distance</dt><dd>7 km</dd>",
		"/authors/log/records/":     "<p class=\"eyebrow\">Records</p>",
		"/authors/log/feed.xml":     "Logan&#39;s run",
		"/authors/records/":         "<h1>Rex Cords</h1>",
		"/authors/records/log/":     "No runs yet",
		"/authors/records/records/": "No records yet",
	} {
		res := h.get(path)
		if res.status != 200 || !strings.Contains(res.body, want) {
			t.Errorf("%s: %d, want %q in\n%.600s", path, res.status, want, res.body)
		}
	}
	for path, want := range map[string]string{"/authors/kay/log": "/authors/kay/log/", "/authors/kay/records": "/authors/kay/records/", "/club": "/club/"} {
		if res := h.get(path); res.status != 308 || res.header.Get("Location") != want {
			t.Errorf("%s: %d to %q", path, res.status, res.header.Get("Location"))
		}
	}
	for _, path := range []string{"/authors/nobody/log/", "/authors/nobody/records/", "/authors/kay/log/extra/"} {
		if res := h.get(path); res.status != 404 {
			t.Errorf("%s: %d", path, res.status)
		}
	}
}

func TestTheSitemapListsTheTrainingPages(t *testing.T) {
	h := newHarness(t, clubSite(t))
	mustContain(t, "sitemap", h.get("/sitemap.xml").body,
		"<loc>https://runners.example.org/club/</loc>",
		"<loc>https://runners.example.org/authors/kay/log/</loc>", "<loc>https://runners.example.org/authors/kay/records/</loc>",
		"<loc>https://runners.example.org/authors/sam/log/</loc>")

	// A blog without runs has no club page to offer.
	plain := newHarness(t, siteFiles{"posts/a.md": post("title: A\ndate: 2024-01-01\nauthor: kay", "x")})
	mustNotContain(t, "sitemap without runs", plain.get("/sitemap.xml").body, "/club/", "/log/")
	mustNotContain(t, "home without runs", plain.get("/").body, "The club this week")
}

// Over two years: the log's table adds each year's runs up on its own row,
// and all of them in its foot; a record beaten keeps its history, the
// times it was set in order, and a slower run in between is not one.
func TestTheLogsYearByYearAndARecordsHistory(t *testing.T) {
	files := clubSite(t)
	files["posts/spring-5k.md"] = runPost("Spring 5K", "2025-04-12T09:00:00Z", "kay", "  type: race\n  distance: 5 km\n  time: 24:10\n  race: Spring 5K")
	files["posts/summer-easy.md"] = runPost("Summer easy", "2025-07-01T07:00:00Z", "kay", "  distance: 8 km\n  time: 45:00")
	files["posts/windy-5k.md"] = runPost("Windy 5K", "2026-03-01T09:00:00Z", "kay", "  type: race\n  distance: 5 km\n  time: 26:00\n  race: Windy 5K")
	h := newHarness(t, files)

	_, table, _ := strings.Cut(h.get("/authors/kay/log/").body, `<h2 id="totals-heading">Year by year</h2>`)
	table, _, _ = strings.Cut(table, "</table>")
	rows := regexp.MustCompile(`<tr><th scope="row">[^<]*</th>(<td>[^<]*</td>)*</tr>`).FindAllString(table, -1)
	want := []string{
		// 10 km, 13.1 mi, 5 km and 5 km: 55:00 + 1:45:10 + 22:30 + 26:00.
		`<tr><th scope="row">2026</th><td>4</td><td>41.1 km</td><td>3:28:40</td></tr>`,
		// 5 km and 8 km: 24:10 + 45:00.
		`<tr><th scope="row">2025</th><td>2</td><td>13 km</td><td>1:09:10</td></tr>`,
		`<tr><th scope="row">All time</th><td>6</td><td>54.1 km</td><td>4:37:50</td></tr>`,
	}
	if !slices.Equal(rows, want) {
		t.Errorf("year by year rows:\n%s\nwant:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}

	records := h.get("/authors/kay/records/").body
	_, fiveK, _ := strings.Cut(records, `<h3>5 km</h3>`)
	fiveK, _, _ = strings.Cut(fiveK, "</section>")
	current, history, _ := strings.Cut(fiveK, "<details>")
	mustContain(t, "5 km record", current, `<span class="perf-time">22:30</span>`, `<a href="/posts/turkey-trot/">Turkey Trot</a>`, "beat 24:10")
	mustContain(t, "5 km history", history, "<summary>Set 2 times</summary>")
	times := regexp.MustCompile(`<span class="perf-time">([^<]*)</span>`).FindAllStringSubmatch(history, -1)
	var set []string
	for _, m := range times {
		set = append(set, m[1])
	}
	if !slices.Equal(set, []string{"24:10", "22:30"}) {
		t.Errorf("the 5 km record was set at %q, want 24:10 then 22:30", set)
	}
	mustNotContain(t, "5 km history", fiveK, "Windy 5K", "26:00")
	// A record set once has no history to show.
	_, half, _ := strings.Cut(records, `<h3>half marathon</h3>`)
	half, _, _ = strings.Cut(half, "</section>")
	mustNotContain(t, "half marathon record", half, "<details>", "Set 1 times")
}
