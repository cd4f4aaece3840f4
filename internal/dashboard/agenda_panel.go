package dashboard

import (
	"net/http"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// agendaPanel answers the panel of one appointment of the agenda grid, an HTML fragment
// (GET /agenda/appointments/{id}?next=PATH&view=day|week): its patient, reason, and the
// status buttons, Move and Cancel the user's role allows, whose forms return to next (the
// grid it was opened from, with the appointment opened). static/agenda.js loads it into the
// appointment's block when it is opened, so the grid need not carry every appointment's
// forms; without JavaScript the block's link opens the grid's own page with ?open=ID. In
// the week (view=week) Move returns to next too and htmx swaps #week after a status button;
// in the day, Move goes to the appointment's new day and htmx swaps #agenda. Another
// organisation's appointment is not found. The patient shown is audited as
// "appointment.read".
func (d *Dashboard) agendaPanel(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	week := r.URL.Query().Get("view") == "week"
	var f frame
	var appt agendaAppointment
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		a, err := tx.Appointments().Appointment(ctx, f.Org.ID, clinic.AppointmentID(id))
		if err != nil {
			return err
		}
		loc, err := appointmentZone(ctx, tx, a)
		if err != nil {
			return err
		}
		ps, err := tx.Patients().PatientsByIDs(ctx, f.Org.ID, []clinic.PatientID{a.PatientID})
		if err != nil {
			return err
		}
		reason, err := tx.Directory().Reason(ctx, f.Org.ID, a.ReasonID)
		if err != nil {
			return err
		}
		what := span(a.Start, a.End, loc)
		next := localPath(r.URL.Query().Get("next"), dayPath(a.Start, loc))
		acts := actionsFor(a, d.dayOf(a, loc), f.Actor, next, what, true)
		acts.Target, acts.MoveNext = "#agenda", ""
		if week {
			acts.Target, acts.MoveNext = "#week", next
		}
		appt = agendaAppointment{ID: a.ID, Time: what, Start: a.Start.In(loc).Format("15:04"), PatientID: a.PatientID,
			Patient: ps[a.PatientID].FullName(), Reason: reason.Name, Status: a.Status, StatusLabel: statusLabel(a.Status),
			Active: a.Status.Active(), Online: a.BookedBy == clinic.BookedByPatient, Actions: acts, Acts: len(acts.Statuses) > 0 || acts.Move || acts.Cancel, Open: true}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{
		Page:  "agenda",
		Block: "agenda-panel",
		View:  view{Title: "Agenda", Header: f.header(r, "agenda"), Data: appt},
		Audit: []audit{{"appointment.read", []clinic.PatientID{appt.PatientID}}},
	})
}
