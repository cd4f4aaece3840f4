package architecture

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// pure lists the engines whose doc promises purity, with the packages each may import: no
// database, no network, no package-level state, no clock (now is passed in), no goroutines.
// A table test of such a package covers every rule because nothing outside its arguments
// can change its answer.
func pure() map[string][]string {
	return map[string][]string{
		"consent": {module + "clinic", "strconv", "strings", "time"},
		"compose": {module + "i18n", module + "sms", "bytes", "errors", "fmt", "html", "net/url", "slices", "strconv", "strings", "time",
			"unicode", "unicode/utf8"},
		"sendtime": {module + "clinic", module + "walltime", "errors", "fmt", "slices", "strconv", "strings", "time"},
	}
}

// TestEnginesArePure reads the source of each pure engine: its non-test files import only
// what pure() allows, declare no package-level variable, and never read the clock, sleep,
// load a zone, use the local zone or start goroutines.
func TestEnginesArePure(t *testing.T) {
	forbidden := map[string]bool{"Now": true, "Since": true, "Until": true, "Sleep": true, "After": true,
		"AfterFunc": true, "Tick": true, "NewTicker": true, "NewTimer": true, "LoadLocation": true, "Local": true}
	for pkg, imports := range pure() {
		dir := filepath.Join("..", filepath.FromSlash(pkg))
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		allowed := map[string]bool{}
		for _, imp := range imports {
			allowed[imp] = true
		}
		fset := token.NewFileSet()
		files := 0
		for _, e := range entries {
			name := e.Name()
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			files++
			f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range f.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				if !allowed[path] {
					t.Errorf("%s/%s imports %s", pkg, name, path)
				}
			}
			for _, d := range f.Decls {
				if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.VAR {
					t.Errorf("%s: package-level variable: a pure engine keeps no state", fset.Position(g.Pos()))
				}
			}
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.SelectorExpr:
					if id, ok := n.X.(*ast.Ident); ok && id.Name == "time" && forbidden[n.Sel.Name] {
						t.Errorf("%s: time.%s", fset.Position(n.Pos()), n.Sel.Name)
					}
				case *ast.GoStmt:
					t.Errorf("%s: go statement", fset.Position(n.Pos()))
				}
				return true
			})
		}
		if files == 0 {
			t.Errorf("%s: no source read", pkg)
		}
	}
}
