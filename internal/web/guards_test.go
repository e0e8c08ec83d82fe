package web_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"milepost/internal/web"
)

var formToken = regexp.MustCompile(`name="ts" value="([^"]+)"`)

// freshForm fetches the post page and returns a comment form carrying the
// page's signed time stamp.
func (h *harness) freshForm(name, body string) url.Values {
	h.t.Helper()
	m := formToken.FindStringSubmatch(h.get("/posts/massage/").body)
	if m == nil {
		h.t.Fatal("the post page has no form time stamp")
	}
	f := commentForm(name, body)
	f.Set("ts", m[1])
	return f
}

func (h *harness) storedCount() int {
	h.t.Helper()
	cs, err := h.db.ByPost(context.Background(), "massage")
	if err != nil {
		h.t.Fatal(err)
	}
	return len(cs)
}

func TestHoneypotFieldRefusesBots(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(web.Guards{Honeypot: true}))
	page := h.get("/posts/massage/").body
	mustContain(t, "form", page, `name="homepage"`, "Leave this field empty")

	bot := commentForm("Bot", "Cheap shoes at my site")
	bot.Set("homepage", "http://spam.example")
	res := h.postForm("/posts/massage/comments", bot)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("honeypot filled: %d, want 422", res.status)
	}
	mustContain(t, "refusal", res.body, "automated program", "Cheap shoes at my site")
	if h.storedCount() != 0 {
		t.Error("a honeypot comment was stored")
	}
	// A person leaves it empty.
	h.postComment(commentForm("Kay", "A person’s comment"))
}

func TestFormTimeStampRefusesTooFastAndTooOld(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(web.Guards{MinFormAge: 2 * time.Second, MaxFormAge: 24 * time.Hour}))
	served := h.clock.Now()

	form := h.freshForm("Kay", "Typed in a hurry")
	res := h.postForm("/posts/massage/comments", form)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("submitted at once: %d, want 422", res.status)
	}
	mustContain(t, "too fast", res.body, "quicker than we expect", "Typed in a hurry")

	h.clock.Set(served.Add(25 * time.Hour))
	if res := h.postForm("/posts/massage/comments", form); res.status != http.StatusUnprocessableEntity || !strings.Contains(res.body, "too old") {
		t.Fatalf("a day-old form: %d, want 422 saying it is too old", res.status)
	}

	forged := h.freshForm("Kay", "Forged time stamp")
	forged.Set("ts", "1000000000.AAAAAAAAAAAAAAAAAAAAAAAA")
	h.clock.Set(h.clock.Now().Add(time.Minute))
	if res := h.postForm("/posts/massage/comments", forged); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("forged time stamp: %d, want 422", res.status)
	}
	missing := commentForm("Kay", "No time stamp at all")
	if res := h.postForm("/posts/massage/comments", missing); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("no time stamp: %d, want 422", res.status)
	}

	// A person who takes their time is welcome.
	h.clock.Set(served)
	ok := h.freshForm("Kay", "Written at a human pace")
	h.clock.Set(served.Add(30 * time.Second))
	h.postComment(ok)
	if h.storedCount() != 1 {
		t.Errorf("stored %d comments, want only the human one", h.storedCount())
	}
}

func TestRateLimitUsesForwardedForOnlyFromTrustedProxies(t *testing.T) {
	proxy := netip.MustParsePrefix("127.0.0.0/8")
	h := newHarness(t, massageSite(""), withCommentRate(2), withGuards(web.Guards{TrustedProxies: []netip.Prefix{proxy}}))
	post := func(xff string) int {
		return h.postForm("/posts/massage/comments", commentForm("Kay", "hello "+xff+time.Now().String()), "X-Forwarded-For", xff).status
	}
	// Two readers behind the proxy each get their own allowance.
	for _, ip := range []string{"203.0.113.7", "203.0.113.7", "198.51.100.9", "198.51.100.9"} {
		if st := post(ip); st != http.StatusSeeOther {
			t.Fatalf("reader %s: %d, want 303", ip, st)
		}
	}
	if st := post("203.0.113.7"); st != http.StatusTooManyRequests {
		t.Errorf("third comment from 203.0.113.7: %d, want 429", st)
	}
	// A spoofed hop to the left of the real client changes nothing.
	if st := post("10.9.9.9, 203.0.113.7"); st != http.StatusTooManyRequests {
		t.Errorf("spoofed X-Forwarded-For: %d, want 429", st)
	}

	untrusting := newHarness(t, massageSite(""), withCommentRate(2))
	for i, xff := range []string{"203.0.113.1", "203.0.113.2", "203.0.113.3"} {
		st := untrusting.postForm("/posts/massage/comments", commentForm("Kay", "hi "+xff), "X-Forwarded-For", xff).status
		if want := http.StatusSeeOther; i == 2 {
			want = http.StatusTooManyRequests
			if st != want {
				t.Errorf("without trusted proxies X-Forwarded-For must be ignored: third post %d, want 429", st)
			}
		} else if st != want {
			t.Errorf("post %d: %d", i, st)
		}
	}
}

func TestTheFormRemembersTheReader(t *testing.T) {
	h := newHarness(t, massageSite(""))
	jar := &cookieJar{}
	h.client.Jar = jar
	form := commentForm("Dana Runner", "First visit")
	form.Set("email", "dana@example.org")
	form.Set("website", "https://dana.example.org/")
	h.postComment(form)
	page := h.get("/posts/massage/").body
	mustContain(t, "prefilled form", page, `value="Dana Runner"`, `value="dana@example.org"`, `value="https://dana.example.org/"`)
	for _, c := range jar.cookies {
		if c.Name == "milepost_reader" && (!c.HttpOnly || c.SameSite != http.SameSiteLaxMode) {
			t.Errorf("reader cookie is not HttpOnly and SameSite=Lax: %+v", c)
		}
	}
}

// cookieJar is a minimal jar that also lets the test read cookie attributes.
type cookieJar struct{ cookies []*http.Cookie }

func (j *cookieJar) SetCookies(_ *url.URL, cs []*http.Cookie) {
	for _, c := range cs {
		kept := j.cookies[:0]
		for _, old := range j.cookies {
			if old.Name != c.Name {
				kept = append(kept, old)
			}
		}
		j.cookies = append(kept, c)
	}
}

func (j *cookieJar) Cookies(*url.URL) []*http.Cookie { return j.cookies }

func mustGuards(t *testing.T, proxies ...string) web.Guards {
	t.Helper()
	var g web.Guards
	for _, p := range proxies {
		prefix, err := web.ParseTrustedProxy(p)
		if err != nil {
			t.Fatal(err)
		}
		g.TrustedProxies = append(g.TrustedProxies, prefix)
	}
	return g
}

func TestAFormShownAgainKeepsItsTimeStamp(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(web.Guards{MinFormAge: 2 * time.Second, MaxFormAge: 24 * time.Hour}))
	served := h.clock.Now()
	form := h.freshForm("", "Forgot my name")
	h.clock.Set(served.Add(30 * time.Second))
	res := h.postForm("/posts/massage/comments", form)
	if res.status != http.StatusUnprocessableEntity {
		t.Fatalf("missing name: %d, want 422", res.status)
	}
	// The reader adds their name at once: the form is 30 s old, not new.
	m := formToken.FindStringSubmatch(res.body)
	if m == nil || m[1] != form.Get("ts") {
		t.Fatalf("the form shown again has time stamp %v, want the original %q", m, form.Get("ts"))
	}
	form.Set("name", "Kay")
	h.clock.Set(served.Add(30*time.Second + 500*time.Millisecond))
	h.postComment(form)
}

func TestTheMinimumFormAgeIsExact(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(web.Guards{MinFormAge: 2 * time.Second}))
	served := time.Date(2026, 11, 24, 12, 0, 0, 999_000_000, time.UTC) // just before a second ticks
	h.clock.Set(served)
	form := h.freshForm("Kay", "Quick")
	h.clock.Set(served.Add(1100 * time.Millisecond))
	if res := h.postForm("/posts/massage/comments", form); res.status != http.StatusUnprocessableEntity {
		t.Fatalf("a form sent after 1.1 s: %d, want 422", res.status)
	}
}

func TestRateLimitCountsAnIPv6Slash64AsOneAddress(t *testing.T) {
	h := newHarness(t, massageSite(""), withCommentRate(2), withGuards(mustGuards(t, "127.0.0.1")))
	post := func(xff, body string) response {
		return h.postForm("/posts/massage/comments", commentForm("Kay", body), "X-Forwarded-For", xff)
	}
	// One machine hops through the addresses of its /64.
	for i, ip := range []string{"2001:db8:1:2::1", "2001:db8:1:2:aaaa::7"} {
		if res := post(ip, "hop "+ip); res.status != http.StatusSeeOther {
			t.Fatalf("comment %d from %s: %d, want 303", i+1, ip, res.status)
		}
	}
	res := post("2001:db8:1:2:ffff:ffff:ffff:ffff", "third hop")
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Fatalf("a third comment from the same /64: %d Retry-After %q, want 429 with Retry-After", res.status, res.header.Get("Retry-After"))
	}
	mustContain(t, "429", res.body, "third hop")
	// The neighbouring /64 is someone else.
	if res := post("2001:db8:1:3::1", "next door"); res.status != http.StatusSeeOther {
		t.Errorf("a comment from the next /64: %d, want 303", res.status)
	}
}

func TestAFormPostsOnlyOnce(t *testing.T) {
	h := newHarness(t, massageSite(""), withGuards(web.Guards{MinFormAge: 2 * time.Second, MaxFormAge: 24 * time.Hour}))
	served := h.clock.Now()
	form := h.freshForm("Kay", "My one comment")
	h.clock.Set(served.Add(30 * time.Second))
	h.postComment(form)

	// The same signed form again, as a bot replaying it would send it, with
	// other words: refused, and the reader is told why, with their text.
	form.Set("body", "Replayed with other words")
	h.clock.Set(served.Add(40 * time.Second))
	res := h.postForm("/posts/massage/comments", form)
	if res.status != http.StatusConflict {
		t.Fatalf("the same form a second time: %d, want 409", res.status)
	}
	mustContain(t, "replay", res.body, "This form has already posted a comment", "Replayed with other words")
	if h.storedCount() != 1 {
		t.Fatalf("stored %d comments, want 1", h.storedCount())
	}
	// The form shown back is a new one, which posts once it is old enough.
	m := formToken.FindStringSubmatch(res.body)
	if m == nil || m[1] == form.Get("ts") {
		t.Fatalf("the form shown back carries the used token again")
	}
	form.Set("ts", m[1])
	h.clock.Set(served.Add(time.Minute))
	h.postComment(form)
	if h.storedCount() != 2 {
		t.Errorf("stored %d comments, want 2", h.storedCount())
	}
}

// Every reader of a post is served the same page, form token included, so
// that caches can share it; the token is used once per address group, so
// two readers each post from it while a replay from one address is refused.
func TestReadersShareAPagesFormTokenAndEachPostsFromItOnce(t *testing.T) {
	g := mustGuards(t, "127.0.0.1")
	g.MinFormAge, g.MaxFormAge = 2*time.Second, 24*time.Hour
	h := newHarness(t, massageSite(""), withGuards(g))
	served := h.clock.Now().Add(web.FormTokenStep / 4) // within a step
	h.clock.Set(served)
	page := h.get("/posts/massage/")
	if cc := page.header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
		t.Errorf("a post page with a comment form: Cache-Control %q, want public", cc)
	}
	first := h.freshForm("Kay", "First reader's comment")
	h.clock.Set(served.Add(web.FormTokenStep / 2)) // within the same step
	second := h.freshForm("Ana", "Second reader's comment")
	if first.Get("ts") != second.Get("ts") {
		t.Errorf("two readers of the post got the tokens %q and %q, want one", first.Get("ts"), second.Get("ts"))
	}
	if again := h.get("/posts/massage/"); again.header.Get("ETag") != page.header.Get("ETag") {
		t.Error("the post page's bytes differ from one reader to the next")
	}
	h.clock.Set(served.Add(30 * time.Second))
	post := func(form url.Values, ip string) response {
		return h.postForm("/posts/massage/comments", form, "X-Forwarded-For", ip)
	}
	for form, ip := range map[*url.Values]string{&first: "203.0.113.7", &second: "198.51.100.9"} {
		if res := post(*form, ip); res.status != http.StatusSeeOther {
			t.Fatalf("%s posting from the shared page: %d, want 303", form.Get("name"), res.status)
		}
	}
	first.Set("body", "Replayed with other words")
	if res := post(first, "203.0.113.7"); res.status != http.StatusConflict {
		t.Errorf("the same form again from the same address: %d, want 409", res.status)
	}
	if h.storedCount() != 2 {
		t.Errorf("stored %d comments, want 2", h.storedCount())
	}
	// The time stamp is signed: moving it earlier makes a forgery.
	forged := h.freshForm("Bo", "An older time stamp")
	ts, rest, _ := strings.Cut(forged.Get("ts"), ".")
	forged.Set("ts", "1000"+ts[4:]+"."+rest)
	if res := post(forged, "192.0.2.1"); res.status != http.StatusUnprocessableEntity {
		t.Errorf("a token with another time stamp: %d, want 422", res.status)
	}
}
