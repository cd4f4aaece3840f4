package dashboard

import (
	"net/http"
	"strconv"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// outboxPage is the data of templates/outbox.html.
type outboxPage struct {
	NoClinic bool
	Clinic   string
	Zone     string
	Rows     []outboxRow
	Older    string // the next page's link; "" on the last
}

// outboxRow is one message the outbox "sent": what a patient would have received.
type outboxRow struct {
	ID          int64
	At          string
	PatientID   clinic.PatientID
	Patient     string
	Kind        string // label
	Channel     string // label
	Destination string
	Subject     string
	Body        string
	Segments    int
}

// outboxList shows the messages the current clinic "sent" to the outbox, newest first
// (GET /outbox?after=ID): the dispatcher puts a message there when no provider is configured
// for its channel, as in the demo, so a newcomer can read every reminder that would have
// gone out. The page says plainly that none reached a patient. It is notify.List with the
// outbox as provider, audited like the rest of the log.
func (d *Dashboard) outboxList(w http.ResponseWriter, r *http.Request) {
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
	page := outboxPage{NoClinic: f.Clinic.ID == 0, Clinic: f.Clinic.Name, Zone: f.Clinic.Zone}
	if !page.NoClinic {
		ns, err := d.notify.List(ctx, web.MustActor(ctx), store.NotificationFilter{ClinicID: f.Clinic.ID, Provider: providerOutbox,
			Page: store.Page{After: after, Limit: logPageSize}})
		if err != nil {
			d.fail(w, r, err)
			return
		}
		ids := make([]clinic.PatientID, len(ns))
		for i, n := range ns {
			ids[i] = n.PatientID
		}
		names, err := d.patientNamesOf(ctx, f.Org.ID, ids)
		if err != nil {
			d.fail(w, r, err)
			return
		}
		for _, n := range ns {
			when := n.SentAt
			if when.IsZero() {
				when = n.SendingAt
			}
			page.Rows = append(page.Rows, outboxRow{ID: n.ID, At: f.when(&when), PatientID: n.PatientID, Patient: names[n.PatientID],
				Kind: kindLabel(n.Kind), Channel: noteChannel(n.Channel), Destination: n.Destination, Subject: n.Subject, Body: n.Body,
				Segments: n.Segments})
		}
		if len(ns) == logPageSize {
			page.Older = "/outbox?after=" + strconv.FormatInt(ns[len(ns)-1].ID, 10)
		}
	}
	d.send(w, r, reply{Page: "outbox", View: view{Title: "Outbox", Header: f.header(r, "outbox"), Data: page}})
}
