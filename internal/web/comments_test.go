package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/comments"
	"milepost/internal/web"
)

const massage = "posts/massage.md"

func massageSite(extraFront string) siteFiles {
	return siteFiles{
		massage: post("title: Massage during training\ndate: 2011-10-03\nauthor: kay"+extraFront, "Just got home from a massage…"),
	}
}

func commentForm(name, body string) url.Values {
	return url.Values{"name": {name}, "body": {body}, "email": {""}, "website": {""}, "parent": {""}}
}

var commentLocation = regexp.MustCompile(`^/posts/massage/\?posted=(\d+)#comment-(\d+)$`)

// postComment posts a comment and returns its id, failing unless the server
// answered 303 to the new comment.
func (h *harness) postComment(form url.Values) string {
	h.t.Helper()
	res := h.postForm("/posts/massage/comments", form)
	m := commentLocation.FindStringSubmatch(res.header.Get("Location"))
	if res.status != http.StatusSeeOther || m == nil {
		h.t.Fatalf("posting a comment: %d Location=%q\n%s", res.status, res.header.Get("Location"), res.body)
	}
	return m[1]
}

func TestCommentIsStoredThenRedirectsToItsAnchor(t *testing.T) {
	h := newHarness(t, massageSite(""))
	form := commentForm("Dana", "I’ve had **great** results with a foam roller.")
	form.Set("email", "dana@example.org")
	form.Set("website", "https://dana.example.org/")
	id := h.postComment(form)

	// The comment was committed before the redirect: the store has it now.
	stored, err := h.db.ByPost(context.Background(), "massage")
	if err != nil || len(stored) != 1 || stored[0].Name != "Dana" || stored[0].Email != "dana@example.org" {
		t.Fatalf("stored comments = %+v, %v", stored, err)
	}

	page := h.get("/posts/massage/").body
	mustContain(t, "post page", page,
		`id="comment-`+id+`"`,
		`<a href="https://dana.example.org/" rel="nofollow ugc noopener">Dana</a>`,
		`I’ve had <strong>great</strong> results with a foam roller.`,
		"1 comment",
	)
	mustNotContain(t, "post page", page, "dana@example.org")
	mustContain(t, "home", h.get("/").body, "1 comment")
}

func TestRepliesAreThreadedOldestFirst(t *testing.T) {
	h := newHarness(t, massageSite(""))
	first := h.postComment(commentForm("Ana", "First comment."))
	second := h.postComment(commentForm("Ben", "Second comment."))
	reply := commentForm("Cleo", "A reply to the first.")
	reply.Set("parent", first)
	replyID := h.postComment(reply)

	page := h.get("/posts/massage/").body
	iFirst := strings.Index(page, `id="comment-`+first+`"`)
	iReply := strings.Index(page, `id="comment-`+replyID+`"`)
	iSecond := strings.Index(page, `id="comment-`+second+`"`)
	if iFirst < 0 || iReply < 0 || iSecond < 0 || !(iFirst < iReply && iReply < iSecond) {
		t.Fatalf("thread order wrong: first %d, reply %d, second %d", iFirst, iReply, iSecond)
	}
	// The reply sits inside the first comment's list of replies.
	between := page[iFirst:iReply]
	if !strings.Contains(between, `<ol class="replies">`) {
		t.Error("reply is not nested under its parent")
	}

	// Reply links work without JavaScript: ?reply=ID fills the parent field.
	form := h.get("/posts/massage/?reply=" + first).body
	mustContain(t, "reply form", form, `<input type="hidden" name="parent" value="`+first+`">`, "Reply to Ana")
}

func TestThreadsStopAtFiveLevels(t *testing.T) {
	h := newHarness(t, massageSite(""))
	parent := ""
	for depth := 0; depth < 5; depth++ {
		f := commentForm("Runner", "Level "+string(rune('A'+depth)))
		f.Set("parent", parent)
		parent = h.postComment(f)
	}
	tooDeep := commentForm("Runner", "Level six")
	tooDeep.Set("parent", parent)
	res := h.postForm("/posts/massage/comments", tooDeep)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("sixth level: status %d, want 422", res.status)
	}
	mustContain(t, "too deep", res.body, "Level six")
	// The deepest comment offers no reply link.
	page := h.get("/posts/massage/").body
	if strings.Contains(page, `href="?reply=`+parent+`#comment-form"`) {
		t.Error("the fifth level still offers a reply link")
	}
}

func TestInvalidCommentIsShownBackWithEverythingKept(t *testing.T) {
	h := newHarness(t, massageSite(""))
	cases := []struct {
		name  string
		form  url.Values
		field string
	}{
		{"missing name", url.Values{"name": {"  "}, "body": {"My <long> story about quads & stairs"}, "email": {"kay@example.org"}}, "name"},
		{"missing body", url.Values{"name": {"Kay"}, "body": {"   "}}, "body"},
		{"bad email", url.Values{"name": {"Kay"}, "body": {"Hello"}, "email": {"not-an-email"}}, "email"},
		{"javascript website", url.Values{"name": {"Kay"}, "body": {"Hello"}, "website": {"javascript:alert(1)"}}, "website"},
		{"body too long", url.Values{"name": {"Kay"}, "body": {strings.Repeat("a", 10001)}}, "body"},
		{"unknown parent", url.Values{"name": {"Kay"}, "body": {"Hello"}, "parent": {"999"}}, "parent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := h.postForm("/posts/massage/comments", tc.form)
			if res.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", res.status)
			}
			if tc.field != "parent" {
				mustContain(t, tc.name, res.body, `id="error-`+tc.field+`"`, `aria-invalid="true"`)
			}
			mustContain(t, tc.name, res.body, `role="alert"`)
			// Everything the reader typed is in the form again, escaped.
			if body := tc.form.Get("body"); strings.TrimSpace(body) != "" && len(body) < 200 {
				mustContain(t, tc.name, res.body, strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;").Replace(body))
			}
			if email := tc.form.Get("email"); email != "" {
				mustContain(t, tc.name, res.body, `value="`+email+`"`)
			}
		})
	}
	if got, _ := h.db.ByPost(context.Background(), "massage"); len(got) != 0 {
		t.Errorf("invalid comments were stored: %+v", got)
	}
}

func TestHugeCommentBodyIsRefusedWith413(t *testing.T) {
	h := newHarness(t, massageSite(""))
	res := h.postForm("/posts/massage/comments", commentForm("Kay", strings.Repeat("x", 70<<10)))
	if res.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", res.status)
	}
	mustContain(t, "413 page", res.body, "Too large to accept", "larger than the 64 KiB this site accepts here")
}

func TestClosedCommentsAnswer403(t *testing.T) {
	h := newHarness(t, massageSite("\ncomments: false"))
	page := h.get("/posts/massage/").body
	mustContain(t, "closed post", page, "Comments are closed")
	mustNotContain(t, "closed post", page, `<form class="comment-form"`)
	res := h.postForm("/posts/massage/comments", commentForm("Kay", "Hello"))
	if res.status != http.StatusForbidden {
		t.Fatalf("status %d, want 403", res.status)
	}
	mustContain(t, "403 page", res.body, "Comments are closed")

	siteWide := newHarness(t, siteFiles{
		"site.yaml": strings.Replace(siteYAML, "comments:\n", "comments:\n  enabled: false\n", 1),
		massage:     post("title: Massage\ndate: 2011-10-03\nauthor: kay", "x"),
	})
	if res := siteWide.postForm("/posts/massage/comments", commentForm("Kay", "Hello")); res.status != http.StatusForbidden {
		t.Errorf("site-wide closed: status %d, want 403", res.status)
	}
}

func TestCommentOnMissingPostIs404(t *testing.T) {
	h := newHarness(t, massageSite(""))
	if res := h.postForm("/posts/nope/comments", commentForm("Kay", "Hello")); res.status != http.StatusNotFound {
		t.Fatalf("status %d, want 404", res.status)
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	h := newHarness(t, massageSite(""))
	res := h.postForm("/posts/massage/comments", commentForm("Mallory", "Cross-site"), "Sec-Fetch-Site", "cross-site")
	if res.status != http.StatusForbidden {
		t.Fatalf("cross-site POST: status %d, want 403", res.status)
	}
	res = h.postForm("/posts/massage/comments", commentForm("Mallory", "Cross-origin"), "Origin", "https://evil.example")
	if res.status != http.StatusForbidden {
		t.Fatalf("cross-origin POST: status %d, want 403", res.status)
	}
	// The same origin, as a browser sends it, is fine.
	res = h.postForm("/posts/massage/comments", commentForm("Kay", "Same origin"), "Sec-Fetch-Site", "same-origin")
	if res.status != http.StatusSeeOther {
		t.Fatalf("same-origin POST: status %d, want 303", res.status)
	}
	if got, _ := h.db.ByPost(context.Background(), "massage"); len(got) != 1 {
		t.Errorf("stored %d comments, want only the same-origin one", len(got))
	}
}

func TestPostingTooFastIsRateLimited(t *testing.T) {
	h := newHarness(t, massageSite(""), withCommentRate(5))
	var last response
	for i := 0; i < 6; i++ {
		last = h.postForm("/posts/massage/comments", commentForm("Kay", "Comment number "+string(rune('a'+i))))
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Fatalf("sixth comment in a minute: status %d Retry-After %q, want 429 with Retry-After", last.status, last.header.Get("Retry-After"))
	}
	// The reader's words are kept for when they may send them.
	mustContain(t, "429 page", last.body, "Please wait a minute", "Comment number f")
}

func TestNothingAReaderWritesRunsScript(t *testing.T) {
	h := newHarness(t, massageSite(""))
	form := commentForm(`<script>alert("name")</script>`, "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3))\n\n[data](data:text/html;base64,PHNjcmlwdD4=)")
	h.postComment(form)
	page := h.get("/posts/massage/").body
	thread := page[strings.Index(page, `id="comments"`):]
	mustNotContain(t, "comments", thread, "<script", "onerror", `href="javascript:`, `href="data:`, "<img")
	mustContain(t, "comments", thread, `&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;`)
}

// diskFull is a store whose writes fail, as bbolt's do when the disk is
// full, while full is set; reads still work.
type diskFull struct {
	comments.Store
	full atomic.Bool
}

func (d *diskFull) Submit(ctx context.Context, c *comments.Comment, forgetBefore time.Time, decide func(*comments.Comment, comments.Facts) error) error {
	if d.full.Load() {
		return fmt.Errorf("committing: write milepost.db: %w", syscall.ENOSPC)
	}
	return d.Store.Submit(ctx, c, forgetBefore, decide)
}

func (d *diskFull) Modify(ctx context.Context, id uint64, fn func(*comments.Comment, int) (comments.Change, error)) (comments.Comment, error) {
	if d.full.Load() {
		return comments.Comment{}, fmt.Errorf("committing: write milepost.db: %w", syscall.ENOSPC)
	}
	return d.Store.Modify(ctx, id, fn)
}

func TestAFullDiskShowsTheCommentBackWith503AndRetryAfter(t *testing.T) {
	disk := &diskFull{}
	h := newHarness(t, massageSite(""), withGuards(web.Guards{MinFormAge: 2 * time.Second, MaxFormAge: 24 * time.Hour}),
		withStore(func(s comments.Store) comments.Store { disk.Store = s; return disk }))
	served := h.clock.Now()
	form := h.freshForm("Kay", "A long story about my <first> marathon & the wall at 32 km.")
	h.clock.Set(served.Add(time.Minute))
	disk.full.Store(true)

	res := h.postForm("/posts/massage/comments", form)
	if res.status != http.StatusServiceUnavailable {
		t.Fatalf("writing to a full disk: %d, want 503\n%.400s", res.status, res.body)
	}
	if ra := res.header.Get("Retry-After"); ra == "" {
		t.Error("503 without Retry-After")
	}
	mustContain(t, "503 page", res.body, "please try again",
		"A long story about my &lt;first&gt; marathon &amp; the wall at 32 km.", `value="Kay"`, `role="alert"`)

	// When the disk has room again, the same form posts: it was not used up.
	disk.full.Store(false)
	h.clock.Set(served.Add(2 * time.Minute))
	h.postComment(form)
}

var (
	formAction   = regexp.MustCompile(`<form class="comment-form" id="comment-form" method="post" action="([^"]+)"`)
	summaryLinks = regexp.MustCompile(`<li><a href="#field-(\w+)">`)
)

func TestAFailedCommentLandsOnTheFormWithItsErrorsInFormOrder(t *testing.T) {
	h := newHarness(t, massageSite(""))
	page := h.get("/posts/massage/").body
	if m := formAction.FindStringSubmatch(page); m == nil || m[1] != "/posts/massage/comments#comment-form-errors" {
		t.Fatalf("the form's action is %v, want /posts/massage/comments#comment-form-errors so the page shown back opens at the error summary, focused", m)
	}

	bad := url.Values{"name": {""}, "email": {"not-an-email"}, "website": {"javascript:alert(1)"}, "body": {""}}
	res := h.postForm("/posts/massage/comments", bad)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.status)
	}
	form := res.body[strings.Index(res.body, `id="comment-form"`):]
	summary := strings.Index(form, `<div class="form-errors" id="comment-form-errors" role="alert" tabindex="-1"`)
	if summary < 0 || summary > strings.Index(form, `<input`) {
		t.Fatalf("no focusable error summary at the top of the form:\n%.1500s", form)
	}
	var order []string
	for _, m := range summaryLinks.FindAllStringSubmatch(form, -1) {
		order = append(order, m[1])
	}
	if want := []string{"name", "email", "website", "body"}; !slices.Equal(order, want) {
		t.Errorf("the summary lists %v, want the form's order %v", order, want)
	}
	for _, field := range order {
		mustContain(t, "field "+field, form, `id="error-`+field+`"`)
		if !regexp.MustCompile(`id="field-` + field + `"[^>]*aria-describedby="[^"]*error-` + field).MatchString(form) {
			t.Errorf("field %s is not described by its error", field)
		}
	}
}

func TestAFullDiskKeepsTheTextOfAnEdit(t *testing.T) {
	disk := &diskFull{}
	h := newHarness(t, moderatedSite("  moderation: open\n  edit_minutes: 15\n"),
		withStore(func(s comments.Store) comments.Store { disk.Store = s; return disk }))
	h.addUser("mod", accounts.RoleModerator)
	writer, mod := h.browser(), h.browser()
	mod.signIn("mod")
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Kay", "Frist")))
	disk.full.Store(true)

	res := writer.postForm("/posts/massage/comments/"+id+"/edit", url.Values{"body": {"First, & corrected"}})
	if res.status != http.StatusServiceUnavailable || res.header.Get("Retry-After") == "" {
		t.Fatalf("a reader's edit on a full disk: %d Retry-After %q, want 503 with Retry-After", res.status, res.header.Get("Retry-After"))
	}
	mustContain(t, "reader's edit", res.body, "First, &amp; corrected", "please try again")

	res = mod.postForm("/admin/comments/"+id+"/edit", url.Values{"body": {"Edited by the moderator"}})
	if res.status != http.StatusServiceUnavailable {
		t.Fatalf("a moderator's edit on a full disk: %d, want 503", res.status)
	}
	mustContain(t, "moderator's edit", res.body, "Edited by the moderator", "please try again")
}

// The form's action names the error summary as its fragment, so the page
// shown back opens at it and the browser focuses it. No heading of a post
// can take its id, whatever the heading says: the fragment must find the
// summary, not a heading above it. The edit page's form does the same.
func TestTheErrorSummaryIsTheOnlyTargetOfTheFormsFragment(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: open\n  edit_minutes: 15\n"))
	h2 := newHarness(t, siteFiles{
		massage: post("title: Massage during training\ndate: 2011-10-03\nauthor: kay",
			"## Comment form errors\n\nx\n\n## Form errors\n\ny\n\n## Comment form errors heading\n"),
	})
	res := h2.postForm("/posts/massage/comments", url.Values{"name": {""}, "body": {"hi"}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.status)
	}
	for _, id := range []string{"comment-form-errors", "comment-form-errors-heading"} {
		if n := strings.Count(res.body, `id="`+id+`"`); n != 1 {
			t.Errorf("the page has %d elements with id %q, want 1 (the summary's)", n, id)
		}
	}

	writer := h.browser()
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Kay", "Frist")))
	edit := "/posts/massage/comments/" + id + "/edit"
	mustContain(t, "edit page", writer.get(edit).body, `action="`+edit+`#form-errors"`)
	res = writer.postForm(edit, url.Values{"body": {""}})
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("an empty edit: %d, want 422", res.status)
	}
	mustContain(t, "edit refused", res.body, `id="form-errors" role="alert" tabindex="-1"`)
}
