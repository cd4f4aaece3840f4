package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
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
}

type patientRow struct {
	ID         clinic.PatientID
	Name       string
	BirthDate  string
	Mobile     string
	ExternalID string
}

// fill takes up to patientPageSize+1 patients: the extra one only says a next page exists.
func (p *patientsPage) fill(ps []clinic.Patient) []clinic.PatientID {
	if len(ps) > patientPageSize {
		ps = ps[:patientPageSize]
		p.NextAfter = ps[len(ps)-1].ID
	}
	ids := make([]clinic.PatientID, len(ps))
	for i, x := range ps {
		ids[i] = x.ID
		p.Rows = append(p.Rows, patientRow{ID: x.ID, Name: x.FullName(), BirthDate: civilDate(x.BirthDate),
			Mobile: x.Mobile, ExternalID: x.ExternalID})
	}
	return ids
}

// patientList shows the organisation's patients by id, 50 a page (GET /patients?after=ID),
// and the search form. Each patient shown is audited as "patient.list".
func (d *Dashboard) patientList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	after, err := queryID(r, "after")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var ps []clinic.Patient
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		ps, err = tx.Patients().ListPatients(ctx, f.Org.ID, store.PatientFilter{}, store.Page{After: after, Limit: patientPageSize + 1})
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var page patientsPage
	ids := page.fill(ps)
	d.send(w, r, reply{
		Page:  "patients",
		View:  view{Title: "Patients", Header: f.header(r, "patients"), Data: page},
		Audit: []audit{{"patient.list", ids}},
	})
}
