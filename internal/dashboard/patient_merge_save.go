package dashboard

import (
	"fmt"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// patientMergeSave merges record remove (a form field, an id) into record {id}
// (POST /patients/{id}/merge) through the patient use case, which checks every rule again in
// its transaction, and opens the file of the record kept. A refusal (a record merged or
// changed meanwhile, another database) shows the confirmation again with the reason.
func (d *Dashboard) patientMergeSave(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	actor := web.MustActor(ctx)
	// The record kept is read first, so another organisation's is "not found" whatever the
	// form says.
	err := d.db.View(ctx, func(tx *store.Tx) error {
		_, err := tx.Patients().Patient(ctx, actor.OrgID, clinic.PatientID(id))
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	remove, err := formID(r, "remove")
	if err == nil && remove == 0 {
		err = clinic.Invalid("remove", "is required")
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	_, err = d.patients.Merge(ctx, actor, clinic.PatientID(id), clinic.PatientID(remove))
	switch {
	case err == nil:
		http.Redirect(w, r, withDone(fmt.Sprintf("/patients/%d", id), "patients-merged"), http.StatusSeeOther)
	case formError(err):
		d.showMergeRefused(w, r, clinic.PatientID(id), clinic.PatientID(remove), err)
	default:
		d.fail(w, r, err)
	}
}

// showMergeRefused shows the confirmation of merging remove into keep again, as the records
// are now, with why the merge was refused.
func (d *Dashboard) showMergeRefused(w http.ResponseWriter, r *http.Request, keep, remove clinic.PatientID, refused error) {
	ctx := r.Context()
	var f frame
	var page patientMergePage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		var k clinic.Patient
		var db clinic.Database
		if page, k, db, err = loadMerge(ctx, tx, f, keep); err != nil {
			return err
		}
		rm, err := tx.Patients().Patient(ctx, f.Org.ID, remove)
		if err != nil {
			return err
		}
		return d.mergeConfirmation(ctx, tx, f, &page, k, rm, db)
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Problem = problemText(refused)
	d.send(w, r, reply{Status: web.Status(refused), Page: "patient_merge", View: view{Title: "Merge records", Header: f.header(r, "patients"), Data: page},
		Audit: []audit{{"patient.read", []clinic.PatientID{page.Keep.ID, page.Remove.ID}}}})
}
