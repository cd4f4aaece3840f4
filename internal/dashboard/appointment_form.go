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
	in, err, ok := postedForm(d, w, r, readBookInput)
	if !ok {
		return
	}
	d.showBook(w, r, in, http.StatusOK, err)
}
