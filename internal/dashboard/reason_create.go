package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// reasonCreate creates a reason for the current clinic from the reason form (POST /reasons,
// the fields of reasonSave) and returns to the list; a refused form is shown again (422).
func (d *Dashboard) reasonCreate(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	var x clinic.Reason
	var in reasonInput
	err := d.db.Update(ctx, func(tx *store.Tx) error {
		f, err := d.frameTx(ctx, tx, r)
		if err != nil {
			return err
		}
		if f.Clinic.ID == 0 {
			return clinic.Invalid("clinic", "does not exist yet: an administrator sets up a clinic first")
		}
		x.ClinicID = f.Clinic.ID
		y := x
		if in, err = readReason(ctx, tx, r, &y); err != nil {
			return err
		}
		_, err = tx.CreateReason(ctx, f.Org.ID, y)
		return err
	})
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/reasons", "reason-created"), http.StatusSeeOther)
	case formError(err) && x.ClinicID != 0:
		d.showReason(w, r, x, in, err)
	default:
		d.fail(w, r, err)
	}
}
