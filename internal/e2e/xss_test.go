package e2e

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

const slug = "massage-during-training"

// formValues is what checkFormJS reads back from a re-rendered comment form.
type formValues struct {
	Name    string   `json:"name"`
	Website string   `json:"website"`
	Body    string   `json:"body"`
	Errors  []string `json:"errors"`
}

const checkFormJS = `(() => ({
	name: document.getElementById("field-name")?.value ?? "<missing>",
	website: document.getElementById("field-website")?.value ?? "<missing>",
	body: document.getElementById("field-body")?.value ?? "<missing>",
	errors: [...document.querySelectorAll("#comment-form p.error[id]")].map((e) => e.id),
}))()`

// asTextarea is what a textarea shows for a value the server echoed back: the
// HTML parser reads CR and CRLF as LF and drops the line break that comes
// first.
func asTextarea(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.TrimPrefix(s, "\n")
}

// asURLInput is what a URL input shows for an echoed value: no line breaks,
// and no ASCII whitespace around it.
func asURLInput(s string) string {
	s = strings.NewReplacer("\r", "", "\n", "").Replace(s)
	return strings.Trim(s, " \t\f")
}

// checkEcho compares the form the server re-rendered with what was sent: any
// difference means the value broke out of its attribute or element.
func checkEcho(t *testing.T, where string, got formValues, name, website, body string) {
	t.Helper()
	if got.Name != name {
		t.Errorf("%s: the name field shows %q, want %q", where, got.Name, name)
	}
	if want := asURLInput(website); got.Website != want {
		t.Errorf("%s: the website field shows %q, want %q", where, got.Website, want)
	}
	if want := asTextarea(body); got.Body != want {
		t.Errorf("%s: the textarea holds %q, want %q", where, got.Body, want)
	}
	if len(got.Errors) != 1 || got.Errors[0] != "error-website" {
		t.Errorf("%s: field errors %v, want only error-website", where, got.Errors)
	}
}

// TestHostileCommentsDoNotRun posts the payloads (a fixed sample, or every
// one with -long) as comments, many as the commenter's name and website, then opens the post in the browser with all
// of them on it: nothing may run, and nothing that could run may be in the
// page. Websites that are not http or https are refused, and the form shown
// again with them is checked the same way.
func TestHostileCommentsDoNotRun(t *testing.T) {
	t.Parallel() // its own server and tabs; overlaps the other browser tests
	payloads := samplePayloads(t, loadPayloads(t))
	names := asNames(payloads)
	websites := asWebsites(payloads)
	srv := startServer(t, nil)
	tb := newTab(t)

	if res, _ := srv.get(t, postPath); !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'none'") {
		t.Errorf("the post page's Content-Security-Policy is %q; it should forbid scripts",
			res.Header.Get("Content-Security-Policy"))
	}

	// Websites first, while the page is short: each refused one comes back
	// as the whole post page with the form filled in.
	type refusal struct{ name, website, body, html string }
	var refused []refusal
	var stored []string
	for i, w := range websites {
		name, body := names[i%len(names)], w
		res := srv.post(t, slug, url.Values{"name": {name}, "website": {w}, "body": {body}})
		switch res.status {
		case 303:
			// Only a web address may be kept.
			u, err := url.Parse(strings.TrimSpace(w))
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				t.Errorf("website %q was accepted", w)
			}
			stored = append(stored, commentID(t, res.location))
		case 422:
			refused = append(refused, refusal{name, w, body, res.body})
		default:
			t.Errorf("website %q: status %d", w, res.status)
		}
	}
	acceptedWebsites := len(stored)

	// Every payload as a comment. Storing a comment waits for the disk, so
	// this runs while the browser checks the refused forms.
	type outcome struct {
		res formResult
		err error
	}
	outcomes := make(chan []outcome, 1)
	var posting sync.WaitGroup
	t.Cleanup(posting.Wait) // before the server stops
	posting.Go(func() {
		out := make([]outcome, len(payloads))
		for i, p := range payloads {
			out[i].res, out[i].err = srv.send(slug, url.Values{"name": {names[i%len(names)]}, "body": {p}})
		}
		outcomes <- out
	})

	// Every form the server refused, shown as the server sent it for the
	// post's address, in a few tabs at once.
	t.Run("refused forms", func(t *testing.T) {
		const tabs = 4
		for k := range tabs {
			t.Run(strconv.Itoa(k+1), func(t *testing.T) {
				t.Parallel()
				tb := newTab(t)
				tb.bypassCSP()
				if status := tb.navigate(srv.base + postPath); status != 200 {
					t.Fatalf("the post: status %d", status)
				}
				for i := k; i < len(refused); i += tabs {
					r := refused[i]
					where := fmt.Sprintf("form re-rendered for website %q", r.website)
					tb.showHTML(r.html)
					tb.assertNothingRan(where)
					checkEcho(t, where, eval[formValues](tb, checkFormJS), r.name, r.website, r.body)
				}
			})
		}
	})
	for i, o := range <-outcomes {
		switch {
		case o.err != nil:
			var noAddr *sourceAddrError
			if errors.As(o.err, &noAddr) {
				requireEnv(t, o.err.Error())
			}
			t.Fatal(o.err)
		case o.res.status != 303:
			t.Errorf("payload %d (%q) as a body: status %d, want 303: the table should hold comments the form accepts",
				i+1, payloads[i], o.res.status)
		default:
			stored = append(stored, commentID(t, o.res.location))
		}
	}

	// The post with every stored payload on it, over as many pages of
	// comments as it takes (comments.ThreadsPerPage threads a page).
	tb.bypassCSP()
	present := map[string]bool{}
	shown, clicked := 0, 0
	for n := 1; shown < 2+len(stored); n++ {
		path := postPath
		if n > 1 {
			path += "?comments=" + strconv.Itoa(n)
		}
		where := fmt.Sprintf("comment page %d with hostile comments", n)
		if status := tb.navigate(srv.base + path); status != 200 {
			t.Fatalf("%s: status %d", where, status)
		}
		rep := tb.assertNothingRan(where)
		if len(rep.Comments) == 0 {
			break // past the last page
		}
		for _, id := range rep.Comments {
			present[id] = true
		}
		shown += len(rep.Comments)
		clicked += tb.clickSameDocumentLinks(where, ".comments a[href]")
		after := tb.assertNothingRan(where + ", after clicking its links")
		if !strings.HasPrefix(after.URL, srv.base+postPath) {
			t.Errorf("%s: clicking the comments' links left the post for %s", where, after.URL)
		}
	}
	for _, id := range stored {
		if !present[id] {
			t.Errorf("stored comment %s is not on any page: a payload before it broke the thread", id)
		}
	}
	if want := 2 + len(stored); shown != want {
		t.Errorf("%d comments on the pages, want %d (2 seeds and %d posted)", shown, want, len(stored))
	}
	if status := tb.navigate(srv.base + postPath); status != 200 {
		t.Fatalf("the post: status %d", status)
	}

	// A refused form, sent by the browser itself.
	const (
		badName    = `"><img src=x onerror="window.__xss=1;alert('name')">`
		badWebsite = `javascript:window.__xss=1;alert('website')`
		badBody    = "</textarea><script>window.__xss=1;alert('body')</script>\n[x](javascript:window.__xss=1)"
	)
	tb.do("filling the form with hostile values",
		chromedp.SetValue(chromedp.ID("field-name"), badName),
		chromedp.SetValue(chromedp.ID("field-website"), badWebsite),
		chromedp.SetValue(chromedp.ID("field-body"), badBody),
	)
	if status := tb.clickAndLoad(`#comment-form button[type="submit"]`); status != 422 {
		t.Errorf("the browser's form with a javascript: website: status %d, want 422", status)
	}
	tb.assertNothingRan("form re-rendered for the browser")
	checkEcho(t, "form re-rendered for the browser", eval[formValues](tb, checkFormJS), badName, badWebsite, badBody)
	clicked += tb.clickSameDocumentLinks("form re-rendered for the browser", "#comment-form a[href]")
	tb.assertNothingRan("form re-rendered for the browser, after clicking its links")

	t.Logf("%d payloads: %d tried as a comment body, %d as a name, %d as a website (%d accepted, %d refused and re-rendered, plus 1 refused in the browser); %d comments on the pages; %d same-document links clicked",
		len(payloads), len(payloads), len(names), len(websites), acceptedWebsites, len(refused), shown, clicked)
}

// payloadStride is how sparsely TestHostileCommentsDoNotRun samples the
// payloads without -long: every payload goes through the server and the
// browser once per comment, name and website, which is most of the
// package's time.
const payloadStride = 4

// samplePayloads is every payloadStride-th payload, or all of them with
// -long. The sample is the same every run, so a failure reproduces.
// TestHostileMarkdownPostDoesNotRun, which is quick, always takes them all.
func samplePayloads(t *testing.T, all []string) []string {
	t.Helper()
	if *longFlag {
		return all
	}
	var out []string
	for i := 0; i < len(all); i += payloadStride {
		out = append(out, all[i])
	}
	t.Logf("%d of %d payloads as comments (every %dth); -long tries them all", len(out), len(all), payloadStride)
	return out
}

// commentID is the element id of the comment a redirect points at.
func commentID(t *testing.T, location string) string {
	t.Helper()
	_, frag, ok := strings.Cut(location, "#")
	if !ok || !strings.HasPrefix(frag, "comment-") {
		t.Fatalf("redirected to %q, want a comment's anchor", location)
	}
	return frag
}

// TestHostileMarkdownPostDoesNotRun writes a post holding every payload, with
// raw HTML off as in the sample site, and checks its page, the home page that
// shows its summary, and the archive.
func TestHostileMarkdownPostDoesNotRun(t *testing.T) {
	t.Parallel()
	payloads := loadPayloads(t)
	const title = `Hostile Markdown <script>window.__xss=1</script><img src=x onerror=window.__xss=1>`
	var md strings.Builder
	fmt.Fprintf(&md, "---\ntitle: %q\ndate: 2011-10-01\nauthor: kay-kays-bird-club\n---\n\n", title)
	for _, p := range payloads {
		md.WriteString(p)
		md.WriteString("\n\n")
	}
	// If a payload swallowed the rest of the file, this would be missing.
	const last = "The last paragraph, after every payload."
	md.WriteString(last + "\n")
	srv := startServer(t, map[string]string{"posts/hostile-markdown.md": md.String()})
	tb := newTab(t)
	tb.bypassCSP()

	const path = "/posts/hostile-markdown/"
	if status := tb.navigate(srv.base + path); status != 200 {
		t.Fatalf("the hostile post: status %d", status)
	}
	tb.assertNothingRan("hostile post")
	if got := tb.text("h1.p-name"); got != title {
		t.Errorf("the post's heading reads %q, want the title as text, %q", got, title)
	}
	if got := run(tb, "reading the title", chromedp.Title()); !strings.HasPrefix(got, title) {
		t.Errorf("the document title is %q, want it to start with %q", got, title)
	}
	if !strings.Contains(tb.text(".prose"), last) {
		t.Errorf("the post does not end with %q: a payload swallowed the ones after it", last)
	}
	clicked := tb.clickSameDocumentLinks("hostile post", ".prose a[href], .comments a[href]")
	rep := tb.assertNothingRan("hostile post after clicking its links")
	if !strings.HasPrefix(rep.URL, srv.base+path) {
		t.Errorf("clicking the post's links left it for %s", rep.URL)
	}

	for _, page := range []string{"/", "/archive/"} {
		if status := tb.navigate(srv.base + page); status != 200 {
			t.Fatalf("%s: status %d", page, status)
		}
		tb.assertNothingRan(page + " listing the hostile post")
		if !strings.Contains(tb.text("main"), title) {
			t.Errorf("%s does not list the hostile post by its title", page)
		}
	}
	t.Logf("%d payloads in the post's Markdown; %d same-document links clicked", len(payloads), clicked)
}

// TestChecksSeeScriptThatRuns makes sure the checks above can fail: with raw
// HTML allowed in posts, a post's script runs in the tab on a real page load
// and from a document shown the way the refused forms are, a javascript:
// link runs when clicked, and the checks report all of it.
func TestChecksSeeScriptThatRuns(t *testing.T) {
	t.Parallel()
	yaml, err := os.ReadFile(filepath.Join("..", "..", "content", "site.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	unsafe := strings.Replace(string(yaml), "unsafe_html: false", "unsafe_html: true", 1)
	if unsafe == string(yaml) {
		t.Fatal("site.yaml has no unsafe_html: false to turn on")
	}
	srv := startServer(t, map[string]string{
		"site.yaml": unsafe,
		"posts/canary.md": "---\ntitle: Canary\ndate: 2011-10-01\nauthor: kay-kays-bird-club\n---\n\n" +
			"<img src=x onerror=\"window.__xss='onerror';alert('canary')\">\n\n" +
			"<a href=\"javascript:window.__xss=2\">a link that runs</a>\n",
	})
	tb := newTab(t)
	tb.bypassCSP()
	const path = "/posts/canary/"

	// Script that runs on a page load.
	if status := tb.navigate(srv.base + path); status != 200 {
		t.Fatalf("the canary post: status %d", status)
	}
	expectCaught(t, tb, "page load", "onerror", []string{
		"window.__xss is defined: onerror",
		"event handler attribute onerror",
		"javascript: URL in href",
	})

	// Script in a document shown in the tab.
	_, html := srv.get(t, path)
	tb.do("clearing the sentinel", chromedp.Evaluate[chromedp.Void](`delete window.__xss`))
	tb.showHTML(html)
	expectCaught(t, tb, "document shown in the tab", "onerror", []string{"window.__xss is defined: onerror"})

	// Script in a link that runs when clicked.
	tb.do("clearing the sentinel", chromedp.Evaluate[chromedp.Void](`delete window.__xss`))
	if n := tb.clickSameDocumentLinks("canary post", ".prose a[href]"); n != 1 {
		t.Errorf("clicked %d links, want the javascript: one", n)
	}
	rep, _ := tb.inspect()
	if !slices.Contains(rep.Problems, "window.__xss is defined: 2") {
		t.Errorf("after clicking the javascript: link, the checks report %q, want window.__xss set by the click", rep.Problems)
	}
}

// expectCaught checks that the page's script ran (window.__xss is want and it
// opened a dialog) and that the checks report each of the problems (by
// prefix).
func expectCaught(t *testing.T, tb *tab, where, want string, problems []string) {
	t.Helper()
	rep, dialogs := tb.inspect()
	if got := eval[string](tb, `String(window.__xss)`); got != want {
		t.Errorf("%s: window.__xss is %q, want %q: the script did not run", where, got, want)
	}
	if len(dialogs) != 1 || !strings.Contains(dialogs[0], `"canary"`) {
		t.Errorf("%s: dialogs %q, want the canary's alert", where, dialogs)
	}
	for _, p := range problems {
		if !slices.ContainsFunc(rep.Problems, func(s string) bool { return strings.HasPrefix(s, p) }) {
			t.Errorf("%s: the checks do not report %q; they report %q", where, p, rep.Problems)
		}
	}
}
