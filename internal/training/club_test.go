package training

import (
	"testing"
	"time"

	"milepost/internal/activity"
	"milepost/internal/content"
)

func TestTheClubsWeekAndMonth(t *testing.T) {
	la := losAngeles(t)
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, la) }
	// Now is Wednesday, December 2, 2026: the week began on Monday
	// November 30, the month on Tuesday December 1.
	now := at(time.December, 2, 12)
	lastMonth := post(kay, at(time.November, 29, 23), 21) // Sunday night: neither
	f := Build(newestFirst(
		lastMonth,
		post(kay, at(time.November, 30, 6), 10), // this week, last month
		post(kay, at(time.December, 1, 6), 5),
		post(sam, at(time.December, 2, 6), 8),
		&content.Post{Slug: "anonymous", Date: at(time.December, 2, 7), Run: &content.Run{DistanceM: 3000}},
	), Settings{Location: la})
	c := f.Club(now, 5)

	if !c.Week.Start.Equal(at(time.November, 30, 0)) || !c.Week.End.Equal(at(time.December, 7, 0)) ||
		!c.Month.Start.Equal(at(time.December, 1, 0)) || !c.Month.End.Equal(at(time.January+12, 1, 0)) {
		t.Errorf("week %s–%s, month %s–%s", c.Week.Start, c.Week.End, c.Month.Start, c.Month.End)
	}
	if c.Week.Runs != 4 || c.Week.DistanceM != 26000 || len(c.Week.Runners) != 2 ||
		c.Week.Runners[0].Author != kay || c.Week.Runners[0].DistanceM != 15000 || c.Week.Runners[0].Runs != 2 ||
		c.Week.Runners[1].Author != sam || c.Week.Runners[1].DistanceM != 8000 {
		t.Errorf("this week %+v", c.Week)
	}
	if c.Month.Runs != 3 || c.Month.DistanceM != 16000 || len(c.Month.Runners) != 2 || c.Month.Runners[0].Author != sam {
		t.Errorf("this month %+v", c.Month)
	}
}

func TestTheClubsRecentRacesAndNewRecords(t *testing.T) {
	at := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 9, 0, 0, 0, time.UTC) }
	now := at(time.December, 2)
	oldPR := post(kay, at(time.September, 1), 5, race("Labor Day 5K", 0), timed(26*60))
	newPR := post(kay, at(time.November, 26), 5, race("Turkey Trot", 0), timed(24*60))
	samFirst := post(sam, at(time.November, 29), 10, efforts(activity.BestEffort{Name: "10 km", DistanceM: 10000, TimeS: 50 * 60}))
	samRace := post(sam, at(time.October, 1), 10, race("Fall 10K", 0), timed(52*60))
	f := Build(newestFirst(oldPR, newPR, samFirst, samRace), Settings{})

	c := f.Club(now, 2)
	if len(c.Races) != 2 || c.Races[0].Post != newPR || c.Races[1].Post != samRace || c.Races[0].Author != kay {
		t.Errorf("the two latest races: %+v", c.Races)
	}
	// Sam's 10 km effort beat the race; Kay's Turkey Trot beat Labor Day.
	// The records of September and October are older than 30 days.
	if len(c.NewRecords) != 2 || c.NewRecords[0].Post != samFirst ||
		c.NewRecords[0].Previous.Post != samRace || c.NewRecords[1].Post != newPR || c.NewRecords[1].Previous.Post != oldPR {
		t.Errorf("new records %+v", c.NewRecords)
	}
	if c := f.Club(at(time.December, 27), 2); len(c.NewRecords) != 1 || c.NewRecords[0].Post != samFirst {
		t.Errorf("new records on December 27: %+v", c.NewRecords)
	}
}
