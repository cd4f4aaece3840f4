package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// clinicSwitch changes the current clinic (POST /clinic, field clinic_id) and returns to the
// local path in next. A clinic of another organisation is "not found".
func (d *Dashboard) clinicSwitch(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	id, err := strconv.ParseInt(r.PostFormValue("clinic_id"), 10, 64)
	if err != nil || id <= 0 {
		d.fail(w, r, clinic.Invalid("clinic_id", "must be a clinic's number"))
		return
	}
	err = d.db.View(ctx, func(tx *store.Tx) error {
		_, err := tx.Directory().Clinic(ctx, web.MustActor(ctx).OrgID, clinic.ClinicID(id))
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: clinicCookie, Value: strconv.FormatInt(id, 10), Path: "/",
		HttpOnly: true, Secure: d.sessions.Secure(r), SameSite: http.SameSiteLaxMode, MaxAge: 365 * 24 * 3600})
	http.Redirect(w, r, localPath(r.PostFormValue("next"), "/agenda"), http.StatusSeeOther)
}
