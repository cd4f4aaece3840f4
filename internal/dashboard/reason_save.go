package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// reasonSave saves a reason's form (POST /reasons/{id}, fields name, duration_minutes,
// buffer_after_minutes, notifications, online_bookable, online_for (all, existing or new:
// who may book it online; absent keeps the saved choice), agenda_id repeated per agenda
// offering it) and returns to the list. The reason is read first, so another
// organisation's is "not found" whatever the form says; a refused form is shown again (422)
// naming its fields.
func (d *Dashboard) reasonSave(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	actor := web.MustActor(ctx)
	var x clinic.Reason
	// The reason is read first, so another organisation's is "not found" whatever the form.
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		x, err = tx.Directory().Reason(ctx, actor.OrgID, clinic.ReasonID(id))
		return err
	})
	in, rin, ferr := readReason(r)
	if err == nil {
		rin.Problems = clinic.FieldsOf(ferr)
		_, err = d.directory.UpdateReason(ctx, actor, x.ID, rin)
		err = reasonFields(err)
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/reasons", "reason-saved"), http.StatusSeeOther)
	case formError(err):
		d.showReason(w, r, x, in, err)
	default:
		d.fail(w, r, err)
	}
}

// showReason shows the reason form again with what was typed and why it was refused.
func (d *Dashboard) showReason(w http.ResponseWriter, r *http.Request, x clinic.Reason, in reasonInput, refused error) {
	ctx := r.Context()
	var f frame
	var page reasonPage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page, err = reasonForm(ctx, tx, f, x, in)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Fields = clinic.FieldsOf(refused)
	title := "Edit reason"
	if x.ID == 0 {
		title = "New reason"
	}
	d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "reason", View: view{Title: title, Header: f.header(r, "reasons"), Data: page}})
}
