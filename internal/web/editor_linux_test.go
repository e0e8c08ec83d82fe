//go:build linux

package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"milepost/internal/accounts"
)

// fsImmutable is the Linux inode flag FS_IMMUTABLE_FL (linux/fs.h).
const fsImmutable = 0x10

// readOnlyDir makes dir unwritable, also for root (who ignores
// permissions): with the immutable attribute, where the file system has it.
func readOnlyDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if os.Geteuid() != 0 {
		return
	}
	setFlags := func(flags int) error {
		f, err := os.Open(dir)
		if err != nil {
			return err
		}
		defer f.Close()
		return unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, flags)
	}
	if err := setFlags(fsImmutable); err != nil {
		t.Skipf("running as root, and %s cannot be made immutable (%v): a read-only directory would be written", dir, err)
	}
	t.Cleanup(func() {
		if err := setFlags(0); err != nil {
			t.Errorf("making %s mutable again: %v", dir, err)
		}
	})
}

// A content directory the server cannot write: 503, the writer's text
// shown back, the file as it was.
func TestAReadOnlyContentDirectoryIs503WithTheTextShownBack(t *testing.T) {
	h := newHarness(t, sampleSite(t), withAuthoring)
	before := h.readFile(samplePost)
	kay := h.writerAs("kay", accounts.RoleAuthor, "kay-kays-bird-club")
	fields := formFields(t, kay.get("/admin/posts/massage-during-training/edit").body)
	readOnlyDir(t, filepath.Join(h.dir, "posts"))
	res := kay.postForm("/admin/posts/massage-during-training/edit", with(fields, "body", "Words that must not be lost.\r\n", "action", "publish"))
	wantStatus(t, "a save into a read-only directory", res, http.StatusServiceUnavailable)
	mustContain(t, "the answer", res.body, "could not be saved just now", "Words that must not be lost.")
	if res.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if got := h.readFile(samplePost); got != before {
		t.Error("the file changed")
	}
	res = kay.postForm("/admin/posts/new", with(fields, "title", "A new run", "body", "Words that must not be lost.", "version", "", "action", "draft"))
	wantStatus(t, "a new post in a read-only directory", res, http.StatusServiceUnavailable)
	mustContain(t, "the answer", res.body, "Words that must not be lost.")
}
