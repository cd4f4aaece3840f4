package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/web"
)

// smsAccountSave adds an SMS account or replaces the one of the same scope and role
// (POST /settings/sms, fields clinic_id (0: the organisation's), failover, base_url,
// account_sid, auth_token, sender) through notify.SetAccount, and shows the list again
// (Post/Redirect/Get). A refused form is shown again (422), the token left empty.
func (d *Dashboard) smsAccountSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := smsInput{ClinicID: strings.TrimSpace(r.PostFormValue("clinic_id")), Failover: r.PostFormValue("failover") == "on",
		BaseURL: r.PostFormValue("base_url"), AccountSID: strings.TrimSpace(r.PostFormValue("account_sid")), Sender: r.PostFormValue("sender")}
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	actor := web.MustActor(ctx)
	var clinicID int64
	if in.ClinicID != "" {
		if clinicID, err = strconv.ParseInt(in.ClinicID, 10, 64); err != nil || clinicID < 0 {
			err = clinic.Invalid("clinic_id", "must be the organisation or one of its clinics")
		}
	}
	if err == nil {
		_, err = d.notify.SetAccount(ctx, actor, notify.AccountInput{ClinicID: clinicID, Failover: in.Failover, BaseURL: in.BaseURL,
			AccountSID: in.AccountSID, AuthToken: r.PostFormValue("auth_token"), Sender: in.Sender})
	}
	if web.Status(err) != http.StatusUnprocessableEntity {
		if err != nil {
			d.fail(w, r, err)
			return
		}
		http.Redirect(w, r, withDone("/settings/sms", "sms-saved"), http.StatusSeeOther)
		return
	}
	accounts, aerr := d.notify.Accounts(ctx, actor)
	if aerr != nil {
		d.fail(w, r, aerr)
		return
	}
	page := smsForm(f, accounts, in)
	page.Errors = notesOf(err, smsLabels, nil)
	d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "sms", View: view{Title: "SMS accounts", Header: f.header(r, "sms"), Data: page}})
}
