package cli

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// trailq help environment lists every variable the commands read (Getenv with a name, in this package), and
// lists no variable on its own line that nothing reads (NO_COLOR was listed while trailq writes no colour).
func TestHelpEnvironmentListsWhatIsRead(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 1 {
				return true
			}
			if sel, ok := call.Fun.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Getenv" {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					read = append(read, v)
				}
			}
			return true
		})
	}
	if len(read) < 5 {
		t.Fatalf("found only %v read: the search is broken", read)
	}
	r := run(t, t.TempDir(), "", "help", "environment")
	if r.code != 0 {
		t.Fatalf("help environment: exit %d\n%s", r.code, r.errOut)
	}
	for _, v := range read {
		if !regexp.MustCompile(`(?m)^  (.*[ ,])?` + v + `\b`).MatchString(r.out) {
			t.Errorf("trailq help environment does not list %s, which trailq reads:\n%s", v, r.out)
		}
	}
	listed := regexp.MustCompile(`(?m)^  ([A-Z][A-Z0-9_]+)(?:, ([A-Z][A-Z0-9_]+))?`).FindAllStringSubmatch(r.out, -1)
	if len(listed) < 5 {
		t.Fatalf("found only %v listed: the search is broken", listed)
	}
	for _, m := range listed {
		for _, v := range m[1:] {
			if v != "" && !slices.Contains(read, v) {
				t.Errorf("trailq help environment lists %s, which nothing in trailq reads", v)
			}
		}
	}
}
