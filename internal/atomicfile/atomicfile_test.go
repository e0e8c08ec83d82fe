package atomicfile_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"milepost/internal/atomicfile"
)

func TestWriteCreatesTheFileWithItsPermissions(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new", "dir", "export.json")
	if err := atomicfile.WriteFile(path, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "hello" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("permissions %o, want 600", perm)
	}
	onlyFile(t, filepath.Dir(path), "export.json")
}

func TestWriteReplacesAWholeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "post.md")
	if err := os.WriteFile(path, []byte("an old text that is longer than the new one"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(path, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Errorf("file holds %q, want %q", got, "new")
	}
	onlyFile(t, filepath.Dir(path), "post.md")
}

func TestAFailedWriteLeavesTheOldFileAndNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "export.json")
	if err := os.WriteFile(path, []byte("the old export"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full halfway")
	err := atomicfile.Write(path, 0o600, func(w io.Writer) error {
		if _, err := io.WriteString(w, "half of the new"); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want the writer's error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "the old export" {
		t.Errorf("file holds %q after a failed write, want the old text", got)
	}
	onlyFile(t, dir, "export.json")
}

func TestWriteIntoADirectoryThatCannotBeCreated(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.WriteFile(filepath.Join(blocker, "x.json"), []byte("x"), 0o600); err == nil {
		t.Fatal("Write under a regular file succeeded")
	}
}

// onlyFile fails unless dir holds exactly the file name: no temporary file
// was left behind.
func onlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != name {
		t.Errorf("directory holds %q, want only %q", names, name)
	}
}

func TestReplaceWritesTheWholeFileWithItsPermissionsAndNoTemporaryFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "index.html")
	for _, text := range []string{"old page", "new page"} {
		if err := atomicfile.Replace(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "new page" {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v (%v), want 0644", info.Mode(), err)
	}
	if entries, err := os.ReadDir(dir); err != nil || len(entries) != 1 {
		t.Errorf("the directory holds %v (%v), want only the file", entries, err)
	}
}
