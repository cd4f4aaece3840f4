package dashboard

import (
	"net/http"
	"net/url"
)

// A form that changed something redirects (Post/Redirect/Get) to a page with ?done=KEY, and
// that page shows the confirmation flashText(KEY). The key is one of a fixed set, so the URL
// carries neither patient data nor free text, and a crafted link cannot put words on a page.
func flashText(key string) string {
	switch key {
	case "booked":
		return "Appointment booked."
	case "moved":
		return "Appointment moved."
	case "moved-earlier":
		return "Appointment moved. That time happens twice that night because the clocks go back: the earlier one, before the change, was used."
	case "cancelled":
		return "Appointment cancelled."
	case "status":
		return "Status updated."
	case "hours":
		return "Working hours saved."
	case "exception-added":
		return "Exception added."
	case "exception-deleted":
		return "Exception deleted."
	case "absence-added":
		return "Absence recorded. Cancel or move the appointments it falls on, below."
	case "absence-added-earlier":
		return "Absence recorded. A time you gave happens twice because the clocks go back: the earlier one was used. Cancel or move the appointments it falls on, below."
	case "absence-deleted":
		return "Absence deleted."
	case "reason-created":
		return "Reason created."
	case "reason-saved":
		return "Reason saved."
	case "rules-saved":
		return "Booking rules saved."
	}
	return ""
}

// flashFor is the confirmation the request's ?done= names, or "".
func flashFor(r *http.Request) string { return flashText(r.URL.Query().Get("done")) }

// withDone returns the local path p with done=key set, for the redirect after a change.
func withDone(p, key string) string {
	u, err := url.Parse(p)
	if err != nil {
		return p
	}
	q := u.Query()
	q.Set("done", key)
	u.RawQuery = q.Encode()
	return u.String()
}

// withoutFlash is u's path and query without done, so that switching clinic from a page
// does not show its confirmation a second time.
func withoutFlash(u *url.URL) string {
	q := u.Query()
	if !q.Has("done") {
		return u.RequestURI()
	}
	q.Del("done")
	v := url.URL{Path: u.Path, RawQuery: q.Encode()}
	return v.RequestURI()
}
