package cli_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// signIn signs the demo's administrator in through the sign-in form.
func signIn(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"login"),
		chromedp.WaitVisible(chromedp.CSS("#email")),
		chromedp.SendKeys(chromedp.CSS("#email"), "admin@demo.tidings.test"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Click(chromedp.CSS("#sign-in")),
		chromedp.WaitVisible(chromedp.CSS("#sign-out")),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// screenshot keeps a picture of the page under TIDINGS_SCREENSHOTS, when set, for a person
// to look at.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("TIDINGS_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
	}
}

// demoDatabase reads the demo's database named name.
func demoDatabase(t *testing.T, dsn, name string) clinic.Database {
	t.Helper()
	ctx := context.Background()
	db := openStore(t, dsn)
	var out clinic.Database
	err := db.View(ctx, func(tx *store.Tx) error {
		org, err := tx.Directory().OrganisationBySlug(ctx, demo.Slug)
		if err != nil {
			return err
		}
		dbs, err := tx.Directory().Databases(ctx, org.ID, store.Page{Limit: 50})
		for _, d := range dbs {
			if d.Name == name {
				out = d
			}
		}
		return err
	})
	if err != nil || out.ID == 0 {
		t.Fatalf("database %q: %v", name, err)
	}
	return out
}

// TestBrowserSharedDatabaseConfirmation: turning off "respect opt-out status" of the demo's
// database that two clinics share shows a dry run with figures and a confirmation naming both
// clinics; cancelling saves nothing, confirming saves (CON-1, CON-2).
func TestBrowserSharedDatabaseConfirmation(t *testing.T) {
	ctx := browser(t)
	dsn := storetest.DSN(t)
	url, _ := startDemo(t, dsn)
	signIn(t, ctx, url)
	shared := demoDatabase(t, dsn, "Harbourside PMS")
	if !shared.RespectOptOut {
		t.Fatal("the demo's database does not respect opt-outs to begin with")
	}
	id := strconv.FormatInt(int64(shared.ID), 10)
	preview := chromedp.CSS(`tr[data-database-id="` + id + `"] .preview-button`)
	open := func() {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS(`[data-testid="nav-databases"]`)),
			chromedp.WaitVisible(chromedp.CSS(`[data-testid="databases-table"]`)),
			chromedp.Click(preview),
			chromedp.WaitVisible(chromedp.CSS("#confirm-shared")),
		)
		if err != nil {
			t.Fatalf("open the dry run: %v", err)
		}
	}
	open()
	screenshot(t, ctx, "dry-run")
	prompt, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#confirm-shared")))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"Harbourside Surry Hills", "Harbourside Bondi"} {
		if !strings.Contains(prompt, name) {
			t.Errorf("the confirmation does not name %s:\n%s", name, prompt)
		}
	}
	if strings.Contains(prompt, "Cabinet du Marais") {
		t.Error("the confirmation names a clinic of another database")
	}
	summary, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#dry-run-summary")))
	if err != nil {
		t.Fatal(err)
	}
	// The figures: the summary's count of patients who would start getting reminders is at
	// least each clinic's (a patient may have appointments in both), and the demo has
	// opted-out patients with appointments to come.
	fields := strings.Fields(summary[strings.Index(summary, ".")+1:])
	total, err := strconv.Atoi(fields[0])
	if err != nil || total == 0 {
		t.Fatalf("dry run summary %q: want a number of patients who would start getting reminders", summary)
	}
	cells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="dry-run-table"] [data-testid="start"]')].map(e => e.textContent.trim())`))
	if err != nil || len(cells) != 2 {
		t.Fatalf("per-clinic figures %v (%v), want two clinics", cells, err)
	}
	for _, c := range cells {
		if n, err := strconv.Atoi(c); err != nil || n > total {
			t.Errorf("clinic figure %q against a total of %d", c, total)
		}
	}
	samples, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="dry-run-table"] a.patient-link').length`))
	if err != nil || samples == 0 {
		t.Errorf("the dry run names no patient (%v)", err)
	}

	// Cancel: back on the list, nothing saved.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#cancel-save")), chromedp.WaitVisible(chromedp.CSS(`[data-testid="databases-table"]`)))
	if err != nil {
		t.Fatal(err)
	}
	if !demoDatabase(t, dsn, "Harbourside PMS").RespectOptOut {
		t.Fatal("cancelling saved the setting")
	}

	// Confirm: saved, and the list says so.
	open()
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#confirm-save")), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "databases-saved")
	if demoDatabase(t, dsn, "Harbourside PMS").RespectOptOut {
		t.Error("confirming did not save the setting")
	}
	value, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`tr[data-database-id="`+id+`"] [data-testid="respect-value"]`)))
	if err != nil || !strings.Contains(value, "Off") {
		t.Errorf("the list shows %q (%v), want Off", value, err)
	}
}

// TestBrowserAgendaChannels: the agenda × channel table is saved at once and shown again as
// saved (CON-5).
func TestBrowserAgendaChannels(t *testing.T) {
	ctx := browser(t)
	dsn := storetest.DSN(t)
	url, _ := startDemo(t, dsn)
	signIn(t, ctx, url)
	first := `[data-testid="channels-table"] tbody tr:first-child`
	err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`[data-testid="nav-channels"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="channels-table"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	cell, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(first+` input[value$=":sms"]`), "value"))
	if err != nil {
		t.Fatal(err)
	}
	checked := func(value string) bool {
		t.Helper()
		on, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('input[data-cell="`+value+`"]').checked`))
		if err != nil {
			t.Fatal(err)
		}
		return on
	}
	push := strings.Replace(cell.Value, ":sms", ":push", 1)
	if !checked(cell.Value) || !checked(push) {
		t.Fatal("the demo's agenda has SMS or push off to begin with")
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`input[data-cell="`+cell.Value+`"]`)),
		chromedp.Click(chromedp.CSS(`input[data-cell="`+push+`"]`)),
		chromedp.Click(chromedp.CSS("#save-channels")),
		chromedp.WaitVisible(chromedp.CSS("#flash")),
	)
	if err != nil {
		t.Fatal(err)
	}
	// Shown again as saved, after a fresh load too.
	err = chromedp.Do(ctx, chromedp.Navigate(url+"settings/channels"), chromedp.WaitVisible(chromedp.CSS(`[data-testid="channels-table"]`)))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "channels")
	if checked(cell.Value) || checked(push) {
		t.Error("SMS or push is shown on after being switched off")
	}
	if !checked(strings.Replace(cell.Value, ":sms", ":email", 1)) {
		t.Error("e-mail was switched off too")
	}
}
