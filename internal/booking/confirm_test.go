package booking_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// TestOutsideHours: a staff or token booking or move outside the agenda's working hours
// (weekly hours and dated exceptions, for the reason's whole length) or off the clinic's
// 15-minute grid is refused with a *HoursError naming the agenda, unless confirmed; a patient
// online never gets such a time, confirmation or not; the system (the clinical software's
// sync, jobs) books as it is told (POR-4). The world's agendas work Monday to Friday
// 09:00–12:00 and 13:00–17:00; Monday 9 March is a working day.
func TestOutsideHours(t *testing.T) {
	type want struct {
		outside bool // a *HoursError
		offGrid bool
		taken   bool // ErrNotAvailable instead
	}
	tests := []struct {
		name    string
		actor   string // staff, token, patient, system, sync
		day     int
		h, m, s int
		allow   bool
		move    bool // move an appointment booked at 09:00 on Monday 9 there instead
		want    want
	}{
		{name: "in hours, on the grid", actor: "staff", day: 9, h: 9, m: 15},
		{name: "before opening", actor: "staff", day: 9, h: 8, m: 0, want: want{outside: true}},
		{name: "at lunch", actor: "staff", day: 9, h: 12, m: 0, want: want{outside: true}},
		{name: "runs past the morning's end", actor: "staff", day: 9, h: 11, m: 50, want: want{outside: true}},
		{name: "last slot of the day", actor: "staff", day: 9, h: 16, m: 45},
		{name: "Saturday", actor: "staff", day: 7, h: 10, m: 0, want: want{outside: true}},
		{name: "closed by an exception", actor: "staff", day: 10, h: 10, m: 0, want: want{outside: true}},
		{name: "hours added by an exception", actor: "staff", day: 14, h: 10, m: 30},
		{name: "off the grid", actor: "staff", day: 9, h: 9, m: 7, want: want{outside: true, offGrid: true}},
		{name: "off the grid by seconds", actor: "staff", day: 9, h: 9, m: 15, s: 30, want: want{outside: true, offGrid: true}},
		{name: "confirmed", actor: "staff", day: 9, h: 8, m: 0, allow: true},
		{name: "confirmed off the grid", actor: "staff", day: 9, h: 9, m: 7, allow: true},
		{name: "API token", actor: "token", day: 9, h: 19, m: 0, want: want{outside: true}},
		{name: "patient online", actor: "patient", day: 9, h: 8, m: 0, want: want{taken: true}},
		{name: "patient online, however asked", actor: "patient", day: 9, h: 8, m: 0, allow: true, want: want{taken: true}},
		{name: "system", actor: "system", day: 9, h: 8, m: 0},
		{name: "synced from the clinical software", actor: "sync", day: 7, h: 8, m: 0},
		{name: "move in hours", actor: "staff", move: true, day: 9, h: 14, m: 0},
		{name: "move before opening", actor: "staff", move: true, day: 9, h: 8, m: 30, want: want{outside: true}},
		{name: "move off the grid", actor: "staff", move: true, day: 9, h: 14, m: 5, want: want{outside: true, offGrid: true}},
		{name: "move confirmed", actor: "staff", move: true, day: 9, h: 8, m: 30, allow: true},
		{name: "move by the patient", actor: "patient", move: true, day: 9, h: 8, m: 30, allow: true, want: want{taken: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := setup(t)
			org := w.f.Org.ID
			err := w.db.Update(ctx, func(tx *store.Tx) error {
				if _, err := tx.Schedule().AddException(ctx, org, clinic.ScheduleException{AgendaID: w.f.Agenda.ID, Day: "2026-03-10", Closed: true}); err != nil {
					return err
				}
				_, err := tx.Schedule().AddException(ctx, org, clinic.ScheduleException{AgendaID: w.f.Agenda.ID, Day: "2026-03-14", Start: 10 * 60, End: 12 * 60})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			actor := map[string]clinic.Actor{
				"staff":   {Kind: clinic.ActorStaff, OrgID: org, Role: clinic.RoleReception, UserID: 1, Label: "user:1"},
				"token":   {Kind: clinic.ActorToken, OrgID: org, Role: clinic.RoleAppointmentManager, TokenID: 1, Label: "token:1"},
				"patient": clinic.PatientActor(org, w.patient),
				"system":  clinic.SystemActor(org, "cli"),
				"sync":    clinic.SystemActor(org, "sync"),
			}[tc.actor]
			at := w.at(tc.day, tc.h, tc.m).Add(time.Duration(tc.s) * time.Second)
			if tc.move {
				a, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 9, 0)})
				if err != nil {
					t.Fatal(err)
				}
				_, err = w.svc.Reschedule(ctx, actor, booking.Change{ID: a.ID, Version: a.Version, AllowOutsideHours: tc.allow}, 0, at)
				check(t, err, tc.want.outside, tc.want.offGrid, tc.want.taken)
				return
			}
			r := booking.Request{ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, PatientID: w.patient, Start: at, AllowOutsideHours: tc.allow}
			if tc.actor == "sync" {
				r.BookedBy = clinic.BookedBySync
			}
			res, err := w.svc.Book(ctx, actor, r, nil)
			check(t, err, tc.want.outside, tc.want.offGrid, tc.want.taken)
			if err == nil && !res.Appointment.Start.Equal(at) {
				t.Errorf("booked at %s, want %s", res.Appointment.Start, at)
			}
		})
	}
}

func check(t *testing.T, err error, outside, offGrid, taken bool) {
	t.Helper()
	var he *booking.HoursError
	var ce *clinic.ConflictError
	switch {
	case taken:
		if !errors.Is(err, booking.ErrNotAvailable) || errors.Is(err, booking.ErrOutsideHours) {
			t.Errorf("err = %v, want the slot refused as not available", err)
		}
	case !outside:
		if err != nil {
			t.Errorf("err = %v, want booked", err)
		}
	case !errors.As(err, &he) || !errors.Is(err, booking.ErrOutsideHours) || !errors.Is(err, clinic.ErrConflict):
		t.Errorf("err = %v, want a *HoursError", err)
	default:
		want := booking.HoursError{Agenda: "Dr Lovelace", OffGrid: offGrid, Grid: 15}
		if d := cmp.Diff(want, *he); d != "" {
			t.Errorf("HoursError (-want +got):\n%s", d)
		}
		if !errors.As(err, &ce) || ce.Field != "start" || ce.Reason != he.Reason() {
			t.Errorf("conflict %+v, want one on start with the reason", ce)
		}
	}
}

// TestOutsideHoursReasonGrid: with no clinic grid, start times chain from opening time at the
// reason's length, and the refusal names that step; a taken time is refused as taken.
func TestOutsideHoursReasonGrid(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		c := w.f.Clinic
		c.Rules = clinic.BookingRules{HorizonDays: 30, GridMinutes: 0}
		_, err := tx.Directory().UpdateClinic(ctx, org, c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	staff := clinic.Actor{Kind: clinic.ActorStaff, OrgID: org, Role: clinic.RoleReception, UserID: 1, Label: "user:1"}
	book := func(h, m int) error {
		_, err := w.svc.Book(ctx, staff, booking.Request{ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID, PatientID: w.patient, Start: w.at(9, h, m), AllowSameDay: true}, nil)
		return err
	}
	if err := book(9, 30); err != nil {
		t.Errorf("09:30, the third 15-minute step from opening: %v", err)
	}
	var he *booking.HoursError
	if err := book(10, 10); !errors.As(err, &he) || !he.OffGrid || he.Grid != 15 {
		t.Errorf("10:10: %v, want off the 15-minute steps", err)
	}
	// A time that is taken is refused as taken, never asked to be confirmed first.
	if _, err := w.svc.Book(ctx, clinic.SystemActor(org, "cli"), booking.Request{ReasonID: w.f.Reason.ID, AgendaID: w.f.Agenda.ID,
		PatientID: w.patient, Start: w.at(9, 7, 0)}, nil); err != nil {
		t.Fatal(err)
	}
	if err := book(7, 0); !errors.Is(err, booking.ErrNotAvailable) || errors.Is(err, booking.ErrOutsideHours) {
		t.Errorf("07:00, taken and outside hours: %v, want not available", err)
	}
}

// TestSameDay: a staff booking for a patient who already has an active appointment at the
// clinic that local day (any agenda) is refused with the other appointments, unless
// confirmed; confirmed, Booked.SameDay still lists them (the API's warning). A cancelled
// appointment does not count, nor another day; a patient online and the system are not
// asked. When the time is also outside hours, one answer asks both.
func TestSameDay(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	staff := clinic.Actor{Kind: clinic.ActorStaff, OrgID: org, Role: clinic.RoleReception, UserID: 1, Label: "user:1"}
	book := func(actor clinic.Actor, agenda clinic.AgendaID, start time.Time, allow bool) (booking.Booked, error) {
		return w.svc.Book(ctx, actor, booking.Request{ReasonID: w.f.Reason.ID, AgendaID: agenda, PatientID: w.patient, Start: start, AllowSameDay: allow}, nil)
	}
	first, err := book(staff, w.f.Agenda.ID, w.at(9, 10, 30), false)
	if err != nil || len(first.SameDay) != 0 {
		t.Fatalf("first booking: %v, same day %v", err, first.SameDay)
	}
	var sd *booking.SameDayError
	_, err = book(staff, w.second.ID, w.at(9, 15, 0), false)
	if !errors.As(err, &sd) || !errors.Is(err, booking.ErrSameDay) || !errors.Is(err, clinic.ErrConflict) {
		t.Fatalf("second booking that day: %v, want a *SameDayError", err)
	}
	if len(sd.Others) != 1 || sd.Others[0].ID != first.Appointment.ID {
		t.Errorf("others = %+v, want the first booking", sd.Others)
	}
	second, err := book(staff, w.second.ID, w.at(9, 15, 0), true)
	if err != nil || len(second.SameDay) != 1 || second.SameDay[0].ID != first.Appointment.ID {
		t.Fatalf("confirmed: %v, same day %+v", err, second.SameDay)
	}
	// Both asked at once: outside hours and the same day.
	_, err = book(staff, w.f.Agenda.ID, w.at(9, 18, 0), false)
	if !errors.Is(err, booking.ErrSameDay) || !errors.Is(err, booking.ErrOutsideHours) {
		t.Errorf("outside hours the same day: %v, want both asked", err)
	}
	// Another day, the system, a patient online: not asked.
	if res, err := book(staff, w.f.Agenda.ID, w.at(10, 9, 0), false); err != nil || len(res.SameDay) != 0 {
		t.Errorf("another day: %v %+v", err, res.SameDay)
	}
	if _, err := book(clinic.SystemActor(org, "cli"), w.f.Agenda.ID, w.at(9, 16, 0), false); err != nil {
		t.Errorf("system: %v", err)
	}
	if _, err := book(clinic.PatientActor(org, w.patient), w.f.Agenda.ID, w.at(9, 16, 30), false); err != nil {
		t.Errorf("patient online: %v", err)
	}
	// Cancelled appointments do not count.
	var active []clinic.Appointment
	err = w.db.View(ctx, func(tx *store.Tx) (err error) {
		active, err = tx.Appointments().AppointmentsByTime(ctx, org, store.AppointmentFilter{PatientID: w.patient, From: w.at(9, 0, 0), To: w.at(10, 0, 0)})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range active {
		if a.Status.Active() {
			if _, err := w.svc.Cancel(ctx, staff, booking.Change{ID: a.ID, Version: a.Version}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := book(staff, w.second.ID, w.at(9, 14, 0), false); err != nil {
		t.Errorf("after cancelling the others: %v", err)
	}
}
