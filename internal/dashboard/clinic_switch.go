package dashboard

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// clinicParams are the query parameters that name something of one clinic (a reason, an
// agenda, a practitioner's column, a free slot) or a position in one clinic's list (a
// cursor). Switching clinic drops them from the page it returns to: the other clinic's
// reason would be refused there (422), and its cursor would start the new list midway.
var clinicParams = []string{"reason_id", "agenda_id", "agenda", "practitioner_id", "practitioner", "slot", "after", "before", "cursor"}

// clinicSwitch changes the current clinic (POST /clinic, field clinic_id) and returns to the
// local path in next, without the parameters that belong to the clinic left (clinicParams):
// the same page, of the new clinic. A clinic of another organisation is "not found".
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
	http.Redirect(w, r, withoutClinicParams(localPath(r.PostFormValue("next"), "/agenda")), http.StatusSeeOther)
}

// withoutClinicParams is the local path p without clinicParams; the rest of its query
// (the day shown, say) is kept as it was written.
func withoutClinicParams(p string) string {
	u, err := url.Parse(p)
	if err != nil || u.RawQuery == "" {
		return p
	}
	q := u.Query()
	dropped := false
	for _, k := range clinicParams {
		if q.Has(k) {
			q.Del(k)
			dropped = true
		}
	}
	if !dropped {
		return p
	}
	u.RawQuery = q.Encode()
	return u.String()
}
