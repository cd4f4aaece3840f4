package dashboard

import (
	"context"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// schedule is what the day and week views show of the current clinic over [from, to): its
// agendas, their appointments, and the names to show beside them.
type schedule struct {
	agendas  []clinic.Agenda
	appts    []clinic.Appointment
	names    names
	patients map[clinic.PatientID]string
	shown    []clinic.PatientID // for the audit row
}

// loadSchedule reads the clinic's schedule in a fixed number of statements.
func loadSchedule(ctx context.Context, tx *store.Tx, f frame, from, to time.Time) (schedule, error) {
	var s schedule
	var err error
	if s.agendas, err = clinicAgendas(ctx, tx, f.Org.ID, f.Clinic.ID); err != nil {
		return s, err
	}
	if s.appts, err = tx.Appointments().AppointmentsByTime(ctx, f.Org.ID, store.AppointmentFilter{ClinicID: f.Clinic.ID, From: from, To: to}); err != nil {
		return s, err
	}
	if s.names, err = directoryNames(ctx, tx, f.Org.ID); err != nil {
		return s, err
	}
	s.patients, s.shown, err = patientNames(ctx, tx, f.Org.ID, s.appts)
	return s, err
}

// columns lays the schedule out one column per agenda, with each appointment's actions.
func (s schedule) columns(f frame, actions func(clinic.Appointment, string) apptActions) []agendaColumn {
	return agendaColumns(s.agendas, s.appts, s.names, s.patients, f.Loc, actions)
}
