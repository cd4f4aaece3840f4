package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/web"
)

// appointmentNotes bounds the notifications the appointment page lists, newest first (an
// appointment has a handful: its confirmation, reminders, notices of changes).
const appointmentNotes = 50

// appointmentPage is the data of templates/appointment.html.
type appointmentPage struct {
	ID           clinic.AppointmentID
	PatientID    clinic.PatientID
	Patient      string
	Clinic       string
	Agenda       string
	Practitioner string // "" for an agenda without one (a room's)
	Date         string // "Wednesday 8 April 2026"
	Time         string // "09:00–09:15 AEST"
	Duration     string // "15 min"
	Reason       string
	Note         string
	ExternalID   string
	Status       clinic.Status
	StatusLabel  string
	BookedBy     string // how: a label (bookedByLabel)
	BookedWho    actorName
	Zone         string
	History      []apptEvent
	// Notes are the notifications about the appointment, when the user may read them
	// (ShowNotes); each links to its page.
	ShowNotes bool
	Notes     []noteRow
	Actions   apptActions
	// NotYet says why the attendance buttons a person might look for are not offered: the
	// appointment's day has not come yet (attendance is recorded from it on).
	NotYet bool
	// WriteBack is where writing the appointment to the clinical software stands (SYN-5):
	// "" when its database takes none, else pending, sent or failed, with the software's
	// reason (or the last delivery error) in WriteBackWhy.
	WriteBack    string
	WriteBackWhy string
}

// apptEvent is one line of an appointment's history, its time in the clinic's zone.
type apptEvent struct {
	At          string
	Kind        string // store.EventKind: booked, rescheduled, cancelled, status
	StatusLabel string // the status set
	From        string // a move's previous start, in the clinic's zone
	Reason      cancelReasonText
	Who         actorName
	// Late: the patient cancelled online inside the clinic's late-cancellation fee window
	// (POR-3), for staff to assess the fee.
	Late bool
}

// actorName is who did something, in words: Key is a catalog key with the name as {0}
// ("API token {0}"), or "" when Name is shown as it is (a staff member's name).
type actorName struct {
	Key  string
	Name string
}

// appointmentShow shows one appointment (GET /appointments/{id}): its patient, agenda and
// practitioner, local date, time and length, reason, note, status, who booked it and how,
// its history with the person behind each change, the notifications about it, and the
// buttons of what the user may do now (booking.Actions: the status changes the status table
// allows today, Move, Cancel). Another organisation's appointment is "not found". The read
// is audited as "appointment.read"; the notifications are notify.List's, which audits them.
func (d *Dashboard) appointmentShow(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var page appointmentPage
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		page, err = d.loadAppointment(ctx, tx, f, clinic.AppointmentID(id))
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if page.ShowNotes {
		ns, err := d.notify.List(ctx, web.MustActor(ctx), store.NotificationFilter{PatientID: page.PatientID, AppointmentID: page.ID,
			Page: store.Page{Limit: appointmentNotes}})
		if err != nil {
			d.fail(w, r, err)
			return
		}
		for _, n := range ns {
			page.Notes = append(page.Notes, rowOf(f, n, ""))
		}
	}
	d.send(w, r, reply{
		Page:  "appointment",
		View:  view{Title: "Appointment", Header: f.header(r, "agenda"), Data: page},
		Audit: []audit{{"appointment.read", []clinic.PatientID{page.PatientID}}},
	})
}

// loadAppointment reads what the appointment page shows, in a fixed number of statements
// plus one per API token that changed it.
func (d *Dashboard) loadAppointment(ctx context.Context, tx *store.Tx, f frame, id clinic.AppointmentID) (appointmentPage, error) {
	var page appointmentPage
	org := f.Org.ID
	x, err := loadApptFacts(ctx, tx, org, id)
	if err != nil {
		return page, err
	}
	a, loc, ag := x.A, x.Loc, x.Agenda
	start := a.Start.In(loc)
	page = appointmentPage{
		ID: a.ID, PatientID: a.PatientID, Patient: x.Patient, Clinic: x.Clinic.Name, Agenda: ag.Name, Date: f.Locale.LongDate(start),
		Time: span(a.Start, a.End, loc) + " " + start.Format("MST"), Duration: minutesText(a.End.Sub(a.Start)), Reason: x.Reason.Name,
		Note: a.Note, ExternalID: a.ExternalID, Status: a.Status, StatusLabel: statusLabel(a.Status), BookedBy: bookedByLabel(a.BookedBy),
		Zone: loc.String(), ShowNotes: f.Actor.Can(clinic.PermReadPatients),
	}
	if ag.PractitionerID != nil {
		p, err := tx.Directory().Practitioner(ctx, org, *ag.PractitionerID)
		if err != nil && !errors.Is(err, clinic.ErrNotFound) {
			return page, err
		}
		page.Practitioner = p.Name
	}
	events, err := tx.Appointments().AppointmentEvents(ctx, org, a.ID)
	if err != nil {
		return page, err
	}
	who, err := actorNames(ctx, tx, org, a.PatientID, events)
	if err != nil {
		return page, err
	}
	for _, e := range events {
		ev := apptEvent{At: f.Locale.Stamp(e.At.In(loc)), Kind: string(e.Kind), StatusLabel: statusLabel(e.Status), Who: who[e.Actor]}
		if e.PreviousStart != nil {
			ev.From = f.Locale.Day(e.PreviousStart.In(loc)) + " " + e.PreviousStart.In(loc).Format("15:04")
		}
		if e.Kind == store.EventCancelled {
			ev.Reason, ev.Late = splitCancelReason(e.Reason), e.Late
		}
		if e.Kind == store.EventBooked && page.BookedWho == (actorName{}) {
			page.BookedWho = ev.Who
		}
		page.History = append(page.History, ev)
	}
	if wb, ok, err := tx.Sync().WriteBackOf(ctx, org, a.ID); err != nil {
		return page, err
	} else if ok {
		page.WriteBack, page.WriteBackWhy = wb.State, wb.LastError
	}
	day := d.dayOf(a, loc)
	page.Actions = actionsFor(a, day, f.Actor, appointmentPath(a.ID), span(a.Start, a.End, loc), true)
	page.NotYet = a.Status.Upcoming() && day == booking.BeforeTheDay && f.Actor.Can(clinic.PermSetStatus)
	return page, nil
}

// actorNames names the actors of events (their labels: "user:12", "token:3", "patient:9",
// "system:sync") in words: staff by name in one statement, each API token by its name, the
// appointment's own patient and a relative who booked for them by role (no other patient's
// name is shown), the clinical software's sync and the system's other work by what they are.
// An account removed since is shown by its label.
func actorNames(ctx context.Context, tx *store.Tx, org clinic.OrgID, patient clinic.PatientID, events []store.AppointmentEvent) (map[string]actorName, error) {
	out := map[string]actorName{}
	var users []clinic.UserID
	for _, e := range events {
		kind, idText, _ := strings.Cut(e.Actor, ":")
		n, err := strconv.ParseInt(idText, 10, 64)
		switch {
		case kind == "user" && err == nil:
			users = append(users, clinic.UserID(n))
		case kind == "token" && err == nil:
			if _, done := out[e.Actor]; done {
				continue
			}
			t, err := tx.Staff().Token(ctx, org, clinic.TokenID(n))
			switch {
			case errors.Is(err, clinic.ErrNotFound):
				out[e.Actor] = actorName{Name: e.Actor}
			case err != nil:
				return nil, err
			default:
				out[e.Actor] = actorName{Key: "API token {0}", Name: t.Name}
			}
		case kind == "patient" && err == nil && clinic.PatientID(n) == patient:
			out[e.Actor] = actorName{Key: "The patient, online"}
		case kind == "patient":
			out[e.Actor] = actorName{Key: "A relative, online"}
		case e.Actor == "system:sync":
			out[e.Actor] = actorName{Key: "The clinical software"}
		case kind == "system":
			out[e.Actor] = actorName{Key: "Tidings"}
		default:
			out[e.Actor] = actorName{Name: e.Actor}
		}
	}
	us, err := tx.Staff().UsersByIDs(ctx, org, users)
	if err != nil {
		return nil, err
	}
	for _, id := range users {
		label := "user:" + strconv.FormatInt(int64(id), 10)
		switch u, ok := us[id]; {
		case !ok:
			out[label] = actorName{Name: label}
		case u.Name != "":
			out[label] = actorName{Name: u.Name}
		default:
			out[label] = actorName{Name: u.Email}
		}
	}
	return out, nil
}
