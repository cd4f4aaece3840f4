package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
)

// closurePage is the data of templates/closure.html: an absence or a closing exception
// checked but not recorded yet, the appointments it would fall on with what each patient
// would be told if staff cancelled the appointment, and the form that records it. Its
// values travel in the form's hidden fields (a POST: no patient data in the URL, and none
// in the fields either).
type closurePage struct {
	Absence  bool   // an absence; else an exception
	Subject  string // the practitioner's or the agenda's name
	From, To string // an absence's bounds, in the clinic's time
	Day      string // an exception's day (YYYY-MM-DD) and what it does (a catalog key or pattern)
	What     string
	Note     string
	Zone     string
	Action   string        // where the form posts to record it
	Fields   []hiddenField // the form's values, posted again without preview
	Back     string        // the form on the schedules page
	Affected []affectedRow
}

// hiddenField is one value of a form carried through a preview.
type hiddenField struct{ Name, Value string }

// showClosurePreview shows the preview (200): nothing is recorded yet. The patients shown
// are audited as "appointment.list".
func (d *Dashboard) showClosurePreview(w http.ResponseWriter, r *http.Request, f frame, page closurePage, shown []clinic.PatientID) {
	title := "Check the appointments this exception falls on"
	if page.Absence {
		title = "Check the appointments this absence falls on"
	}
	d.send(w, r, reply{
		Page:  "closure",
		View:  view{Title: title, Header: f.header(r, "schedules"), Data: page},
		Audit: []audit{{"appointment.list", shown}},
	})
}
