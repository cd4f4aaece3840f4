package dashboard

import (
	"net/http"

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
	err := d.booking.DeleteAbsence(ctx, web.MustActor(ctx), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r, "/schedules", "absence-deleted"), http.StatusSeeOther)
}
