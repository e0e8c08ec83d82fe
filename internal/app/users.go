package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"milepost/internal/accounts"
	"milepost/internal/bolt"
)

// UsersConfig is what the `milepost user` commands are told on their
// command line, and where they read and write.
type UsersConfig struct {
	// DBPath is the database file. Every command but add needs it to exist.
	DBPath string
	// PasswordStdin reads the password as one line from Stdin, for
	// scripts; otherwise Stdin must be a terminal (an *os.File), and the
	// password is typed twice without being shown.
	PasswordStdin bool
	Stdin         io.Reader
	// Stdout receives the result (a table, or what was done); Stderr the
	// password prompts.
	Stdout io.Writer
	Stderr io.Writer
	// BcryptCost is the cost of new password hashes; 0 means the accounts
	// package's default. Tests use 4, the least bcrypt allows.
	BcryptCost int
}

// UserAdd creates a user with role. The password is asked for only once
// the name is known to be free.
func UserAdd(ctx context.Context, cfg UsersConfig, name string, role accounts.Role) (err error) {
	norm, err := accounts.NormalizeName(name)
	if err != nil {
		return fmt.Errorf("adding user: %w", err)
	}
	if !role.Valid() {
		return fmt.Errorf("adding user %s: %w: %q", norm, accounts.ErrBadRole, role)
	}
	db, svc, err := openUsers(ctx, cfg, false)
	if err != nil {
		return fmt.Errorf("adding user %s: %w", norm, err)
	}
	defer closeDB(db, &err)
	switch _, err := db.GetUser(ctx, norm); {
	case err == nil:
		return fmt.Errorf("adding user %s: %w", norm, accounts.ErrUserExists)
	case !errors.Is(err, accounts.ErrNoUser):
		return fmt.Errorf("adding user %s: %w", norm, err)
	}
	password, err := readPassword(ctx, cfg, fmt.Sprintf("Password for %s: ", norm))
	if err != nil {
		return fmt.Errorf("adding user %s: %w", norm, err)
	}
	u, err := svc.Add(ctx, norm, role, password)
	if err != nil {
		return err // already says "adding user"
	}
	fmt.Fprintf(cfg.Stdout, "added %s %s\n", u.Role, u.Name)
	return nil
}

// UserPasswd sets a new password for a user and ends their sessions.
func UserPasswd(ctx context.Context, cfg UsersConfig, name string) (err error) {
	norm, err := accounts.NormalizeName(name)
	if err != nil {
		return fmt.Errorf("setting password: %w", err)
	}
	db, svc, err := openUsers(ctx, cfg, true)
	if err != nil {
		return fmt.Errorf("setting password of %s: %w", norm, err)
	}
	defer closeDB(db, &err)
	if _, err := findUser(ctx, db, norm); err != nil {
		return fmt.Errorf("setting password of %s: %w", norm, err)
	}
	password, err := readPassword(ctx, cfg, fmt.Sprintf("New password for %s: ", norm))
	if err != nil {
		return fmt.Errorf("setting password of %s: %w", norm, err)
	}
	if err := svc.SetPassword(ctx, norm, password); err != nil {
		return err // already says "setting password"
	}
	fmt.Fprintf(cfg.Stdout, "changed the password of %s; their sessions have ended\n", norm)
	return nil
}

// UserRemove deletes a user and their sessions. The accounts service
// refuses to remove the last admin (accounts.ErrLastAdmin).
func UserRemove(ctx context.Context, cfg UsersConfig, name string) (err error) {
	norm, err := accounts.NormalizeName(name)
	if err != nil {
		return fmt.Errorf("removing user: %w", err)
	}
	db, svc, err := openUsers(ctx, cfg, true)
	if err != nil {
		return fmt.Errorf("removing user %s: %w", norm, err)
	}
	defer closeDB(db, &err)
	u, err := findUser(ctx, db, norm)
	if err != nil {
		return fmt.Errorf("removing user %s: %w", norm, err)
	}
	err = svc.Remove(ctx, norm)
	if errors.Is(err, accounts.ErrLastAdmin) {
		return fmt.Errorf("%w (milepost user add NAME -role admin adds one)", err)
	}
	if err != nil {
		return err // already says "removing user"
	}
	fmt.Fprintf(cfg.Stdout, "removed %s %s; their sessions have ended\n", u.Role, norm)
	return nil
}

// UserList writes a table of the users, by name: name, role, and when the
// account was created (UTC).
func UserList(ctx context.Context, cfg UsersConfig) (err error) {
	db, svc, err := openUsers(ctx, cfg, true)
	if err != nil {
		return fmt.Errorf("listing users: %w", err)
	}
	defer closeDB(db, &err)
	us, err := svc.List(ctx)
	if err != nil {
		return err // already says "listing users"
	}
	if len(us) == 0 {
		fmt.Fprintln(cfg.Stdout, "no users yet; add one with: milepost user add NAME -role admin")
		return nil
	}
	tw := tabwriter.NewWriter(cfg.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tAUTHOR\tSTATE\tCREATED")
	for _, u := range us {
		author, state := cmp.Or(u.Author, "-"), "enabled"
		if u.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, u.Role, author, state, u.Created.UTC().Format(time.DateTime+" MST"))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("listing users: %w", err)
	}
	return nil
}

// openUsers opens the database and the accounts service over it.
func openUsers(ctx context.Context, cfg UsersConfig, mustExist bool) (*bolt.DB, *accounts.Service, error) {
	db, err := openDB(ctx, cfg.DBPath, mustExist, stopServerHint)
	if err != nil {
		return nil, nil, err
	}
	svc, err := accounts.NewService(db, accounts.Options{Cost: cfg.BcryptCost})
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, svc, nil
}

// findUser returns the user named norm, or an error that names the
// command listing the users.
func findUser(ctx context.Context, db *bolt.DB, norm string) (accounts.User, error) {
	rec, err := db.GetUser(ctx, norm)
	if errors.Is(err, accounts.ErrNoUser) {
		return accounts.User{}, fmt.Errorf("%w (milepost user list shows who there is)", accounts.ErrNoUser)
	}
	if err != nil {
		return accounts.User{}, err
	}
	return rec.User, nil
}

// readPassword reads a new password: one line from cfg.Stdin with
// PasswordStdin, or typed twice on the terminal without echo.
func readPassword(ctx context.Context, cfg UsersConfig, prompt string) (string, error) {
	var (
		password string
		err      error
	)
	if cfg.PasswordStdin {
		if cfg.Stdin == nil {
			return "", errors.New("reading password: no standard input")
		}
		password, err = readPasswordLine(cfg.Stdin)
	} else {
		tty, ok := cfg.Stdin.(*os.File)
		if !ok || !term.IsTerminal(int(tty.Fd())) {
			return "", errors.New("reading password: standard input is not a terminal; pipe the password in with -password-stdin")
		}
		password, err = readTerminalPassword(tty, cfg.Stderr, prompt)
	}
	if err != nil {
		return "", err
	}
	// An interrupt while typing ends the read only once Enter is pressed.
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("reading password: %w", err)
	}
	return password, nil
}

// errPasswordMismatch is readTerminalPassword's error when the
// confirmation differs.
var errPasswordMismatch = errors.New("the two passwords differ")

// maxPasswordLine bounds what readPasswordLine reads; the rules accept far
// less.
const maxPasswordLine = 4096

// readTerminalPassword prompts on out and reads a password typed on tty
// without showing it, twice. If the process is interrupted meanwhile, the
// terminal is put back as it was before the signal takes its usual course,
// so the shell is not left without echo.
func readTerminalPassword(tty *os.File, out io.Writer, prompt string) (string, error) {
	fd := int(tty.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("reading password: %w", err)
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	defer func() {
		signal.Stop(sigs)
		close(done)
	}()
	go func() {
		select {
		case sig := <-sigs:
			_ = term.Restore(fd, saved)
			// With no handler left, the signal does what it would have.
			signal.Stop(sigs)
			if p, err := os.FindProcess(os.Getpid()); err == nil {
				_ = p.Signal(sig)
			}
		case <-done:
		}
	}()

	ask := func(prompt string) (string, error) {
		fmt.Fprint(out, prompt)
		b, err := term.ReadPassword(fd)
		fmt.Fprintln(out) // the Enter typed was not echoed
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
		if len(b) > maxPasswordLine {
			return "", fmt.Errorf("reading password: longer than %d bytes", maxPasswordLine)
		}
		return string(b), nil
	}
	p, err := ask(prompt)
	if err != nil {
		return "", err
	}
	again, err := ask("Again: ")
	if err != nil {
		return "", err
	}
	if again != p {
		return "", errPasswordMismatch
	}
	return p, nil
}

// readPasswordLine reads one line from r and returns it without its line
// ending: for a password piped in (-password-stdin). Only the final newline
// (and a carriage return before it) is removed; other spaces are part of
// the password. It reads one byte at a time so that nothing after the line
// is consumed.
func readPasswordLine(r io.Reader) (string, error) {
	var line []byte
	b := make([]byte, 1)
	for {
		n, err := r.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			if len(line) == maxPasswordLine {
				return "", fmt.Errorf("reading password: line longer than %d bytes", maxPasswordLine)
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
