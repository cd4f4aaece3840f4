package dashboard

import (
	"net/http"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
)

// portalButton previews the Book button with a size and colour not saved yet
// (GET /settings/portal/button, fields clinic_id (default the current clinic),
// button_size, button_colour; POR-5): the portal page with the button form holding them,
// and the preview and its code made from them. The page's script asks for it as one
// changes the form (HX-Request), and gets the preview fragment only; without the script,
// the form's Preview button opens the whole page. Nothing is saved. A size or colour the
// button cannot be made of is named (422) and the saved button shown; with neither field,
// the page shows the saved button.
func (d *Dashboard) portalButton(w http.ResponseWriter, r *http.Request) {
	id, err := queryID(r, "clinic_id")
	var f frame
	if err == nil {
		f, err = d.loadFrame(r)
	}
	q := r.URL.Query()
	var typed portalTyped
	if q.Has("button_size") || q.Has("button_colour") {
		typed.Button = &portalButtonTyped{Size: q.Get("button_size"), Colour: strings.TrimSpace(q.Get("button_colour"))}
	}
	var page portalPage
	if err == nil {
		page, err = d.loadPortal(r, f, clinic.ClinicID(id), typed)
	}
	if err != nil {
		d.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if !page.NoClinic && typed.Button != nil {
		if _, berr := newBookButton("", "x", typed.Button.Size, typed.Button.Colour); berr != nil {
			status, page.Fields = http.StatusUnprocessableEntity, clinic.FieldsOf(berr)
		}
	}
	rp := reply{Status: status, Page: "portal", View: view{Title: "Patient portal", Header: f.header(r, "portal"), Data: page}}
	w.Header().Add("Vary", "HX-Request")
	if r.Header.Get("HX-Request") == "true" {
		rp.Block = "button-preview"
	}
	d.send(w, r, rp)
}
