package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// reasonNew shows the form that creates a reason for the current clinic (GET /reasons/new):
// 15 minutes, notifications on, bookable online by every patient, offered by no agenda yet.
func (d *Dashboard) reasonNew(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f frame
	var page reasonPage
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if f.Clinic.ID == 0 {
			page.NoClinic = true
			return nil
		}
		page, err = reasonForm(ctx, tx, f, clinic.Reason{ClinicID: f.Clinic.ID},
			reasonInput{Duration: "15", Buffer: "0", Notifications: true, Online: true, OnlineFor: string(clinic.OnlineForAll)})
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "reason", View: view{Title: "New reason", Header: f.header(r, "reasons"), Data: page}})
}
