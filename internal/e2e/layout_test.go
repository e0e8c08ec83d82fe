package e2e

import (
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"milepost/internal/web"
)

// checklistPost has what glitched on a phone: a footnote and a task list.
const checklistPost = `---
title: Long run checklist
date: 2011-10-10T07:00:00
author: kay-kays-bird-club
tags: [marathon]
---

Before every long run I go through the same list.[^1]

- [x] Gels in the belt
- [ ] Tell someone the route

[^1]: It saves a lot of trouble at mile 15.
`

// contrastJS computes WCAG contrast ratios in the page: ratio(a, b) of two
// computed colours ("rgb(…)"), and bg(el), the first opaque background at or
// behind an element.
const contrastJS = `
	const lum = (c) => {
		const [r, g, b] = c.match(/[\d.]+/g).slice(0, 3).map(Number).map((v) => {
			v /= 255;
			return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
		});
		return 0.2126 * r + 0.7152 * g + 0.0722 * b;
	};
	const ratio = (a, b) => {
		const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
		return (x + 0.05) / (y + 0.05);
	};
	const bg = (el) => {
		for (; el; el = el.parentElement) {
			const c = getComputedStyle(el).backgroundColor;
			const alpha = c.match(/[\d.]+/g)[3];
			if (alpha === undefined || Number(alpha) > 0) return c;
		}
		return "rgb(255, 255, 255)";
	};
`

// TestTheThemeHoldsTogetherOnAPhoneInLightAndDark looks at the pages on a
// 390 px wide screen, light and dark, for the glitches readers saw: form
// field borders too faint to find (WCAG 1.4.11 wants 3:1), "3 / min read"
// split over two lines, two rules above the footnotes, a cramped moderation
// badge, and the footer floating mid-screen on a short page.
func TestTheThemeHoldsTogetherOnAPhoneInLightAndDark(t *testing.T) {
	t.Parallel()
	srv := startServer(t, map[string]string{"posts/long-run-checklist.md": checklistPost}, withGuards(web.DefaultGuards))
	for _, scheme := range []string{"light", "dark"} {
		t.Run(scheme, func(t *testing.T) {
			tb := newTab(t)
			if _, err := chromedp.Call(tb.ctx, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
				Width: phoneWidth, Height: phoneHeight, DeviceScaleFactor: 3, Mobile: true,
			}); err != nil {
				t.Fatalf("emulating a phone: %v", err)
			}
			if _, err := chromedp.Call(tb.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
			}); err != nil {
				t.Fatalf("emulating a %s colour scheme: %v", scheme, err)
			}

			if status := tb.navigate(srv.base + postPath); status != 200 {
				t.Fatalf("the story: status %d", status)
			}
			if got := eval[bool](tb, `matchMedia("(prefers-color-scheme: dark)").matches`); got != (scheme == "dark") {
				t.Fatalf("the page does not see the %s scheme", scheme)
			}
			// Each field's border against the form around it, and the page.
			type fieldContrast struct {
				ID     string  `json:"id"`
				Form   float64 `json:"form"`
				Inside float64 `json:"inside"`
			}
			fields := eval[[]fieldContrast](tb, `(() => {`+contrastJS+`
				return [...document.querySelectorAll("#comment-form input:not([type=hidden]):not([tabindex='-1']), #comment-form textarea")].map((el) => {
					const border = getComputedStyle(el).borderTopColor;
					return {id: el.id, form: ratio(border, bg(el.parentElement)), inside: ratio(border, bg(el))};
				});
			})()`)
			if len(fields) < 4 {
				t.Fatalf("found %d comment form fields, want name, email, website and comment", len(fields))
			}
			for _, f := range fields {
				if f.Form < 3 {
					t.Errorf("#%s: border contrast %.2f:1 against the form, want at least 3:1", f.ID, f.Form)
				}
			}
			// The reading time of the sample story stays on one line.
			lines := eval[int](tb, `(() => {
				const by = document.querySelector(".post-head .byline");
				const walk = document.createTreeWalker(by, NodeFilter.SHOW_TEXT);
				for (let n; (n = walk.nextNode()); ) {
					const m = n.data.match(/\d+ min read/);
					if (!m) continue;
					const r = document.createRange();
					r.setStart(n, m.index);
					r.setEnd(n, m.index + m[0].length);
					return new Set([...r.getClientRects()].map((b) => Math.round(b.top))).size;
				}
				return 0;
			})()`)
			if lines != 1 {
				t.Errorf("“N min read” in the byline is on %d lines, want 1", lines)
			}

			if status := tb.navigate(srv.base + "/posts/long-run-checklist/"); status != 200 {
				t.Fatalf("the checklist story: status %d", status)
			}
			rules := eval[int](tb, `(() => {
				const notes = document.querySelector(".footnotes");
				const shown = (el) => getComputedStyle(el).display !== "none" && el.getBoundingClientRect().height > 0;
				const hrs = [...notes.querySelectorAll(":scope > hr")].filter(shown).length;
				return hrs + (parseFloat(getComputedStyle(notes).borderTopWidth) > 0 ? 1 : 0);
			})()`)
			if rules != 1 {
				t.Errorf("%d rules above the footnotes, want 1", rules)
			}

			// A short page: the footer sits at the bottom of the screen.
			if status := tb.navigate(srv.base + "/tags/"); status != 200 {
				t.Fatalf("the tags page: status %d", status)
			}
			type footerBox struct {
				Bottom float64 `json:"bottom"`
				Screen float64 `json:"screen"`
				Page   float64 `json:"page"`
			}
			fb := eval[footerBox](tb, `(() => ({
				bottom: document.querySelector(".site-footer").getBoundingClientRect().bottom,
				screen: innerHeight,
				page: document.documentElement.scrollHeight,
			}))()`)
			if fb.Page > fb.Screen {
				t.Fatalf("the tags page is %.0f px tall on a %.0f px screen: the test needs a short page", fb.Page, fb.Screen)
			}
			if fb.Bottom < fb.Screen-1 {
				t.Errorf("the footer ends %.0f px above the bottom of a short page's screen", fb.Screen-fb.Bottom)
			}

			// A held comment, as its writer sees it: the badge's lines of
			// text must not run into each other when it wraps.
			if status := tb.navigate(srv.base + postPath); status != 200 {
				t.Fatalf("the story: status %d", status)
			}
			tb.do("filling the comment form",
				chromedp.SendKeys(chromedp.ID("field-name"), "Casey"),
				chromedp.SendKeys(chromedp.ID("field-body"), "Any casino near the marathon start? Asking in "+scheme+" mode."),
			)
			if status := sendCommentForm(t, tb); status != 200 {
				t.Fatalf("posting a comment to be held: the page after it has status %d", status)
			}
			type badge struct {
				Found      bool    `json:"found"`
				LineHeight float64 `json:"lineHeight"`
				FontSize   float64 `json:"fontSize"`
				Lines      float64 `json:"lines"`
			}
			b := eval[badge](tb, `(() => {
				const el = document.querySelector(".comment.pending .pending-badge");
				if (!el) return {found: false};
				const cs = getComputedStyle(el);
				const lh = parseFloat(cs.lineHeight), pad = parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom);
				return {found: true, lineHeight: lh, fontSize: parseFloat(cs.fontSize), lines: (el.getBoundingClientRect().height - pad) / lh};
			})()`)
			if !b.Found {
				t.Fatal("the writer does not see their held comment's badge")
			}
			if b.LineHeight < 1.3*b.FontSize {
				t.Errorf("the moderation badge's line height is %.1f px for %.1f px text (%.0f lines): wrapped lines run into each other", b.LineHeight, b.FontSize, b.Lines)
			}
		})
	}
}
