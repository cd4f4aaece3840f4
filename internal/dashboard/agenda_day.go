package dashboard

import (
	"context"
	"html"
	"html/template"
	"net/http"
	"net/url"
	"slices"
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
	IsToday   bool
	// The navigation's links keep the reason, the practitioner and the agenda chosen.
	PrevLink, NextLink, TodayLink, WeekLink string
	// CanBook shows the reason picker and the chosen reason's free starts as "Book" links.
	CanBook  bool
	Reasons  []option
	ReasonID clinic.ReasonID // the reason whose free starts are shown; 0 for none
	Reason   string
	// Practitioners is the practitioner filter (every practitioner with an agenda here);
	// PractitionerID the one chosen, 0 for all.
	Practitioners  []option
	PractitionerID clinic.PractitionerID
	// Agendas picks the one column a phone shows (AgendaID).
	Agendas  []option
	AgendaID clinic.AgendaID
	Grid     grid
}

// agendaAppointment is one appointment as the grid shows it.
type agendaAppointment struct {
	ID          clinic.AppointmentID
	Time        string // "09:00–09:15"
	Start       string // "09:00"
	PatientID   clinic.PatientID
	Patient     string
	Reason      string
	Status      clinic.Status
	StatusLabel string
	Active      bool // holds its slot (not cancelled, not an excused absence)
	Online      bool // the patient booked it in the portal (POR-8: marked "booked online")
	Actions     apptActions
	Acts        bool // Actions offers something
	// Open: the appointment opened (?open=ID), whose status buttons, Move and Cancel are
	// shown; the others link to their opened page (OpenAttrs), and static/agenda.js loads
	// their panel (agendaPanel) into the block when it is opened. A day of ten agendas has
	// hundreds of appointments, and every form of each would make the page several times
	// larger and slower to render.
	Open bool
	// Attrs are the block's attributes, built here from ids and numbers only: id,
	// data-appointment-id, and, when the user may move it, data-move and data-version for
	// static/agenda.js. OpenAttrs is the href of its opened page. One value each rather than
	// several interpolations: they are rendered hundreds of times per page.
	Attrs, OpenAttrs template.HTMLAttr
}

// attrs sets a's attributes (Attrs, OpenAttrs): open is the grid's page with it opened.
// static/agenda.js loads the panel (agendaPanel) of the link marked data-actions, returning
// to its href.
func (a *agendaAppointment) attrs(open string) {
	id := strconv.FormatInt(int64(a.ID), 10)
	s := `id="appt-` + id + `" data-appointment-id="` + id + `"`
	if a.Actions.Move {
		s += ` data-move data-version="` + strconv.FormatInt(a.Actions.Version, 10) + `"`
	}
	a.Attrs = template.HTMLAttr(s)
	a.OpenAttrs = template.HTMLAttr(`href="` + html.EscapeString(open+"#appt-"+id) + `" data-actions`)
}

// freeSlot is one free start time: Label in the clinic's zone, Value the instant (RFC 3339,
// UTC) that the booking form receives.
type freeSlot struct {
	Label   string
	Value   string
	Checked bool
}

// dayQuery is what the day view shows besides its date: the reason whose free starts are
// bookable, the practitioner filter and the column a phone shows. Its links keep them.
type dayQuery struct {
	reason       clinic.ReasonID
	practitioner clinic.PractitionerID
	agenda       clinic.AgendaID
	open         clinic.AppointmentID // the appointment opened, not kept by the links
}

// link is the day view of date with q.
func (q dayQuery) link(date string) string {
	v := url.Values{"date": {date}}
	setID(v, "reason_id", int64(q.reason))
	setID(v, "practitioner_id", int64(q.practitioner))
	setID(v, "agenda_id", int64(q.agenda))
	return "/agenda?" + v.Encode()
}

func setID(v url.Values, key string, id int64) {
	if id != 0 {
		v.Set(key, strconv.FormatInt(id, 10))
	}
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

// agendaDay shows one day of the current clinic as a time grid
// (GET /agenda?date=YYYY-MM-DD&reason_id=&practitioner_id=&agenda_id=, default today in the
// clinic's zone): a column per agenda (the chosen practitioner's only, with a filter), rows
// at five minutes over the day's working hours and whatever is booked outside them, the
// appointments placed and sized by their times, coloured and labelled by status, each
// opening to its patient, status buttons, Move and Cancel as the user's role allows; free
// time, closed days, exceptions and absences shaded with their labels, a line at the
// current time today, and with a reason chosen its free starts as "Book" links. A phone
// shows one column, chosen by agenda_id. The day runs from local midnight to the next, so
// a DST day has 23 or 25 hours, the repeated hour shown twice. The patients shown are
// audited as "appointment.list".
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
	practitionerID, err2 := queryID(r, "practitioner_id")
	agendaID, err3 := queryID(r, "agenda_id")
	open, err4 := queryID(r, "open")
	if err := joinInvalid(append(bad, err, err2, err3, err4)...); err != nil {
		d.fail(w, r, err)
		return
	}
	q := dayQuery{reason: clinic.ReasonID(reasonID), practitioner: clinic.PractitionerID(practitionerID), agenda: clinic.AgendaID(agendaID),
		open: clinic.AppointmentID(open)}
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
		page, shown, err = d.loadDay(r, tx, f, day, q)
		return err
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

// loadDay reads and lays out the day view of day (zero: today) in f's clinic.
func (d *Dashboard) loadDay(r *http.Request, tx *store.Tx, f frame, day time.Time, q dayQuery) (agendaPage, []clinic.PatientID, error) {
	ctx := r.Context()
	now := d.now()
	todayDate := today(now, f.Loc)
	if day.IsZero() {
		day = todayDate
	}
	date := day.Format(time.DateOnly)
	from, to := dayBounds(day, f.Loc)
	page := agendaPage{
		Clinic: f.Clinic.Name, Zone: f.Clinic.Zone, Date: date, DateLabel: day.Format("Monday 2 January 2006"),
		IsToday: day.Equal(todayDate), CanBook: f.Actor.Role.Can(clinic.PermWriteSchedule),
		ReasonID: q.reason, PractitionerID: q.practitioner,
	}
	sched, err := loadSchedule(ctx, tx, f, from, to, nil)
	if err != nil {
		return page, nil, err
	}
	agendas := sched.shownAgendas()
	// The practitioner filter lists every practitioner with a column here.
	ps, err := all(func(p store.Page) ([]clinic.Practitioner, error) {
		return tx.Directory().Practitioners(ctx, f.Org.ID, p)
	},
		func(p clinic.Practitioner) int64 { return int64(p.ID) })
	if err != nil {
		return page, nil, err
	}
	known := false
	for _, p := range ps {
		if !slices.ContainsFunc(agendas, func(a clinic.Agenda) bool { return a.PractitionerID != nil && *a.PractitionerID == p.ID }) {
			continue
		}
		known = known || p.ID == q.practitioner
		page.Practitioners = append(page.Practitioners, option{Value: int64(p.ID), Label: p.Name, Selected: p.ID == q.practitioner})
	}
	if q.practitioner != 0 {
		if !known {
			return page, nil, clinic.Invalid("practitioner_id", "is not a practitioner with an agenda at this clinic")
		}
		agendas = slices.DeleteFunc(agendas, func(a clinic.Agenda) bool {
			return a.PractitionerID == nil || *a.PractitionerID != q.practitioner
		})
	}
	// The column a phone shows: the one asked for, else the first.
	if !slices.ContainsFunc(agendas, func(a clinic.Agenda) bool { return a.ID == q.agenda }) {
		q.agenda = 0
		if len(agendas) > 0 {
			q.agenda = agendas[0].ID
		}
	}
	page.AgendaID = q.agenda
	for _, a := range agendas {
		page.Agendas = append(page.Agendas, option{Value: int64(a.ID), Label: a.Name, Selected: a.ID == q.agenda})
	}
	if err := sched.focus(ctx, tx, f, agendas, from, to); err != nil {
		return page, nil, err
	}
	reasons, reason, err := pickReason(ctx, tx, f, q.reason, &page.Reasons, page.CanBook)
	if err != nil {
		return page, nil, err
	}
	page.Reason = reason.Name
	// The links keep the filters; a phone's column only when the user chose one.
	link := q
	link.agenda = clinic.AgendaID(0)
	if r.URL.Query().Get("agenda_id") != "" {
		link.agenda = q.agenda
	}
	page.PrevLink, page.NextLink = link.link(day.AddDate(0, 0, -1).Format(time.DateOnly)), link.link(day.AddDate(0, 0, 1).Format(time.DateOnly))
	page.TodayLink = link.link(todayDate.Format(time.DateOnly))
	wv := url.Values{"date": {date}}
	setID(wv, "reason_id", int64(q.reason))
	setID(wv, "agenda_id", int64(q.agenda))
	page.WeekLink = "/agenda/week?" + wv.Encode()
	next := link.link(date)

	gd := newGridDay(day, f.Loc)
	var srcs []*columnSource
	for _, a := range agendas {
		src := sched.column(&gd, a, f, apptView{here: next, open: q.open, actions: func(x clinic.Appointment, what, next string) apptActions {
			ac := actionsFor(x, d.dayOf(x, f.Loc), f.Actor, next, what, true)
			ac.Target, ac.MoveNext = "#agenda", ""
			return ac
		}})
		src.col.Phone = a.ID == q.agenda
		src.col.Today = page.IsToday
		srcs = append(srcs, src)
	}
	var size time.Duration
	if page.CanBook && reason.ID != 0 {
		size = reason.Duration
		if err := d.freeStarts(r, tx, f, reason.ID, nil, from, to, srcs); err != nil {
			return page, nil, err
		}
	}
	page.Grid = grid{ID: "agenda", ReasonID: page.ReasonID, Reason: page.Reason, CanMove: page.CanBook, Next: next}
	layout(&page.Grid, srcs, gridOptions{step: gridStep(f.Clinic.Rules, reasons, reason.ID), now: now, loc: f.Loc, reason: size, drop: page.CanBook})
	return page, sched.shown, nil
}

// pickReason reads the reasons of f's clinic, returns them and the one chosen (zero for
// none), and fills the reason picker with them when offer (the user may book). A reason of
// another clinic is refused naming reason_id.
func pickReason(ctx context.Context, tx *store.Tx, f frame, id clinic.ReasonID, opts *[]option, offer bool) ([]clinic.Reason, clinic.Reason, error) {
	var chosen clinic.Reason
	reasons, err := clinicReasons(ctx, tx, f.Org.ID, f.Clinic.ID)
	if err != nil {
		return nil, chosen, err
	}
	for _, x := range reasons {
		if x.ID == id {
			chosen = x
		}
		if offer {
			*opts = append(*opts, option{Value: int64(x.ID), Label: x.Name, Selected: x.ID == id})
		}
	}
	if id != 0 && chosen.ID == 0 {
		return nil, chosen, clinic.Invalid("reason_id", "is not a consultation reason of this clinic")
	}
	return reasons, chosen, nil
}

// freeStarts sets each column's free starts of reason in [from, to) (on agendas only, when
// given: the agenda must offer it) and marks the columns whose agenda offers it. Staff see
// every free start from now on, as the booking form offers them.
func (d *Dashboard) freeStarts(r *http.Request, tx *store.Tx, f frame, reason clinic.ReasonID, agendas []clinic.AgendaID,
	from, to time.Time, srcs []*columnSource) error {
	av, err := d.booking.AvailabilityTx(r.Context(), tx, f.Org.ID, booking.Query{ReasonID: reason, AgendaIDs: agendas, From: from, To: to})
	if err != nil {
		return err
	}
	for _, as := range av.Agendas {
		for _, src := range srcs {
			if src.col.AgendaID != as.AgendaID {
				continue
			}
			src.col.Offers = true
			for _, s := range as.Slots {
				if !s.Before(src.day.start) && s.Before(src.day.end) {
					src.slots = append(src.slots, s)
				}
			}
		}
	}
	return nil
}

// dayLink is the day view of date, with the reason whose free slots it shows.
func dayLink(date string, reason clinic.ReasonID) string {
	return dayQuery{reason: reason}.link(date)
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
