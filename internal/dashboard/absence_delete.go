package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// absenceDelete removes an absence (POST /absences/{id}/delete, field next) and returns to
// next or the schedules page. Another organisation's absence is "not found".
func (d *Dashboard) absenceDelete(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	err = d.db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteAbsence(ctx, web.MustActor(ctx).OrgID, id) })
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r, "/schedules", "absence-deleted"), http.StatusSeeOther)
}
