// Package e2e drives a real Chromium against a real Milepost server: the
// paths a reader takes through the site, and hostile input that must never
// run as script.
//
// The tests need Chromium (or Chrome). They look for it at $CHROMIUM, else at
// /usr/bin/chromium, and skip when it is missing, unless the CI variable is
// set: CI must not pass by skipping.
package e2e

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

const defaultChromium = "/usr/bin/chromium"

// testTimeout bounds each test: a hung browser must not hang the package.
const testTimeout = 60 * time.Second

// browser is one Chromium shared by the package's tests; each test gets its
// own tab. It starts on first use, so that a run that selects no browser test
// starts none.
var browser struct {
	once    sync.Once
	path    string // the executable, or "" when none was found
	missing string // why there is no executable
	ctx     context.Context
	err     error

	dataDir string
	cancel  func()
}

// minParallel is how many parallel tests may run at once unless -parallel
// says otherwise. The default, GOMAXPROCS, suits tests that keep the CPUs
// busy; these mostly wait, for the browser and for a comment form to be old
// enough for the spam guards, so on a machine with few CPUs they would wait
// in turn for nothing.
const minParallel = 4

// longFlag runs the long versions: every hostile payload through the
// comment form, instead of a fixed sample of them. CI runs it.
var longFlag = flag.Bool("long", false, "run every hostile payload through the comment form (default: every "+strconv.Itoa(payloadStride)+"th)")

func TestMain(m *testing.M) {
	flag.Parse()
	explicit := false
	flag.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "test.parallel" })
	if f := flag.Lookup("test.parallel"); f != nil && !explicit {
		if n, err := strconv.Atoi(f.Value.String()); err == nil && n < minParallel {
			_ = f.Value.Set(strconv.Itoa(minParallel))
		}
	}
	code := m.Run()
	if browser.cancel != nil {
		// Cancelling the allocator waits for the browser to exit, so its
		// profile directory is no longer written to when it is removed.
		browser.cancel()
	}
	if browser.dataDir != "" {
		os.RemoveAll(browser.dataDir)
	}
	os.Exit(code)
}

// findChromium returns the browser executable, or why there is none.
func findChromium() (string, string) {
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = defaultChromium
	}
	found, err := exec.LookPath(path)
	if err != nil {
		return "", fmt.Sprintf("no browser at %s (set CHROMIUM to its path): %v", path, err)
	}
	return found, ""
}

// startBrowser starts the shared browser. Its context has no timeout: the
// first Run on a chromedp context binds the browser's life to that context.
func startBrowser() {
	browser.path, browser.missing = findChromium()
	if browser.path == "" {
		return
	}
	dir, err := os.MkdirTemp("", "milepost-e2e-profile-")
	if err != nil {
		browser.err = err
		return
	}
	browser.dataDir = dir
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(browser.path),
		chromedp.UserDataDir(dir),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Tabs of a shared browser must not be slowed down as background tabs.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		// Only the test servers on loopback resolve: a payload's
		// https://example.com/ image must not reach the internet.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelBrowser := chromedp.NewContext(allocCtx)
	browser.cancel = func() { cancelBrowser(); cancelAlloc() }
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			browser.err = fmt.Errorf("starting %s: %w", browser.path, err)
			return
		}
	case <-time.After(30 * time.Second):
		browser.err = fmt.Errorf("starting %s: no answer within 30s", browser.path)
		return
	}
	browser.ctx = ctx
}

// tab is one browser tab of a test. Dialogs that the page opens are recorded
// and dismissed, so that a payload calling alert() fails the test instead of
// blocking the page.
type tab struct {
	t   *testing.T
	ctx context.Context

	mu      sync.Mutex
	dialogs []string
}

// newTab opens a tab in the shared browser, with the test's timeout. Without a
// browser it skips the test, or fails it when CI is set.
func newTab(t *testing.T) *tab {
	t.Helper()
	return newTabWithin(t, testTimeout)
}

// newTabWithin is newTab for a tab whose actions may take up to timeout in
// all: a test that follows one person through many pages.
func newTabWithin(t *testing.T, timeout time.Duration) *tab {
	t.Helper()
	browser.once.Do(startBrowser)
	if browser.path == "" {
		requireEnv(t, browser.missing)
	}
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	tb := &tab{t: t}
	var tabCtx context.Context
	// Each tab has a browser context of its own (cookies, cache, sockets):
	// disposing of it closes the connections Chromium keeps open to the
	// test's server, which would otherwise hold up the server's shutdown.
	tabCtx, cancelTab := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(func(ev any) {
		// This runs in the tab's event loop: record, and answer elsewhere.
		if ev, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			tb.mu.Lock()
			tb.dialogs = append(tb.dialogs, fmt.Sprintf("%s(%q) on %s", ev.Type, ev.Message, ev.URL))
			tb.mu.Unlock()
			go func() {
				_, _ = chromedp.Call(tabCtx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
			}()
		}
	}))
	// The tab lives as long as the context of its first Run, so that one has
	// no timeout; the test's actions run under one.
	if err := chromedp.Do(tabCtx); err != nil {
		cancelTab()
		t.Fatalf("opening a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(tabCtx, timeout)
	t.Cleanup(func() {
		cancel()
		cancelTab()
	})
	tb.ctx = ctx
	return tb
}

// do runs actions and fails the test on an error.
func (tb *tab) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.fatal(what, err)
	}
}

// run runs one action with a value and fails the test on an error.
func run[T any](tb *tab, what string, action chromedp.Action[T]) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tb.fatal(what, err)
	}
	return v
}

// actionTimeout bounds one action of a tab: a page that never loads, or an
// element that never appears, fails its own step with a report of where
// the page and the server were, instead of using up the whole test's time.
const actionTimeout = 90 * time.Second

// fatal fails the test for an action that went wrong. When the action ran
// out of time, it first reports what the page showed and what the
// server's goroutines were doing, so that a hang can be told from a slow
// machine and found.
func (tb *tab) fatal(what string, err error) {
	tb.t.Helper()
	if errors.Is(err, context.DeadlineExceeded) {
		tb.t.Logf("%s: no answer within %s; the page then:\n%s", what, actionTimeout, tb.pageState())
		tb.t.Logf("the server's goroutines:\n%s", serverGoroutines())
	}
	tb.t.Fatalf("%s: %v", what, err)
}

// pageState is the tab's address, load state, unfinished resources and the
// start of its text, read within a few seconds.
func (tb *tab) pageState() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[
		"location: " + location.href,
		"readyState: " + document.readyState,
		"resources without an end: " + performance.getEntriesByType("resource").filter(e => !e.responseEnd).map(e => e.name).join(" "),
		"images not complete: " + Array.from(document.images).filter(i => !i.complete).map(i => i.currentSrc || i.src).join(" "),
		"text: " + (document.body ? document.body.innerText.slice(0, 1500) : "(no body)"),
	].join("\n")`))
	if err != nil {
		return fmt.Sprintf("(the page did not answer either: %v)", err)
	}
	return state
}

// serverGoroutines is the stacks of this process's goroutines that are in
// Milepost's own code outside the tests: the servers run in-process.
func serverGoroutines() string {
	var all bytes.Buffer
	_ = pprof.Lookup("goroutine").WriteTo(&all, 2)
	var b strings.Builder
	for g := range strings.SplitSeq(all.String(), "\n\n") {
		if strings.Contains(g, "milepost/internal/") && !strings.Contains(g, "milepost/internal/e2e.") {
			b.WriteString(g)
			b.WriteString("\n\n")
		}
	}
	return b.String()
}

// eval evaluates a JavaScript expression in the page.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	return run(tb, "evaluating "+firstLine(expr), chromedp.Evaluate[T](expr))
}

// navigate loads a page and returns its HTTP status.
func (tb *tab) navigate(url string) int64 {
	tb.t.Helper()
	res := run(tb, "loading "+url, chromedp.NavigateResponse(url))
	if res == nil {
		tb.t.Fatalf("loading %s: no response", url)
	}
	return res.Status
}

// clickAndLoad clicks the element, as a person's mouse or finger would, and
// waits for the page it leads to; it returns that page's HTTP status (the
// last response of the navigation, after any redirects).
//
// It reads the page only through JavaScript evaluated in the page, never
// through chromedp's mirror of the DOM or its tracking of navigations:
// under load, CI twice saw those miss a navigation that had happened (a
// query on the new page, or the wait for its load, that never ended,
// while the page was there), which no waiting longer could cure.
func (tb *tab) clickAndLoad(sel string) int64 {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	// Where to click: the middle of the element, scrolled into view. The
	// mark set on the window tells this page from the one the click loads.
	at, err := evalRetrying[[2]float64](ctx, waitForElement(sel, `(el) => {
		el.scrollIntoView({block: "center", inline: "center"});
		const r = el.getBoundingClientRect();
		window.__e2eLeaving = true;
		return [r.left + r.width / 2, r.top + r.height / 2];
	}`))
	if err != nil {
		tb.fatal("finding "+sel+" to click", err)
	}
	if err := chromedp.Do(ctx, chromedp.MouseClickXY(at[0], at[1])); err != nil {
		tb.fatal("clicking "+sel, err)
	}
	status, err := evalRetrying[int64](ctx, `new Promise((resolve) => {
		const check = () => {
			const nav = performance.getEntriesByType("navigation")[0];
			if (!window.__e2eLeaving && document.readyState === "complete" && nav && nav.responseStatus) {
				resolve(nav.responseStatus);
			} else {
				setTimeout(check, 20);
			}
		};
		check();
	})`)
	if err != nil {
		tb.t.Logf("clicked at (%.0f, %.0f) on %s; now: %s", at[0], at[1], sel, tb.clickState(sel, at))
		tb.fatal("waiting for the page that clicking "+sel+" loads", err)
	}
	return status
}

// clickState tells, for a click at that did not lead anywhere, what is at
// the point clicked, where the element is now, and which fields of its form
// the browser finds invalid (an invalid form is not sent).
func (tb *tab) clickState(sel string, at [2]float64) string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`(() => {
		const hit = document.elementFromPoint(%f, %f);
		const el = document.querySelector(%s);
		const r = el ? el.getBoundingClientRect() : null;
		const form = el && el.form;
		const invalid = form ? Array.from(form.elements).filter((f) => f.willValidate && !f.checkValidity()).map((f) => (f.name || f.id) + ": " + f.validationMessage) : [];
		return "element at the point: " + (hit ? hit.outerHTML.slice(0, 200) : "none") +
			"; the element's box: " + (r ? JSON.stringify([r.left, r.top, r.width, r.height]) : "gone") +
			"; invalid fields: " + (invalid.join(", ") || "none") +
			"; focused: " + (document.activeElement ? document.activeElement.outerHTML.slice(0, 120) : "none");
	})()`, at[0], at[1], jsString(sel))))
	if err != nil {
		return fmt.Sprintf("(the page did not answer: %v)", err)
	}
	return state
}

// waitForElement is a JavaScript promise that waits until the page shows an
// element sel finds (it has a box), then resolves to then(element).
func waitForElement(sel, then string) string {
	return fmt.Sprintf(`new Promise((resolve) => {
		const then = %s;
		const check = () => {
			const el = document.querySelector(%s);
			if (el && el.getClientRects().length > 0) {
				resolve(then(el));
			} else {
				setTimeout(check, 20);
			}
		};
		check();
	})`, then, jsString(sel))
}

// evalRetrying evaluates a JavaScript promise in the tab's page until it
// resolves or ctx ends. A navigation replaces the page and fails an
// evaluation under way in the old one; it is then evaluated again, in the
// new page.
func evalRetrying[T any](ctx context.Context, promise string) (T, error) {
	for {
		v, err := chromedp.Run(ctx, chromedp.Evaluate[T](promise, chromedp.EvalAwaitPromise))
		if err == nil || ctx.Err() != nil {
			if ctx.Err() != nil {
				err = ctx.Err()
			}
			return v, err
		}
		var exc *chromedp.ExceptionError
		if errors.As(err, &exc) {
			return v, err // the script itself failed: no retry mends it
		}
		select {
		case <-ctx.Done():
			return v, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// waitPageAge waits, as a person reading and typing would have, until d has
// passed since the tab's page began to arrive (its navigation's
// responseStart, after any redirects). The server stamps a form before it
// sends the page, so a form on the page is at least d old afterwards, by the
// server's clock as well.
func (tb *tab) waitPageAge(d time.Duration) {
	tb.t.Helper()
	// A few milliseconds more, for the two processes' clocks.
	const margin = 50
	run(tb, "waiting for the page to age", chromedp.Evaluate[float64](fmt.Sprintf(`new Promise((resolve, reject) => {
		const nav = performance.getEntriesByType("navigation")[0];
		if (!nav || !nav.responseStart) {
			reject(new Error("the page has no navigation timing"));
			return;
		}
		const left = Math.max(0, nav.responseStart + %d - performance.now());
		setTimeout(() => resolve(left), left);
	})`, d.Milliseconds()+margin), chromedp.EvalAwaitPromise))
}

// text is the rendered text of the first element the selector finds.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	// Read through JavaScript, as clickAndLoad says why.
	text, err := evalRetrying[string](ctx, waitForElement(sel, `(el) => el.innerText`))
	if err != nil {
		tb.fatal("reading "+sel, err)
	}
	return strings.TrimSpace(text)
}

// count is how many elements the selector finds.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return eval[int](tb, fmt.Sprintf("document.querySelectorAll(%s).length", jsString(sel)))
}

// location is the page's URL.
func (tb *tab) location() string {
	tb.t.Helper()
	return run(tb, "reading the location", chromedp.Location())
}

// takeDialogs returns the dialogs opened since the last call.
func (tb *tab) takeDialogs() []string {
	tb.mu.Lock()
	defer tb.mu.Unlock()
	d := tb.dialogs
	tb.dialogs = nil
	return d
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x2028 || r == 0x2029 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return s
}
