package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/web"
)

// templateSave saves one of a clinic's templates (POST /settings/templates/{kind}/{channel}/{lang},
// fields clinic_id, subject, body, and reset to go back to the text Tidings ships) through
// notify.SetTemplate, and returns to the list (Post/Redirect/Get). An empty body resets too.
// A refused text is shown again (422) as typed, each problem beside its field.
func (d *Dashboard) templateSave(w http.ResponseWriter, r *http.Request) {
	page, f, err := d.postedTemplate(w, r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	ctx := r.Context()
	in := templateInput(page)
	if r.PostFormValue("reset") != "" {
		in.Subject, in.Body = "", ""
	}
	err = d.notify.SetTemplate(ctx, web.MustActor(ctx), page.ClinicID, in)
	switch {
	case err == nil && in.Body == "":
		http.Redirect(w, r, withDone("/settings/templates", "template-reset"), http.StatusSeeOther)
	case err == nil:
		http.Redirect(w, r, withDone("/settings/templates", "template-saved"), http.StatusSeeOther)
	case web.Status(err) == http.StatusUnprocessableEntity:
		page.Errors = notesOf(err, templateLabels, nil)
		d.send(w, r, reply{Status: http.StatusUnprocessableEntity, Page: "template", View: view{Title: "Edit template", Header: f.header(r, "templates"), Data: page}})
	default:
		d.fail(w, r, err)
	}
}

// postedTemplate reads an editor's form: the clinic it was shown for, the template its path
// names (not found when there is none), and the subject and body as typed.
func (d *Dashboard) postedTemplate(w http.ResponseWriter, r *http.Request) (templatePage, frame, error) {
	if err := parseForm(w, r); err != nil {
		return templatePage{}, frame{}, err
	}
	c, f, err := d.formClinic(r)
	if err != nil {
		return templatePage{}, f, err
	}
	v, err := d.templateOf(r.Context(), r, c.ID)
	if err != nil {
		return templatePage{}, f, err
	}
	subject := r.PostFormValue("subject")
	if !hasSubject(v.Channel) {
		subject = ""
	}
	return templateForm(f, c, v, subject, r.PostFormValue("body")), f, nil
}
