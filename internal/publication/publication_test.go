package publication_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"milepost/internal/content"
	"milepost/internal/outbox"
	"milepost/internal/outbox/outboxtest"
	"milepost/internal/publication"
)

// siteDir is a content directory the test edits.
type siteDir string

func newSiteDir(t *testing.T) siteDir {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{"posts", "authors"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "site.yaml"), []byte("title: Club\nbase_url: https://club.example/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return siteDir(dir)
}

func (d siteDir) write(t *testing.T, slug, front, body string) {
	t.Helper()
	src := "---\n" + front + "\n---\n" + body + "\n"
	if err := os.WriteFile(filepath.Join(string(d), "posts", slug+".md"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (d siteDir) remove(t *testing.T, slug string) {
	t.Helper()
	if err := os.Remove(filepath.Join(string(d), "posts", slug+".md")); err != nil {
		t.Fatal(err)
	}
}

func (d siteDir) load(t *testing.T) *content.Site {
	t.Helper()
	site, err := content.Load(context.Background(), string(d), content.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	if len(site.Problems) > 0 {
		t.Fatalf("loading the site: %v", site.Problems)
	}
	return site
}

func summary(evs []publication.Event) []string {
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Kind.String()+" "+ev.Slug)
	}
	return out
}

func TestChanges(t *testing.T) {
	d := newSiteDir(t)
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	d.write(t, "old", "title: Old\ndate: 2026-04-01", "Old run.")
	d.write(t, "newer", "title: Newer\ndate: 2026-04-20", "Newer run.")
	d.write(t, "draft", "title: Draft\ndate: 2026-04-21\ndraft: true", "Not yet.")
	d.write(t, "scheduled", "title: Soon\ndate: 2026-05-02T07:00:00Z", "Tomorrow.")
	site := d.load(t)

	evs := publication.Changes(site, nil, now)
	if got, want := summary(evs), []string{"published old", "published newer"}; !slices.Equal(got, want) {
		t.Fatalf("Changes from nothing = %v, want %v (public posts only, oldest first)", got, want)
	}
	told := map[string]publication.Announced{}
	for _, ev := range evs {
		if ev.Version == "" || ev.Post == nil || ev.Post.Slug != ev.Slug || ev.Told != "" {
			t.Errorf("event %+v lacks its version or post", ev)
		}
		told[ev.Slug] = publication.Announced{Version: ev.Version}
	}
	if evs := publication.Changes(site, told, now); len(evs) != 0 {
		t.Errorf("Changes with the world up to date = %v, want none", summary(evs))
	}
	// The fingerprint is stable: a fresh load of the same files.
	if evs := publication.Changes(d.load(t), told, now); len(evs) != 0 {
		t.Errorf("Changes after loading the same files again = %v, want none", summary(evs))
	}

	d.write(t, "old", "title: Old\ndate: 2026-04-01", "Old run, with a correction.")
	d.remove(t, "newer")
	told["gone-before"] = publication.Announced{Version: "abc", Author: "kay", Tags: []string{"hills"}}
	site = d.load(t)
	evs = publication.Changes(site, told, now)
	if got, want := summary(evs), []string{"updated old", "removed gone-before", "removed newer"}; !slices.Equal(got, want) {
		t.Fatalf("Changes after an edit and a delete = %v, want %v", got, want)
	}
	if evs[0].Told != told["old"].Version || evs[0].Version == told["old"].Version {
		t.Errorf("updated event %+v: want Told the old version and a new Version", evs[0])
	}
	if evs[1].ToldAs.Author != "kay" || !slices.Equal(evs[1].ToldAs.Tags, []string{"hills"}) {
		t.Errorf("removed event %+v: want the author and tags it was told under", evs[1])
	}
	if evs[2].Told != told["newer"].Version || evs[2].Post != nil || evs[2].Version != "" {
		t.Errorf("removed event %+v: want Told the last version, no post", evs[2])
	}
	keys := map[string]bool{}
	for _, ev := range evs {
		if keys[ev.Key()] {
			t.Errorf("two events share the key %q", ev.Key())
		}
		keys[ev.Key()] = true
	}

	// The scheduled post comes due.
	later := time.Date(2026, 5, 2, 7, 0, 0, 0, time.UTC)
	if next := publication.NextDue(site, now); !next.Equal(later) {
		t.Errorf("NextDue = %v, want %v", next, later)
	}
	if next := publication.NextDue(site, later); !next.IsZero() {
		t.Errorf("NextDue once all are out = %v, want zero", next)
	}
	told = map[string]publication.Announced{}
	for _, ev := range publication.Changes(site, nil, now) {
		told[ev.Slug] = publication.Announced{Version: ev.Version}
	}
	if got, want := summary(publication.Changes(site, told, later)), []string{"published scheduled"}; !slices.Equal(got, want) {
		t.Errorf("Changes when the scheduled post comes due = %v, want %v", got, want)
	}
}

// memStore keeps what was told in memory, and the messages in an
// outboxtest.MemStore.
type memStore struct {
	mu        sync.Mutex
	told      map[string]publication.Announced
	baselined bool
	out       outboxtest.MemStore
}

func (s *memStore) Told(ctx context.Context) (map[string]publication.Announced, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	told := map[string]publication.Announced{}
	for k, v := range s.told {
		told[k] = v
	}
	return told, s.baselined, nil
}

func (s *memStore) Record(ctx context.Context, evs []publication.Event, msgs []outbox.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.told == nil {
		s.told = map[string]publication.Announced{}
	}
	for _, ev := range evs {
		if ev.Kind == publication.Removed {
			delete(s.told, ev.Slug)
		} else {
			a := publication.AnnouncedOf(ev.Post, ev.Version)
			a.At = ev.At
			s.told[ev.Slug] = a
		}
	}
	s.baselined = true
	return s.out.Enqueue(ctx, msgs...)
}

func (s *memStore) pending(t *testing.T) []string {
	t.Helper()
	ms, err := s.out.Due(context.Background(), time.Now().Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.Key)
	}
	slices.Sort(out)
	return out
}

// pinger is a Fanout making one message per event, and failing when told.
type pinger struct {
	mu   sync.Mutex
	fail error
}

func (p *pinger) Messages(ctx context.Context, ev publication.Event) ([]outbox.Message, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail != nil {
		return nil, p.fail
	}
	return []outbox.Message{{Kind: "test", Key: "ping:" + strings.SplitN(ev.Key(), ":", 3)[0] + ":" + ev.Slug}}, nil
}

func TestAnnouncerTellsEachChangeOnceAfterTheBaseline(t *testing.T) {
	ctx := context.Background()
	d := newSiteDir(t)
	d.write(t, "archive-1", "title: A1\ndate: 2020-01-01", "Old.")
	d.write(t, "archive-2", "title: A2\ndate: 2020-01-02", "Old.")
	store := &memStore{}
	fan := &pinger{}
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	a := &publication.Announcer{Store: store, Fanouts: []publication.Fanout{fan}, Now: func() time.Time { return now }}

	if err := a.SiteChanged(ctx, d.load(t)); err != nil {
		t.Fatal(err)
	}
	if got := store.pending(t); len(got) != 0 || len(store.told) != 2 || !store.baselined {
		t.Fatalf("after the first look: messages %v, told %v; want the archive recorded, nothing sent", got, store.told)
	}
	if at := store.told["archive-1"].At; !at.IsZero() {
		t.Errorf("the baseline's post was told public at %v, want no time: it was not published now", at)
	}

	d.write(t, "fresh", "title: Fresh\ndate: 2020-02-01", "New run.")
	if err := a.SiteChanged(ctx, d.load(t)); err != nil {
		t.Fatal(err)
	}
	if at := store.told["fresh"].At; !at.Equal(now) {
		t.Errorf("a new post was told public at %v, want %v", at, now)
	}
	if err := a.SiteChanged(ctx, d.load(t)); err != nil { // the same files again: nothing new
		t.Fatal(err)
	}
	if got, want := store.pending(t), []string{"ping:published:fresh"}; !slices.Equal(got, want) {
		t.Fatalf("after a new post: messages %v, want %v", got, want)
	}

	// A fresh Announcer (a restart) over the same store tells nothing again.
	b := &publication.Announcer{Store: store, Fanouts: []publication.Fanout{fan}}
	if err := b.SiteChanged(ctx, d.load(t)); err != nil {
		t.Fatal(err)
	}
	d.write(t, "fresh", "title: Fresh\ndate: 2020-02-01", "New run, edited.")
	d.remove(t, "archive-1")
	if err := b.SiteChanged(ctx, d.load(t)); err != nil {
		t.Fatal(err)
	}
	want := []string{"ping:published:fresh", "ping:removed:archive-1", "ping:updated:fresh"}
	if got := store.pending(t); !slices.Equal(got, want) {
		t.Fatalf("after an edit and a delete: messages %v, want %v", got, want)
	}

	// A Fanout that fails records nothing, so the change is told next time.
	d.write(t, "another", "title: Another\ndate: 2020-03-01", "Run.")
	fan.fail = fmt.Errorf("subscribers unreadable")
	if err := b.SiteChanged(ctx, d.load(t)); err == nil {
		t.Fatal("SiteChanged with a failing Fanout: no error")
	}
	if _, ok := store.told["another"]; ok {
		t.Fatal("a post was recorded as told though its Fanout failed")
	}
	fan.fail = nil
	if err := b.SiteChanged(ctx, d.load(t)); err != nil {
		t.Fatal(err)
	}
	if got := store.pending(t); !slices.Contains(got, "ping:published:another") {
		t.Errorf("after the Fanout mended: messages %v, want the new post's", got)
	}
}

// Run tells of a scheduled post when it comes due, with no new Site.
func TestAnnouncerRunTellsOfAScheduledPostWhenItComesDue(t *testing.T) {
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	d := newSiteDir(t)
	d.write(t, "out", "title: Out\ndate: 2020-01-01", "Old.")
	store := &memStore{}
	a := &publication.Announcer{Store: store, Fanouts: []publication.Fanout{&pinger{}}, Worker: &outbox.Worker{}}
	if err := a.SiteChanged(ctx, d.load(t)); err != nil { // the baseline
		t.Fatal(err)
	}
	due := time.Now().Add(400 * time.Millisecond).UTC()
	d.write(t, "soon", "title: Soon\ndate: "+due.Format(time.RFC3339Nano), "Scheduled.")
	site := d.load(t)
	if err := a.SiteChanged(ctx, site); err != nil {
		t.Fatal(err)
	}
	if got := store.pending(t); len(got) != 0 {
		t.Fatalf("before the post is due: messages %v", got)
	}
	done := make(chan error)
	go func() { done <- a.Run(ctx, func() *content.Site { return site }) }()
	deadline := time.Now().Add(5 * time.Second)
	for !slices.Equal(store.pending(t), []string{"ping:published:soon"}) {
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled post was not told of: messages %v", store.pending(t))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if time.Now().Before(due) {
		t.Errorf("told of the scheduled post before its date")
	}
	stop()
	if err := <-done; err != nil {
		t.Errorf("Run: %v", err)
	}
}
