package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// msgConfirmShared is the 409 of a shared database's setting saved without a current
// confirmation.
const msgConfirmShared = "Not saved: this database is shared by several clinics and the change was not confirmed for the clinics sharing it now. Check the clinics named below and confirm again."

// databaseSave saves the opt-out setting of a database (POST /settings/databases/{id},
// fields respect_opt_out on|off, and from the confirmation of a shared database
// confirm_shared and clinic_id once per clinic it named) through directory.UpdateDatabase,
// then redirects to the list. Without a confirmation naming exactly the clinics that share
// the database now, the use case refuses (CON-2) and the preview and confirmation are shown
// again (409), nothing saved. Cancelling is a link back to the list: it posts nothing.
func (d *Dashboard) databaseSave(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	actor := web.MustActor(ctx)
	in := directory.DatabaseInput{RespectOptOut: respectValue(r.PostFormValue("respect_opt_out")), ConfirmShared: r.PostFormValue("confirm_shared") != ""}
	if in.ConfirmShared {
		in.Confirmed = []clinic.ClinicID{}
		for _, s := range r.PostForm["clinic_id"] {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				d.fail(w, r, clinic.Invalid("clinic_id", "must be a positive whole number"))
				return
			}
			in.Confirmed = append(in.Confirmed, clinic.ClinicID(n))
		}
	}
	f, err := d.loadFrame(r)
	if err == nil {
		// Another organisation's database is "not found" whatever the form says.
		err = d.db.View(ctx, func(tx *store.Tx) error {
			_, err := tx.Directory().Database(ctx, f.Org.ID, clinic.DatabaseID(id))
			return err
		})
	}
	if err == nil && in.RespectOptOut == nil {
		err = clinic.Invalid("respect_opt_out", "must be on or off")
	}
	if err == nil {
		_, err = d.directory.UpdateDatabase(ctx, actor, clinic.DatabaseID(id), in)
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/settings/databases", "database-saved"), http.StatusSeeOther)
	case web.Status(err) == http.StatusConflict:
		run, rerr := decide.OptOutDryRun(ctx, d.db, actor, clinic.DatabaseID(id), in.RespectOptOut)
		if rerr != nil {
			d.fail(w, r, rerr)
			return
		}
		page := dryRunView(run)
		page.Message = msgConfirmShared
		d.send(w, r, reply{Status: http.StatusConflict, Page: "dryrun", View: view{Title: "Respect opt-out status: preview", Header: f.header(r, "databases"), Data: page}})
	default:
		d.fail(w, r, err)
	}
}
