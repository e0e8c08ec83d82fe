package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"milepost/internal/federation"
)

// TestFederationUnderABaseURLWithAPath: a site at http://host/blog/ is
// found by WebFinger and NodeInfo at the host's root, where servers look;
// a Follow signed for its prefixed inbox (the path the sender signed has
// the prefix) is accepted, and so is one to the shared inbox; the Accept
// and a new post's Create are signed so that the fake instance verifies
// them with the key it fetches from the prefixed actor, and every id in
// them has the prefix.
func TestFederationUnderABaseURLWithAPath(t *testing.T) {
	h := newFedHarnessAt(t, true, "/blog", nil)
	f := newFakeInstance(t)
	host := strings.TrimPrefix(h.srv.URL, "http://")
	kay := h.base + "/ap/actors/kay"
	if !strings.HasSuffix(h.base, "/blog") {
		t.Fatalf("base %q", h.base)
	}

	res := h.get("/.well-known/webfinger?resource=" + url.QueryEscape("acct:kay@"+host))
	if res.status != http.StatusOK {
		t.Fatalf("webfinger at the host's root: %d %s", res.status, res.body)
	}
	var jrd struct{ Links []struct{ Rel, Href string } }
	if err := json.Unmarshal([]byte(res.body), &jrd); err != nil {
		t.Fatal(err)
	}
	var self string
	for _, l := range jrd.Links {
		if l.Rel == "self" {
			self = l.Href
		}
	}
	if self != kay {
		t.Fatalf("webfinger's self link %q, want %q", self, kay)
	}
	if res := h.get("/blog/.well-known/webfinger?resource=" + url.QueryEscape("acct:kay@"+host)); res.status != http.StatusOK {
		t.Errorf("webfinger under the prefix: %d", res.status)
	}
	res = h.get("/.well-known/nodeinfo")
	if res.status != http.StatusOK || !strings.Contains(res.body, h.base+"/nodeinfo/2.1") {
		t.Fatalf("nodeinfo at the host's root: %d %s", res.status, res.body)
	}
	if res := h.get("/blog/nodeinfo/2.1"); res.status != http.StatusOK {
		t.Errorf("the nodeinfo document it links: %d", res.status)
	}
	// Nothing else of the site is served outside the prefix.
	if res := h.get("/ap/actors/kay", "Accept", federation.ContentTypeActivity); res.status != http.StatusNotFound {
		t.Errorf("the actor outside the prefix: %d, want 404", res.status)
	}

	actorRes, actor := fetchActivity(t, kay)
	if actorRes != http.StatusOK || actor["id"] != kay || actor["inbox"] != kay+"/inbox" {
		t.Fatalf("the actor: %d %v", actorRes, actor)
	}
	if ep, _ := actor["endpoints"].(map[string]any); ep["sharedInbox"] != h.base+"/inbox" {
		t.Errorf("sharedInbox %v", actor["endpoints"])
	}

	follow := map[string]any{"@context": "https://www.w3.org/ns/activitystreams", "id": f.actorID("alice") + "#follows/1",
		"type": "Follow", "actor": f.actorID("alice"), "object": kay}
	if res := f.send(h, "/blog/ap/actors/kay/inbox", follow, "alice", f.key("alice"), time.Now()); res.status != http.StatusAccepted {
		t.Fatalf("a signed Follow to the prefixed inbox: %d %s", res.status, res.body)
	}
	accept := f.next(t, "Accept")
	if accept["actor"] != kay || !strings.HasPrefix(accept["id"].(string), kay+"#") {
		t.Errorf("accept %v", accept)
	}
	follow["id"], follow["actor"] = f.actorID("bob")+"#follows/1", f.actorID("bob")
	follow["object"] = h.base + "/ap/actors/site"
	if res := f.send(h, "/blog/inbox", follow, "bob", f.key("bob"), time.Now()); res.status != http.StatusAccepted {
		t.Fatalf("a signed Follow to the prefixed shared inbox: %d %s", res.status, res.body)
	}
	f.next(t, "Accept")

	h.change("posts/long-run.md", post("title: Long run\ndate: 2026-11-20\nauthor: kay", "Twenty miles, see [the first](/blog/posts/first-run/)."))
	create := f.next(t, "Create")
	article, _ := create["object"].(map[string]any)
	if create["actor"] != kay || article["id"] != h.base+"/ap/posts/long-run" || article["url"] != h.base+"/posts/long-run/" ||
		article["attributedTo"] != kay {
		t.Errorf("create %v", create)
	}
	if !strings.Contains(article["content"].(string), `href="`+h.base+`/posts/first-run/"`) {
		t.Errorf("content %s", article["content"])
	}
	if status, a := fetchActivity(t, article["id"].(string)); status != http.StatusOK || a["id"] != article["id"] {
		t.Errorf("the Article's id does not dereference: %d", status)
	}
}

// fetchActivity GETs an ActivityPub document by its full address.
func fetchActivity(t *testing.T, addr string) (int, map[string]any) {
	t.Helper()
	res, body := fetch(t, addr, "Accept", federation.ContentTypeActivity)
	var doc map[string]any
	if res.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), &doc); err != nil {
			t.Fatalf("GET %s: not JSON: %v", addr, err)
		}
	}
	return res.StatusCode, doc
}
