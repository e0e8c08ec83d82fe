package e2e

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"milepost/internal/web"
)

var commentAnchor = regexp.MustCompile(`^` + regexp.QuoteMeta(postPath) + `\?posted=([0-9]+)#comment-([0-9]+)$`)

// landedOn checks that the browser is on the post, at a comment's anchor, and
// returns the comment's element id.
func landedOn(t *testing.T, tb *tab, base string) string {
	t.Helper()
	loc := strings.TrimPrefix(tb.location(), base)
	m := commentAnchor.FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("after posting, the browser is at %s, want %s?posted=N#comment-N", loc, postPath)
	}
	if m[1] != m[2] {
		t.Fatalf("after posting, the browser is at %s: posted= and the anchor name different comments", loc)
	}
	id := "comment-" + m[2]
	if got := eval[string](tb, `document.querySelector(":target")?.id ?? ""`); got != id {
		t.Errorf("the page's :target is %q, want the new comment %q", got, id)
	}
	return id
}

// honeypot is what honeypotJS reports about the comment form's trap field.
type honeypot struct {
	Present  bool    `json:"present"`
	Value    string  `json:"value"`
	Right    float64 `json:"right"`  // its box's right edge, in page coordinates
	Bottom   float64 `json:"bottom"` // its box's bottom edge, in page coordinates
	Width    float64 `json:"width"`
	Height   float64 `json:"height"`
	Clipped  bool    `json:"clipped"`  // inside a box of at most 1px that hides what overflows it
	TabIndex int     `json:"tabIndex"` // -1 leaves it out of the Tab order
	Hidden   bool    `json:"hidden"`   // inside aria-hidden="true"
}

const honeypotJS = `(() => {
	const el = document.getElementById("field-homepage");
	if (!el) return { present: false };
	const r = el.getBoundingClientRect();
	const box = el.closest(".trap");
	const cs = box && getComputedStyle(box);
	return {
		present: true,
		value: el.value,
		right: r.right + scrollX,
		bottom: r.bottom + scrollY,
		width: r.width,
		height: r.height,
		clipped: !!box && cs.overflow === "hidden" && box.getBoundingClientRect().width <= 1 && box.getBoundingClientRect().height <= 1,
		tabIndex: el.tabIndex,
		hidden: !!el.closest('[aria-hidden="true"]'),
	};
})()`

// sendCommentForm sends the comment form in the tab as a person would on a
// server with web.DefaultGuards: not before the form is old enough for the
// time guard, and with the honeypot field there but out of a person's sight
// and reach, and still empty after they filled the form in. It returns the
// status of the page the browser lands on.
func sendCommentForm(t *testing.T, tb *tab) int64 {
	t.Helper()
	// The page's time stamp names the end of the step it was served in
	// (shared by every reader), so the form may need a step more.
	tb.waitPageAge(web.DefaultGuards.MinFormAge + web.FormTokenStep)
	hp := eval[honeypot](tb, honeypotJS)
	if !hp.Present {
		t.Errorf("the comment form has no #field-homepage: the honeypot guard is off")
	} else {
		if hp.Value != "" {
			t.Errorf("the honeypot field holds %q after a person filled the form in; the server will take them for a bot", hp.Value)
		}
		if onPage := hp.Right > 0 && hp.Bottom > 0 && hp.Width > 0 && hp.Height > 0; onPage && !hp.Clipped {
			t.Errorf("a person can see the honeypot field: %+v", hp)
		}
		if hp.TabIndex >= 0 || !hp.Hidden {
			t.Errorf("the honeypot field is in the Tab order or not aria-hidden: %+v", hp)
		}
	}
	return tb.clickAndLoad(`#comment-form button[type="submit"]`)
}

// TestNewcomerReadsCommentsAndReplies is a first visit: from the home page to
// the story, its author and seed comments, then a comment of one's own and a
// reply to it, both still there after a reload. The spam guards are on, as
// on a new site, and the newcomer takes a couple of seconds over each form.
func TestNewcomerReadsCommentsAndReplies(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil, withGuards(web.DefaultGuards))
	tb := newTab(t)

	if status := tb.navigate(srv.base + "/"); status != 200 {
		t.Fatalf("home page: status %d", status)
	}
	if got := tb.text(".post-card h2 a"); got != postTitle {
		t.Fatalf("the first story on the home page is %q, want %q", got, postTitle)
	}
	if status := tb.clickAndLoad(".post-card h2 a"); status != 200 {
		t.Fatalf("the story: status %d", status)
	}
	if loc := tb.location(); loc != srv.base+postPath {
		t.Fatalf("the title link led to %s, want %s", loc, srv.base+postPath)
	}

	// The story, its author and the two seed comments.
	if got := tb.text("h1.p-name"); got != postTitle {
		t.Errorf("heading %q, want %q", got, postTitle)
	}
	if got := run(tb, "reading the title", chromedp.Title()); !strings.Contains(got, postTitle) {
		t.Errorf("document title %q does not name the story", got)
	}
	if got := tb.text(".author-card .author-name"); got != "Kay-Kay's Bird Club" {
		t.Errorf("author card names %q", got)
	}
	if got := tb.text(".author-card .bio"); got != "Hat-maker, Bird lover, Star gazer, Scooter rider, and Running fool." {
		t.Errorf("author card bio %q", got)
	}
	if got := tb.text("#comments-heading"); got != "2 comments" {
		t.Errorf("comments heading %q, want 2 comments", got)
	}
	if n := tb.count("ol.thread > li.comment"); n != 2 {
		t.Fatalf("%d top-level comments, want the 2 seed comments", n)
	}
	for i, want := range []string{firstSeed, secondSeed} {
		li := fmt.Sprintf("ol.thread > li.comment:nth-child(%d)", i+1)
		if got := tb.text(li + " > article .comment-body"); !strings.HasPrefix(got, want) {
			t.Errorf("seed comment %d reads %q, want it to start %q", i+1, got, want)
		}
		if got := tb.text(li + " > article .comment-author"); got != "Anonymous reader" {
			t.Errorf("seed comment %d is by %q, want Anonymous reader", i+1, got)
		}
	}

	// A comment of one's own.
	const name, body = "New Runner", "Massage the Monday before worked for me too."
	tb.do("filling the comment form",
		chromedp.SendKeys(chromedp.ID("field-name"), name),
		chromedp.SendKeys(chromedp.ID("field-body"), body),
	)
	if status := sendCommentForm(t, tb); status != 200 {
		t.Fatalf("posting the comment: the page after it has status %d", status)
	}
	mine := landedOn(t, tb, srv.base)
	if got := tb.text("#" + mine + " > article .comment-body"); got != body {
		t.Errorf("the new comment reads %q, want %q", got, body)
	}
	if got := tb.text("#" + mine + " > article .comment-author"); got != name {
		t.Errorf("the new comment is by %q, want %q", got, name)
	}
	if tb.count("ol.thread > li.comment#"+mine) != 1 {
		t.Errorf("the new comment is not a top-level comment")
	}

	// A reply to it.
	if status := tb.clickAndLoad("#" + mine + " > article .comment-actions a"); status != 200 {
		t.Fatalf("the reply link: status %d", status)
	}
	wantReply := srv.base + postPath + "?reply=" + strings.TrimPrefix(mine, "comment-") + "#comment-form"
	if loc := tb.location(); loc != wantReply {
		t.Errorf("the reply link led to %s, want %s", loc, wantReply)
	}
	if got := tb.text("#comment-form h3"); got != "Reply to "+name {
		t.Errorf("the form is headed %q, want %q", got, "Reply to "+name)
	}
	// The form remembers the name this browser used last time.
	if got := eval[string](tb, `document.getElementById("field-name").value`); got != name {
		t.Errorf("the reply form's name is %q, want the remembered %q", got, name)
	}
	const replyName, replyBody = "Kay-Kay", "Good to know, thanks! Monday it is."
	eval[string](tb, `document.getElementById("field-name").value = ""`)
	tb.do("filling the reply form",
		chromedp.SendKeys(chromedp.ID("field-name"), replyName),
		chromedp.SendKeys(chromedp.ID("field-body"), replyBody),
	)
	if status := sendCommentForm(t, tb); status != 200 {
		t.Fatalf("posting the reply: the page after it has status %d", status)
	}
	reply := landedOn(t, tb, srv.base)

	check := func(when string) {
		t.Helper()
		nested := "#" + mine + " > ol.replies > li.comment#" + reply
		if tb.count(nested) != 1 {
			t.Fatalf("%s: the reply is not nested in the comment's ol.replies", when)
		}
		if got := tb.text(nested + " > article .comment-body"); got != replyBody {
			t.Errorf("%s: the reply reads %q, want %q", when, got, replyBody)
		}
		if got := tb.text(nested + " > article .comment-author"); got != replyName {
			t.Errorf("%s: the reply is by %q, want %q", when, got, replyName)
		}
		if got := tb.text("#" + mine + " > article .comment-body"); got != body {
			t.Errorf("%s: the comment reads %q, want %q", when, got, body)
		}
		if got := tb.text("#comments-heading"); got != "4 comments" {
			t.Errorf("%s: comments heading %q, want 4 comments", when, got)
		}
	}
	check("after replying")
	tb.do("reloading", chromedp.Reload())
	check("after a reload")
	if d := tb.takeDialogs(); len(d) > 0 {
		t.Errorf("the page opened dialogs: %v", d)
	}
}

// TestCommentFormKeepsTextWhenNameIsMissing sends the form without a name: the
// page answers 422 with the error next to the name field, and the comment the
// reader typed is still in the textarea. The spam guards are on: the form
// shown again is a new form, with a new time stamp and the honeypot.
func TestCommentFormKeepsTextWhenNameIsMissing(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil, withGuards(web.DefaultGuards))
	tb := newTab(t)
	if status := tb.navigate(srv.base + postPath); status != 200 {
		t.Fatalf("the story: status %d", status)
	}
	const body = "First comment here.\nTwo lines: 5 < 6 & 7 > 3."
	tb.do("typing a comment", chromedp.SendKeys(chromedp.ID("field-body"), body))

	// The status comes from the browser's network events for the document.
	if status := sendCommentForm(t, tb); status != 422 {
		t.Errorf("sending the form without a name: status %d, want 422", status)
	}
	if tb.count("#error-name") != 1 {
		t.Fatal("no #error-name on the page")
	}
	if got := tb.text("#error-name"); got != "Please tell us your name." {
		t.Errorf("name error %q", got)
	}
	type fieldState struct {
		SameField   bool   `json:"sameField"`
		Invalid     string `json:"invalid"`
		DescribedBy string `json:"describedBy"`
		Body        string `json:"body"`
		Name        string `json:"name"`
		Alert       string `json:"alert"`
		Errors      int    `json:"errors"`
	}
	st := eval[fieldState](tb, `(() => {
		const input = document.getElementById("field-name");
		const err = document.getElementById("error-name");
		return {
			sameField: err.closest(".field") === input.closest(".field") && input.closest(".field").classList.contains("invalid"),
			invalid: input.getAttribute("aria-invalid") ?? "",
			describedBy: input.getAttribute("aria-describedby") ?? "",
			body: document.getElementById("field-body").value,
			name: input.value,
			alert: document.querySelector('.form-errors[role="alert"]')?.innerText ?? "",
			errors: document.querySelectorAll("#comment-form .error").length,
		};
	})()`)
	if !st.SameField {
		t.Error("the name error is not in the name field's .field.invalid")
	}
	if st.Invalid != "true" || st.DescribedBy != "error-name" {
		t.Errorf("name input: aria-invalid=%q aria-describedby=%q, want true and error-name", st.Invalid, st.DescribedBy)
	}
	if st.Body != body {
		t.Errorf("the textarea holds %q, want what was typed, %q", st.Body, body)
	}
	if st.Name != "" {
		t.Errorf("the name field holds %q, want it empty", st.Name)
	}
	if !strings.Contains(st.Alert, "Please tell us your name.") {
		t.Errorf("the error summary reads %q", st.Alert)
	}
	if st.Errors != 1 {
		t.Errorf("%d field errors shown, want only the name's", st.Errors)
	}
	if got := tb.text("#comments-heading"); got != "2 comments" {
		t.Errorf("comments heading %q: the refused comment must not be stored", got)
	}

	// Fixing the name sends the same text.
	tb.do("typing a name", chromedp.SendKeys(chromedp.ID("field-name"), "Late Name"))
	if status := sendCommentForm(t, tb); status != 200 {
		t.Fatalf("sending the fixed form: status %d", status)
	}
	id := landedOn(t, tb, srv.base)
	if got := eval[string](tb, fmt.Sprintf(`document.querySelector("#%s .comment-body").innerText`, id)); strings.TrimSpace(got) != body {
		t.Errorf("the stored comment reads %q, want %q", got, body)
	}
}
