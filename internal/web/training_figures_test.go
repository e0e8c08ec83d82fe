package web_test

import (
	"strings"
	"testing"
)

// Figures of the training pages as the run card writes them, and records
// that are new only when they beat one.

func TestTheTrainingPagesWriteTimesAsTheRunCardDoes(t *testing.T) {
	h := newHarness(t, clubSite(t))
	// Kay's 55:00, 1:45:10 and 22:30: one formatter (activity.DurationText)
	// for a run's time and a total.
	log := h.get("/authors/kay/log/").body
	mustContain(t, "log", log, "<div><dt>Time</dt><dd>3:02:40</dd></div>", "<td>3:02:40</td>")
	mustNotContain(t, "log", log, "\u00a0min", "\u00a0h ")
	// This week: Kay's 55:00 and Sam's 36:00.
	mustContain(t, "club", h.get("/club/").body, "<div><dt>Time</dt><dd>1:31:00</dd></div>")
	// A day of a run is shaded stronger the farther it went, whether the
	// colour is dark (light mode) or bright (dark mode).
	mustContain(t, "log", log, "the stronger the colour, the farther the run")
	mustNotContain(t, "log", log, "the darker")
}

func TestARunnersFirstPerformancesAreNoNewRecordsOfTheClub(t *testing.T) {
	files := clubSite(t)
	h := newHarness(t, files)
	// Kay's first 5 km and first half this month beat no record.
	club := h.get("/club/").body
	_, records, _ := strings.Cut(club, `id="records-heading"`)
	mustContain(t, "club's new records", records, "No records broken in the last 30 days.")

	// A faster 5 km beats the Turkey Trot's 22:30: a new record, saying
	// what it beat.
	files["posts/parkrun.md"] = runPost("Parkrun", "2026-11-21T09:00:00Z", "kay", "  type: race\n  distance: 5 km\n  time: 21:50\n  race: Parkrun")
	_, records, _ = strings.Cut(newHarness(t, files).get("/club/").body, `id="records-heading"`)
	mustContain(t, "club's new records", records, `<a href="/posts/parkrun/">Parkrun</a>`, "22:30")
	mustNotContain(t, "club's new records", records, "Harvest Half", "Turkey Trot</a>")
}
