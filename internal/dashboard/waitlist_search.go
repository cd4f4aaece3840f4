package dashboard

import "net/http"

// waitlistSearch shows the waitlist page again with its form as typed and the patients the
// search text (field q) matches in the current clinic's clinical database (POST
// /waitlist/search, the form's Search button). It is a POST so that the search text never
// lands in a URL, a log or the history; it changes nothing, so it answers directly. htmx's
// search button gets the patient list fragment only.
func (d *Dashboard) waitlistSearch(w http.ResponseWriter, r *http.Request) {
	in, err, ok := postedForm(d, w, r, readWaitlistInput)
	if !ok {
		return
	}
	d.showWaitlist(w, r, in, http.StatusOK, err)
}
