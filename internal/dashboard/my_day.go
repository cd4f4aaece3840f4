package dashboard

import (
	"net/http"
	"net/url"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/walltime"
)

// myDayPage is the data of templates/myday.html.
type myDayPage struct {
	// Linked: the account is linked to a practitioner; without it the page says who can
	// link it and shows nothing else.
	Linked       bool
	Practitioner string
	Zone         string // the zone the day is read in: the current clinic's
	Date         string // YYYY-MM-DD, the day shown
	Prev, Next   string
	Today        string
	IsToday      bool
	// ManyClinics: the day's appointments are in more than one clinic, so each row names
	// its clinic (and its times are that clinic's).
	ManyClinics bool
	Rows        []myDayRow
}

// myDayRow is one appointment of the day.
type myDayRow struct {
	ID          clinic.AppointmentID
	Time        string // in its clinic's zone
	Clinic      string
	Agenda      string
	PatientID   clinic.PatientID
	Patient     string
	Reason      string
	Status      clinic.Status
	StatusLabel string
	Active      bool // holds its slot (not cancelled, not an excused absence)
	Actions     apptActions
}

// myDay shows a practitioner their own day (GET /my-day?date=YYYY-MM-DD, default today in
// the current clinic's zone): the appointments of every agenda of the practitioner their
// account is linked to, in every clinic, in time order, with the patient, the reason, the
// status and the status buttons their role allows (the agenda's, returning here), and links
// to the previous and next day. A user whose account is linked to no practitioner is told
// so. The patients shown are audited as "appointment.list".
func (d *Dashboard) myDay(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var day time.Time // civil date at 00:00 UTC, zone-free
	if s := r.URL.Query().Get("date"); s != "" {
		t, ok := walltime.ParseDay(s)
		if !ok {
			d.fail(w, r, clinic.Invalid("date", walltime.DateReason))
			return
		}
		day = t
	}
	var f frame
	var page myDayPage
	var shown []clinic.PatientID
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if f.User.PractitionerID == 0 {
			return nil
		}
		p, err := tx.Directory().Practitioner(ctx, f.Org.ID, f.User.PractitionerID)
		if err != nil {
			return err
		}
		now := today(d.now(), f.Loc)
		if day.IsZero() {
			day = now
		}
		page = myDayPage{Linked: true, Practitioner: p.Name, Zone: f.Loc.String(), Date: day.Format(time.DateOnly),
			Prev: day.AddDate(0, 0, -1).Format(time.DateOnly), Next: day.AddDate(0, 0, 1).Format(time.DateOnly),
			Today: now.Format(time.DateOnly), IsToday: day.Equal(now)}
		from, to := dayBounds(day, f.Loc)
		appts, err := tx.Appointments().PractitionerDay(ctx, f.Org.ID, p.ID, from, to)
		if err != nil {
			return err
		}
		n, err := directoryNames(ctx, tx, f.Org.ID)
		if err != nil {
			return err
		}
		var patients map[clinic.PatientID]string
		if patients, shown, err = patientNames(ctx, tx, f.Org.ID, appts); err != nil {
			return err
		}
		clinics := map[clinic.ClinicID]clinic.Clinic{}
		for _, c := range f.Clinics {
			clinics[c.ID] = c
		}
		next := "/my-day?" + url.Values{"date": {page.Date}}.Encode()
		for _, a := range appts {
			c := clinics[a.ClinicID]
			loc, err := c.Location()
			if err != nil {
				return err
			}
			what := span(a.Start, a.End, loc)
			x := actionsFor(a, d.dayOf(a, loc), f.Actor, next, what, true)
			x.Target = "#my-day"
			page.ManyClinics = page.ManyClinics || a.ClinicID != appts[0].ClinicID
			page.Rows = append(page.Rows, myDayRow{ID: a.ID, Time: what, Clinic: c.Name, Agenda: n.agendas[a.AgendaID],
				PatientID: a.PatientID, Patient: patients[a.PatientID], Reason: n.reasons[a.ReasonID], Status: a.Status,
				StatusLabel: statusLabel(a.Status), Active: a.Status.Active(), Actions: x})
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{
		Page:  "myday",
		View:  view{Title: "My day", Header: f.header(r, "my-day"), Data: page},
		Audit: []audit{{"appointment.list", shown}},
	})
}
