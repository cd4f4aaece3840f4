package dashboard

import (
	"net/http"
)

// appointmentForm shows the booking form again with what was typed
// (POST /appointments/new): the free times of the reason, agenda and day now chosen, and
// the patients the search text (field q) matches. It is a POST so that the search text
// never lands in a URL, a log or the history; it changes nothing, so it answers directly.
// htmx's search button gets the patient list fragment only.
func (d *Dashboard) appointmentForm(w http.ResponseWriter, r *http.Request) {
	if err := parseForm(w, r); err != nil {
		d.fail(w, r, err)
		return
	}
	in, err := readBookInput(r.PostForm)
	if err != nil && !formError(err) {
		d.fail(w, r, err)
		return
	}
	d.showBook(w, r, in, http.StatusOK, err)
}
