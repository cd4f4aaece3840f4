package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/web"
)

// exceptionDelete removes an exception (POST /exceptions/{id}/delete, field next) and
// returns to next (the agenda's exceptions page) or the schedules page. Another
// organisation's exception is "not found".
func (d *Dashboard) exceptionDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := d.booking.DeleteException(ctx, web.MustActor(ctx), id); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, backTo(r, "/schedules", "exception-deleted"), http.StatusSeeOther)
}
