package i18n

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The places keys are written, found by the patterns below:
//   - templates (internal/**/templates/*.html): {{t "key" …}}, (t "key"), {{tn n "one" "other"}};
//   - Go: catalog calls with a literal (.T(loc, "key"), .N(loc, n, "one", "other")), page
//     titles (Title: "key"), sign-in and conflict messages (const msgX = "key");
//   - Go packages whose errors reach a page: field error reasons (clinic.Invalid(f, "key"),
//     v.Add(f, "key"), Reason: "key", const SomethingReason = "key").
//
// Texts made at run time (labels returned by a switch, messages built with fmt.Sprintf) are
// checked where they are made: the dashboard's tests enumerate its labels and flash texts,
// and render every page in French with a catalog that fails on a miss.
var (
	goString  = `"((?:[^"\\\n]|\\.)*)"`
	tmplT     = regexp.MustCompile(`(?:\{\{-?|\()\s*t\s+` + goString)
	tmplTN    = regexp.MustCompile(`(?:\{\{-?|\()\s*tn\s+(?:\([^)]*\)|[^\s"]+)\s+` + goString + `\s+` + goString)
	goT       = regexp.MustCompile(`\.T\(\s*[^,()]+,\s*` + goString)
	goN       = regexp.MustCompile(`\.N\(\s*[^,()]+,\s*[^,()]+,\s*` + goString + `\s*,\s*` + goString)
	goTitle   = regexp.MustCompile(`\bTitle:\s*` + goString)
	goMsg     = regexp.MustCompile(`\bmsg[A-Z]\w*\s*=\s*` + goString)
	goInvalid = regexp.MustCompile(`\bInvalid\(\s*[^,()]+,\s*` + goString + `\s*\)`)
	// The field of a v.Add is a lower-case literal or an expression; a header's
	// (w.Header().Add("Vary", …)) is capitalised.
	goAdd      = regexp.MustCompile(`\.Add\(\s*(?:"[a-z][^"]*"|[A-Za-z_][\w.]*(?:\s*\+\s*"[^"]*")?)\s*,\s*` + goString + `\s*\)`)
	goReason   = regexp.MustCompile(`\bReason:\s*` + goString)
	uiPackages = []string{"dashboard", "portal", "page"} // server-rendered surfaces
	// Packages whose validation and conflict reasons are shown on pages. The JSON API's
	// own decoding errors (internal/api, internal/web/problem.go) are for programs and stay
	// English.
	reasonPackages = []string{"dashboard", "portal", "page", "clinic", "booking", "store", "contact", "session", "account", "waitlist",
		"walltime", "input", "audit", "directory", "patient", "staff", "consent", "decide", "notify", "sendtime", "compose",
		"dispatch", "inbound", "recall", "messaging"}
	// Reasons kept in constants (const ClockReason = "key") so that several places share them.
	goReasonConst = regexp.MustCompile(`\b[A-Z]\w*Reason\s*=\s*` + goString)
)

// usedKeys lists every key written in the sources under root (internal/), with where.
func usedKeys(t *testing.T, root string) map[string]string {
	t.Helper()
	keys := map[string]string{}
	add := func(where, quoted string) {
		k, err := strconv.Unquote(`"` + quoted + `"`)
		if err != nil {
			t.Errorf("%s: cannot read key %q: %v", where, quoted, err)
			return
		}
		if _, ok := keys[k]; !ok {
			keys[k] = where
		}
	}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			if e.Name() == "testdata" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		pkg, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
		var res []*regexp.Regexp
		switch {
		case strings.HasSuffix(p, ".html") && strings.Contains(filepath.ToSlash(rel), "/templates/"):
			res = []*regexp.Regexp{tmplT, tmplTN}
		case strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go"):
			res = []*regexp.Regexp{goT, goN}
			if slices.Contains(uiPackages, pkg) {
				res = append(res, goTitle, goMsg)
			}
			if slices.Contains(reasonPackages, pkg) {
				res = append(res, goInvalid, goAdd, goReason, goReasonConst)
			}
		default:
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, re := range res {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				for _, q := range m[1:] {
					add(filepath.ToSlash(rel), q)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestNoMissingKey fails on a key used anywhere that a language lacks. English is the key
// itself; French must have each in fr.po.
func TestNoMissingKey(t *testing.T) {
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	keys := usedKeys(t, "..")
	if len(keys) < 100 {
		t.Fatalf("found only %d keys: is the scan looking in the right place?", len(keys))
	}
	var missing []string
	for k, where := range keys {
		for _, loc := range Locales() {
			// A key is translated when the catalog has it, or when it is a text that a key
			// with placeholders produces ("must be at most 200 characters").
			miss := false
			c.OnMissing(func(string) { miss = true }).T(loc, k)
			if !c.Has(loc, k) && miss {
				missing = append(missing, where+": "+loc.String()+": "+strconv.Quote(k))
			}
		}
	}
	t.Logf("%d keys used, %d in fr.po", len(keys), len(c.Keys()))
	slices.Sort(missing)
	for _, m := range missing {
		t.Error("missing key: " + m)
	}
}
