package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"milepost/internal/web"
)

// phone is the viewport of a common phone, in CSS pixels.
const phoneWidth, phoneHeight = 390, 844

// TestAFailedCommentOpensAtTheFormOnAPhone sends the comment form without a
// name on a 390 px wide screen. The page shown back (422) must open at the
// form, with the error summary on screen and focused (so a screen reader
// starts there, and Tab goes on to its links), not at the top of the story
// thousands of pixels above; and it needs no script to do so (the site's
// policy runs none).
func TestAFailedCommentOpensAtTheFormOnAPhone(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil, withGuards(web.DefaultGuards))
	tb := newTab(t)
	if _, err := chromedp.Call(tb.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
		Width: phoneWidth, Height: phoneHeight, DeviceScaleFactor: 3, Mobile: true,
	}); err != nil {
		t.Fatalf("emulating a phone: %v", err)
	}
	if status := tb.navigate(srv.base + postPath); status != 200 {
		t.Fatalf("the story: status %d", status)
	}
	type box struct {
		Top    float64 `json:"top"`
		Bottom float64 `json:"bottom"`
		Width  float64 `json:"width"`
		Screen float64 `json:"screen"`
	}
	where := func(sel string) box {
		return eval[box](tb, `(() => {
			const r = document.querySelector(`+jsString(sel)+`).getBoundingClientRect();
			return {top: r.top, bottom: r.bottom, width: window.innerWidth, screen: window.innerHeight};
		})()`)
	}
	if b := where("#comment-form"); b.Width != phoneWidth || b.Top < b.Screen {
		t.Fatalf("the form is at %+v before sending: the test needs it below the first screen of a phone", b)
	}

	const body = "Typed on my phone after the long run."
	tb.do("typing a comment", chromedp.SendKeys(chromedp.ID("field-body"), body))
	if status := sendCommentForm(t, tb); status != 422 {
		t.Fatalf("sending the form without a name: status %d, want 422", status)
	}
	if loc := tb.location(); !strings.HasSuffix(loc, "#comment-form-errors") {
		t.Errorf("the page shown back is at %s, want its #comment-form-errors", loc)
	}
	summary := where("#comment-form-errors")
	// A pixel of rounding either way: a target scrolled to the top of the
	// screen may sit a fraction above it.
	if summary.Top < -1 || summary.Bottom > summary.Screen+1 {
		t.Errorf("the error summary is at %.0f–%.0f px, outside the %.0f px screen", summary.Top, summary.Bottom, summary.Screen)
	}
	if form := where("#comment-form"); form.Bottom <= 0 || form.Top >= form.Screen {
		t.Errorf("the form is at %.0f–%.0f px, out of the %.0f px screen", form.Top, form.Bottom, form.Screen)
	}
	if got := eval[string](tb, `document.activeElement.id`); got != "comment-form-errors" {
		t.Errorf("the focus is on %q, want the error summary (comment-form-errors)", got)
	}
	if got := tb.text("#comment-form-errors"); !strings.Contains(got, "Please tell us your name.") {
		t.Errorf("the error summary reads %q", got)
	}
	// The summary's link takes the reader to the field, which says what is
	// wrong with it.
	tb.do("following the summary's link", chromedp.Click(chromedp.CSS(`#comment-form-errors a[href="#field-name"]`)))
	if got := eval[string](tb, `document.activeElement.id + " " + document.activeElement.getAttribute("aria-describedby")`); got != "field-name error-name" {
		t.Errorf("after the summary's link, the focus is on %q, want field-name described by error-name", got)
	}
	if got := eval[string](tb, `document.getElementById("field-body").value`); got != body {
		t.Errorf("the textarea holds %q, want %q", got, body)
	}
}
