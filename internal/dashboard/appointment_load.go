package dashboard

import (
	"context"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// apptFacts is what every page about one appointment (its page, its cancellation and its
// move) reads of it: the appointment, its clinic and zone, its patient's name, its reason
// and its agenda. One loader, so the three pages read them the same way and in the same
// five statements.
type apptFacts struct {
	A       clinic.Appointment
	Clinic  clinic.Clinic
	Loc     *time.Location
	Patient string
	Reason  clinic.Reason
	Agenda  clinic.Agenda
}

// loadApptFacts reads the appointment id of org and what the pages show with it. Another
// organisation's appointment is clinic.ErrNotFound.
func loadApptFacts(ctx context.Context, tx *store.Tx, org clinic.OrgID, id clinic.AppointmentID) (apptFacts, error) {
	var x apptFacts
	var err error
	if x.A, err = tx.Appointments().Appointment(ctx, org, id); err != nil {
		return x, err
	}
	if x.Clinic, err = tx.Directory().Clinic(ctx, org, x.A.ClinicID); err != nil {
		return x, err
	}
	if x.Loc, err = x.Clinic.Location(); err != nil {
		return x, err
	}
	names, _, err := patientNames(ctx, tx, org, []clinic.Appointment{x.A})
	if err != nil {
		return x, err
	}
	x.Patient = names[x.A.PatientID]
	if x.Reason, err = tx.Directory().Reason(ctx, org, x.A.ReasonID); err != nil {
		return x, err
	}
	x.Agenda, err = tx.Directory().Agenda(ctx, org, x.A.AgendaID)
	return x, err
}

// when is the appointment's local day and times with the zone's abbreviation
// ("Tuesday 1 December 2026, 09:00–09:15 AEDT"), in the user's language.
func (x apptFacts) when(f frame) string {
	start := x.A.Start.In(x.Loc)
	return f.Locale.LongDate(start) + ", " + span(x.A.Start, x.A.End, x.Loc) + " " + start.Format("MST")
}
