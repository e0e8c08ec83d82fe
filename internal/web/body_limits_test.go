package web_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"milepost/internal/accounts"
)

// postUnsized posts a form whose length is not announced (chunked), as a
// client may: only reading it finds it too large.
func (b *browser) postUnsized(path, body string) response {
	b.h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.h.srv.URL+path, io.NopCloser(strings.NewReader(body)))
	if err != nil {
		b.h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// An edit is bounded as a new comment is (64 KiB), and a body over a limit
// is answered 413 from the error table, never read as an empty form and
// refused as "required".
func TestEditsAreBoundedLikeCommentsAndTooLargeIs413(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: open\n  edit_minutes: 15\n"))
	h.addUser("mod", accounts.RoleModerator)
	writer, mod := h.browser(), h.browser()
	mod.signIn("mod")
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Kay", "Frist")))
	own := "/posts/massage/comments/" + id + "/edit"
	admin := "/admin/comments/" + id + "/edit"

	overComment := url.Values{"body": {strings.Repeat("x", 70<<10)}}.Encode() // over 64 KiB, under 1 MiB
	overAll := url.Values{"body": {strings.Repeat("x", 2<<20)}}.Encode()      // over 1 MiB
	for _, tc := range []struct {
		name string
		b    *browser
		path string
		send func(b *browser, path string) response
		want string
	}{
		{"a reader's edit over 64 KiB", writer, own, func(b *browser, p string) response { return b.postUnsized(p, overComment) }, "64 KiB"},
		{"a moderator's edit over 64 KiB", mod, admin, func(b *browser, p string) response { return b.postUnsized(p, overComment) }, "64 KiB"},
		{"a reader's edit over 1 MiB, unannounced", writer, own, func(b *browser, p string) response { return b.postUnsized(p, overAll) }, "64 KiB"},
		{"a moderator's edit over 1 MiB, unannounced", mod, admin, func(b *browser, p string) response { return b.postUnsized(p, overAll) }, "64 KiB"},
	} {
		res := tc.send(tc.b, tc.path)
		if res.status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s: %d, want 413\n%.300s", tc.name, res.status, res.body)
			continue
		}
		mustContain(t, tc.name, res.body, "Too large to accept", "larger than the "+tc.want+" this site accepts here")
		mustNotContain(t, tc.name, res.body, "Please write")
	}
	// Nothing was changed by the refused edits.
	mustContain(t, "post page", h.get("/posts/massage/").body, "Frist")
	// An edit within the bound still saves.
	if res := writer.postForm(own, url.Values{"body": {"First"}}); res.status != http.StatusSeeOther {
		t.Errorf("an edit within the bound: %d, want 303", res.status)
	}
}

// Every admin form is read before it is acted on: one too large to read is
// refused with 413 and nothing done, not taken for a form with empty fields.
func TestAdminFormsTooLargeToReadChangeNothing(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: all\n"))
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	id := heldID(t, h.postForm("/posts/massage/comments", commentForm("Kay", "Held for a moderator")))
	pad := "&pad=" + strings.Repeat("x", 70<<10)
	for _, tc := range []struct{ path, form string }{
		{"/admin/comments/" + id + "/approve", "back=%2Fadmin%2F"},
		{"/admin/bans/", "kind=email&value=troll%40example.org&duration=1d"},
		{"/admin/bans/remove", "kind=email&value=troll%40example.org"},
		{"/admin/posts/massage/close", "back=%2Fadmin%2Fposts%2F"},
	} {
		if res := mod.postUnsized(tc.path, tc.form+pad); res.status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s with a 70 KiB form: %d, want 413", tc.path, res.status)
		}
	}
	mustContain(t, "queue", mod.get("/admin/").body, "Held for a moderator")
	mustNotContain(t, "bans", mod.get("/admin/bans/").body, "troll@example.org")
	mustContain(t, "posts", mod.get("/admin/posts/").body, "Close comments")
	mustNotContain(t, "log", mod.get("/admin/log/").body, "<td>approve ", "<td>ban ", "<td>unban ", "<td>close ")
}

// A body over the site-wide limit is refused before any handler reads it,
// with the error table's answer (the same heading as any 413), naming the
// limit of the route, not a comment's.
func TestABodyOverTheSiteWideLimitGetsTheTablesAnswer(t *testing.T) {
	h := newHarness(t, massageSite(""))
	res := h.postBody("/posts/massage/comments/1/delete", "application/x-www-form-urlencoded", strings.Repeat("x", 2<<20))
	if res.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("a 2 MiB body: %d, want 413", res.status)
	}
	mustContain(t, "413 page", res.body, "Too large to accept", "larger than the 1 MiB this site accepts here")
	mustNotContain(t, "413 page", res.body, "Comment too long", "Request too large")
}
