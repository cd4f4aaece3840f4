package store_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

var fkPattern = regexp.MustCompile(`^\(([^)]*)\) REFERENCES ([a-z_]+)\(([^)]*)\)`)

// patientColumns lists the "table.column" names of s that refer to a patient: every
// patient_id column and every column of a foreign key to patients (the column that maps to
// patients' id, not the organisation_id of a composite tenant key).
func patientColumns(s schema) []string {
	var out []string
	add := func(k string) {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	for name, tb := range s {
		if _, ok := tb.Columns["patient_id"]; ok {
			add(name + ".patient_id")
		}
		for _, fk := range tb.ForeignKeys {
			m := fkPattern.FindStringSubmatch(fk)
			if m == nil || m[2] != "patients" {
				continue
			}
			from, to := strings.Split(m[1], ","), strings.Split(m[3], ",")
			for i, c := range from {
				if i < len(to) && (to[i] == "id" || to[i] == "<pk>") {
					add(name + "." + c)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// registered lists PatientRefs' keys, sorted.
func registered() []string {
	var out []string
	for _, r := range store.PatientRefs() {
		out = append(out, r.Key())
	}
	slices.Sort(out)
	return out
}

// TestPatientRefsCoverSchema: every column of the migrated schema that refers to a patient
// is in store.PatientRefs, with a rule, and nothing else is, on SQLite and (when
// TIDINGS_TEST_POSTGRES is set) PostgreSQL, so a capability that adds such a column cannot
// leave it behind in a merge (ADM-7).
func TestPatientRefsCoverSchema(t *testing.T) {
	lite, err := store.Open(ctx, store.Config{DSN: filepath.Join(t.TempDir(), "tidings.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	if err := lite.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	schemas := map[store.Dialect]schema{store.SQLite: sqliteSchema(t, lite.SQLDB())}
	if os.Getenv(storetest.EnvPostgres) != "" {
		schemas[store.Postgres] = postgresSchema(t, storetest.Open(t, nil).SQLDB())
	} else {
		t.Logf("%s not set: SQLite's schema only", storetest.EnvPostgres)
	}
	for dialect, s := range schemas {
		got := patientColumns(s)
		if len(got) < 5 {
			t.Fatalf("%s: found %d patient columns (%v): the test is not reading the schema", dialect, len(got), got)
		}
		if d := cmp.Diff(got, registered()); d != "" {
			t.Errorf("%s: columns referring to a patient (-schema +store.PatientRefs); add the new column to PatientRefs with its merge rule:\n%s", dialect, d)
		}
		for _, r := range store.PatientRefs() {
			if _, ok := s[r.Table].Columns["organisation_id"]; !ok {
				t.Errorf("%s: %s has no organisation_id: a merge's statements could not be scoped to the tenant", dialect, r.Key())
			}
			if r.Versioned {
				if _, ok := s[r.Table].Columns["version"]; !ok {
					t.Errorf("%s: %s is Versioned but has no version column", dialect, r.Key())
				}
			}
			switch r.Rule {
			case store.MergeMove, store.MergeRelatives, store.MergeKeep, store.MergeFirst, store.MergeDays:
			default:
				t.Errorf("%s: unknown rule %q", r.Key(), r.Rule)
			}
		}
	}
}

// TestPatientColumnsFindNewReferences: the introspection sees a new table's patient_id, a
// foreign key to patients under another name, and ignores other foreign keys, so
// TestPatientRefsCoverSchema can fail.
func TestPatientColumnsFindNewReferences(t *testing.T) {
	s := schema{
		"waitlist": {Columns: map[string]column{"organisation_id": {}, "patient_id": {}}},
		"portal_accounts": {Columns: map[string]column{"organisation_id": {}, "holder": {}, "agenda_id": {}},
			ForeignKeys: []string{"(organisation_id,holder) REFERENCES patients(organisation_id,id) ON DELETE CASCADE",
				"(organisation_id,agenda_id) REFERENCES agendas(organisation_id,id)"}},
		"threads": {Columns: map[string]column{"subject": {}}, ForeignKeys: []string{"(subject) REFERENCES patients(<pk>)"}},
	}
	want := []string{"portal_accounts.holder", "threads.subject", "waitlist.patient_id"}
	if d := cmp.Diff(want, patientColumns(s)); d != "" {
		t.Errorf("patient columns (-want +got):\n%s", d)
	}
}

// mergeWorld is two records of one patient (keep and remove), a relative of both (other), a
// relative of remove only (kid) and a record merged earlier into remove (old), with a row of
// every reference naming remove.
type mergeWorld struct {
	f                             storetest.Fixture
	keep, remove, other, kid, old clinic.PatientID
	appt                          clinic.AppointmentID
}

func seedMerge(t *testing.T, db *store.DB, slug string) mergeWorld {
	t.Helper()
	w := mergeWorld{f: storetest.Seed(t, db, slug)}
	org := w.f.Org.ID
	err := db.Update(ctx, func(tx *store.Tx) error {
		mk := func(given string) (clinic.PatientID, error) {
			p, err := tx.Patients().CreatePatient(ctx, org, clinic.Patient{DatabaseID: w.f.Database.ID, GivenName: given, FamilyName: "Hopper", Language: "en"})
			return p.ID, err
		}
		var err error
		w.keep = w.f.Patient.ID
		for _, p := range []struct {
			id   *clinic.PatientID
			name string
		}{{&w.remove, "Grace B."}, {&w.other, "Walter"}, {&w.kid, "Kim"}, {&w.old, "G."}} {
			if *p.id, err = mk(p.name); err != nil {
				return err
			}
		}
		links := []struct {
			a, b clinic.PatientID
			rel  clinic.Relationship
		}{
			{w.other, w.keep, clinic.RelSpouse},   // kept as it is
			{w.other, w.remove, clinic.RelSpouse}, // the same link from remove: dropped
			{w.kid, w.remove, clinic.RelChild},    // moved to keep
			{w.keep, w.remove, clinic.RelOther},   // the two records: dropped
		}
		for _, l := range links {
			if err := tx.Patients().LinkRelatives(ctx, org, l.a, l.b, l.rel); err != nil {
				return err
			}
		}
		start := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)
		a, err := tx.Appointments().CreateAppointment(ctx, org, clinic.Appointment{ClinicID: w.f.Clinic.ID, AgendaID: w.f.Agenda.ID, ReasonID: w.f.Reason.ID,
			PatientID: w.remove, Start: start, End: start.Add(15 * time.Minute), Status: clinic.StatusBooked, BookedBy: clinic.BookedByStaff})
		if err != nil {
			return err
		}
		w.appt = a.ID
		if _, err := tx.Consent().RecordConsent(ctx, org, store.ConsentRecord{PatientID: w.remove, Channel: "sms", Purpose: "reminder", Source: "dashboard", Actor: "user:1"}); err != nil {
			return err
		}
		if err := tx.Consent().RecordDecisions(ctx, org, []store.Decision{{PatientID: w.remove, Purpose: "reminder", Channel: "sms", Outcome: "block",
			Rule: "CON-3", Text: "x", Trace: "x"}}); err != nil {
			return err
		}
		if _, err := tx.Notifications().PlanNotifications(ctx, org, []store.Notification{{ClinicID: w.f.Clinic.ID, PatientID: w.remove, AppointmentID: a.ID,
			Kind: "reminder", Purpose: "reminder", Channel: "sms", Offset: "2h", Due: start.Add(-2 * time.Hour)}}); err != nil {
			return err
		}
		if _, err := tx.Notifications().AddInbox(ctx, org, store.InboxMessage{ClinicID: w.f.Clinic.ID, PatientID: w.remove, ProviderID: "SM1", From: "+61412345678", Body: "late"}); err != nil {
			return err
		}
		if _, err := tx.Notifications().PutPushSubscription(ctx, org, store.PushSubscription{PatientID: w.remove, Endpoint: "https://push.example/1", P256dh: "k", Auth: "a"}); err != nil {
			return err
		}
		if _, err := tx.Sync().UpsertResult(ctx, store.Result{OrgID: org, DatabaseID: w.f.Database.ID, PatientID: w.remove, ExternalID: "R1",
			Test: "FBC", Action: "Discuss", Outcome: "template", Template: "discuss"}); err != nil {
			return err
		}
		if _, err := tx.Sync().UpsertRecall(ctx, store.Recall{OrgID: org, DatabaseID: w.f.Database.ID, PatientID: w.remove, ExternalID: "RC1",
			Due: "2027-06-01", Reason: "Skin check", Status: "active"}); err != nil {
			return err
		}
		// Both records have results performed on one day: each keeps its recall.
		for _, id := range []clinic.PatientID{w.remove, w.keep} {
			if _, err := tx.Recalls().InsertSequence(ctx, store.Sequence{OrgID: org, ClinicID: w.f.Clinic.ID, PatientID: id, Kind: store.SeqKindResults,
				DatabaseID: w.f.Database.ID, GroupDay: "2026-05-01", Title: "FBC", TemplateKey: "discuss", State: store.SeqManual, CreatedBy: "sync"}); err != nil {
				return err
			}
		}
		conv, err := tx.Messaging().CreateConversation(ctx, store.Conversation{OrgID: org, ClinicID: w.f.Clinic.ID, PatientID: w.remove,
			Subject: "Question", StartedBy: store.ByPatient})
		if err != nil {
			return err
		}
		msg, err := tx.Messaging().AddMessage(ctx, store.Message{OrgID: org, ConversationID: conv.ID, Author: store.ByPatient, AuthorPatientID: w.remove, Body: "Hello"}, store.MessageWrite{})
		if err != nil {
			return err
		}
		if _, err := tx.Messaging().AddMessageEvent(ctx, store.MessageEvent{OrgID: org, ConversationID: conv.ID, ClinicID: w.f.Clinic.ID,
			PatientID: w.remove, Kind: store.EventMessage, MessageID: msg.ID}); err != nil {
			return err
		}
		acct, err := tx.Portal().CreatePortalAccount(ctx, org, "removed@example.org")
		if err != nil {
			return err
		}
		if err := tx.Portal().LinkPortalPatient(ctx, org, acct.ID, w.remove); err != nil {
			return err
		}
		e, err := tx.Waitlist().AddWaitlistEntry(ctx, store.WaitlistEntry{OrgID: org, ClinicID: w.f.Clinic.ID, PatientID: w.remove, ReasonID: w.f.Reason.ID,
			FromDate: "2026-03-01", ToDate: "2026-04-01", Weekdays: 127, FromMinute: 0, ToMinute: 1440, AddedBy: "user:1"})
		if err != nil {
			return err
		}
		if err := tx.Waitlist().FreeSlot(ctx, org, w.f.Clinic.ID, w.f.Agenda.ID, start, start.Add(15*time.Minute)); err != nil {
			return err
		}
		slots, err := tx.Waitlist().ClaimDueSlots(ctx, tx.Now.Add(time.Minute), 1)
		if err != nil || len(slots) != 1 {
			return fmt.Errorf("slot: %v %d", err, len(slots))
		}
		if _, err := tx.Waitlist().AddWaitlistOffer(ctx, store.WaitlistOffer{OrgID: org, SlotID: slots[0].ID, EntryID: e.ID, PatientID: w.remove,
			Start: start, Wave: 1, Code: "1234", ExpiresAt: tx.Now.Add(time.Hour)}); err != nil {
			return err
		}
		if err := tx.Patients().MarkPatientMerged(ctx, org, w.old, w.remove); err != nil {
			return err
		}
		return tx.AuditTrail().Audit(ctx, org, []store.AuditEntry{{Actor: "user:1", ActorKind: "staff", PatientID: w.remove, Action: "patient.read"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// counts reads CountPatientReferences of id as "table.column" → rows.
func counts(t *testing.T, db *store.DB, org clinic.OrgID, id clinic.PatientID) map[string]int {
	t.Helper()
	var cs []store.RefCount
	err := db.View(ctx, func(tx *store.Tx) (err error) {
		cs, err = tx.Patients().CountPatientReferences(ctx, org, id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, c := range cs {
		out[c.Ref.Key()] = c.Count
	}
	return out
}

// TestUpdatePatientReferences: every reference's rows follow the record kept, relatives'
// links are deduplicated and never link a record to itself, the audit log stays as it was,
// and nothing of another organisation moves (ADM-7).
func TestUpdatePatientReferences(t *testing.T) {
	db := storetest.Open(t, nil)
	w := seedMerge(t, db, "acme")
	org := w.f.Org.ID
	stranger := seedMerge(t, db, "globex")
	strangerBefore := counts(t, db, stranger.f.Org.ID, stranger.remove)

	before := counts(t, db, org, w.remove)
	for _, r := range store.PatientRefs() {
		if r.Rule == store.MergeRelatives && r.Column != "patient_id" {
			continue
		}
		if before[r.Key()] == 0 {
			t.Errorf("the test has no row of %s for the record removed: seed one, so its move is checked", r.Key())
		}
	}
	var moved []store.RefCount
	err := db.Update(ctx, func(tx *store.Tx) (err error) {
		moved, err = tx.Patients().UpdatePatientReferences(ctx, org, w.remove, w.keep)
		if err != nil {
			return err
		}
		return tx.Patients().MarkPatientMerged(ctx, org, w.remove, w.keep)
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, m := range moved {
		got[m.Ref.Key()] = m.Count
	}
	want := map[string]int{"appointments.patient_id": 1, "consent_records.patient_id": 1, "consent_decisions.patient_id": 1,
		"notifications.patient_id": 1, "sms_inbox.patient_id": 1, "push_subscriptions.patient_id": 1, "results.patient_id": 1, "recalls.patient_id": 1, "patients.merged_into": 1,
		"portal_account_patients.patient_id": 1, "waitlist_entries.patient_id": 1, "waitlist_offers.patient_id": 1, "recall_sequences.patient_id": 1, "conversations.patient_id": 1, "messages.author_patient_id": 1, "message_events.patient_id": 1, "patient_relatives.patient_id": 1, "patient_relatives.relative_id": 1, "audit_log.patient_id": 0}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("rows moved (-want +got):\n%s", d)
	}
	after := counts(t, db, org, w.remove)
	for k, n := range after {
		if k == "audit_log.patient_id" {
			if n != before[k] {
				t.Errorf("audit rows of the record removed: %d, want %d (history is not rewritten)", n, before[k])
			}
			continue
		}
		if n != 0 {
			t.Errorf("%s: %d rows still name the record removed", k, n)
		}
	}
	err = db.View(ctx, func(tx *store.Tx) error {
		rels, err := tx.Patients().Relatives(ctx, org, w.keep)
		if err != nil {
			return err
		}
		var links []string
		for _, r := range rels {
			links = append(links, r.Patient.GivenName+" "+string(r.Relationship))
		}
		if d := cmp.Diff([]string{"Walter spouse", "Kim child"}, links); d != "" {
			t.Errorf("relatives of the record kept (-want +got):\n%s", d)
		}
		a, err := tx.Appointments().Appointment(ctx, org, w.appt)
		if err != nil {
			return err
		}
		if a.PatientID != w.keep || a.Version != 2 {
			t.Errorf("appointment: patient %d version %d, want %d version 2 (an open form on it is stale)", a.PatientID, a.Version, w.keep)
		}
		old, err := tx.Patients().Patient(ctx, org, w.old)
		if err != nil {
			return err
		}
		if old.MergedInto != w.keep {
			t.Errorf("the record merged earlier points at %d, want %d", old.MergedInto, w.keep)
		}
		rm, err := tx.Patients().Patient(ctx, org, w.remove)
		if err != nil {
			return err
		}
		if rm.MergedInto != w.keep || rm.Version != 2 {
			t.Errorf("record removed: merged into %d at version %d, want %d at 2", rm.MergedInto, rm.Version, w.keep)
		}
		listed, err := tx.Patients().ListPatients(ctx, org, store.PatientFilter{Name: "hopper"}, store.Page{Limit: 50})
		if err != nil {
			return err
		}
		for _, p := range listed {
			if p.MergedInto != 0 {
				t.Errorf("a search lists merged record %d", p.ID)
			}
		}
		all, err := tx.Patients().ListPatients(ctx, org, store.PatientFilter{Merged: true, Name: "hopper"}, store.Page{Limit: 50})
		if len(all) != len(listed)+2 {
			t.Errorf("with Merged, %d records listed, want the %d others and the 2 merged", len(all), len(listed))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	// Another organisation's ids move nothing: every statement is scoped to the tenant.
	err = db.Update(ctx, func(tx *store.Tx) error {
		moved, err := tx.Patients().UpdatePatientReferences(ctx, org, stranger.remove, stranger.keep)
		for _, m := range moved {
			if m.Count != 0 {
				t.Errorf("%s: moved %d rows of another organisation", m.Ref.Key(), m.Count)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(strangerBefore, counts(t, db, stranger.f.Org.ID, stranger.remove)); d != "" {
		t.Errorf("another organisation's rows changed (-before +after):\n%s", d)
	}

	// Marking again, or moving a record to itself, is refused.
	err = db.Update(ctx, func(tx *store.Tx) error { return tx.Patients().MarkPatientMerged(ctx, org, w.remove, w.keep) })
	if !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("marking a merged record again: %v, want not found", err)
	}
	err = db.Update(ctx, func(tx *store.Tx) error {
		_, err := tx.Patients().UpdatePatientReferences(ctx, org, w.keep, w.keep)
		return err
	})
	if !errors.Is(err, clinic.ErrInvalid) {
		t.Errorf("moving a record's rows to itself: %v, want invalid", err)
	}
}
