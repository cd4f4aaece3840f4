package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// patientMergeConfirm shows the confirmation of merging record {other} into record {id}
// (GET /patients/{id}/merge/{other}: ids only in the URL): both records side by side, how
// many rows of each kind move to the record kept, that the audit log stays as written, and
// whether the record kept will have its notifications switched off. It links to the same page
// with the two records swapped, to keep the other one. When they cannot be merged (another
// database, a synced one, merged already) it says why and offers no button. Both records
// are audited as read.
func (d *Dashboard) patientMergeConfirm(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	other, err := strconv.ParseInt(r.PathValue("other"), 10, 64)
	if err != nil || other <= 0 {
		d.fail(w, r, clinic.ErrNotFound)
		return
	}
	ctx := r.Context()
	var f frame
	var page patientMergePage
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		var keep clinic.Patient
		var db clinic.Database
		if page, keep, db, err = loadMerge(ctx, tx, f, clinic.PatientID(id)); err != nil {
			return err
		}
		remove, err := tx.Patients().Patient(ctx, f.Org.ID, clinic.PatientID(other))
		if err != nil {
			return err
		}
		return d.mergeConfirmation(ctx, tx, f, &page, keep, remove, db)
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "patient_merge", View: view{Title: "Merge records", Header: f.header(r, "patients"), Data: page},
		Audit: []audit{{"patient.read", []clinic.PatientID{page.Keep.ID, page.Remove.ID}}}})
}
