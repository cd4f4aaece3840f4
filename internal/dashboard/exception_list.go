package dashboard

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// maxExceptionDaysShown bounds the days the agenda's exceptions page lists, each with its
// own read of the appointments its exceptions leave without hours.
const maxExceptionDaysShown = 50

// exceptionsPage is the data of templates/exceptions.html.
type exceptionsPage struct {
	AgendaID clinic.AgendaID
	Agenda   string
	Zone     string
	Days     []exceptionDay
	Hidden   int // days beyond maxExceptionDaysShown
}

// exceptionDay is one day with exceptions: each of them, and when they close the day the
// active appointments they leave without hours.
type exceptionDay struct {
	Day        string // YYYY-MM-DD, the clinic's calendar
	Closed     bool
	Exceptions []exceptionRow
	Affected   []affectedRow
}

// exceptionList shows an agenda's exceptions from today on, by day (GET
// /agendas/{id}/exceptions), the page a closing exception's form leads to: under each day
// its exceptions close, the active appointments they leave without hours
// (booking.Service.ExceptionAffectedTx), each with Cancel and Move buttons that return here
// and what its patient would be told, on each channel, if cancelled now (NOT-1, CON-9). An
// exception cancels nothing itself. Days are the agenda's clinic's. The patients shown are
// audited as "appointment.list".
func (d *Dashboard) exceptionList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var page exceptionsPage
	var shown []clinic.PatientID
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		org := f.Org.ID
		ag, err := tx.Directory().Agenda(ctx, org, clinic.AgendaID(id))
		if err != nil {
			return err
		}
		loc := f.zoneOf(ag.ClinicID)
		page = exceptionsPage{AgendaID: ag.ID, Agenda: ag.Name, Zone: loc.String()}
		es, err := tx.Schedule().Exceptions(ctx, org, []clinic.AgendaID{ag.ID}, today(d.now(), loc).Format(time.DateOnly), "9999-12-31")
		if err != nil {
			return err
		}
		for _, e := range es { // by day
			if n := len(page.Days); n == 0 || page.Days[n-1].Day != e.Day {
				page.Days = append(page.Days, exceptionDay{Day: e.Day})
			}
			day := &page.Days[len(page.Days)-1]
			day.Closed = day.Closed || e.Closed
			day.Exceptions = append(day.Exceptions, exceptionRow{ID: e.ID, Day: e.Day, DayLabel: civilDay(e.Day), What: exceptionText(e), Note: e.Note})
		}
		if len(page.Days) > maxExceptionDaysShown {
			page.Hidden = len(page.Days) - maxExceptionDaysShown
			page.Days = page.Days[:maxExceptionDaysShown]
		}
		affected := make([][]clinic.Appointment, len(page.Days))
		for i, day := range page.Days {
			if !day.Closed {
				continue
			}
			if affected[i], err = d.booking.ExceptionAffectedTx(ctx, tx, org, ag.ID, day.Day); err != nil {
				return err
			}
		}
		rows, who, err := d.affectedRows(ctx, tx, f, affected, fmt.Sprintf("/agendas/%d/exceptions", ag.ID))
		if err != nil {
			return err
		}
		shown = who
		for i := range page.Days {
			page.Days[i].Affected = rows[i]
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{
		Page:  "exceptions",
		View:  view{Title: "Exceptions", Header: f.header(r, "schedules"), Data: page},
		Audit: []audit{{"appointment.list", shown}},
	})
}
