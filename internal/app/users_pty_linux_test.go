//go:build linux

package app_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"milepost/internal/accounts"
	"milepost/internal/app"
)

// openPTY opens a pseudo-terminal: what is written to main is typed on
// term, and what term echoes can be read from main.
func openPTY(t *testing.T) (main, term *os.File) {
	t.Helper()
	main, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { main.Close() })
	fd := int(main.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("unlocking the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Skipf("naming the pseudo-terminal: %v", err)
	}
	term, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("opening the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { term.Close() })
	return main, term
}

// echoing reports whether the terminal shows what is typed.
func echoing(t *testing.T, term *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(term.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// A password typed on a terminal is asked for twice and never shown, and
// the terminal shows what is typed again afterwards.
func TestUserAddReadsThePasswordFromATerminalWithoutEcho(t *testing.T) {
	main, term := openPTY(t)
	if !echoing(t, term) {
		t.Fatal("a new pseudo-terminal does not echo, so this test proves nothing")
	}
	var shown lockedBuffer // what the terminal displays
	go io.Copy(&shown, main)

	db := filepath.Join(t.TempDir(), "milepost.db")
	var prompts lockedBuffer
	cfg := app.UsersConfig{DBPath: db, Stdin: term, Stdout: io.Discard, Stderr: &prompts, BcryptCost: testCost}
	done := make(chan error, 1)
	go func() { done <- app.UserAdd(context.Background(), cfg, "kay", accounts.RoleAdmin) }()

	const password = "typed on a terminal"
	for _, prompt := range []string{"Password for kay: ", "Again: "} {
		// Type only once the prompt is up and echo is off, as a person would.
		deadline := time.Now().Add(10 * time.Second)
		for !strings.HasSuffix(prompts.String(), prompt) || echoing(t, term) {
			if time.Now().After(deadline) {
				t.Fatalf("no prompt %q with echo off; prompts so far %q", prompt, prompts.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if _, err := main.WriteString(password + "\n"); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("UserAdd: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("UserAdd did not return")
	}
	if strings.Contains(shown.String(), password) {
		t.Errorf("the terminal showed the password: %q", shown.String())
	}
	if !echoing(t, term) {
		t.Error("echo is still off after the password was read")
	}
	if err := login(t, db, "kay", password); err != nil {
		t.Errorf("the password typed does not sign in: %v", err)
	}
}
