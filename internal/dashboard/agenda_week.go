package dashboard

import (
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
)

// weekPage is the data of templates/week.html.
type weekPage struct {
	NoClinic   bool
	Clinic     string
	Zone       string
	Monday     string // YYYY-MM-DD
	Label      string // "30 March – 5 April 2026"
	IsThisWeek bool
	// The navigation's links keep the agenda and the reason chosen.
	PrevLink, NextLink, ThisWeekLink string
	// Agendas is the agenda picker; AgendaID the agenda shown (0 when the clinic has none).
	Agendas  []option
	AgendaID clinic.AgendaID
	Agenda   string
	Inactive bool
	Count    int // active appointments of the week
	CanBook  bool
	Reasons  []option
	ReasonID clinic.ReasonID
	Reason   string
	Offers   bool // the agenda offers the chosen reason
	Grid     grid
}

// weekQuery is what the week view shows besides its week: the agenda and the reason whose
// free starts are bookable.
type weekQuery struct {
	agenda clinic.AgendaID
	reason clinic.ReasonID
	open   clinic.AppointmentID // the appointment opened, not kept by the links
}

func (q weekQuery) link(date string) string {
	v := url.Values{"date": {date}}
	setID(v, "agenda_id", int64(q.agenda))
	setID(v, "reason_id", int64(q.reason))
	return "/agenda/week?" + v.Encode()
}

// agendaWeek shows the week (Monday to Sunday) holding a date of one agenda of the current
// clinic as a time grid (GET /agenda/week?date=YYYY-MM-DD&agenda_id=&reason_id=, default
// today and the clinic's first agenda): a column per day, rows at five minutes over the
// week's working hours and whatever is booked outside them, a closed day with nothing
// booked collapsed to a narrow column, the appointments sized by their times, each opening
// to its patient and actions; with a reason chosen its free starts are "Book" links. An
// appointment is moved by its Move link (the move form lists the free times), or with
// JavaScript by dragging it to a free time of the grid, which asks to confirm and posts the
// same move form. Days run from local midnight to the next, so a DST week has 167 or 169
// hours; the days share rows by wall clock. The patients shown are audited as
// "appointment.list".
func (d *Dashboard) agendaWeek(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var day time.Time
	var bad []error
	if s := r.URL.Query().Get("date"); s != "" {
		t, ok := walltime.ParseDay(s)
		if !ok {
			bad = append(bad, clinic.Invalid("date", walltime.DateReason))
		}
		day = t
	}
	agendaID, err := queryID(r, "agenda_id")
	reasonID, err2 := queryID(r, "reason_id")
	open, err3 := queryID(r, "open")
	if err := joinInvalid(append(bad, err, err2, err3)...); err != nil {
		d.fail(w, r, err)
		return
	}
	q := weekQuery{agenda: clinic.AgendaID(agendaID), reason: clinic.ReasonID(reasonID), open: clinic.AppointmentID(open)}
	var f frame
	var page weekPage
	var shown []clinic.PatientID
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if f.Clinic.ID == 0 {
			page.NoClinic = true
			return nil
		}
		page, shown, err = d.loadWeek(r, tx, f, day, q)
		return err
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{
		Page:  "week",
		View:  view{Title: "Week", Header: f.header(r, "week"), Data: page},
		Audit: []audit{{"appointment.list", shown}},
	})
}

// loadWeek reads and lays out the week holding day (zero: today) of q's agenda.
func (d *Dashboard) loadWeek(r *http.Request, tx *store.Tx, f frame, day time.Time, q weekQuery) (weekPage, []clinic.PatientID, error) {
	ctx := r.Context()
	now := d.now()
	todayDate := today(now, f.Loc)
	if day.IsZero() {
		day = todayDate
	}
	monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
	sunday := monday.AddDate(0, 0, 6)
	from, _ := dayBounds(monday, f.Loc)
	_, to := dayBounds(sunday, f.Loc)
	page := weekPage{
		Clinic: f.Clinic.Name, Zone: f.Clinic.Zone, Monday: monday.Format(time.DateOnly), Label: weekLabel(monday, sunday),
		IsThisWeek: !todayDate.Before(monday) && !todayDate.After(sunday), CanBook: f.Actor.Role.Can(clinic.PermWriteSchedule),
		ReasonID: q.reason,
	}
	// One agenda's appointments are read: the one asked for, else the clinic's first active
	// one. The picker lists the active agendas, and the one shown if it is not.
	var shownAgendas []clinic.Agenda
	sched, err := loadSchedule(ctx, tx, f, from, to, func(agendas []clinic.Agenda) (clinic.AgendaID, error) {
		i := slices.IndexFunc(agendas, func(a clinic.Agenda) bool { return a.ID == q.agenda })
		switch {
		case i < 0 && q.agenda != 0:
			return 0, clinic.Invalid("agenda_id", "is not an agenda of this clinic")
		case i < 0:
			if i = slices.IndexFunc(agendas, func(a clinic.Agenda) bool { return a.Active }); i < 0 {
				return -1, nil // no active agenda: nothing to show
			}
		}
		shownAgendas = agendas[i : i+1]
		return agendas[i].ID, nil
	})
	if err != nil {
		return page, nil, err
	}
	if len(shownAgendas) > 0 {
		a := shownAgendas[0]
		q.agenda, page.AgendaID, page.Agenda, page.Inactive = a.ID, a.ID, a.Name, !a.Active
	}
	for _, a := range sched.agendas {
		if a.Active || a.ID == q.agenda {
			page.Agendas = append(page.Agendas, option{Value: int64(a.ID), Label: a.Name, Selected: a.ID == q.agenda})
		}
	}
	if err := sched.focus(ctx, tx, f, shownAgendas, from, to); err != nil {
		return page, nil, err
	}
	reasons, reason, err := pickReason(ctx, tx, f, q.reason, &page.Reasons, page.CanBook)
	if err != nil {
		return page, nil, err
	}
	page.Reason = reason.Name
	// The links keep the agenda when the user chose one; the default is the first anyway.
	link := q
	if r.URL.Query().Get("agenda_id") == "" {
		link.agenda = 0
	}
	page.PrevLink, page.NextLink = link.link(monday.AddDate(0, 0, -7).Format(time.DateOnly)), link.link(monday.AddDate(0, 0, 7).Format(time.DateOnly))
	page.ThisWeekLink = link.link(todayDate.Format(time.DateOnly))
	next := link.link(page.Monday)
	page.Grid = grid{ID: "week", ReasonID: q.reason, Reason: reason.Name, Week: true, CanMove: page.CanBook, Next: next}
	if len(shownAgendas) == 0 {
		return page, sched.shown, nil
	}
	a := shownAgendas[0]
	days := make([]gridDay, 7)
	var srcs []*columnSource
	for i := range days {
		date := monday.AddDate(0, 0, i)
		days[i] = newGridDay(date, f.Loc)
		src := sched.column(&days[i], a, f, apptView{here: next, open: q.open, actions: func(x clinic.Appointment, what, next string) apptActions {
			ac := actionsFor(x, d.dayOf(x, f.Loc), f.Actor, next, what, true)
			ac.Target = "#week"
			return ac
		}})
		src.col.Key = "d" + src.col.Date
		src.col.Today = date.Equal(todayDate)
		src.col.Collapsed = src.col.Closed && len(src.appts) == 0
		page.Count += src.col.Count
		srcs = append(srcs, src)
	}
	var size time.Duration
	if page.CanBook && reason.ID != 0 {
		size = reason.Duration
		if slices.Contains(reason.AgendaIDs, a.ID) && a.Active {
			if err := d.freeStarts(r, tx, f, reason.ID, []clinic.AgendaID{a.ID}, from, to, srcs); err != nil {
				return page, nil, err
			}
		}
		page.Offers = srcs[0].col.Offers
	}
	layout(&page.Grid, srcs, gridOptions{step: gridStep(f.Clinic.Rules, reasons, reason.ID), now: now, loc: f.Loc, reason: size, drop: page.CanBook})
	return page, sched.shown, nil
}

// weekLabel names a week by its first and last day: "30 March – 5 April 2026", or
// "29 December 2025 – 4 January 2026" across a new year.
func weekLabel(monday, sunday time.Time) string {
	switch {
	case monday.Year() != sunday.Year():
		return monday.Format("2 January 2006") + " – " + sunday.Format("2 January 2006")
	case monday.Month() != sunday.Month():
		return monday.Format("2 January") + " – " + sunday.Format("2 January 2006")
	}
	return monday.Format("2") + " – " + sunday.Format("2 January 2006")
}
