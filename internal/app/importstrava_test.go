package app_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"milepost/internal/activity/activitytest"
	"milepost/internal/app"
	"milepost/internal/importer/strava"
)

const sampleAuthor = "kay-kays-bird-club"

// stravaExport writes a small bulk export into a temporary zip: two runs
// with real recordings (a GPX, a gzipped TCX), a run whose title the
// sample site's post has, and a ride.
func stravaExport(t *testing.T) string {
	t.Helper()
	gpx := activitytest.File(t, "polar_pacer_pause.gpx")
	tcx := activitytest.File(t, "garmin_running.tcx")
	var tcxGz bytes.Buffer
	gw := gzip.NewWriter(&tcxGz)
	gw.Write(tcx)
	gw.Close()
	// The columns a real export has around those read, Distance twice.
	csv := "Activity ID,Activity Date,Activity Name,Activity Type,Activity Description,Elapsed Time,Distance,Filename,Elapsed Time,Moving Time,Distance,Elevation Gain\n" +
		"501,\"Mar 2, 2024, 3:10:00 PM\",Tempo Tuesday,Run,\"3 x 2 km at tempo.\nLegs good.\",2700,8.05,activities/501.gpx,2700.0,2610.0,8050.5,35.0\n" +
		"502,\"Mar 3, 2024, 4:00:00 PM\",Morning Ride,Ride,,3600,30.1,activities/502.gpx,3600.0,3500.0,30100.0,120.0\n" +
		"503,\"Mar 9, 2024, 5:00:00 PM\",Massage during training,Run,,1500,4.5,activities/503.tcx.gz,1500.0,1450.0,4500.0,\n"
	path := filepath.Join(t.TempDir(), "export_1234.zip")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for name, data := range map[string][]byte{
		"activities.csv":         []byte(csv),
		"activities/501.gpx":     gpx,
		"activities/502.gpx":     gpx,
		"activities/503.tcx.gz":  tcxGz.Bytes(),
		"profile_images/me.jpeg": []byte("not read"),
	} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// tree lists every file under dir with its size and content, to tell
// that nothing changed.
func tree(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		b.WriteString(p)
		if !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			b.Write(data)
		}
		b.WriteByte('\n')
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestImportStravaWritesDraftBundlesTheSiteLoads(t *testing.T) {
	dir := sampleCopy(t)
	export := stravaExport(t)
	var out strings.Builder
	rep, err := app.ImportStrava(context.Background(), app.ImportStravaConfig{ContentDir: dir, Export: export, Author: sampleAuthor, Stdout: &out})
	if err != nil {
		t.Fatalf("ImportStrava: %v\n%s", err, out.String())
	}
	if len(rep.Imported) != 2 || rep.Count(strava.SkipType) != 1 {
		t.Fatalf("imported %+v, skipped %+v", rep.Imported, rep.Skipped)
	}
	for _, want := range []string{"imported 2 runs from export_1234.zip", "posts/tempo-tuesday/index.md", "posts/massage-during-training-2024-03-09/index.md", "skipped 1: 1 not the type asked for"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the report has no %q:\n%s", want, out.String())
		}
	}

	site := loadContent(t, dir) // fails the test on any content problem
	tempo := everyPost(site, "tempo-tuesday")
	if tempo == nil {
		t.Fatal("no post tempo-tuesday")
	}
	if !tempo.Draft || tempo.Author == nil || tempo.Author.ID != sampleAuthor || tempo.Title != "Tempo Tuesday" {
		t.Errorf("tempo-tuesday: draft %v, author %v, title %q", tempo.Draft, tempo.Author, tempo.Title)
	}
	if got := tempo.Date.Format("2006-01-02 15:04 MST"); got != "2024-03-02 07:10 PST" {
		t.Errorf("date %s, want Strava's 3:10 PM UTC in the site's zone", got)
	}
	if tempo.Params[strava.IDKey] != "501" {
		t.Errorf("strava_id %v", tempo.Params[strava.IDKey])
	}
	if !strings.Contains(string(tempo.HTML()), "Legs good.") {
		t.Errorf("the description is not the body: %s", tempo.HTML())
	}
	// The run: fields as content reads them, and the activity file read.
	if r := tempo.Run; r == nil || r.DistanceM != 8051 || r.TimeS != 2610 || !r.HasElevation || r.ElevationM != 35 || r.Type != "" {
		t.Errorf("tempo-tuesday's run: %+v, want 8051 m in 2610 s with 35 m of gain and no type", r)
	} else if r.Activity == nil || r.Activity.File != "501.gpx" {
		t.Errorf("tempo-tuesday's activity file was not read: %+v (warnings %v)", r.Activity, site.Warnings)
	}
	// No elevation in the export: none written, the file's own is used.
	if r := everyPost(site, "massage-during-training-2024-03-09").Run; r == nil || r.Activity == nil || r.DistanceM != 4500 || r.TimeS != 1450 {
		t.Errorf("the TCX run: %+v", r)
	}
	text, err := os.ReadFile(filepath.Join(dir, "posts", "tempo-tuesday", "index.md"))
	if err != nil {
		t.Fatal(err)
	}
	want := `---
title: "Tempo Tuesday"
date: 2024-03-02T07:10:00-08:00
author: kay-kays-bird-club
draft: true
activity: 501.gpx
run:
    distance: 8.051 km
    time: 43:30
    elevation: 35 m
strava_id: "501"
---

3 x 2 km at tempo.
Legs good.
`
	if string(text) != want {
		t.Errorf("index.md:\n%s\nwant:\n%s", text, want)
	}
	if _, err := os.Stat(filepath.Join(dir, "posts", "tempo-tuesday", "501.gpx")); err != nil {
		t.Errorf("the activity file is not in the bundle: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "posts", "massage-during-training-2024-03-09", "503.tcx.gz")); err != nil {
		t.Errorf("the activity file is not in the bundle: %v", err)
	}
	if hidden, _ := filepath.Glob(filepath.Join(dir, "posts", ".import-strava-*")); len(hidden) != 0 {
		t.Errorf("folders left behind: %q", hidden)
	}

	// The same export again adds nothing, and changes nothing.
	before := tree(t, dir)
	out.Reset()
	rep, err = app.ImportStrava(context.Background(), app.ImportStravaConfig{ContentDir: dir, Export: export, Author: sampleAuthor, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Imported) != 0 || rep.Count(strava.SkipImported) != 2 {
		t.Errorf("a second import: imported %+v, skipped %+v", rep.Imported, rep.Skipped)
	}
	if tree(t, dir) != before {
		t.Error("a second import changed the content directory")
	}
	if !strings.Contains(out.String(), "imported 0 runs") || !strings.Contains(out.String(), "2 already imported") {
		t.Errorf("second report:\n%s", out.String())
	}
}

// A runner who broke an imported post's front matter still has the run:
// it is not imported a second time.
func TestImportStravaKnowsAPostTheSiteCannotLoad(t *testing.T) {
	dir := sampleCopy(t)
	export := stravaExport(t)
	cfg := app.ImportStravaConfig{ContentDir: dir, Export: export, Author: sampleAuthor}
	if _, err := app.ImportStrava(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	index := filepath.Join(dir, "posts", "tempo-tuesday", "index.md")
	text, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(text), "draft: true", "draft: [not, a, bool", 1)
	if err := os.WriteFile(index, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	rep, err := app.ImportStrava(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Imported) != 0 || rep.Count(strava.SkipImported) != 2 {
		t.Errorf("imported %+v, skipped %+v", rep.Imported, rep.Skipped)
	}
}

func TestImportStravaDryRunWritesNothing(t *testing.T) {
	dir := sampleCopy(t)
	before := tree(t, dir)
	var out strings.Builder
	rep, err := app.ImportStrava(context.Background(), app.ImportStravaConfig{ContentDir: dir, Export: stravaExport(t), Author: sampleAuthor, DryRun: true, Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Imported) != 2 || !strings.Contains(out.String(), "would import 2 runs") || !strings.Contains(out.String(), "posts/tempo-tuesday/index.md") {
		t.Errorf("dry run: %+v\n%s", rep.Imported, out.String())
	}
	if tree(t, dir) != before {
		t.Error("a dry run changed the content directory")
	}
}

func TestImportStravaRefusesAnUnknownAuthorAndABadSince(t *testing.T) {
	dir := sampleCopy(t)
	export := stravaExport(t)
	for _, cfg := range []app.ImportStravaConfig{
		{ContentDir: dir, Export: export},
		{ContentDir: dir, Export: export, Author: "nobody"},
		{ContentDir: dir, Export: export, Author: sampleAuthor, Since: "last spring"},
		{ContentDir: dir, Export: filepath.Join(dir, "site.yaml"), Author: sampleAuthor},
	} {
		before := tree(t, dir)
		if _, err := app.ImportStrava(context.Background(), cfg); err == nil {
			t.Errorf("%+v: imported", cfg)
		}
		if tree(t, dir) != before {
			t.Errorf("%+v: changed the content directory", cfg)
		}
	}
}

func TestImportStravaCommandTakesFlagsAfterTheExport(t *testing.T) {
	bin := milepostBinary(t)
	dir := sampleCopy(t)
	code, stdout, stderr := cli(t, bin, "import-strava", stravaExport(t), "-author", sampleAuthor, "-content", dir, "-since", "2024-03-05")
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if !strings.Contains(stdout, "imported 1 run from") || !strings.Contains(stdout, "1 before -since") {
		t.Errorf("stdout:\n%s", stdout)
	}
	if code, _, stderr := cli(t, bin, "import-strava", stravaExport(t), "-content", dir); code != 2 || !strings.Contains(stderr, "-author") {
		t.Errorf("without -author: exit %d\n%s", code, stderr)
	}
}
