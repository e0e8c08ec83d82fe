//go:build linux

package authoring_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"milepost/internal/authoring"
)

// fsImmutable is the Linux inode flag FS_IMMUTABLE_FL (linux/fs.h), which
// x/sys does not name.
const fsImmutable = 0x10

// readOnly makes dir unwritable, also for root (who ignores permissions):
// as root, with the immutable attribute, where the file system has it.
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if os.Geteuid() != 0 {
		return
	}
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, fsImmutable); err != nil {
		t.Skipf("running as root, and %s cannot be made immutable (%v): a read-only directory would be written", dir, err)
	}
	t.Cleanup(func() {
		f, err := os.Open(dir)
		if err != nil {
			t.Error(err)
			return
		}
		defer f.Close()
		if err := unix.IoctlSetPointerInt(int(f.Fd()), unix.FS_IOC_SETFLAGS, 0); err != nil {
			t.Errorf("making %s mutable again: %v", dir, err)
		}
	})
}

func TestAReadOnlyDirectoryGivesAClearErrorAndLeavesTheFile(t *testing.T) {
	s := newSite(t)
	before := s.read(samplePost)
	p := s.open("massage-during-training")
	readOnly(t, s.path("posts"))
	e := unchanged(p)
	e.Body = "A new text that cannot be written.\n"
	_, err := s.svc.Save(context.Background(), e, p.Version)
	if err == nil {
		t.Fatal("Save into a read-only directory succeeded")
	}
	if !errors.Is(err, os.ErrPermission) || !strings.Contains(err.Error(), samplePost) {
		t.Errorf("Save = %v; want a permission error naming %s", err, samplePost)
	}
	if got := s.read(samplePost); got != before {
		t.Error("the file changed")
	}
	s.noStrayFiles()
	// A new post, whose folder cannot be made, fails as clearly.
	_, err = s.svc.Save(context.Background(), authoring.Edit{Slug: "new-run", Fields: authoring.Fields{Title: "New", Date: "2024-01-01"}}, "")
	if !errors.Is(err, os.ErrPermission) {
		t.Errorf("a new post in a read-only posts/: %v", err)
	}
}

// A content directory on a small file system of its own: a save that does
// not fit fails with "no space left on device" and leaves the file whole,
// and the trash (on another file system) is refused rather than copied.
func TestAFullDiskLeavesTheFileWholeAndTheTrashMustShareTheFileSystem(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a small file system needs root")
	}
	root := t.TempDir()
	mnt := filepath.Join(root, "content")
	if err := os.Mkdir(mnt, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=64k"); err != nil {
		t.Skipf("cannot mount a tmpfs: %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, 0) })
	s := newSiteIn(t, mnt, filepath.Join(root, "data"))
	before := s.read(samplePost)
	p := s.open("massage-during-training")
	e := unchanged(p)
	e.Body = strings.Repeat("Another long run, and then another. ", 4000) // 144 KB
	_, err := s.svc.Save(context.Background(), e, p.Version)
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Save on a full disk = %v, want ENOSPC", err)
	}
	if got := s.read(samplePost); got != before {
		t.Error("the file changed")
	}
	s.noStrayFiles()

	_, err = s.svc.Delete(context.Background(), "massage-during-training", p.Version, "kay")
	if !errors.Is(err, authoring.ErrOtherFileSystem) {
		t.Fatalf("Delete into a trash on another file system = %v, want ErrOtherFileSystem", err)
	}
	if got := s.read(samplePost); got != before {
		t.Error("the refused delete touched the file")
	}
	if items, _ := s.svc.Trash(context.Background()); len(items) != 0 {
		t.Errorf("the refused delete is in the trash: %+v", items)
	}
}
