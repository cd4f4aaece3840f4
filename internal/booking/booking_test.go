package booking_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"pgregory.net/rapid"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// now is Friday 2026-03-06 08:00 in Sydney (UTC+11).
var now = time.Date(2026, 3, 5, 21, 0, 0, 0, time.UTC)

type world struct {
	db      *store.DB
	svc     *booking.Service
	f       storetest.Fixture
	second  clinic.Agenda // a second agenda offering the reason
	syd     *time.Location
	patient clinic.PatientID
}

func setup(t *testing.T) *world {
	t.Helper()
	db := storetest.Open(t, func() time.Time { return now })
	w := &world{db: db, svc: booking.New(db), f: storetest.Seed(t, db, "acme")}
	w.syd, _ = time.LoadLocation("Australia/Sydney")
	w.patient = w.f.Patient.ID
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		org := w.f.Org.ID
		if w.second, err = tx.Directory().CreateAgenda(ctx, org, clinic.Agenda{ClinicID: w.f.Clinic.ID, Name: "Room 2", Active: true}); err != nil {
			return err
		}
		r := w.f.Reason
		r.AgendaIDs = []clinic.AgendaID{w.f.Agenda.ID, w.second.ID}
		if _, err := tx.Directory().UpdateReason(ctx, org, r); err != nil {
			return err
		}
		c := w.f.Clinic
		c.Rules = clinic.BookingRules{HorizonDays: 30, MinNotice: 2 * time.Hour, CancelNotice: 24 * time.Hour, GridMinutes: 15, AllowNoPreference: true, AllowOnlineChanges: true}
		if _, err := tx.Directory().UpdateClinic(ctx, org, c); err != nil {
			return err
		}
		// Monday to Friday 09:00–12:00 and 13:00–17:00 on both agendas.
		var hours []clinic.WorkingHours
		for d := time.Monday; d <= time.Friday; d++ {
			hours = append(hours, clinic.WorkingHours{Weekday: d, Start: 9 * 60, End: 12 * 60}, clinic.WorkingHours{Weekday: d, Start: 13 * 60, End: 17 * 60})
		}
		if err := tx.Schedule().SetWorkingHours(ctx, org, w.f.Agenda.ID, hours); err != nil {
			return err
		}
		return tx.Schedule().SetWorkingHours(ctx, org, w.second.ID, hours)
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) at(day, hour, min int) time.Time {
	return time.Date(2026, 3, day, hour, min, 0, 0, w.syd)
}

func (w *world) book(r booking.Request) (clinic.Appointment, error) {
	var a clinic.Appointment
	if r.ReasonID == 0 {
		r.ReasonID = w.f.Reason.ID
	}
	if r.PatientID == 0 {
		r.PatientID = w.patient
	}
	actor := clinic.SystemActor(w.f.Org.ID, "test")
	if r.Online { // online bookings are the patient's own
		actor = clinic.PatientActor(w.f.Org.ID, r.PatientID)
	}
	res, err := w.svc.Book(ctx, actor, r, nil)
	a = res.Appointment
	return a, err
}

func clocks(ts []time.Time, loc *time.Location) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.In(loc).Format("Mon 15:04"))
	}
	return out
}

func TestAvailabilityFromStore(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	// Monday 9 March: a booking at 09:15, an absence 10:00–11:30, closed afternoon by exception.
	if _, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 9, 15)}); err != nil {
		t.Fatal(err)
	}
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		if _, err := tx.Schedule().CreateAbsence(ctx, org, clinic.Absence{PractitionerID: w.f.Practitioner.ID, Start: w.at(9, 10, 0), End: w.at(9, 11, 30)}); err != nil {
			return err
		}
		_, err := tx.Schedule().AddException(ctx, org, clinic.ScheduleException{AgendaID: w.f.Agenda.ID, Day: "2026-03-09", Closed: true, Start: 9 * 60, End: 12 * 60})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	av, err := w.svc.Availability(ctx, org, booking.Query{ReasonID: w.f.Reason.ID, AgendaIDs: []clinic.AgendaID{w.f.Agenda.ID},
		From: w.at(9, 0, 0), To: w.at(10, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Mon 09:00", "Mon 09:30", "Mon 09:45", "Mon 11:30", "Mon 11:45"}
	if d := cmp.Diff(want, clocks(av.Agendas[0].Slots, w.syd)); d != "" {
		t.Errorf("slots (-want +got):\n%s", d)
	}
	// Both agendas are listed when none is named; the second has the whole day.
	av, err = w.svc.Availability(ctx, org, booking.Query{ReasonID: w.f.Reason.ID, From: w.at(9, 0, 0), To: w.at(10, 0, 0)})
	if err != nil || len(av.Agendas) != 2 || len(av.Agendas[1].Slots) != 28 {
		t.Fatalf("both agendas: %v, %+v", err, av.Agendas)
	}
	// First available from Friday 08:00 with 2 h minimum notice online: Friday 10:00.
	ag, start, ok, err := w.svc.First(ctx, org, booking.Query{ReasonID: w.f.Reason.ID, From: now, To: now.Add(14 * 24 * time.Hour), Online: true})
	if err != nil || !ok || ag != w.f.Agenda.ID || !start.Equal(w.at(6, 10, 0)) {
		t.Errorf("first = %v %v %v %v", ag, start.In(w.syd), ok, err)
	}
}

func TestStatementsDoNotGrowWithAgendas(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	count := func() int {
		var n int
		w.db.View(ctx, func(tx *store.Tx) error {
			_, err := w.svc.AvailabilityTx(ctx, tx, org, booking.Query{ReasonID: w.f.Reason.ID, From: w.at(9, 0, 0), To: w.at(20, 0, 0)})
			n = tx.Statements()
			return err
		})
		return n
	}
	before := count()
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		r, err := tx.Directory().Reason(ctx, org, w.f.Reason.ID)
		if err != nil {
			return err
		}
		for i := 0; i < 20; i++ {
			p, err := tx.Directory().CreatePractitioner(ctx, org, clinic.Practitioner{Name: "Dr X"})
			if err != nil {
				return err
			}
			pid := p.ID
			a, err := tx.Directory().CreateAgenda(ctx, org, clinic.Agenda{ClinicID: w.f.Clinic.ID, PractitionerID: &pid, Name: "X", Active: true})
			if err != nil {
				return err
			}
			r.AgendaIDs = append(r.AgendaIDs, a.ID)
		}
		_, err = tx.Directory().UpdateReason(ctx, org, r)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if after := count(); after != before {
		t.Errorf("statements per availability request: %d with 2 agendas, %d with 22", before, after)
	}
}

func TestBookRules(t *testing.T) {
	w := setup(t)
	tests := []struct {
		name    string
		req     booking.Request
		wantErr error
	}{
		{"online in a slot", booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 9, 0), Online: true, BookedBy: clinic.BookedByPatient}, nil},
		{"online taken", booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 9, 0), Online: true}, booking.ErrNotAvailable},
		{"online lunch break", booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 12, 30), Online: true}, booking.ErrNotAvailable},
		{"online off grid", booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 9, 20), Online: true}, booking.ErrNotAvailable},
		{"online too soon", booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(6, 9, 0), Online: true}, booking.ErrNotAvailable},
		{"online beyond horizon", booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 9, 0).AddDate(0, 2, 0), Online: true}, booking.ErrNotAvailable},
		{"staff squeezes in at lunch", booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 12, 30)}, nil},
		{"staff cannot overlap", booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 12, 40)}, clinic.ErrConflict},
		{"no preference takes the free agenda", booking.Request{Start: w.at(9, 9, 0)}, nil},
		{"no preference, both taken", booking.Request{Start: w.at(9, 9, 0)}, booking.ErrNotAvailable},
		{"unknown reason", booking.Request{ReasonID: 99999, AgendaID: w.f.Agenda.ID, Start: w.at(9, 14, 0)}, clinic.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := w.book(tt.req)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if tt.req.AgendaID == 0 && a.AgendaID != w.second.ID {
					t.Errorf("no preference chose agenda %d, want the free one %d", a.AgendaID, w.second.ID)
				}
				return
			}
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestRescheduleIsAtomic(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	a, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 9, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(9, 10, 0)}); err != nil {
		t.Fatal(err)
	}
	move := func(c booking.Change, agenda clinic.AgendaID, to time.Time) (clinic.Appointment, error) {
		return w.svc.Reschedule(ctx, clinic.SystemActor(org, "test"), c, agenda, to)
	}
	// Onto the other appointment: refused, and nothing moved.
	if _, err := move(booking.Change{ID: a.ID, Version: a.Version}, 0, w.at(9, 10, 0)); !errors.Is(err, clinic.ErrConflict) {
		t.Fatalf("move onto a taken slot: %v", err)
	}
	// Overlapping its own old time is fine (09:00 → 09:05 on the same agenda).
	moved, err := move(booking.Change{ID: a.ID, Version: a.Version}, 0, w.at(9, 9, 5))
	if err != nil {
		t.Fatal(err)
	}
	if !moved.Start.Equal(w.at(9, 9, 5)) || moved.Version != a.Version+1 {
		t.Errorf("moved = %+v", moved)
	}
	// A stale version loses.
	if _, err := move(booking.Change{ID: a.ID, Version: a.Version}, w.second.ID, w.at(9, 11, 0)); !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("stale reschedule: %v", err)
	}
	// To the other agenda.
	moved, err = move(booking.Change{ID: a.ID, Version: moved.Version}, w.second.ID, w.at(9, 10, 0))
	if err != nil || moved.AgendaID != w.second.ID {
		t.Fatalf("move to second agenda: %v %+v", err, moved)
	}
	var events []store.AppointmentEvent
	w.db.View(ctx, func(tx *store.Tx) (err error) {
		events, err = tx.Appointments().AppointmentEvents(ctx, org, a.ID)
		return err
	})
	var kinds []store.EventKind
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	if d := cmp.Diff([]store.EventKind{store.EventBooked, store.EventRescheduled, store.EventRescheduled}, kinds); d != "" {
		t.Errorf("events (-want +got):\n%s", d)
	}
	if events[1].PreviousStart == nil || !events[1].PreviousStart.Equal(w.at(9, 9, 0)) {
		t.Errorf("first reschedule's previous start = %v", events[1].PreviousStart)
	}
}

// TestStatusRace: two "cancel" and one "arrived" from the same version at once: exactly one
// wins, the others get a conflict, and the events record only the winner.
func TestStatusRace(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	for round := 0; round < 10; round++ {
		// Today, so that "arrived" is allowed and the race is a real one.
		a, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(6, 9, 0).Add(time.Duration(round) * 15 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([]error, 3)
		for i, to := range []clinic.Status{clinic.StatusCancelled, clinic.StatusCancelled, clinic.StatusArrived} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ch := booking.Change{ID: a.ID, Version: a.Version}
				if to == clinic.StatusCancelled {
					_, results[i] = w.svc.Cancel(ctx, clinic.SystemActor(org, "test"), ch)
				} else {
					_, results[i] = w.svc.SetStatus(ctx, clinic.SystemActor(org, "test"), ch, to)
				}
			}()
		}
		wg.Wait()
		wins := 0
		for _, err := range results {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, clinic.ErrConflict):
			default:
				t.Fatalf("unexpected error %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("round %d: %d winners, want 1 (%v)", round, wins, results)
		}
		var events []store.AppointmentEvent
		w.db.View(ctx, func(tx *store.Tx) (err error) {
			events, err = tx.Appointments().AppointmentEvents(ctx, org, a.ID)
			return err
		})
		if len(events) != 2 {
			t.Errorf("round %d: %d events, want booked + one change", round, len(events))
		}
	}
}

func TestOnlineCancelNotice(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	soon, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(6, 14, 0)}) // today, 6 h ahead
	if err != nil {
		t.Fatal(err)
	}
	later, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(10, 14, 0)})
	if err != nil {
		t.Fatal(err)
	}
	cancel := func(a clinic.Appointment) error {
		_, err := w.svc.Cancel(ctx, clinic.PatientActor(org, a.PatientID), booking.Change{ID: a.ID, Version: a.Version})
		return err
	}
	if err := cancel(soon); !errors.Is(err, clinic.ErrConflict) {
		t.Errorf("cancel inside the 24 h notice online: %v", err)
	}
	if err := cancel(later); err != nil {
		t.Errorf("cancel with notice: %v", err)
	}
	// Reinstating the cancelled appointment works while its slot is free, not after.
	if _, err := w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(10, 14, 0)}); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.SetStatus(ctx, clinic.SystemActor(org, "test"), booking.Change{ID: later.ID, Version: later.Version + 1}, clinic.StatusBooked)
	if !errors.Is(err, booking.ErrNotAvailable) {
		t.Errorf("reinstate onto a re-booked slot: %v", err)
	}
}

// TestCachedSlotsMatchEngine: answers from the cache and its memo (a View) equal the
// engine run directly on freshly read data (inside a write transaction, which bypasses the
// cache), for random windows and both rule sets, as bookings change the agendas.
func TestCachedSlotsMatchEngine(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	rapid.Check(t, func(rt *rapid.T) {
		if rapid.Bool().Draw(rt, "book") {
			day := rapid.IntRange(9, 20).Draw(rt, "day")
			m := rapid.IntRange(0, 31).Draw(rt, "quarter") * 15
			w.book(booking.Request{AgendaID: w.f.Agenda.ID, Start: w.at(day, 9, 0).Add(time.Duration(m) * time.Minute)})
		}
		from := now.Add(time.Duration(rapid.IntRange(-48*60, 20*24*60).Draw(rt, "from")) * time.Minute)
		to := from.Add(time.Duration(rapid.IntRange(1, 30*24*60).Draw(rt, "len")) * time.Minute)
		q := booking.Query{ReasonID: w.f.Reason.ID, From: from, To: to, Online: rapid.Bool().Draw(rt, "online")}
		var cached, direct booking.Availability
		var err error
		if err = w.db.View(ctx, func(tx *store.Tx) (err error) { cached, err = w.svc.AvailabilityTx(ctx, tx, org, q); return err }); err != nil {
			rt.Fatal(err)
		}
		boom := errors.New("roll back")
		err = w.db.Update(ctx, func(tx *store.Tx) (err error) {
			if direct, err = w.svc.AvailabilityTx(ctx, tx, org, q); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			rt.Fatal(err)
		}
		for i := range direct.Agendas {
			if d := cmp.Diff(direct.Agendas[i].Slots, cached.Agendas[i].Slots, cmpopts.EquateEmpty()); d != "" {
				rt.Fatalf("agenda %d (-direct +cached):\n%s", direct.Agendas[i].AgendaID, d)
			}
		}
	})
}
