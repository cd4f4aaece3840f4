package dashboard

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// patientSave saves the patient form (POST /patients/{id}/edit: version, given_name,
// family_name, birth_date, mobile, email, language; the language only for a patient of a
// synced database) through the patient use case, at the version the form was shown at, and
// returns to the patient file. A refused form is shown again as typed: 422 with each problem
// beside its field, under its label; 409 when someone else saved the record meanwhile, saying
// so (the form keeps its version, so sending it again is refused again until reloaded).
func (d *Dashboard) patientSave(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	actor := web.MustActor(ctx)
	var p clinic.Patient
	var db clinic.Database
	// The patient is read first, so another organisation's is "not found" whatever the form,
	// and its database says which fields the form holds.
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if p, err = tx.Patients().Patient(ctx, actor.OrgID, clinic.PatientID(id)); err != nil {
			return err
		}
		db, err = tx.Directory().Database(ctx, actor.OrgID, p.DatabaseID)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	version, err := formVersion(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	values, in := readPatientForm(r, patient.SoftwareOwns(db.Kind, "given_name"))
	_, err = d.patients.UpdateIfVersion(ctx, actor, p.ID, version, in)
	switch {
	case err == nil:
		http.Redirect(w, r, withDone(fmt.Sprintf("/patients/%d", p.ID), "patient-saved"), http.StatusSeeOther)
	case errors.Is(err, patient.ErrStale), web.Status(err) == http.StatusUnprocessableEntity:
		page := patientForm(p, db, values)
		page.Version = version
		d.showPatientForm(w, r, page, err)
	default:
		d.fail(w, r, err)
	}
}

// showPatientForm shows the patient form again with what was typed and why it was refused:
// 422 with the notes beside their fields, 409 with the reason.
func (d *Dashboard) showPatientForm(w http.ResponseWriter, r *http.Request, page patientFormPage, refused error) {
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	status := web.Status(refused)
	if status == http.StatusConflict {
		page.Message = msgPatientChanged
	}
	page.Errors = notesOf(refused, patientLabels, nil)
	title := "Edit patient"
	var shown []clinic.PatientID
	if page.ID == 0 {
		title = "New patient"
	} else {
		shown = append(shown, page.ID) // the page names the patient
	}
	d.send(w, r, reply{Status: status, Page: "patient_form", View: view{Title: title, Header: f.header(r, "patients"), Data: page},
		Audit: []audit{{"patient.read", shown}}})
}

// msgPatientChanged is what staff read when the record they edit was saved by someone else
// after the form was shown.
const msgPatientChanged = "This patient record was changed by someone else since this form was opened. Reload it to see the changes, then make yours again."
