package booking_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// statusWant is the status table written out by hand, independently of the code's: for each
// status an appointment is in, what staff may set next before the appointment's day, on it
// and after it (issue 9: attendance only from the day on, no cancelling after arrival, no
// "arrived" on a seen appointment; a past appointment is not confirmed, reinstated or
// cancelled).
var statusWant = map[clinic.Status][3]string{
	clinic.StatusBooked: {"confirmed cancelled",
		"confirmed arrived seen no_show excused_absence cancelled",
		"arrived seen no_show excused_absence"},
	clinic.StatusConfirmed: {"booked cancelled",
		"booked arrived seen no_show excused_absence cancelled",
		"arrived seen no_show excused_absence"},
	clinic.StatusArrived:        {"", "booked confirmed seen no_show", "seen no_show"},
	clinic.StatusSeen:           {"", "", ""},
	clinic.StatusNoShow:         {"", "booked confirmed arrived excused_absence", "arrived excused_absence"},
	clinic.StatusExcusedAbsence: {"", "booked confirmed no_show", "no_show"},
	clinic.StatusCancelled:      {"booked", "booked", ""},
}

// TestStatusRules covers every (from status, to status, day) combination through the use
// cases (SetStatus, and Cancel for "cancelled") against statusWant, with the clock at Friday
// 6 March 08:00 in Sydney: "before" is an appointment on Saturday 7, "on" one on Friday 6
// (some earlier that day, some later), "after" one on Thursday 5. Each refusal is a 409 with
// the reason in words on the field status, and booking.Actions offers a change exactly when
// the use case accepts it, for an administrator and a practitioner, on appointments booked
// here and synced from the clinical software (ADM-8: the buttons match the rules).
func TestStatusRules(t *testing.T) {
	days := map[booking.Day]int{booking.BeforeTheDay: 7, booking.OnTheDay: 6, booking.AfterTheDay: 5}
	for _, role := range []clinic.Role{clinic.RoleAdministrator, clinic.RolePractitioner} {
		for _, origin := range []clinic.BookedBy{clinic.BookedByStaff, clinic.BookedBySync} {
			w := setup(t)
			org := w.f.Org.ID
			actor := clinic.Actor{Kind: clinic.ActorStaff, OrgID: org, Role: role, UserID: 1, Label: "user:1"}
			slot := map[int]int{} // the next free 20-minute slot of each day: 49 fit before 17:00
			for _, from := range clinic.Statuses() {
				for _, day := range booking.Days() {
					for _, to := range clinic.Statuses() {
						name := fmt.Sprintf("%s/%s/%s→%s/%s", actor.Role, origin, from, to, day)
						d := days[day]
						start := w.at(d, 0, 0).Add(time.Duration(slot[d]) * 20 * time.Minute)
						slot[d]++
						t.Run(name, func(t *testing.T) {
							var a clinic.Appointment
							err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
								a, err = tx.Appointments().CreateAppointment(ctx, org, clinic.Appointment{ClinicID: w.f.Clinic.ID, AgendaID: w.f.Agenda.ID,
									ReasonID: w.f.Reason.ID, PatientID: w.patient, Start: start, End: start.Add(15 * time.Minute), Status: from, BookedBy: origin})
								return err
							})
							if err != nil {
								t.Fatal(err)
							}
							if got := booking.DayOf(a.Start, now, w.syd); got != day {
								t.Fatalf("DayOf = %s, want %s", got, day)
							}
							ch := booking.Change{ID: a.ID, Version: a.Version}
							if to == clinic.StatusCancelled {
								_, err = w.svc.Cancel(ctx, actor, ch)
							} else {
								_, err = w.svc.SetStatus(ctx, actor, ch, to)
							}
							allowed := booking.Actions(actor, a, day)
							offered := slices.Contains(allowed.Statuses, to) || to == clinic.StatusCancelled && allowed.Cancel
							if offered != (err == nil) {
								t.Errorf("offered %v, but the use case answers %v", offered, err)
							}
							if actor.Role != clinic.RoleAdministrator || origin != clinic.BookedByStaff {
								return
							}
							want := slices.Contains(strings.Fields(statusWant[from][day]), string(to))
							if (err == nil) != want {
								t.Fatalf("allowed = %v (%v), want %v", err == nil, err, want)
							}
							if want {
								return
							}
							var te *booking.TransitionError
							var ce *clinic.ConflictError
							if !errors.As(err, &te) || !errors.Is(err, clinic.ErrConflict) || !errors.As(err, &ce) || ce.Field != "status" || ce.Reason == "" {
								t.Errorf("refusal %#v, want a *TransitionError that is a conflict on status with a reason", err)
							}
						})
					}
				}
			}
		}
	}
}

// TestStatusRefusalReasons: the refusals say why in words, each the one that applies.
func TestStatusRefusalReasons(t *testing.T) {
	tests := []struct {
		from, to clinic.Status
		day      booking.Day
		why      booking.Why
		reason   string
	}{
		{clinic.StatusBooked, clinic.StatusArrived, booking.BeforeTheDay, booking.WhyNotYet, "arrived can be recorded only from the day of the appointment"},
		{clinic.StatusConfirmed, clinic.StatusNoShow, booking.BeforeTheDay, booking.WhyNotYet, "no_show can be recorded only from the day of the appointment"},
		{clinic.StatusArrived, clinic.StatusCancelled, booking.OnTheDay, booking.WhyCancelArrived, "the patient has arrived: the appointment can no longer be cancelled"},
		{clinic.StatusSeen, clinic.StatusCancelled, booking.OnTheDay, booking.WhySeenFinal, "the patient has been seen: the appointment's status is final"},
		{clinic.StatusSeen, clinic.StatusArrived, booking.OnTheDay, booking.WhySeenFinal, "the patient has been seen: the appointment's status is final"},
		{clinic.StatusBooked, clinic.StatusCancelled, booking.AfterTheDay, booking.WhyCancelPast,
			"the day of the appointment has passed: it cannot be cancelled; record a no-show or an excused absence instead"},
		{clinic.StatusBooked, clinic.StatusConfirmed, booking.AfterTheDay, booking.WhyDayPast,
			"the day of the appointment has passed: it cannot be set to confirmed; record whether the patient came instead"},
		{clinic.StatusCancelled, clinic.StatusBooked, booking.AfterTheDay, booking.WhyReinstatePast,
			"the day of the appointment has passed: it cannot be booked again; book a new appointment instead"},
		{clinic.StatusBooked, clinic.StatusBooked, booking.OnTheDay, booking.WhySameStatus, "the appointment is already booked"},
		{clinic.StatusCancelled, clinic.StatusSeen, booking.OnTheDay, booking.WhyNoSuchChange, "an appointment cannot go from cancelled to seen"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s→%s/%s", tc.from, tc.to, tc.day), func(t *testing.T) {
			var te *booking.TransitionError
			if err := booking.CheckStatus(tc.from, tc.to, tc.day); !errors.As(err, &te) {
				t.Fatalf("CheckStatus = %v, want a refusal", err)
			}
			if te.Why != tc.why || te.Reason() != tc.reason {
				t.Errorf("why %d %q, want %d %q", te.Why, te.Reason(), tc.why, tc.reason)
			}
		})
	}
}

// TestDayOf reads the appointment's day on the clinic's clock, not UTC's: at 08:00 on Friday
// in Sydney (21:00 Thursday UTC), an appointment at 23:30 Thursday UTC is Friday 10:30 there.
func TestDayOf(t *testing.T) {
	syd, _ := time.LoadLocation("Australia/Sydney")
	tests := []struct {
		start time.Time
		want  booking.Day
	}{
		{time.Date(2026, 3, 5, 23, 30, 0, 0, time.UTC), booking.OnTheDay},
		{time.Date(2026, 3, 5, 13, 0, 0, 0, time.UTC), booking.OnTheDay},     // 00:00 Friday in Sydney
		{time.Date(2026, 3, 5, 12, 59, 0, 0, time.UTC), booking.AfterTheDay}, // 23:59 Thursday
		{time.Date(2026, 3, 6, 13, 0, 0, 0, time.UTC), booking.BeforeTheDay}, // 00:00 Saturday
		{time.Date(2025, 12, 31, 1, 0, 0, 0, time.UTC), booking.AfterTheDay},
		{time.Date(2027, 1, 1, 1, 0, 0, 0, time.UTC), booking.BeforeTheDay},
	}
	for _, tc := range tests {
		if got := booking.DayOf(tc.start, now, syd); got != tc.want {
			t.Errorf("DayOf(%s) = %s, want %s", tc.start.In(syd), got, tc.want)
		}
	}
}

// TestCancelReason: the reason given for a cancellation is kept on its event, trimmed; one
// too long or holding control characters is refused naming the field, and nothing changes.
func TestCancelReason(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	staff := clinic.Actor{Kind: clinic.ActorStaff, OrgID: org, Role: clinic.RoleAdministrator, UserID: 1, Label: "user:1"}
	a, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(10, 9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{strings.Repeat("x", booking.MaxCancelReason+1), "unwell\x00"} {
		_, err := w.svc.Cancel(ctx, staff, booking.Change{ID: a.ID, Version: a.Version, Reason: bad})
		if d := cmp.Diff([]clinic.FieldError{{Field: "reason", Reason: reasonOf(bad)}}, clinic.FieldsOf(err)); d != "" {
			t.Errorf("reason %.20q: (-want +got):\n%s", bad, d)
		}
	}
	if _, err := w.svc.Cancel(ctx, staff, booking.Change{ID: a.ID, Version: a.Version, Reason: "  Patient unwell  "}); err != nil {
		t.Fatal(err)
	}
	var events []store.AppointmentEvent
	err = w.db.View(ctx, func(tx *store.Tx) (err error) {
		events, err = tx.Appointments().AppointmentEvents(ctx, org, a.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, fmt.Sprintf("%s %s %q %s", e.Kind, e.Status, e.Reason, e.Actor))
	}
	want := []string{`booked booked "" system:test`, `cancelled cancelled "Patient unwell" user:1`}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
}

func reasonOf(bad string) string {
	if strings.ContainsRune(bad, 0) {
		return "must not contain control characters"
	}
	return fmt.Sprintf("must be at most %d characters", booking.MaxCancelReason)
}
