package comments

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestDocCommentsSeeWhatExists: a doc comment that says "see X" names a
// function, type, method, variable or constant of this package (or a file
// in it); a name left behind by a rename sends readers looking for nothing.
func TestDocCommentsSeeWhatExists(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	declared := map[string]bool{}
	var parsed []*ast.File
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		declared[name] = true
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		parsed = append(parsed, f)
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				declared[d.Name.Name] = true
				if d.Recv != nil && len(d.Recv.List) == 1 {
					recv := d.Recv.List[0].Type
					if star, ok := recv.(*ast.StarExpr); ok {
						recv = star.X
					}
					if id, ok := recv.(*ast.Ident); ok {
						declared[id.Name+"."+d.Name.Name] = true
					}
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						declared[s.Name.Name] = true
					case *ast.ValueSpec:
						for _, n := range s.Names {
							declared[n.Name] = true
						}
					}
				}
			}
		}
	}
	see := regexp.MustCompile(`\bsee ([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)?)`)
	for _, f := range parsed {
		for _, group := range f.Comments {
			for _, m := range see.FindAllStringSubmatch(group.Text(), -1) {
				name := m[1]
				// A word that is not a Go name ("see above", "see it") is prose.
				if !declared[name] && (strings.ContainsAny(name[:1], "ABCDEFGHIJKLMNOPQRSTUVWXYZ") || strings.Contains(name, ".")) &&
					!declared[strings.SplitN(name, ".", 2)[0]+".go"] {
					t.Errorf("%s: a comment says \"see %s\", which this package does not declare", fset.Position(group.Pos()), name)
				}
			}
		}
	}
}
