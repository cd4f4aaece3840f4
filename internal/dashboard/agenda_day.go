package dashboard

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
)

// agendaPage is the data of templates/agenda.html.
type agendaPage struct {
	NoClinic  bool
	Clinic    string
	Zone      string // the clinic's IANA zone, for the caption
	Date      string // YYYY-MM-DD, the day shown
	DateLabel string // "Sunday 5 April 2026"
	Prev      string
	Next      string
	Today     string
	IsToday   bool
	Columns   []agendaColumn
	// CanBook shows the reason picker and each agenda's free slots as "Book" links.
	CanBook  bool
	Reasons  []option
	ReasonID clinic.ReasonID // the reason whose free slots are shown; 0 for none
	Reason   string
}

type agendaColumn struct {
	ID           clinic.AgendaID
	Name         string
	Inactive     bool // shown only because it holds appointments that day
	Appointments []agendaAppointment
	Offers       bool       // offers the chosen reason
	Slots        []freeSlot // its free start times for the chosen reason
}

type agendaAppointment struct {
	ID          clinic.AppointmentID
	Time        string
	PatientID   clinic.PatientID
	Patient     string
	Reason      string
	Status      clinic.Status
	StatusLabel string
	Active      bool // holds its slot (not cancelled, not an excused absence)
	Actions     apptActions
}

// freeSlot is one free start time: Label in the clinic's zone, Value the instant (RFC 3339,
// UTC) that the booking form receives.
type freeSlot struct {
	Label   string
	Value   string
	Checked bool
}

// agendaDay shows one day of the current clinic (GET /agenda?date=YYYY-MM-DD&reason_id=ID,
// default today in the clinic's zone): a column per active agenda, appointments in time
// order, each with the status, Move and Cancel buttons the user's role allows. With a reason
// chosen, each agenda offering it lists its free start times that day as "Book" links. The
// day runs from local midnight to the next local midnight, so a DST day has 23 or 25 hours.
// The patients shown are audited as "appointment.list".
func (d *Dashboard) agendaDay(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var day time.Time // civil date at 00:00 UTC, zone-free
	var bad []error
	if s := r.URL.Query().Get("date"); s != "" {
		t, ok := walltime.ParseDay(s)
		if !ok {
			bad = append(bad, clinic.Invalid("date", walltime.DateReason))
		}
		day = t
	}
	reasonID, err := queryID(r, "reason_id")
	if err := joinInvalid(append(bad, err)...); err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var page agendaPage
	var shown []clinic.PatientID
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if f.Clinic.ID == 0 {
			page.NoClinic = true
			return nil
		}
		now := today(d.now(), f.Loc)
		if day.IsZero() {
			day = now
		}
		from, to := dayBounds(day, f.Loc)
		page = agendaPage{
			Clinic: f.Clinic.Name, Zone: f.Clinic.Zone,
			Date: day.Format(time.DateOnly), DateLabel: day.Format("Monday 2 January 2006"),
			Prev: day.AddDate(0, 0, -1).Format(time.DateOnly), Next: day.AddDate(0, 0, 1).Format(time.DateOnly),
			Today: now.Format(time.DateOnly), IsToday: day.Equal(now),
			CanBook: f.Actor.Role.Can(clinic.PermWriteSchedule), ReasonID: clinic.ReasonID(reasonID),
		}
		sched, err := loadSchedule(ctx, tx, f, from, to)
		if err != nil {
			return err
		}
		shown = sched.shown
		next := dayLink(page.Date, page.ReasonID)
		page.Columns = sched.columns(f, func(a clinic.Appointment, what string) apptActions {
			x := actionsFor(a, f.Actor, next, what, true)
			x.Target, x.MoveNext = "#agenda", ""
			return x
		})
		if !page.CanBook {
			return nil
		}
		return d.freeSlots(r, tx, f, &page, from, to)
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{
		Page:  "agenda",
		View:  view{Title: "Agenda", Header: f.header(r, "agenda"), Data: page},
		Audit: []audit{{"appointment.list", shown}},
	})
}

// dayLink is the day view of date, with the reason whose free slots it shows.
func dayLink(date string, reason clinic.ReasonID) string {
	q := url.Values{"date": {date}}
	if reason != 0 {
		q.Set("reason_id", strconv.FormatInt(int64(reason), 10))
	}
	return "/agenda?" + q.Encode()
}

// freeSlots fills the reason picker of the day view and, with a reason chosen, each
// column's free start times in [from, to). A reason of another clinic is refused.
func (d *Dashboard) freeSlots(r *http.Request, tx *store.Tx, f frame, page *agendaPage, from, to time.Time) error {
	ctx := r.Context()
	reasons, err := clinicReasons(ctx, tx, f.Org.ID, f.Clinic.ID)
	if err != nil {
		return err
	}
	known := false
	for _, x := range reasons {
		sel := x.ID == page.ReasonID
		known = known || sel
		if sel {
			page.Reason = x.Name
		}
		page.Reasons = append(page.Reasons, option{Value: int64(x.ID), Label: x.Name, Selected: sel})
	}
	if page.ReasonID == 0 {
		return nil
	}
	if !known {
		return clinic.Invalid("reason_id", "is not a consultation reason of this clinic")
	}
	av, err := d.booking.AvailabilityTx(ctx, tx, f.Org.ID, booking.Query{ReasonID: page.ReasonID, From: from, To: to})
	if err != nil {
		return err
	}
	index := map[clinic.AgendaID]int{}
	for i, c := range page.Columns {
		index[c.ID] = i
	}
	for _, as := range av.Agendas {
		i, ok := index[as.AgendaID]
		if !ok {
			continue
		}
		page.Columns[i].Offers = true
		page.Columns[i].Slots = slotList(as.Slots, f.Loc, "")
	}
	return nil
}

// slotList shows free start times in loc; the one equal to checked (RFC 3339) is selected.
func slotList(slots []time.Time, loc *time.Location, checked string) []freeSlot {
	out := make([]freeSlot, 0, len(slots))
	for _, s := range slots {
		v := s.UTC().Format(time.RFC3339)
		out = append(out, freeSlot{Label: s.In(loc).Format("15:04"), Value: v, Checked: v == checked})
	}
	return out
}

// agendaColumns lays appointments (in time order) into a column per active agenda, in id
// order. An inactive agenda gets a column only when it holds appointments that day, so that
// nothing booked is hidden. actions gives each appointment its buttons.
func agendaColumns(agendas []clinic.Agenda, appts []clinic.Appointment, n names, patients map[clinic.PatientID]string,
	loc *time.Location, actions func(a clinic.Appointment, what string) apptActions) []agendaColumn {
	var cols []agendaColumn
	index := map[clinic.AgendaID]int{}
	busy := map[clinic.AgendaID]bool{}
	for _, a := range appts {
		busy[a.AgendaID] = true
	}
	for _, a := range agendas {
		if a.Active || busy[a.ID] {
			index[a.ID] = len(cols)
			cols = append(cols, agendaColumn{ID: a.ID, Name: a.Name, Inactive: !a.Active})
		}
	}
	for _, a := range appts {
		i, ok := index[a.AgendaID]
		if !ok { // an agenda moved to another clinic since: still show what is booked here
			i = len(cols)
			index[a.AgendaID] = i
			cols = append(cols, agendaColumn{ID: a.AgendaID, Name: n.agendas[a.AgendaID], Inactive: true})
		}
		what := span(a.Start, a.End, loc)
		cols[i].Appointments = append(cols[i].Appointments, agendaAppointment{
			ID: a.ID, Time: what, PatientID: a.PatientID, Patient: patients[a.PatientID],
			Reason: n.reasons[a.ReasonID], Status: a.Status, StatusLabel: statusLabel(a.Status), Active: a.Status.Active(),
			Actions: actions(a, what),
		})
	}
	return cols
}
