package accounts

import (
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// accounts holds the rules about users and sessions; reading a password
// from a terminal is the command line's business (internal/app), the
// database is internal/bolt's, and HTTP (the session cookie) is
// internal/web's. So this package imports none of them.
func TestAccountsDoesNoTerminalOrDatabaseIO(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := map[string]bool{
		"os": true, "os/exec": true, "os/signal": true, "syscall": true,
		"golang.org/x/term": true, "go.etcd.io/bbolt": true,
		"net/http": true,
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if banned[path] {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}

// Nor does anything it imports bring in HTTP: the package is a domain
// package, which web adapts to HTTP, whatever its dependencies do.
func TestAccountsDependsOnNoHTTP(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the package's dependencies: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || deps[len(deps)-1] != "milepost/internal/accounts" {
		t.Fatalf("go list -deps listed %q, not ending with this package", deps)
	}
	for _, dep := range deps {
		if dep == "net/http" || strings.HasPrefix(dep, "net/http/") {
			t.Errorf("accounts depends on %s", dep)
		}
	}
}
