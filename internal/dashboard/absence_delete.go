package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// absenceDelete removes an absence (POST /absences/{id}/delete, field next) and returns to
// next or the schedules page. Another organisation's absence is "not found".
func (d *Dashboard) absenceDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	err := d.db.Update(ctx, func(tx *store.Tx) error { return tx.DeleteAbsence(ctx, web.MustActor(ctx).OrgID, id) })
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r, "/schedules", "absence-deleted"), http.StatusSeeOther)
}
