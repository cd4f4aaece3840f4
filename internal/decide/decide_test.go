package decide_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/consent"
	"github.com/tidings-health/tidings/internal/decide"
	"github.com/tidings-health/tidings/internal/patient"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
	"strings"
)

var ctx = context.Background()

// now is Tuesday 2026-03-10 09:00 in Sydney.
var now = time.Date(2026, 3, 9, 22, 0, 0, 0, time.UTC)

type world struct {
	db       *store.DB
	f        storetest.Fixture
	second   clinic.Clinic   // shares the fixture's database (CON-2)
	agendaB  clinic.Agenda   // an agenda of the second clinic
	bp       clinic.Database // a Best Practice database: the flag cannot be read (CON-4)
	admin    clinic.Actor
	patients map[string]clinic.PatientID
}

// setup builds an organisation whose database is shared by two clinics, a Best Practice
// database, and patients whose facts the dry run and conflicts tests count by hand:
//
//	name     PMS      Tidings record                 mobile  upcoming at
//	out-a    out      —                              yes     A
//	in-over  out      opted in to sms reminders      yes     A
//	out-tid  out      opted out of all sms (STOP)    yes     B
//	in-pms   in       —                              yes     A
//	out-b    out      —                              yes     B
//	out-ab   out      —                              yes     A and B
//	out-none out      —                              yes     —
//	no-dest  out      —                              no      A
//	in-stop  in       opted out of all sms (STOP)    yes     —
func setup(t *testing.T) *world {
	t.Helper()
	db := storetest.Open(t, func() time.Time { return now })
	w := &world{db: db, f: storetest.Seed(t, db, "acme"), patients: map[string]clinic.PatientID{}}
	org := w.f.Org.ID
	w.admin = clinic.Actor{Kind: clinic.ActorStaff, OrgID: org, Role: clinic.RoleAdministrator, UserID: 1, Label: "user:1"}
	type row struct {
		name, record  string
		pmsOut, phone bool
		at            string
	}
	rows := []row{
		{"out-a", "", true, true, "A"}, {"in-over", "in:reminder", true, true, "A"}, {"out-tid", "out:all", true, true, "B"},
		{"in-pms", "", false, true, "A"}, {"out-b", "", true, true, "B"}, {"out-ab", "", true, true, "AB"},
		{"out-none", "", true, true, ""}, {"no-dest", "", true, false, "A"}, {"in-stop", "out:all", false, true, ""},
	}
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		if w.second, err = tx.Directory().CreateClinic(ctx, org, clinic.Clinic{DatabaseID: w.f.Database.ID, Slug: "north", Name: "North St", Zone: "Australia/Sydney", Region: "AU"}); err != nil {
			return err
		}
		if w.agendaB, err = tx.Directory().CreateAgenda(ctx, org, clinic.Agenda{ClinicID: w.second.ID, Name: "Room B", Active: true}); err != nil {
			return err
		}
		reasonB, err := tx.Directory().CreateReason(ctx, org, clinic.Reason{ClinicID: w.second.ID, Name: "Consult", Duration: 15 * time.Minute,
			Notifications: true, AgendaIDs: []clinic.AgendaID{w.agendaB.ID}})
		if err != nil {
			return err
		}
		if w.bp, err = tx.Directory().CreateDatabase(ctx, org, clinic.Database{Name: "BP", Kind: clinic.KindHL7v2, Profile: clinic.ProfileBestPractice, RespectOptOut: true}); err != nil {
			return err
		}
		for i, r := range rows {
			read := now.Add(-48 * time.Hour) // as the last sync read the flag
			p := clinic.Patient{DatabaseID: w.f.Database.ID, GivenName: r.name, FamilyName: "Test", PMSOptOut: r.pmsOut, PMSOptOutReadAt: &read, Language: "en"}
			if r.phone {
				p.Mobile = fmt.Sprintf("+6141200%04d", i)
			}
			if p, err = tx.Patients().CreatePatient(ctx, org, p); err != nil {
				return err
			}
			w.patients[r.name] = p.ID
			if r.record != "" {
				rec := store.ConsentRecord{PatientID: p.ID, Channel: "sms", Purpose: "reminder", OptIn: true, Source: "dashboard", Actor: "user:2"}
				if r.record == "out:all" {
					rec.Purpose, rec.OptIn, rec.Source, rec.Actor = "all", false, "sms", "system:sms"
				}
				if _, err := tx.Consent().RecordConsent(ctx, org, rec); err != nil {
					return err
				}
			}
			for j, c := range r.at {
				a := clinic.Appointment{ClinicID: w.f.Clinic.ID, AgendaID: w.f.Agenda.ID, ReasonID: w.f.Reason.ID, PatientID: p.ID,
					Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff}
				if c == 'B' {
					a.ClinicID, a.AgendaID, a.ReasonID = w.second.ID, w.agendaB.ID, reasonB.ID
				}
				a.Start = now.Add(time.Duration(24*(i+1)+j) * time.Hour)
				a.End = a.Start.Add(15 * time.Minute)
				if _, err := tx.Appointments().CreateAppointment(ctx, org, a); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) names(refs []decide.PatientRef) []string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Name)
	}
	return out
}

// TestOptOutDryRun: the counts of the dry run match those worked out by hand from the table
// in setup (CON-1, CON-2, CON-3, CON-4).
func TestOptOutDryRun(t *testing.T) {
	w := setup(t)
	off, on := false, true
	// Turning the setting off: patients opted out in the PMS with nothing said in Tidings
	// start getting reminders; Tidings-side choices (in-over, out-tid) and a patient without
	// a destination (no-dest) do not change.
	d, err := decide.OptOutDryRun(ctx, w.db, w.admin, w.f.Database.ID, &off)
	if err != nil {
		t.Fatal(err)
	}
	type clinicCount struct {
		Name        string
		Start, Stop int
		Sample      []string
	}
	got := []clinicCount{}
	for _, im := range d.Clinics {
		got = append(got, clinicCount{im.Clinic.Name, im.Start, im.Stop, w.names(im.Sample)})
	}
	want := []clinicCount{{"Main St", 2, 0, []string{"out-a Test", "out-ab Test"}}, {"North St", 2, 0, []string{"out-b Test", "out-ab Test"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("per clinic (-want +got):\n%s", diff)
	}
	if d.Start != 4 || d.Stop != 0 || d.WithoutAppointment != 1 || d.Unavailable {
		t.Errorf("database: start %d stop %d without appointment %d unavailable %v; want 4, 0, 1, false", d.Start, d.Stop, d.WithoutAppointment, d.Unavailable)
	}
	// The value it already has changes nothing.
	if d, err := decide.OptOutDryRun(ctx, w.db, w.admin, w.f.Database.ID, &on); err != nil || d.Start+d.Stop != 0 {
		t.Errorf("dry run of the current value: %+v, %v", d, err)
	}
	// Best Practice cannot read the flag (CON-4): unavailable, nothing changes.
	if d, err := decide.OptOutDryRun(ctx, w.db, w.admin, w.bp.ID, &off); err != nil || !d.Unavailable || d.Start+d.Stop != 0 {
		t.Errorf("Best Practice dry run: %+v, %v; want unavailable", d, err)
	}
	// Reception may not; another organisation's database is not found; the value is required.
	recep := w.admin
	recep.Role = clinic.RoleReception
	if _, err := decide.OptOutDryRun(ctx, w.db, recep, w.f.Database.ID, &off); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("reception: %v, want forbidden", err)
	}
	if _, err := decide.OptOutDryRun(ctx, w.db, w.admin, 99999, &off); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("unknown database: %v, want not found", err)
	}
	if _, err := decide.OptOutDryRun(ctx, w.db, w.admin, w.f.Database.ID, nil); !errors.Is(err, clinic.ErrInvalid) {
		t.Errorf("no value: %v, want a field error", err)
	}
}

// TestOptOutDryRunTurningOn mirrors TestOptOutDryRun from a database that ignores the flag.
func TestOptOutDryRunTurningOn(t *testing.T) {
	w := setup(t)
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		d := w.f.Database
		d.RespectOptOut = false
		_, err := tx.Directory().UpdateDatabase(ctx, w.f.Org.ID, d)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	on := true
	d, err := decide.OptOutDryRun(ctx, w.db, w.admin, w.f.Database.ID, &on)
	if err != nil {
		t.Fatal(err)
	}
	if d.Start != 0 || d.Stop != 4 || d.WithoutAppointment != 1 || d.Clinics[0].Stop != 2 || d.Clinics[1].Stop != 2 {
		t.Errorf("turning on: %+v; want 4 stop (2 in each clinic), 1 without appointment", d)
	}
}

// TestConflicts lists the patients whose PMS value and Tidings choice about reminders
// disagree, both ways, and no one else (CON-3).
func TestConflicts(t *testing.T) {
	w := setup(t)
	cs, err := decide.Conflicts(ctx, w.db, w.admin, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range cs {
		got = append(got, fmt.Sprintf("%s pms_out=%v choice=%s/%s in=%v by %s", c.Patient.Name, c.PMSOptOut, c.Choice.Channel, c.Choice.Purpose, c.Choice.OptIn, c.Choice.Actor))
	}
	want := []string{"in-over Test pms_out=true choice=sms/reminder in=true by user:2", "in-stop Test pms_out=false choice=sms/all in=false by system:sms"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("conflicts (-want +got):\n%s", diff)
	}
	if cs, err := decide.Conflicts(ctx, w.db, w.admin, w.second.ID); err != nil || len(cs) != 2 {
		t.Errorf("filtered by a clinic of the shared database: %d, %v", len(cs), err)
	}
	recep := w.admin
	recep.Role = clinic.RoleReception
	if _, err := decide.Conflicts(ctx, w.db, recep, 0); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("reception: %v, want forbidden", err)
	}
}

// TestExplain answers "why would or wouldn't this patient get…" with the engine's decision
// on the stored facts (CON-9), and refuses what it cannot answer with the field named.
func TestExplain(t *testing.T) {
	w := setup(t)
	m := decide.Message{PatientID: w.patients["out-a"], Channel: consent.ChannelSMS, Purpose: consent.PurposeReminder, AgendaID: w.f.Agenda.ID, ReasonID: w.f.Reason.ID}
	ex, err := decide.Explain(ctx, w.db, w.admin, m)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Decision.Allowed || ex.Decision.Outcome != consent.OutcomeOptedOutPMS {
		t.Errorf("opted out in the PMS: %v %s, want not allowed, opted_out_pms", ex.Decision.Allowed, ex.Decision.Outcome)
	}
	m.PatientID = w.patients["in-over"]
	if ex, err = decide.Explain(ctx, w.db, w.admin, m); err != nil || !ex.Decision.Allowed {
		t.Errorf("opted in over the PMS: %+v, %v", ex.Decision, err)
	}
	// The patient switch (CON-7) and the agenda switch (CON-5) stop staff bookings only.
	pat := patient.New(w.db)
	off := false
	if _, err := pat.SetNotifications(ctx, w.admin, w.patients["in-pms"], &off); err != nil {
		t.Fatal(err)
	}
	m.PatientID = w.patients["in-pms"]
	if ex, _ := decide.Explain(ctx, w.db, w.admin, m); ex.Decision.Outcome != consent.OutcomeSwitchedOffPatient {
		t.Errorf("patient switched off: %s", ex.Decision.Outcome)
	}
	m.BookedBy = clinic.BookedByPatient
	if ex, _ := decide.Explain(ctx, w.db, w.admin, m); !ex.Decision.Allowed {
		t.Errorf("patient switched off, booked online: %s, want allowed (CON-8)", ex.Decision.Outcome)
	}
	bad := []struct {
		name  string
		m     decide.Message
		field string
		err   error
	}{
		{"unknown purpose", decide.Message{PatientID: w.patients["out-a"], Channel: "sms", Purpose: "gossip"}, "purpose", clinic.ErrInvalid},
		{"unknown channel", decide.Message{PatientID: w.patients["out-a"], Channel: "fax", Purpose: "recall"}, "channel", clinic.ErrInvalid},
		{"booking notice without its kind", decide.Message{PatientID: w.patients["out-a"], Channel: "sms", Purpose: "booking_notice"}, "notice", clinic.ErrInvalid},
		{"another organisation's agenda", decide.Message{PatientID: w.patients["out-a"], Channel: "sms", Purpose: "reminder", AgendaID: 99999}, "agenda_id", clinic.ErrInvalid},
		{"unknown patient", decide.Message{PatientID: 99999, Channel: "fax", Purpose: "reminder"}, "", clinic.ErrNotFound},
	}
	for _, tc := range bad {
		_, err := decide.Explain(ctx, w.db, w.admin, tc.m)
		var v *clinic.ValidationError
		switch {
		case !errors.Is(err, tc.err):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.err)
		case tc.field != "" && (!errors.As(err, &v) || v.Fields[0].Field != tc.field):
			t.Errorf("%s: %v, want the field %s named", tc.name, err, tc.field)
		}
	}
}

// TestLoadStatements: the facts of a batch of 1,000 messages are loaded in as many
// statements as those of 10 (no query per message).
func TestLoadStatements(t *testing.T) {
	w := setup(t)
	count := func(n int) int {
		var msgs []decide.Message
		ids := []clinic.PatientID{}
		for _, id := range w.patients {
			ids = append(ids, id)
		}
		for i := range n {
			msgs = append(msgs, decide.Message{PatientID: ids[i%len(ids)], Channel: consent.Channels()[i%3], Purpose: consent.PurposeReminder,
				AgendaID: []clinic.AgendaID{w.f.Agenda.ID, w.agendaB.ID}[i%2], ReasonID: w.f.Reason.ID, BookedBy: clinic.BookedByStaff, Status: clinic.StatusBooked})
		}
		var statements int
		err := w.db.View(ctx, func(tx *store.Tx) error {
			facts, err := decide.Load(ctx, tx, w.f.Org.ID, msgs)
			if len(facts) != n {
				t.Fatalf("%d facts for %d messages", len(facts), n)
			}
			statements = tx.Statements()
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return statements
	}
	small, large := count(10), count(1000)
	if small != large || large > 6 {
		t.Errorf("statements: %d for 10 messages, %d for 1,000; want the same, at most 6", small, large)
	}
}

// TestDecisionLog: decisions stored in the dispatcher's transaction come back, newest first,
// with their sentence and trace, to those who may read the patient (CON-9).
func TestDecisionLog(t *testing.T) {
	w := setup(t)
	id := w.patients["out-a"]
	msgs := []decide.Message{
		{PatientID: id, Channel: consent.ChannelSMS, Purpose: consent.PurposeReminder, Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff, AgendaID: w.f.Agenda.ID, ReasonID: w.f.Reason.ID},
		{PatientID: id, Channel: consent.ChannelEmail, Purpose: consent.PurposeInvite},
	}
	err := w.db.Update(ctx, func(tx *store.Tx) error {
		facts, err := decide.Load(ctx, tx, w.f.Org.ID, msgs)
		if err != nil {
			return err
		}
		var ds []decide.Decided
		for i, f := range facts {
			ds = append(ds, decide.Decided{Message: msgs[i], Decision: consent.Decide(f), NotificationID: int64(i + 1)})
		}
		return decide.LogTx(ctx, tx, w.f.Org.ID, ds)
	})
	if err != nil {
		t.Fatal(err)
	}
	log, err := decide.Log(ctx, w.db, w.admin, id, store.Page{})
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 {
		t.Fatalf("%d decisions, want 2", len(log))
	}
	// Newest first: the invite by e-mail (no address: skipped), then the SMS reminder (the
	// patient is opted out in the PMS, which the database respects).
	if got := log[0]; got.Channel != "email" || got.Allowed || got.Outcome != string(consent.OutcomeNoDestination) || got.NotificationID != 2 {
		t.Errorf("newest decision: %+v", got)
	}
	if got := log[1]; got.Outcome != string(consent.OutcomeOptedOutPMS) || got.Rule != "CON-1" ||
		got.Text != "Not sent: the patient is opted out in the clinical software (read 2 days ago) and this database respects it." ||
		len(splitLines(got.Trace)) != 8 {
		t.Errorf("reminder decision: %+v", got)
	}
	other := storetest.Seed(t, w.db, "other")
	outsider := clinic.Actor{Kind: clinic.ActorStaff, OrgID: other.Org.ID, Role: clinic.RoleAdministrator, UserID: 9, Label: "user:9"}
	if _, err := decide.Log(ctx, w.db, outsider, id, store.Page{}); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("another organisation reads the log: %v, want not found", err)
	}
	if _, err := decide.Log(ctx, w.db, clinic.PatientActor(w.f.Org.ID, w.patients["out-b"]), id, store.Page{}); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("another patient reads the log: %v, want not found", err)
	}
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// TestOptOutDryRunAsTheDispatcher: the dry run decides each upcoming appointment's reminder
// on each channel as the dispatcher would, so the clinic's switches count (a patient switched
// off is not said to start getting reminders) and a Tidings opt-in for SMS only still lets
// the setting change their e-mail reminders (found in review).
func TestOptOutDryRunAsTheDispatcher(t *testing.T) {
	w := setup(t)
	org := w.f.Org.ID
	var both, off clinic.Patient
	err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
		if both, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.f.Database.ID, GivenName: "sms-in", FamilyName: "Test",
			PMSOptOut: true, Mobile: "+61412009998", Email: "x@example.com", Language: "en"}); err != nil {
			return err
		}
		if off, err = tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.f.Database.ID, GivenName: "switched-off", FamilyName: "Test",
			PMSOptOut: true, Mobile: "+61412009997", NotificationsOff: true, Language: "en"}); err != nil {
			return err
		}
		if _, err := tx.Consent().RecordConsent(ctx, org, store.ConsentRecord{PatientID: both.ID, Channel: "sms", Purpose: "reminder", OptIn: true,
			Source: "dashboard", Actor: "user:2"}); err != nil {
			return err
		}
		for i, p := range []clinic.Patient{both, off} {
			a := clinic.Appointment{ClinicID: w.f.Clinic.ID, AgendaID: w.f.Agenda.ID, ReasonID: w.f.Reason.ID, PatientID: p.ID, Status: clinic.StatusBooked,
				BookedBy: clinic.BookedByStaff, Start: now.Add(time.Duration(300+i) * time.Hour)}
			a.End = a.Start.Add(15 * time.Minute)
			if _, err := tx.Appointments().CreateAppointment(ctx, org, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	respect := false
	d, err := decide.OptOutDryRun(ctx, w.db, w.admin, w.f.Database.ID, &respect)
	if err != nil {
		t.Fatal(err)
	}
	// The four of TestOptOutDryRun, plus sms-in (their e-mail reminders start); not
	// switched-off (the patient switch blocks a staff booking's reminder either way).
	if d.Start != 5 || d.Clinics[0].Start != 3 {
		t.Errorf("start %d (Main St %d), want 5 (3): %+v", d.Start, d.Clinics[0].Start, d.Clinics[0].Sample)
	}
	for _, p := range d.Clinics[0].Sample {
		if p.ID == off.ID {
			t.Errorf("a patient switched off is counted as starting")
		}
	}
}
