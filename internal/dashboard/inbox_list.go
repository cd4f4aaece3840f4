package dashboard

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// inboxPage is the data of templates/inbox.html.
type inboxPage struct {
	NoClinic bool
	Clinic   string
	Zone     string
	Rows     []inboxRow
	Older    string // the next page's link; "" on the last
	Next     string // where "Mark read" returns: this page
}

// inboxRow is one inbound SMS.
type inboxRow struct {
	ID          int64
	Received    string
	From        string
	PatientID   clinic.PatientID
	Patient     string
	Appointment string // the start of the appointment it was matched to, in the clinic's zone
	AgendaDay   string // the agenda day of that appointment
	Body        string
	Why         string // English, translated by the template
	Handled     bool   // the system answered it (a C, a STOP, a HELP): shown dimmed
	Read        bool
}

// inboxList shows the current clinic's inbound SMS (GET /inbox?after=ID, NOT-10), newest
// first: who sent it, the patient and appointment it was matched to, its text (escaped like
// everything on the page) and why it reached staff. Replies the system handled itself (why
// "handled: …") are shown dimmed, as done. The read is notify.Inbox, which audits the
// patients shown.
func (d *Dashboard) inboxList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	after, err := queryID(r, "after")
	if err != nil {
		d.fail(w, r, err)
		return
	}
	f, err := d.loadFrame(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page := inboxPage{NoClinic: f.Clinic.ID == 0, Clinic: f.Clinic.Name, Zone: f.Clinic.Zone, Next: withoutFlash(r.URL)}
	if !page.NoClinic {
		ms, err := d.notify.Inbox(ctx, web.MustActor(ctx), f.Clinic.ID, store.Page{After: after, Limit: logPageSize})
		if err != nil {
			d.fail(w, r, err)
			return
		}
		ids := make([]clinic.PatientID, len(ms))
		var appts []clinic.AppointmentID
		for i, m := range ms {
			ids[i] = m.PatientID
			if m.AppointmentID != 0 {
				appts = append(appts, m.AppointmentID)
			}
		}
		names, err := d.patientNamesOf(ctx, f.Org.ID, ids)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		var found map[clinic.AppointmentID]clinic.Appointment
		if err := d.db.View(ctx, func(tx *store.Tx) (err error) {
			found, err = tx.Notifications().AppointmentsByIDs(ctx, f.Org.ID, appts)
			return err
		}); err != nil {
			d.fail(w, r, err)
			return
		}
		for _, m := range ms {
			row := inboxRow{ID: m.ID, Received: f.stamp(m.ReceivedAt), From: m.From, PatientID: m.PatientID, Patient: names[m.PatientID],
				Body: m.Body, Why: m.Why, Handled: strings.HasPrefix(m.Why, whyHandled), Read: !m.ReadAt.IsZero()}
			if a, ok := found[m.AppointmentID]; ok {
				row.Appointment, row.AgendaDay = f.stamp(a.Start), dayPath(a.Start, f.Loc)
			}
			page.Rows = append(page.Rows, row)
		}
		if len(ms) == logPageSize {
			page.Older = "/inbox?after=" + strconv.FormatInt(ms[len(ms)-1].ID, 10)
		}
	}
	d.send(w, r, reply{Page: "inbox", View: view{Title: "Inbox", Header: f.header(r, "inbox"), Data: page}})
}
