package dashboard

import (
	"net/http"
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
	Prev       string // the Monday before
	Next       string // the Monday after
	ThisWeek   string // today
	IsThisWeek bool
	Days       []weekDay
	Agendas    []weekAgenda
}

type weekDay struct {
	Date    string
	Label   string // "Mon 30 Mar"
	IsToday bool
}

type weekAgenda struct {
	ID       clinic.AgendaID
	Name     string
	Inactive bool
	Count    int // active appointments of the week
	Days     []weekCell
}

// weekCell is one agenda's day: its appointments in time order.
type weekCell struct {
	Date         string
	Label        string
	Appointments []agendaAppointment
}

// agendaWeek shows the week (Monday to Sunday) holding a date, in the current clinic's zone
// (GET /agenda/week?date=YYYY-MM-DD, default today): a table per agenda with a column per
// day listing its appointments (time, patient, reason, status). Each day runs from local
// midnight to the next, so a DST week has 167 or 169 hours and an appointment at 23:30 on a
// 25-hour day is on that day. The patients shown are audited as "appointment.list".
func (d *Dashboard) agendaWeek(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var day time.Time
	if s := r.URL.Query().Get("date"); s != "" {
		t, ok := walltime.ParseDay(s)
		if !ok {
			d.fail(w, r, clinic.Invalid("date", walltime.DateReason))
			return
		}
		day = t
	}
	var f frame
	var page weekPage
	var shown []clinic.PatientID
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
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
		monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		sunday := monday.AddDate(0, 0, 6)
		from, _ := dayBounds(monday, f.Loc)
		_, to := dayBounds(sunday, f.Loc)
		page = weekPage{
			Clinic: f.Clinic.Name, Zone: f.Clinic.Zone, Monday: monday.Format(time.DateOnly),
			Label: weekLabel(monday, sunday),
			Prev:  monday.AddDate(0, 0, -7).Format(time.DateOnly), Next: monday.AddDate(0, 0, 7).Format(time.DateOnly),
			ThisWeek: now.Format(time.DateOnly), IsThisWeek: !now.Before(monday) && !now.After(sunday),
		}
		index := map[string]int{}
		for i := range 7 {
			dd := monday.AddDate(0, 0, i)
			index[dd.Format(time.DateOnly)] = i
			page.Days = append(page.Days, weekDay{Date: dd.Format(time.DateOnly), Label: dd.Format("Mon 2 Jan"), IsToday: dd.Equal(now)})
		}
		sched, err := loadSchedule(ctx, tx, f, from, to)
		if err != nil {
			return err
		}
		shown = sched.shown
		cols := sched.columns(f, func(clinic.Appointment, string) apptActions { return apptActions{} })
		starts := map[clinic.AppointmentID]time.Time{}
		for _, a := range sched.appts {
			starts[a.ID] = a.Start
		}
		for _, c := range cols {
			wa := weekAgenda{ID: c.ID, Name: c.Name, Inactive: c.Inactive, Days: make([]weekCell, 7)}
			for i, dd := range page.Days {
				wa.Days[i] = weekCell{Date: dd.Date, Label: dd.Label}
			}
			for _, a := range c.Appointments {
				i := index[starts[a.ID].In(f.Loc).Format(time.DateOnly)]
				wa.Days[i].Appointments = append(wa.Days[i].Appointments, a)
				if a.Active {
					wa.Count++
				}
			}
			page.Agendas = append(page.Agendas, wa)
		}
		return nil
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
