package web_test

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"milepost/internal/activity"
	"milepost/internal/activity/activitytest"
	"milepost/internal/app"
)

// Every kind of watch file through the server (issue 9, "Done means"): a
// post per recording in activitytest, plus a truncated copy and files no
// reader can use made here. Each page serves; the run card shows the
// file's distance and time — the device's own totals, where the file has
// them and they are the run's, within 1% — and the charts the file can
// give; a file that cannot be read leaves the post without charts, and
// the site's warnings and `milepost check` name the file and why.

// fileCase is one activity file in a post's bundle.
type fileCase struct {
	name string // the file's name in the bundle
	data []byte
	// device names the device totals the card is checked against:
	// "distance and time", "distance", or "" for the file's derived
	// figures (the comment of each says why).
	device string
	// time is the card's time exactly, where the case pins it: "" checks
	// the time against the figure device names, within 1%.
	time   string
	charts []string // the charts drawn, in page order
	// unreadable is what the warning says of a file no reader can use;
	// "" for a readable one.
	unreadable string
}

func activityFileCases(t *testing.T) []fileCase {
	tri := activitytest.File(t, "triathlon_fr255.fit")
	all := []string{"route", "elevation", "pace", "heart-rate", "splits"}
	return []fileCase{
		// A real run off the bike: the triathlon's running leg, 4.49 km.
		{name: "triathlon_fr255.fit", data: tri, device: "distance and time", charts: all},
		// The SDK's multisport: its trail-run leg has a timer and heart
		// rate but no GPS and no distance, so nothing to draw over
		// distance; the bike leg is left out. With no distance there is
		// no movement to tell pauses from, so the leg's time is its
		// device timer, 21.519 s: the card shows 0:22 and no distance.
		{name: "activity_multisport.fit", data: activitytest.File(t, "activity_multisport.fit"), device: "distance and time", time: "0:22"},
		// Records only, no sessions (the SDK's "truncated" example): 14
		// points, 6 m; read as it is, without device totals.
		{name: "activity_truncated.fit", data: activitytest.File(t, "activity_truncated.fit"), charts: []string{"elevation", "pace"}},
		// Four FIT files chained: a walk of 60 m with a heart-rate strap.
		// The walker stood for most of its five minutes with the timer
		// running (no auto-pause), too slow over the whole to tell pauses
		// from: the card's time is the device's timer, 308.545 s, shown
		// as 5:09 — not the few seconds a drifting fix looked fast.
		{name: "HrmPluginTestActivity.fit", data: activitytest.File(t, "HrmPluginTestActivity.fit"), device: "distance and time", time: "5:09", charts: []string{"elevation", "pace", "heart-rate"}},
		// GPX with heart rate (a ride's first kilometre) and GPX with a
		// minute's pause; neither has device totals.
		{name: "garmin_connect_hr.gpx", data: activitytest.File(t, "garmin_connect_hr.gpx"), charts: []string{"route", "elevation", "pace", "heart-rate"}},
		{name: "polar_pacer_pause.gpx", data: activitytest.File(t, "polar_pacer_pause.gpx"), charts: []string{"elevation", "pace"}},
		// TCX: its lap's totals (1000 m) are the device's for the whole
		// lap, not for the 265 m excerpt, so the derived figures stand.
		{name: "garmin_running.tcx", data: activitytest.File(t, "garmin_running.tcx"), charts: []string{"elevation", "pace", "heart-rate"}},
		// The triathlon cut short in its running leg: the legs before it
		// are left out as in the whole file, the run read to where the
		// file ends.
		{name: "cut-short.fit", data: tri[:len(tri)*95/100], charts: all},
		// Cut inside its first message, and a GPX of no points.
		{name: "cut-at-200-bytes.fit", data: tri[:200], unreadable: "not a readable FIT file"},
		{name: "no-points.gpx", data: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>Nothing</name><trkseg></trkseg></trk></gpx>
`), unreadable: "no track points"},
	}
}

func TestEveryKindOfActivityFileIsServedWithItsFigures(t *testing.T) {
	for _, fc := range activityFileCases(t) {
		t.Run(fc.name, func(t *testing.T) {
			h := newHarness(t, siteFiles{
				"posts/run/index.md":   post("title: A run\ndate: 2026-06-14\nauthor: kay\nactivity: "+fc.name, "Out the door."),
				"posts/run/" + fc.name: string(fc.data),
			})
			res := h.get("/posts/run/")
			if res.status != http.StatusOK {
				t.Fatalf("status %d\n%s", res.status, res.body)
			}
			var drawn []string
			for _, kind := range []string{"route", "elevation", "pace", "heart-rate", "splits"} {
				if chartSVG(res.body, kind) != "" {
					drawn = append(drawn, kind)
				}
			}
			if !slices.Equal(drawn, fc.charts) {
				t.Errorf("charts %q, want %q", drawn, fc.charts)
			}
			if fc.unreadable != "" {
				wantNamedWarning(t, h, fc.name, fc.unreadable)
				if card := runCard(t, res.body); len(card) != 0 {
					t.Errorf("an unreadable file's post shows a run card %q", card)
				}
				return
			}
			if w := h.site.Warnings; len(w) > 0 {
				t.Errorf("a readable file gives warnings %v", w)
			}
			act, err := activity.Read(context.Background(), fc.name, bytes.NewReader(fc.data))
			if err != nil {
				t.Fatal(err)
			}
			s := activity.Derive(act)
			wantM, wantS := s.DistanceM, s.MovingS
			if strings.Contains(fc.device, "distance") {
				wantM = act.Device.DistanceM
			}
			if strings.Contains(fc.device, "time") {
				wantS = act.Device.TimerS
			}
			card := cardFigures(runCard(t, res.body))
			t.Logf("card %q; device %+v; derived %.1f m, %.1f s moving", runCard(t, res.body), act.Device, s.DistanceM, s.MovingS)
			checkFigure(t, "distance", card["Distance"], wantM, parseDistanceM)
			checkFigure(t, "time", card["Time"], wantS, parseSeconds)
			if fc.time != "" && card["Time"] != fc.time {
				t.Errorf("the card's time %q, want %q", card["Time"], fc.time)
			}
		})
	}
}

// wantNamedWarning fails unless the site's warnings and `milepost check`
// name the file and why it cannot be used.
func wantNamedWarning(t *testing.T, h *harness, file, why string) {
	t.Helper()
	var warnings []string
	for _, w := range h.site.Warnings {
		warnings = append(warnings, w.Error())
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], `"`+file+`"`) || !strings.Contains(warnings[0], why) {
		t.Errorf("warnings %q, want one naming %s and %q", warnings, file, why)
	}
	var out bytes.Buffer
	if _, err := app.Check(context.Background(), app.CheckConfig{ContentDir: h.dir, Stdout: &out}); err == nil {
		t.Errorf("milepost check found no problem:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "posts/run/index.md:") || !strings.Contains(out.String(), file) || !strings.Contains(out.String(), why) {
		t.Errorf("milepost check says:\n%s\nwant the post, %s and %q", out.String(), file, why)
	}
}

// cardFigures are the run card's lines by their term.
func cardFigures(lines []string) map[string]string {
	out := map[string]string{}
	for _, l := range lines {
		term, value, _ := strings.Cut(l, ": ")
		out[term] = value
	}
	return out
}

// checkFigure fails unless the card's text for a figure is want within
// 1%, or within the text's own rounding for a small figure; a figure of
// 0 must not be shown.
func checkFigure(t *testing.T, what, text string, want float64, parse func(string) (value, rounding float64, ok bool)) {
	t.Helper()
	if !(want > 0) {
		if text != "" {
			t.Errorf("the card shows the %s %q of a file with none", what, text)
		}
		return
	}
	got, rounding, ok := parse(text)
	if !ok {
		t.Errorf("the card's %s %q, want about %.1f", what, text, want)
		return
	}
	if diff := math.Abs(got - want); diff > math.Max(0.01*want, rounding) {
		t.Errorf("the card's %s %q is %.1f, want %.1f within 1%%", what, text, got, want)
	}
}

// parseDistanceM reads "4.49 km" as metres, and how much its rounding may
// hide.
func parseDistanceM(text string) (m, rounding float64, ok bool) {
	number, unit, _ := strings.Cut(text, " ")
	v, err := strconv.ParseFloat(number, 64)
	if err != nil || unit != "km" {
		return 0, 0, false
	}
	// activity.DistanceText keeps two decimals under 10 km, one above.
	decimals := 1.0
	if v < 10 {
		decimals = 2
	}
	return v * 1000, 0.5 * math.Pow(10, -decimals) * 1000, true
}

// parseSeconds reads "26:11" or "1:02:05" as seconds, and its rounding.
func parseSeconds(text string) (s, rounding float64, ok bool) {
	if text == "" {
		return 0, 0, false
	}
	for _, part := range strings.Split(text, ":") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return 0, 0, false
		}
		s = s*60 + float64(n)
	}
	return s, 0.5, true
}
