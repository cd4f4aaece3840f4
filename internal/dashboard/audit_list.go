package dashboard

import (
	"errors"
	"net/http"
	"slices"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// auditPageSize is the number of audit entries a page shows.
const auditPageSize = 100

// auditPage is the data of templates/audit.html.
type auditPage struct {
	Zone    string
	Patient clinic.PatientID // the filter; 0 for every entry
	Rows    []auditRow
	// Older is the id to continue below (the cursor of "Older entries"); 0 on the last page.
	Older int64
}

type auditRow struct {
	ID        int64
	At        string
	Actor     string
	ActorID   string // the actor's label, e.g. "user:12"
	Action    string
	PatientID clinic.PatientID
	RequestID string
}

// auditList shows the organisation's audit log, newest first, 100 a page
// (GET /audit?before=ID&patient=ID), times in the current clinic's zone. It shows
// identifiers only, so reading it is not itself audited.
func (d *Dashboard) auditList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	before, err1 := queryID(r, "before")
	patient, err2 := queryID(r, "patient")
	if err := joinInvalid(err1, err2); err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var entries []store.AuditEntry
	actors := map[clinic.UserID]string{}
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		entries, err = tx.AuditTrail().AuditLog(ctx, f.Org.ID, store.AuditFilter{PatientID: clinic.PatientID(patient)},
			store.Page{After: before, Limit: auditPageSize + 1})
		if err != nil {
			return err
		}
		var ids []clinic.UserID
		for _, e := range entries {
			if e.UserID != 0 && !slices.Contains(ids, e.UserID) {
				ids = append(ids, e.UserID)
			}
		}
		// One statement for the page; a user deleted since is absent and shown by label.
		users, err := tx.Staff().UsersByIDs(ctx, f.Org.ID, ids)
		if err != nil {
			return err
		}
		for id, u := range users {
			actors[id] = u.Name
			if u.Name == "" {
				actors[id] = u.Email
			}
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := auditPage{Zone: f.Clinic.Zone, Patient: clinic.PatientID(patient)}
	if page.Zone == "" {
		page.Zone = "UTC"
	}
	if len(entries) > auditPageSize {
		entries = entries[:auditPageSize]
		page.Older = entries[len(entries)-1].ID
	}
	for _, e := range entries {
		page.Rows = append(page.Rows, auditRow{
			ID: e.ID, At: e.At.In(f.Loc).Format("2006-01-02 15:04:05 MST"), Actor: actors[e.UserID], ActorID: e.Actor,
			Action: e.Action, PatientID: e.PatientID, RequestID: e.RequestID,
		})
	}
	d.send(w, r, reply{Page: "audit", View: view{Title: "Audit log", Header: f.header(r, "audit"), Data: page}})
}

// joinInvalid merges the field errors of several validations into one, so a page names every
// refused field at once.
func joinInvalid(errs ...error) error {
	var v clinic.ValidationError
	for _, err := range errs {
		var ve *clinic.ValidationError
		if errors.As(err, &ve) {
			v.Fields = append(v.Fields, ve.Fields...)
		} else if err != nil {
			return err
		}
	}
	return v.Err()
}
