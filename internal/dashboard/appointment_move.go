package dashboard

import (
	"context"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
	"github.com/tidings-health/tidings/internal/web"
)

// movePage is the data of templates/move.html.
type movePage struct {
	ID          clinic.AppointmentID
	Version     int64
	PatientID   clinic.PatientID
	Patient     string
	Reason      string
	Agenda      string
	Current     string // "Wednesday 8 April 2026, 09:00–09:15 AEST"
	StatusLabel string
	Movable     bool
	Zone        string
	Date        string // the day typed, and whose free times are listed
	DateLabel   string
	Time        string // HH:MM typed
	Agendas     []option
	Free        []moveFree
	Next        string // where the form returns; "" for the new day
	Back        string
	Message     string
	Fields      []clinic.FieldError
	// Confirm asks to confirm a typed time outside the agenda's working hours or off its
	// grid (booking.HoursError); its "Move anyway" button sends the form again with it.
	Confirm *bookConfirm
}

// moveFree is one agenda's free times on the day shown.
type moveFree struct {
	AgendaID clinic.AgendaID
	Name     string
	Slots    []freeSlot
}

// moveInput is what the move form holds.
type moveInput struct {
	Date, Time string
	AgendaID   int64
	Next       string
}

// appointmentMove shows the form that moves an appointment
// (GET /appointments/{id}/move?date=YYYY-MM-DD&next=PATH): a new day and time typed in the
// clinic's local time and an agenda, or one of the day's free times picked. The patient
// shown is audited as "appointment.read".
func (d *Dashboard) appointmentMove(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	in := moveInput{Date: q.Get("date"), Next: q.Get("next")}
	if in.Date != "" {
		if _, ok := walltime.ParseDay(in.Date); !ok {
			d.fail(w, r, clinic.Invalid("date", walltime.DateReason))
			return
		}
	}
	d.showMove(w, r, in, http.StatusOK, nil)
}

// showMove renders the move form for the appointment of the path, with the refusal of a
// failed move (409: a message, or the confirmation the use case asks for; 422: the fields)
// or none.
func (d *Dashboard) showMove(w http.ResponseWriter, r *http.Request, in moveInput, status int, refusal error) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var page movePage
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if page, err = d.loadMove(ctx, tx, f, clinic.AppointmentID(id), in); err != nil {
			return err
		}
		page.Confirm, err = confirmOf(ctx, tx, f, refusal)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	if _, msg := moveStatus(refusal); page.Confirm == nil {
		page.Message = msg
	}
	page.Fields = clinic.FieldsOf(refusal)
	d.send(w, r, reply{
		Status: status,
		Page:   "move",
		View:   view{Title: "Move an appointment", Header: f.header(r, "agenda"), Data: page},
		Audit:  []audit{{"appointment.read", []clinic.PatientID{page.PatientID}}},
	})
}

// loadMove reads the appointment, its patient's name and the free times of its reason on
// the day in.Date (default: the appointment's day) on every agenda offering it.
func (d *Dashboard) loadMove(ctx context.Context, tx *store.Tx, f frame, id clinic.AppointmentID, in moveInput) (movePage, error) {
	var page movePage
	org := f.Org.ID
	x, err := loadApptFacts(ctx, tx, org, id)
	if err != nil {
		return page, err
	}
	a, loc, reason, current := x.A, x.Loc, x.Reason, x.Agenda
	start := a.Start.In(loc)
	page = movePage{
		ID: a.ID, Version: a.Version, PatientID: a.PatientID, Patient: x.Patient, Reason: reason.Name,
		Agenda: current.Name, Current: x.when(f),
		StatusLabel: statusLabel(a.Status), Movable: a.Status.Upcoming(), Zone: loc.String(),
		Date: in.Date, Time: in.Time, Next: localPath(in.Next, ""),
	}
	page.Back = localPath(in.Next, dayPath(a.Start, loc))
	day, err := time.Parse(time.DateOnly, in.Date)
	if err != nil {
		day = today(a.Start, loc)
		if page.Date == "" {
			page.Date = day.Format(time.DateOnly)
		}
	}
	if page.Time == "" && in.Date == "" {
		page.Time = start.Format("15:04")
	}
	page.DateLabel = day.Format("Monday 2 January 2006")
	selected := clinic.AgendaID(in.AgendaID)
	if selected == 0 {
		selected = a.AgendaID
	}
	offering, err := tx.Schedule().AgendasOffering(ctx, org, reason.ID)
	if err != nil {
		return page, err
	}
	seen := false
	agendaNames := map[clinic.AgendaID]string{}
	for _, g := range offering {
		agendaNames[g.ID] = g.Name
		seen = seen || g.ID == current.ID
		page.Agendas = append(page.Agendas, option{Value: int64(g.ID), Label: g.Name, Selected: g.ID == selected})
	}
	if !seen {
		page.Agendas = append([]option{{Value: int64(current.ID), Label: current.Name, Selected: current.ID == selected}}, page.Agendas...)
	}
	if !page.Movable || len(offering) == 0 {
		return page, nil
	}
	from, to := dayBounds(day, loc)
	av, err := d.booking.AvailabilityTx(ctx, tx, org, booking.Query{ReasonID: reason.ID, From: from, To: to})
	if err != nil {
		return page, err
	}
	for _, as := range av.Agendas {
		page.Free = append(page.Free, moveFree{AgendaID: as.AgendaID, Name: agendaNames[as.AgendaID], Slots: slotList(as.Slots, loc, "")})
	}
	return page, nil
}

// moveStatus is the answer status of a refused move, for showMove.
func moveStatus(err error) (int, string) {
	status := web.Status(err)
	if status == http.StatusConflict {
		return status, conflictMessage(err)
	}
	return status, ""
}
