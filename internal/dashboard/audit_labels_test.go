package dashboard

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/i18n"
)

// dynamicActions are the actions the code builds at run time rather than writes as one
// literal: internal/api/crud.go records noun + "." + "list" or "read" for the resources
// whose values name patients (patients and appointments).
var dynamicActions = []string{"patient.list", "patient.read", "appointment.list", "appointment.read"}

// recordedActions scans the Go sources under root (internal/) for every action string the
// code records in the audit log: the literals passed as the action of audit.Record, Read,
// Change and Entries, web.AuditRead and AuditTx, the dashboard's reply audits
// (audit{"action", ids}), the literals given to a parameter named action of a function of
// the same package (directory's save, booking's change), or assigned to a variable named
// action, and the constants named Action…. Only literals holding a dot are actions ("list"
// is the suffix crud.go adds to a noun).
func recordedActions(t *testing.T, root string) map[string]string {
	t.Helper()
	found := map[string]string{}
	fset := token.NewFileSet()
	add := func(e ast.Expr) {
		bl, ok := e.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			return
		}
		s, err := strconv.Unquote(bl.Value)
		if err != nil || !strings.Contains(s, ".") {
			return
		}
		if _, ok := found[s]; !ok {
			found[s] = fset.Position(bl.Pos()).String()
		}
	}
	pkgs := map[string][]*ast.File{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			return err
		}
		pkgs[filepath.Dir(p)] = append(pkgs[filepath.Dir(p)], f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, files := range pkgs {
		// The functions of the package with a parameter named action, and its position.
		actionParam := map[string]int{}
		for _, f := range files {
			for _, decl := range f.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok {
					continue
				}
				i := 0
				for _, field := range fd.Type.Params.List {
					for _, n := range field.Names {
						if n.Name == "action" {
							actionParam[fd.Name.Name] = i
						}
						i++
					}
					if len(field.Names) == 0 {
						i++
					}
				}
			}
		}
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.CallExpr:
					arg := func(i int) {
						if i < len(x.Args) {
							add(x.Args[i])
						}
					}
					var name string
					switch fn := x.Fun.(type) {
					case *ast.Ident:
						name = fn.Name
					case *ast.IndexExpr: // save[T](…)
						if id, ok := fn.X.(*ast.Ident); ok {
							name = id.Name
						}
					case *ast.SelectorExpr:
						name = fn.Sel.Name
						if pkg, ok := fn.X.(*ast.Ident); ok {
							switch pkg.Name + "." + fn.Sel.Name {
							case "audit.Record", "audit.Read", "audit.Change":
								arg(3)
								return true
							case "audit.Entries", "web.AuditRead", "web.AuditTx":
								arg(2)
								return true
							}
						}
					}
					if i, ok := actionParam[name]; ok {
						arg(i)
					}
				case *ast.AssignStmt:
					for i, l := range x.Lhs {
						if id, ok := l.(*ast.Ident); ok && id.Name == "action" && i < len(x.Rhs) {
							add(x.Rhs[i])
						}
					}
				case *ast.ValueSpec:
					for i, n := range x.Names {
						if strings.HasPrefix(n.Name, "Action") && i < len(x.Values) {
							add(x.Values[i])
						}
					}
				case *ast.CompositeLit:
					// audit{"action", ids} and []audit{{"action", ids}, …}.
					if id, ok := x.Type.(*ast.Ident); ok && id.Name == "audit" && len(x.Elts) > 0 {
						add(x.Elts[0])
					}
					if at, ok := x.Type.(*ast.ArrayType); ok {
						if id, ok := at.Elt.(*ast.Ident); ok && id.Name == "audit" {
							for _, e := range x.Elts {
								if cl, ok := e.(*ast.CompositeLit); ok && len(cl.Elts) > 0 {
									add(cl.Elts[0])
								}
							}
						}
					}
				}
				return true
			})
		}
	}
	for _, a := range dynamicActions {
		if _, ok := found[a]; !ok {
			found[a] = "internal/api/crud.go (noun + action)"
		}
	}
	return found
}

// TestActionLabels: every action the code records has a label in words and a group of the
// filter (ADM-5), and the table names no action the code no longer records. It fails when
// a use case starts recording an action nobody described.
func TestActionLabels(t *testing.T) {
	found := recordedActions(t, "..")
	if len(found) < 40 {
		t.Fatalf("found only %d actions: is the scan looking in the right place?", len(found))
	}
	for _, want := range []string{"appointment.cancel", "patient.read", "clinic.booking_rules", "audit.list", "notification.list", "user.create"} {
		if _, ok := found[want]; !ok {
			t.Errorf("the scan does not find %q: it misses a way actions are written", want)
		}
	}
	for action, where := range found {
		if _, ok := actions[action]; !ok {
			t.Errorf("%s: action %q has no label in audit_labels.go", where, action)
		}
		if !slices.ContainsFunc(actionGroups, func(g struct{ Prefix, Label string }) bool { return g.Prefix == groupOf(action) }) {
			t.Errorf("%s: action %q is in no group of the filter (actionGroups)", where, action)
		}
	}
	for action := range actions {
		if _, ok := found[action]; !ok {
			t.Errorf("audit_labels.go labels %q, which the code no longer records", action)
		}
	}
}

// TestAuditLabelsTranslated: every text of the audit page made in Go (action and group
// labels, actors, field names, values) has its French (ADM-6).
func TestAuditLabelsTranslated(t *testing.T) {
	cat, err := i18n.New()
	if err != nil {
		t.Fatal(err)
	}
	var texts []auditText
	for _, a := range actions {
		texts = append(texts, auditText{Key: a.Label})
	}
	for _, g := range actionGroups {
		texts = append(texts, auditText{Key: g.Label})
	}
	for _, l := range fieldLabels {
		texts = append(texts, auditText{Key: l})
	}
	for _, actor := range []string{"system:sync", "system:import", "system:sms", "system:email", "system:cli", "system:job", "patient:9"} {
		texts = append(texts, whoOf(auditEntryRef{Actor: actor, ActorKind: strings.Split(actor, ":")[0]}, nil, nil, nil))
	}
	texts = append(texts, whoOf(auditEntryRef{UserID: 3}, nil, nil, nil), whoOf(auditEntryRef{TokenID: 3}, nil, nil, nil),
		whoOf(auditEntryRef{Actor: "patient:9", ActorKind: "patient"}, nil, nil, map[clinic.PatientID]string{9: "Léa Dupont"}))
	for _, field := range []string{"active", "sms", "name", "channels", "status", "change", "software_profile", "grid_minutes"} {
		for _, raw := range []string{"true", "false", "null", `""`, "[]", `["sms","email","push"]`, `"active"`, `"disabled"`, `"closed"`,
			`"hours"`, `"replace"`, `"best_practice"`, "15", "0"} {
			texts = append(texts, valueOf(field, []byte(raw), time.UTC, i18n.English)...)
		}
	}
	for _, x := range texts {
		if x.Key == "" {
			continue
		}
		miss := false
		cat.OnMissing(func(string) { miss = true }).T(i18n.French, x.Key, x.Arg)
		if miss || !cat.Has(i18n.French, x.Key) {
			t.Errorf("no French text for %q", x.Key)
		}
	}
}
