package notify

import (
	"context"
	"fmt"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/store"
)

// noticeFor is the booking notice after change c of an appointment whose notice still
// waiting is pending ("" for none): Merge's answer, with whether the patient already heard
// of the appointment read from the store only when Merge needs it (a cancellation while a
// confirmation waits). Plan and PreviewNotices share it, so that a preview says what planning
// will do.
func noticeFor(ctx context.Context, tx *store.Tx, org clinic.OrgID, c Change, pending string) (kind string, keep bool, err error) {
	heard := false
	if c.Kind == Cancelled && pending == KindConfirmation {
		a := c.Appointment
		if heard, err = tx.Notifications().SentForAppointment(ctx, org, a.PatientID, a.ID, KindConfirmation, KindReschedule, KindReminder); err != nil {
			return "", false, err
		}
	}
	kind, keep = Merge(pending, c.Kind, heard)
	return kind, keep, nil
}

// Planned is the booking notice Plan would plan for one change, worked out without writing
// anything, for pages that show staff what a change would tell the patient before they
// make it ("if I cancel this appointment, who is told what?").
type Planned struct {
	AppointmentID clinic.AppointmentID
	// Kind is the notice's kind (KindCancellation for a cancellation), or "" when the change
	// would say nothing: a booking cancelled within the grace period, before the patient
	// heard anything of it, has its confirmation withdrawn and no notice.
	Kind string
	// Channels are the channels the notice would be planned on: the clinic's sending
	// channels (Settings.Channels). Whether each is sent is decided at its send time (NOT-3),
	// by the consent engine.
	Channels []consent.Channel
	// Due is when it would fall due if the change were made now: after the grace period.
	Due time.Time
}

// PreviewNotices says, writing nothing, which booking notice Plan would plan for each of changes
// if they were made now, in the order of changes. Statements: the clinics' settings, the
// appointments' planned notifications, and whether the patient heard of an appointment
// (only for a cancellation while its confirmation waits).
func PreviewNotices(ctx context.Context, tx *store.Tx, org clinic.OrgID, changes ...Change) ([]Planned, error) {
	if len(changes) == 0 {
		return nil, nil
	}
	var clinicIDs []clinic.ClinicID
	var apptIDs []clinic.AppointmentID
	for _, c := range changes {
		clinicIDs = append(clinicIDs, c.Appointment.ClinicID)
		apptIDs = append(apptIDs, c.Appointment.ID)
	}
	settings, err := SettingsTx(ctx, tx, org, clinicIDs)
	if err != nil {
		return nil, fmt.Errorf("preview notifications: %w", err)
	}
	rows, err := tx.Notifications().PlannedForAppointments(ctx, org, apptIDs)
	if err != nil {
		return nil, fmt.Errorf("preview notifications: %w", err)
	}
	pending := map[clinic.AppointmentID]string{}
	for _, n := range rows { // oldest first: the last notice waiting is the one Plan merges with
		if isNotice(n.Kind) {
			pending[n.AppointmentID] = n.Kind
		}
	}
	out := make([]Planned, len(changes))
	for i, c := range changes {
		a := c.Appointment
		out[i] = Planned{AppointmentID: a.ID}
		if c.NoNotice {
			continue
		}
		kind, _, err := noticeFor(ctx, tx, org, c, pending[a.ID])
		if err != nil {
			return nil, fmt.Errorf("preview notifications of appointment %d: %w", a.ID, err)
		}
		if kind == "" {
			continue
		}
		set := settings[a.ClinicID]
		out[i].Kind, out[i].Channels, out[i].Due = kind, set.Channels, tx.Now.Add(set.Grace)
	}
	return out, nil
}
