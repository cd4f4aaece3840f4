package cli_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// browser starts headless Chromium for one test. Without Chromium the test is skipped,
// unless TIDINGS_REQUIRE_BROWSER is set (CI sets it), where that is a failure.
// TIDINGS_SKIP_BROWSER skips them on purpose: CI runs them once, in the SQLite pass, since
// the pages they drive do not depend on the database.
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserFor(t, 90*time.Second)
}

// browserFor is browser with a test's own time limit, for a test that visits every page.
func browserFor(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	if os.Getenv("TIDINGS_SKIP_BROWSER") != "" {
		t.Skip("TIDINGS_SKIP_BROWSER is set: the browser tests run in the other pass")
	}
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("TIDINGS_REQUIRE_BROWSER") != "" {
			t.Fatal("chromium not found and TIDINGS_REQUIRE_BROWSER is set")
		}
		t.Skip("chromium not installed (apt-get install chromium); set TIDINGS_REQUIRE_BROWSER to make this a failure")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	ctx, cancelTimeout := context.WithTimeout(ctx, limit)
	t.Cleanup(cancelTimeout)
	return ctx
}

// TestBrowserSignInOpenPatientAudited is the foundation's end-to-end test: it starts the
// real server (cli.Run demo) on a temporary database, signs in through Chromium, searches
// for and opens a patient file, and checks the audit log recorded the read (ADM-2).
func TestBrowserSignInOpenPatientAudited(t *testing.T) {
	ctx := browser(t)
	dsn := storetest.DSN(t)
	url, _ := startDemo(t, dsn)

	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"patients"),
		// Not signed in: the dashboard sends us to the sign-in page.
		chromedp.WaitVisible(css("#email")),
		chromedp.SendKeys(css("#email"), "admin@demo.tidings.test"),
		chromedp.SendKeys(css("#password"), "not the password"),
		chromedp.Click(css("#sign-in")),
		chromedp.WaitVisible(css("#login-error")),
	)
	if err != nil {
		t.Fatalf("wrong password: %v", err)
	}
	errText, err := chromedp.Run(ctx, chromedp.Text(css("#login-error")))
	if err != nil || !strings.Contains(errText, "Invalid e-mail or password") {
		t.Errorf("wrong password message %q (%v)", errText, err)
	}
	err = chromedp.Do(ctx,
		chromedp.SendKeys(css("#password"), demo.Password),
		chromedp.Click(css("#sign-in")),
		// Back on the patients page, search by name.
		chromedp.WaitVisible(css("#q")),
		chromedp.SendKeys(css("#q"), "smith"),
		chromedp.Submit(css("#q")),
		// The search's results, not the full list shown before it (data-searched).
		chromedp.WaitVisible(css("#results[data-searched] a.patient-link")),
	)
	if err != nil {
		t.Fatalf("sign in and search: %v", err)
	}
	attr, err := chromedp.Run(ctx, chromedp.AttributeValue(css("#results[data-searched] a.patient-link"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	href := attr.Value
	err = chromedp.Do(ctx, chromedp.Click(css("#results[data-searched] a.patient-link")), chromedp.WaitVisible(css("h1#patient-name")))
	if err != nil {
		t.Fatalf("open patient: %v", err)
	}
	heading, err := chromedp.Run(ctx, chromedp.Text(css("h1#patient-name")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.ToLower(heading), "smith") {
		t.Errorf("patient heading %q does not name the patient searched for", heading)
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(href, "/patients/"), 10, 64)
	if err != nil {
		t.Fatalf("patient link %q", href)
	}

	// The audit log holds the read of that patient by the signed-in administrator.
	db, err := store.Open(context.Background(), store.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var entries []store.AuditEntry
	err = db.View(context.Background(), func(tx *store.Tx) error {
		org, err := tx.Directory().OrganisationBySlug(context.Background(), demo.Slug)
		if err != nil {
			return err
		}
		entries, err = tx.AuditTrail().AuditLog(context.Background(), org.ID, store.AuditFilter{}, store.Page{Limit: 500})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var read, search bool
	for _, e := range entries {
		if e.Action == "patient.read" && int64(e.PatientID) == id && e.UserID != 0 && e.RequestID != "" {
			read = true
		}
		if e.Action == "patient.search" && int64(e.PatientID) == id {
			search = true
		}
	}
	if !read || !search {
		t.Errorf("audit log lacks the search (%v) or the read (%v) of patient %d: %+v", search, read, id, entries[:min(5, len(entries))])
	}

	// And the administrator sees it on the audit page.
	err = chromedp.Do(ctx, chromedp.Navigate(url+"audit"), chromedp.WaitVisible(css(`[data-testid="audit-table"]`)))
	if err != nil {
		t.Fatal(err)
	}
	auditText, err := chromedp.Run(ctx, chromedp.Text(css(`[data-testid="audit-table"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(auditText, "patient.read") {
		t.Errorf("audit page does not show the read:\n%.400s", auditText)
	}
}
