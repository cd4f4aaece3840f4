package cli_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/demo"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// auditRowView is a row of the audit table as the browser shows it.
type auditRowView struct {
	Action  string `json:"action"`
	Who     string `json:"who"`
	What    string `json:"what"`
	Entries string `json:"entries"`
}

// TestBrowserAuditFilters: on the audit log, an administrator chooses a staff member and an
// action and sees only that member's rows of that action, a list read shown as one row that
// opens onto its patients, in a URL that names no patient; "Show every entry" lifts the
// filter (ADM-2, ADM-5).
func TestBrowserAuditFilters(t *testing.T) {
	ctx := browser(t)
	dsn := storetest.DSN(t)
	base, _ := startDemo(t, dsn)

	// Reception's work, recorded as the dashboard records it: one look at the agenda
	// naming three patients in one request, and one patient file opened.
	bg := context.Background()
	db, err := store.Open(bg, store.Config{DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var reception, administrator clinic.User
	var patients []clinic.Patient
	var clinics []clinic.Clinic
	err = db.View(bg, func(tx *store.Tx) error {
		org, err := tx.Directory().OrganisationBySlug(bg, demo.Slug)
		if err != nil {
			return err
		}
		if reception, err = tx.Staff().UserByEmail(bg, "reception@demo.tidings.test"); err != nil {
			return err
		}
		if administrator, err = tx.Staff().UserByEmail(bg, "admin@demo.tidings.test"); err != nil {
			return err
		}
		if clinics, err = tx.Directory().Clinics(bg, org.ID, store.Page{Limit: 10}); err != nil {
			return err
		}
		patients, err = tx.Patients().ListPatients(bg, org.ID, store.PatientFilter{}, store.Page{Limit: 3})
		return err
	})
	if err != nil || len(patients) < 3 {
		t.Fatalf("demo data: %d patients, %v", len(patients), err)
	}
	actor := clinic.StaffActor(reception)
	if err := audit.Read(audit.WithRequestID(bg, "browser-agenda"), db, actor, "appointment.list", patients[0].ID, patients[1].ID, patients[2].ID); err != nil {
		t.Fatal(err)
	}
	if err := audit.Read(audit.WithRequestID(bg, "browser-file"), db, actor, "patient.read", patients[1].ID); err != nil {
		t.Fatal(err)
	}

	// And a change of the booking rules, recorded with its values before and after.
	horizon := clinics[0].Rules.HorizonDays + 30
	if _, err := directory.New(db).UpdateClinic(audit.WithRequestID(bg, "browser-rules"), clinic.StaffActor(administrator), clinics[0].ID,
		directory.ClinicInput{Booking: &directory.RulesInput{HorizonDays: &horizon}}); err != nil {
		t.Fatal(err)
	}

	signIn(t, ctx, base)
	rows := func() []auditRowView {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[]auditRowView](`[...document.querySelectorAll('[data-testid="audit-table"] tbody tr')].map(r => ({
			action: r.dataset.action, who: r.cells[1].innerText, what: r.cells[2].innerText, entries: r.dataset.entries || ""}))`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// The administrator's own reads (the agenda after signing in) are there too.
	err = chromedp.Do(ctx,
		chromedp.Navigate(base+"patients"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.Click(chromedp.CSS(`[data-testid="nav-audit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-table"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "audit-all")
	all := rows()
	if len(all) < 3 {
		t.Fatalf("the unfiltered log shows %d rows: %+v", len(all), all)
	}
	change := fmt.Sprintf("Book up to (days ahead): %d → %d", clinics[0].Rules.HorizonDays, horizon)
	found := false
	for _, r := range all {
		found = found || r.Action == "clinic.booking_rules" && strings.Contains(r.What, "Changed the booking rules: "+clinics[0].Name) &&
			strings.Contains(r.What, change) && strings.Contains(r.Who, "Alex Administrator")
	}
	if !found {
		t.Errorf("no row says %q: %+v", change, all)
	}

	// Reception's agenda reads only.
	id := strconv.FormatInt(int64(reception.ID), 10)
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#user"), id),
		chromedp.SetValue(chromedp.CSS("#action"), "appointment.list"),
		chromedp.Click(chromedp.CSS("#audit-filter-submit")),
		chromedp.WaitVisible(chromedp.CSS("#audit-clear")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="audit-table"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "audit-filtered")
	got := rows()
	if len(got) != 1 || got[0].Action != "appointment.list" || !strings.Contains(got[0].Who, "Riley Reception") ||
		!strings.Contains(got[0].What, "Viewed the agenda — 3 patients") || got[0].Entries != "3" {
		t.Errorf("filtered rows %+v, want reception's one agenda read of 3 patients", got)
	}
	// The row opens onto the patients' names.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`tr[data-action="appointment.list"] summary`)),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-action="appointment.list"] .audit-patients a.patient-link`)))
	if err != nil {
		t.Fatal(err)
	}
	listed, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`tr[data-action="appointment.list"] .audit-patients`)))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range patients {
		if !strings.Contains(listed, p.FullName()) {
			t.Errorf("the agenda read does not list %s: %q", p.FullName(), listed)
		}
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	if q := u.Query(); q.Get("user") != id || q.Get("action") != "appointment.list" {
		t.Errorf("the filter is not in the address: %s", loc)
	}
	for _, p := range patients {
		if strings.Contains(strings.ToLower(loc), strings.ToLower(p.FamilyName)) {
			t.Errorf("the address %s names patient %d", loc, p.ID)
		}
	}

	// Every patient action of reception's: the file read only.
	err = chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS("#action"), "patient."),
		chromedp.Click(chromedp.CSS("#audit-filter-submit")),
		chromedp.WaitVisible(chromedp.CSS(`tr[data-action="patient.read"]`)),
	)
	if err != nil {
		t.Fatal(err)
	}
	if got := rows(); len(got) != 1 || got[0].Action != "patient.read" || !strings.Contains(got[0].What, "Viewed a patient's file") {
		t.Errorf("patient actions of reception: %+v", got)
	}

	// Lifting the filter brings back the administrator's rows.
	err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#audit-clear")), chromedp.WaitNotPresent(chromedp.CSS("#audit-clear")))
	if err != nil {
		t.Fatal(err)
	}
	admin := false
	for _, r := range rows() {
		admin = admin || strings.Contains(r.Who, "Alex Administrator")
	}
	if !admin {
		t.Errorf("without the filter, no row of the administrator: %+v", rows())
	}
}
