package authoring_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"milepost/internal/activity"
	"milepost/internal/activity/activitytest"
	"milepost/internal/authoring"
	"milepost/internal/content"
)

func TestAnActivityFileIsStoredUnderANewNameAndNamedByActivity(t *testing.T) {
	s := newSite(t)
	s.write("posts/hills/index.md", draftPost)
	s.write("posts/hills/run.fit", "kept")
	p := s.open("hills")
	e := unchanged(p)
	e.Run = authoring.RunFields{Type: "race", Race: "Hood Tri"}
	e.ActivityFile = &authoring.ActivityUpload{Name: `C:\watch\RUN.FIT`, Data: bytes.NewReader(activitytest.File(t, "triathlon_fr255.fit"))}
	saved := s.save(e, p.Version)
	if got, want := s.files("posts/hills"), []string{"index.md", "run-2.fit", "run.fit"}; !slices.Equal(got, want) {
		t.Errorf("the bundle holds %v, want %v", got, want)
	}
	if got := s.read("posts/hills/run.fit"); got != "kept" {
		t.Errorf("an existing file was replaced: %q", got)
	}
	if saved.Activity != "run-2.fit" || !bytes.Equal([]byte(s.read("posts/hills/run-2.fit")), activitytest.File(t, "triathlon_fr255.fit")) {
		t.Errorf("activity: %q, want run-2.fit holding the upload", saved.Activity)
	}
	post := content.View{Site: s.load(), Now: time.Now(), Drafts: true}.Post("hills")
	if post.Run == nil || post.Run.Activity == nil || post.Run.DistanceM < 4400 || post.Run.Race == nil {
		t.Errorf("the site reads the run as %+v", post.Run)
	}
}

func TestAnActivityFileMakesASingleFileABundleAndKeepsItsGzipName(t *testing.T) {
	s := newSite(t)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	if _, err := w.Write(activitytest.File(t, "garmin_running.tcx")); err != nil || w.Close() != nil {
		t.Fatal("gzip", err)
	}
	p := s.open("massage-during-training")
	e := unchanged(p)
	e.ActivityFile = &authoring.ActivityUpload{Name: "Morning Run.tcx.GZ", Data: &gz}
	saved := s.save(e, p.Version)
	if saved.File != "posts/massage-during-training/index.md" || saved.Activity != "morning-run.tcx.gz" {
		t.Errorf("saved as %s with activity %q", saved.File, saved.Activity)
	}
	if got := s.files("posts/massage-during-training"); !slices.Equal(got, []string{"index.md", "morning-run.tcx.gz"}) {
		t.Errorf("the bundle holds %v", got)
	}
}

func TestAnActivityFileTheSiteCannotReadRefusesTheSaveSayingWhy(t *testing.T) {
	truncated := activitytest.File(t, "triathlon_fr255.fit")[:14] // the header, no records
	for _, tc := range []struct {
		name   string
		upload authoring.ActivityUpload
		is     error
	}{
		{"garbage", authoring.ActivityUpload{Name: "run.fit", Data: strings.NewReader("not a FIT file at all")}, activity.ErrUnreadable},
		{"no records", authoring.ActivityUpload{Name: "run.fit", Data: bytes.NewReader(truncated)}, activity.ErrUnreadable},
		{"a photo", authoring.ActivityUpload{Name: "run.jpg", Data: strings.NewReader("x")}, authoring.ErrNotActivity},
		{"a GPX with no track", authoring.ActivityUpload{Name: "run.gpx", Data: strings.NewReader(`<gpx version="1.1"></gpx>`)}, activity.ErrUnreadable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			s.write("posts/hills/index.md", draftPost)
			p := s.open("hills")
			e := unchanged(p)
			e.Body = "Changed."
			upload := tc.upload
			e.ActivityFile = &upload
			_, err := s.svc.Save(context.Background(), e, p.Version)
			var ae *authoring.ActivityError
			if !errors.As(err, &ae) || ae.Name != tc.upload.Name || !errors.Is(err, tc.is) || ae.Reason() == "" {
				t.Fatalf("Save = %v, want an ActivityError naming %q matching %v", err, tc.upload.Name, tc.is)
			}
			if got := s.read("posts/hills/index.md"); got != draftPost {
				t.Errorf("a refused save wrote the post:\n%s", got)
			}
			if got := s.files("posts/hills"); !slices.Equal(got, []string{"index.md"}) {
				t.Errorf("a refused save stored %v", got)
			}
		})
	}
}
