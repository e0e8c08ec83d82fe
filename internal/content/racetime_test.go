package content

import (
	"testing"
	"time"
)

// A race's clock does not stop when the runner does: a race without a
// time of its own takes the file's elapsed time, pauses included; any
// other run takes its moving time.
func TestARaceWithoutATimeTakesTheFilesElapsedTime(t *testing.T) {
	gpx := activityFixture(t, "polar_pacer_pause.gpx") // stands still for over a minute
	site := loadSite(t, files{
		"posts/race/index.md":  "---\ntitle: Race\ndate: 2024-05-01\nactivity: run.gpx\nrun:\n  race: Mile of Pauses\n---\n",
		"posts/race/run.gpx":   gpx,
		"posts/typed/index.md": "---\ntitle: Typed\ndate: 2024-05-01\nactivity: run.gpx\nrun:\n  type: race\n---\n",
		"posts/typed/run.gpx":  gpx,
		"posts/easy/index.md":  "---\ntitle: Easy\ndate: 2024-05-01\nactivity: run.gpx\nrun:\n  type: easy\n---\n",
		"posts/easy/run.gpx":   gpx,
		"posts/timed/index.md": "---\ntitle: Timed\ndate: 2024-05-01\nactivity: run.gpx\nrun:\n  race: Mile of Pauses\n  official: \"3:05\"\n---\n",
		"posts/timed/run.gpx":  gpx,
	})
	v := View{Site: site, Now: time.Now()}
	s := v.Post("easy").Run.Activity.Summary
	if s.ElapsedS-s.MovingS < 60 {
		t.Fatalf("the file's pause: moving %v s, elapsed %v s", s.MovingS, s.ElapsedS)
	}
	for slug, want := range map[string]float64{"race": s.ElapsedS, "typed": s.ElapsedS, "easy": s.MovingS, "timed": 185} {
		if got := v.Post(slug).Run.TimeS; got != want {
			t.Errorf("%s: time %v s, want %v (moving %v, elapsed %v)", slug, got, want, s.MovingS, s.ElapsedS)
		}
	}
}
