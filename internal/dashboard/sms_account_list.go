package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/web"
)

// smsPage is the data of templates/sms.html: the organisation's SMS accounts and the form
// that adds or replaces one.
type smsPage struct {
	Rows   []smsRow
	Scopes []option // the organisation (0) and each clinic
	smsInput
	Errors formErrors
}

// smsRow is one account as shown: never its token, only the token's last characters.
type smsRow struct {
	ID         int64
	Scope      string // a clinic's name, or "" for the organisation's
	Failover   bool
	BaseURL    string
	AccountSID string
	Sender     string
	TokenHint  string
}

// smsInput is the account form as typed. The token is never sent back to the browser.
type smsInput struct {
	ClinicID   string
	Failover   bool
	BaseURL    string
	AccountSID string
	Sender     string
}

// smsLabels name the account form's fields.
var smsLabels = map[string]fieldLabel{
	"clinic_id": {"scope", "Used by"}, "base_url": {"base_url", "API address"}, "account_sid": {"account_sid", "Account SID"},
	"auth_token": {"auth_token", "Auth token"}, "sender": {"sender", "Sender"}, "failover": {"failover", "Role"},
}

// smsForm is the page with the accounts and the form holding in.
func smsForm(f frame, accounts []notify.Account, in smsInput) smsPage {
	p := smsPage{smsInput: in}
	names := map[int64]string{}
	p.Scopes = append(p.Scopes, option{Value: 0, Label: "The whole organisation", Selected: in.ClinicID == "" || in.ClinicID == "0"})
	for _, c := range f.Clinics {
		names[int64(c.ID)] = c.Name
		p.Scopes = append(p.Scopes, option{Value: int64(c.ID), Label: c.Name, Selected: in.ClinicID == strconv.FormatInt(int64(c.ID), 10)})
	}
	for _, a := range accounts {
		p.Rows = append(p.Rows, smsRow{ID: a.ID, Scope: names[a.ClinicID], Failover: a.Failover, BaseURL: a.BaseURL,
			AccountSID: a.AccountSID, Sender: a.Sender, TokenHint: a.TokenHint})
	}
	return p
}

// smsAccountList shows the organisation's SMS accounts (GET /settings/sms, administrators):
// a Twilio-compatible account per clinic or for the whole organisation, primary and
// failover, through notify.Accounts, which never returns a token. It explains the two
// addresses the provider calls back on the server's public URL.
func (d *Dashboard) smsAccountList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	accounts, err := d.notify.Accounts(ctx, web.MustActor(ctx))
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := smsForm(f, accounts, smsInput{ClinicID: strconv.FormatInt(int64(f.Clinic.ID), 10)})
	d.send(w, r, reply{Page: "sms", View: view{Title: "SMS accounts", Header: f.header(r, "sms"), Data: page}})
}
