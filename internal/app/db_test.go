package app_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"milepost/internal/bolt"
	"milepost/internal/comments"
)

// milepostBinary builds cmd/milepost for a test that runs it as an
// operator would.
func milepostBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the milepost binary")
	}
	bin := filepath.Join(t.TempDir(), "milepost")
	if out, err := exec.Command("go", "build", "-o", bin, "milepost/cmd/milepost").CombinedOutput(); err != nil {
		t.Fatalf("building milepost: %v\n%s", err, out)
	}
	return bin
}

// runMilepost runs the binary with args and returns its exit status and
// standard error. A command that does not end within half a minute (a
// server that started) fails the test.
func runMilepost(t *testing.T, bin string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("milepost %s did not stop: it took the database for a good one\n%s", strings.Join(args, " "), stderr.String())
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("running milepost: %v", err)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// A damaged database stops every command with exit status 1 and one line
// that names the file and says what to do: never a stack trace, never a new
// empty site in its place.
func TestADamagedDatabaseIsRefusedWithOneLine(t *testing.T) {
	cases := map[string]func(t *testing.T, path string){
		"empty file": func(t *testing.T, path string) {
			if err := os.WriteFile(path, nil, 0o600); err != nil {
				t.Fatal(err)
			}
		},
		"truncated file": func(t *testing.T, path string) {
			fillDatabase(t, path)
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(path, fi.Size()/3); err != nil {
				t.Fatal(err)
			}
		},
	}
	bin := milepostBinary(t)
	content, err := filepath.Abs("../../content")
	if err != nil {
		t.Fatal(err)
	}
	for name, damage := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "milepost.db")
			damage(t, path)
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, args := range [][]string{
				{"serve", "-db", path, "-content", content, "-addr", "127.0.0.1:0"},
				{"export", "-db", path},
				{"import", "-db", path, "-content", content, filepath.Join(content, "comments.json")},
				{"user", "list", "-db", path},
			} {
				status, stderr := runMilepost(t, bin, args...)
				lines := strings.Split(strings.TrimSpace(stderr), "\n")
				if status != 1 || len(lines) != 1 {
					t.Errorf("milepost %s: exit status %d, %d lines on stderr; want 1 and 1:\n%s", args[0], status, len(lines), stderr)
				}
				for _, want := range []string{path, "damaged", "restore it from a backup", "move it away"} {
					if !strings.Contains(stderr, want) {
						t.Errorf("milepost %s: stderr lacks %q:\n%s", args[0], want, stderr)
					}
				}
				for _, crash := range []string{"goroutine", "panic", "fault"} {
					if strings.Contains(stderr, crash) {
						t.Errorf("milepost %s: stderr has %q:\n%s", args[0], crash, stderr)
					}
				}
				after, err := os.ReadFile(path)
				if err != nil || string(after) != string(before) {
					t.Fatalf("milepost %s changed the damaged file (%d bytes, now %d; %v)", args[0], len(before), len(after), err)
				}
			}
		})
	}
}

// fillDatabase makes a database of a few hundred KiB at path, so that its
// pages reach well past its header.
func fillDatabase(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	cs := make([]comments.Comment, 200)
	for i := range cs {
		cs[i] = comments.Comment{ID: uint64(i + 1), Post: "massage-during-training", Name: "Kay",
			Body: strings.Repeat(fmt.Sprintf("Comment %d on a long run. ", i), 60), Status: comments.StatusApproved,
			Created: time.Date(2011, 10, 4, 9, 0, i, 0, time.UTC)}
	}
	if _, _, err := db.Import(ctx, cs); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}
