package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// loadPayloads reads testdata/xss-payloads.txt: one payload a line, with the
// escapes its header describes; blank lines and lines starting with %% are
// not payloads.
func loadPayloads(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/xss-payloads.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	seen := map[string]int{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if strings.TrimSpace(text) == "" || strings.HasPrefix(text, "%%") {
			continue
		}
		p, err := unescapePayload(text)
		if err != nil {
			t.Fatalf("xss-payloads.txt:%d: %v", line, err)
		}
		if prev, dup := seen[p]; dup {
			t.Fatalf("xss-payloads.txt:%d: the same payload as line %d", line, prev)
		}
		seen[p] = line
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 60 {
		t.Fatalf("only %d payloads in xss-payloads.txt, want at least 60", len(out))
	}
	return out
}

// unescapePayload undoes \n, \r, \t, \\, \xHH and \uHHHH; any other backslash
// stays as it is.
func unescapePayload(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch c := s[i+1]; c {
		case 'n':
			b.WriteByte('\n')
			i++
		case 'r':
			b.WriteByte('\r')
			i++
		case 't':
			b.WriteByte('\t')
			i++
		case '\\':
			b.WriteByte('\\')
			i++
		case 'x', 'u':
			n := 2
			if c == 'u' {
				n = 4
			}
			if i+2+n > len(s) {
				return "", fmt.Errorf("short \\%c escape at column %d", c, i+1)
			}
			v, err := strconv.ParseUint(s[i+2:i+2+n], 16, 32)
			if err != nil {
				return "", fmt.Errorf("bad \\%c escape at column %d: %v", c, i+1, err)
			}
			if c == 'x' && v >= 0x80 {
				return "", fmt.Errorf("\\x%02x at column %d is not ASCII; use \\u", v, i+1)
			}
			b.WriteRune(rune(v))
			i += 1 + n
		default:
			b.WriteByte('\\')
		}
	}
	if !utf8.ValidString(b.String()) {
		return "", errors.New("not UTF-8")
	}
	return b.String(), nil
}

// asNames are the payloads that are acceptable names: one line, no control
// characters, at most 100 characters (the form's limits).
func asNames(payloads []string) []string {
	var out []string
	for _, p := range payloads {
		if strings.TrimSpace(p) != "" && utf8.RuneCountInString(strings.TrimSpace(p)) <= 100 &&
			!strings.ContainsFunc(p, unicode.IsControl) {
			out = append(out, p)
		}
	}
	return out
}

// asWebsites are the payloads that fit a website field: one line.
func asWebsites(payloads []string) []string {
	var out []string
	for _, p := range payloads {
		if !strings.ContainsAny(p, "\n\r") {
			out = append(out, p)
		}
	}
	return out
}

// checkPageJS inspects the whole document for anything a payload could have
// smuggled in, and lists what it finds. The page's own markup (the theme) has
// no script, no event handler, no style attribute, one form and one inline
// SVG, so all of these are out of place anywhere in the document.
const checkPageJS = `(() => {
	const problems = new Set();
	const show = (el) => {
		let s = "<" + el.localName;
		for (const a of el.attributes) s += " " + a.name + "=" + JSON.stringify(a.value);
		s += ">";
		if (s.length > 240) s = s.slice(0, 240) + "…";
		const li = el.closest("li.comment");
		if (li) s += " in #" + li.id;
		else if (el.closest(".prose")) s += " in the post body";
		else if (el.closest("#comment-form")) s += " in the comment form";
		return s;
	};
	const badScheme = (u) => {
		let p;
		try { p = new URL(u, document.baseURI).protocol; } catch (e) { return ""; }
		return /^(javascript|data|vbscript):$/i.test(p) ? p : "";
	};
	if (typeof window.__xss !== "undefined") {
		problems.add("window.__xss is defined: " + (window.__xss instanceof Element ? show(window.__xss) : String(window.__xss)));
	}
	const urlAttr = /^(href|xlink:href|src|srcset|action|formaction|data|poster|background|codebase|cite|longdesc|lowsrc|dynsrc|ping|manifest|icon|usemap|archive|classid|to|values|from|by)$/;
	for (const el of document.querySelectorAll("*")) {
		for (const a of el.attributes) {
			const n = a.name.toLowerCase();
			if (n.startsWith("on")) problems.add("event handler attribute " + n + ": " + show(el));
			else if (n === "style") problems.add("style attribute: " + show(el));
			else if (n === "srcdoc") problems.add("srcdoc attribute: " + show(el));
			else if (urlAttr.test(n) || n.endsWith(":href")) {
				const p = badScheme(a.value);
				if (p) problems.add(p + " URL in " + n + ": " + show(el));
			}
		}
	}
	// The DOM properties resolve URLs the way a click or a load does.
	const props = [["a, area, link, base", "href"], ["[src]", "src"], ["form", "action"], ["[formaction]", "formAction"]];
	for (const [sel, prop] of props) {
		for (const el of document.querySelectorAll(sel)) {
			let v = el[prop];
			if (v && typeof v === "object" && "animVal" in v) v = v.animVal;
			if (typeof v === "string" && v !== "") {
				const p = badScheme(v);
				if (p) problems.add(p + " URL in ." + prop + ": " + show(el));
			}
		}
	}
	for (const s of document.querySelectorAll(".comments script")) problems.add("script in .comments: " + show(s));
	const forbidden = "script, style, iframe, frame, frameset, object, embed, applet, base, body meta, body link, " +
		"form, input, button, textarea, select, option, svg, math, template, video, audio, source, track, " +
		"picture, canvas, marquee, noscript, xmp, plaintext, isindex, portal, dialog, details";
	const ownControls = "input#field-name, input#field-email, input#field-website, " +
		'input[type="hidden"][name="parent"], input[type="hidden"][name="ts"], input#field-homepage, ' +
		'textarea#field-body, button[type="submit"]';
	for (const el of document.querySelectorAll(forbidden)) {
		if (el.closest("svg.brand-mark")) continue;
		if (el.matches("form#comment-form")) continue;
		// The header's search box, on every page.
		if (el.matches("header.site-header form.site-search, form.site-search > input#site-search-q, form.site-search > button[type=submit]")) continue;
		if (el.closest("form#comment-form") && el.matches(ownControls)) continue;
		problems.add("unexpected element: " + show(el));
	}
	// Its own 7 (the fields, parent, time stamp and button), and the honeypot when the guard is on.
	const controls = document.querySelectorAll("#comment-form :is(input, textarea, button, select)").length;
	const honeypot = document.querySelectorAll("#comment-form input#field-homepage").length;
	if (controls !== 0 && controls !== 7 + honeypot) problems.add("the comment form has " + controls + " controls, not its own " + (7 + honeypot));
	for (const el of document.querySelectorAll(".comments img")) problems.add("image in a comment: " + show(el));
	for (const el of document.querySelectorAll(".comment-body [id], .comment-body [name], .comment-meta [name]")) {
		problems.add("id or name in a comment (DOM clobbering): " + show(el));
	}
	return {
		problems: [...problems],
		comments: [...document.querySelectorAll("li.comment")].map((li) => li.id),
		url: location.href,
	};
})()`

// pageReport is what checkPageJS returns.
type pageReport struct {
	Problems []string `json:"problems"`
	Comments []string `json:"comments"`
	URL      string   `json:"url"`
}

// settleJS waits until the page has loaded and every image has loaded or
// failed (a document shown with showHTML can report "complete" before its
// images have), then for a rendered frame (autofocus, animations) and a
// little more (a javascript: navigation from a click, a meta refresh). It
// gives up waiting after 3 seconds and lets the checks run.
const settleJS = `new Promise((resolve) => {
	const start = performance.now();
	const loaded = () => document.readyState === "complete" && [...document.images].every((img) => img.complete);
	const poll = () => {
		if (loaded() || performance.now() - start > 3000) {
			requestAnimationFrame(() => setTimeout(() => resolve(true), 20));
		} else {
			setTimeout(poll, 10);
		}
	};
	poll();
})`

func (tb *tab) settle() {
	tb.t.Helper()
	run(tb, "waiting for the page to settle", chromedp.Evaluate[bool](settleJS, chromedp.EvalAwaitPromise))
}

// inspect lets the page settle, then lists what checkPageJS finds and the
// dialogs the page opened.
func (tb *tab) inspect() (pageReport, []string) {
	tb.t.Helper()
	tb.settle()
	return eval[pageReport](tb, checkPageJS), tb.takeDialogs()
}

// assertNothingRan inspects the page in the tab and fails the test for every
// problem, and for every dialog the page opened.
func (tb *tab) assertNothingRan(where string) pageReport {
	tb.t.Helper()
	rep, dialogs := tb.inspect()
	for _, p := range rep.Problems {
		tb.t.Errorf("%s: %s", where, p)
	}
	for _, d := range dialogs {
		tb.t.Errorf("%s: a JavaScript dialog opened: %s", where, d)
	}
	return rep
}

// clickSameDocumentLinks clicks, with the mouse, every link the selector finds
// that stays in this document (a fragment link) or that is not a web or mail
// link at all; it returns how many it clicked. None of them may run anything.
func (tb *tab) clickSameDocumentLinks(where, sel string) int {
	tb.t.Helper()
	targets := eval[[]bool](tb, `(() => {
		const here = location.href.split("#")[0];
		return [...document.querySelectorAll(`+jsString(sel)+`)].map((a) => {
			let h = a.href;
			if (h && typeof h === "object" && "animVal" in h) h = h.animVal;
			let u;
			try { u = new URL(h, document.baseURI); } catch (e) { return false; }
			return u.href.split("#")[0] === here || !/^(https?|mailto):$/.test(u.protocol);
		});
	})()`)
	n := 0
	for _, c := range targets {
		if c {
			n++
		}
	}
	if n == 0 {
		return 0
	}
	nodes := run(tb, "finding "+sel, chromedp.Nodes(chromedp.CSSAll(sel)))
	if len(nodes) != len(targets) {
		tb.t.Fatalf("%s: %d nodes for %s, but the page counts %d", where, len(nodes), sel, len(targets))
	}
	for i, node := range nodes {
		if !targets[i] {
			continue
		}
		err := chromedp.Do(tb.ctx, chromedp.MouseClickNode(node))
		if errors.Is(err, chromedp.ErrInvalidDimensions) {
			// A link with no box (nothing in it) can still be activated.
			_, err = chromedp.Run(tb.ctx, chromedp.Evaluate[bool](fmt.Sprintf(
				`(document.querySelectorAll(%s)[%d].click(), true)`, jsString(sel), i)))
		}
		if err != nil {
			tb.t.Fatalf("%s: clicking link %d of %s: %v", where, i, sel, err)
		}
	}
	return n
}

// bypassCSP turns the page's Content-Security-Policy off in this tab. The
// policy forbids every script, so with it a payload that got into the page
// would be blocked and the checks for script that ran would prove nothing
// about the markup. The tests check the markup; the policy is a second line.
func (tb *tab) bypassCSP() {
	tb.t.Helper()
	if _, err := chromedp.Call(tb.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		tb.t.Fatalf("turning off CSP: %v", err)
	}
}

// showHTML replaces the tab's document with html, as the server sent it for
// the tab's current address.
func (tb *tab) showHTML(html string) {
	tb.t.Helper()
	tree, err := chromedp.Call(tb.ctx, page.GetFrameTree, cdp.Empty{})
	if err != nil {
		tb.t.Fatalf("reading the frame tree: %v", err)
	}
	if _, err := chromedp.Call(tb.ctx, page.SetDocumentContent, page.SetDocumentContentParams{
		FrameID: tree.FrameTree.Frame.ID, HTML: html,
	}); err != nil {
		tb.t.Fatalf("showing a page: %v", err)
	}
}
