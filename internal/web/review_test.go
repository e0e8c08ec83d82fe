package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"milepost/internal/accounts"
)

// TestAContributorsPostGoesThroughReview is the whole review over real HTTP
// and a real bbolt file: a contributor submits, editors see the count,
// an editor returns it with a note the contributor sees, the contributor
// submits again, an editor publishes it, and it is on the home page.
func TestAContributorsPostGoesThroughReview(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	cai := h.writerAs("cai", accounts.RoleContributor, "kay")
	ed := h.writerAs("ed", accounts.RoleEditor, "")
	const edit = "/admin/posts/my-first-long-run/edit"

	mustContain(t, "a contributor's new post form", cai.get("/admin/posts/new").body, `value="submit"`, "Submit for review")
	res := cai.postForm("/admin/posts/new", url.Values{"title": {"My first long run"}, "body": {"Twenty kilometres, slowly."},
		"date": {"2026-11-20T09:30"}, "action": {"submit"}})
	wantStatus(t, "submitting a new post", res, http.StatusSeeOther)
	mustContain(t, "the submitted file", h.readFile("posts/my-first-long-run/index.md"), "draft: true", "Twenty kilometres")
	mustContain(t, "the contributor's page after submitting", cai.get(edit).body, "Awaiting review", "An editor will publish it")

	mustContain(t, "the editor's admin home", ed.get("/admin/").body, "Awaiting review: 1")
	queue := ed.get("/admin/posts/?show=review")
	mustContain(t, "the editor's queue", queue.body, "Awaiting review: 1", edit, "My first long run")
	if strings.Contains(cai.get("/admin/posts/").body, "Awaiting review:") {
		t.Error("a contributor is shown the editors' queue count")
	}

	page := ed.get(edit)
	mustContain(t, "the editor's form of a post in review", page.body, "/admin/posts/my-first-long-run/return", "Return to its writer")
	wantStatus(t, "returning with no note", ed.postForm("/admin/posts/my-first-long-run/return", url.Values{"note": {"  "}}), http.StatusUnprocessableEntity)
	wantStatus(t, "returning with a note too long", ed.postForm("/admin/posts/my-first-long-run/return",
		url.Values{"note": {strings.Repeat("x", 4001)}}), http.StatusUnprocessableEntity)
	res = ed.postForm("/admin/posts/my-first-long-run/return", url.Values{"note": {"Spam from elsewhere."}},
		"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	wantStatus(t, "a cross-site return", res, http.StatusForbidden)
	mustContain(t, "the queue after a cross-site return", ed.get("/admin/").body, "Awaiting review: 1")
	res = ed.postForm("/admin/posts/my-first-long-run/return", url.Values{"note": {"Add your <b>splits</b>, please."}})
	wantStatus(t, "returning with a note", res, http.StatusSeeOther)
	wantStatus(t, "returning it twice", ed.postForm("/admin/posts/my-first-long-run/return", url.Values{"note": {"again"}}), http.StatusConflict)

	page = cai.get(edit)
	mustContain(t, "the contributor's edit page", page.body, "Returned with a note", "Add your &lt;b&gt;splits&lt;/b&gt;, please.", "Submit for review again")
	mustContain(t, "the contributor's list", cai.get("/admin/posts/").body, "Returned", "Add your &lt;b&gt;splits&lt;/b&gt;, please.")
	if strings.Contains(ed.get("/admin/").body, "Awaiting review:") {
		t.Error("a returned post is still counted for editors")
	}

	res = cai.postForm(edit, with(formFields(t, page.body), "body", "Twenty kilometres: 6:10, 6:05, 5:58 a kilometre.", "action", "submit"))
	wantStatus(t, "submitting again", res, http.StatusSeeOther)
	mustContain(t, "the editor's home after resubmission", ed.get("/admin/").body, "Awaiting review: 1")
	wantStatus(t, "the contributor publishing", cai.postForm(edit, with(formFields(t, cai.get(edit).body), "action", "publish")), http.StatusForbidden)

	res = ed.postForm(edit, with(formFields(t, ed.get(edit).body), "action", "publish"))
	wantStatus(t, "the editor publishing", res, http.StatusSeeOther)
	if strings.Contains(h.readFile("posts/my-first-long-run/index.md"), "draft: true") {
		t.Error("published, the file is still a draft")
	}
	mustContain(t, "the home page", h.get("/").body, "My first long run")
	if body := ed.get("/admin/posts/").body; strings.Contains(body, "Awaiting review:") {
		t.Error("a published post is still counted in the queue")
	}
	if strings.Contains(cai.get(edit).body, "Returned with a note") {
		t.Error("the old note is still shown after publishing")
	}

	for kind, want := range map[string][]string{
		"review-submit":  {"cai", "post my-first-long-run"},
		"review-return":  {"ed", "Add your &lt;b&gt;splits&lt;/b&gt;, please."},
		"review-publish": {"ed", "submitted by cai"},
	} {
		log := ed.get("/admin/log/?kind=" + kind)
		wantStatus(t, "the log of "+kind, log, http.StatusOK)
		mustContain(t, "the log of "+kind, log.body, want...)
		mustContain(t, "the log's filter", log.body, `href="/admin/log/?kind=`+kind+`"`)
	}
	if n := strings.Count(ed.get("/admin/log/?kind=review-submit").body, "post my-first-long-run"); n != 2 {
		t.Errorf("the log shows %d submissions, want 2", n)
	}
}

// TestOnlyEditorsReview: an author may not return another's post, nor a
// contributor their own; an author publishes directly and is never offered
// Submit for review.
func TestOnlyEditorsReview(t *testing.T) {
	h := newHarness(t, siteFiles{"authors/lee.md": "---\nname: Lee\n---\n"}, withAuthoring)
	cai := h.writerAs("cai", accounts.RoleContributor, "kay")
	lee := h.writerAs("lee", accounts.RoleAuthor, "lee")
	const edit = "/admin/posts/hill-repeats/edit"
	res := cai.postForm("/admin/posts/new", url.Values{"title": {"Hill repeats"}, "body": {"Ten times up."}, "action": {"submit"}})
	wantStatus(t, "submitting a post", res, http.StatusSeeOther)

	for who, b := range map[string]*browser{"the contributor": cai, "an author": lee} {
		res := b.postForm("/admin/posts/hill-repeats/return", url.Values{"note": {"No."}})
		wantStatus(t, who+" returning a post", res, http.StatusForbidden)
	}
	if strings.Contains(lee.get("/admin/posts/").body, "Awaiting review:") {
		t.Error("an author is shown the editors' queue")
	}
	page := lee.get("/admin/posts/new")
	if strings.Contains(page.body, `value="submit"`) {
		t.Error("an author is offered Submit for review")
	}
	wantStatus(t, "an author submitting", lee.postForm("/admin/posts/new", url.Values{"title": {"Mine"}, "body": {"x"}, "action": {"submit"}}), http.StatusBadRequest)
	ed := h.writerAs("ed", accounts.RoleEditor, "")
	wantStatus(t, "returning a post that is no post", ed.postForm("/admin/posts/no-such-post/return", url.Values{"note": {"x"}}), http.StatusNotFound)
	wantStatus(t, "returning a slug that climbs", ed.postForm("/admin/posts/..%2Fetc/return", url.Values{"note": {"x"}}), http.StatusNotFound)

	// The editor publishes it; its writer, a contributor, may not put the
	// published post back into review, which would take it down.
	wantStatus(t, "the editor publishing", ed.postForm(edit, with(formFields(t, ed.get(edit).body), "action", "publish")), http.StatusSeeOther)
	res = cai.postForm(edit, with(formFields(t, cai.get(edit).body), "action", "submit"))
	wantStatus(t, "submitting a published post", res, http.StatusForbidden)
	mustContain(t, "the published post", h.get("/posts/hill-repeats/").body, "Ten times up.")
}

// TestDeletingAPostInReviewTakesItOutOfTheQueue: a post deleted while it
// waits is no longer counted.
func TestDeletingAPostInReviewTakesItOutOfTheQueue(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	cai := h.writerAs("cai", accounts.RoleContributor, "kay")
	ed := h.writerAs("ed", accounts.RoleEditor, "")
	const edit = "/admin/posts/tempo/edit"
	wantStatus(t, "submitting", cai.postForm("/admin/posts/new", url.Values{"title": {"Tempo"}, "body": {"Fast."}, "action": {"submit"}}), http.StatusSeeOther)
	mustContain(t, "the queue", ed.get("/admin/").body, "Awaiting review: 1")
	wantStatus(t, "deleting", ed.postForm(edit, with(formFields(t, ed.get(edit).body), "action", "delete")), http.StatusSeeOther)
	if strings.Contains(ed.get("/admin/").body, "Awaiting review:") {
		t.Error("a deleted post is still counted in the queue")
	}
}

// TestEveryPostActionIsInTheLog: each step a writer or editor takes on a
// post in the editor is in /admin/log/ under its kind, with who took it,
// and the log's filter offers every kind.
func TestEveryPostActionIsInTheLog(t *testing.T) {
	h := newHarness(t, siteFiles{}, withAuthoring)
	ed := h.writerAs("ed", accounts.RoleEditor, "kay")
	const edit = "/admin/posts/long-run/edit"
	step := func(what, action string, kv ...string) {
		t.Helper()
		fields := url.Values{"title": {"Long run"}, "body": {"Thirty kilometres."}, "date": {"2026-11-20T09:30"}}
		path := "/admin/posts/new"
		if what != "create" {
			fields, path = formFields(t, ed.get(edit).body), edit
		}
		wantStatus(t, what, ed.postForm(path, with(fields, append([]string{"action", action}, kv...)...)), http.StatusSeeOther)
	}
	step("create", "draft")
	step("save", "draft", "body", "Thirty-two kilometres.")
	step("publish", "publish")
	step("unpublish", "draft")
	step("schedule", "publish", "date", "2099-01-01T08:00")
	page := ed.get(edit).body
	wantStatus(t, "restoring a version", ed.postForm("/admin/posts/long-run/history/1", url.Values{"version": {formFields(t, page).Get("version")}}), http.StatusSeeOther)
	step("delete", "delete")
	wantStatus(t, "restoring from the trash", ed.postForm("/admin/trash/1", url.Values{}), http.StatusSeeOther)

	everything := ed.get("/admin/log/").body
	for kind, n := range map[string]int{"post-create": 1, "post-save": 1, "post-publish": 1, "post-unpublish": 1,
		"post-schedule": 1, "post-delete": 1, "post-restore": 2} {
		mustContain(t, "the log's filter", everything, `href="/admin/log/?kind=`+kind+`"`)
		log := ed.get("/admin/log/?kind=" + kind)
		wantStatus(t, "the log of "+kind, log, http.StatusOK)
		if got := strings.Count(log.body, "post long-run"); got != n {
			t.Errorf("the log of %s shows %d entries for the post, want %d\n%.2000s", kind, got, n, log.body)
		}
		mustContain(t, "the log of "+kind, log.body, "ed")
	}
}
