package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/content"
)

// A banned reader is told when their ban ends in the site's zone, as every
// other time on the site is shown, whatever zone the ban was stored in.
func TestABansEndIsShownInTheSitesZone(t *testing.T) {
	h := newHarness(t, siteFiles{
		"site.yaml": siteYAML + "timezone: America/Los_Angeles\n",
		massage:     post("title: Massage during training\ndate: 2011-10-03\nauthor: kay", "x"),
	})
	h.addUser("mod", accounts.RoleModerator)
	mod := h.browser()
	mod.signIn("mod")
	// The harness clock is 2026-11-24 12:00 UTC; a day's ban ends at 4 AM
	// the next day in Los Angeles.
	if res := mod.postForm("/admin/bans/", url.Values{"kind": {"email"}, "value": {"troll@example.org"}, "duration": {"1d"}, "reason": {"abuse"}}); res.status != http.StatusSeeOther {
		t.Fatalf("banning: %d\n%.300s", res.status, res.body)
	}
	form := commentForm("Troll", "Again")
	form.Set("email", "troll@example.org")
	res := h.postForm("/posts/massage/comments", form)
	if res.status != http.StatusForbidden {
		t.Fatalf("a banned reader's comment: %d, want 403", res.status)
	}
	mustContain(t, "ban refusal", res.body, "You may not comment on this site until November 25, 2026 at 4:00 AM PST.")
	mustNotContain(t, "ban refusal", res.body, "UTC", "12:00")
}

// The archive groups posts by the month their date shows in the site's
// zone, and lists each under the day it shows there, whatever zone a date
// carries: 04:00 UTC on February 1 is a January evening in Los Angeles.
// (content gives dates the site's zone; the archive must not depend on it.)
func TestTheArchiveGroupsPostsByTheSitesMonths(t *testing.T) {
	h := newHarness(t, siteFiles{
		"site.yaml":  siteYAML + "timezone: America/Los_Angeles\n",
		"posts/a.md": post("title: Late run\ndate: 2024-01-31T20:00:00\nauthor: kay", "x"),
		"posts/b.md": post("title: Mid-month run\ndate: 2024-01-15\nauthor: kay", "x"),
	})
	for _, p := range (content.View{Site: h.site, Now: h.clock.Now()}).Posts() {
		p.Date = p.Date.UTC()
	}
	page := h.get("/archive/").body
	if n := strings.Count(page, ">January 2024</time></h2>"); n != 1 {
		t.Errorf("the archive has %d January 2024 headings, want 1:\n%s", n, page)
	}
	mustNotContain(t, "archive", page, "February 2024", "Feb 1")
	mustContain(t, "archive", page, `<time datetime="2024-01">January 2024</time>`, `>Jan 31</time> <a href="/posts/a/">Late run</a>`)
}
