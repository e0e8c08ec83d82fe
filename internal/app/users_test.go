package app_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"milepost/internal/accounts"
	"milepost/internal/app"
	"milepost/internal/bolt"
)

// testCost is bcrypt's least cost: enough for tests, and quick.
const testCost = 4

// usersConfig reads passwords from stdin, with the cheapest bcrypt cost.
func usersConfig(db, stdin string) (app.UsersConfig, *bytes.Buffer) {
	var out bytes.Buffer
	return app.UsersConfig{
		DBPath:        db,
		PasswordStdin: true,
		Stdin:         strings.NewReader(stdin),
		Stdout:        &out,
		Stderr:        &out,
		BcryptCost:    testCost,
	}, &out
}

func addUser(t *testing.T, db, name string, role accounts.Role, password string) {
	t.Helper()
	cfg, _ := usersConfig(db, password+"\n")
	if err := app.UserAdd(context.Background(), cfg, name, role); err != nil {
		t.Fatalf("UserAdd %s: %v", name, err)
	}
}

func listUsers(t *testing.T, db string) string {
	t.Helper()
	cfg, out := usersConfig(db, "")
	if err := app.UserList(context.Background(), cfg); err != nil {
		t.Fatalf("UserList: %v", err)
	}
	return out.String()
}

// login tries a password with the accounts service, on a database no
// other process has open.
func login(t *testing.T, path, name, password string) error {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := accounts.NewService(db, accounts.Options{Cost: testCost})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = svc.Login(ctx, name, password, "192.0.2.1")
	return err
}

func TestUserAddAndList(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "milepost.db")
	cfg, out := usersConfig(db, "long enough password\n")
	if err := app.UserAdd(context.Background(), cfg, "Kay", accounts.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); !strings.Contains(got, "added admin kay") {
		t.Errorf("UserAdd said %q", got)
	}
	addUser(t, db, "pat", accounts.RoleModerator, "another long one")

	list := listUsers(t, db)
	lines := strings.Split(strings.TrimSpace(list), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") {
		t.Fatalf("list:\n%s", list)
	}
	for i, want := range [][]string{{"kay", "admin"}, {"pat", "moderator"}} {
		f := strings.Fields(lines[i+1])
		if len(f) < 6 || f[0] != want[0] || f[1] != want[1] || f[2] != "-" || f[3] != "enabled" || !strings.HasSuffix(lines[i+1], "UTC") {
			t.Errorf("line %d = %q; want %s %s - enabled <created> UTC", i+2, lines[i+1], want[0], want[1])
		}
	}
	if err := login(t, db, "kay", "long enough password"); err != nil {
		t.Errorf("kay cannot log in with the password read from stdin: %v", err)
	}
}

func TestUserListEmptyAndMissingDB(t *testing.T) {
	dir := t.TempDir()
	// A database with no users yet.
	db := filepath.Join(dir, "milepost.db")
	d, err := bolt.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	if got := listUsers(t, db); !strings.Contains(got, "no users yet") {
		t.Errorf("empty list = %q", got)
	}
	// A mistyped path is an error, not a new database.
	cfg, _ := usersConfig(filepath.Join(dir, "typo.db"), "")
	err = app.UserList(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("UserList on a missing file: %v", err)
	}
	if _, serr := os.Stat(filepath.Join(dir, "typo.db")); !errors.Is(serr, fs.ErrNotExist) {
		t.Errorf("UserList made the missing database: %v", serr)
	}
}

func TestUserAddRefusals(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "milepost.db")
	addUser(t, db, "kay", accounts.RoleAdmin, "long enough password")

	// The same name in another case is the same user; it is refused
	// before any password is read.
	cfg, _ := usersConfig(db, "")
	err := app.UserAdd(ctx, cfg, "KAY", accounts.RoleModerator)
	if !errors.Is(err, accounts.ErrUserExists) {
		t.Errorf("duplicate add: %v; want ErrUserExists", err)
	}

	for _, tc := range []struct {
		name, password string
		role           accounts.Role
		want           error
	}{
		{"bad name!", "long enough password", accounts.RoleAdmin, accounts.ErrBadName},
		{"sam", "long enough password", "owner", accounts.ErrBadRole},
		{"sam", "short", accounts.RoleModerator, accounts.ErrPasswordTooShort},
	} {
		cfg, _ := usersConfig(db, tc.password+"\n")
		if err := app.UserAdd(ctx, cfg, tc.name, tc.role); !errors.Is(err, tc.want) {
			t.Errorf("UserAdd(%q, %q): %v; want %v", tc.name, tc.role, err, tc.want)
		}
	}
	cfg, _ = usersConfig(db, "")
	if err := app.UserAdd(ctx, cfg, "sam", accounts.RoleModerator); err == nil || !strings.Contains(err.Error(), "no input") {
		t.Errorf("UserAdd with nothing on stdin: %v", err)
	}
	// Without -password-stdin, a reader that is not a terminal is refused
	// with a hint, rather than read with echo.
	cfg, _ = usersConfig(db, "long enough password\n")
	cfg.PasswordStdin = false
	if err := app.UserAdd(ctx, cfg, "sam", accounts.RoleModerator); err == nil || !strings.Contains(err.Error(), "-password-stdin") {
		t.Errorf("UserAdd without a terminal: %v", err)
	}
	// Nor is a file that is not a terminal, such as a pipe.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	w.WriteString("long enough password\nlong enough password\n")
	w.Close()
	cfg.Stdin = r
	var prompts bytes.Buffer
	cfg.Stderr = &prompts
	if err := app.UserAdd(ctx, cfg, "sam", accounts.RoleModerator); err == nil || !strings.Contains(err.Error(), "-password-stdin") {
		t.Errorf("UserAdd from a pipe: %v", err)
	}
	if prompts.Len() != 0 {
		t.Errorf("prompted %q on a pipe", prompts.String())
	}
	if got := listUsers(t, db); strings.Contains(got, "sam") {
		t.Errorf("a refused user was added:\n%s", got)
	}
}

// A password piped in is the first line, without its line ending; spaces
// are part of it.
func TestPasswordFromStdinIsOneLine(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "milepost.db")
	for name, tc := range map[string]struct{ in, password string }{
		"crlf":   {"secret words\r\n", "secret words"},
		"spaces": {"  spaced out words  \n", "  spaced out words  "},
		"noeol":  {"no newline at the end", "no newline at the end"},
		"two":    {"the first line\nthe second line\n", "the first line"},
		"tab":    {"tab\there and there\r\r\n", "tab\there and there\r"},
	} {
		cfg, _ := usersConfig(db, tc.in)
		if err := app.UserAdd(ctx, cfg, name, accounts.RoleModerator); err != nil {
			t.Fatalf("UserAdd %s: %v", name, err)
		}
		if err := login(t, db, name, tc.password); err != nil {
			t.Errorf("%s: the password read from %q does not sign in: %v", name, tc.in, err)
		}
	}
	cfg, _ := usersConfig(db, strings.Repeat("x", 5000))
	if err := app.UserAdd(ctx, cfg, "endless", accounts.RoleModerator); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("UserAdd of an endless line: %v", err)
	}
}

func TestUserPasswd(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "milepost.db")
	addUser(t, db, "kay", accounts.RoleAdmin, "the old password")
	if err := login(t, db, "kay", "the old password"); err != nil {
		t.Fatal(err)
	}
	cfg, out := usersConfig(db, "the new password\n")
	if err := app.UserPasswd(ctx, cfg, "Kay"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "changed the password of kay") {
		t.Errorf("UserPasswd said %q", out)
	}
	if err := login(t, db, "kay", "the old password"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("old password: %v; want ErrBadCredentials", err)
	}
	if err := login(t, db, "kay", "the new password"); err != nil {
		t.Errorf("new password: %v", err)
	}

	cfg, _ = usersConfig(db, "the new password\n")
	if err := app.UserPasswd(ctx, cfg, "nobody"); !errors.Is(err, accounts.ErrNoUser) {
		t.Errorf("passwd of a missing user: %v; want ErrNoUser", err)
	}
}

func TestUserRemoveAndLastAdmin(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "milepost.db")
	addUser(t, db, "kay", accounts.RoleAdmin, "long enough password")
	addUser(t, db, "pat", accounts.RoleModerator, "long enough password")

	remove := func(name string) (string, error) {
		cfg, out := usersConfig(db, "")
		err := app.UserRemove(ctx, cfg, name)
		return out.String(), err
	}
	// kay is the only admin: a moderator does not count.
	_, err := remove("kay")
	if !errors.Is(err, accounts.ErrLastAdmin) || !strings.Contains(err.Error(), "milepost user add NAME -role admin") {
		t.Fatalf("removing the last admin: %v", err)
	}
	if out, err := remove("pat"); err != nil || !strings.Contains(out, "removed moderator pat") {
		t.Fatalf("removing pat: %q, %v", out, err)
	}
	if _, err := remove("pat"); !errors.Is(err, accounts.ErrNoUser) {
		t.Errorf("removing pat again: %v; want ErrNoUser", err)
	}
	// With a second admin, either may go, but not both.
	addUser(t, db, "lee", accounts.RoleAdmin, "long enough password")
	if _, err := remove("KAY"); err != nil {
		t.Fatalf("removing one of two admins: %v", err)
	}
	if _, err := remove("lee"); !errors.Is(err, accounts.ErrLastAdmin) {
		t.Errorf("removing the second admin: %v; want ErrLastAdmin", err)
	}
	list := listUsers(t, db)
	if strings.Contains(list, "kay") || strings.Contains(list, "pat") || !strings.Contains(list, "lee") {
		t.Errorf("after the removals:\n%s", list)
	}
	if err := login(t, db, "kay", "long enough password"); !errors.Is(err, accounts.ErrBadCredentials) {
		t.Errorf("a removed user logged in: %v", err)
	}
}
