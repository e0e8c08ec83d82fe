package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/comments"
)

// TestFediverseRepliesFollowTheCommentRules: a reply from the fediverse is
// moderated as a comment written on the site. With moderation open, a
// plain reply is published, one with a hold word or over the link limit
// is held; a reply sent as an Article, not a Note, becomes a comment too.
// An admin's block of one account refuses its replies while another
// account on the same instance is still heard. The published replies are
// in the comment feed and in the export.
func TestFediverseRepliesFollowTheCommentRules(t *testing.T) {
	h := newFedHarness(t, true)
	f := newFakeInstance(t)
	h.change("site.yaml", strings.Replace(fedSiteYAML, "BASE", h.base, 1)+
		"comments:\n  moderation: open\n  hold_words: [casino]\n  link_limit: 1\n")
	article := h.base + "/ap/posts/first-run"
	n := 0
	reply := func(who, typ, content string) (response, string) {
		t.Helper()
		n++
		id := fmt.Sprintf("%s/statuses/%d", f.actorID(who), n)
		res := f.send(h, "/inbox", map[string]any{"id": id + "/activity", "type": "Create", "actor": f.actorID(who),
			"object": map[string]any{"id": id, "type": typ, "attributedTo": f.actorID(who), "inReplyTo": article,
				"content": content, "to": []any{"https://www.w3.org/ns/activitystreams#Public"}}},
			who, f.key(who), time.Now())
		return res, "activitypub:" + id
	}
	commentFrom := func(source string) *comments.Comment {
		t.Helper()
		for _, list := range []func(context.Context, int, int) ([]comments.Comment, int, error){h.comments.Recent, h.comments.Held} {
			cs, _, err := list(context.Background(), 1, 50)
			if err != nil {
				t.Fatal(err)
			}
			for i := range cs {
				if cs[i].Source == source {
					return &cs[i]
				}
			}
		}
		return nil
	}
	for _, tc := range []struct {
		name, who, typ, content string
		want                    comments.Status
	}{
		{"a plain reply", "alice", "Note", "<p>Lovely loop, the park is at its best now.</p>", comments.StatusApproved},
		{"a hold word", "alice", "Note", "<p>Win big at the casino tonight</p>", comments.StatusPending},
		{"links over the limit", "alice", "Note", `<p>See <a href="https://a.example/1">one</a>, <a href="https://b.example/2">two</a> and <a href="https://c.example/3">three</a></p>`, comments.StatusPending},
		{"an Article", "bob", "Article", "<p>I wrote up my own loop of the park.</p>", comments.StatusApproved},
	} {
		res, source := reply(tc.who, tc.typ, tc.content)
		if res.status != http.StatusAccepted {
			t.Fatalf("%s: %d %s", tc.name, res.status, res.body)
		}
		c := commentFrom(source)
		if c == nil {
			t.Errorf("%s: no comment was made", tc.name)
			continue
		}
		if c.Status != tc.want || c.Post != "first-run" {
			t.Errorf("%s: comment %+v, want %s on first-run", tc.name, c, tc.want)
		}
	}

	// An admin blocks alice's account alone.
	h.addUser("root", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("root")
	if res := admin.postForm("/admin/fediverse/block", url.Values{"value": {f.actorID("alice")}, "reason": {"abuse"},
		"back": {"/admin/fediverse/"}}); res.status != http.StatusSeeOther {
		t.Fatalf("blocking alice: %d %.500s", res.status, res.body)
	}
	res, source := reply("alice", "Note", "<p>Let me back in.</p>")
	if res.status != http.StatusForbidden {
		t.Errorf("a blocked account's reply: %d, want 403", res.status)
	}
	if commentFrom(source) != nil {
		t.Error("the blocked account's reply became a comment")
	}
	res, source = reply("bob", "Note", "<p>Same park, different loop.</p>")
	if res.status != http.StatusAccepted {
		t.Fatalf("another account on the blocked account's instance: %d %s", res.status, res.body)
	}
	if c := commentFrom(source); c == nil || c.Status != comments.StatusApproved {
		t.Errorf("bob's reply after alice's block: %+v", c)
	}

	feed := h.get("/comments.xml")
	for _, want := range []string{"Lovely loop", "I wrote up my own loop", "Same park, different loop"} {
		if !strings.Contains(feed.body, want) {
			t.Errorf("the comment feed lacks the fediverse reply %q:\n%.2000s", want, feed.body)
		}
	}
	export, err := h.db.ExportAll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	fromFediverse := 0
	for _, c := range export.Comments {
		if strings.HasPrefix(c.Source, "activitypub:") {
			fromFediverse++
		}
	}
	if fromFediverse != 5 {
		t.Errorf("the export has %d fediverse comments, want 5 (held ones included)", fromFediverse)
	}
}
