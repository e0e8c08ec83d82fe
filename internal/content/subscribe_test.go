package content

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestSubscribersAreToldOfEachReloadAndNeverHoldItUp(t *testing.T) {
	dir := writeSite(t, files{"posts/a.md": "---\ntitle: A\ndate: 2024-01-01\n---\nOne.\n"})
	log, _ := newLog()
	src, err := NewSource(context.Background(), dir, Overrides{}, log)
	if err != nil {
		t.Fatal(err)
	}
	changes, stop := src.Subscribe()
	_, stopIdle := src.Subscribe() // never read: reloads must not wait for it
	defer stopIdle()

	src.Reload(context.Background()) // nothing changed: no notice
	select {
	case <-changes:
		t.Fatal("told of a reload that found nothing changed")
	default:
	}
	for i, text := range []string{"Two.", "Three.", "Four."} {
		writeFile(t, dir, "posts/a.md", "---\ntitle: A\ndate: 2024-01-01\n---\n"+text+"\n")
		// The modification time may not move within the file system's
		// granularity: set it apart.
		mtime := time.Now().Add(time.Duration(i+1) * time.Second)
		if err := os.Chtimes(filepath.Join(dir, "posts", "a.md"), mtime, mtime); err != nil {
			t.Fatal(err)
		}
		src.Reload(context.Background())
		select {
		case <-changes:
		case <-time.After(2 * time.Second):
			t.Fatalf("no notice after changing the post to %q", text)
		}
	}
	stop()
	writeFile(t, dir, "posts/a.md", "---\ntitle: A\ndate: 2024-01-01\n---\nFive.\n")
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(filepath.Join(dir, "posts", "a.md"), later, later); err != nil {
		t.Fatal(err)
	}
	src.Reload(context.Background())
	select {
	case <-changes:
		t.Error("told of a reload after the subscription ended")
	default:
	}
}
