package web

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The render cache keeps within its byte budget, plain and encoded bytes
// together, dropping the pages used least recently and counting each.
func TestThePageCacheKeepsWithinItsBudgetDroppingTheLeastRecentlyUsed(t *testing.T) {
	c := newPageCache(30_000)
	// Random bytes compress to about their own size.
	rnd := rand.New(rand.NewPCG(1, 2))
	page := make([]byte, 1000)
	for i := range page {
		page[i] = byte(rnd.Uint32())
	}
	gz := &encodings[2]
	now := time.Now()
	key := func(i int) pageKey { return pageKey("page" + strconv.Itoa(i)) }
	keep := func(i int) *cachedPage {
		p := newCachedPage(string(key(i)), append(page[:len(page):len(page)], byte(i)), "", "", time.Time{}, "text/html", "public")
		c.put(p)
		v := c.variantAt(p, now, signer{})
		if _, err := c.encodedBody(p, v, gz); err != nil {
			t.Fatal(err)
		}
		return p
	}
	evictions := pageCacheFigures.Get("evictions")
	before := int64(0)
	if evictions != nil {
		before = evictions.(interface{ Value() int64 }).Value()
	}
	first := keep(0)
	if first.size < 2*len(page) {
		t.Errorf("a page and its gzip count %d bytes, want at least %d", first.size, 2*len(page))
	}
	for i := 1; i < 40; i++ {
		keep(i)
		// The first page is read again each time: used recently, kept.
		if c.get(key(0)) == nil {
			t.Fatalf("after %d pages the most recently used one is gone", i+1)
		}
		if c.used > c.budget {
			t.Fatalf("after %d pages: %d bytes kept, budget %d", i+1, c.used, c.budget)
		}
	}
	if c.get(key(1)) != nil {
		t.Error("the least recently used page is still kept")
	}
	if got := pageCacheFigures.Get("evictions").(interface{ Value() int64 }).Value() - before; got < 10 {
		t.Errorf("%d evictions counted, want the many pages over the budget", got)
	}
	total := 0
	for _, el := range c.byKey {
		total += el.Value.(*cachedPage).size
	}
	if total != c.used {
		t.Errorf("the pages kept count %d bytes, the cache %d", total, c.used)
	}
}

// A kept page with a form token is joined again once a step, and the
// bytes of the step before are no longer counted.
func TestAPageWithAFormTokenCountsOnlyItsCurrentStep(t *testing.T) {
	c := newPageCache(1 << 20)
	const placeholder = "PLACEHOLDER"
	p := newCachedPage("post", []byte("<form><input name=ts value="+placeholder+"></form>"), placeholder, "massage", time.Time{}, "text/html", "public")
	c.put(p)
	base := c.used
	sg := signer{[]byte("a test key of thirty-two bytes!!")}
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	v1 := c.variantAt(p, at.Add(100*time.Millisecond), sg)
	if again := c.variantAt(p, at.Add(900*time.Millisecond), sg); again != v1 {
		t.Error("the same step was joined twice")
	}
	v2 := c.variantAt(p, at.Add(1100*time.Millisecond), sg)
	if string(v1.plain) == string(v2.plain) {
		t.Error("the next step carries the same token")
	}
	want := sg.sharedFormToken("massage", at.Add(1100*time.Millisecond))
	if string(v2.plain) != "<form><input name=ts value="+want+"></form>" {
		t.Errorf("the page as served: %s, want the token %s in place", v2.plain, want)
	}
	if c.used != base+len(v2.plain) {
		t.Errorf("%d bytes counted, want the page and one step's join: %d", c.used, base+len(v2.plain))
	}
	// A request that read the clock before the step changed gets its own.
	if late := c.variantAt(p, at.Add(900*time.Millisecond), sg); late == v2 || p.variant.Load() != v2 {
		t.Error("an earlier step's request replaced the current step")
	}
}

func TestOnlyWhatEveryoneSeesIsServedFromTheCache(t *testing.T) {
	get := func(cookie string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		if cookie != "" {
			r.Header.Set("Cookie", cookie)
		}
		return r
	}
	plain := &Server{}
	for _, tc := range []struct {
		what string
		s    *Server
		r    *http.Request
		want bool
	}{
		{"an anonymous reader", plain, get(""), true},
		{"a reader with someone else's cookie", plain, get("_ga=1; theme=dark"), true},
		{"a reader whose name is remembered", plain, get(readerCookie + "=name%3DKay"), false},
		{"a commenter", plain, get(commenterCookie + "=x.y"), false},
		{"a moderator", plain, get(sessionCookieName + "=s"), false},
		{"a POST", plain, httptest.NewRequest(http.MethodPost, "/", nil), false},
		{"serve -drafts", &Server{opts: Options{Drafts: true}}, get(""), false},
		{"serve -live", &Server{live: newLiveState(time.Now())}, get(""), false},
	} {
		if got := tc.s.sharedView(tc.r); got != tc.want {
			t.Errorf("%s: shared %v, want %v", tc.what, got, tc.want)
		}
	}
}

// Readers served one kept page at once, across token steps and codings,
// each get a whole page with a valid token, and the budget's count stays
// that of the page and its current step (run with -race).
func TestReadersServedOneKeptPageAtOnce(t *testing.T) {
	c := newPageCache(1 << 20)
	const placeholder = "PLACEHOLDER"
	body := strings.Repeat("<p>A thread of comments.</p>\n", 40) + "<input name=ts value=" + placeholder + ">"
	p := newCachedPage("post", []byte(body), placeholder, "massage", time.Time{}, "text/html", "public")
	c.put(p)
	sg := signer{[]byte("a test key of thirty-two bytes!!")}
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				now := at.Add(time.Duration(i) * 10 * time.Millisecond)
				v := c.variantAt(p, now, sg)
				ts := strings.TrimSuffix(string(v.plain[strings.LastIndex(string(v.plain), "value=")+len("value="):]), ">")
				if _, ok := sg.formServed(ts, "massage"); !ok || !strings.HasPrefix(string(v.plain), body[:100]) {
					t.Errorf("reader %d at %v got a broken page: token %q", g, now, ts)
					return
				}
				e := &encodings[(g+i)%len(encodings)]
				if _, err := c.encodedBody(p, v, e); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.used != p.size {
		t.Errorf("the cache counts %d bytes, its one page %d", c.used, p.size)
	}
	cur := p.variant.Load()
	if want := len(p.key) + len(body) + 512 + cur.counted; p.size != want {
		t.Errorf("the page counts %d bytes, want the page and its current step's %d", p.size, want)
	}
}
