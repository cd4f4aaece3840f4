package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/web"
)

// dryRunPage is the data of templates/dryrun.html: what saving the opt-out setting would do,
// per clinic, and the form that saves it; for a database several clinics share, that form is
// the confirmation naming each of them (CON-2).
type dryRunPage struct {
	ID          clinic.DatabaseID
	Database    string
	Respect     bool // the value that would be saved
	Unavailable bool // CON-4: the setting changes nothing
	Unchanged   bool // the database already has this value
	Start, Stop int
	// WithoutAppointment: affected patients with no upcoming appointment (their recalls and
	// results change too), not counted under any clinic.
	WithoutAppointment int
	Clinics            []impactRow
	Shared             bool // several clinics use the database: the form confirms for all
	// Message is why the save was refused (a 409: no confirmation, or the clinics sharing the
	// database changed since the prompt was shown); a catalog key.
	Message string
}

type impactRow struct {
	ID          clinic.ClinicID
	Name        string
	Start, Stop int
	Sample      []patientRef
}

type patientRef struct {
	ID   clinic.PatientID
	Name string
}

// dryRunView is the page of a dry run.
func dryRunView(run decide.DryRun) dryRunPage {
	page := dryRunPage{ID: run.Database.ID, Database: run.Database.Name, Respect: run.Respect, Unavailable: run.Unavailable,
		Unchanged: run.Respect == run.Database.RespectOptOut, Start: run.Start, Stop: run.Stop,
		WithoutAppointment: run.WithoutAppointment, Shared: len(run.Clinics) > 1}
	for _, im := range run.Clinics {
		row := impactRow{ID: im.Clinic.ID, Name: im.Clinic.Name, Start: im.Start, Stop: im.Stop}
		for _, p := range im.Sample {
			row.Sample = append(row.Sample, patientRef{ID: p.ID, Name: p.Name})
		}
		page.Clinics = append(page.Clinics, row)
	}
	return page
}

// respectValue reads the opt-out setting of a form or query: "on" or "off"; nil otherwise,
// which the use cases refuse as required.
func respectValue(s string) *bool {
	var v bool
	switch s {
	case "on", "true":
		v = true
	case "off", "false":
	default:
		return nil
	}
	return &v
}

// databaseDryRun previews saving the opt-out setting of a database
// (GET /settings/databases/{id}/dry-run?respect_opt_out=on|off, CON-1, CON-2): per clinic,
// how many patients would start or stop getting reminders and a few of them, linked to their
// file (decide.OptOutDryRun, which audits the patients it names). Nothing is saved here; the
// page's form saves (databaseSave), and for a shared database that form is the confirmation
// naming every clinic.
func (d *Dashboard) databaseDryRun(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	run, err := decide.OptOutDryRun(ctx, d.db, web.MustActor(ctx), clinic.DatabaseID(id), respectValue(r.URL.Query().Get("respect_opt_out")))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "dryrun", View: view{Title: "Respect opt-out status: preview", Header: f.header(r, "databases"), Data: dryRunView(run)}})
}
