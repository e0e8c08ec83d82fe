package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"milepost/internal/accounts"
	"milepost/internal/comments"
)

// seedThreads stores n top-level comments on the massage post, with
// statuses from status(i), in one transaction; comment i has ID i+1.
func (h *harness) seedThreads(n int, status func(i int) comments.Status) {
	h.t.Helper()
	cs := make([]comments.Comment, n)
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range cs {
		cs[i] = comments.Comment{ID: uint64(i + 1), Post: "massage", Name: "Reader " + strconv.Itoa(i+1),
			Body:   "Comment number " + strconv.Itoa(i+1) + " with a few words to make it look real.",
			Status: status(i), Created: start.Add(time.Duration(i) * time.Minute)}
	}
	if ok, err := h.db.Seed(context.Background(), cs); err != nil || !ok {
		h.t.Fatalf("seeding %d comments: %v, %v", n, ok, err)
	}
}

func approvedAll(int) comments.Status { return comments.StatusApproved }

func commentsOn(body string) int { return strings.Count(body, `<li class="comment`) }

// TestAPostWithThousandsOfCommentsIsServedInPages: 5,000 approved comments
// once made the post page 4.5 MB. Now a page shows 50 threads, with links to
// the others, and stays small.
func TestAPostWithThousandsOfCommentsIsServedInPages(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.seedThreads(5000, approvedAll)

	first := h.get("/posts/massage/")
	if first.status != http.StatusOK {
		t.Fatalf("GET the post: %d", first.status)
	}
	if n := commentsOn(first.body); n != comments.ThreadsPerPage {
		t.Errorf("the first page shows %d comments, want %d", n, comments.ThreadsPerPage)
	}
	if size := len(first.body); size > 100<<10 {
		t.Errorf("the first page is %d bytes; a page of 50 comments should be far under 100 KiB", size)
	}
	for _, want := range []string{"5000 comments", "Comments page 1 of 100", `href="/posts/massage/?comments=2#comments"`,
		`id="comment-1"`, `id="comment-50"`} {
		if !strings.Contains(first.body, want) {
			t.Errorf("the first page lacks %q", want)
		}
	}
	if strings.Contains(first.body, `id="comment-51"`) {
		t.Error("the first page shows comment 51")
	}
	last := h.get("/posts/massage/?comments=100")
	if last.status != http.StatusOK || commentsOn(last.body) != 50 || !strings.Contains(last.body, `id="comment-5000"`) ||
		!strings.Contains(last.body, `href="/posts/massage/?comments=99#comments"`) ||
		!strings.Contains(last.body, `<link rel="canonical" href="https://runners.example.org/posts/massage/?comments=100">`) {
		t.Errorf("the last page: %d, %d comments\n%.300s", last.status, commentsOn(last.body), last.body)
	}
	for _, bad := range []string{"101", "0", "-1", "two", "02", "99999999999999999999"} {
		if res := h.get("/posts/massage/?comments=" + bad); res.status != http.StatusNotFound {
			t.Errorf("?comments=%s: %d, want 404", bad, res.status)
		}
	}
}

// TestASpamFloodCostsNothingToShow: 5,000 spam comments around 2 approved
// ones make a page with 2 comments.
func TestASpamFloodCostsNothingToShow(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.seedThreads(5002, func(i int) comments.Status {
		if i == 17 || i == 4000 {
			return comments.StatusApproved
		}
		return comments.StatusSpam
	})
	page := h.get("/posts/massage/")
	if page.status != http.StatusOK || commentsOn(page.body) != 2 || !strings.Contains(page.body, "2 comments") ||
		strings.Contains(page.body, "Comments page") {
		t.Errorf("the page: %d, %d comments", page.status, commentsOn(page.body))
	}
	if len(page.body) > 40<<10 {
		t.Errorf("the page is %d bytes", len(page.body))
	}
}

// TestCommentLinksLandOnTheirPage: feeds, the admin pages and the edit
// page link to /posts/{slug}/comments/{id}, which sends the reader to the
// page that shows it.
func TestCommentLinksLandOnTheirPage(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.seedThreads(120, func(i int) comments.Status {
		if i == 110 {
			return comments.StatusSpam
		}
		return comments.StatusApproved
	})
	for _, tc := range []struct{ id, want string }{
		{"1", "/posts/massage/#comment-1"},
		{"50", "/posts/massage/#comment-50"},
		{"51", "/posts/massage/?comments=2#comment-51"},
		{"120", "/posts/massage/?comments=3#comment-120"},
		{"111", "/posts/massage/#comments"},  // spam: as if it did not exist
		{"9999", "/posts/massage/#comments"}, // deleted
	} {
		res := h.get("/posts/massage/comments/" + tc.id)
		if res.status != http.StatusFound || res.header.Get("Location") != tc.want {
			t.Errorf("comment %s: %d to %q, want %q", tc.id, res.status, res.header.Get("Location"), tc.want)
		}
	}
	page := h.get("/posts/massage/?comments=3")
	if !strings.Contains(page.body, `id="comment-120"`) {
		t.Error("page 3 does not show comment 120")
	}
	for _, path := range []string{"/posts/nothing/comments/1", "/posts/massage/comments/x"} {
		if res := h.get(path); res.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, res.status)
		}
	}
	// The comment feed links there too.
	feed := h.get("/posts/massage/comments.xml").body
	if !strings.Contains(feed, "https://runners.example.org/posts/massage/comments/120</link>") {
		t.Errorf("the comment feed does not link to the comment's address:\n%.600s", feed)
	}
}

// TestPostingAndReplyingLandOnTheRightPage: the page after posting shows
// the new comment (on the last page), and a reply link on page 2 opens the
// form on page 2, replying to the comment.
func TestPostingAndReplyingLandOnTheRightPage(t *testing.T) {
	h := newHarness(t, massageSite(""))
	h.seedThreads(120, approvedAll)
	id := h.postComment(commentForm("Dana", "A new thread at the end."))
	res := h.get("/posts/massage/?posted=" + id + "#comment-" + id)
	if !strings.Contains(res.body, `id="comment-`+id+`"`) ||
		!strings.Contains(res.body, "Comments page 3 of 3") {
		t.Errorf("after posting, the page does not show the new comment:\n%.400s", res.body)
	}
	reply := h.get("/posts/massage/?reply=75#comment-form")
	if !strings.Contains(reply.body, "Comments page 2 of 3") || !strings.Contains(reply.body, `href="#comment-75">this comment</a>`) {
		t.Errorf("a reply link to comment 75 does not open page 2 replying to it")
	}
	form := commentForm("Ben", "An answer to 75.")
	form.Set("parent", "75")
	answer := h.postComment(form)
	if res := h.get("/posts/massage/comments/" + answer); res.header.Get("Location") != "/posts/massage/?comments=2#comment-"+answer {
		t.Errorf("the answer to 75 is at %q, want page 2", res.header.Get("Location"))
	}
	// A reply with a mistake comes back on the page of the comment it answers.
	form.Set("name", "")
	back := h.postForm("/posts/massage/comments", form)
	if back.status != http.StatusUnprocessableEntity || !strings.Contains(back.body, "Comments page 2 of 3") {
		t.Errorf("a reply with a mistake came back with %d, not on page 2", back.status)
	}
}

// TestAHeldReplyLeavesTheWriterTheirEdit: "not once someone has replied"
// means a reply others can see. A held reply (here, for a hold word) does
// not take the edit and delete right away; its approval does.
func TestAHeldReplyLeavesTheWriterTheirEdit(t *testing.T) {
	h := newHarness(t, moderatedSite("  moderation: open\n  hold_words: [casino]\n"))
	h.addUser("mod", accounts.RoleModerator)
	writer, spammer, mod := h.browser(), h.browser(), h.browser()
	mod.signIn("mod")
	id := heldID(t, writer.postForm("/posts/massage/comments", commentForm("Kay", "My first run")))
	form := commentForm("Spam", "Visit the c\u0430sino")
	form.Set("parent", id)
	reply := heldID(t, spammer.postForm("/posts/massage/comments", form))

	if res := writer.get("/posts/massage/comments/" + id + "/edit"); res.status != http.StatusOK {
		t.Fatalf("the edit form with only a held reply: %d", res.status)
	}
	page := writer.get("/posts/massage/").body
	if !strings.Contains(page, "/posts/massage/comments/"+id+"/edit") {
		t.Error("the post page offers no edit while the only reply is held")
	}
	if res := writer.postForm("/posts/massage/comments/"+id+"/edit", url.Values{"body": {"My first long run"}}); res.status != http.StatusSeeOther {
		t.Fatalf("editing with only a held reply: %d\n%.300s", res.status, res.body)
	}
	if res := mod.postForm("/admin/comments/"+reply+"/approve", url.Values{}); res.status != http.StatusSeeOther {
		t.Fatalf("approving the reply: %d", res.status)
	}
	if res := writer.get("/posts/massage/comments/" + id + "/edit"); res.status != http.StatusForbidden {
		t.Errorf("the edit form once the reply is published: %d, want 403", res.status)
	}
	if res := writer.postForm("/posts/massage/comments/"+id+"/delete", url.Values{}); res.status == http.StatusSeeOther {
		t.Error("the writer deleted a comment with a published reply")
	}
}
