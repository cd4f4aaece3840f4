package dashboard

import (
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
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
}

type agendaColumn struct {
	ID           clinic.AgendaID
	Name         string
	Inactive     bool // shown only because it holds appointments that day
	Appointments []agendaAppointment
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
}

// agendaDay shows one day of the current clinic (GET /agenda?date=YYYY-MM-DD, default today
// in the clinic's zone): a column per active agenda, appointments in time order. The day runs
// from local midnight to the next local midnight, so a DST day has 23 or 25 hours. The
// patients shown are audited as "appointment.list".
func (d *Dashboard) agendaDay(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var day time.Time // civil date at 00:00 UTC, zone-free
	if s := r.URL.Query().Get("date"); s != "" {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			d.fail(w, r, clinic.Invalid("date", "must be a date in the form YYYY-MM-DD, such as 2026-04-05"))
			return
		}
		day = t
	}
	var f frame
	var page agendaPage
	var shown []clinic.PatientID
	err := d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		if f.Clinic.ID == 0 {
			page.NoClinic = true
			return nil
		}
		y, m, dd := d.now().In(f.Loc).Date()
		today := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
		if day.IsZero() {
			day = today
		}
		y, m, dd = day.Date()
		from := time.Date(y, m, dd, 0, 0, 0, 0, f.Loc)
		to := time.Date(y, m, dd+1, 0, 0, 0, 0, f.Loc)
		page = agendaPage{
			Clinic: f.Clinic.Name, Zone: f.Clinic.Zone,
			Date: day.Format(time.DateOnly), DateLabel: day.Format("Monday 2 January 2006"),
			Prev: day.AddDate(0, 0, -1).Format(time.DateOnly), Next: day.AddDate(0, 0, 1).Format(time.DateOnly),
			Today: today.Format(time.DateOnly), IsToday: day.Equal(today),
		}
		agendas, err := all(func(p store.Page) ([]clinic.Agenda, error) {
			return tx.Agendas(ctx, f.Org.ID, store.AgendaFilter{ClinicID: f.Clinic.ID}, p)
		}, func(a clinic.Agenda) int64 { return int64(a.ID) })
		if err != nil {
			return err
		}
		appts, err := tx.AppointmentsByTime(ctx, f.Org.ID, store.AppointmentFilter{ClinicID: f.Clinic.ID, From: from, To: to})
		if err != nil {
			return err
		}
		n, err := directoryNames(ctx, tx, f.Org.ID)
		if err != nil {
			return err
		}
		// One read per distinct patient: the store has no batch read by ids.
		patients := map[clinic.PatientID]string{}
		for _, a := range appts {
			if _, ok := patients[a.PatientID]; ok {
				continue
			}
			p, err := tx.Patient(ctx, f.Org.ID, a.PatientID)
			if err != nil {
				return err
			}
			patients[a.PatientID] = p.FullName()
			shown = append(shown, a.PatientID)
		}
		page.Columns = agendaColumns(agendas, appts, n, patients, f.Loc)
		return nil
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

// agendaColumns lays appointments (in time order) into a column per active agenda, in id
// order. An inactive agenda gets a column only when it holds appointments that day, so that
// nothing booked is hidden.
func agendaColumns(agendas []clinic.Agenda, appts []clinic.Appointment, n names, patients map[clinic.PatientID]string, loc *time.Location) []agendaColumn {
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
		cols[i].Appointments = append(cols[i].Appointments, agendaAppointment{
			ID: a.ID, Time: span(a.Start, a.End, loc), PatientID: a.PatientID, Patient: patients[a.PatientID],
			Reason: n.reasons[a.ReasonID], Status: a.Status, StatusLabel: statusLabel(a.Status), Active: a.Status.Active(),
		})
	}
	return cols
}
