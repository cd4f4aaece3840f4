package dashboard

import (
	"fmt"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// patientCreate creates a patient of the current clinic's clinical database from the patient
// form (POST /patients/new, the fields of patientSave without version) through the patient use
// case, and opens the new patient's file. A refused form is shown again as typed (422), each
// problem beside its field under its label.
func (d *Dashboard) patientCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if f.Clinic.ID == 0 {
		d.fail(w, r, clinic.Invalid("clinic", "does not exist yet: an administrator sets up a clinic first"))
		return
	}
	values, in := readPatientForm(r, false)
	dbID := int64(f.Clinic.DatabaseID)
	in.DatabaseID = &dbID
	p, err := d.patients.Create(ctx, web.MustActor(ctx), in)
	switch {
	case err == nil:
		http.Redirect(w, r, withDone(fmt.Sprintf("/patients/%d", p.ID), "patient-created"), http.StatusSeeOther)
	case formError(err):
		var page patientFormPage
		if err := d.db.View(ctx, func(tx *store.Tx) (err error) {
			page, err = newPatientForm(ctx, tx, f, values)
			return err
		}); err != nil {
			d.fail(w, r, err)
			return
		}
		d.showPatientForm(w, r, page, err)
	default:
		d.fail(w, r, err)
	}
}
