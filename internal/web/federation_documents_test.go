package web_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"milepost/internal/federation"
	"milepost/internal/media/mediatest"
)

// TestFederationCollectionsAndTheActorsAddresses: the actor of an author
// with a photo has it as its icon (which dereferences); an outbox longer
// than a page has a next page that serves the rest; every collection and
// page is application/activity+json with the ActivityStreams @context; and
// the actor's inbox, as its document names it, takes a signed POST.
func TestFederationCollectionsAndTheActorsAddresses(t *testing.T) {
	h := newFedHarness(t, true)
	f := newFakeInstance(t)
	files := siteFiles{"authors/kay.jpg": string(mediatest.JPEG(t, mediatest.Halves(200, 200)))}
	for i := range federation.PageSize + 4 {
		files[fmt.Sprintf("posts/easy-%02d.md", i)] = post(fmt.Sprintf("title: Easy %d\ndate: 2026-10-%02dT07:00:00Z\nauthor: kay", i, i+1), "Easy.")
	}
	writeSiteFiles(t, h.dir, files)
	h.change("authors/kay.md", authorFile)
	total := federation.PageSize + 5 // and first-run

	kay := h.base + "/ap/actors/kay"
	status, actor := fetchActivity(t, kay)
	if status != http.StatusOK {
		t.Fatalf("the actor: %d", status)
	}
	icon, _ := actor["icon"].(map[string]any)
	if icon["type"] != "Image" || icon["url"] != h.base+"/authors/kay/avatar.jpg" {
		t.Errorf("icon %v", actor["icon"])
	} else if res, _ := fetch(t, fmt.Sprint(icon["url"])); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("the icon %v: %d %q", icon["url"], res.StatusCode, res.Header.Get("Content-Type"))
	}

	collection := func(addr string) map[string]any {
		t.Helper()
		res, body := fetch(t, addr, "Accept", federation.ContentTypeActivity)
		if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != federation.ContentTypeActivity {
			t.Fatalf("GET %s: %d %q", addr, res.StatusCode, res.Header.Get("Content-Type"))
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("GET %s: not JSON: %v", addr, err)
		}
		if doc["@context"] != "https://www.w3.org/ns/activitystreams" {
			t.Errorf("GET %s: @context %v", addr, doc["@context"])
		}
		return doc
	}
	outbox := collection(fmt.Sprint(actor["outbox"]))
	if outbox["totalItems"] != float64(total) {
		t.Errorf("outbox totalItems %v, want %d", outbox["totalItems"], total)
	}
	first := collection(fmt.Sprint(outbox["first"]))
	if items, _ := first["orderedItems"].([]any); len(items) != federation.PageSize || first["next"] == nil {
		t.Fatalf("the first page: %d items, next %v", len(items), first["next"])
	}
	second := collection(fmt.Sprint(first["next"]))
	items, _ := second["orderedItems"].([]any)
	if len(items) != total-federation.PageSize || second["next"] != nil || second["prev"] != first["id"] {
		t.Errorf("the next page: %d items, next %v, prev %v", len(items), second["next"], second["prev"])
	}
	if len(items) > 0 {
		last := items[len(items)-1].(map[string]any)["object"].(map[string]any)
		if last["id"] != h.base+"/ap/posts/easy-00" {
			t.Errorf("the oldest post is not last on the last page: %v", last["id"])
		}
	}
	followers := collection(fmt.Sprint(actor["followers"]))
	if followers["type"] != "OrderedCollection" {
		t.Errorf("followers %v", followers)
	}

	// The inbox the actor names takes a signed Follow.
	inbox := fmt.Sprint(actor["inbox"])
	if !strings.HasPrefix(inbox, h.srv.URL+"/") {
		t.Fatalf("inbox %q is not on the site", inbox)
	}
	res := f.send(h, strings.TrimPrefix(inbox, h.srv.URL), map[string]any{"id": f.actorID("alice") + "#follows/1", "type": "Follow",
		"actor": f.actorID("alice"), "object": kay}, "alice", f.key("alice"), time.Now())
	if res.status != http.StatusAccepted {
		t.Fatalf("a signed Follow to the actor's inbox: %d %s", res.status, res.body)
	}
	f.next(t, "Accept")
	followers = collection(fmt.Sprint(actor["followers"]) + "?page=1")
	if followers["type"] != "OrderedCollectionPage" || fmt.Sprint(followers["orderedItems"]) != "["+f.actorID("alice")+"]" {
		t.Errorf("the followers page %v", followers)
	}
}

// TestReadingPagesMakesNoRequestToOtherServers: once a follower and a
// reply have come in (and the Accept has gone out), a reader's views of
// the post, its author, the home page and the feeds send nothing to the
// fediverse: no key fetch, no delivery.
func TestReadingPagesMakesNoRequestToOtherServers(t *testing.T) {
	h, f := followedHarness(t)
	id := f.actorID("bob") + "/statuses/1"
	res := f.send(h, "/inbox", map[string]any{"id": id + "/activity", "type": "Create", "actor": f.actorID("bob"),
		"object": map[string]any{"id": id, "type": "Note", "attributedTo": f.actorID("bob"), "inReplyTo": h.base + "/ap/posts/first-run",
			"content": "<p>Nice one.</p>", "to": []any{"https://www.w3.org/ns/activitystreams#Public"}}}, "bob", f.key("bob"), time.Now())
	if res.status != http.StatusAccepted {
		t.Fatalf("reply: %d %s", res.status, res.body)
	}
	time.Sleep(200 * time.Millisecond) // anything the worker had left to send
	before := f.requests.Load()
	for range 3 {
		for _, path := range []string{"/posts/first-run/", "/authors/kay/", "/", "/comments.xml", "/posts/first-run/comments.xml", "/feed.xml"} {
			if res := h.get(path); res.status != http.StatusOK {
				t.Errorf("GET %s: %d", path, res.status)
			}
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := f.requests.Load() - before; n != 0 {
		t.Errorf("page views made %d requests to the fake instance", n)
	}
	select {
	case act := <-f.delivered:
		t.Errorf("a page view delivered a %v", act["type"])
	default:
	}
}
