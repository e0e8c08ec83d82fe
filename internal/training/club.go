package training

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"milepost/internal/content"
)

// NewRecordDays is how far back the club's new records go.
const NewRecordDays = 30

// Club is the club's figures at one moment.
type Club struct {
	Week, Month Period
	// Races are the latest race results, newest first.
	Races []RaceResult
	// NewRecords are the records set in the last NewRecordDays days,
	// newest first.
	NewRecords []RecordSet
}

// Period is what the club ran in a week or a month.
type Period struct {
	Start, End time.Time // End is the start of the next period
	// Total counts every run, those of posts without an author too.
	Total
	// Runners are who ran, farthest first.
	Runners []Runner
}

// Runner is one author's part of a period.
type Runner struct {
	Author *content.Author
	Total
}

// Club is the club's week and month as of now (in the site's zone), its
// latest races (at most races of them) and its new records.
func (f *Figures) Club(now time.Time, races int) Club {
	loc := f.Settings.Location
	now = now.In(loc)
	today := dayNumber(now)
	week := weekOf(today)
	y, m, _ := now.Date()
	c := Club{
		Week:  Period{Start: dayDate(week, loc), End: dayDate(week+7, loc)},
		Month: Period{Start: time.Date(y, m, 1, 0, 0, 0, 0, loc), End: time.Date(y, m+1, 1, 0, 0, 0, 0, loc)},
	}
	from := c.Week.Start
	if c.Month.Start.Before(from) {
		from = c.Month.Start
	}
	weekRunners, monthRunners := map[string]*Runner{}, map[string]*Runner{}
	for _, r := range f.Runs {
		if r.Date.Before(from) {
			break // newest first: the rest are older
		}
		c.Week.count(r, weekRunners)
		c.Month.count(r, monthRunners)
	}
	c.Week.Runners, c.Month.Runners = farthestFirst(weekRunners), farthestFirst(monthRunners)

	c.Races = f.Races[:min(races, len(f.Races))]
	since := now.AddDate(0, 0, -NewRecordDays)
	for _, set := range f.NewRecords {
		if set.Date.Before(since) {
			break
		}
		if !set.Date.After(now) {
			c.NewRecords = append(c.NewRecords, set)
		}
	}
	return c
}

func (p *Period) count(r Run, runners map[string]*Runner) {
	if r.Date.Before(p.Start) || !r.Date.Before(p.End) {
		return
	}
	p.add(r)
	if a := r.Post.Author; a != nil {
		rn := runners[a.ID]
		if rn == nil {
			rn = &Runner{Author: a}
			runners[a.ID] = rn
		}
		rn.add(r)
	}
}

func farthestFirst(m map[string]*Runner) []Runner {
	out := make([]Runner, 0, len(m))
	for _, r := range m {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(x, y Runner) int {
		return cmp.Or(cmp.Compare(y.DistanceM, x.DistanceM), strings.Compare(x.Author.ID, y.Author.ID))
	})
	return out
}
