package comments

import (
	"context"
	"testing"
	"time"
)

// Every change readers see gives its post (and the site) a new version;
// every change they do not see leaves the versions as they were.
func TestEveryChangeReadersSeeGivesItsPostANewVersion(t *testing.T) {
	ctx := context.Background()
	settings := openSettings()
	s := New(newMemStore(), Options{Now: func() time.Time { return now }, Settings: func() Settings { return settings }})
	type versions struct{ p, other, site PublicVersion }
	read := func() versions { return versions{s.PostVersion("p"), s.PostVersion("q"), s.SiteVersion()} }
	// step makes a change and checks which of the post's and the site's
	// numbers it changed: none, Seq only (the form), Seq and Comments, or
	// all three (the count).
	step := func(name string, want publicChangeKind, readersSee bool, change func()) {
		t.Helper()
		before := read()
		change()
		after := read()
		if after.other != before.other {
			t.Errorf("%s: another post's version changed", name)
		}
		for _, v := range []struct {
			what          string
			before, after PublicVersion
		}{{"post", before.p, after.p}, {"site", before.site, after.site}} {
			got := [3]bool{v.after.Seq != v.before.Seq, v.after.Comments != v.before.Comments, v.after.Count != v.before.Count}
			wanted := [3]bool{readersSee, readersSee && want >= changedComments, readersSee && want >= changedCount}
			if got != wanted {
				t.Errorf("%s: %s version %+v → %+v: changed Seq, Comments, Count %v, want %v", name, v.what, v.before, v.after, got, wanted)
			}
		}
		if readersSee && after.p.Seq <= before.site.Seq {
			t.Errorf("%s: new version %v is not past %v", name, after.p, before.site)
		}
	}
	if v := s.PostVersion("p"); v.Seq != 0 || !v.Changed.Equal(now) {
		t.Errorf("before any change: %+v, want Seq 0 changed at the start", v)
	}

	var approved, held Comment
	step("a published comment", changedCount, true, func() { approved = post(t, s, Input{Post: "p", Name: "Dana", Body: "Foam rollers."}) })
	step("a held comment", 0, false, func() {
		settings.Moderation = ModerationAll
		held = post(t, s, Input{Post: "p", Name: "Lee", Body: "Held for a moderator."})
		if held.Status != StatusPending {
			t.Fatalf("the comment was not held: %s", held.Status)
		}
	})
	step("a refused comment", 0, false, func() {
		settings.RejectWords = []string{"casino"}
		if _, err := s.Post(ctx, Input{Post: "p", Name: "Bot", Body: "casino"}, Author{}); err == nil {
			t.Fatal("a reject word was posted")
		}
		settings.RejectWords = nil
	})
	step("a held comment edited", 0, false, func() {
		if _, err := s.Edit(ctx, "mod", held.ID, "Still held."); err != nil {
			t.Fatal(err)
		}
	})
	step("a held comment approved", changedCount, true, func() {
		if _, err := s.Approve(ctx, "mod", held.ID); err != nil {
			t.Fatal(err)
		}
	})
	step("a published comment edited", changedComments, true, func() {
		if _, err := s.Edit(ctx, "mod", approved.ID, "Foam rollers, daily."); err != nil {
			t.Fatal(err)
		}
	})
	step("a published comment marked spam", changedCount, true, func() {
		if _, err := s.MarkSpam(ctx, "mod", held.ID); err != nil {
			t.Fatal(err)
		}
	})
	step("a spam comment deleted", 0, false, func() {
		if err := s.Delete(ctx, "mod", held.ID); err != nil {
			t.Fatal(err)
		}
	})
	step("a ban", 0, false, func() {
		if _, err := s.Ban(ctx, "mod", Ban{Kind: BanIP, Value: "192.0.2.9"}); err != nil {
			t.Fatal(err)
		}
	})
	step("a post closed", changedForm, true, func() {
		if err := s.ClosePost(ctx, "mod", "p"); err != nil {
			t.Fatal(err)
		}
	})
	step("a post reopened", changedForm, true, func() {
		if err := s.ReopenPost(ctx, "mod", "p"); err != nil {
			t.Fatal(err)
		}
	})
	step("a published comment deleted", changedCount, true, func() {
		if err := s.Delete(ctx, "mod", approved.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// A writer's own edit and delete change their post's version when readers
// saw the comment, and not while it is held.
func TestAWritersOwnChangesGiveANewVersionOnlyWhenReadersSawTheComment(t *testing.T) {
	ctx := context.Background()
	settings := openSettings()
	s := New(newMemStore(), Options{Now: func() time.Time { return now }, Settings: func() Settings { return settings }})
	mine := Author{IP: "192.0.2.7", CommenterID: "reader-1"}
	shown, err := s.Post(ctx, Input{Post: "p", Name: "Dana", Body: "First."}, mine)
	if err != nil {
		t.Fatal(err)
	}
	v := s.PostVersion("p")
	if _, err := s.EditOwn(ctx, shown.ID, "reader-1", "First, edited."); err != nil {
		t.Fatal(err)
	}
	if w := s.PostVersion("p"); w.Comments == v.Comments || w.Count != v.Count {
		t.Errorf("editing a published comment: %+v → %+v, want new Comments and the same Count", v, w)
	}
	settings.Moderation = ModerationAll
	heldOne, err := s.Post(ctx, Input{Post: "p", Name: "Dana", Body: "Second."}, mine)
	if err != nil || heldOne.Status != StatusPending {
		t.Fatalf("held comment: %v, %s", err, heldOne.Status)
	}
	v = s.PostVersion("p")
	if _, err := s.EditOwn(ctx, heldOne.ID, "reader-1", "Second, edited."); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteOwn(ctx, heldOne.ID, "reader-1"); err != nil {
		t.Fatal(err)
	}
	if s.PostVersion("p") != v {
		t.Error("a held comment's own edit or delete changed the version")
	}
	// Edited under "moderation: all", the published comment is held again:
	// readers no longer see it.
	if _, err := s.EditOwn(ctx, shown.ID, "reader-1", "Edited again."); err != nil {
		t.Fatal(err)
	}
	if w := s.PostVersion("p"); w.Count == v.Count {
		t.Errorf("a published comment held again: %+v → %+v, want a new Count", v, w)
	}
	v = s.PostVersion("p")
	if err := s.DeleteOwn(ctx, shown.ID, "reader-1"); err != nil {
		t.Fatal(err)
	}
	if s.PostVersion("p") != v {
		t.Error("deleting the comment, held by then, changed the version")
	}
}

func TestClosedByAgeFollowsCloseAfterDays(t *testing.T) {
	settings := openSettings()
	settings.CloseAfterDays = 30
	date := now.AddDate(0, 0, -10)
	s := New(newMemStore(), Options{Now: func() time.Time { return now }, Settings: func() Settings { return settings },
		Posts: func(slug string) (PostInfo, bool) { return PostInfo{Date: date}, slug == "p" }})
	if s.ClosedByAge("p", now) {
		t.Error("a post of 10 days closed by an age of 30")
	}
	if !s.ClosedByAge("p", now.AddDate(0, 0, 21)) {
		t.Error("a post of 31 days still open")
	}
	if s.ClosedByAge("nope", now.AddDate(1, 0, 0)) {
		t.Error("an unknown post closed by age")
	}
}
