package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/web"
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
	in, rin, err := readReason(r)
	f, ferr := d.loadFrame(r)
	switch {
	case ferr != nil:
		err = ferr
	case f.Clinic.ID == 0:
		err = clinic.Invalid("clinic", "does not exist yet: an administrator sets up a clinic first")
	default:
		x.ClinicID = f.Clinic.ID
		cid := int64(f.Clinic.ID)
		rin.ClinicID = &cid
		rin.Problems = clinic.FieldsOf(err)
		_, err = d.directory.CreateReason(ctx, web.MustActor(ctx), rin)
		err = reasonFields(err)
	}
	switch {
	case err == nil:
		http.Redirect(w, r, withDone("/reasons", "reason-created"), http.StatusSeeOther)
	case formError(err) && x.ClinicID != 0:
		d.showReason(w, r, x, in, err)
	default:
		d.fail(w, r, err)
	}
}
