package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/web"
)

// exceptionDelete removes an exception (POST /exceptions/{id}/delete) and returns to the
// schedules page. Another organisation's exception is "not found".
func (d *Dashboard) exceptionDelete(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	err = d.booking.DeleteException(ctx, web.MustActor(ctx), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone("/schedules", "exception-deleted"), http.StatusSeeOther)
}
