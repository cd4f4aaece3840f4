package dispatch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/booking"
	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/directory"
	"github.com/tidings-health/tidings/internal/notify"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
)

// The scenarios of seed 001 (the Doctolib switches, "why didn't my patient get it?"), end to
// end: the use cases change the clinic, the appointments and their statuses; the dispatcher
// decides each message at its send time (NOT-3) and sends through the loopback provider (SMS)
// and the outbox (e-mail). Each scenario's name is its sentence.

// scene is the dispatch tests' world with the administrator's use cases and the fixture
// agenda open Monday to Friday 09:00–17:00, so that patients can book online.
type scene struct {
	*world
	admin     clinic.Actor
	directory *directory.Service
	patients  *patient.Service
	settings  *notify.Service
}

func newScene(t *testing.T) *scene {
	t.Helper()
	s := &scene{world: newWorld(t)}
	s.admin = clinic.StaffActor(clinic.User{ID: 1, OrgID: s.f.Org.ID, Role: clinic.RoleAdministrator})
	s.directory, s.patients, s.settings = directory.New(s.db), patient.New(s.db), notify.New(s.db)
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		c := s.f.Clinic
		c.Rules = clinic.DefaultBookingRules()
		if _, err := tx.Directory().UpdateClinic(ctx, s.f.Org.ID, c); err != nil {
			return err
		}
		var hours []clinic.WorkingHours
		for d := time.Monday; d <= time.Friday; d++ {
			hours = append(hours, clinic.WorkingHours{Weekday: d, Start: 9 * 60, End: 17 * 60})
		}
		return tx.Schedule().SetWorkingHours(ctx, s.f.Org.ID, s.f.Agenda.ID, hours)
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// online books the fixture's reason as the patient, in the portal.
func (s *scene) online(p clinic.PatientID, local string) clinic.Appointment {
	s.t.Helper()
	b, err := s.booking.Book(ctx, clinic.PatientActor(s.f.Org.ID, p), booking.Request{PatientID: p, ReasonID: s.f.Reason.ID,
		AgendaID: s.f.Agenda.ID, Start: sydney(local)}, nil)
	if err != nil {
		s.t.Fatalf("book online %s: %v", local, err)
	}
	if b.Appointment.BookedBy != clinic.BookedByPatient {
		s.t.Fatalf("booked by %s, want the patient", b.Appointment.BookedBy)
	}
	return b.Appointment
}

// newPatient creates a patient of the fixture's database.
func (s *scene) newPatient(given, mobile, email string) clinic.Patient {
	s.t.Helper()
	var p clinic.Patient
	err := s.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		p, err = tx.Patients().CreatePatient(ctx, s.f.Org.ID, clinic.Patient{DatabaseID: s.f.Database.ID, ExternalID: "S-" + given,
			GivenName: given, FamilyName: "Hopper", Mobile: mobile, Email: email, Language: "en"})
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

// change saves the clinic's settings: the defaults with edit applied.
func (s *scene) change(edit func(*notify.SettingsInput)) {
	s.t.Helper()
	in := notify.SettingsInput{Channels: []string{"sms", "email"}, ReminderOffsets: []string{"72h", "2h"}, GraceSeconds: 120,
		WindowFrom: "08:00", WindowTo: "20:00", RemindConfirmed: true, AskReply: true}
	edit(&in)
	if _, err := s.settings.SetSettings(ctx, s.admin, s.f.Clinic.ID, in); err != nil {
		s.t.Fatal(err)
	}
}

// agendaOff switches channels off for the fixture agenda (CON-5).
func (s *scene) agendaOff(chs ...consent.Channel) {
	s.t.Helper()
	if _, err := s.directory.SetClinicChannels(ctx, s.admin, s.f.Clinic.ID, []directory.AgendaChannels{{AgendaID: s.f.Agenda.ID, Off: chs}}); err != nil {
		s.t.Fatal(err)
	}
}

// status sets an appointment's status as staff, returning it as it is now.
func (s *scene) status(a clinic.Appointment, to clinic.Status) clinic.Appointment {
	s.t.Helper()
	a, err := s.booking.SetStatus(ctx, s.admin, booking.Change{ID: a.ID, Version: a.Version}, to)
	if err != nil {
		s.t.Fatalf("status %s: %v", to, err)
	}
	return a
}

// at sets the clock to a local Sydney time and runs the dispatcher.
func (s *scene) at(local string) {
	s.t.Helper()
	s.clock.Set(sydney(local))
	s.drain()
}

func sydney(local string) time.Time {
	syd, _ := time.LoadLocation("Australia/Sydney")
	t, err := time.ParseInLocation("2006-01-02 15:04", local, syd)
	if err != nil {
		panic(err)
	}
	return t
}

// outcomes are "state: reason" of an appointment's notifications by "kind@offset/channel"
// (the reason is left out of a sent one).
func (s *scene) outcomes(a clinic.AppointmentID) map[string]string {
	s.t.Helper()
	out := map[string]string{}
	for _, n := range s.notes(a) {
		key := n.Kind + "/" + n.Channel
		if n.Offset != "" {
			key = n.Kind + "@" + n.Offset + "/" + n.Channel
		}
		v := n.State
		if n.State != store.NoteSent && n.Reason != "" {
			v += ": " + n.Reason
		}
		if prev, ok := out[key]; ok {
			v = prev + " | " + v
		}
		out[key] = v
	}
	return out
}

// expect checks the outcomes of the notifications want names.
func (s *scene) expect(t *testing.T, what string, a clinic.AppointmentID, want map[string]string) {
	t.Helper()
	got := s.outcomes(a)
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s, %s:\n got %q\nwant %q", what, k, got[k], v)
		}
	}
}

// smsTo lists the bodies of the SMS the provider took for a number.
func (s *scene) smsTo(number string) []string {
	var out []string
	for _, m := range s.provider.Messages() {
		if m.To == number {
			out = append(out, m.Body)
		}
	}
	return out
}

// decision is the stored decision of a notification (CON-9).
func (s *scene) decision(id int64) store.Decision {
	s.t.Helper()
	var ds []store.Decision
	err := s.db.View(ctx, func(tx *store.Tx) error {
		var err error
		ds, err = tx.Consent().DecisionsOf(ctx, s.f.Org.ID, id)
		return err
	})
	if err != nil || len(ds) != 1 {
		s.t.Fatalf("decisions of notification %d: %+v, %v", id, ds, err)
	}
	return ds[0]
}

// sentence fills a consent message's arguments.
func sentence(key string, args ...string) string {
	for i, a := range args {
		key = strings.ReplaceAll(key, "{"+string(rune('0'+i))+"}", a)
	}
	return key
}

func TestSeedScenarios(t *testing.T) {
	const (
		grace   = "2026-03-02 08:33" // the booking notices' grace period is over
		remind  = "2026-03-03 11:00" // the 72 h reminders of Friday's appointments until 11:00 are due
		sent    = store.NoteSent
		skipped = store.NoteSkipped + ": "
	)
	agendaSMSOff := skipped + sentence(consent.MsgSwitchedOffAgenda, consent.LabelSMS)

	t.Run("SMS switched off for an agenda: staff bookings get e-mail and no SMS, online bookings still get SMS", func(t *testing.T) {
		s := newScene(t)
		s.agendaOff(consent.ChannelSMS)
		online := s.newPatient("Olivia", "+61400000201", "olivia@example.com")
		byStaff := s.book(s.f.Patient.ID, "2026-03-06 10:00")
		byPatient := s.online(online.ID, "2026-03-06 11:00")
		s.at(grace)
		s.at(remind)
		s.expect(t, "booked by staff", byStaff.ID, map[string]string{
			"confirmation/sms": agendaSMSOff, "confirmation/email": sent, "reminder@72h/sms": agendaSMSOff, "reminder@72h/email": sent})
		s.expect(t, "booked online", byPatient.ID, map[string]string{
			"confirmation/sms": sent, "confirmation/email": sent, "reminder@72h/sms": sent, "reminder@72h/email": sent})
		if got := s.smsTo(s.f.Patient.Mobile); len(got) != 0 {
			t.Errorf("SMS to the staff-booked patient: %q", got)
		}
		if got := s.smsTo(online.Mobile); len(got) != 2 {
			t.Errorf("SMS to the patient who booked online: %q, want the confirmation and the reminder", got)
		}
	})

	t.Run("reason notifications switched off: nothing, whoever booked", func(t *testing.T) {
		s := newScene(t)
		off := false
		if _, err := s.directory.UpdateReason(ctx, s.admin, s.f.Reason.ID, directory.ReasonInput{Notifications: &off}); err != nil {
			t.Fatal(err)
		}
		online := s.newPatient("Olivia", "+61400000201", "olivia@example.com")
		byStaff := s.book(s.f.Patient.ID, "2026-03-06 10:00")
		byPatient := s.online(online.ID, "2026-03-06 11:00")
		s.at(grace)
		s.at(remind)
		reasonOff := skipped + consent.MsgSwitchedOffReason
		for _, a := range []clinic.Appointment{byStaff, byPatient} {
			s.expect(t, "booked by "+string(a.BookedBy), a.ID, map[string]string{
				"confirmation/sms": reasonOff, "confirmation/email": reasonOff, "reminder@72h/sms": reasonOff, "reminder@72h/email": reasonOff})
		}
		if n := len(s.provider.Messages()); n != 0 {
			t.Errorf("%d SMS sent", n)
		}
	})

	t.Run("patient switch off: nothing for staff bookings, online bookings still notified", func(t *testing.T) {
		s := newScene(t)
		off := false
		if _, err := s.patients.SetNotifications(ctx, s.admin, s.f.Patient.ID, &off); err != nil {
			t.Fatal(err)
		}
		byStaff := s.book(s.f.Patient.ID, "2026-03-06 10:00")
		byPatient := s.online(s.f.Patient.ID, "2026-03-06 11:00")
		s.at(grace)
		patientOff := skipped + consent.MsgSwitchedOffPatient
		s.expect(t, "booked by staff", byStaff.ID, map[string]string{"confirmation/sms": patientOff, "confirmation/email": patientOff})
		s.expect(t, "booked online", byPatient.ID, map[string]string{"confirmation/sms": sent, "confirmation/email": sent})
		if got := s.smsTo(s.f.Patient.Mobile); len(got) != 1 || !strings.Contains(got[0], "11:00") {
			t.Errorf("SMS %q, want the online booking's confirmation only", got)
		}
	})

	t.Run("status arrived set before the reminder's due time: not sent; set and removed before it: sent", func(t *testing.T) {
		s := newScene(t)
		other := s.newPatient("Olivia", "+61400000201", "olivia@example.com")
		arrived := s.book(s.f.Patient.ID, "2026-03-06 10:00")
		undone := s.book(other.ID, "2026-03-06 10:30")
		s.at(grace)
		s.at(remind)
		s.clock.Set(sydney("2026-03-06 07:30"))
		s.status(arrived, clinic.StatusArrived) // marked by mistake, and left
		u := s.status(undone, clinic.StatusArrived)
		s.status(u, clinic.StatusBooked) // marked by mistake, and removed
		s.at("2026-03-06 08:30")         // both 2 h reminders are due
		notUpcoming := skipped + sentence(consent.MsgNotUpcoming, string(clinic.StatusArrived))
		s.expect(t, "arrived", arrived.ID, map[string]string{"reminder@2h/sms": notUpcoming, "reminder@2h/email": notUpcoming})
		s.expect(t, "arrived then booked again", undone.ID, map[string]string{"reminder@2h/sms": sent, "reminder@2h/email": sent})
		for _, n := range s.notes(arrived.ID) {
			if n.Offset == "2h" {
				if d := s.decision(n.ID); d.Outcome != string(consent.OutcomeNotUpcoming) || d.Rule != "NOT-3" || d.Trace == "" {
					t.Errorf("decision %+v, want NOT-3 not upcoming with its trace", d)
				}
			}
		}
	})

	t.Run("confirmed appointments are still reminded by default, not once the clinic turns that off", func(t *testing.T) {
		for _, remindConfirmed := range []bool{true, false} {
			s := newScene(t)
			s.change(func(in *notify.SettingsInput) { in.RemindConfirmed = remindConfirmed })
			a := s.book(s.f.Patient.ID, "2026-03-06 10:00")
			s.at(grace)
			s.status(a, clinic.StatusConfirmed)
			s.at(remind)
			want := sent
			if !remindConfirmed {
				want = skipped + "the patient confirmed, and this clinic sends no further reminders once confirmed"
			}
			s.expect(t, "confirmed", a.ID, map[string]string{"reminder@72h/sms": want, "reminder@72h/email": want})
		}
	})

	t.Run("parent and child on one mobile, same agenda and day: one SMS naming both", func(t *testing.T) {
		s := newScene(t)
		child := s.newPatient("Noah", s.f.Patient.Mobile, "")
		parent := s.book(s.f.Patient.ID, "2026-03-06 10:00")
		kid := s.book(child.ID, "2026-03-06 10:15")
		s.at(grace)
		before := len(s.smsTo(s.f.Patient.Mobile)) // the two confirmations
		s.at(remind)
		got := s.smsTo(s.f.Patient.Mobile)[before:]
		if len(got) != 1 || !strings.Contains(got[0], "Grace") || !strings.Contains(got[0], "Noah") {
			t.Fatalf("reminders %q, want one SMS naming Grace and Noah", got)
		}
		// One of the two reminders carried the other (NOT-4): both are sent, one names the
		// other as its group.
		var rs []store.Notification
		for _, id := range []clinic.AppointmentID{parent.ID, kid.ID} {
			for _, n := range s.notes(id) {
				if n.Kind == notify.KindReminder && n.Offset == "72h" && n.Channel == "sms" {
					rs = append(rs, n)
				}
			}
		}
		if len(rs) != 2 || rs[0].State != sent || rs[1].State != sent ||
			!(rs[0].GroupID == 0 && rs[1].GroupID == rs[0].ID || rs[1].GroupID == 0 && rs[0].GroupID == rs[1].ID) {
			t.Errorf("the two SMS reminders: %v, want both sent, one carrying the other", summary(rs))
		}
	})

	t.Run("parent and child on one mobile, the child's appointment cancelled before the due time: the parent's ordinary reminder only", func(t *testing.T) {
		s := newScene(t)
		child := s.newPatient("Noah", s.f.Patient.Mobile, "")
		parent := s.book(s.f.Patient.ID, "2026-03-06 10:00")
		kid := s.book(child.ID, "2026-03-06 10:15")
		s.at(grace)
		if _, err := s.booking.Cancel(ctx, s.admin, booking.Change{ID: kid.ID, Version: kid.Version}); err != nil {
			t.Fatal(err)
		}
		s.at("2026-03-02 08:40") // the cancellation notice goes
		before := len(s.smsTo(s.f.Patient.Mobile))
		s.at(remind)
		got := s.smsTo(s.f.Patient.Mobile)[before:]
		if len(got) != 1 || !strings.HasPrefix(got[0], "Reminder: Grace, your appointment") || strings.Contains(got[0], "Noah") {
			t.Fatalf("reminders %q, want Grace's ordinary reminder only", got)
		}
		s.expect(t, "parent", parent.ID, map[string]string{"reminder@72h/sms": sent})
		s.expect(t, "child", kid.ID, map[string]string{"reminder@72h/sms": store.NoteCancelled + ": the appointment was cancelled"})
	})

	t.Run("no mobile: the SMS is skipped for no destination, and the decision is stored", func(t *testing.T) {
		s := newScene(t)
		p := s.newPatient("Olivia", "", "olivia@example.com")
		a := s.book(p.ID, "2026-03-06 10:00")
		s.at(grace)
		s.expect(t, "no mobile", a.ID, map[string]string{"confirmation/sms": skipped + consent.MsgNoMobile, "confirmation/email": sent})
		for _, n := range s.notes(a.ID) {
			if n.Kind == notify.KindConfirmation && n.Channel == "sms" {
				d := s.decision(n.ID)
				if d.Allowed || d.Outcome != string(consent.OutcomeNoDestination) || d.Rule != "NOT-5" || d.PatientID != p.ID ||
					!strings.Contains(d.Trace, "NOT-5") || d.Text != consent.MsgNoMobile {
					t.Errorf("stored decision %+v", d)
				}
			}
		}
		if n := len(s.provider.Messages()); n != 0 {
			t.Errorf("%d SMS sent", n)
		}
	})

	t.Run("SMS switched off for an agenda and an absence cancels its appointments: no cancellation SMS, e-mail per its switch", func(t *testing.T) {
		for _, emailOff := range []bool{false, true} {
			s := newScene(t)
			a := s.book(s.f.Patient.ID, "2026-03-06 10:00")
			s.at(grace) // the confirmations go while SMS are on
			off := []consent.Channel{consent.ChannelSMS}
			if emailOff {
				off = append(off, consent.ChannelEmail)
			}
			s.agendaOff(off...)
			_, affected, err := s.booking.CreateAbsence(ctx, s.admin, clinic.Absence{PractitionerID: s.f.Practitioner.ID,
				Start: sydney("2026-03-06 08:00"), End: sydney("2026-03-06 18:00"), Note: "sick"})
			if err != nil {
				t.Fatal(err)
			}
			if len(affected) != 1 || affected[0].ID != a.ID {
				t.Fatalf("affected %+v, want the booked appointment", affected)
			}
			for _, x := range affected {
				if _, err := s.booking.Cancel(ctx, s.admin, booking.Change{ID: x.ID, Version: x.Version}); err != nil {
					t.Fatal(err)
				}
			}
			s.at("2026-03-02 08:40")
			wantEmail := sent
			if emailOff {
				wantEmail = skipped + sentence(consent.MsgSwitchedOffAgenda, consent.LabelEmail)
			}
			s.expect(t, "cancelled for the absence", a.ID, map[string]string{"cancellation/sms": agendaSMSOff, "cancellation/email": wantEmail})
			if got := s.smsTo(s.f.Patient.Mobile); len(got) != 1 {
				t.Errorf("SMS %q, want the confirmation only", got)
			}
		}
	})

	t.Run("quiet hours: a reminder due at 22:00 waits until the window opens at 08:00", func(t *testing.T) {
		s := newScene(t)
		s.change(func(in *notify.SettingsInput) { in.ReminderOffsets = []string{"12h"} })
		a := s.book(s.f.Patient.ID, "2026-03-06 10:00")
		s.at(grace)
		s.at("2026-03-05 22:00")
		s.expect(t, "at 22:00", a.ID, map[string]string{
			"reminder@12h/sms": store.NotePlanned + ": quiet hours: waiting for the clinic's SMS window (08:00-20:00)", "reminder@12h/email": sent})
		for _, n := range s.notes(a.ID) {
			if n.Kind == notify.KindReminder && n.Channel == "sms" && !n.Due.Equal(sydney("2026-03-06 08:00")) {
				t.Errorf("SMS reminder due %s, want 08:00", n.Due.In(sydney("2026-03-06 08:00").Location()))
			}
		}
		s.at("2026-03-06 07:59")
		s.expect(t, "at 07:59", a.ID, map[string]string{"reminder@12h/sms": store.NotePlanned + ": quiet hours: waiting for the clinic's SMS window (08:00-20:00)"})
		s.at("2026-03-06 08:00")
		s.expect(t, "at 08:00", a.ID, map[string]string{"reminder@12h/sms": sent})
	})

	t.Run("quiet hours: a reminder due at 22:00 for an appointment before the window opens is skipped", func(t *testing.T) {
		s := newScene(t)
		s.change(func(in *notify.SettingsInput) { in.ReminderOffsets = []string{"9h"} })
		a := s.book(s.f.Patient.ID, "2026-03-06 07:00")
		s.at(grace)
		s.at("2026-03-05 22:00")
		s.expect(t, "at 22:00", a.ID, map[string]string{
			"reminder@9h/sms": skipped + "quiet hours: the clinic's SMS window opens only after the appointment", "reminder@9h/email": sent})
	})

	t.Run("monthly SMS budget reached: skipped with the reason", func(t *testing.T) {
		s := newScene(t)
		first := s.book(s.f.Patient.ID, "2026-03-06 10:00")
		s.at(grace)
		var used int
		for _, n := range s.notes(first.ID) {
			if n.Channel == "sms" && n.State == sent {
				used += n.Segments
			}
		}
		if used == 0 {
			t.Fatal("the first confirmation used no segments")
		}
		s.change(func(in *notify.SettingsInput) { in.SMSBudget = used })
		other := s.newPatient("Olivia", "+61400000201", "olivia@example.com")
		second := s.book(other.ID, "2026-03-06 11:00")
		s.at("2026-03-02 08:40")
		s.expect(t, "over budget", second.ID, map[string]string{
			"confirmation/sms": skipped + "the clinic's monthly SMS budget is used up", "confirmation/email": sent})
		if got := s.smsTo(other.Mobile); len(got) != 0 {
			t.Errorf("SMS beyond the budget: %q", got)
		}
	})
}
