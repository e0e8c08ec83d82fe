package app

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// hub is a WebSub hub started in the test: it records every ping, and
// answers 503 to the first failFirst ones.
type hub struct {
	*httptest.Server
	mu        sync.Mutex
	pings     []string // hub.url of each accepted ping
	refused   int
	failFirst int
}

func newHub(t *testing.T, failFirst int) *hub {
	h := &hub{failFirst: failFirst}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Method != http.MethodPost || r.PostForm.Get("hub.mode") != "publish" {
			http.Error(w, "bad ping", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.refused < h.failFirst {
			h.refused++
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		h.pings = append(h.pings, r.PostForm.Get("hub.url"))
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(h.Close)
	return h
}

// take returns the pings so far, sorted, and forgets them.
func (h *hub) take() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := h.pings
	h.pings = nil
	slices.Sort(out)
	return out
}

// websubSite is a content directory with one post by kay, tagged hills,
// whose feeds name the hub.
func websubSite(t *testing.T, hubURL string) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "site.yaml"), "title: Club\nbase_url: https://club.example\nwebsub:\n  hubs: ["+hubURL+"]\n")
	writeFile(t, filepath.Join(dir, "authors", "kay.md"), "---\nname: Kay\n---\n")
	writeFile(t, filepath.Join(dir, "posts", "old.md"), "---\ntitle: Old\ndate: 2020-01-01\nauthor: kay\ntags: [hills]\n---\nOld run.\n")
	return dir
}

// served is the outgoing side of a server over a content directory and a
// database, as Serve runs it, with quick retries.
type served struct {
	st   *stores
	out  *outgoing
	stop func()
}

func serveOutgoing(t *testing.T, dir, db string) *served {
	t.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := openStores(ctx, ServeConfig{ContentDir: dir, DBPath: db}, log)
	if err != nil {
		t.Fatal(err)
	}
	o := st.out
	o.worker.BaseDelay, o.worker.Poll = 20*time.Millisecond, 10*time.Millisecond
	s := &served{st: st, out: o}
	stop := o.start(ctx, st, log)
	s.stop = func() { stop(); st.db.Close() }
	return s
}

// settle waits until the outbox is empty.
func (s *served) settle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := s.st.db.Stats(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if st.Pending[outboxKindWebSub] == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the outbox did not empty: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

const outboxKindWebSub = "websub"

func feedsOf(pages ...string) []string {
	var out []string
	for _, p := range pages {
		for _, f := range []string{"atom.xml", "feed.json", "feed.xml"} {
			out = append(out, "https://club.example"+p+f)
		}
	}
	slices.Sort(out)
	return out
}

// TestWebSubPingsEachFeedOncePerChange: publishing, editing and deleting
// a post each ping the hub once for each feed the post is in (the site's,
// its author's, its tags'), a hub that fails is tried again, and a
// restart pings nothing again.
func TestWebSubPingsEachFeedOncePerChange(t *testing.T) {
	h := newHub(t, 2)
	dir := websubSite(t, h.URL)
	db := filepath.Join(t.TempDir(), "milepost.db")
	s := serveOutgoing(t, dir, db)
	reload := func() {
		t.Helper()
		s.st.src.Reload(context.Background())
		time.Sleep(50 * time.Millisecond) // the announcer hears of the new Site
		s.settle(t)
	}
	time.Sleep(50 * time.Millisecond)
	s.settle(t)
	if got := h.take(); len(got) != 0 {
		t.Fatalf("the first start pinged %v: the existing posts are the baseline", got)
	}
	checkFeedsNameTheHub(t, s.st, h.URL)

	post := filepath.Join(dir, "posts", "tempo.md")
	writeFile(t, post, "---\ntitle: Tempo\ndate: 2021-01-01\nauthor: kay\ntags: [speed]\n---\nFast.\n")
	reload()
	want := feedsOf("/", "/authors/kay/", "/tags/speed/")
	if got := h.take(); !slices.Equal(got, want) {
		t.Fatalf("publishing pinged\n%v\nwant each feed once\n%v", got, want)
	}
	if h.refused != 2 {
		t.Errorf("the hub refused %d pings, want 2 (then they were retried)", h.refused)
	}
	reload() // nothing changed
	if got := h.take(); len(got) != 0 {
		t.Errorf("a reload with no change pinged %v", got)
	}

	writeFile(t, post, "---\ntitle: Tempo\ndate: 2021-01-01\nauthor: kay\ntags: [speed]\n---\nFast, edited.\n")
	reload()
	if got := h.take(); !slices.Equal(got, want) {
		t.Fatalf("editing pinged\n%v\nwant\n%v", got, want)
	}

	if err := os.Remove(post); err != nil {
		t.Fatal(err)
	}
	reload()
	if got := h.take(); !slices.Equal(got, want) {
		t.Fatalf("deleting pinged\n%v\nwant\n%v", got, want)
	}

	// Deleted while the server was down: after the restart every feed
	// the post was in is pinged (the site's, its author's and its tag's,
	// as the record of what was announced keeps them), once.
	s.stop()
	if err := os.Remove(filepath.Join(dir, "posts", "old.md")); err != nil {
		t.Fatal(err)
	}
	s = serveOutgoing(t, dir, db)
	time.Sleep(50 * time.Millisecond)
	s.settle(t)
	if got, want := h.take(), feedsOf("/", "/authors/kay/", "/tags/hills/"); !slices.Equal(got, want) {
		t.Fatalf("a delete seen at start-up pinged\n%v\nwant\n%v", got, want)
	}
	s.stop()
	s = serveOutgoing(t, dir, db)
	defer s.stop()
	time.Sleep(100 * time.Millisecond)
	s.settle(t)
	if got := h.take(); len(got) != 0 {
		t.Errorf("a restart with nothing changed pinged %v", got)
	}
	if err := s.st.db.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

// checkFeedsNameTheHub fetches the feeds through the site's handler: each
// names the hub and itself in Link headers and in the document.
func checkFeedsNameTheHub(t *testing.T, st *stores, hubURL string) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	handler, err := buildHandler(context.Background(), ServeConfig{DBPath: st.db.Path()}, st, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()
	for _, path := range []string{"/feed.xml", "/atom.xml", "/feed.json", "/authors/kay/feed.xml"} {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		links := res.Header.Values("Link")
		wantLinks := []string{"<" + hubURL + ">; rel=\"hub\"", "<https://club.example" + path + ">; rel=\"self\""}
		if res.StatusCode != http.StatusOK || !slices.Equal(links, wantLinks) {
			t.Errorf("GET %s: %d, Link %q; want 200 and %q", path, res.StatusCode, links, wantLinks)
		}
		if !strings.Contains(string(body), hubURL) {
			t.Errorf("GET %s: the feed does not name the hub:\n%s", path, body)
		}
	}
}
