package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/web"
)

// languageSave records the language the signed-in user chose for the dashboard
// (POST /settings/language, fields locale: en, fr, or empty to follow the browser; next)
// and returns to the local path in next, shown in that language from then on (ADM-6).
func (d *Dashboard) languageSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	if err := staff.SetLocale(ctx, d.db, web.MustActor(ctx), r.PostFormValue("locale")); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, localPath(r.PostFormValue("next"), "/"), http.StatusSeeOther)
}
