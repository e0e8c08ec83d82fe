package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"testing"
)

// Every refusal is answered from the table in errors.go: no handler writes
// an error page's wording of its own. errorPage, which renders one, is
// called only from errors.go (showProblem), and a handler that refuses a
// request calls fail, formProblem or showProblem with the table's answer.
func TestOnlyTheErrorTableWritesErrorPages(t *testing.T) {
	inspectSources(t, func(fset *token.FileSet, n ast.Node) {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "errorPage" {
			t.Errorf("%s: errorPage called outside errors.go: put the answer in the table and use fail or showProblem", fset.Position(call.Pos()))
		}
	})
}

// inspectSources calls visit with every node of the package's non-test
// source files but errors.go, where the answers live.
func inspectSources(t *testing.T, visit func(*token.FileSet, ast.Node)) {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") || name == "errors.go" {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			visit(fset, n)
			return true
		})
	}
}
