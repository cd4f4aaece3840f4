package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// recallSettingsSave saves a clinic's recall switch (POST /recalls/settings, fields
// clinic_id, the clinic the form was shown for, and resume_on_cancel, a checkbox: a recall
// paused by a booking resumes when the booking is cancelled before it happens, RES-4)
// through recall.SetSettings, which checks the permission and writes the audit row
// ("recall.settings"), then returns to the templates page.
func (d *Dashboard) recallSettingsSave(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	c, _, err := d.formClinic(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	err = d.recalls.SetSettings(ctx, web.MustActor(ctx), store.RecallSettings{ClinicID: c.ID, ResumeOnCancel: r.PostFormValue("resume_on_cancel") == "on"})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	http.Redirect(w, r, withDone("/recalls/templates", "recall-settings-saved"), http.StatusSeeOther)
}
