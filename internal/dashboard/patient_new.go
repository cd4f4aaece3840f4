package dashboard

import (
	"context"
	"net/http"

	"github.com/tidings-health/tidings/internal/i18n"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
)

// patientNew shows the form that creates a patient of the current clinic's clinical database
// (GET /patients/new), the language preset to the clinic's. When that database is synced, its
// clinical software keeps the patients (patient.SoftwareOwns): the page says to create the
// patient there, rather than offering a form that would be refused.
func (d *Dashboard) patientNew(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f frame
	var page patientFormPage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page, err = newPatientForm(ctx, tx, f, patientValues{Language: i18n.ForRegion(f.Clinic.Region).String()})
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "patient_form", View: view{Title: "New patient", Header: f.header(r, "patients"), Data: page}})
}

// newPatientForm is the creation form of the current clinic's database, filled with v.
func newPatientForm(ctx context.Context, tx *store.Tx, f frame, v patientValues) (patientFormPage, error) {
	page := patientFormPage{Values: v, Languages: patientLanguages(v.Language)}
	if f.Clinic.ID == 0 {
		page.NoClinic = true
		return page, nil
	}
	db, err := tx.Directory().Database(ctx, f.Org.ID, f.Clinic.DatabaseID)
	if err != nil {
		return page, err
	}
	page.Database, page.Synced = db.Name, patient.SoftwareOwns(db.Kind, "given_name")
	return page, nil
}
