//go:build unix

package content

import (
	"errors"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// Opening a named pipe waits for a writer: a bundle must never make a
// request hang that way.
func TestOpenResourceRefusesANamedPipe(t *testing.T) {
	site := loadSite(t, files{"posts/race/index.md": "---\ntitle: Race\ndate: 2024-02-01\n---\n"})
	if err := syscall.Mkfifo(filepath.Join(site.Dir(), "posts", "race", "pipe.png"), 0o644); err != nil {
		t.Skipf("named pipes: %v", err)
	}
	done := make(chan error, 1)
	go func() {
		r, err := View{Site: site, Now: time.Now()}.OpenResource("race", "pipe.png")
		if err == nil {
			r.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("OpenResource of a named pipe = %v, want not found", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("OpenResource of a named pipe is still waiting after 5 s")
	}
}
