package dashboard

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryPageIsAudited: every GET route of the dashboard is listed in the accessibility
// audit's page list (internal/cli/testdata/a11y_pages.txt, visited by
// TestBrowserAccessibility with axe-core), and the list names no route that is gone. A page
// added without an audit fails here, on a machine without Chromium too.
func TestEveryPageIsAudited(t *testing.T) {
	e := newEnv(t)
	f, err := os.Open(filepath.Join("..", "cli", "testdata", "a11y_pages.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	listed := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) < 3 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		listed[fs[0]+" "+fs[1]] = true
	}
	for _, r := range e.d.Routes() {
		if r.Method != http.MethodGet {
			continue
		}
		route := r.Method + " " + r.Pattern
		if !listed[route] {
			t.Errorf("%s is not in internal/cli/testdata/a11y_pages.txt: add the page to the accessibility audit", route)
		}
		delete(listed, route)
	}
	for route := range listed {
		t.Errorf("a11y_pages.txt lists %s, which the dashboard no longer serves", route)
	}
}
