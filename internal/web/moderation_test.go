package web_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mmcdole/gofeed"

	"milepost/internal/accounts"
	"milepost/internal/bolt"
)

// moderatedSite is the massage post on a site with the given comments:
// settings (YAML lines under comments:).
func moderatedSite(settings string) siteFiles {
	files := massageSite("")
	files["site.yaml"] = strings.Replace(siteYAML, openComments, "comments:\n"+settings, 1)
	return files
}

func heldID(t *testing.T, res response) string {
	t.Helper()
	m := commentLocation.FindStringSubmatch(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || m == nil {
		t.Fatalf("posting: %d %q\n%.400s", res.status, res.header.Get("Location"), res.body)
	}
	return m[1]
}

// checkIndexes fails the test if any secondary index disagrees with the comments.
func checkIndexes(t *testing.T, h *harness, after string) {
	t.Helper()
	if err := h.db.Check(context.Background()); err != nil {
		t.Fatalf("indexes disagree after %s: %v", after, err)
	}
}

func TestHeldCommentIsSeenOnlyByItsWriterUntilApproved(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: open\n  link_limit: 2\n"))
	h.addUser("mod", accounts.RoleModerator)
	writer, stranger, mod := h.browser(), h.browser(), h.browser()

	body := "Three links: https://a.example/ https://b.example/ https://c.example/"
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Linky", body)))
	checkIndexes(t, h, "a held comment")

	mine := writer.get("/posts/massage/?posted=" + id)
	mustContain(t, "writer's page", mine.body, `id="comment-`+id+`"`, "Awaiting moderation", "Your comment is awaiting moderation")
	others := stranger.get("/posts/massage/")
	mustNotContain(t, "stranger's page", others.body, `id="comment-`+id+`"`, "Three links")
	mustContain(t, "stranger's page", others.body, "No comments yet")

	// The moderator signs in and finds it in the queue.
	if res := mod.get("/admin/"); res.status != http.StatusSeeOther || !strings.HasPrefix(res.header.Get("Location"), "/admin/login") {
		t.Fatalf("admin without signing in: %d %q, want a redirect to sign in", res.status, res.header.Get("Location"))
	}
	mod.signIn("mod")
	queue := mod.get("/admin/")
	mustContain(t, "queue", queue.body, "Linky", "3 links; the limit is 2", `action="/admin/comments/`+id+`/approve"`)

	if res := mod.postForm("/admin/comments/"+id+"/approve", url.Values{"back": {"/admin/"}}); res.status != http.StatusSeeOther {
		t.Fatalf("approving: %d", res.status)
	}
	checkIndexes(t, h, "approve")
	mustContain(t, "stranger after approval", stranger.get("/posts/massage/").body, `id="comment-`+id+`"`, "https://c.example/")
	mustContain(t, "empty queue", mod.get("/admin/").body, "Nothing is waiting for a moderator.")
	mustContain(t, "moderation log", mod.get("/admin/log/").body, "approve", "mod", "comment "+id)

	// The notice after an action is signed: a link from elsewhere cannot
	// put its own words on a moderator's page.
	mustNotContain(t, "forged notice", mod.get("/admin/?done=Session+expired,+sign+in+at+evil.example").body, "evil.example")
}

func mustID(t *testing.T, s string) uint64 {
	t.Helper()
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestFirstTimeReadersAreHeldThenTrusted(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: first-time\n"))
	h.addUser("mod", accounts.RoleModerator)
	reader, mod := h.browser(), h.browser()
	form := commentForm("Dana", "My first comment here.")
	form.Set("email", "dana@example.org")
	first := heldID(t, reader.postForm("/posts/massage/comments", form))
	mustContain(t, "first comment", reader.get("/posts/massage/").body, "Awaiting moderation")

	mod.signIn("mod")
	mod.postForm("/admin/comments/"+first+"/approve", url.Values{})

	// A later comment with the same email, from another browser, is published at once.
	again := commentForm("Dana", "Back again.")
	again.Set("email", "DANA@example.org")
	second := heldID(t, h.browser().postForm("/posts/massage/comments", again))
	mustContain(t, "second comment", h.get("/posts/massage/").body, `id="comment-`+second+`"`, "Back again.")
	// And so is one from the same browser without an email.
	third := heldID(t, reader.postForm("/posts/massage/comments", commentForm("Dana", "Third, no email.")))
	mustContain(t, "third comment", h.get("/posts/massage/").body, `id="comment-`+third+`"`)
	checkIndexes(t, h, "first-time approvals")
}

func TestModeratorsSpamDeleteAndEdit(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: all\n"))
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	spam := heldID(t, h.postForm("/posts/massage/comments", commentForm("Seller", "Cheap watches")))
	gone := heldID(t, h.postForm("/posts/massage/comments", commentForm("Oops", "Posted twice by mistake")))
	fix := heldID(t, h.postForm("/posts/massage/comments", commentForm("Typo", "Helpfull comment")))

	mod.postForm("/admin/comments/"+spam+"/spam", url.Values{})
	checkIndexes(t, h, "spam")
	mod.postForm("/admin/comments/"+gone+"/delete", url.Values{})
	checkIndexes(t, h, "delete")
	if res := mod.postForm("/admin/comments/"+fix+"/edit", url.Values{"body": {"Helpful comment"}}); res.status != http.StatusSeeOther {
		t.Fatalf("editing: %d", res.status)
	}
	mod.postForm("/admin/comments/"+fix+"/approve", url.Values{})
	checkIndexes(t, h, "edit and approve")

	page := h.get("/posts/massage/").body
	mustContain(t, "post page", page, "Helpful comment", "(edited)")
	mustNotContain(t, "post page", page, "Cheap watches", "Posted twice")
	recent := mod.get("/admin/comments/").body
	mustContain(t, "recent list", recent, `<li class="admin-comment status-spam" id="c`+spam+`">`, `<li class="admin-comment status-approved" id="c`+fix+`">`)
	mustNotContain(t, "recent list", recent, `id="c`+gone+`"`, "Posted twice")
	if _, err := h.db.Get(context.Background(), mustID(t, gone)); err == nil {
		t.Error("the deleted comment is still stored")
	}
	log := mod.get("/admin/log/").body
	for _, kind := range []string{"spam", "delete", "edit", "approve"} {
		mustContain(t, "log", log, "<td>"+kind+" ")
	}
	if res := mod.postForm("/admin/comments/999/approve", url.Values{}); res.status != http.StatusNotFound {
		t.Errorf("approving a missing comment: %d, want 404", res.status)
	}
}

func TestBannedReadersAreRefusedWithTheReason(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	if res := mod.postForm("/admin/bans/", url.Values{"kind": {"email"}, "value": {"Troll@Example.org"}, "duration": {"7d"}, "reason": {"abusive replies"}}); res.status != http.StatusSeeOther {
		t.Fatalf("banning: %d\n%.500s", res.status, res.body)
	}
	form := commentForm("Troll", "Again")
	form.Set("email", "troll@example.org")
	res := h.postForm("/posts/massage/comments", form)
	if res.status != http.StatusForbidden {
		t.Fatalf("banned email: %d, want 403", res.status)
	}
	mustContain(t, "ban page", res.body, "You may not comment on this site until", "abusive replies")

	mod.postForm("/admin/bans/", url.Values{"kind": {"ip"}, "value": {"127.0.0.1"}, "duration": {"1d"}, "reason": {"flooding"}})
	if res := h.postForm("/posts/massage/comments", commentForm("Anyone", "From the banned address")); res.status != http.StatusForbidden {
		t.Fatalf("banned IP: %d, want 403", res.status)
	}
	mustContain(t, "bans page", mod.get("/admin/bans/").body, "troll@example.org", "127.0.0.1", "flooding")
	if res := mod.postForm("/admin/bans/", url.Values{"kind": {"ip"}, "value": {"not an address"}, "duration": {"1d"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("a bad ban: %d, want 422", res.status)
	}
	if res := mod.postForm("/admin/bans/remove", url.Values{"kind": {"ip"}, "value": {"not an address"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("lifting a bad ban: %d, want 422", res.status)
	}

	// Lifting the IP ban lets the address comment again; a ban also ends by itself.
	mod.postForm("/admin/bans/remove", url.Values{"kind": {"ip"}, "value": {"127.0.0.1"}})
	heldID(t, h.postForm("/posts/massage/comments", commentForm("Anyone", "Welcome back")))
	h.clock.Set(h.clock.Now().Add(8 * 24 * time.Hour))
	id := heldID(t, h.postForm("/posts/massage/comments", form))
	mustContain(t, "log", mod.get("/admin/log/").body, "<td>ban ", "<td>unban ")
	checkIndexes(t, h, "bans")

	// The comment's "Ban this reader…" link names the comment, not the
	// reader's address, and opens the form filled in with it.
	queue := mod.get("/admin/comments/").body
	link := `<a href="/admin/bans/?comment=` + id + `">Ban this reader…</a>`
	mustContain(t, "recent comments", queue, link)
	if strings.Contains(queue, "value=troll") {
		t.Errorf("a link in the list carries the reader's address:\n%.2000s", queue)
	}
	mustContain(t, "ban form from a comment", mod.get("/admin/bans/?comment="+id).body,
		`<option value="email" selected>`, `value="troll@example.org"`)
}

func TestModeratorsCloseAndReopenAPost(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	mustContain(t, "posts page", mod.get("/admin/posts/").body, "Massage during training", "Close comments")
	mod.postForm("/admin/posts/massage/close", url.Values{"back": {"/admin/posts/"}})
	if res := h.postForm("/posts/massage/comments", commentForm("Kay", "Closed?")); res.status != http.StatusForbidden {
		t.Fatalf("comment on a closed post: %d, want 403", res.status)
	}
	mustContain(t, "closed post", h.get("/posts/massage/").body, "Comments are closed")
	mod.postForm("/admin/posts/massage/reopen", url.Values{})
	heldID(t, h.postForm("/posts/massage/comments", commentForm("Kay", "Open again")))
}

func TestSigningIn(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("mod", accounts.RoleModerator)
	b := h.browser()

	wrong := b.postForm("/admin/login", url.Values{"name": {"mod"}, "password": {"not the password"}})
	unknown := b.postForm("/admin/login", url.Values{"name": {"nobody"}, "password": {"not the password"}})
	if wrong.status != http.StatusUnauthorized || unknown.status != http.StatusUnauthorized {
		t.Fatalf("wrong password %d, unknown user %d; want 401 for both", wrong.status, unknown.status)
	}
	mustContain(t, "wrong password", wrong.body, "That name and password do not match an account.")
	mustContain(t, "unknown user", unknown.body, "That name and password do not match an account.")

	// Good credentials give an HttpOnly, SameSite=Lax session cookie and go to the next page.
	res := b.postForm("/admin/login", url.Values{"name": {"mod"}, "password": {"mod has a long password"}, "next": {"/admin/bans/"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/bans/" {
		t.Fatalf("signing in: %d %q", res.status, res.header.Get("Location"))
	}
	cookie := res.header.Get("Set-Cookie")
	for _, want := range []string{"milepost_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("session cookie %q lacks %s", cookie, want)
		}
	}
	if strings.Contains(cookie, "Secure") {
		t.Errorf("session cookie is Secure over plain HTTP: %q", cookie)
	}
	if res := b.get("/admin/"); res.status != http.StatusOK {
		t.Fatalf("admin after signing in: %d", res.status)
	}
	// Only this site's admin pages are places to return to.
	if res := h.browser().postForm("/admin/login", url.Values{"name": {"mod"}, "password": {"mod has a long password"}, "next": {"https://evil.example/"}}); res.header.Get("Location") != "/admin/" {
		t.Errorf("next=https://evil.example/ led to %q", res.header.Get("Location"))
	}

	b.postForm("/admin/logout", url.Values{})
	if res := b.get("/admin/"); res.status != http.StatusSeeOther {
		t.Errorf("admin after signing out: %d, want a redirect to sign in", res.status)
	}
}

func TestSessionCookieIsSecureBehindATLSProxy(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(mustGuards(t, "127.0.0.1")))
	h.addUser("mod", accounts.RoleModerator)
	res := h.browser().postForm("/admin/login", url.Values{"name": {"mod"}, "password": {"mod has a long password"}}, "X-Forwarded-Proto", "https")
	if c := res.header.Get("Set-Cookie"); !strings.Contains(c, "Secure") {
		t.Errorf("session cookie behind a TLS proxy is not Secure: %q", c)
	}
	// So are a reader's cookies, one of which holds their email address.
	reader := h.browser().postForm("/posts/massage/comments", commentForm("Kay", "Over TLS"), "X-Forwarded-Proto", "https")
	for _, c := range reader.header.Values("Set-Cookie") {
		if !strings.Contains(c, "Secure") {
			t.Errorf("reader cookie behind a TLS proxy is not Secure: %q", c)
		}
	}
	if n := len(reader.header.Values("Set-Cookie")); n != 2 {
		t.Errorf("posting a comment set %d cookies, want the commenter and reader cookies", n)
	}
}

func TestSignInIsThrottled(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("mod", accounts.RoleModerator)
	b := h.browser()
	var last response
	for range 6 {
		last = b.postForm("/admin/login", url.Values{"name": {"mod"}, "password": {"guessing wrongly"}})
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("sixth wrong password: %d Retry-After %q, want 429 with Retry-After", last.status, last.header.Get("Retry-After"))
	}
	// Even the right password waits until the window has passed.
	if res := b.postForm("/admin/login", url.Values{"name": {"mod"}, "password": {"mod has a long password"}}); res.status != http.StatusTooManyRequests {
		t.Errorf("right password while throttled: %d, want 429", res.status)
	}
}

func TestBackupIsForAdminsAndHoldsEveryComment(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("mod", accounts.RoleModerator)
	h.addUser("boss", accounts.RoleAdmin)
	for _, body := range []string{"one", "two", "three"} {
		h.postComment(commentForm("Kay", "Comment "+body))
	}
	mod := h.browser()
	mod.signIn("mod")
	if res := mod.get("/admin/backup"); res.status != http.StatusForbidden {
		t.Fatalf("moderator backup: %d, want 403", res.status)
	}
	admin := h.browser()
	admin.signIn("boss")
	res := admin.get("/admin/backup")
	if res.status != http.StatusOK || !strings.Contains(res.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("admin backup: %d %q", res.status, res.header.Get("Content-Disposition"))
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, []byte(res.body), 0o600); err != nil {
		t.Fatal(err)
	}
	copyDB, err := bolt.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("opening the backup: %v", err)
	}
	defer copyDB.Close()
	if err := copyDB.Check(context.Background()); err != nil {
		t.Errorf("backup's indexes: %v", err)
	}
	got, err := copyDB.ByPost(context.Background(), "massage")
	if err != nil || len(got) != 3 {
		t.Fatalf("backup holds %d comments (%v), want 3", len(got), err)
	}
}

func TestReadersEditAndDeleteTheirOwnCommentsForAWhile(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: open\n  edit_minutes: 15\n"))
	writer, other := h.browser(), h.browser()
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Kay", "Frist!")))
	edit := "/posts/massage/comments/" + id + "/edit"

	mustContain(t, "own comment", writer.get("/posts/massage/").body, `href="`+edit+`"`)
	mustNotContain(t, "someone else's view", other.get("/posts/massage/").body, `href="`+edit+`"`)
	if res := other.postForm(edit, url.Values{"body": {"Hijacked"}}); res.status != http.StatusForbidden {
		t.Errorf("another browser editing: %d, want 403", res.status)
	}
	if res := writer.postForm(edit, url.Values{"body": {"First!"}}); res.status != http.StatusSeeOther {
		t.Fatalf("editing own comment: %d\n%.300s", res.status, res.body)
	}
	mustContain(t, "edited", h.get("/posts/massage/").body, "First!", "(edited)")

	// After 15 minutes the comment is the site's.
	h.clock.Set(h.clock.Now().Add(16 * time.Minute))
	if res := writer.postForm("/posts/massage/comments/"+id+"/delete", url.Values{}); res.status != http.StatusForbidden {
		t.Errorf("deleting after the window: %d, want 403", res.status)
	}

	// Within the window, a reply makes it the site's too.
	second := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Kay", "Another one")))
	reply := commentForm("Ana", "A reply")
	reply.Set("parent", second)
	heldID(t, other.postForm("/posts/massage/comments", reply))
	if res := writer.postForm("/posts/massage/comments/"+second+"/delete", url.Values{}); res.status != http.StatusForbidden && res.status != http.StatusConflict {
		t.Errorf("deleting a comment with a reply: %d, want 403 or 409", res.status)
	}
	third := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Kay", "Delete me")))
	if res := writer.postForm("/posts/massage/comments/"+third+"/delete", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("deleting own comment: %d", res.status)
	}
	mustNotContain(t, "after delete", h.get("/posts/massage/").body, "Delete me")
	checkIndexes(t, h, "own edit and delete")
}

func TestTheSameCommentTwiceIsRefused(t *testing.T) {
	h := newHarness(t, massageSite(""))
	heldID(t, h.postForm("/posts/massage/comments", commentForm("Kay", "Great post!")))
	res := h.postForm("/posts/massage/comments", commentForm("Kay", "Great post!"))
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("the same comment again: %d, want 422", res.status)
	}
	mustContain(t, "duplicate", res.body, "You have just posted this same comment")
	h.clock.Set(h.clock.Now().Add(11 * time.Minute))
	heldID(t, h.postForm("/posts/massage/comments", commentForm("Kay", "Great post!")))
}

func TestCommentFeedsCarryApprovedCommentsWithoutPrivateData(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: open\n  link_limit: 0\n"))
	form := commentForm("Dana", "Published comment")
	form.Set("email", "dana@example.org")
	heldID(t, h.postForm("/posts/massage/comments", form))
	heldID(t, h.postForm("/posts/massage/comments", commentForm("Linky", "Held: https://example.org/")))
	for _, path := range []string{"/comments.xml", "/posts/massage/comments.xml"} {
		res := h.get(path)
		f, err := gofeed.NewParser().ParseString(res.body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if len(f.Items) != 1 || !strings.Contains(f.Items[0].Description, "Published comment") {
			t.Errorf("%s: items %+v, want only the published comment", path, f.Items)
		}
		mustNotContain(t, path, res.body, "dana@example.org", "127.0.0.1", "Held:")
	}
	// Last-Modified is when the comments shown last changed: marking the
	// newest comment as spam is a change too, so the date moves on, and a
	// reader polling with If-Modified-Since gets the feed without it.
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	for _, path := range []string{"/comments.xml", "/posts/massage/comments.xml"} {
		before := h.get(path).header.Get("Last-Modified")
		if before == "" {
			t.Fatalf("%s: no Last-Modified", path)
		}
		h.clock.Set(h.clock.Now().Add(time.Hour))
		newest := heldID(t, h.postForm("/posts/massage/comments", commentForm("Lee", "Newest, then spam")))
		h.clock.Set(h.clock.Now().Add(time.Hour))
		mod.postForm("/admin/comments/"+newest+"/spam", url.Values{})
		res := h.get(path, "If-Modified-Since", before)
		if res.status != http.StatusOK || strings.Contains(res.body, "Newest, then spam") {
			t.Errorf("%s polled with its earlier Last-Modified after the newest comment became spam: %d, want 200 without it", path, res.status)
		}
		after, _ := http.ParseTime(res.header.Get("Last-Modified"))
		if was, _ := http.ParseTime(before); !after.After(was) {
			t.Errorf("%s: Last-Modified went from %q to %q", path, before, res.header.Get("Last-Modified"))
		}
	}
	if res := h.get("/posts/nope/comments.xml"); res.status != http.StatusNotFound {
		t.Errorf("comment feed of a missing post: %d", res.status)
	}
}

func TestReadersOwnEditsAndDeletesAreRateLimited(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: open\n  edit_minutes: 15\n"), withCommentRate(3))
	writer := h.browser()
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Kay", "Version 0")))
	edit := "/posts/massage/comments/" + id + "/edit"
	for i := 1; i <= 3; i++ {
		if res := writer.postForm(edit, url.Values{"body": {"Version " + strconv.Itoa(i)}}); res.status != http.StatusSeeOther {
			t.Fatalf("edit %d: %d, want 303", i, res.status)
		}
	}
	res := writer.postForm(edit, url.Values{"body": {"Version 4, typed with care"}})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("a fourth edit in a minute: %d Retry-After %q, want 429 with Retry-After", res.status, res.header.Get("Retry-After"))
	}
	mustContain(t, "429 edit page", res.body, "Version 4, typed with care", "Please wait a minute", `role="alert"`)
	if res := writer.postForm("/posts/massage/comments/"+id+"/delete", url.Values{}); res.status != http.StatusTooManyRequests {
		t.Errorf("a delete after the limit: %d, want 429", res.status)
	}
	mustContain(t, "post page", h.get("/posts/massage/").body, "Version 3")

	// Each refused change wrote nothing to the log: three edits, no more.
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	if n := strings.Count(mod.get("/admin/log/?kind=edit-own").body, "<td>edit-own "); n != 3 {
		t.Errorf("the log has %d own edits, want 3", n)
	}

	// A minute later the writer may change it again.
	h.clock.Set(h.clock.Now().Add(time.Minute))
	if res := writer.postForm(edit, url.Values{"body": {"Version 4, typed with care"}}); res.status != http.StatusSeeOther {
		t.Errorf("an edit a minute later: %d, want 303", res.status)
	}
}

func TestTheModerationLogFiltersByKind(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: all\n  edit_minutes: 15\n"))
	h.addUser("mod", accounts.RoleModerator)
	writer, mod := h.browser(), h.browser()
	mod.signIn("mod")
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Kay", "Held at first")))
	mod.postForm("/admin/comments/"+id+"/approve", url.Values{})
	for i := range 25 {
		if res := writer.postForm("/posts/massage/comments/"+id+"/edit", url.Values{"body": {"Edit " + strconv.Itoa(i)}}); res.status != http.StatusSeeOther {
			t.Fatalf("edit %d: %d", i, res.status)
		}
		if i%2 == 0 {
			mod.postForm("/admin/comments/"+id+"/approve", url.Values{})
		}
	}

	all := mod.get("/admin/log/").body
	mustContain(t, "whole log", all, `href="/admin/log/?kind=edit-own"`, `href="/admin/log/?kind=approve"`, "<td>approve ", "<td>edit-own ")

	first := mod.get("/admin/log/?kind=edit-own")
	mustContain(t, "own edits", first.body, `href="/admin/log/?kind=edit-own" aria-current="page"`,
		`<span class="count">25</span>`, `href="/admin/log/?kind=edit-own&amp;page=2"`)
	mustNotContain(t, "own edits", first.body, "<td>approve ")
	if n := strings.Count(first.body, "<td>edit-own "); n != 20 {
		t.Errorf("first page of own edits shows %d, want 20", n)
	}
	second := mod.get("/admin/log/?kind=edit-own&page=2").body
	if n := strings.Count(second, "<td>edit-own "); n != 5 {
		t.Errorf("second page of own edits shows %d, want 5", n)
	}
	mustContain(t, "oldest own edit", second, "before: Held at first")

	approvals := mod.get("/admin/log/?kind=approve").body
	if n := strings.Count(approvals, "<td>approve "); n != 14 {
		t.Errorf("approvals: %d, want 14", n)
	}
	mustNotContain(t, "approvals", approvals, "<td>edit-own ")
	mustContain(t, "no bans", mod.get("/admin/log/?kind=ban").body, "No entries of this kind.")
}

func TestStaffWritesAndPasswordLinksAreRateLimited(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	action := func(i int) string { return []string{"close", "reopen"}[i%2] }
	for i := range 60 {
		if res := mod.postForm("/admin/posts/massage/"+action(i), url.Values{}); res.status != http.StatusSeeOther {
			t.Fatalf("moderator's change %d: %d, want 303", i+1, res.status)
		}
	}
	res := mod.postForm("/admin/posts/massage/close", url.Values{})
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("moderator's 61st change in a minute: %d (Retry-After %q), want 429 with Retry-After",
			res.status, res.header.Get("Retry-After"))
	}
	if res := mod.get("/admin/posts/"); res.status != http.StatusOK {
		t.Fatalf("reading an admin page after the limit: %d, want 200 (only writes are limited)", res.status)
	}
	h.clock.Set(h.clock.Now().Add(time.Minute))
	if res := mod.postForm("/admin/posts/massage/close", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("a change a minute later: %d, want 303", res.status)
	}

	// A one-time link is a write with no session: limited the same way, per address.
	var last response
	for range 61 {
		last = h.postForm("/admin/set-password", url.Values{"token": {"no-such-token"}, "password": {"a long password 1"}, "confirm": {"a long password 1"}})
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("61st set-password post in a minute: %d, want 429 with Retry-After", last.status)
	}
}

func TestSignInAndAccountFormsTooLargeAre413(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("coach", accounts.RoleAdmin)
	admin := h.browser()
	admin.signIn("coach")
	big := strings.Repeat("x", 70<<10)
	for _, tc := range []struct {
		who  *browser
		path string
	}{
		{h.browser(), "/admin/login"},
		{h.browser(), "/admin/set-password"},
		{admin, "/admin/users/"},
		{admin, "/admin/users/coach/role"},
	} {
		res := tc.who.postForm(tc.path, url.Values{"name": {"coach"}, "password": {big}, "role": {"moderator"}})
		if res.status != http.StatusRequestEntityTooLarge {
			t.Errorf("POST %s with a 70 KiB form: %d, want 413", tc.path, res.status)
		}
	}
	if users, err := h.accounts.List(context.Background()); err != nil || len(users) != 1 || users[0].Role != accounts.RoleAdmin {
		t.Fatalf("after the refused forms: users %v (%v), want coach still admin", users, err)
	}
}

func TestAWriterWhoSignsInStartsAtTheWelcomePage(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.addUser("kay", accounts.RoleAuthor)
	b := h.browser()
	res := b.postForm("/admin/login", url.Values{"name": {"kay"}, "password": {"kay has a long password"}, "next": {"/admin/"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/admin/welcome" {
		t.Fatalf("an author signing in: %d to %q, want 303 to /admin/welcome", res.status, res.header.Get("Location"))
	}
	if res := b.get("/admin/welcome"); res.status != http.StatusOK {
		t.Fatalf("the welcome page for an author: %d", res.status)
	}
	h.addUser("mod", accounts.RoleModerator)
	res = h.browser().postForm("/admin/login", url.Values{"name": {"mod"}, "password": {"mod has a long password"}, "next": {"/admin/"}})
	if res.header.Get("Location") != "/admin/" {
		t.Fatalf("a moderator signing in goes to %q, want the queue", res.header.Get("Location"))
	}
}
