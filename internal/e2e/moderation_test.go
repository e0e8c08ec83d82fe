package e2e

import (
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"milepost/internal/accounts"
	"milepost/internal/comments"
	"milepost/internal/web"
)

// The moderator of the moderation test, an admin.
const (
	coach         = "coach"
	coachPassword = "a long enough password"
)

// commentLink is a link in a rendered comment.
type commentLink struct {
	Href string `json:"href"`
	Rel  string `json:"rel"`
	Text string `json:"text"`
}

// commentLinks lists the links in the body of the comment with the element id.
func commentLinks(tb *tab, id string) []commentLink {
	tb.t.Helper()
	return eval[[]commentLink](tb, `[...document.querySelectorAll(`+jsString("#"+id+" > article .comment-body a")+`)]
		.map((a) => ({ href: a.getAttribute("href"), rel: a.getAttribute("rel") ?? "", text: a.innerText }))`)
}

// logRow is one line of the moderation log, as its cells read.
type logRow struct {
	Cells []string `json:"cells"`
	Links []string `json:"links"`
}

var formToken = regexp.MustCompile(`<input type="hidden" name="ts" value="([^"]*)">`)

// TestHeldCommentThroughModeration follows a comment with too many links from
// the reader who writes it, past another reader who cannot see it while it is
// held, to the moderator who signs in and approves it, and back to the other
// reader, who now sees it with its links marked as a reader's. The server
// runs with the spam guards a new site has, and the reader takes as long over
// the form as a person would.
func TestHeldCommentThroughModeration(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil, withGuards(web.DefaultGuards), withAccount(coach, accounts.RoleAdmin, coachPassword))

	// The guards are on: a form sent as soon as it was served is refused,
	// before its missing name is noticed, so the reader's wait below is
	// needed. Nothing is stored either way.
	start := time.Now()
	_, html := srv.get(t, postPath)
	m := formToken.FindStringSubmatch(html)
	if m == nil {
		t.Fatal("the post page's form has no time stamp")
	}
	quick := srv.post(t, slug, url.Values{"ts": {m[1]}, "body": {"Nice post."}})
	switch took := time.Since(start); {
	case quick.status == 422 && strings.Contains(quick.body, "quicker than we expect a person"):
	case took >= time.Second:
		// The time stamp counts whole seconds: only a form sent within a
		// second of its page is sure to be too quick.
		t.Logf("fetching and sending a form took %v: too long to check the time guard", took)
	default:
		t.Errorf("a form sent %v after its page was fetched: status %d, want 422 and the too-quick message", took, quick.status)
	}

	// A reader posts a comment with three links; the site allows two.
	reader := newTab(t)
	if status := reader.navigate(srv.base + postPath); status != 200 {
		t.Fatalf("the story: status %d", status)
	}
	const name = "Trail Finder"
	body := strings.Join([]string{
		"Three places that helped me between massages:",
		"https://example.com/foam-rolling",
		"[stretching after long runs](https://example.org/stretching)",
		"<https://example.net/recovery>",
	}, "\n")
	wantLinks := []string{"https://example.com/foam-rolling", "https://example.org/stretching", "https://example.net/recovery"}
	reader.do("filling the comment form",
		chromedp.SendKeys(chromedp.ID("field-name"), name),
		chromedp.SendKeys(chromedp.ID("field-body"), body),
	)
	if status := sendCommentForm(t, reader); status != 200 {
		t.Fatalf("posting the comment: the page after it has status %d", status)
	}
	id := landedOn(t, reader, srv.base)
	num := strings.TrimPrefix(id, "comment-")
	if got := reader.text(".comments .notice"); !strings.Contains(got, "awaiting moderation") {
		t.Errorf("the notice after posting reads %q, want it to say the comment is awaiting moderation", got)
	}
	if reader.count("li.comment.pending#"+id) != 1 {
		t.Errorf("the held comment is not shown to its writer as a li.comment.pending")
	}
	if got := reader.text("#" + id + " > article .pending-badge"); !strings.HasPrefix(got, "Awaiting moderation") || !strings.Contains(got, "only you can see") {
		t.Errorf("the held comment's badge reads %q, want “Awaiting moderation — only you can see …”", got)
	}
	if got := reader.text("#" + id + " > article .comment-author"); got != name {
		t.Errorf("the held comment is by %q, want %q", got, name)
	}
	if n := reader.count("#" + id + " > article .comment-actions a[href^=\"?reply=\"]"); n != 0 {
		t.Errorf("the held comment offers %d Reply links, want none until it is approved", n)
	}

	// Another person, with no cookies, does not see it, nor does its feed.
	other := newTab(t)
	if status := other.navigate(srv.base + postPath); status != 200 {
		t.Fatalf("the story for another reader: status %d", status)
	}
	if other.count("#"+id) != 0 || strings.Contains(other.text(".comments"), "foam-rolling") {
		t.Errorf("another reader sees the held comment %s", id)
	}
	if got := other.text("#comments-heading"); got != "2 comments" {
		t.Errorf("another reader's comments heading reads %q, want 2 comments", got)
	}
	if _, feed := srv.get(t, postPath+"comments.xml"); strings.Contains(feed, "foam-rolling") {
		t.Errorf("the post's comment feed has the held comment")
	}

	// The moderator signs in and approves it.
	mod := newTab(t)
	if status := mod.navigate(srv.base + "/admin/"); status != 200 {
		t.Fatalf("/admin/ without a session: the page it leads to has status %d", status)
	}
	if loc, want := mod.location(), srv.base+"/admin/login?next="+url.QueryEscape("/admin/"); loc != want {
		t.Errorf("/admin/ without a session led to %s, want %s", loc, want)
	}
	if got := mod.text("main h1"); got != "Sign in" {
		t.Fatalf("the page /admin/ led to is headed %q, want Sign in", got)
	}
	mod.do("filling the sign-in form",
		chromedp.SendKeys(chromedp.ID("login-name"), coach),
		chromedp.SendKeys(chromedp.ID("login-password"), coachPassword),
	)
	if status := mod.clickAndLoad(`form[action="/admin/login"] button[type="submit"]`); status != 200 {
		t.Fatalf("signing in: the page after it has status %d", status)
	}
	if loc := mod.location(); loc != srv.base+"/admin/" {
		t.Fatalf("signing in led to %s, want the held queue at %s/admin/", loc, srv.base)
	}
	if got := mod.text(".admin-nav .who"); got != coach+" (admin)" {
		t.Errorf("the admin pages say %q is signed in, want %q", got, coach+" (admin)")
	}
	queued := "ol.admin-list > li#c" + num
	if mod.count(queued) != 1 {
		t.Fatalf("the held comment %s is not in the queue; the queue has %d comments", num, mod.count("ol.admin-list > li"))
	}
	if n := mod.count("ol.admin-list > li"); n != 1 {
		t.Errorf("the queue has %d comments, want only the held one", n)
	}
	if got := mod.text("main h1 .count"); got != "1" {
		t.Errorf("the queue's count reads %q, want 1", got)
	}
	if got := mod.text(queued + " .hint"); got != "Held: 3 links; the limit is 2" {
		t.Errorf("the queue gives the reason %q, want “Held: 3 links; the limit is 2”", got)
	}
	if got := mod.text(queued + " .meta strong"); got != name {
		t.Errorf("the queue names the writer %q, want %q", got, name)
	}
	if status := mod.clickAndLoad(queued + ` form[action="/admin/comments/` + num + `/approve"] button[type="submit"]`); status != 200 {
		t.Fatalf("approving: the page after it has status %d", status)
	}
	if got, want := mod.text("p.notice[role=status]"), "Comment "+num+" approved."; got != want {
		t.Errorf("the notice after approving reads %q, want %q", got, want)
	}
	if n := mod.count("ol.admin-list > li"); n != 0 {
		t.Errorf("the queue still has %d comments after the approval", n)
	}
	if got := mod.text("main p.empty"); got != "Nothing is waiting for a moderator." {
		t.Errorf("the empty queue reads %q", got)
	}
	if got := mod.text("main h1 .count"); got != "0" {
		t.Errorf("the queue's count reads %q after the approval, want 0", got)
	}

	// The log names the moderator.
	if status := mod.clickAndLoad(`.admin-nav a[href="/admin/log/"]`); status != 200 {
		t.Fatalf("the moderation log: status %d", status)
	}
	rows := eval[[]logRow](mod, `[...document.querySelectorAll(".admin-table tbody tr")].map((tr) => ({
		cells: [...tr.cells].map((td) => td.innerText.trim()),
		links: [...tr.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")),
	}))`)
	approval := slices.IndexFunc(rows, func(r logRow) bool {
		return len(r.Cells) == 4 && r.Cells[1] == coach && r.Cells[2] == string(comments.ActionApprove)+" comment "+num+" on "+slug
	})
	if approval < 0 {
		t.Errorf("the moderation log does not list coach's approval of comment %s: %q", num, rows)
	} else if want := postPath + "comments/" + num; !slices.Contains(rows[approval].Links, want) {
		// A comment's lasting address, which redirects to the page of
		// comments that shows it.
		t.Errorf("the log's line for the approval links to %q, want %s", rows[approval].Links, want)
	}

	// The other reader sees it now, with its links marked as a reader's.
	other.do("reloading the story", chromedp.Reload())
	if other.count("#"+id) != 1 {
		t.Fatalf("after the approval, another reader does not see comment %s", id)
	}
	if other.count("li.comment.pending#"+id) != 0 || other.count("#"+id+" .pending-badge") != 0 {
		t.Errorf("another reader sees the approved comment as awaiting moderation")
	}
	if got := other.text("#" + id + " > article .comment-author"); got != name {
		t.Errorf("the approved comment is by %q, want %q", got, name)
	}
	links := commentLinks(other, id)
	var hrefs []string
	for _, l := range links {
		hrefs = append(hrefs, l.Href)
		if l.Rel != comments.LinkRel {
			t.Errorf("the link to %s has rel=%q, want %q", l.Href, l.Rel, comments.LinkRel)
		}
	}
	if !slices.Equal(hrefs, wantLinks) {
		t.Errorf("the approved comment links to %q, want %q", hrefs, wantLinks)
	}
	if got := other.text("#comments-heading"); got != "3 comments" {
		t.Errorf("after the approval the comments heading reads %q, want 3 comments", got)
	}

	for who, tb := range map[string]*tab{"the reader": reader, "the other reader": other, "the moderator": mod} {
		if d := tb.takeDialogs(); len(d) > 0 {
			t.Errorf("%s's pages opened dialogs: %v", who, d)
		}
	}
}

// TestReaderEditsOwnComment has a reader change a comment they have just
// posted, from the "Edit or delete" link under it, then post another and
// take it back with the edit page's Delete button. The spam guards are on.
func TestReaderEditsOwnComment(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil, withGuards(web.DefaultGuards))
	tb := newTab(t)
	if status := tb.navigate(srv.base + postPath); status != 200 {
		t.Fatalf("the story: status %d", status)
	}

	const (
		name   = "Morning Miler"
		first  = "A massage on the Friday before my race left my legs heavy."
		edited = "A massage on the Wednesday before my race was just right; Friday was too late."
	)
	tb.do("filling the comment form",
		chromedp.SendKeys(chromedp.ID("field-name"), name),
		chromedp.SendKeys(chromedp.ID("field-body"), first),
	)
	if status := sendCommentForm(t, tb); status != 200 {
		t.Fatalf("posting the comment: the page after it has status %d", status)
	}
	id := landedOn(t, tb, srv.base)
	num := strings.TrimPrefix(id, "comment-")
	if got := tb.text("#" + id + " > article .comment-body"); got != first {
		t.Errorf("the new comment reads %q, want %q", got, first)
	}
	if tb.count("#"+id+" .edited") != 0 {
		t.Errorf("the new comment is marked (edited)")
	}

	// Edit it.
	editLink := "#" + id + " > article .comment-actions a[href$=\"/edit\"]"
	if got := tb.text(editLink); got != "Edit or delete" {
		t.Fatalf("the link under one's own comment reads %q, want Edit or delete", got)
	}
	if status := tb.clickAndLoad(editLink); status != 200 {
		t.Fatalf("the edit page: status %d", status)
	}
	editPath := "/posts/" + slug + "/comments/" + num + "/edit"
	if loc := tb.location(); loc != srv.base+editPath {
		t.Errorf("Edit or delete led to %s, want %s", loc, srv.base+editPath)
	}
	if got := tb.text("main h1"); got != "Edit your comment" {
		t.Errorf("the edit page is headed %q", got)
	}
	if got := run(tb, "reading the textarea", chromedp.Value(chromedp.ID("field-body"))); got != first {
		t.Errorf("the edit page's textarea holds %q, want the comment, %q", got, first)
	}
	// Select what is there and type over it.
	eval[bool](tb, `(document.getElementById("field-body").select(), true)`)
	tb.do("typing the new text", chromedp.SendKeys(chromedp.ID("field-body"), edited))
	if got := run(tb, "reading the textarea", chromedp.Value(chromedp.ID("field-body"))); got != edited {
		t.Fatalf("after typing over it, the textarea holds %q, want %q", got, edited)
	}
	if status := tb.clickAndLoad(`form[action="` + editPath + `#form-errors"] button[type="submit"]`); status != 200 {
		t.Fatalf("saving the change: the page after it has status %d", status)
	}
	// Saving goes back to the comment itself, with no "thank you" notice.
	if loc, want := tb.location(), srv.base+postPath+"#"+id; loc != want {
		t.Errorf("saving the change led to %s, want %s", loc, want)
	}
	check := func(when string) {
		t.Helper()
		if got := tb.text("#" + id + " > article .comment-body"); got != edited {
			t.Errorf("%s: the comment reads %q, want %q", when, got, edited)
		}
		if got := tb.text("#" + id + " > article .comment-meta .edited"); got != "(edited)" {
			t.Errorf("%s: the comment's edit mark reads %q, want (edited)", when, got)
		}
		if strings.Contains(tb.text(".comments"), "Friday before my race") {
			t.Errorf("%s: the old text is still on the page", when)
		}
	}
	check("after saving")
	tb.do("reloading", chromedp.Reload())
	check("after a reload")

	// Post another and delete it.
	if got := run(tb, "reading the name field", chromedp.Value(chromedp.ID("field-name"))); got != name {
		t.Errorf("the form's name is %q, want the remembered %q", got, name)
	}
	const regret = "On second thought, ignore what I said about ice baths."
	tb.do("filling the comment form", chromedp.SendKeys(chromedp.ID("field-body"), regret))
	if status := sendCommentForm(t, tb); status != 200 {
		t.Fatalf("posting the second comment: the page after it has status %d", status)
	}
	second := landedOn(t, tb, srv.base)
	if second == id {
		t.Fatalf("the second comment has the first one's id %s", id)
	}
	if got := tb.text("#comments-heading"); got != "4 comments" {
		t.Errorf("with both comments the heading reads %q, want 4 comments", got)
	}
	if status := tb.clickAndLoad("#" + second + " > article .comment-actions a[href$=\"/edit\"]"); status != 200 {
		t.Fatalf("the second comment's edit page: status %d", status)
	}
	if got := tb.text(`form.delete-form button[type="submit"]`); got != "Delete this comment" {
		t.Errorf("the edit page's delete button reads %q", got)
	}
	if status := tb.clickAndLoad(`form.delete-form button[type="submit"]`); status != 200 {
		t.Fatalf("deleting: the page after it has status %d", status)
	}
	if loc, want := tb.location(), srv.base+postPath+"#comments"; loc != want {
		t.Errorf("deleting led to %s, want %s", loc, want)
	}
	if tb.count("#"+second) != 0 || strings.Contains(tb.text(".comments"), "ice baths") {
		t.Errorf("the deleted comment %s is still on the page", second)
	}
	if tb.count("#"+id) != 1 {
		t.Errorf("deleting the second comment took the first, %s, with it", id)
	}
	if got := tb.text("#comments-heading"); got != "3 comments" {
		t.Errorf("after the deletion the heading reads %q, want 3 comments", got)
	}
	tb.do("reloading", chromedp.Reload())
	if tb.count("#"+second) != 0 {
		t.Errorf("after a reload, the deleted comment %s is back", second)
	}
	if d := tb.takeDialogs(); len(d) > 0 {
		t.Errorf("the pages opened dialogs: %v", d)
	}
}
