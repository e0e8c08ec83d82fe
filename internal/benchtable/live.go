package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// liveEdit measures how long after a post's file is saved the edited post
// is served: by `milepost serve -live` (watched through its event stream,
// as an open tab does) and by `hugo server` over the same posts (its page
// fetched every 5 ms), edited in turn. The edited post is the newest one (the first the
// home page links to), so its lists and feeds change too.
func (b *bench) liveEdit(ctx context.Context) (rows []row, err error) {
	what := fmt.Sprintf("one post edited on the %s-post site, live", formatCount(b.posts))
	srv, err := b.serveCopy(ctx, "live", nil, "-live")
	if err != nil {
		return nil, err
	}
	defer func() {
		if serr := srv.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	base, dir := srv.base, srv.dir
	postPath, ok := firstLink(srv.home, postLink)
	if !ok {
		return nil, errors.New("the home page links to no post")
	}
	file, err := postFile(srv.site, postPath)
	if err != nil {
		return nil, err
	}

	var hugo *child
	var hugoFile, hugoURL string
	if bin := lookTool("hugo"); bin != "" {
		hugoSite := filepath.Join(dir, "hugo")
		if err := makeHugoSite(srv.site, hugoSite); err != nil {
			return nil, err
		}
		addr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		_, port, _ := net.SplitHostPort(addr)
		hugo, err = startChild(ctx, "hugo server", hugoSite, filepath.Join(dir, "hugo.log"), bin,
			"server", "--source", hugoSite, "--bind", "127.0.0.1", "--port", port)
		if err != nil {
			return nil, err
		}
		defer func() {
			if serr := hugo.stop(); serr != nil && err == nil {
				err = serr
			}
		}()
		hugoURL = "http://" + addr + postPath
		b.log.Info("live: waiting for hugo server", "url", hugoURL)
		if _, err := hugo.waitFor200(ctx, hugoURL, 5*time.Minute); err != nil {
			return nil, err
		}
		if hugoFile, err = postFile(filepath.Join(hugoSite, "content"), postPath); err != nil {
			return nil, err
		}
	}

	events, err := watchEvents(ctx, base+"/_live/events", base+postPath)
	if err != nil {
		return nil, err
	}
	var mile, ref []float64
	for round := range b.cfg.rounds {
		d, err := timeEdit(ctx, file, dir, fmt.Sprintf("milepost%d", round+1), events)
		if err != nil {
			return nil, fmt.Errorf("milepost serve -live: %w", err)
		}
		mile = append(mile, float64(d))
		b.log.Info("live", "round", round+1, "milepost", d)
		if hugo != nil {
			d, err := timeEdit(ctx, hugoFile, dir, fmt.Sprintf("hugo%d", round+1), pollWatcher{hugoURL})
			if err != nil {
				return nil, fmt.Errorf("hugo server: %w", err)
			}
			ref = append(ref, float64(d))
			b.log.Info("live", "round", round+1, "hugo", d)
		}
	}
	m := time.Duration(median(mile))
	r := row{what: what, measured: formatDuration(m), goal: "≤ 100 ms", met: yesNo(m <= 100*time.Millisecond)}
	if hugo != nil {
		h := time.Duration(median(ref))
		r.reference, r.ratio = formatDuration(h)+" `hugo server`", formatRatio(float64(m)/float64(h))
	} else {
		r.reference = "hugo is not installed"
	}
	return []row{r}, nil
}

// editWatcher waits until an edit shows on a page.
type editWatcher interface {
	// forget drops what was seen before the edit.
	forget()
	// wait returns once the page shows text.
	wait(ctx context.Context, text string) error
}

// timeEdit saves the post file with a new paragraph naming marker and
// returns how long it took until w saw it served.
func timeEdit(ctx context.Context, file, tmpDir, marker string, w editWatcher) (time.Duration, error) {
	original, err := os.ReadFile(file)
	if err != nil {
		return 0, fmt.Errorf("reading the post to edit: %w", err)
	}
	// Each edit replaces the previous one's paragraph.
	if i := bytes.Index(original, []byte("\n\nEdited for the benchmark: ")); i >= 0 {
		original = original[:i]
	}
	text := fmt.Sprintf("Edited for the benchmark: %s.", marker)
	edited := append(bytes.TrimRight(original, "\n"), []byte("\n\n"+text+"\n")...)
	// Let the previous edit's reload settle.
	select {
	case <-time.After(time.Second):
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	w.forget()
	start := time.Now()
	if err := rewriteFile(file, tmpDir, edited); err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := w.wait(ctx, text); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// pageShows fetches url and says whether it shows text.
func pageShows(ctx context.Context, url, text string) (bool, error) {
	page, err := capture(ctx, url)
	if err != nil {
		return false, err
	}
	return page.status == 200 && bytes.Contains(page.body, []byte(text)), nil
}

// pollWatcher fetches the page every 5 ms, for a server without an event
// stream of its own (hugo server serves its pages from memory, so a fetch
// costs it little).
type pollWatcher struct{ url string }

func (pollWatcher) forget() {}

func (p pollWatcher) wait(ctx context.Context, text string) error {
	for {
		ok, err := pageShows(ctx, p.url, text)
		if ok || err != nil {
			return err
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			return fmt.Errorf("%s did not show the edit: %w", p.url, ctx.Err())
		}
	}
}

// eventWatcher listens to serve -live's event stream, as a reader's tab
// does, and fetches the page after each new version: nothing else loads
// the server while it reloads.
type eventWatcher struct {
	url      string
	versions <-chan string
}

// watchEvents subscribes to the event stream at url; the stream ends with
// ctx.
func watchEvents(ctx context.Context, eventsURL, pageURL string) (*eventWatcher, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, eventsURL, nil)
	if err != nil {
		return nil, err
	}
	res, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		return nil, fmt.Errorf("subscribing to %s: %w", eventsURL, err)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("subscribing to %s: %s", eventsURL, res.Status)
	}
	versions := make(chan string, 64)
	go func() {
		defer close(versions)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				event = ""
			case strings.HasPrefix(line, "event:"):
				event = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:") && event == "version":
				versions <- strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			}
		}
	}()
	return &eventWatcher{url: pageURL, versions: versions}, nil
}

func (e *eventWatcher) forget() {
	for {
		select {
		case <-e.versions:
		default:
			return
		}
	}
}

func (e *eventWatcher) wait(ctx context.Context, text string) error {
	for {
		select {
		case _, ok := <-e.versions:
			if !ok {
				return errors.New("the event stream ended")
			}
			shown, err := pageShows(ctx, e.url, text)
			if shown || err != nil {
				return err
			}
		case <-ctx.Done():
			return fmt.Errorf("no new version of the site showed the edit: %w", ctx.Err())
		}
	}
}

// postFile is the Markdown file of the post at path (/posts/SLUG/) under
// site/posts: SLUG.md or SLUG/index.md, in any sub-folder. A post whose
// slug is set in its front matter is not found: the command says so.
func postFile(site, path string) (string, error) {
	slug := strings.Trim(strings.TrimPrefix(path, "/posts/"), "/")
	var found string
	err := filepath.WalkDir(filepath.Join(site, "posts"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || found != "" {
			return err
		}
		if !d.IsDir() && (d.Name() == slug+".md" || (d.Name() == "index.md" && filepath.Base(filepath.Dir(p)) == slug)) {
			found = p
			return filepath.SkipAll
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("finding the file of %s: %w", path, err)
	}
	if found == "" {
		return "", fmt.Errorf("no file posts/…/%s.md or %s/index.md for %s (a slug set in front matter?)", slug, slug, path)
	}
	return found, nil
}
