package messaging

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var ctx = context.Background()

// env is the messaging use cases over a real database (SQLite, or PostgreSQL with
// TIDINGS_TEST_POSTGRES) with two organisations, a and b, each seeded with a clinic, a
// practitioner and the same patient (Grace Hopper, same e-mail and date of birth), and staff
// of every role in a.
type env struct {
	t     *testing.T
	db    *store.DB
	clock *storetest.Clock
	svc   *Service
	a, b  storetest.Fixture
	north clinic.Clinic // a's second clinic, on the same clinical database
	// staff of a by name: administrator, appointment_manager, reception, practitioner (linked
	// to the fixture's practitioner), linked_admin (an administrator linked to another
	// practitioner); and b's practitioner.
	staff map[string]clinic.User
	bPrac clinic.User
	// events collects what the service published after commit (SQLite).
	events []store.MessageEvent
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, clock: storetest.NewClock(time.Date(2026, 4, 7, 0, 0, 0, 0, time.UTC)), staff: map[string]clinic.User{}}
	e.db = storetest.Open(t, e.clock.Now)
	e.a, e.b = storetest.Seed(t, e.db, "a"), storetest.Seed(t, e.db, "b")
	err := e.db.Update(ctx, func(tx *store.Tx) error {
		var err error
		if e.north, err = tx.Directory().CreateClinic(ctx, e.a.Org.ID, clinic.Clinic{DatabaseID: e.a.Database.ID, Slug: "north", Name: "North Rd",
			Zone: "Australia/Sydney", Region: "AU"}); err != nil {
			return err
		}
		other, err := tx.Directory().CreatePractitioner(ctx, e.a.Org.ID, clinic.Practitioner{Name: "Dr Mary Somerville"})
		if err != nil {
			return err
		}
		for _, u := range []clinic.User{
			{Email: "administrator@a.test", Role: clinic.RoleAdministrator},
			{Email: "appointment_manager@a.test", Role: clinic.RoleAppointmentManager},
			{Email: "reception@a.test", Role: clinic.RoleReception},
			{Email: "practitioner@a.test", Role: clinic.RolePractitioner, PractitionerID: e.a.Practitioner.ID},
			{Email: "linked_admin@a.test", Role: clinic.RoleAdministrator, PractitionerID: other.ID},
			{Email: "colleague@a.test", Role: clinic.RolePractitioner},
		} {
			u.PasswordHash = "unused"
			created, err := tx.Staff().CreateUser(ctx, e.a.Org.ID, u)
			if err != nil {
				return err
			}
			e.staff[strings.TrimSuffix(u.Email, "@a.test")] = created
		}
		e.bPrac, err = tx.Staff().CreateUser(ctx, e.b.Org.ID, clinic.User{Email: "practitioner@b.test", Role: clinic.RolePractitioner, PasswordHash: "unused"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = New(e.db, Config{Published: func(ev store.MessageEvent) { e.events = append(e.events, ev) }})
	return e
}

func (e *env) as(name string) clinic.Actor { return clinic.StaffActor(e.staff[name]) }

func (e *env) patient() clinic.Actor { return clinic.PatientActor(e.a.Org.ID, e.a.Patient.ID) }

// admin of org: a's administrator, or b's system (b has no staff but its practitioner).
func (e *env) set(org clinic.OrgID, s store.MessagingSettings) {
	e.t.Helper()
	actor := e.as("administrator")
	if org != e.a.Org.ID {
		actor = clinic.SystemActor(org, "test")
	}
	if err := e.svc.SetSettings(ctx, actor, s); err != nil {
		e.t.Fatalf("settings %+v: %v", s, err)
	}
}

// open lets every professional of a's main clinic start and answer, with the button on.
func (e *env) open() {
	e.set(e.a.Org.ID, store.MessagingSettings{ClinicID: e.a.Clinic.ID, StaffStart: true, StaffStartAll: true, Incoming: true, IncomingAll: true, PortalButton: true})
}

func (e *env) start(actor clinic.Actor, body string) store.Conversation {
	e.t.Helper()
	c, err := e.svc.Start(ctx, actor, StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Results", Body: body})
	if err != nil {
		e.t.Fatalf("start: %v", err)
	}
	return c
}

func (e *env) send(actor clinic.Actor, id int64, body string) store.Message {
	e.t.Helper()
	m, err := e.svc.Send(ctx, actor, id, body, nil)
	if err != nil {
		e.t.Fatalf("send: %v", err)
	}
	return m
}

func (e *env) audit(org clinic.OrgID, action string) []store.AuditEntry {
	e.t.Helper()
	var rows []store.AuditEntry
	err := e.db.View(ctx, func(tx *store.Tx) (err error) {
		rows, err = tx.AuditTrail().AuditLog(ctx, org, store.AuditFilter{Action: action}, store.Page{Limit: 500})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return rows
}

// alerts works an alert round (AlertRound), then lists org's message alerts.
func (e *env) alerts(org clinic.OrgID) []store.Notification {
	e.t.Helper()
	if _, err := e.svc.AlertRound(ctx); err != nil {
		e.t.Fatal(err)
	}
	var ns []store.Notification
	err := e.db.View(ctx, func(tx *store.Tx) (err error) {
		ns, err = tx.Notifications().ListNotifications(ctx, org, store.NotificationFilter{})
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return slices.DeleteFunc(ns, func(n store.Notification) bool { return n.Kind != "message_alert" })
}

// stored lists a's events f follows after id after.
func (e *env) stored(f store.EventFilter, after int64) []store.MessageEvent {
	e.t.Helper()
	var evs []store.MessageEvent
	if err := e.db.View(ctx, func(tx *store.Tx) (err error) {
		evs, err = tx.Messaging().MessageEventsAfter(ctx, e.a.Org.ID, f, after, 500)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return evs
}

func (e *env) conversation(org clinic.OrgID, id int64) store.Conversation {
	e.t.Helper()
	var c store.Conversation
	if err := e.db.View(ctx, func(tx *store.Tx) (err error) { c, err = tx.Messaging().Conversation(ctx, org, id); return err }); err != nil {
		e.t.Fatal(err)
	}
	return c
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: %v, want %v", what, err, want)
	}
}

func wantField(t *testing.T, what string, err error, field string) {
	t.Helper()
	if !slices.ContainsFunc(clinic.FieldsOf(err), func(f clinic.FieldError) bool { return f.Field == field }) {
		t.Errorf("%s: %v, want a validation error naming %s", what, err, field)
	}
}

// TestSettings: administrators save the switches, audited; the lists hold professionals of
// the organisation only; another role may not; another organisation's clinic does not exist.
func TestSettings(t *testing.T) {
	e := newEnv(t)
	s := store.MessagingSettings{ClinicID: e.a.Clinic.ID, StaffStart: true, StartList: []clinic.UserID{e.staff["practitioner"].ID, e.staff["linked_admin"].ID},
		Incoming: true, AnswerList: []clinic.UserID{e.staff["practitioner"].ID}, PortalButton: true, ReceptionTriage: true}
	if err := e.svc.SetSettings(ctx, e.as("administrator"), s); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Settings(ctx, e.as("reception"), e.a.Clinic.ID)
	if err != nil {
		t.Fatal(err)
	}
	got.UpdatedAt = time.Time{}
	slices.Sort(s.StartList)
	if !slices.Equal(got.StartList, s.StartList) || !slices.Equal(got.AnswerList, s.AnswerList) || !got.StaffStart || got.StaffStartAll ||
		!got.Incoming || !got.PortalButton || !got.ReceptionTriage {
		t.Errorf("settings %+v, want %+v", got, s)
	}
	if shown, _ := e.svc.Button(ctx, e.a.Org.ID, e.a.Clinic.ID); !shown {
		t.Errorf("button not shown with incoming on and the button active")
	}
	if len(e.audit(e.a.Org.ID, "messaging.settings")) != 1 {
		t.Errorf("the change is not audited")
	}
	bad := s
	bad.StartList = []clinic.UserID{e.staff["reception"].ID}
	bad.AnswerList = []clinic.UserID{e.bPrac.ID}
	err = e.svc.SetSettings(ctx, e.as("administrator"), bad)
	wantField(t, "reception on the start list", err, "start_list")
	wantField(t, "another organisation's practitioner on the answer list", err, "answer_list")
	wantErr(t, "a practitioner saves", e.svc.SetSettings(ctx, e.as("practitioner"), s), clinic.ErrForbidden)
	other := s
	other.ClinicID = e.b.Clinic.ID
	wantErr(t, "another organisation's clinic", e.svc.SetSettings(ctx, e.as("administrator"), other), clinic.ErrNotFound)
	_, err = e.svc.Settings(ctx, e.as("administrator"), e.b.Clinic.ID)
	wantErr(t, "another organisation's clinic, read", err, clinic.ErrNotFound)
	// Never saved: messaging is off.
	if got, err := e.svc.Settings(ctx, e.as("administrator"), e.north.ID); err != nil || got.StaffStart || got.Incoming || ButtonShown(got) {
		t.Errorf("a clinic that never saved: %+v %v, want everything off", got, err)
	}
}

// TestStartAndAnswer: the use cases apply the rules (the matrix is rules_test's): a
// permitted practitioner starts, the patient answers, reception does not; a patient starts
// only with the button; what is refused is ErrForbidden, what may not be read ErrNotFound.
func TestStartAndAnswer(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Start(ctx, e.as("practitioner"), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Results", Body: "Hello"})
	wantErr(t, "start with messaging off", err, clinic.ErrForbidden)
	e.open()
	c := e.start(e.as("practitioner"), "Your results are in.")
	if c.StartedBy != store.ByStaff || c.StartedByUser != e.staff["practitioner"].ID || c.State != store.ConversationOpen {
		t.Errorf("started %+v", c)
	}
	_, err = e.svc.Start(ctx, e.as("reception"), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Results", Body: "Hello"})
	wantErr(t, "reception starts", err, clinic.ErrForbidden)
	e.send(e.patient(), c.ID, "Thank you")
	_, err = e.svc.Send(ctx, e.as("reception"), c.ID, "I read it", nil)
	wantErr(t, "reception (no triage) answers", err, clinic.ErrNotFound)
	_, err = e.svc.Start(ctx, e.as("practitioner"), StartInput{ClinicID: e.b.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "x", Body: "y"})
	wantField(t, "another organisation's clinic", err, "clinic_id")
	_, err = e.svc.Start(ctx, e.as("practitioner"), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.b.Patient.ID, Subject: "x", Body: "y"})
	wantField(t, "another organisation's patient", err, "patient_id")
	_, err = e.svc.Start(ctx, e.as("practitioner"), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: " ", Body: " "})
	wantField(t, "empty", err, "subject")
	wantField(t, "empty", err, "body")

	// The patient, through the portal: with the button, and for themselves only.
	pc, err := e.svc.Start(ctx, e.patient(), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Question", Body: "Hello"})
	if err != nil || pc.StartedBy != store.ByPatient {
		t.Fatalf("the patient starts: %+v %v", pc, err)
	}
	_, err = e.svc.Start(ctx, e.patient(), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID + 1000, Subject: "Question", Body: "Hello"})
	wantField(t, "the patient starts for someone else", err, "patient_id")
	e.set(e.a.Org.ID, store.MessagingSettings{ClinicID: e.a.Clinic.ID, StaffStart: true, StaffStartAll: true, Incoming: true, IncomingAll: true})
	_, err = e.svc.Start(ctx, e.patient(), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Question", Body: "Hello"})
	wantErr(t, "the patient starts without the button", err, clinic.ErrForbidden)

	// Closed: nobody writes; reopened: they do.
	if err := e.svc.Close(ctx, e.as("practitioner"), pc.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Send(ctx, e.patient(), pc.ID, "Hello?", nil)
	wantErr(t, "the patient writes in a closed conversation", err, clinic.ErrForbidden)
	var ce *clinic.ConflictError
	if err := e.svc.Close(ctx, e.as("practitioner"), pc.ID); !errors.As(err, &ce) {
		t.Errorf("closing twice: %v, want a conflict", err)
	}
	if err := e.svc.Reopen(ctx, e.as("practitioner"), pc.ID); err != nil {
		t.Fatal(err)
	}
	e.send(e.patient(), pc.ID, "Hello?")
	for _, action := range []string{"message.start", "message.send", "message.close", "message.reopen"} {
		if len(e.audit(e.a.Org.ID, action)) == 0 {
			t.Errorf("no %s audited", action)
		}
	}
}

// TestTokenPerson: an API token is staff of its role, never a healthcare professional: it
// does not start or answer, even a practitioner's token with every switch on; it reads and
// assigns with triage when its role triages; its read state is its own ("token:N"); nothing
// is "mine" for it.
func TestTokenPerson(t *testing.T) {
	e := newEnv(t)
	e.set(e.a.Org.ID, store.MessagingSettings{ClinicID: e.a.Clinic.ID, StaffStart: true, StaffStartAll: true, Incoming: true, IncomingAll: true,
		PortalButton: true, ReceptionTriage: true})
	c := e.start(e.as("practitioner"), "Hello")
	prac := clinic.TokenActor(clinic.Token{ID: 3, OrgID: e.a.Org.ID, Role: clinic.RolePractitioner})
	recep := clinic.TokenActor(clinic.Token{ID: 4, OrgID: e.a.Org.ID, Role: clinic.RoleReception})
	_, err := e.svc.Start(ctx, prac, StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Results", Body: "Hello"})
	wantErr(t, "a practitioner's token starts", err, clinic.ErrForbidden)
	_, err = e.svc.Read(ctx, prac, c.ID, 0)
	wantErr(t, "a practitioner's token reads (no triage)", err, clinic.ErrNotFound)
	v, err := e.svc.Read(ctx, recep, c.ID, 0)
	if err != nil || v.CanAnswer || !v.CanAssign || v.CanClose {
		t.Fatalf("a reception token with triage: %+v %v, want it reads and assigns, no more", v, err)
	}
	_, err = e.svc.Send(ctx, recep, c.ID, "Hello", nil)
	wantErr(t, "a reception token answers", err, clinic.ErrForbidden)
	if err := e.svc.MarkRead(ctx, recep, c.ID, c.LastMessageID); err != nil {
		t.Fatal(err)
	}
	if v, _ := e.svc.Read(ctx, recep, c.ID, 0); v.Reads["token:4"] != c.LastMessageID || v.Reads["user:0"] != 0 {
		t.Errorf("reads %v, want the token's own mark", v.Reads)
	}
	if err := e.svc.Assign(ctx, recep, c.ID, e.staff["practitioner"].ID); err != nil {
		t.Errorf("a reception token assigns: %v", err)
	}
	if items, err := e.svc.Inbox(ctx, recep, e.a.Clinic.ID, BoxMine); err != nil || len(items) != 0 {
		t.Errorf("a token's own box: %d items %v, want none", len(items), err)
	}
	if items, err := e.svc.Inbox(ctx, recep, e.a.Clinic.ID, BoxAll); err != nil || len(items) != 1 {
		t.Errorf("a token's triage box: %d items %v, want 1", len(items), err)
	}
}

// TestHandoverWithinOrganisation (MSG-4): the conversation moves to the other clinic, which
// answers it from then on by its incoming rules; a system message says so, the patient is
// alerted (a message_alert planned), and it is audited as message.handover. A clinic that
// takes no incoming conversations is refused, naming clinic_id.
func TestHandoverWithinOrganisation(t *testing.T) {
	e := newEnv(t)
	e.open()
	c := e.start(e.as("practitioner"), "Please see my colleague at North Rd.")
	err := e.svc.Handover(ctx, e.as("practitioner"), c.ID, HandoverInput{ClinicID: e.north.ID})
	wantField(t, "to a clinic without incoming conversations", err, "clinic_id")
	err = e.svc.Handover(ctx, e.as("practitioner"), c.ID, HandoverInput{ClinicID: e.a.Clinic.ID})
	wantField(t, "to its own clinic", err, "clinic_id")
	err = e.svc.Handover(ctx, e.as("practitioner"), c.ID, HandoverInput{ClinicID: e.b.Clinic.ID})
	wantField(t, "to another organisation's clinic by id", err, "clinic_id")
	wantErr(t, "reception hands over", e.svc.Handover(ctx, e.as("reception"), c.ID, HandoverInput{ClinicID: e.north.ID}), clinic.ErrNotFound)

	e.set(e.a.Org.ID, store.MessagingSettings{ClinicID: e.north.ID, Incoming: true, AnswerList: []clinic.UserID{e.staff["colleague"].ID}})
	e.svc.SetAlerts(AlertConfig{})
	before := len(e.alerts(e.a.Org.ID))
	if err := e.svc.Handover(ctx, e.as("practitioner"), c.ID, HandoverInput{ClinicID: e.north.ID}); err != nil {
		t.Fatal(err)
	}
	moved := e.conversation(e.a.Org.ID, c.ID)
	if moved.ClinicID != e.north.ID || moved.FromClinicID != e.a.Clinic.ID || moved.State != store.ConversationOpen || moved.AssignedUserID != 0 {
		t.Errorf("moved %+v", moved)
	}
	v, err := e.svc.Read(ctx, e.as("colleague"), c.ID, 0)
	if err != nil || !v.CanAnswer {
		t.Fatalf("North's answerer: %+v %v", v, err)
	}
	last := v.Messages[len(v.Messages)-1]
	if last.Author != store.BySystem || last.Body != "Handed over from Main St to North Rd." {
		t.Errorf("last message %+v, want the system's handover note", last)
	}
	// The professional who started it at Main St does not answer it at North Rd.
	_, err = e.svc.Send(ctx, e.as("practitioner"), c.ID, "Still here", nil)
	wantErr(t, "the starter after the handover", err, clinic.ErrNotFound)
	e.send(e.as("colleague"), c.ID, "Hello from North Rd")
	if got := len(e.alerts(e.a.Org.ID)); got != before+1 {
		t.Errorf("%d message alerts after the handover, want %d (one, not one per message)", got, before+1)
	}
	if rows := e.audit(e.a.Org.ID, "message.handover"); len(rows) != 1 || rows[0].PatientID != e.a.Patient.ID || rows[0].UserID != e.staff["practitioner"].ID {
		t.Errorf("audit %+v, want one message.handover by the practitioner about the patient", rows)
	}
	if evs := e.stored(store.EventFilter{ClinicIDs: []clinic.ClinicID{e.north.ID}}, 0); !slices.ContainsFunc(evs, func(ev store.MessageEvent) bool { return ev.Kind == store.EventHandover }) {
		t.Errorf("no handover event for North Rd's open pages: %+v", evs)
	}
}

// TestHandoverAcrossOrganisations (MSG-4): to another organisation's clinic the conversation
// is copied to that organisation's record of the same person and the original closed; each
// side's audit log has its row (message.handover in a, message.handover_in in b). Refused,
// naming the field, when that clinic takes no incoming conversations, has no such clinic or
// no record of the patient.
func TestHandoverAcrossOrganisations(t *testing.T) {
	e := newEnv(t)
	e.open()
	c := e.start(e.as("practitioner"), "Your scan <b>is</b> fine.")
	e.send(e.patient(), c.ID, "Please send it to my new clinic.")
	to := HandoverInput{Organisation: e.b.Org.Slug, Clinic: e.b.Clinic.Slug}
	wantField(t, "b takes no incoming conversations", e.svc.Handover(ctx, e.as("practitioner"), c.ID, to), "clinic")
	e.set(e.b.Org.ID, store.MessagingSettings{ClinicID: e.b.Clinic.ID, Incoming: true, IncomingAll: true})
	// One answer whatever the cause: another organisation's patients are not probed.
	wantField(t, "no such organisation", e.svc.Handover(ctx, e.as("practitioner"), c.ID, HandoverInput{Organisation: "nowhere", Clinic: "main"}), "clinic")
	wantField(t, "its own organisation", e.svc.Handover(ctx, e.as("practitioner"), c.ID, HandoverInput{Organisation: e.a.Org.Slug, Clinic: "north"}), "clinic")
	wantField(t, "no such clinic", e.svc.Handover(ctx, e.as("practitioner"), c.ID, HandoverInput{Organisation: e.b.Org.Slug, Clinic: "nowhere"}), "clinic")

	e.svc.SetAlerts(AlertConfig{})
	if err := e.svc.Handover(ctx, e.as("practitioner"), c.ID, to); err != nil {
		t.Fatal(err)
	}
	if orig := e.conversation(e.a.Org.ID, c.ID); orig.State != store.ConversationClosed || orig.ClinicID != e.a.Clinic.ID {
		t.Errorf("original %+v, want closed at its clinic", orig)
	}
	items, err := e.svc.Inbox(ctx, clinic.StaffActor(e.bPrac), e.b.Clinic.ID, BoxAll)
	if err != nil || len(items) != 1 {
		t.Fatalf("b's inbox: %+v %v, want the copy", items, err)
	}
	cp := items[0].Conversation
	if cp.CopyOf != c.ID || cp.PatientID != e.b.Patient.ID || cp.StartedBy != store.ByClinic || cp.Subject != "Results" {
		t.Errorf("copy %+v", cp)
	}
	v, err := e.svc.Read(ctx, clinic.StaffActor(e.bPrac), cp.ID, 0)
	if err != nil || len(v.Messages) != 1 || !v.CanAnswer {
		t.Fatalf("b reads the copy: %+v %v", v, err)
	}
	body := v.Messages[0].Body
	for _, want := range []string{"A copy of a conversation with Main St", "Your scan <b>is</b> fine.", "Please send it to my new clinic."} {
		if !strings.Contains(body, want) {
			t.Errorf("the copy's message %q lacks %q", body, want)
		}
	}
	if rows := e.audit(e.a.Org.ID, "message.handover"); len(rows) != 1 || rows[0].PatientID != e.a.Patient.ID {
		t.Errorf("a's audit %+v", rows)
	}
	if rows := e.audit(e.b.Org.ID, "message.handover_in"); len(rows) != 1 || rows[0].PatientID != e.b.Patient.ID {
		t.Errorf("b's audit %+v", rows)
	}
	if rows := e.audit(e.b.Org.ID, "message.handover"); len(rows) != 0 {
		t.Errorf("a's row in b's log: %+v", rows)
	}
	if n := len(e.alerts(e.a.Org.ID)); n != 1 {
		t.Errorf("%d message alerts in a, want 1 (the patient is told)", n)
	}
	// The copy is b's: a's staff do not see it, and the original is not b's.
	_, err = e.svc.Read(ctx, e.as("practitioner"), cp.ID, 0)
	wantErr(t, "a reads b's copy", err, clinic.ErrNotFound)
	_, err = e.svc.Read(ctx, clinic.StaffActor(e.bPrac), c.ID, 0)
	wantErr(t, "b reads a's original", err, clinic.ErrNotFound)

	// No record of the person in b: refused, naming clinic.
	c2 := e.start(e.as("practitioner"), "Hello again")
	if err := e.db.Update(ctx, func(tx *store.Tx) error {
		p := e.b.Patient
		p.BirthDate = "1990-01-01"
		_, err := tx.Patients().UpdatePatient(ctx, e.b.Org.ID, p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	wantField(t, "no matching patient in b", e.svc.Handover(ctx, e.as("practitioner"), c2.ID, to), "clinic")
}

// TestTenantIsolation (MSG-6, ADM-3): a conversation and an attachment of organisation a
// do not exist for b's staff, b's patient, or another patient of a.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t)
	e.open()
	e.set(e.b.Org.ID, store.MessagingSettings{ClinicID: e.b.Clinic.ID, StaffStart: true, StaffStartAll: true, Incoming: true, IncomingAll: true,
		ReceptionTriage: true})
	c := e.start(e.as("practitioner"), "Your report")
	m, err := e.svc.Send(ctx, e.as("practitioner"), c.ID, "", &Upload{Name: "report.pdf", Data: []byte("%PDF-1.7\n1 0 obj\n")})
	if err != nil {
		t.Fatal(err)
	}
	var other clinic.Patient
	if err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		other, err = tx.Patients().CreatePatient(ctx, e.a.Org.ID, clinic.Patient{DatabaseID: e.a.Database.ID, GivenName: "Alan", FamilyName: "Turing"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for name, actor := range map[string]clinic.Actor{
		"b's practitioner":    clinic.StaffActor(e.bPrac),
		"b's system":          clinic.SystemActor(e.b.Org.ID, "test"),
		"b's patient":         clinic.PatientActor(e.b.Org.ID, e.b.Patient.ID),
		"another of a's":      clinic.PatientActor(e.a.Org.ID, other.ID),
		"b's reception token": clinic.TokenActor(clinic.Token{ID: 9, OrgID: e.b.Org.ID, Role: clinic.RoleReception}),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := e.svc.Read(ctx, actor, c.ID, 0)
			if name == "b's system" {
				// The system is no participant: it takes no part in conversations.
				wantErr(t, "read", err, clinic.ErrForbidden)
				return
			}
			wantErr(t, "read", err, clinic.ErrNotFound)
			_, err = e.svc.Attachment(ctx, actor, m.AttachmentID)
			wantErr(t, "attachment", err, clinic.ErrNotFound)
			_, err = e.svc.Send(ctx, actor, c.ID, "hello", nil)
			wantErr(t, "send", err, clinic.ErrNotFound)
			_, err = e.svc.Send(ctx, actor, c.ID, "", nil) // an invalid body says nothing either
			wantErr(t, "send nothing", err, clinic.ErrNotFound)
			wantErr(t, "mark read", e.svc.MarkRead(ctx, actor, c.ID, m.ID), clinic.ErrNotFound)
			if actor.Kind != clinic.ActorPatient {
				wantErr(t, "close", e.svc.Close(ctx, actor, c.ID), clinic.ErrNotFound)
				wantErr(t, "assign", e.svc.Assign(ctx, actor, c.ID, 0), clinic.ErrNotFound)
				wantErr(t, "handover", e.svc.Handover(ctx, actor, c.ID, HandoverInput{ClinicID: e.b.Clinic.ID}), clinic.ErrNotFound)
			}
			items, err := e.svc.Inbox(ctx, actor, e.a.Clinic.ID, BoxAll)
			if err != nil || len(items) != 0 {
				t.Errorf("inbox: %d items %v, want none", len(items), err)
			}
		})
	}
	// a's own: the patient and the practitioner read the attachment.
	for _, actor := range []clinic.Actor{e.patient(), e.as("practitioner")} {
		a, err := e.svc.Attachment(ctx, actor, m.AttachmentID)
		if err != nil || a.ContentType != "application/pdf" || a.Name != "report.pdf" {
			t.Errorf("%s reads the attachment: %+v %v", actor.Label, a.Name, err)
		}
	}
	if len(e.audit(e.a.Org.ID, "message.attachment")) != 2 {
		t.Errorf("attachment reads not audited")
	}
}

// TestAttachments: the type is the one the bytes show, not the name's: a PDF named .png is
// stored as a PDF; an executable or text is refused naming attachment, as is an empty or
// too large file. The bytes come back as they were sent.
func TestAttachments(t *testing.T) {
	e := newEnv(t)
	e.open()
	c := e.start(e.as("practitioner"), "Send me the scan")
	pdf := []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
	m, err := e.svc.Send(ctx, e.patient(), c.ID, "", &Upload{Name: `C:\Users\grace\scan".png`, Data: pdf})
	if err != nil {
		t.Fatal(err)
	}
	if m.AttachmentType != "application/pdf" || m.AttachmentName != "scan.png" || m.AttachmentSize != int64(len(pdf)) {
		t.Errorf("stored %q %q %d, want application/pdf, the last path element without its quote", m.AttachmentType, m.AttachmentName, m.AttachmentSize)
	}
	a, err := e.svc.Attachment(ctx, e.as("practitioner"), m.AttachmentID)
	if err != nil || !bytes.Equal(a.Data, pdf) || a.ContentType != "application/pdf" {
		t.Errorf("read back %q %v", a.ContentType, err)
	}
	if m, err := e.svc.Send(ctx, e.patient(), c.ID, "a photo", &Upload{Name: "photo.pdf", Data: png}); err != nil || m.AttachmentType != "image/png" {
		t.Errorf("a PNG named .pdf: %q %v", m.AttachmentType, err)
	}
	for name, data := range map[string][]byte{
		"setup.exe":  append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 64)...),
		"notes.png":  []byte("just some text, not an image"),
		"page.pdf":   []byte("<html><script>alert(1)</script></html>"),
		"empty.png":  {},
		"huge.png":   append(append([]byte{}, png...), make([]byte, MaxAttachment)...),
		"script.svg": []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`),
	} {
		_, err := e.svc.Send(ctx, e.patient(), c.ID, "", &Upload{Name: name, Data: data})
		wantField(t, name, err, "attachment")
	}
	if n := storetest.Count(t, e.db, `SELECT COUNT(*) FROM attachments WHERE conversation_id = $1`, c.ID); n != 2 {
		t.Errorf("%d attachments stored, want the two accepted", n)
	}
}

// TestBodiesStoredAsSent: a body is kept byte for byte, markup included (pages escape it).
func TestBodiesStoredAsSent(t *testing.T) {
	e := newEnv(t)
	e.open()
	xss := `<script>alert("x")</script><img src=x onerror=alert(1)> & "quotes" ` + "\n  spaced  "
	c := e.start(e.as("practitioner"), xss)
	e.send(e.patient(), c.ID, xss)
	v, err := e.svc.Read(ctx, e.patient(), c.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Messages) != 2 || v.Messages[0].Body != xss || v.Messages[1].Body != xss {
		t.Errorf("bodies %+v, want them as sent", v.Messages)
	}
	_, err = e.svc.Send(ctx, e.patient(), c.ID, strings.Repeat("x", MaxBody+1), nil)
	wantField(t, "too long", err, "body")
	_, err = e.svc.Send(ctx, e.patient(), c.ID, "a\x00b", nil)
	wantField(t, "a NUL", err, "body")
}

// TestReadState: MarkRead moves a participant's mark forward only, never past the last
// message, and records a read event (the read receipt) only when it moved; Read shows every
// participant's mark; the author of a message has read it.
func TestReadState(t *testing.T) {
	e := newEnv(t)
	e.open()
	c := e.start(e.as("practitioner"), "Hello")
	m := e.send(e.patient(), c.ID, "Hi")
	prac := "user:" + itoa(int64(e.staff["practitioner"].ID))
	pat := "patient:" + itoa(int64(e.a.Patient.ID))
	v, _ := e.svc.Read(ctx, e.patient(), c.ID, 0)
	if v.Reads[pat] != m.ID || v.Reads[prac] != m.ID-1 {
		t.Errorf("reads %v: the authors read their own", v.Reads)
	}
	e.events = nil
	mark := e.stored(store.EventFilter{PatientIDs: []clinic.PatientID{e.a.Patient.ID}}, 0)
	if err := e.svc.MarkRead(ctx, e.as("practitioner"), c.ID, m.ID+100); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.MarkRead(ctx, e.as("practitioner"), c.ID, m.ID); err != nil { // again: no change
		t.Fatal(err)
	}
	if err := e.svc.MarkRead(ctx, e.as("practitioner"), c.ID, 1); err != nil { // backwards: no change
		t.Fatal(err)
	}
	v, _ = e.svc.Read(ctx, e.patient(), c.ID, 0)
	if v.Reads[prac] != m.ID {
		t.Errorf("practitioner's mark %d, want %d (the last message)", v.Reads[prac], m.ID)
	}
	receipts := e.stored(store.EventFilter{PatientIDs: []clinic.PatientID{e.a.Patient.ID}}, mark[len(mark)-1].ID)
	if len(receipts) != 1 || receipts[0].Kind != store.EventRead || receipts[0].Reader != prac || receipts[0].MessageID != m.ID || receipts[0].ConversationID != c.ID {
		t.Errorf("events %+v, want one read receipt", receipts)
	}
	if e.db.Dialect() == store.SQLite && (len(e.events) != 1 || e.events[0].ID != receipts[0].ID) {
		// One process: the receipt is handed to its streams after commit (PostgreSQL notifies).
		t.Errorf("published %+v, want the receipt", e.events)
	}
	var kinds []string
	for _, ev := range e.stored(store.EventFilter{PatientIDs: []clinic.PatientID{e.a.Patient.ID}}, 0) {
		kinds = append(kinds, ev.Kind)
	}
	if want := []string{"message", "message", "read"}; !slices.Equal(kinds, want) {
		t.Errorf("stored events %v, want %v", kinds, want)
	}
	// Read after a message: only the newer ones.
	m2 := e.send(e.as("practitioner"), c.ID, "More")
	if v, _ := e.svc.Read(ctx, e.patient(), c.ID, m.ID); len(v.Messages) != 1 || v.Messages[0].ID != m2.ID {
		t.Errorf("after %d: %+v", m.ID, v.Messages)
	}
	if len(e.audit(e.a.Org.ID, "message.read")) == 0 {
		t.Errorf("reads not audited")
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// markSent moves a notification to sent, as the dispatcher would once it went.
func markSent(t *testing.T, db *store.DB, id int64) {
	t.Helper()
	err := db.Update(ctx, func(tx *store.Tx) error {
		switch raw := tx.Raw().(type) {
		case *sql.Tx:
			_, err := raw.ExecContext(ctx, `UPDATE notifications SET state = 'sent' WHERE id = ?`, id)
			return err
		case pgx.Tx:
			_, err := raw.Exec(ctx, `UPDATE notifications SET state = 'sent' WHERE id = $1`, id)
			return err
		}
		return fmt.Errorf("unknown driver transaction %T", tx.Raw())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInboxAndUnread: the boxes (unassigned: open and given to nobody; mine; all), what each
// person may read only, and the unread count of patients' messages.
func TestInboxAndUnread(t *testing.T) {
	e := newEnv(t)
	e.open()
	prac, col := e.staff["practitioner"].ID, e.staff["colleague"].ID
	p1, _ := e.svc.Start(ctx, e.patient(), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "One", Body: "1"})
	p2, _ := e.svc.Start(ctx, e.patient(), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Two", Body: "2"})
	p3, _ := e.svc.Start(ctx, e.patient(), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Three", Body: "3"})
	e.send(e.patient(), p3.ID, "3b")
	if err := e.svc.Assign(ctx, e.as("practitioner"), p2.ID, prac); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Close(ctx, e.as("practitioner"), p3.ID); err != nil {
		t.Fatal(err)
	}
	err := e.svc.Assign(ctx, e.as("practitioner"), p1.ID, e.staff["reception"].ID)
	wantField(t, "assigned to reception", err, "user_id")
	subjects := func(actor clinic.Actor, box Box) []string {
		t.Helper()
		items, err := e.svc.Inbox(ctx, actor, e.a.Clinic.ID, box)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range items {
			out = append(out, it.Subject)
		}
		slices.Sort(out)
		return out
	}
	tests := []struct {
		who   string
		actor clinic.Actor
		box   Box
		want  []string
	}{
		{"practitioner", e.as("practitioner"), BoxUnassigned, []string{"One"}},
		{"practitioner", e.as("practitioner"), BoxMine, []string{"Two"}},
		{"practitioner", e.as("practitioner"), BoxAll, []string{"One", "Three", "Two"}},
		{"colleague", e.as("colleague"), BoxMine, nil},
		{"reception without triage", e.as("reception"), BoxAll, nil},
		{"the patient", e.patient(), BoxUnassigned, []string{"One", "Three", "Two"}},
	}
	for _, tt := range tests {
		if got := subjects(tt.actor, tt.box); !slices.Equal(got, tt.want) {
			t.Errorf("%s, %s: %v, want %v", tt.who, tt.box, got, tt.want)
		}
	}
	e.set(e.a.Org.ID, store.MessagingSettings{ClinicID: e.a.Clinic.ID, Incoming: true, AnswerList: []clinic.UserID{col}, ReceptionTriage: true})
	if got := subjects(e.as("reception"), BoxAll); len(got) != 3 {
		t.Errorf("reception with triage: %v, want all three", got)
	}
	if got := subjects(e.as("practitioner"), BoxAll); !slices.Equal(got, []string{"Two"}) {
		t.Errorf("practitioner off the answer list: %v, want only the one assigned to them", got)
	}

	// Unread: the open conversations' patient messages the practitioner has not read, in
	// those they may read (MSG-6).
	n, err := e.svc.Unread(ctx, e.as("colleague"), []clinic.ClinicID{e.a.Clinic.ID})
	if err != nil || n != 2 {
		t.Errorf("unread %d %v, want 2 (One and Two; Three is closed)", n, err)
	}
	for _, tt := range []struct {
		who  string
		want int
	}{
		{"practitioner", 1}, // off the answer list: Two only, assigned to them
		{"reception", 2},    // triage
		{"appointment_manager", 2},
	} {
		if n, err := e.svc.Unread(ctx, e.as(tt.who), []clinic.ClinicID{e.a.Clinic.ID}); err != nil || n != tt.want {
			t.Errorf("%s: unread %d %v, want %d", tt.who, n, err, tt.want)
		}
	}
	e.set(e.a.Org.ID, store.MessagingSettings{ClinicID: e.a.Clinic.ID, Incoming: true, AnswerList: []clinic.UserID{col}})
	if n, err := e.svc.Unread(ctx, e.as("reception"), []clinic.ClinicID{e.a.Clinic.ID}); err != nil || n != 0 {
		t.Errorf("reception without triage: unread %d %v, want 0", n, err)
	}
	if err := e.svc.MarkRead(ctx, e.as("colleague"), p1.ID, p1.LastMessageID); err != nil {
		t.Fatal(err)
	}
	e.send(e.as("colleague"), p2.ID, "answer") // their own message does not count, and marks Two read
	if n, _ := e.svc.Unread(ctx, e.as("colleague"), []clinic.ClinicID{e.a.Clinic.ID}); n != 0 {
		t.Errorf("unread %d after reading, want 0", n)
	}
	if n, _ := e.svc.Unread(ctx, e.as("colleague"), []clinic.ClinicID{e.north.ID}); n != 0 {
		t.Errorf("unread at another clinic %d, want 0", n)
	}
}

// TestAlerts (MSG-5): a staff message to a patient who has not read it plans, at the next
// alert round, one message_alert on the first channel consent allows of push, e-mail and
// SMS; a second message while it is still planned plans none; the patient's own messages
// alert nobody.
func TestAlerts(t *testing.T) {
	e := newEnv(t)
	e.open()
	e.svc.SetAlerts(AlertConfig{})
	c := e.start(e.as("practitioner"), "Your results are in.")
	ns := e.alerts(e.a.Org.ID)
	if len(ns) != 1 || ns[0].Channel != "email" || ns[0].PatientID != e.a.Patient.ID || ns[0].Purpose != "message_alert" || ns[0].State != "planned" {
		t.Fatalf("alerts %+v, want one e-mail (no push subscription)", ns)
	}
	e.send(e.as("practitioner"), c.ID, "And another thing.")
	e.send(e.patient(), c.ID, "Thanks")
	if got := len(e.alerts(e.a.Org.ID)); got != 1 {
		t.Errorf("%d alerts after a second message, want still 1", got)
	}
	// Once it has gone, the next message alerts again (a patient who reads it first is not
	// alerted: TestAlertDelay).
	markSent(t, e.db, ns[0].ID)
	e.send(e.as("practitioner"), c.ID, "Offline again")
	if got := len(e.alerts(e.a.Org.ID)); got != 2 {
		t.Errorf("%d alerts, want a second one once the first has gone", got)
	}

	// With a push subscription: push; without an e-mail address: SMS.
	var sms, push clinic.Patient
	if err := e.db.Update(ctx, func(tx *store.Tx) (err error) {
		if sms, err = tx.Patients().CreatePatient(ctx, e.a.Org.ID, clinic.Patient{DatabaseID: e.a.Database.ID, GivenName: "Alan", FamilyName: "Turing",
			Mobile: "+61412000111", Language: "en"}); err != nil {
			return err
		}
		if push, err = tx.Patients().CreatePatient(ctx, e.a.Org.ID, clinic.Patient{DatabaseID: e.a.Database.ID, GivenName: "Ada", FamilyName: "Byron",
			Mobile: "+61412000222", Email: "ada@example.com", Language: "en"}); err != nil {
			return err
		}
		_, err = tx.Notifications().PutPushSubscription(ctx, e.a.Org.ID, store.PushSubscription{PatientID: push.ID, Endpoint: "https://push.example/ada", P256dh: "k", Auth: "a"})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[clinic.PatientID]string{sms.ID: "sms", push.ID: "push"} {
		if _, err := e.svc.Start(ctx, e.as("practitioner"), StartInput{ClinicID: e.a.Clinic.ID, PatientID: p, Subject: "Hi", Body: "Hello"}); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range e.alerts(e.a.Org.ID) {
			if n.PatientID == p {
				got = append(got, n.Channel)
			}
		}
		if !slices.Equal(got, []string{want}) {
			t.Errorf("alerts of patient %d: %v, want one %s", p, got, want)
		}
	}
}

// TestAlertDelay (MSG-5): the alert is decided once the delay has passed since the oldest
// message not yet looked at, and only for a patient who has still not read it; a round
// claims each conversation once, and a later message marks it anew.
func TestAlertDelay(t *testing.T) {
	e := newEnv(t)
	e.open()
	e.svc.SetAlerts(AlertConfig{Delay: 2 * time.Minute})
	c := e.start(e.as("practitioner"), "Your results are in.")
	e.clock.Advance(time.Minute)
	e.send(e.as("practitioner"), c.ID, "A minute later.")
	if ns := e.alerts(e.a.Org.ID); len(ns) != 0 {
		t.Fatalf("alerts %+v within the delay, want none", ns)
	}
	e.clock.Advance(time.Minute)
	ns := e.alerts(e.a.Org.ID)
	if len(ns) != 1 || ns[0].PatientID != e.a.Patient.ID || !ns[0].Due.Equal(e.clock.Now()) {
		t.Fatalf("alerts %+v two minutes after the first message, want one due now", ns)
	}
	if got := len(e.alerts(e.a.Org.ID)); got != 1 {
		t.Errorf("%d alerts after a second round, want still 1 (the conversation was claimed)", got)
	}
	// Sent; a message the patient reads within the delay alerts nobody.
	markSent(t, e.db, ns[0].ID)
	e.clock.Advance(time.Minute)
	m := e.send(e.as("practitioner"), c.ID, "One more thing.")
	if err := e.svc.MarkRead(ctx, e.patient(), c.ID, m.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(3 * time.Minute)
	if got := len(e.alerts(e.a.Org.ID)); got != 1 {
		t.Errorf("%d alerts for a message read within the delay, want still 1", got)
	}
	// Unread past the delay: a second alert.
	e.send(e.as("practitioner"), c.ID, "And the last.")
	e.clock.Advance(2 * time.Minute)
	if got := len(e.alerts(e.a.Org.ID)); got != 2 {
		t.Errorf("%d alerts for a message unread past the delay, want 2", got)
	}
}

// TestAlertPace (MSG-5): a round with more than a batch to plan rests between batches, so
// that it looks at no more than Rate conversations a second, and plans everything; a round whose context
// ends while it rests stops there, the rest still marked for the next round.
func TestAlertPace(t *testing.T) {
	e := newEnv(t)
	e.open()
	e.set(e.b.Org.ID, store.MessagingSettings{ClinicID: e.b.Clinic.ID, StaffStart: true, StaffStartAll: true, Incoming: true, IncomingAll: true})
	var rests []time.Duration
	cfg := AlertConfig{Delay: time.Minute, Rate: 4, batch: 1, pause: func(_ context.Context, d time.Duration) { rests = append(rests, d) }}
	e.svc.SetAlerts(cfg)
	ca := e.start(e.as("practitioner"), "Your results are in.")
	cb, err := e.svc.Start(ctx, clinic.StaffActor(e.bPrac), StartInput{ClinicID: e.b.Clinic.ID, PatientID: e.b.Patient.ID, Subject: "Results", Body: "Yours too."})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute)
	start := time.Now()
	n, err := e.svc.AlertRound(ctx)
	took := time.Since(start)
	if err != nil || n != 2 {
		t.Fatalf("AlertRound = %d, %v; want 2 conversations", n, err)
	}
	// Two full batches of one, then an empty one: a rest after each full batch, making
	// up the quarter of a second that a conversation takes at 4 a second.
	if len(rests) != 2 || took+rests[0]+rests[1] < 500*time.Millisecond || rests[0] > 250*time.Millisecond || rests[1] > 250*time.Millisecond {
		t.Errorf("rests %v in a round that worked %v, want 2 making up 250 ms each", rests, took)
	}
	for _, org := range []clinic.OrgID{e.a.Org.ID, e.b.Org.ID} {
		if got := len(e.alerts(org)); got != 1 {
			t.Errorf("organisation %d: %d alerts, want 1", org, got)
		}
	}

	// Ended while resting: one batch planned, the other conversation left marked.
	e.send(e.as("practitioner"), ca.ID, "One more thing.")
	if _, err := e.svc.Send(ctx, clinic.StaffActor(e.bPrac), cb.ID, "And here.", nil); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Minute)
	rctx, cancel := context.WithCancel(ctx)
	cfg.pause = func(context.Context, time.Duration) { cancel() }
	e.svc.SetAlerts(cfg)
	if n, err := e.svc.AlertRound(rctx); err != nil || n != 1 {
		t.Fatalf("AlertRound ended while resting = %d, %v; want 1, nil", n, err)
	}
	cfg.pause = nil
	e.svc.SetAlerts(cfg)
	if n, err := e.svc.AlertRound(ctx); err != nil || n != 1 {
		t.Errorf("next AlertRound = %d, %v; want the other conversation", n, err)
	}
}
