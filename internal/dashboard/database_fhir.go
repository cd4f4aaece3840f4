package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/integration"
	"github.com/tidings-health/tidings/internal/web"
)

// fhirPage is the data of templates/database_fhir.html: how a fhir database's server is
// read and written back (SYN-1, SYN-5), and how its last run went. Secrets are never shown:
// the form says whether one is saved, and an empty field keeps it.
type fhirPage struct {
	ID       clinic.DatabaseID
	Database string
	In       integration.FHIRSettingsInput
	Every    string // as typed, shown again when refused
	TokenSet bool
	Secret   bool
	LastRun  string
	LastOK   string
	LastErr  string
	Refused  int // appointments its server refused when written back
	Errors   formErrors
}

var fhirLabels = map[string]fieldLabel{
	"base_url":      {"base-url", "FHIR base URL"},
	"auth":          {"auth", "Sign-in"},
	"token":         {"token", "Bearer token"},
	"client_id":     {"client-id", "Client id"},
	"client_secret": {"client-secret", "Client secret"},
	"token_url":     {"token-url", "Token URL"},
	"scope":         {"scope", "Scopes"},
	"every_minutes": {"every", "Read every (minutes)"},
}

func (d *Dashboard) loadFHIR(r *http.Request, f frame, id clinic.DatabaseID) (fhirPage, error) {
	ctx := r.Context()
	db, err := d.databaseOf(r, f, id)
	page := fhirPage{ID: id, Database: db.Name}
	if err != nil {
		return page, err
	}
	if page.Refused, err = d.refusedWriteBacks(r, f, id); err != nil {
		return page, err
	}
	st, err := d.sync.FHIRStatusOf(ctx, web.MustActor(ctx), id)
	if err != nil {
		return page, err
	}
	page.In, page.TokenSet, page.Secret, page.LastErr = st.Input, st.TokenSet, st.SecretSet, st.LastError
	page.Every = strconv.Itoa(st.Input.EveryMinutes)
	if st.LastRunAt != nil {
		page.LastRun = f.stamp(*st.LastRunAt)
	}
	if st.LastOKAt != nil {
		page.LastOK = f.stamp(*st.LastOKAt)
	}
	return page, nil
}

// databaseFHIR shows a fhir database's settings (GET /settings/databases/{id}/fhir).
func (d *Dashboard) databaseFHIR(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	var page fhirPage
	if err == nil {
		page, err = d.loadFHIR(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{Page: "database_fhir", View: view{Title: "FHIR settings", Header: f.header(r, "databases"), Data: page}})
}

// databaseFHIRSave saves them (POST /settings/databases/{id}/fhir) through
// integration.SetFHIRSettings; refused, the form is shown again with the reasons (422).
func (d *Dashboard) databaseFHIRSave(w http.ResponseWriter, r *http.Request) {
	id, ok := d.postedID(w, r)
	if !ok {
		return
	}
	f, err := d.loadFrame(r)
	var page fhirPage
	if err == nil {
		page, err = d.loadFHIR(r, f, clinic.DatabaseID(id))
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	in := integration.FHIRSettingsInput{BaseURL: r.PostFormValue("base_url"), Auth: r.PostFormValue("auth"), Token: r.PostFormValue("token"),
		ClientID: r.PostFormValue("client_id"), ClientSecret: r.PostFormValue("client_secret"), TokenURL: r.PostFormValue("token_url"),
		Scope: r.PostFormValue("scope")}
	page.Every = r.PostFormValue("every_minutes")
	n, perr := strconv.Atoi(page.Every)
	if perr != nil {
		n = -1 // refused by the use case with the field's reason
	}
	in.EveryMinutes = n
	err = d.sync.SetFHIRSettings(r.Context(), web.MustActor(r.Context()), clinic.DatabaseID(id), in)
	if err == nil {
		http.Redirect(w, r, withDone("/settings/databases", "fhir-saved"), http.StatusSeeOther)
		return
	}
	if web.Status(err) != http.StatusUnprocessableEntity {
		d.fail(w, r, err)
		return
	}
	in.Token, in.ClientSecret = "", ""
	page.In, page.Errors = in, notesOf(err, fhirLabels, nil)
	d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "database_fhir", View: view{Title: "FHIR settings", Header: f.header(r, "databases"), Data: page}})
}
