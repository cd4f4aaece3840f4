package dashboard

import (
	"errors"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// providerOutbox is the provider the dispatcher records for a message it put in the outbox
// because no provider is configured (dispatch.ProviderOutbox). The dashboard names it rather
// than import the dispatcher, which it has no other reason to know.
const providerOutbox = "outbox"

// notePage is the data of templates/notification.html: one notification with its history.
type notePage struct {
	ID                  int64
	Kind, Channel       string // labels
	Purpose             string // label
	State, StateLabel   string
	Reason              string
	PatientID           clinic.PatientID
	Patient             string
	AppointmentID       clinic.AppointmentID
	Appointment         string // its start, in the clinic's zone; "" when it no longer exists
	Offset              string // a reminder's ("72h")
	Due, Deadline       string
	Created, Sent       string
	Attempts            int
	Destination         string
	Subject, Body       string
	Segments            int
	AsksReply           bool
	Provider            string
	ProviderID          string
	ProviderStatus      string
	Outbox              bool // "sent" to the outbox: nobody received it
	Zone                string
	Events              []eventRow
	Decisions           []decisionRow
	Members             []noteRow // NOT-4: the messages one SMS carried together
	CarriedBy, Carrying bool
}

// eventRow is one step of a notification's status history.
type eventRow struct {
	At, State, StateLabel, Reason string
}

// notificationShow shows one notification (GET /notifications/{id}): its fields, its status
// history, the consent decisions taken on it in plain words with their trace (CON-9), the
// notifications one SMS carried with it (NOT-4), and the text that was sent. The read is
// notify.Detail, which audits it; another organisation's notification is "not found".
func (d *Dashboard) notificationShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	det, err := d.notify.Detail(ctx, web.MustActor(ctx), id)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	n := det.Notification
	var f frame
	var appt clinic.Appointment
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if n.AppointmentID == 0 {
			return nil
		}
		appt, err = tx.Appointments().Appointment(ctx, f.Org.ID, n.AppointmentID)
		if errors.Is(err, clinic.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	loc := f.zoneOf(n.ClinicID)
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return f.Locale.Stamp(t.In(loc))
	}
	page := notePage{ID: n.ID, Kind: kindLabel(n.Kind), Channel: noteChannel(n.Channel), Purpose: purposeName(consent.Purpose(n.Purpose)),
		State: n.State, StateLabel: noteLabel(n), Reason: n.Reason, PatientID: n.PatientID, AppointmentID: n.AppointmentID,
		Offset: n.Offset, Due: at(n.Due), Deadline: at(n.Deadline), Created: at(n.CreatedAt), Sent: at(n.SentAt), Attempts: n.Attempts,
		Destination: n.Destination, Subject: n.Subject, Body: n.Body, Segments: n.Segments, AsksReply: n.AsksReply,
		Provider: n.Provider, ProviderID: n.ProviderID, ProviderStatus: n.ProviderStatus, Outbox: n.Provider == providerOutbox, Zone: loc.String(),
		Decisions: decisionRows(f, det.Decisions), CarriedBy: n.GroupID != 0, Carrying: n.GroupID == 0 && len(det.Members) > 0}
	if appt.ID != 0 {
		page.Appointment = at(appt.Start)
	}
	for _, e := range det.Events {
		page.Events = append(page.Events, eventRow{At: at(e.At), State: e.State, StateLabel: stateLabel(e.State), Reason: e.Reason})
	}
	ids := []clinic.PatientID{n.PatientID}
	for _, m := range det.Members {
		ids = append(ids, m.PatientID)
	}
	names, err := d.patientNamesOf(ctx, f.Org.ID, ids)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	page.Patient = names[n.PatientID]
	for _, m := range det.Members {
		page.Members = append(page.Members, rowOf(f, m, names[m.PatientID]))
	}
	d.send(w, r, reply{Page: "notification", View: view{Title: "Message", Header: f.header(r, "notifications"), Data: page}})
}
