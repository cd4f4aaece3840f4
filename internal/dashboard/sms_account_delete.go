package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/web"
)

// smsAccountDelete removes an SMS account (POST /settings/sms-accounts/{id}/delete,
// administrators) through notify.DeleteAccount, and shows the list again. Another
// organisation's account is "not found".
func (d *Dashboard) smsAccountDelete(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	if err := d.notify.DeleteAccount(ctx, web.MustActor(ctx), id); err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone("/settings/sms", "sms-deleted"), http.StatusSeeOther)
}
