package booking_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/audit"
	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// schedNow is Tuesday 2026-03-31 09:00 in Sydney (AEDT, UTC+11), a few days before the
// clocks go back (Sunday 5 April 2026, 03:00 → 02:00: a 25-hour day).
var schedNow = time.Date(2026, 3, 30, 22, 0, 0, 0, time.UTC)

// schedWorld is a seeded organisation for the schedule use cases: an administrator, a
// receptionist, and a second agenda with no practitioner.
type schedWorld struct {
	t     *testing.T
	db    *store.DB
	svc   *booking.Service
	f     storetest.Fixture
	admin clinic.Actor
	recep clinic.Actor
	room  clinic.Agenda
	syd   *time.Location
}

func newSchedWorld(t *testing.T) *schedWorld {
	t.Helper()
	db := storetest.Open(t, func() time.Time { return schedNow })
	w := &schedWorld{t: t, db: db, svc: booking.New(db), f: storetest.Seed(t, db, "acme")}
	w.syd, _ = time.LoadLocation("Australia/Sydney")
	w.update(func(tx *store.Tx) (err error) {
		org := w.f.Org.ID
		admin, err := tx.Staff().CreateUser(ctx, org, clinic.User{Email: "ada@example.com", Name: "Ada", Role: clinic.RoleAdministrator, PasswordHash: "x"})
		if err != nil {
			return err
		}
		recep, err := tx.Staff().CreateUser(ctx, org, clinic.User{Email: "rita@example.com", Name: "Rita", Role: clinic.RoleReception, PasswordHash: "x"})
		if err != nil {
			return err
		}
		w.admin, w.recep = clinic.StaffActor(admin), clinic.StaffActor(recep)
		w.room, err = tx.Directory().CreateAgenda(ctx, org, clinic.Agenda{ClinicID: w.f.Clinic.ID, Name: "Room 2", Active: true})
		return err
	})
	return w
}

func (w *schedWorld) update(f func(tx *store.Tx) error) {
	w.t.Helper()
	if err := w.db.Update(ctx, f); err != nil {
		w.t.Fatal(err)
	}
}

func (w *schedWorld) view(f func(tx *store.Tx) error) {
	w.t.Helper()
	if err := w.db.View(ctx, f); err != nil {
		w.t.Fatal(err)
	}
}

// at is a wall time in Sydney.
func (w *schedWorld) at(month time.Month, day, hour, min int) time.Time {
	return time.Date(2026, month, day, hour, min, 0, 0, w.syd)
}

// appt books an appointment straight in the store (no notification planned).
func (w *schedWorld) appt(agenda clinic.AgendaID, start time.Time, minutes int, status clinic.Status, patient clinic.PatientID) clinic.Appointment {
	w.t.Helper()
	var a clinic.Appointment
	w.update(func(tx *store.Tx) (err error) {
		a, err = tx.Appointments().CreateAppointment(ctx, w.f.Org.ID, clinic.Appointment{ClinicID: w.f.Clinic.ID, AgendaID: agenda,
			ReasonID: w.f.Reason.ID, PatientID: patient, Start: start, End: start.Add(time.Duration(minutes) * time.Minute),
			Status: status, BookedBy: clinic.BookedByStaff})
		return err
	})
	return a
}

func ids(as []clinic.Appointment) []clinic.AppointmentID {
	var out []clinic.AppointmentID
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

// TestExceptionAffected (POR-4): a closed day leaves every active appointment of the agenda
// that day without hours; a "replace" only those not wholly within the hours it opens; extra
// hours none. Days are the clinic's, 25 hours long when the clocks go back.
func TestExceptionAffected(t *testing.T) {
	w := newSchedWorld(t)
	ag, p := w.f.Agenda.ID, w.f.Patient.ID
	// Sunday 5 April 2026: 25 hours in Sydney.
	early := w.appt(ag, w.at(4, 5, 0, 30), 15, clinic.StatusBooked, p)         // before the repeated hour
	late := w.appt(ag, w.at(4, 5, 23, 30), 15, clinic.StatusConfirmed, p)      // the day's last hour
	inside := w.appt(ag, w.at(4, 5, 10, 0), 15, clinic.StatusBooked, p)        // within 09:00–12:00
	straddle := w.appt(ag, w.at(4, 5, 11, 50), 15, clinic.StatusBooked, p)     // ends after 12:00
	w.appt(ag, w.at(4, 5, 14, 0), 15, clinic.StatusCancelled, p)               // not active
	w.appt(w.room.ID, w.at(4, 5, 14, 0), 15, clinic.StatusBooked, p)           // another agenda
	w.appt(ag, w.at(4, 6, 0, 0), 15, clinic.StatusBooked, p)                   // the next day
	overnight := w.appt(ag, w.at(4, 4, 23, 45), 30, clinic.StatusBooked, p)    // from the day before
	sameDayOther := w.appt(ag, w.at(4, 7, 10, 0), 15, clinic.StatusArrived, p) // Tuesday: closed all day
	tests := []struct {
		name string
		day  string
		add  []clinic.ScheduleException // recorded before asking
		ask  []clinic.ScheduleException // not recorded: a preview
		want []clinic.AppointmentID
	}{
		{"closed day, 25 hours", "2026-04-05", []clinic.ScheduleException{{Day: "2026-04-05", Closed: true}}, nil,
			[]clinic.AppointmentID{overnight.ID, early.ID, inside.ID, straddle.ID, late.ID}},
		{"a preview counts the exception asked about", "2026-04-07", nil, []clinic.ScheduleException{{Day: "2026-04-07", Closed: true}},
			[]clinic.AppointmentID{sameDayOther.ID}},
		{"extra hours close nothing", "2026-04-07", []clinic.ScheduleException{{Day: "2026-04-07", Start: 18 * 60, End: 20 * 60}}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w.update(func(tx *store.Tx) error {
				for _, e := range tc.add {
					e.AgendaID = ag
					if _, err := tx.Schedule().AddException(ctx, w.f.Org.ID, e); err != nil {
						return err
					}
				}
				return nil
			})
			for i := range tc.ask {
				tc.ask[i].AgendaID = ag
			}
			var got []clinic.Appointment
			w.view(func(tx *store.Tx) (err error) {
				got, err = w.svc.ExceptionAffectedTx(ctx, tx, w.f.Org.ID, ag, tc.day, tc.ask...)
				return err
			})
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("affected (-want +got):\n%s", diff)
			}
		})
	}

	// Replacing the hours of a day: what the new hours hold stays, the rest is affected.
	x, err := w.svc.AddException(ctx, w.admin, clinic.ScheduleException{AgendaID: ag, Day: "2026-04-08", Closed: true, Start: 9 * 60, End: 12 * 60}, nil)
	if err != nil {
		t.Fatal(err)
	}
	in := w.appt(ag, w.at(4, 8, 9, 0), 180, clinic.StatusBooked, p)
	out := w.appt(ag, w.at(4, 8, 12, 0), 15, clinic.StatusBooked, p)
	var got []clinic.Appointment
	w.view(func(tx *store.Tx) (err error) {
		got, err = w.svc.ExceptionAffectedTx(ctx, tx, w.f.Org.ID, ag, x.Day)
		return err
	})
	if diff := cmp.Diff([]clinic.AppointmentID{out.ID}, ids(got)); diff != "" || in.ID == 0 {
		t.Errorf("replaced hours: affected (-want +got):\n%s", diff)
	}

	other := storetest.Seed(t, w.db, "other")
	err = w.db.View(ctx, func(tx *store.Tx) error {
		_, err := w.svc.ExceptionAffectedTx(ctx, tx, w.f.Org.ID, other.Agenda.ID, "2026-04-05")
		return err
	})
	if !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("another organisation's agenda: %v, want not found", err)
	}
}

// TestClosures (POR-4): what the agenda views mark, in two statements: the days exceptions
// close (local midnights, with the hours a "replace" opens) and the practitioner's absences,
// for each of their agendas; extra hours are not closures.
func TestClosures(t *testing.T) {
	w := newSchedWorld(t)
	org := w.f.Org.ID
	pid := w.f.Practitioner.ID
	var second clinic.Agenda
	var xmas, fall, extra, replace clinic.ScheduleException
	var conf clinic.Absence
	w.update(func(tx *store.Tx) (err error) {
		if second, err = tx.Directory().CreateAgenda(ctx, org, clinic.Agenda{ClinicID: w.f.Clinic.ID, PractitionerID: &pid, Name: "Dr Lovelace (video)", Active: true}); err != nil {
			return err
		}
		add := func(e clinic.ScheduleException) clinic.ScheduleException {
			if err == nil {
				e, err = tx.Schedule().AddException(ctx, org, e)
			}
			return e
		}
		fall = add(clinic.ScheduleException{AgendaID: w.f.Agenda.ID, Day: "2026-04-05", Closed: true, Note: "Clocks go back"})
		extra = add(clinic.ScheduleException{AgendaID: w.f.Agenda.ID, Day: "2026-04-06", Start: 18 * 60, End: 20 * 60})
		replace = add(clinic.ScheduleException{AgendaID: w.room.ID, Day: "2026-04-07", Closed: true, Start: 9 * 60, End: 12 * 60, Note: "Training"})
		xmas = add(clinic.ScheduleException{AgendaID: w.room.ID, Day: "2026-12-25", Closed: true}) // outside the window
		if err != nil {
			return err
		}
		conf, err = tx.Schedule().CreateAbsence(ctx, org, clinic.Absence{PractitionerID: pid, Start: w.at(4, 6, 12, 0), End: w.at(4, 10, 0, 0), Note: "Conference"})
		return err
	})
	agendas := []clinic.Agenda{w.f.Agenda, w.room, second}
	var got []booking.Closure
	w.view(func(tx *store.Tx) (err error) {
		got, err = w.svc.ClosuresTx(ctx, tx, org, agendas, w.syd, w.at(4, 5, 0, 0), w.at(4, 12, 0, 0))
		return err
	})
	want := []booking.Closure{
		{AgendaID: w.f.Agenda.ID, Kind: booking.ClosureDay, Start: w.at(4, 5, 0, 0), End: w.at(4, 6, 0, 0), Day: "2026-04-05",
			ExceptionIDs: []int64{fall.ID}, Note: "Clocks go back"},
		{AgendaID: w.f.Agenda.ID, Kind: booking.ClosureAbsence, Start: conf.Start, End: conf.End, AbsenceID: conf.ID, Note: "Conference"},
		{AgendaID: w.room.ID, Kind: booking.ClosureDay, Start: w.at(4, 7, 0, 0), End: w.at(4, 8, 0, 0), Day: "2026-04-07",
			Open: []booking.TimeRange{{Start: w.at(4, 7, 9, 0), End: w.at(4, 7, 12, 0)}}, ExceptionIDs: []int64{replace.ID}, Note: "Training"},
		{AgendaID: second.ID, Kind: booking.ClosureAbsence, Start: conf.Start, End: conf.End, AbsenceID: conf.ID, Note: "Conference"},
	}
	if diff := cmp.Diff(want, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("closures (-want +got):\n%s", diff)
	}
	if h := got[0].End.Sub(got[0].Start); h != 25*time.Hour {
		t.Errorf("the day the clocks go back lasts %v, want 25h", h)
	}
	if extra.ID == 0 || xmas.ID == 0 {
		t.Fatal("fixture")
	}
	w.view(func(tx *store.Tx) (err error) {
		got, err = w.svc.ClosuresTx(ctx, tx, org, nil, w.syd, w.at(4, 5, 0, 0), w.at(4, 12, 0, 0))
		return err
	})
	if len(got) != 0 {
		t.Errorf("no agenda: %v", got)
	}
}

// noticeRow is one channel of a CancelNotice, for comparison.
type noticeRow struct {
	Channel consent.Channel
	Planned bool
	Sent    bool
	Text    string
}

func noticeRows(n booking.CancelNotice) []noticeRow {
	var out []noticeRow
	for _, c := range n.Channels {
		r := noticeRow{Channel: c.Channel, Planned: c.Planned, Sent: c.Sent()}
		if c.Planned {
			r.Text = c.Decision.Text(n.At)
		}
		out = append(out, r)
	}
	return out
}

// TestCancelNotices (NOT-1, CON-5, CON-7, CON-9): what a patient would be told if an
// appointment were cancelled now is the planner's notice on the clinic's channels, each
// decided by the consent engine as the dispatcher would; and cancelling then plans exactly
// that.
func TestCancelNotices(t *testing.T) {
	w := newSchedWorld(t)
	org, ag := w.f.Org.ID, w.f.Agenda.ID
	var quiet, noEmail clinic.Patient
	w.update(func(tx *store.Tx) (err error) {
		if quiet, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.f.Database.ID, ExternalID: "P2", GivenName: "Alan",
			FamilyName: "Turing", Mobile: "+61412000001", Email: "alan@example.com", Language: "en", NotificationsOff: true}); err != nil {
			return err
		}
		noEmail, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.f.Database.ID, ExternalID: "P3", GivenName: "Edsger",
			FamilyName: "Dijkstra", Mobile: "+61412000002", Language: "en"})
		if err != nil {
			return err
		}
		// SMS switched off on the second agenda (CON-5).
		return tx.Consent().SetAgendaChannelsOff(ctx, org, w.room.ID, []string{"sms"})
	})
	plain := w.appt(ag, w.at(4, 8, 10, 0), 15, clinic.StatusBooked, w.f.Patient.ID)
	switchedOff := w.appt(ag, w.at(4, 8, 10, 15), 15, clinic.StatusBooked, quiet.ID)
	withoutEmail := w.appt(ag, w.at(4, 8, 10, 30), 15, clinic.StatusConfirmed, noEmail.ID)
	agendaOff := w.appt(w.room.ID, w.at(4, 8, 10, 0), 15, clinic.StatusBooked, w.f.Patient.ID)
	// Booked a moment ago: its confirmation still waits its grace period, unheard.
	fresh := w.appt(ag, w.at(4, 8, 11, 0), 15, clinic.StatusBooked, w.f.Patient.ID)
	w.update(func(tx *store.Tx) error {
		return notify.Plan(ctx, tx, org, notify.Change{Kind: notify.Booked, Appointment: fresh})
	})
	appts := []clinic.Appointment{plain, switchedOff, withoutEmail, agendaOff, fresh}
	var got []booking.CancelNotice
	w.view(func(tx *store.Tx) (err error) {
		got, err = w.svc.CancelNoticesTx(ctx, tx, org, appts)
		return err
	})
	offPush := noticeRow{Channel: consent.ChannelPush}
	allowed := "Allowed: consent and every notification switch permit this message."
	tests := []struct {
		name   string
		silent bool
		want   []noticeRow
	}{
		{"plain", false, []noticeRow{{consent.ChannelSMS, true, true, allowed}, {consent.ChannelEmail, true, true, allowed}, offPush}},
		{"patient switched off (CON-7)", false, []noticeRow{
			{consent.ChannelSMS, true, false, "Not sent: notifications are switched off for this patient."},
			{consent.ChannelEmail, true, false, "Not sent: notifications are switched off for this patient."}, offPush}},
		{"no e-mail address (NOT-5)", false, []noticeRow{{consent.ChannelSMS, true, true, allowed},
			{consent.ChannelEmail, true, false, "Skipped: no destination, the patient has no e-mail address."}, offPush}},
		{"SMS off for the agenda (CON-5)", false, []noticeRow{
			{consent.ChannelSMS, true, false, "Not sent: notifications by SMS are switched off for this agenda."},
			{consent.ChannelEmail, true, true, allowed}, offPush}},
		{"booked and cancelled within the grace period", true, []noticeRow{{Channel: consent.ChannelSMS}, {Channel: consent.ChannelEmail}, offPush}},
	}
	if len(got) != len(tests) {
		t.Fatalf("%d notices for %d appointments", len(got), len(tests))
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got[i].AppointmentID != appts[i].ID || got[i].Silent != tc.silent {
				t.Errorf("appointment %d silent %v, want %d %v", got[i].AppointmentID, got[i].Silent, appts[i].ID, tc.silent)
			}
			if diff := cmp.Diff(tc.want, noticeRows(got[i])); diff != "" {
				t.Errorf("channels (-want +got):\n%s", diff)
			}
		})
	}

	// Cancelling then plans what the preview said: a cancellation notice on each planned
	// channel, none for the appointment booked a moment ago.
	for i, a := range appts {
		if _, err := w.svc.Cancel(ctx, w.admin, booking.Change{ID: a.ID, Version: a.Version}); err != nil {
			t.Fatalf("cancel %d: %v", a.ID, err)
		}
		var planned []store.Notification
		w.view(func(tx *store.Tx) (err error) {
			planned, err = tx.Notifications().PlannedForAppointments(ctx, org, []clinic.AppointmentID{a.ID})
			return err
		})
		var channels []consent.Channel
		for _, n := range planned {
			if n.Kind == notify.KindCancellation {
				channels = append(channels, consent.Channel(n.Channel))
			}
		}
		var want []consent.Channel
		for _, c := range got[i].Channels {
			if c.Planned {
				want = append(want, c.Channel)
			}
		}
		slices.Sort(channels)
		slices.Sort(want)
		if diff := cmp.Diff(want, channels); diff != "" {
			t.Errorf("%s: cancellation notices planned (-preview +planned):\n%s", tests[i].name, diff)
		}
	}
}

// TestPreviewChecksAsRecording: a preview refuses what recording would refuse, needs the
// permission to manage schedules, and records nothing.
func TestPreviewChecksAsRecording(t *testing.T) {
	w := newSchedWorld(t)
	org, pid := w.f.Org.ID, w.f.Practitioner.ID
	a := w.appt(w.f.Agenda.ID, w.at(4, 8, 10, 0), 15, clinic.StatusBooked, w.f.Patient.ID)
	tests := []struct {
		name   string
		actor  clinic.Actor
		run    func(tx *store.Tx, actor clinic.Actor) ([]clinic.Appointment, error)
		want   []clinic.AppointmentID
		fields []string
		err    error
	}{
		{"absence over an appointment", w.admin, func(tx *store.Tx, actor clinic.Actor) ([]clinic.Appointment, error) {
			return w.svc.PreviewAbsenceTx(ctx, tx, actor, clinic.Absence{PractitionerID: pid, Start: w.at(4, 8, 0, 0), End: w.at(4, 9, 0, 0)})
		}, []clinic.AppointmentID{a.ID}, nil, nil},
		{"absence ending before it starts", w.admin, func(tx *store.Tx, actor clinic.Actor) ([]clinic.Appointment, error) {
			return w.svc.PreviewAbsenceTx(ctx, tx, actor, clinic.Absence{PractitionerID: pid, Start: w.at(4, 9, 0, 0), End: w.at(4, 8, 0, 0)})
		}, nil, []string{"end"}, clinic.ErrInvalid},
		{"absence as reception", w.recep, func(tx *store.Tx, actor clinic.Actor) ([]clinic.Appointment, error) {
			return w.svc.PreviewAbsenceTx(ctx, tx, actor, clinic.Absence{PractitionerID: pid, Start: w.at(4, 8, 0, 0), End: w.at(4, 9, 0, 0)})
		}, nil, nil, clinic.ErrForbidden},
		{"closed day over an appointment", w.admin, func(tx *store.Tx, actor clinic.Actor) ([]clinic.Appointment, error) {
			return w.svc.PreviewExceptionTx(ctx, tx, actor, clinic.ScheduleException{AgendaID: w.f.Agenda.ID, Day: "2026-04-08", Closed: true}, nil)
		}, []clinic.AppointmentID{a.ID}, nil, nil},
		{"exception with the surface's problems", w.admin, func(tx *store.Tx, actor clinic.Actor) ([]clinic.Appointment, error) {
			return w.svc.PreviewExceptionTx(ctx, tx, actor, clinic.ScheduleException{AgendaID: w.f.Agenda.ID, Day: "2026-04-08", Start: 12 * 60, End: 9 * 60},
				[]clinic.FieldError{{Field: "day", Reason: "is odd"}})
		}, nil, []string{"day", "end"}, clinic.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []clinic.Appointment
			err := w.db.View(ctx, func(tx *store.Tx) (err error) {
				got, err = tc.run(tx, tc.actor)
				return err
			})
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("err %v, want %v", err, tc.err)
				}
				var fields []string
				for _, f := range clinic.FieldsOf(err) {
					fields = append(fields, f.Field)
				}
				slices.Sort(fields)
				if diff := cmp.Diff(tc.fields, fields); diff != "" {
					t.Errorf("fields (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, ids(got)); diff != "" {
				t.Errorf("affected (-want +got):\n%s", diff)
			}
		})
	}
	w.view(func(tx *store.Tx) error {
		abs, err := tx.Schedule().Absences(ctx, org, []clinic.PractitionerID{pid}, schedNow, schedNow.AddDate(1, 0, 0))
		if err != nil {
			return err
		}
		es, err := tx.Schedule().Exceptions(ctx, org, []clinic.AgendaID{w.f.Agenda.ID}, "2026-01-01", "2026-12-31")
		if len(abs)+len(es) != 0 {
			t.Errorf("a preview recorded %v %v", abs, es)
		}
		return err
	})
}

// TestScheduleChangesAudited (ADM-5): each change of hours, exceptions and absences is
// audited with what it changed, before and after.
func TestScheduleChangesAudited(t *testing.T) {
	w := newSchedWorld(t)
	org, ag, pid := w.f.Org.ID, w.f.Agenda.ID, w.f.Practitioner.ID
	if _, err := w.svc.SetHours(ctx, w.admin, ag, []clinic.WorkingHours{{Weekday: time.Monday, Start: 540, End: 720}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetHours(ctx, w.admin, ag, []clinic.WorkingHours{{Weekday: time.Monday, Start: 540, End: 720},
		{Weekday: time.Monday, Start: 780, End: 1020}, {Weekday: time.Saturday, Start: 540, End: 1440}}, nil); err != nil {
		t.Fatal(err)
	}
	x, err := w.svc.AddException(ctx, w.admin, clinic.ScheduleException{AgendaID: ag, Day: "2026-12-25", Closed: true, Start: 540, End: 720, Note: " Christmas "}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.DeleteException(ctx, w.admin, x.ID); err != nil {
		t.Fatal(err)
	}
	ab, _, err := w.svc.CreateAbsence(ctx, w.admin, clinic.Absence{PractitionerID: pid, Start: w.at(4, 8, 0, 0), End: w.at(4, 9, 0, 0), Note: "Conference"})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.svc.DeleteAbsence(ctx, w.admin, ab.ID); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.DeleteAbsence(ctx, w.admin, ab.ID); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("deleting twice: %v, want not found", err)
	}
	var rows []store.AuditEntry
	w.view(func(tx *store.Tx) (err error) {
		rows, err = tx.AuditTrail().AuditLog(ctx, org, store.AuditFilter{}, store.Page{Limit: 100})
		return err
	})
	type change struct {
		Action  string
		Subject string
		Changes map[string][2]string
	}
	var got []change
	for i := len(rows) - 1; i >= 0; i-- {
		r := rows[i]
		if r.Detail == "" {
			continue
		}
		var d audit.ChangeDetail
		if err := json.Unmarshal([]byte(r.Detail), &d); err != nil {
			t.Fatalf("%s: %v", r.Action, err)
		}
		c := change{Action: r.Action, Subject: d.Subject, Changes: map[string][2]string{}}
		for _, fc := range d.Changes {
			c.Changes[fc.Field] = [2]string{string(fc.Before), string(fc.After)}
		}
		got = append(got, c)
	}
	closed := `[]`
	want := []change{
		{"agenda.hours", "Dr Lovelace", map[string][2]string{"monday": {closed, `["09:00–12:00"]`}}},
		{"agenda.hours", "Dr Lovelace", map[string][2]string{"monday": {`["09:00–12:00"]`, `["09:00–12:00","13:00–17:00"]`},
			"saturday": {closed, `["09:00–24:00"]`}}},
		{"agenda.exception.create", "Dr Lovelace", map[string][2]string{"day": {"null", `"2026-12-25"`}, "change": {"null", `"replace"`},
			"hours": {"null", `"09:00–12:00"`}, "note": {"null", `"Christmas"`}}},
		{"agenda.exception.delete", "Dr Lovelace", map[string][2]string{"day": {`"2026-12-25"`, "null"}, "change": {`"replace"`, "null"},
			"hours": {`"09:00–12:00"`, "null"}, "note": {`"Christmas"`, "null"}}},
		{"absence.create", "Dr Ada Lovelace", map[string][2]string{"start": {"null", `"2026-04-07T14:00:00Z"`}, "end": {"null", `"2026-04-08T14:00:00Z"`},
			"note": {"null", `"Conference"`}}},
		{"absence.delete", "Dr Ada Lovelace", map[string][2]string{"start": {`"2026-04-07T14:00:00Z"`, "null"}, "end": {`"2026-04-08T14:00:00Z"`, "null"},
			"note": {`"Conference"`, "null"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audited changes (-want +got):\n%s", diff)
	}
}
