package notify

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/sendtime"
	"github.com/tidings-health/tidings/internal/store"
)

// The kinds of notification about appointments; the compose package has the text of each.
const (
	KindConfirmation = "confirmation"
	KindReminder     = "reminder"
	KindReschedule   = "reschedule"
	KindCancellation = "cancellation"
)

// isNotice reports whether kind is a booking notice (debounced and merged).
func isNotice(kind string) bool {
	return kind == KindConfirmation || kind == KindReschedule || kind == KindCancellation
}

// NoticeOf is the consent engine's notice of a booking-notice kind.
func NoticeOf(kind string) consent.Notice {
	switch kind {
	case KindConfirmation:
		return consent.NoticeConfirmation
	case KindReschedule:
		return consent.NoticeReschedule
	case KindCancellation:
		return consent.NoticeCancellation
	}
	return ""
}

// ChangeKind says what happened to an appointment.
type ChangeKind uint8

// The changes the use cases report.
const (
	Booked      ChangeKind = iota + 1
	Rescheduled            // moved to another time or agenda
	Cancelled
	Reinstated // a cancelled appointment booked again
)

// Change is one appointment change to plan for, reported by the use case that made it.
type Change struct {
	Kind        ChangeKind
	Appointment clinic.Appointment // as it is after the change
	// NoNotice plans reminders only (a bulk import from the clinical software must not
	// send a thousand booking confirmations).
	NoNotice bool
}

// Merge decides the booking notice after a change (pure; the table test lists every case).
// pending is the kind of the notice still waiting for its grace period ("" when none);
// heard says whether the patient was already sent something about this appointment (a
// confirmation, a reschedule notice or a reminder). It answers the kind to plan ("" for
// none) and whether the pending notice stays (its due time pushed back by the grace
// period) or is withdrawn.
//
//   - A booking: a confirmation.
//   - A move: a pending confirmation or reschedule notice stays (it is rendered at send time,
//     with the final time); otherwise a reschedule notice.
//   - A cancellation: a pending confirmation the patient never heard anything before is
//     withdrawn and nothing is said (booked and cancelled within the grace period);
//     otherwise the pending notice is withdrawn and a cancellation notice planned.
//   - A reinstatement: a pending cancellation notice is withdrawn and nothing is said (the
//     patient never learnt of the cancellation); otherwise a confirmation.
func Merge(pending string, change ChangeKind, heard bool) (plan string, keep bool) {
	switch change {
	case Booked:
		return KindConfirmation, false
	case Rescheduled:
		if pending == KindConfirmation || pending == KindReschedule {
			return "", true
		}
		return KindReschedule, false
	case Cancelled:
		if pending == KindConfirmation && !heard {
			return "", false
		}
		return KindCancellation, false
	case Reinstated:
		if pending == KindCancellation {
			return "", false
		}
		return KindConfirmation, false
	}
	return "", pending != ""
}

// Plan writes the notifications of changes in the use case's transaction: it merges the
// booking notice with the one still waiting (Merge), withdraws the planned reminders of a
// moved, cancelled or reinstated appointment and plans them again at the clinic's offsets.
// Statements: the clinics' settings and clinics, the appointments' planned notifications,
// whether the patient heard (only for a cancellation within the grace period), the inserts
// and the withdrawals.
func Plan(ctx context.Context, tx *store.Tx, org clinic.OrgID, changes ...Change) error {
	if len(changes) == 0 {
		return nil
	}
	var clinicIDs []clinic.ClinicID
	var apptIDs []clinic.AppointmentID
	fresh := true
	for _, c := range changes {
		clinicIDs = append(clinicIDs, c.Appointment.ClinicID)
		apptIDs = append(apptIDs, c.Appointment.ID)
		if c.Kind != Booked {
			fresh = false
		}
	}
	// RES-4: a booking stops the patient's recall sequences, a cancellation may resume
	// them. Every appointment change of every surface passes here, so the rule is here.
	var booked, cancelled []clinic.Appointment
	for _, c := range changes {
		switch c.Kind {
		case Booked, Reinstated:
			booked = append(booked, c.Appointment)
		case Cancelled:
			cancelled = append(cancelled, c.Appointment)
		}
	}
	if err := recall.Booked(ctx, tx, org, booked...); err != nil {
		return fmt.Errorf("plan notifications: %w", err)
	}
	if err := recall.Cancelled(ctx, tx, org, cancelled...); err != nil {
		return fmt.Errorf("plan notifications: %w", err)
	}
	settings, err := SettingsTx(ctx, tx, org, clinicIDs)
	if err != nil {
		return fmt.Errorf("plan notifications: %w", err)
	}
	zones := map[clinic.ClinicID]*time.Location{}
	for _, id := range clinicIDs {
		if _, ok := zones[id]; ok {
			continue
		}
		cl, err := tx.Directory().Clinic(ctx, org, id)
		if err != nil {
			return fmt.Errorf("plan notifications: %w", err)
		}
		if zones[id], err = cl.Location(); err != nil {
			return fmt.Errorf("plan notifications: zone of clinic %d: %w", id, err)
		}
	}
	planned := map[clinic.AppointmentID][]store.Notification{}
	if !fresh {
		rows, err := tx.Notifications().PlannedForAppointments(ctx, org, apptIDs)
		if err != nil {
			return fmt.Errorf("plan notifications: %w", err)
		}
		for _, n := range rows {
			planned[n.AppointmentID] = append(planned[n.AppointmentID], n)
		}
	}
	var add []store.Notification
	var withdraw []int64
	var postpone []int64
	var superseded []int64
	var dropped []int64 // reminders of cancelled appointments
	for _, c := range changes {
		a := c.Appointment
		set := settings[a.ClinicID]
		var pending string
		var pendingIDs, reminderIDs []int64
		for _, n := range planned[a.ID] {
			if isNotice(n.Kind) {
				pending = n.Kind
				pendingIDs = append(pendingIDs, n.ID)
			} else if n.Kind == KindReminder {
				reminderIDs = append(reminderIDs, n.ID)
			}
		}
		if !c.NoNotice {
			kind, keep, err := noticeFor(ctx, tx, org, c, pending)
			if err != nil {
				return fmt.Errorf("plan notifications: %w", err)
			}
			if keep {
				postpone = append(postpone, pendingIDs...)
			} else {
				withdraw = append(withdraw, pendingIDs...)
			}
			if kind != "" {
				due := tx.Now.Add(set.Grace)
				for _, ch := range set.Channels {
					add = append(add, store.Notification{ClinicID: a.ClinicID, PatientID: a.PatientID, AppointmentID: a.ID, Kind: kind,
						Purpose: string(consent.PurposeBookingNotice), Channel: string(ch), Due: due, Deadline: a.Start})
				}
			}
		}
		if c.Kind == Cancelled {
			dropped = append(dropped, reminderIDs...)
			continue
		}
		superseded = append(superseded, reminderIDs...) // none for a new appointment
		plan, err := sendtime.Plan(a.Start, zones[a.ClinicID], set.Offsets, tx.Now)
		if err != nil {
			return fmt.Errorf("plan reminders of appointment %d: %w", a.ID, err)
		}
		for _, p := range plan {
			if p.Dropped != sendtime.Kept {
				continue
			}
			for _, ch := range set.Channels {
				add = append(add, store.Notification{ClinicID: a.ClinicID, PatientID: a.PatientID, AppointmentID: a.ID, Kind: KindReminder,
					Purpose: string(consent.PurposeReminder), Channel: string(ch), Offset: p.Offset.String(), Due: p.Due, Deadline: a.Start})
			}
		}
	}
	if err := tx.Notifications().Withdraw(ctx, org, withdraw, "merged with a later change of the appointment"); err != nil {
		return err
	}
	if err := tx.Notifications().Withdraw(ctx, org, superseded, "the appointment changed: reminders planned again"); err != nil {
		return err
	}
	if err := tx.Notifications().Withdraw(ctx, org, dropped, "the appointment was cancelled"); err != nil {
		return err
	}
	// A notice kept waiting gets the grace period again, and the appointment's start as it
	// is now for its deadline (a moved appointment's confirmation must not go out after the
	// new time); one statement per appointment kept.
	for _, c := range changes {
		var ids []int64
		for _, n := range planned[c.Appointment.ID] {
			if isNotice(n.Kind) && slices.Contains(postpone, n.ID) {
				ids = append(ids, n.ID)
			}
		}
		due := tx.Now.Add(settings[c.Appointment.ClinicID].Grace)
		if err := tx.Notifications().Postpone(ctx, org, ids, due, c.Appointment.Start); err != nil {
			return err
		}
	}
	if _, err := tx.Notifications().PlanNotifications(ctx, org, add); err != nil {
		return err
	}
	return nil
}
