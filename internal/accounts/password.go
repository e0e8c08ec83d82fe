package accounts

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
)

// ErrNotTerminal is matched by ReadPassword's error when its input is not a
// terminal; read the password with ReadPasswordFrom instead.
var ErrNotTerminal = errors.New("not a terminal")

// ErrPasswordMismatch is ReadPassword's error when the confirmation differs.
var ErrPasswordMismatch = errors.New("the two passwords differ")

// maxLine bounds what ReadPasswordFrom reads; the rules accept far less.
const maxLine = 4096

// ReadPassword prompts on out and reads a password from the terminal in
// without showing it, and with confirm asks for it twice. It turns echo off
// with the stty command, so it works on Unix-like systems only; elsewhere,
// or when in is not a terminal (ErrNotTerminal), it fails rather than show
// what is typed. If the process is interrupted meanwhile, echo is turned
// back on before it dies.
func ReadPassword(in *os.File, out io.Writer, prompt string, confirm bool) (string, error) {
	fi, err := in.Stat()
	if err != nil {
		return "", fmt.Errorf("reading password: %w", err)
	}
	if fi.Mode()&os.ModeCharDevice == 0 {
		return "", fmt.Errorf("reading password: %s is %w", in.Name(), ErrNotTerminal)
	}
	restore, err := echoOff(in)
	if err != nil {
		return "", fmt.Errorf("reading password: cannot hide typing on %s: %w", in.Name(), err)
	}
	defer restore()

	ask := func(prompt string) (string, error) {
		fmt.Fprint(out, prompt)
		p, err := ReadPasswordFrom(in)
		fmt.Fprintln(out) // the Enter typed was not echoed
		return p, err
	}
	p, err := ask(prompt)
	if err != nil || !confirm {
		return p, err
	}
	again, err := ask("Again: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", ErrPasswordMismatch
	}
	return p, nil
}

// ReadPasswordFrom reads one line from r and returns it without its line
// ending: for a password piped to the CLI (-password-stdin). Only the final
// newline (and a carriage return before it) is removed; other spaces are
// part of the password. It reads one byte at a time so that nothing after
// the line is consumed.
func ReadPasswordFrom(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			if len(line) == maxLine {
				return "", fmt.Errorf("reading password: line longer than %d bytes", maxLine)
			}
			line = append(line, b[0])
			continue
		}
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				return "", errors.New("reading password: no input")
			}
			break
		}
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
	}
	return strings.TrimSuffix(string(line), "\r"), nil
}

// echoOff turns off echo on tty and returns the function that restores the
// terminal as it was. Until that is called, an interrupt or termination
// restores it first and then takes its usual course.
func echoOff(tty *os.File) (func(), error) {
	saved, err := stty(tty, "-g")
	if err != nil {
		return nil, err
	}
	saved = strings.TrimSpace(saved)
	if _, err := stty(tty, "-echo"); err != nil {
		return nil, err
	}
	var once sync.Once
	reset := func() { once.Do(func() { stty(tty, saved) }) }

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			reset()
			// With no handler left, the signal does what it would have.
			signal.Stop(sigs)
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				p.Signal(sig)
			}
		case <-done:
		}
	}()
	return func() {
		signal.Stop(sigs)
		close(done)
		reset()
	}, nil
}

// stty runs the stty command on tty.
func stty(tty *os.File, args ...string) (string, error) {
	cmd := exec.Command("stty", args...)
	cmd.Stdin = tty
	out, err := cmd.Output()
	if err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) && len(exit.Stderr) > 0 {
			return "", fmt.Errorf("stty %s: %s", strings.Join(args, " "), strings.TrimSpace(string(exit.Stderr)))
		}
		return "", fmt.Errorf("stty %s: %w", strings.Join(args, " "), err)
	}
	return string(out), nil
}
