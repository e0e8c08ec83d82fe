package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestLikesAreCountedOncePerAccountAndUndoneOnlyByTheirOwner: alice sends
// five Likes of a post, each with its own id: one like. bob's Undo of
// alice's Like (its id alone, as the object) changes nothing; alice's own
// Undo takes it back.
func TestLikesAreCountedOncePerAccountAndUndoneOnlyByTheirOwner(t *testing.T) {
	h := newFedHarness(t, true)
	f := newFakeInstance(t)
	article := h.base + "/ap/posts/first-run"
	send := func(who string, act map[string]any) {
		t.Helper()
		act["actor"] = f.actorID(who)
		if res := f.send(h, "/inbox", act, who, f.key(who), time.Now()); res.status != http.StatusAccepted {
			t.Fatalf("%s from %s: %d %s", act["type"], who, res.status, res.body)
		}
	}
	likes := func() string {
		t.Helper()
		page := h.get("/posts/first-run/")
		for _, want := range []string{"0 likes", "1 like", "2 likes", "5 likes"} {
			if strings.Contains(page.body, want) {
				return want
			}
		}
		return "no likes shown"
	}
	for i := range 5 {
		send("alice", map[string]any{"id": fmt.Sprintf("%s/likes/%d", f.actorID("alice"), i), "type": "Like", "object": article})
	}
	if got := likes(); got != "1 like" {
		t.Fatalf("after alice's five Likes the page shows %q, want 1 like", got)
	}
	send("alice", map[string]any{"id": f.actorID("alice") + "/boosts/1", "type": "Announce", "object": article})
	send("alice", map[string]any{"id": f.actorID("alice") + "/boosts/2", "type": "Announce", "object": article})
	if page := h.get("/posts/first-run/"); !strings.Contains(page.body, "1 boost") {
		t.Errorf("two boosts by alice are not shown as one")
	}

	// bob undoes alice's latest Like, naming it by its id alone.
	send("bob", map[string]any{"id": f.actorID("bob") + "#undo/1", "type": "Undo", "object": f.actorID("alice") + "/likes/4"})
	if got := likes(); got != "1 like" {
		t.Errorf("after bob's Undo of alice's Like the page shows %q, want 1 like", got)
	}
	send("alice", map[string]any{"id": f.actorID("alice") + "#undo/1", "type": "Undo", "object": f.actorID("alice") + "/likes/4"})
	if got := likes(); got != "0 likes" && got != "no likes shown" {
		t.Errorf("after alice's own Undo the page shows %q", got)
	}
}
