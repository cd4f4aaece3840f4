package dashboard

import (
	"net/http"
)

// templatePreview renders the editor's text with sample values
// (POST /settings/templates/{kind}/{channel}/{lang}/preview, the editor's fields) through
// notify.Preview, saving nothing (NOT-2). The editor's script (static/preview.js) posts here
// as one types, with HX-Request, and swaps in the "preview" fragment: the text and, for SMS,
// "N segments (GSM-7)". Without JavaScript the Preview button posts here and gets the whole
// editor with the preview. A text the editor would refuse answers 422 with its problems.
func (d *Dashboard) templatePreview(w http.ResponseWriter, r *http.Request) {
	page, f, err := d.postedTemplate(w, r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Preview, page.Errors = previewOf(templateInput(page))
	status := http.StatusOK
	if len(page.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	rp := reply{Status: status, Page: "template", View: view{Title: "Edit template", Header: f.header(r, "templates"), Data: page}}
	w.Header().Add("Vary", "HX-Request")
	if r.Header.Get("HX-Request") == "true" {
		rp.Block = "preview"
	}
	d.send(w, r, rp)
}
