package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
)

// patientPageSize is the number of patients a list or search page shows.
const patientPageSize = 50

// patientsPage is the data of templates/patients.html, shared by the list and the search.
type patientsPage struct {
	Searched bool
	Query    string // the search text, echoed into the form body only, never into a URL
	Error    string // why the search text was refused
	Rows     []patientRow
	// NextAfter is the id to continue after (the cursor of "Next page"); 0 on the last page.
	NextAfter clinic.PatientID
	// Database names the clinical database listed (the current clinic's); CanCreate offers
	// "New patient" (a user who may write patients, in a clinic of a builtin database).
	Database  string
	CanCreate bool
}

// patientRow is one patient of the list or of a search's results.
type patientRow struct {
	ID         clinic.PatientID
	Name       string
	BirthDate  string
	Age        *age   // nil without a birth date
	Mobile     string // in the clinic's national format (localPhone)
	ExternalID string
}

// fill takes up to patientPageSize+1 patients: the extra one only says a next page exists.
// Mobiles are shown as the clinic writes them and ages as of today in its zone.
func (p *patientsPage) fill(ps []clinic.Patient, f frame, now time.Time) []clinic.PatientID {
	if len(ps) > patientPageSize {
		ps = ps[:patientPageSize]
		p.NextAfter = ps[len(ps)-1].ID
	}
	ids := make([]clinic.PatientID, len(ps))
	for i, x := range ps {
		ids[i] = x.ID
		p.Rows = append(p.Rows, patientRow{ID: x.ID, Name: x.FullName(), BirthDate: civilDate(x.BirthDate), Age: ageOn(x.BirthDate, now, f.Loc),
			Mobile: localPhone(x.Mobile, f.Clinic.Region), ExternalID: x.ExternalID})
	}
	return ids
}

// patientScope narrows a list or search to the current clinic's clinical database: a clinic
// sees its own patients, not those of the organisation's other databases. It also fills
// what the page says about that database. An organisation without a clinic yet has no scope.
func (d *Dashboard) patientScope(ctx context.Context, tx *store.Tx, f frame, page *patientsPage) (clinic.DatabaseID, error) {
	if f.Clinic.ID == 0 {
		return 0, nil
	}
	db, err := tx.Directory().Database(ctx, f.Org.ID, f.Clinic.DatabaseID)
	if err != nil {
		return 0, err
	}
	page.Database = db.Name
	page.CanCreate = f.Actor.Can(clinic.PermWritePatients) && !patient.SoftwareOwns(db.Kind, "given_name")
	return db.ID, nil
}

// patientList shows the current clinic's clinical database's patients by id, 50 a page
// (GET /patients?after=ID), and the search form. Each patient shown is audited as
// "patient.list".
func (d *Dashboard) patientList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	after, err := queryID(r, "after")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var ps []clinic.Patient
	var page patientsPage
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		scope, err := d.patientScope(ctx, tx, f, &page)
		if err != nil {
			return err
		}
		ps, err = tx.Patients().ListPatients(ctx, f.Org.ID, store.PatientFilter{DatabaseID: scope}, store.Page{After: after, Limit: patientPageSize + 1})
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ids := page.fill(ps, f, d.now())
	d.send(w, r, reply{
		Page:  "patients",
		View:  view{Title: "Patients", Header: f.header(r, "patients"), Data: page},
		Audit: []audit{{"patient.list", ids}},
	})
}
