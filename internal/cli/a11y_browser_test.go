package cli_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/nodetest"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// axeVersion is the accessibility engine injected into each page (DEPENDENCIES.md).
const axeVersion = "axe-core@4.14.1"

// a11yPage is one line of testdata/a11y_pages.txt.
type a11yPage struct {
	Route string // "GET /patients/{id}"
	Path  string // "/patients/{patient}", or "" for a route that is not a page
}

// readA11yPages reads testdata/a11y_pages.txt.
func readA11yPages(t *testing.T) []a11yPage {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "a11y_pages.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []a11yPage
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) < 3 {
			t.Fatalf("a11y_pages.txt: %q: want METHOD PATTERN PATH", line)
		}
		p := a11yPage{Route: fs[0] + " " + fs[1]}
		if fs[2] != "-" {
			p.Path = fs[2]
		}
		out = append(out, p)
	}
	return out
}

// a11yIDs finds, in the demo's database, one record of each kind the pages name: the
// first row of each query. Every page is then visited with real data on it.
var a11yIDs = map[string]string{
	"patient":      `SELECT MIN(id) FROM patients`,
	"otherpatient": `SELECT MIN(id) FROM patients WHERE id > (SELECT MIN(id) FROM patients)`,
	"appointment":  `SELECT MIN(id) FROM appointments WHERE status NOT IN ('cancelled')`,
	"practitioner": `SELECT MIN(id) FROM practitioners`,
	"reason":       `SELECT MIN(id) FROM reasons`,
	"database":     `SELECT MIN(id) FROM clinical_databases`,
	"fhirdatabase": `SELECT MIN(id) FROM clinical_databases WHERE kind = 'fhir'`,
	"notification": `SELECT MIN(id) FROM notifications`,
	"user":         `SELECT MAX(id) FROM users`,
	"agenda":       `SELECT MIN(id) FROM agendas`,
	"conversation": `SELECT MIN(id) FROM conversations`,
	"recall":       `SELECT MIN(id) FROM recall_sequences`,
}

// resolveIDs runs a11yIDs against the demo's database.
func resolveIDs(t *testing.T, dsn string) map[string]string {
	t.Helper()
	ctx := context.Background()
	db := openStore(t, dsn)
	out := map[string]string{}
	for name, q := range a11yIDs {
		var id sql.NullInt64
		var err error
		if s := db.SQLDB(); s != nil {
			err = s.QueryRowContext(ctx, q).Scan(&id)
		} else {
			err = db.PgxPool().QueryRow(ctx, q).Scan(&id)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !id.Valid {
			t.Fatalf("the demo has no %s to audit the pages that show one", name)
		}
		out[name] = fmt.Sprint(id.Int64)
	}
	return out
}

// axeViolation is the part of axe-core's result the test reports.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []any  `json:"target"`
		HTML   string `json:"html"`
	} `json:"nodes"`
}

// TestBrowserAccessibility audits every dashboard page with axe-core injected into real
// Chromium, signed in as the demo's administrator, at a laptop's 1366×900 and a phone's
// 390×844, in English at both and in French at the first: 0 serious or critical violations (WCAG 2.1 A and AA and
// axe's best practices). The pages come from testdata/a11y_pages.txt, which
// TestEveryPageIsAudited keeps in step with the dashboard's routes.
func TestBrowserAccessibility(t *testing.T) {
	ctx := browserFor(t, 8*time.Minute)
	dir := nodetest.Install(t, axeVersion)
	axe, err := os.ReadFile(filepath.Join(dir, "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	dsn := storetest.DSN(t)
	url, _ := startDemo(t, dsn)
	ids := resolveIDs(t, dsn)
	placeholder := regexp.MustCompile(`\{([a-z]+)\}`)
	pages := readA11yPages(t)

	audit := func(string) ([]axeViolation, error) { return runAxe(ctx, axe) }
	report := func(where string, vs []axeViolation) { reportAxe(t, where, vs) }

	sizes := []struct {
		name          string
		width, height int64
	}{{"1366x900", 1366, 900}, {"390x844", 390, 844}}
	for _, size := range sizes {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(size.width, size.height)); err != nil {
			t.Fatal(err)
		}
		// The sign-in page, signed out.
		if err := chromedp.Do(ctx, chromedp.Navigate(url+"login"), chromedp.WaitVisible(chromedp.CSS("#email"))); err != nil {
			t.Fatal(err)
		}
		vs, err := audit("/login")
		if err != nil {
			t.Fatal(err)
		}
		report(size.name+" /login", vs)
		signIn(t, ctx, url)
		langs := []string{"en", "fr"}
		if size.width < 600 {
			langs = langs[:1] // French's longer words are checked at the laptop size
		}
		for _, lang := range langs {
			if err := setLanguage(ctx, url, lang); err != nil {
				t.Fatalf("language %s: %v", lang, err)
			}
			for _, p := range pages {
				if p.Path == "" || p.Path == "/login" {
					continue
				}
				path := placeholder.ReplaceAllStringFunc(p.Path, func(m string) string {
					v, ok := ids[m[1:len(m)-1]]
					if !ok {
						t.Fatalf("a11y_pages.txt: %s: no id for %s (add it to a11yIDs)", p.Route, m)
					}
					return v
				})
				where := fmt.Sprintf("%s %s %s", size.name, lang, path)
				if err := chromedp.Do(ctx, chromedp.Navigate(url+strings.TrimPrefix(path, "/")), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				vs, err := audit(path)
				if err != nil {
					t.Errorf("%s: %v", where, err)
					continue
				}
				report(where, vs)
			}
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(url), chromedp.Click(chromedp.CSS("#sign-out")), chromedp.WaitVisible(chromedp.CSS("#email"))); err != nil {
			t.Fatalf("sign out: %v", err)
		}
	}
}

// runAxe runs axe-core (axe, its source) on the page ctx shows and returns its serious and
// critical violations of WCAG 2.1 A and AA and axe's best practices.
func runAxe(ctx context.Context, axe []byte) ([]axeViolation, error) {
	// Runtime.evaluate runs outside the page's Content-Security-Policy, which forbids
	// inline and injected <script> elements.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](string(axe))); err != nil {
		return nil, fmt.Errorf("inject axe-core: %w", err)
	}
	const run = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}, resultTypes: ["violations"]}).then(r => JSON.stringify(r.violations))`
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](run, chromedp.EvalAwaitPromise))
	if err != nil {
		return nil, fmt.Errorf("axe.run: %w", err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(s), &vs); err != nil {
		return nil, err
	}
	var bad []axeViolation
	for _, v := range vs {
		if v.Impact == "serious" || v.Impact == "critical" {
			bad = append(bad, v)
		}
	}
	return bad, nil
}

// reportAxe fails t with each violation, naming up to three of its elements.
func reportAxe(t *testing.T, where string, vs []axeViolation) {
	t.Helper()
	for _, v := range vs {
		var targets []string
		for i, n := range v.Nodes {
			if i == 3 {
				targets = append(targets, fmt.Sprintf("… %d more", len(v.Nodes)-3))
				break
			}
			targets = append(targets, fmt.Sprint(n.Target)+" "+n.HTML)
		}
		t.Errorf("%s: %s (%s): %s\n\t%s", where, v.ID, v.Impact, v.Help, strings.Join(targets, "\n\t"))
	}
}

// setLanguage chooses the dashboard's language with the header's switch.
func setLanguage(ctx context.Context, url, lang string) error {
	return chromedp.Do(ctx,
		// The patient list, not "/", which redirects: a node found before a redirect is gone
		// after it.
		chromedp.Navigate(url+"patients"),
		chromedp.WaitVisible(chromedp.CSS("#language-switch")),
		chromedp.SetValue(chromedp.CSS("#language-switch"), lang),
		chromedp.Submit(chromedp.CSS("#language-switch")),
		chromedp.WaitVisible(chromedp.CSS(`html[lang="`+lang+`"]`)),
	)
}
