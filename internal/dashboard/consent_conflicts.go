package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/web"
)

// conflictsPage is the data of templates/conflicts.html.
type conflictsPage struct {
	Clinics []option // the filter; 0: every clinic
	Rows    []conflictRow
}

// conflictRow is a patient whose clinical-software value and Tidings choice about reminders
// disagree; the Tidings choice counts (CON-3).
type conflictRow struct {
	PatientID clinic.PatientID
	Name      string
	Database  string
	PMSOptOut bool
	PMSReadAt string
	OptIn     bool // the Tidings choice
	Since     string
	Actor     string
	Source    string // label
}

// consentConflicts lists the organisation's patients whose clinical-software opt-out and
// Tidings choice disagree (GET /consent/conflicts?clinic_id=, appointment managers and above)
// through decide.Conflicts, which audits the patients listed; clinic_id narrows the list to
// the patients of that clinic's database.
func (d *Dashboard) consentConflicts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	clinicID, err := queryID(r, "clinic_id")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	list, err := decide.Conflicts(ctx, d.db, web.MustActor(ctx), clinic.ClinicID(clinicID))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := conflictsPage{Clinics: []option{{Value: 0, Label: "All clinics", Selected: clinicID == 0}}}
	databases := map[clinic.DatabaseID][]string{}
	for _, c := range f.Clinics {
		page.Clinics = append(page.Clinics, option{Value: int64(c.ID), Label: c.Name, Selected: int64(c.ID) == clinicID})
		databases[c.DatabaseID] = append(databases[c.DatabaseID], c.Name)
	}
	for _, c := range list {
		row := conflictRow{PatientID: c.Patient.ID, Name: c.Patient.Name, PMSOptOut: c.PMSOptOut, PMSReadAt: f.when(c.PMSReadAt),
			OptIn: c.Choice.OptIn, Since: f.when(&c.Choice.At), Actor: c.Choice.Actor, Source: sourceName(consent.Source(c.Choice.Source))}
		if names := databases[c.DatabaseID]; len(names) > 0 {
			row.Database = names[0]
			for _, n := range names[1:] {
				row.Database += ", " + n
			}
		}
		page.Rows = append(page.Rows, row)
	}
	d.send(w, r, reply{Page: "conflicts", View: view{Title: "Consent conflicts", Header: f.header(r, "conflicts"), Data: page}})
}
