package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
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

// TestModeratorsBanAFediverseAccountOrServer: a moderator, who cannot
// block instances, can still keep a fediverse troll out of the comments.
// Under a reply from the fediverse the moderation list names the account
// and links to a ban form filled in with it; once banned, the account's
// replies are not made comments while another account's still are; a ban
// of the server's domain keeps out every account on it. A ban the form
// refuses is shown back as it was typed.
func TestModeratorsBanAFediverseAccountOrServer(t *testing.T) {
	h := newFedHarness(t, true)
	f := newFakeInstance(t)
	h.change("site.yaml", strings.Replace(fedSiteYAML, "BASE", h.base, 1)+"comments:\n  moderation: open\n")
	article := h.base + "/ap/posts/first-run"
	n := 0
	// reply sends a reply from who and returns its comment, or nil.
	reply := func(who, content string) *comments.Comment {
		t.Helper()
		n++
		id := fmt.Sprintf("%s/statuses/%d", f.actorID(who), n)
		res := f.send(h, "/inbox", map[string]any{"id": id + "/activity", "type": "Create", "actor": f.actorID(who),
			"object": map[string]any{"id": id, "type": "Note", "attributedTo": f.actorID(who), "inReplyTo": article,
				"content": content, "to": []any{"https://www.w3.org/ns/activitystreams#Public"}}},
			who, f.key(who), time.Now())
		if res.status != http.StatusAccepted {
			t.Fatalf("a reply from %s: %d %s", who, res.status, res.body)
		}
		cs, _, err := h.comments.Recent(context.Background(), 1, 50)
		if err != nil {
			t.Fatal(err)
		}
		for i := range cs {
			if cs[i].Source == "activitypub:"+id {
				return &cs[i]
			}
		}
		return nil
	}
	if c := reply("alice", "<p>Buy my running plan!</p>"); c == nil || c.Actor != f.actorID("alice") {
		t.Fatalf("alice's first reply: %+v, want a comment from her actor", c)
	}

	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	list := mod.get("/admin/comments/")
	if !strings.Contains(list.body, "Fediverse account: <a href=\""+f.actorID("alice")+"\"") {
		t.Errorf("the moderation list does not name alice's account:\n%.3000s", list.body)
	}
	link := regexp.MustCompile(`<a href="(/admin/bans/\?comment=\d+)">Ban this account…</a>`).FindStringSubmatch(list.body)
	if link == nil {
		t.Fatalf("no link to ban alice's account:\n%.3000s", list.body)
	}
	form := mod.get(html.UnescapeString(link[1]))
	if !strings.Contains(form.body, `<option value="fediverse" selected>`) || !strings.Contains(form.body, `value="`+f.actorID("alice")+`"`) {
		t.Errorf("the ban form is not filled in with alice's account:\n%.3000s", form.body)
	}
	if res := mod.postForm("/admin/bans/", url.Values{"kind": {"fediverse"}, "value": {f.actorID("alice")}, "duration": {"forever"},
		"reason": {"selling"}, "back": {"/admin/bans/"}}); res.status != http.StatusSeeOther {
		t.Fatalf("banning alice: %d %.500s", res.status, res.body)
	}
	if c := reply("alice", "<p>Buy it now!</p>"); c != nil {
		t.Errorf("a banned account's reply became a comment: %+v", c)
	}
	if c := reply("bob", "<p>Nice hills.</p>"); c == nil || c.Status != comments.StatusApproved {
		t.Errorf("another account on the same server, after alice's ban: %+v", c)
	}

	// The whole server: bob is kept out too.
	server := strings.Split(strings.TrimPrefix(f.srv.URL, "http://"), ":")[0]
	if res := mod.postForm("/admin/bans/", url.Values{"kind": {"fediverse"}, "value": {server}, "duration": {"7d"},
		"back": {"/admin/bans/"}}); res.status != http.StatusSeeOther {
		t.Fatalf("banning the server %s: %d %.500s", server, res.status, res.body)
	}
	if c := reply("bob", "<p>Still here?</p>"); c != nil {
		t.Errorf("a reply from a banned server became a comment: %+v", c)
	}

	refused := mod.postForm("/admin/bans/", url.Values{"kind": {"fediverse"}, "value": {"not a server"}, "duration": {"30d"},
		"reason": {"spam run"}, "back": {"/admin/bans/"}})
	if refused.status != http.StatusUnprocessableEntity && refused.status != http.StatusBadRequest {
		t.Errorf("a ban of %q: %d, want a refusal", "not a server", refused.status)
	}
	for _, want := range []string{`<option value="fediverse" selected>`, `value="not a server"`, `<option value="30d" selected>`, `value="spam run"`} {
		if !strings.Contains(refused.body, want) {
			t.Errorf("the refused ban form lost %s:\n%.3000s", want, refused.body)
		}
	}
}
