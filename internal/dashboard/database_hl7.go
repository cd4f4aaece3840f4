package dashboard

import (
	"errors"
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// hl7Page is the data of templates/database_hl7.html: the HL7 settings of one hl7v2
// database (SYN-1).
type hl7Page struct {
	ID       clinic.DatabaseID
	Database string
	Facility string
	Errors   formErrors
}

var hl7Labels = map[string]fieldLabel{"facility": {"facility", "Sending facility (MSH-4)"}}

// loadHL7 reads database id of f's organisation and its facility; a database that is not
// hl7v2 has no such settings (not found).
func (d *Dashboard) loadHL7(r *http.Request, f frame, id clinic.DatabaseID) (hl7Page, error) {
	ctx := r.Context()
	page := hl7Page{ID: id}
	err := d.db.View(ctx, func(tx *store.Tx) error {
		db, err := tx.Directory().Database(ctx, f.Org.ID, id)
		if err != nil {
			return err
		}
		if db.Kind != clinic.KindHL7v2 {
			return clinic.ErrNotFound
		}
		page.Database = db.Name
		page.Facility, err = tx.Sync().HL7Facility(ctx, f.Org.ID, id)
		return err
	})
	return page, err
}

// databaseHL7 shows the HL7 settings of an hl7v2 database (GET /settings/databases/{id}/hl7).
func (d *Dashboard) databaseHL7(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	var page hl7Page
	if err == nil {
		page, err = d.loadHL7(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "database_hl7", View: view{Title: "HL7 settings", Header: f.header(r, "databases"), Data: page}})
}

// databaseHL7Save saves them (POST /settings/databases/{id}/hl7, field facility) through
// integration.SetHL7Settings and shows the list again; a refused value is shown again with
// its reason (422, or 409 when another database has the facility).
func (d *Dashboard) databaseHL7Save(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	f, err := d.loadFrame(r)
	var page hl7Page
	if err == nil {
		page, err = d.loadHL7(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Facility = r.PostFormValue("facility")
	_, err = d.sync.SetHL7Settings(r.Context(), web.MustActor(r.Context()), clinic.DatabaseID(id), integration.HL7Settings{Facility: page.Facility})
	status := web.Status(err)
	if err == nil {
		http.Redirect(w, r, withDone("/settings/databases", "hl7-saved"), http.StatusSeeOther)
		return
	}
	if status != http.StatusUnprocessableEntity && status != http.StatusConflict {
		d.fail(w, r, err)
		return
	}
	page.Errors = notesOf(err, hl7Labels, nil)
	var ce *clinic.ConflictError
	if errors.As(err, &ce) && ce.Field == "facility" {
		page.Errors = append(page.Errors, fieldNote{Control: "facility", Label: hl7Labels["facility"].Label, Reason: ce.Reason})
	}
	d.send(w, r, reply{Status: status, Page: "database_hl7", View: view{Title: "HL7 settings", Header: f.header(r, "databases"), Data: page}})
}
