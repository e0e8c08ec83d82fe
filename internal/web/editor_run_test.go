package web_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/activity/activitytest"
	"milepost/internal/content"
)

func TestTheEditorFormHasTheRunsFields(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	form := kay.get("/admin/posts/new")
	mustContain(t, "the new post form", form.body, `<legend>The run</legend>`,
		`<select id="run-type" name="run_type"`, `<option value="race">race</option>`, `<option value="" selected>Not said</option>`,
		`<label for="run-distance">Distance`, `name="run_distance"`, `<label for="run-time">Time`, `name="run_time"`,
		`<label for="run-race">Race`, `name="run_race"`,
		`<input id="post-activity" name="activity" type="file" accept=".fit,.gpx,.tcx,.gz"`)
}

func TestARunAndItsActivityFileAreSavedFromTheEditorAndShownBack(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	res := kay.postFiles("/admin/posts/new", newPostFields(t, kay, "title", "Tri day", "body", "Swim, bike, run.\r\n",
		"run_type", "race", "run_distance", " 4.5   km ", "run_time", "", "run_race", "Hood Tri", "action", "publish"),
		"activity", false, upload{name: "Garmin Export.FIT", data: activitytest.File(t, "triathlon_fr255.fit")})
	wantStatus(t, "publishing with an activity file", res, http.StatusSeeOther)

	if got, want := h.bundleFiles("posts/tri-day"), []string{"garmin-export.fit", "index.md"}; !slices.Equal(got, want) {
		t.Fatalf("the bundle holds %v, want %v", got, want)
	}
	want := "---\ntitle: Tri day\ndate: 2026-11-20T09:30:00Z\nauthor: kay\nactivity: garmin-export.fit\nrun:\n  type: race\n  distance: 4.5 km\n  race: Hood Tri\n---\n\nSwim, bike, run.\n"
	if got := h.readFile("posts/tri-day/index.md"); got != want {
		t.Errorf("the post file:\n%s\nwant:\n%s", got, want)
	}
	if got := h.get("/posts/tri-day/garmin-export.fit"); got.status != http.StatusNotFound {
		t.Errorf("the original activity file is served: %d", got.status)
	}
	site, err := content.Load(context.Background(), h.dir, content.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	post := content.View{Site: site, Now: h.clock.Now()}.Post("tri-day")
	if post == nil {
		t.Fatalf("the post is not on the site; problems %v", site.Problems)
	}
	if run := post.Run; run == nil || run.Activity == nil || run.DistanceM != 4500 || run.Race == nil || run.Race.Name != "Hood Tri" {
		t.Errorf("the site reads the run as %+v", run)
	}
	edit := kay.get("/admin/posts/tri-day/edit")
	mustContain(t, "the edit form", edit.body, `<option value="race" selected>race</option>`, `value="4.5 km"`, `value="Hood Tri"`,
		`Now: <code>garmin-export.fit</code>`)
}

func TestAnUnreadableActivityFileRefusesTheSaveKeepingWhatWasTyped(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay")
	for _, c := range []struct{ what, name, data, want string }{
		{"garbage", "run.fit", "this is no FIT file", "run.fit"},
		{"a photo", "finish.jpg", "x", "not a FIT, GPX or TCX file"},
	} {
		t.Run(c.what, func(t *testing.T) {
			res := kay.postFiles("/admin/posts/new", newPostFields(t, kay, "title", "Refused", "body", "My words stay.",
				"run_type", "tempo", "run_distance", "10 km", "run_time", "45:10", "run_race", "", "action", "draft"),
				"activity", false, upload{name: c.name, data: []byte(c.data)})
			wantStatus(t, "saving", res, http.StatusUnprocessableEntity)
			mustContain(t, "the answer", res.body, "the activity file “"+c.name+"” cannot be used", c.want, "My words stay.",
				`<option value="tempo" selected>tempo</option>`, `value="10 km"`, `value="45:10"`)
			if files := h.bundleFiles("posts/refused"); len(files) != 0 {
				t.Errorf("a refused save left %v", files)
			}
			if strings.Contains(res.body, "this is no FIT file") {
				t.Error("the answer shows the file's bytes")
			}
		})
	}
}
