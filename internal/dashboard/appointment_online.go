package dashboard

import (
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/staff"
	"github.com/tidings-health/tidings/internal/store"
)

// onlineLimit bounds the list of appointments booked online; the page says when the
// window holds more.
const onlineLimit = 200

// onlinePage is the data of templates/online.html.
type onlinePage struct {
	NoClinic bool
	Clinic   string
	Zone     string
	Days     int // the window, in days (onlineWindow)
	Limit    int
	// More: more appointments were booked online in the window than the page lists.
	More bool
	// AlertOff: the clinic's portal does not alert staff, so no header counts these.
	AlertOff bool
	Rows     []onlineRow
}

// onlineRow is one appointment a patient booked online.
type onlineRow struct {
	ID          clinic.AppointmentID
	Booked      string // when the patient booked it, in the clinic's zone
	When        string // the appointment's date and time, in the clinic's zone
	PatientID   clinic.PatientID
	Patient     string
	Agenda      string
	Reason      string
	Status      clinic.Status
	StatusLabel string
	// New: booked since the user last opened this page (what the header's alert counted).
	New bool
}

// appointmentOnline lists the current clinic's appointments patients booked in the portal
// over the last 14 days, the latest booked first (GET /appointments/online, the portal's
// staff alert, POR-1): when each was booked, its date and time, the patient, the agenda,
// the reason and its status now, each linking to the appointment, those booked since the
// user last looked marked new. Opening it records that the user has seen them up to now
// (staff.MarkOnlineSeen), which clears the header's alert of new online bookings for this
// clinic. The patients shown are audited as "appointment.online_list".
func (d *Dashboard) appointmentOnline(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var f frame
	var page onlinePage
	var shown []clinic.PatientID
	var read time.Time // the instant the list was read: what the user has now seen
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page = onlinePage{NoClinic: f.Clinic.ID == 0, Clinic: f.Clinic.Name, Zone: f.Loc.String(), Days: int(onlineWindow / (24 * time.Hour)), Limit: onlineLimit}
		if page.NoClinic {
			return nil
		}
		org, cl := f.Org.ID, f.Clinic.ID
		read = tx.Now
		set, ok, err := tx.Portal().PortalSettingsOf(ctx, org, cl)
		if err != nil {
			return err
		}
		page.AlertOff = !ok || !set.StaffAlert
		seen, err := tx.Staff().OnlineSeen(ctx, org, f.Actor.UserID, cl)
		if err != nil {
			return err
		}
		appts, err := tx.Appointments().OnlineBookings(ctx, org, cl, read.Add(-onlineWindow), onlineLimit+1)
		if err != nil {
			return err
		}
		if len(appts) > onlineLimit {
			appts, page.More = appts[:onlineLimit], true
		}
		if len(appts) == 0 {
			return nil
		}
		n, err := directoryNames(ctx, tx, org)
		if err != nil {
			return err
		}
		var patients map[clinic.PatientID]string
		if patients, shown, err = patientNames(ctx, tx, org, appts); err != nil {
			return err
		}
		for _, a := range appts {
			page.Rows = append(page.Rows, onlineRow{ID: a.ID, Booked: f.stamp(a.CreatedAt), When: f.stamp(a.Start), PatientID: a.PatientID,
				Patient: patients[a.PatientID], Agenda: n.agendas[a.AgendaID], Reason: n.reasons[a.ReasonID], Status: a.Status,
				StatusLabel: statusLabel(a.Status), New: a.CreatedAt.After(seen)})
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if !page.NoClinic && f.Actor.UserID != 0 {
		if err := staff.MarkOnlineSeen(ctx, d.db, f.Actor, f.Clinic.ID, read); err != nil {
			d.fail(w, r, err)
			return
		}
	}
	d.send(w, r, reply{
		Page:  "online",
		View:  view{Title: "Appointments booked online", Header: f.header(r, "online"), Data: page},
		Audit: []audit{{"appointment.online_list", shown}},
	})
}
