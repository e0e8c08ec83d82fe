package accounts

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// accounts holds the rules about users and sessions; reading a password
// from a terminal is the command line's business (internal/app), and the
// database is internal/bolt's. So this package imports neither.
func TestAccountsDoesNoTerminalOrDatabaseIO(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := map[string]bool{
		"os": true, "os/exec": true, "os/signal": true, "syscall": true,
		"golang.org/x/term": true, "go.etcd.io/bbolt": true,
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
