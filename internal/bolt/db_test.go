package bolt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	bbolt "go.etcd.io/bbolt"

	"milepost/internal/comments"
)

func TestOpenCreatesDirectoryAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "deep", "er", "milepost.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != path {
		t.Errorf("Path() = %q, want %q", db.Path(), path)
	}
	mustCheck(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := readMeta(t, path, keySchemaVersion), strconv.Itoa(SchemaVersion); got != want {
		t.Errorf("schema_version = %q, want %q", got, want)
	}
	if info, err := os.Stat(path); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("database file: %v, %v; want mode 0600", info, err)
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "milepost.db")
	ctx := context.Background()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	root := add(t, db, newComment("p", 0))
	reply := newComment("p", 1)
	reply.Parent = root.ID
	reply = add(t, db, reply)
	gone := add(t, db, newComment("q", 0))
	if err := db.Delete(ctx, gone.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Seed(ctx, []comments.Comment{{ID: 100, Post: "s", Body: "seed", Status: comments.StatusApproved, Created: t0}}); err != nil {
		t.Fatal(err)
	}
	before, _ := db.ByPost(ctx, "p")
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	defer db.Close()
	mustCheck(t, db)
	after, err := db.ByPost(ctx, "p")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("comments after reopening (-before +after):\n%s", diff)
	}
	counts, _ := db.Counts(ctx)
	if diff := cmp.Diff(map[string]int{"p": 2, "s": 1}, counts); diff != "" {
		t.Errorf("counts after reopening (-want +got):\n%s", diff)
	}
	if seeded, err := db.Seed(ctx, []comments.Comment{{ID: 200, Post: "s", Body: "again", Created: t0}}); seeded || err != nil {
		t.Errorf("Seed after reopening = %v, %v; want false, nil", seeded, err)
	}
	// The sequence survived too: no ID is reused.
	if c := add(t, db, newComment("p", 5)); c.ID != 101 {
		t.Errorf("ID after reopening = %d, want 101", c.ID)
	}
}

func TestNewerSchemaIsRefusedAndLeftAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "milepost.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	add(t, db, newComment("p", 0))
	db.Close()
	newer := strconv.Itoa(SchemaVersion + 1)
	writeMeta(t, path, keySchemaVersion, newer)

	_, err = Open(context.Background(), path)
	if err == nil {
		t.Fatal("Open of a newer database succeeded")
	}
	for _, want := range []string{path, "schema version " + newer, "newer", "upgrade milepost"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// The refused file is untouched and unlocked.
	if got := readMeta(t, path, keySchemaVersion); got != newer {
		t.Errorf("schema_version after refusal = %q", got)
	}
}

func TestUnreadableSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "milepost.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	writeMeta(t, path, keySchemaVersion, "one")
	if _, err := Open(context.Background(), path); err == nil || !strings.Contains(err.Error(), `"one"`) {
		t.Errorf("Open = %v, want an unreadable-version error", err)
	}
}

func TestOpenWithCancelledContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	path := filepath.Join(t.TempDir(), "milepost.db")
	if _, err := Open(ctx, path); !errors.Is(err, context.Canceled) {
		t.Errorf("Open = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a cancelled Open created the file: %v", err)
	}
}

func TestOpenNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "milepost.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a bbolt file\n", 512)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), "database "+path) {
		t.Errorf("Open = %v, want ErrDamaged naming the file", err)
	}
}

// wantInUse checks the error of opening a locked file, and that it came
// within two seconds.
func wantInUse(t *testing.T, path string) {
	t.Helper()
	start := time.Now()
	db, err := Open(context.Background(), path)
	elapsed := time.Since(start)
	if err == nil {
		db.Close()
		t.Fatal("second Open of a locked database succeeded")
	}
	if !errors.Is(err, ErrInUse) {
		t.Errorf("error %v does not match ErrInUse", err)
	}
	want := fmt.Sprintf("database %s is in use by another process (is another milepost running?)", path)
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if elapsed >= 2*time.Second {
		t.Errorf("second Open took %v, want under 2s", elapsed)
	}
}

func TestSecondOpenOfLockedFileFailsFast(t *testing.T) {
	t.Parallel() // waits out the lock timeout
	db, path := openTest(t)
	wantInUse(t, path)
	// The holder is unaffected.
	add(t, db, newComment("p", 0))
}

// TestSecondOpenFromAnotherProcess holds the lock in a child process, as a
// second milepost would.
func TestSecondOpenFromAnotherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a process")
	}
	t.Parallel() // waits out the lock timeout
	path := filepath.Join(t.TempDir(), "milepost.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldLock$")
	cmd.Env = append(os.Environ(), "MILEPOST_TEST_HOLD_LOCK="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close() // tells the child to let go
		if err := cmd.Wait(); err != nil {
			t.Errorf("lock holder: %v", err)
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		t.Fatalf("lock holder said %q, %v", line, err)
	}
	wantInUse(t, path)
}

// TestHoldLock is the child of TestSecondOpenFromAnotherProcess: it opens
// the database, says so, and holds it until its standard input closes.
func TestHoldLock(t *testing.T) {
	path := os.Getenv("MILEPOST_TEST_HOLD_LOCK")
	if path == "" {
		t.Skip("only runs as a child process")
	}
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fmt.Println("locked")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}

// readMeta and writeMeta reach into a closed database file directly, as only
// a test should.
func readMeta(t *testing.T, path string, key []byte) string {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var v string
	if err := b.View(func(tx *bbolt.Tx) error {
		v = string(tx.Bucket(bucketMeta).Get(key))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

func writeMeta(t *testing.T, path string, key []byte, value string) {
	t.Helper()
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if err := b.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(key, []byte(value))
	}); err != nil {
		t.Fatal(err)
	}
}

func TestOpenRefusesAnEmptyFileAndLeavesItAlone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "milepost.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := Open(context.Background(), path)
	if err == nil {
		db.Close()
		t.Fatal("Open made a new database of an existing empty file")
	}
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) {
		t.Errorf("Open = %v; want ErrDamaged naming the file", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != 0 {
		t.Errorf("the empty file was changed: %v, %v", fi, err)
	}
}

func TestOpenRefusesATruncatedFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "milepost.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 300 {
		c := newComment("p", i)
		c.Body = strings.Repeat("A long run, and a longer comment about it. ", 40)
		add(t, db, c)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	// The file is allocated ahead of the pages in use; cutting the spare
	// end is harmless, cutting a page in use is not.
	var used int64
	b, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	b.View(func(tx *bbolt.Tx) error { used = tx.Size(); return nil })
	b.Close()
	for _, size := range []int64{used / 2, used - 4096, 4096 * 3} {
		cut := filepath.Join(t.TempDir(), "cut.db")
		data, _ := os.ReadFile(path)
		if err := os.WriteFile(cut, data[:size], 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := Open(context.Background(), cut)
		if err == nil {
			db.Close()
			t.Errorf("Open of the file cut to %d of %d bytes (%d in use) succeeded", size, fi.Size(), used)
			continue
		}
		if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), cut) {
			t.Errorf("Open of the file cut to %d bytes = %v; want ErrDamaged naming the file", size, err)
		}
	}
}
