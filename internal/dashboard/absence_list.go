package dashboard

import (
	"fmt"
	"net/http"

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

// absenceList shows a practitioner's absences from today on (GET /practitioners/{id}/absences),
// the page an absence's form leads to: under each absence the active appointments it falls on
// (booking.Service.AffectedTx), each with Cancel and Move buttons that return here and what
// its patient would be told, on each channel, if cancelled now (NOT-1, CON-9). An absence
// cancels nothing itself. The patients shown are audited as "appointment.list".
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
		affected := make([][]clinic.Appointment, len(absences))
		for i, ab := range absences {
			if affected[i], err = d.booking.AffectedTx(ctx, tx, org, p.ID, ab.Start, ab.End); err != nil {
				return err
			}
		}
		rows, who, err := d.affectedRows(ctx, tx, f, affected, fmt.Sprintf("/practitioners/%d/absences", p.ID))
		if err != nil {
			return err
		}
		shown = who
		for i, ab := range absences {
			page.Absences = append(page.Absences, absenceBlock{ID: ab.ID, From: f.stamp(ab.Start), To: f.stamp(ab.End), Note: ab.Note, Affected: rows[i]})
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
