package dashboard

import (
	"fmt"
	"net/http"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// maxAbsencesShown bounds the absences the practitioner's page lists, each with its own
// read of the appointments it falls on.
const maxAbsencesShown = 50

// absencesPage is the data of templates/absences.html.
type absencesPage struct {
	PractitionerID clinic.PractitionerID
	Practitioner   string
	Zone           string
	Absences       []absenceBlock
	Hidden         int // absences beyond maxAbsencesShown
}

// absenceBlock is one absence and the active appointments it falls on.
type absenceBlock struct {
	ID       int64
	From, To string
	Note     string
	Affected []affectedRow
}

type affectedRow struct {
	ID          clinic.AppointmentID
	Date        string
	Time        string
	Agenda      string
	PatientID   clinic.PatientID
	Patient     string
	Reason      string
	Status      clinic.Status
	StatusLabel string
	Actions     apptActions
}

// absenceList shows a practitioner's absences from today on (GET /practitioners/{id}/absences),
// the page an absence's form leads to: under each absence the active appointments it falls on
// (booking.Service.Affected), each with Cancel and Move buttons that return here. The
// patients shown are audited as "appointment.list".
func (d *Dashboard) absenceList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id, err := pathID(r)
	if err != nil {
		d.fail(w, r, err)
		return
	}
	var f frame
	var page absencesPage
	var shown []clinic.PatientID
	err = d.db.View(ctx, func(tx *store.Tx) (err error) {
		if f, err = d.frameTx(ctx, tx, r); err != nil {
			return err
		}
		org := f.Org.ID
		p, err := tx.Directory().Practitioner(ctx, org, clinic.PractitionerID(id))
		if err != nil {
			return err
		}
		page = absencesPage{PractitionerID: p.ID, Practitioner: p.Name, Zone: f.Loc.String()}
		from, _ := dayBounds(today(d.now(), f.Loc), f.Loc)
		absences, err := tx.Schedule().Absences(ctx, org, []clinic.PractitionerID{p.ID}, from, farFuture())
		if err != nil {
			return err
		}
		if len(absences) > maxAbsencesShown {
			page.Hidden = len(absences) - maxAbsencesShown
			absences = absences[:maxAbsencesShown]
		}
		var every []clinic.Appointment
		affected := make([][]clinic.Appointment, len(absences))
		for i, ab := range absences {
			if affected[i], err = d.booking.AffectedTx(ctx, tx, org, p.ID, ab.Start, ab.End); err != nil {
				return err
			}
			every = append(every, affected[i]...)
		}
		var patients map[clinic.PatientID]string
		if patients, shown, err = patientNames(ctx, tx, org, every); err != nil {
			return err
		}
		n, err := directoryNames(ctx, tx, org)
		if err != nil {
			return err
		}
		zones := map[clinic.ClinicID]*time.Location{}
		for _, c := range f.Clinics {
			if zones[c.ID], err = c.Location(); err != nil {
				return err
			}
		}
		here := fmt.Sprintf("/practitioners/%d/absences", p.ID)
		for i, ab := range absences {
			b := absenceBlock{ID: ab.ID, From: f.stamp(ab.Start), To: f.stamp(ab.End), Note: ab.Note}
			for _, a := range affected[i] {
				loc := zones[a.ClinicID]
				if loc == nil {
					loc = f.Loc
				}
				start := a.Start.In(loc)
				when := span(a.Start, a.End, loc) + " " + start.Format("MST")
				b.Affected = append(b.Affected, affectedRow{ID: a.ID, Date: f.Locale.DayDate(start), Time: when,
					Agenda: n.agendas[a.AgendaID], PatientID: a.PatientID, Patient: patients[a.PatientID], Reason: n.reasons[a.ReasonID],
					Status: a.Status, StatusLabel: statusLabel(a.Status),
					Actions: actionsFor(a, f.Actor, here, f.Locale.Day(start)+" "+when, false)})
			}
			page.Absences = append(page.Absences, b)
		}
		return nil
	})
	if err != nil {
		d.fail(w, r, err)
		return
	}
	d.send(w, r, reply{
		Page:  "absences",
		View:  view{Title: "Absences", Header: f.header(r, "schedules"), Data: page},
		Audit: []audit{{"appointment.list", shown}},
	})
}
