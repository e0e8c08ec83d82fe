package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestServeLiveReloadsAnOpenPageWhenItsFileChanges is what -live is for: a
// writer has the post open in a tab, saves the Markdown file in their text
// editor, and the tab shows the change by itself — and not before.
func TestServeLiveReloadsAnOpenPageWhenItsFileChanges(t *testing.T) {
	srv := startServer(t, nil, withLive)
	tb := newTab(t)
	if status := tb.navigate(srv.base + "/posts/massage-during-training/"); status != 200 {
		t.Fatalf("status %d", status)
	}
	// Lets the script connect to the event stream; a page that is reloaded
	// loses this mark.
	time.Sleep(1500 * time.Millisecond)
	eval[string](tb, `window.unreloaded = "yes"`)
	time.Sleep(2 * time.Second) // two polls of the content directory, with no change
	if !eval[bool](tb, `window.unreloaded === "yes"`) {
		t.Fatal("the page reloaded though nothing changed")
	}

	file := filepath.Join(srv.contentDir, "posts", "massage-during-training.md")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	const added = "Edited in a text editor while the page was open."
	if err := os.WriteFile(file, append(src, "\n"+added+"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	// While the page reloads, evaluating fails (its context is gone): that
	// is no answer yet.
	var text string
	for deadline := time.Now().Add(10 * time.Second); ; {
		reloaded, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.unreloaded !== "yes"`))
		if err == nil && reloaded {
			text, err = chromedp.Run(tb.ctx, chromedp.Evaluate[string](`document.querySelector("main") ? document.querySelector("main").innerText : ""`))
			if err == nil && strings.Contains(text, added) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("within 10 s of its file changing, the page did not reload to show the change (reloaded: %v; text: %q)", reloaded, text)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
