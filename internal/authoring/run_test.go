package authoring_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"milepost/internal/authoring"
	"milepost/internal/content"
)

// A run: mapping written by hand, with comments inside it and keys the
// editor does not edit, in each way a file may write it.
var handWrittenRuns = []struct {
	name, file, text string
	// edited is the file once the editor changed distance and time,
	// added the race and removed the type.
	edited string
}{
	{"YAML block", "posts/marathon.md", "---\ntitle: Marathon\ndate: 2024-10-06\n" +
		"run:\n" +
		"    # from the results page\n" +
		"    type: race      # a PR\n" +
		"    distance: 26.2 mi\n" +
		"    time: '3:30:00' # chip time\n" +
		"    place: 312\n" +
		"    shoes: Pegasus 40\n" +
		"\n# the rest\n" +
		"draft: false\n" +
		"---\nRan it.\n",
		"---\ntitle: Marathon\ndate: 2024-10-06\n" +
			"run:\n" +
			"    # from the results page\n" +
			"    distance: 42.195 km\n" +
			"    time: 3:28:15 # chip time\n" +
			"    place: 312\n" +
			"    shoes: Pegasus 40\n" +
			"    race: Portland Marathon\n" +
			"\n# the rest\n" +
			"draft: false\n" +
			"---\nRan it.\n"},
	{"TOML table", "posts/marathon.md", "+++\ntitle = \"Marathon\"\ndate = 2024-10-06\n\n" +
		"# the run\n[run]\n" +
		"type = \"race\"   # a PR\n" +
		"distance = \"26.2 mi\"\n" +
		"# chip time\n" +
		"time = \"3:30:00\"\n" +
		"place = 312\n" +
		"\n[params]\nweather = \"rain\"\n" +
		"+++\nRan it.\n",
		"+++\ntitle = \"Marathon\"\ndate = 2024-10-06\n\n" +
			"# the run\n[run]\n" +
			"distance = \"42.195 km\"\n" +
			"# chip time\n" +
			"time = \"3:28:15\"\n" +
			"place = 312\n" +
			"race = \"Portland Marathon\"\n" +
			"\n[params]\nweather = \"rain\"\n" +
			"+++\nRan it.\n"},
	{"TOML dotted keys", "posts/marathon.md", "+++\ntitle = \"Marathon\"\ndate = 2024-10-06\n" +
		"run.type = \"race\"\n" +
		"run.distance = \"26.2 mi\"\n" +
		"run.time = \"3:30:00\"\n" +
		"run.shoes = \"Pegasus 40\" # new pair\n" +
		"+++\nRan it.\n",
		"+++\ntitle = \"Marathon\"\ndate = 2024-10-06\n" +
			"run.distance = \"42.195 km\"\n" +
			"run.time = \"3:28:15\"\n" +
			"run.shoes = \"Pegasus 40\" # new pair\n" +
			"run.race = \"Portland Marathon\"\n" +
			"+++\nRan it.\n"},
}

func TestRunFieldsWrittenByHandKeepTheirBytesAndOnlyEditedOnesChange(t *testing.T) {
	for _, tc := range handWrittenRuns {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			s.write(tc.file, tc.text)
			p := s.open("marathon")
			if want := (authoring.RunFields{Type: "race", Distance: "26.2 mi", Time: "3:30:00"}); p.Run != want {
				t.Errorf("opened run fields %+v, want %+v", p.Run, want)
			}
			saved := s.save(unchanged(p), p.Version)
			if got := s.read(tc.file); got != tc.text {
				t.Fatalf("saved without a change, the file became:\n%s", got)
			}
			e := unchanged(saved)
			e.Run = authoring.RunFields{Distance: "42.195 km", Time: "3:28:15", Race: "Portland Marathon"}
			s.save(e, saved.Version)
			if got := s.read(tc.file); got != tc.edited {
				t.Errorf("after the edit:\n%s\nwant:\n%s", got, tc.edited)
			}
			site := s.load()
			if len(site.Warnings) > 0 {
				t.Errorf("the edited file has warnings: %v", site.Warnings)
			}
			post := content.View{Site: site, Now: time.Now()}.Post("marathon")
			if r := post.Run; r == nil || r.DistanceM != 42195 || r.TimeS != 3*3600+28*60+15 || r.Race == nil || r.Race.Name != "Portland Marathon" || r.Type != "" {
				t.Errorf("content reads the edited run as %+v", r)
			}
		})
	}
}

func TestARunBlockIsAddedWhereThereWasNoneAndGoesWhenEmptied(t *testing.T) {
	for _, tc := range []struct{ name, text, withRun string }{
		{"YAML", "---\ntitle: Easy\ndate: 2024-05-01\n---\nSlow.\n",
			"---\ntitle: Easy\ndate: 2024-05-01\nrun:\n  type: easy\n  distance: 8 km\n---\nSlow.\n"},
		{"TOML", "+++\ntitle = \"Easy\"\ndate = 2024-05-01\n\n[params]\nmood = \"good\"\n+++\nSlow.\n",
			"+++\ntitle = \"Easy\"\ndate = 2024-05-01\n\n[params]\nmood = \"good\"\n[run]\ntype = \"easy\"\ndistance = \"8 km\"\n+++\nSlow.\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSite(t)
			s.write("posts/easy.md", tc.text)
			p := s.open("easy")
			e := unchanged(p)
			e.Run = authoring.RunFields{Type: "easy", Distance: "8 km"}
			p = s.save(e, p.Version)
			if got := s.read("posts/easy.md"); got != tc.withRun {
				t.Fatalf("with a run:\n%s\nwant:\n%s", got, tc.withRun)
			}
			e = unchanged(p)
			e.Run = authoring.RunFields{}
			s.save(e, p.Version)
			if got := s.read("posts/easy.md"); got != tc.text {
				t.Errorf("with the run emptied:\n%s\nwant:\n%s", got, tc.text)
			}
		})
	}
}

func TestARunWrittenOnOneLineIsLeftToAHandEdit(t *testing.T) {
	s := newSite(t)
	text := "---\ntitle: Tempo\ndate: 2024-05-01\nrun: {type: tempo, distance: 10 km}\n---\nFast.\n"
	s.write("posts/tempo.md", text)
	p := s.open("tempo")
	p = s.save(unchanged(p), p.Version)
	if got := s.read("posts/tempo.md"); got != text {
		t.Fatalf("saved without a change, the file became:\n%s", got)
	}
	e := unchanged(p)
	e.Run.Distance = "12 km"
	_, err := s.svc.Save(context.Background(), e, p.Version)
	if !errors.Is(err, authoring.ErrRunByHand) {
		t.Errorf("Save = %v, want ErrRunByHand", err)
	}
	if got := s.read("posts/tempo.md"); got != text {
		t.Errorf("a refused save changed the file:\n%s", got)
	}
}

func TestANewPostWithARun(t *testing.T) {
	s := newSite(t)
	e := authoring.Edit{Slug: "long-sunday", By: "kay", Body: "Long.\n",
		Fields: authoring.Fields{Title: "Long Sunday", Date: "2024-05-05", Author: "kay-kays-bird-club",
			Run: authoring.RunFields{Type: "long", Distance: "30 km", Time: "2:45:00"}}}
	s.save(e, "")
	want := "---\ntitle: Long Sunday\ndate: 2024-05-05\nauthor: kay-kays-bird-club\nrun:\n  type: long\n  distance: 30 km\n  time: 2:45:00\n---\n\nLong.\n"
	if got := s.read("posts/long-sunday/index.md"); got != want {
		t.Errorf("new post:\n%s\nwant:\n%s", got, want)
	}
}
