package content

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// logBuffer collects log output from several goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	var b logBuffer
	h := slog.NewTextHandler(&b, &slog.HandlerOptions{
		// Without the time, lines can be compared whole.
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	return slog.New(h), &b
}

// eventually polls cond until it holds, failing the test after two seconds.
// Watch runs every few milliseconds in these tests, so it holds quickly.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// watch starts s.Watch and stops it, waiting for it to return, when the
// test ends.
func watch(t *testing.T, s *Source) {
	ctx, cancel := context.WithCancel(context.Background())
	done, started := make(chan struct{}), make(chan struct{})
	s.watching = func() { close(started) }
	go func() {
		defer close(done)
		s.Watch(ctx, 5*time.Millisecond)
	}()
	select {
	case <-started:
	case <-time.After(2 * time.Second):
		t.Fatal("Watch did not start")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Error("Watch did not return after its context was cancelled")
		}
	})
}

func TestNewSourceLogsProblems(t *testing.T) {
	dir := writeSite(t, files{
		"posts/good.md": "---\ntitle: Good\ndate: 2024-01-01\n---\n",
		"posts/bad.md":  "---\ntitle: Bad\ndate: 2024-01-01\nauthor: kai\n---\n",
	})
	log, logs := newLog()
	s, err := NewSource(context.Background(), dir, Overrides{}, log)
	if err != nil {
		t.Fatal(err)
	}
	if got := slugs(allPosts(s.Current())); !cmp.Equal(got, []string{"good"}) {
		t.Errorf("posts = %v, want [good]", got)
	}
	want := `level=WARN msg="skipped a content file" file=posts/bad.md line=4 err="unknown author \"kai\""` + "\n"
	if diff := cmp.Diff(want, logs.String()); diff != "" {
		t.Errorf("log mismatch (-want +got):\n%s", diff)
	}
}

func TestNewSourceFails(t *testing.T) {
	_, err := NewSource(context.Background(), t.TempDir(), Overrides{}, nil)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "site.yaml") {
		t.Errorf("NewSource without site.yaml: %v, want a not-exist error naming site.yaml", err)
	}
}

func TestWatchSwapsSite(t *testing.T) {
	dir := writeSite(t, files{"posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nFirst.\n"})
	log, logs := newLog()
	s, err := NewSource(context.Background(), dir, Overrides{}, log)
	if err != nil {
		t.Fatal(err)
	}
	first := s.Current()
	watch(t, s)

	// Nothing changed: the same Site keeps serving.
	time.Sleep(20 * time.Millisecond)
	if s.Current() != first {
		t.Fatal("Watch replaced the Site though nothing changed")
	}

	// An edited post, a new post and an editor's swap file.
	writeFile(t, dir, "posts/a.md", "---\ntitle: A, edited\ndate: 2024-01-01\n---\nFirst, edited.\n")
	writeFile(t, dir, "posts/2024/b.md", "---\ntitle: B\ndate: 2024-02-01\n---\nSecond.\n")
	eventually(t, "the new post", func() bool { return len(allPosts(s.Current())) == 2 })
	second := s.Current()
	if got := slugs(allPosts(second)); !cmp.Equal(got, []string{"b", "a"}) {
		t.Errorf("posts after the change = %v, want [b a]", got)
	}
	if got := second.bySlug["a"].Title; got != "A, edited" {
		t.Errorf("title after the change = %q, want the edited one", got)
	}
	// The old Site is untouched: a request holding it sees no change.
	if got := slugs(allPosts(first)); !cmp.Equal(got, []string{"a"}) || first.bySlug["a"].Title != "A" {
		t.Errorf("the previous Site changed: %v, %q", got, first.bySlug["a"].Title)
	}

	// A deleted post.
	if err := os.Remove(filepath.Join(dir, "posts", "a.md")); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the post to go", func() bool { return len(allPosts(s.Current())) == 1 })

	// A settings change.
	writeFile(t, dir, "site.yaml", "title: Renamed club\n")
	eventually(t, "the new title", func() bool { return s.Current().Config.Title == "Renamed club" })
	if !strings.Contains(logs.String(), `msg="content reloaded"`) {
		t.Errorf("reloads were not logged:\n%s", logs)
	}
}

func TestWatchKeepsSiteWhenReloadFails(t *testing.T) {
	dir := writeSite(t, files{"posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\n"})
	log, logs := newLog()
	s, err := NewSource(context.Background(), dir, Overrides{}, log)
	if err != nil {
		t.Fatal(err)
	}
	first := s.Current()
	watch(t, s)

	writeFile(t, dir, "site.yaml", "title: [broken\n")
	writeFile(t, dir, "posts/b.md", "---\ntitle: B\ndate: 2024-02-01\n---\n")
	eventually(t, "the failed reload to be logged", func() bool {
		return strings.Contains(logs.String(), "reloading content failed")
	})
	if s.Current() != first {
		t.Fatal("a failed reload replaced the Site")
	}
	if !strings.Contains(logs.String(), "level=ERROR") || !strings.Contains(logs.String(), "site.yaml") {
		t.Errorf("the failure is not logged as an error naming site.yaml:\n%s", logs)
	}

	writeFile(t, dir, "site.yaml", "title: Fixed\n")
	eventually(t, "the fixed site", func() bool { return s.Current().Config.Title == "Fixed" })
	if got := slugs(allPosts(s.Current())); !cmp.Equal(got, []string{"b", "a"}) {
		t.Errorf("posts after the fix = %v, want [b a]", got)
	}
	if n := strings.Count(logs.String(), "reloading content failed"); n != 1 {
		t.Errorf("the failure was logged %d times, want once until something changes", n)
	}
}
