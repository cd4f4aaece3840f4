package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/web"
)

// waitlistLeave takes an entry off the waitlist (POST /waitlist/{id}/leave, the page's
// Remove button) through waitlist.Leave, which checks the permission and writes the audit
// row ("waitlist.leave"), then returns to the page; the patient gets no further offer. Another
// organisation's entry is "not found"; one no longer waiting (booked or removed meanwhile)
// answers 409 with why.
func (d *Dashboard) waitlistLeave(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := d.waitlist.Leave(ctx, web.MustActor(ctx), id); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone("/waitlist", "waitlist-left"), http.StatusSeeOther)
}
