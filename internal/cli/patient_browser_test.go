package cli_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// addBuiltinClinic gives the running demo's organisation a clinic in Paris whose patients are
// Tidings' own (a builtin clinical database: the demo's two databases are synced, and staff
// create and edit the patients of builtin ones only), and returns the clinic's id.
func addBuiltinClinic(t *testing.T, dsn string) clinic.ClinicID {
	t.Helper()
	ctx := context.Background()
	db := openStore(t, dsn)
	var c clinic.Clinic
	err := db.Update(ctx, func(tx *store.Tx) error {
		org, err := tx.Directory().OrganisationBySlug(ctx, demo.Slug)
		if err != nil {
			return err
		}
		d, err := tx.Directory().CreateDatabase(ctx, org.ID, clinic.Database{Name: "Dossiers Tidings", Kind: clinic.KindBuiltin,
			Profile: clinic.ProfileGeneric, RespectOptOut: true})
		if err != nil {
			return err
		}
		c, err = tx.Directory().CreateClinic(ctx, org.ID, clinic.Clinic{DatabaseID: d.ID, Slug: "republique", Name: "Cabinet République",
			Zone: "Europe/Paris", Region: "FR"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// yearsOld is how many whole years someone born on birth is today in loc.
func yearsOld(birth time.Time, loc *time.Location) int {
	now := time.Now().In(loc)
	years := now.Year() - birth.Year()
	if now.Month() < birth.Month() || (now.Month() == birth.Month() && now.Day() < birth.Day()) {
		years--
	}
	return years
}

// TestBrowserPatientCreateEditSearch: in a clinic of a builtin database, staff create a
// patient through the form (a mobile that is not one is refused beside its field, under its
// label, and what was typed stays), fix it, edit the patient, and find them by search with
// the mobile in the clinic's national format and their age (ADM-7).
func TestBrowserPatientCreateEditSearch(t *testing.T) {
	ctx := browser(t)
	dsn := storetest.DSN(t)
	url, _ := startDemo(t, dsn)
	clinicID := addBuiltinClinic(t, dsn)
	signIn(t, ctx, url)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(css(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}

	// Work in the new clinic, then open the creation form from the patients page.
	err := chromedp.Do(ctx,
		chromedp.Navigate(url+"patients"),
		chromedp.WaitVisible(css("#clinic-switch")),
		chromedp.SetValue(css("#clinic-switch"), strconv.FormatInt(int64(clinicID), 10)),
		chromedp.Submit(css("#clinic-switch")),
		chromedp.WaitVisible(css("#new-patient")),
		chromedp.Click(css("#new-patient")),
		chromedp.WaitVisible(css("#patient-form")),
	)
	if err != nil {
		t.Fatalf("open the new patient form: %v", err)
	}
	lang, err := chromedp.Run(ctx, chromedp.Value(css("#language")))
	if err != nil || lang != "fr" {
		t.Errorf("language preset %q (%v), want the clinic's: fr", lang, err)
	}

	// A landline where the mobile goes: refused beside the field.
	err = chromedp.Do(ctx,
		chromedp.SendKeys(css("#given_name"), "Léa"),
		chromedp.SendKeys(css("#family_name"), "Navigateur"),
		chromedp.SetValue(css("#birth_date"), "1990-05-17"),
		chromedp.SendKeys(css("#mobile"), "01 23 45 67 89"),
		chromedp.Click(css("#save-patient")),
		chromedp.WaitVisible(css("#mobile-error")),
	)
	if err != nil {
		t.Fatalf("submit a landline as the mobile: %v", err)
	}
	screenshot(t, ctx, "patient-form-error")
	if note := text("#mobile-error"); !strings.Contains(note, "is not a mobile number") {
		t.Errorf("the note beside the mobile says %q", note)
	}
	if summary := text("#field-errors"); !strings.Contains(summary, "Mobile") || strings.Contains(summary, "mobile:") {
		t.Errorf("the summary names the field %q, want its label", summary)
	}
	kept, err := chromedp.Run(ctx, chromedp.Value(css("#family_name")))
	if err != nil || kept != "Navigateur" {
		t.Errorf("the family name typed is %q after the refusal (%v)", kept, err)
	}

	// Fixed: created, and the file shows the mobile as the clinic writes it.
	err = chromedp.Do(ctx,
		chromedp.Clear(css("#mobile")),
		chromedp.SendKeys(css("#mobile"), "0612345678"),
		chromedp.Click(css("#save-patient")),
		chromedp.WaitVisible(css("h1#patient-name")),
	)
	if err != nil {
		t.Fatalf("create the patient: %v", err)
	}
	if flash := text("#flash"); !strings.Contains(flash, "Patient created.") {
		t.Errorf("flash %q", flash)
	}
	if details := text(".details"); !strings.Contains(details, "06 12 34 56 78") {
		t.Errorf("the file shows %q, want the mobile 06 12 34 56 78", details)
	}
	book, err := chromedp.Run(ctx, chromedp.AttributeValue(css("#book-patient"), "href"))
	if err != nil || !strings.HasPrefix(book.Value, "/appointments/new?patient_id=") {
		t.Errorf("Book an appointment links to %q (%v)", book.Value, err)
	}

	// Edit: the name changes.
	err = chromedp.Do(ctx,
		chromedp.Click(css("#edit-patient")),
		chromedp.WaitVisible(css("#patient-form")),
		chromedp.Clear(css("#given_name")),
		chromedp.SendKeys(css("#given_name"), "Léa-Rose"),
		chromedp.Click(css("#save-patient")),
		chromedp.WaitVisible(css("#flash")),
	)
	if err != nil {
		t.Fatalf("edit the patient: %v", err)
	}
	if h := text("h1#patient-name"); h != "Léa-Rose Navigateur" {
		t.Errorf("heading %q after the edit", h)
	}
	screenshot(t, ctx, "patient-edited")

	// Search: the row shows the mobile in the national format and the age.
	err = chromedp.Do(ctx,
		chromedp.Navigate(url+"patients"),
		chromedp.WaitVisible(css("#q")),
		chromedp.SendKeys(css("#q"), "navigateur"),
		chromedp.Submit(css("#q")),
		chromedp.WaitVisible(css("#results[data-searched] a.patient-link")),
	)
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	screenshot(t, ctx, "patient-search")
	if name := text("#results[data-searched] a.patient-link"); name != "Léa-Rose Navigateur" {
		t.Errorf("search found %q", name)
	}
	if m := text(`#results[data-searched] [data-testid="mobile"]`); m != "06 12 34 56 78" {
		t.Errorf("search row mobile %q, want 06 12 34 56 78", m)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	want := strconv.Itoa(yearsOld(time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC), paris)) + " years"
	if a := text(`#results[data-searched] [data-testid="age"]`); a != want {
		t.Errorf("search row age %q, want %q", a, want)
	}
}
