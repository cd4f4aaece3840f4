package dashboard

import (
	"errors"
	"net/http"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// patientMergeSearch finds the other record to merge into patient {id}
// (POST /patients/{id}/merge/search, field q): records of the same clinical database matching
// the name, mobile or e-mail typed, this one and merged ones left out. The text is patient
// data, so it comes in the body, never in a URL. A request from htmx gets the results
// fragment only. The records listed are audited as "patient.search", the one named as read.
func (d *Dashboard) patientMergeSearch(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	var f frame
	var page patientMergePage
	var shown []clinic.PatientID
	status := http.StatusOK
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		var p clinic.Patient
		if page, p, _, err = loadMerge(ctx, tx, f, clinic.PatientID(id)); err != nil {
			return err
		}
		page.Searched, page.Query = true, strings.TrimSpace(r.PostFormValue("q"))
		if page.Synced || page.MergedInto != 0 {
			return nil
		}
		filter, err := searchFilter(page.Query, f.Clinic.Region)
		var ve *clinic.ValidationError
		if errors.As(err, &ve) {
			status, page.SearchError = http.StatusUnprocessableEntity, "Search text "+ve.Fields[0].Reason+"."
			return nil
		}
		if err != nil {
			return err
		}
		filter.DatabaseID = p.DatabaseID
		ps, err := tx.Patients().ListPatients(ctx, f.Org.ID, filter, store.Page{Limit: mergeSearchSize + 2})
		if err != nil {
			return err
		}
		var others []clinic.Patient
		for _, x := range ps {
			if x.ID != p.ID {
				others = append(others, x)
			}
		}
		if len(others) > mergeSearchSize {
			others, page.More = others[:mergeSearchSize], true
		}
		var list patientsPage
		shown = list.fill(others, f, d.now())
		page.Candidates = list.Rows
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	rp := reply{
		Status: status,
		Page:   "patient_merge",
		View:   view{Title: "Merge records", Header: f.header(r, "patients"), Data: page},
		Audit:  []audit{{"patient.read", []clinic.PatientID{page.ID}}, {"patient.search", shown}},
	}
	w.Header().Add("Vary", "HX-Request")
	if r.Header.Get("HX-Request") == "true" {
		rp.Block = "merge-results"
	}
	d.send(w, r, rp)
}
