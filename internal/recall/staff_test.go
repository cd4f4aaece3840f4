package recall_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
	"github.com/tidings-health/tidings/internal/store/storetest"
)

// waitingTemplate is the shipped non-urgent template, saved to wait for staff (RES-3).
func waitingTemplate() store.RecallTemplate {
	for _, t := range recall.DefaultTemplates() {
		if t.Key == recall.KeyNonUrgentAppointment {
			t.AutoStart = false
			return t
		}
	}
	panic("no default non-urgent template")
}

// TestStaffStartSkipDone (RES-3, RES-7): a template saved to wait for staff leaves each
// patient's day waiting on the checklist; staff start it (steps planned), skip it or mark
// it done (planned steps withdrawn), each audited; who may not write patients is refused,
// another organisation's recall is not found, and a closed or running one conflicts.
func TestStaffStartSkipDone(t *testing.T) {
	w := newWorld(t)
	reception := clinic.StaffActor(clinic.User{ID: 2, OrgID: w.f.Org.ID, Role: clinic.RoleReception})
	// Every staff role follows results up; a patient does not.
	outsider := clinic.PatientActor(w.f.Org.ID, w.f.Patient.ID)
	if err := w.svc.SaveTemplate(ctx, reception, waitingTemplate()); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("reception saving a template: %v, want forbidden", err)
	}
	if err := w.svc.SaveTemplate(ctx, w.admin, waitingTemplate()); err != nil {
		t.Fatal(err)
	}
	if w.audits("recall.template") != 1 {
		t.Error("the template change was not audited")
	}
	w.results(fbc)
	w.results(tuesday)
	ss := w.sequences(w.f.Patient.ID)
	if len(ss) != 2 {
		t.Fatalf("%d sequences, want Monday's and Tuesday's", len(ss))
	}
	monday, tue := ss[1], ss[0]
	for _, s := range ss {
		if s.State != store.SeqWaiting || s.Why != store.WhyAwaitingStart || len(w.steps(s.ID)) != 0 {
			t.Fatalf("sequence %+v, want waiting for staff with no step", s)
		}
	}
	if _, counts := w.checklist(); counts[store.WhyAwaitingStart] != 2 {
		t.Errorf("checklist counts %v, want 2 awaiting start", counts)
	}

	for name, f := range map[string]func(context.Context, clinic.Actor, int64) error{"start": w.svc.Start, "skip": w.svc.Skip, "done": w.svc.Done} {
		if err := f(ctx, outsider, monday.ID); !errors.Is(err, clinic.ErrForbidden) {
			t.Errorf("a patient's %s: %v, want forbidden", name, err)
		}
	}
	other := storetest.Seed(t, w.db, "other")
	stranger := clinic.StaffActor(clinic.User{ID: 9, OrgID: other.Org.ID, Role: clinic.RoleAdministrator})
	if err := w.svc.Start(ctx, stranger, monday.ID); !errors.Is(err, clinic.ErrNotFound) {
		t.Errorf("another organisation's start: %v, want not found", err)
	}

	if err := w.svc.Start(ctx, reception, monday.ID); err != nil {
		t.Fatal(err)
	}
	s := w.sequence(monday.ID)
	if s.State != store.SeqActive || s.StartedAt.IsZero() {
		t.Errorf("started: %+v", s)
	}
	if got := stepNumbers(inState(w.steps(s.ID), store.NotePlanned)); !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("planned %v, want 0, 1, 2", got)
	}
	var conflict *clinic.ConflictError
	if err := w.svc.Start(ctx, reception, monday.ID); !errors.As(err, &conflict) {
		t.Errorf("starting a running recall: %v, want a conflict", err)
	}
	if err := w.svc.Skip(ctx, reception, monday.ID); err != nil {
		t.Fatal(err)
	}
	if s := w.sequence(monday.ID); s.State != store.SeqSkipped || s.ClosedAt.IsZero() {
		t.Errorf("skipped: %+v", s)
	}
	steps := w.steps(monday.ID)
	if len(inState(steps, store.NotePlanned)) != 0 || len(inState(steps, store.NoteCancelled)) != 3 {
		t.Errorf("after skip: %+v, want every step withdrawn", steps)
	}
	for _, n := range steps {
		if n.Reason != "staff closed the recall" {
			t.Errorf("step %d withdrawn for %q", n.Step, n.Reason)
		}
	}
	if err := w.svc.Skip(ctx, reception, monday.ID); !errors.As(err, &conflict) {
		t.Errorf("skipping a skipped recall: %v, want a conflict", err)
	}
	if err := w.svc.Start(ctx, reception, monday.ID); !errors.As(err, &conflict) {
		t.Errorf("starting a skipped recall: %v, want a conflict", err)
	}

	if err := w.svc.Start(ctx, w.admin, tue.ID); err != nil {
		t.Fatal(err)
	}
	w.drain()
	if err := w.svc.Done(ctx, w.admin, tue.ID); err != nil {
		t.Fatal(err)
	}
	if s := w.sequence(tue.ID); s.State != store.SeqDone {
		t.Errorf("done: %s", s.State)
	}
	wantWithdrawn(t, w.steps(tue.ID))
	if err := w.svc.Done(ctx, w.admin, tue.ID); !errors.As(err, &conflict) {
		t.Errorf("done twice: %v, want a conflict", err)
	}
	for action, want := range map[string]int{"recall.start": 2, "recall.skip": 1, "recall.done": 1} {
		if got := w.audits(action); got != want {
			t.Errorf("%d %s audit rows, want %d", got, action, want)
		}
	}
	if items, _ := w.checklist(); len(items) != 0 {
		t.Errorf("checklist %+v, want empty", items)
	}

	// The patient file's history: both days, newest first, with their results and steps.
	hist, err := w.svc.History(ctx, reception, w.f.Patient.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Sequence.ID != tue.ID || len(hist[0].Results) != 1 || hist[0].Results[0].Test != "Iron studies" || len(hist[0].Steps) != 3 {
		t.Errorf("history %+v", hist)
	}
	if w.audits("recall.history") != 1 {
		t.Error("reading the history was not audited")
	}
}

// TestStartAfterStaffDealtWithIt: a day raised for staff can be started again from its
// first step once they dealt with why (a patient reachable now); a manual day whose
// results name no template cannot, and says so.
func TestStartAfterStaffDealtWithIt(t *testing.T) {
	w := newWorld(t)
	p := w.patient(w.f.Database.ID, "P2", func(p *clinic.Patient) { p.Mobile, p.Email = "", "" })
	r := fbc
	r.id = "S1"
	w.send(w.oru(facility, "P2", r))
	s := w.only(p.ID)
	if s.State != store.SeqUnreachable {
		t.Fatalf("sequence %s, want unreachable", s.State)
	}
	var conflict *clinic.ConflictError
	if err := w.svc.Start(ctx, w.admin, s.ID); !errors.As(err, &conflict) {
		t.Errorf("starting with still no contact: %v, want a conflict", err)
	}
	if got := w.sequence(s.ID); got.State != store.SeqUnreachable {
		t.Errorf("a refused start changed the state to %s", got.State)
	}
	if err := w.db.Update(ctx, func(tx *store.Tx) error {
		p.Mobile = "+61412000002"
		_, err := tx.Patients().UpdatePatient(ctx, w.f.Org.ID, p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := w.svc.Start(ctx, w.admin, s.ID); err != nil {
		t.Fatal(err)
	}
	if got := w.sequence(s.ID); got.State != store.SeqActive || len(inState(w.steps(s.ID), store.NotePlanned)) != 3 {
		t.Errorf("started: %s with %d planned", got.State, len(inState(w.steps(s.ID), store.NotePlanned)))
	}

	w.results(urgent)
	m := w.only(w.f.Patient.ID)
	if err := w.svc.Start(ctx, w.admin, m.ID); !errors.As(err, &conflict) {
		t.Errorf("starting a manual day with no template: %v, want a conflict", err)
	}
}

// TestStartManualDayInAnyOrder (RES-6, RES-7): a manual day with a template result can be
// started by staff once they dealt with the urgent result, on that template from its first
// step, whichever of its results arrived first.
func TestStartManualDayInAnyOrder(t *testing.T) {
	for _, order := range [][]result{{fbc, urgent}, {urgent, fbc}} {
		t.Run(order[0].test+" first", func(t *testing.T) {
			w := newWorld(t)
			for _, r := range order {
				w.results(r)
			}
			s := w.only(w.f.Patient.ID)
			if s.State != store.SeqManual || s.TemplateKey != recall.KeyNonUrgentAppointment {
				t.Errorf("sequence %s of %q, want manual of %s", s.State, s.TemplateKey, recall.KeyNonUrgentAppointment)
			}
			if err := w.svc.Start(ctx, w.admin, s.ID); err != nil {
				t.Fatalf("start: %v", err)
			}
			if got := stepNumbers(inState(w.steps(s.ID), store.NotePlanned)); !slices.Equal(got, []int{0, 1, 2}) {
				t.Errorf("planned %v, want 0, 1, 2", got)
			}
		})
	}
}

// TestCreateBulk (RES-8): staff create recalls for many patients at once, each started on
// the recall template; patients of another clinical database than the clinic's are left
// out and counted; a bad title, no patient, an unknown template or a bad date is refused
// naming its field.
func TestCreateBulk(t *testing.T) {
	w := newWorld(t)
	outsider := clinic.PatientActor(w.f.Org.ID, w.f.Patient.ID)
	d2, _ := w.database(clinic.ProfileBestPractice, "ELSEWHERE")
	elsewhere := w.patient(d2.ID, "E1", nil)
	second := w.patient(w.f.Database.ID, "P2", nil)
	in := recall.CreateInput{ClinicID: w.f.Clinic.ID, PatientIDs: []clinic.PatientID{w.f.Patient.ID, elsewhere.ID, second.ID, w.f.Patient.ID},
		Title: "  Annual skin check ", DueDate: "2026-04-01"}
	if _, err := w.svc.Create(ctx, outsider, in); !errors.Is(err, clinic.ErrForbidden) {
		t.Errorf("a patient's creation: %v, want forbidden", err)
	}
	for _, c := range []struct {
		name  string
		edit  func(*recall.CreateInput)
		field string
	}{
		{"no title", func(in *recall.CreateInput) { in.Title = "  " }, "title"},
		{"long title", func(in *recall.CreateInput) { in.Title = strings.Repeat("é", 201) }, "title"},
		{"control in title", func(in *recall.CreateInput) { in.Title = "Skin\x00check" }, "title"},
		{"no patients", func(in *recall.CreateInput) { in.PatientIDs = nil }, "patient_ids"},
		{"bad date", func(in *recall.CreateInput) { in.DueDate = "1 April" }, "due_date"},
		{"unknown template", func(in *recall.CreateInput) { in.TemplateKey = "nope" }, "template"},
		{"nobody of this clinic", func(in *recall.CreateInput) { in.PatientIDs = []clinic.PatientID{elsewhere.ID} }, "patient_ids"},
		{"another organisation's clinic", func(in *recall.CreateInput) { in.ClinicID = 999999 }, "clinic_id"},
	} {
		bad := in
		c.edit(&bad)
		if _, err := w.svc.Create(ctx, w.admin, bad); !clinic.HasField(clinic.FieldsOf(err), c.field) {
			t.Errorf("%s: %v, want a field error on %s", c.name, err, c.field)
		}
	}
	if n := storetest.Count(t, w.db, `SELECT COUNT(*) FROM recall_sequences`); n != 0 {
		t.Fatalf("refused creations left %d sequences", n)
	}
	got, err := w.svc.Create(ctx, w.admin, in)
	if err != nil {
		t.Fatal(err)
	}
	if got.Created != 2 || got.Skipped != 1 {
		t.Errorf("created %d, skipped %d; want 2 and 1 (the patient of another database)", got.Created, got.Skipped)
	}
	if len(w.sequences(elsewhere.ID)) != 0 {
		t.Error("the patient of another database got a recall")
	}
	for _, p := range []clinic.PatientID{w.f.Patient.ID, second.ID} {
		s := w.only(p)
		if s.Kind != store.SeqKindRecall || s.Title != "Annual skin check" || s.DueDate != "2026-04-01" || s.TemplateKey != recall.KeyRecall ||
			s.State != store.SeqActive || s.CreatedBy != w.admin.Label {
			t.Errorf("patient %d: %+v", p, s)
		}
		steps := w.steps(s.ID)
		if got := stepNumbers(inState(steps, store.NotePlanned)); !slices.Equal(got, []int{0, 1}) {
			t.Errorf("patient %d: planned %v, want the recall template's two steps", p, got)
		}
		for _, n := range steps {
			if n.Kind != "recall_step" || n.Purpose != "recall" {
				t.Errorf("step %d is a %s for %s", n.Step, n.Kind, n.Purpose)
			}
		}
	}
	if w.audits("recall.create") != 2 {
		t.Errorf("%d recall.create audit rows, want one per patient", w.audits("recall.create"))
	}
	// A booking pauses a staff-made recall like any other (RES-4, RES-8).
	w.book(second.ID, t0.Add(72*time.Hour))
	if s := w.only(second.ID); s.State != store.SeqBooked {
		t.Errorf("after booking: %s, want booked", s.State)
	}
}

// TestSyncedRecall (RES-8): a recall the clinical software records gets a sequence of the
// recall template, updated (not restarted) as the software changes it, done when completed
// and skipped when cancelled, its planned steps withdrawn.
func TestSyncedRecall(t *testing.T) {
	w := newWorld(t)
	cl := w.f.Clinic
	upsert := func(ext, reason, due, status string) store.Recall {
		t.Helper()
		r := store.Recall{OrgID: w.f.Org.ID, DatabaseID: w.f.Database.ID, PatientID: w.f.Patient.ID, ExternalID: ext, Due: due, Reason: reason,
			DoctorName: "Sam Example", Status: status}
		err := w.db.Update(ctx, func(tx *store.Tx) (err error) {
			if r.ID, err = tx.Sync().UpsertRecall(ctx, r); err != nil {
				return err
			}
			return recall.IntakeRecall(ctx, tx, cl, r)
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	r := upsert("RC1", "Skin check", "2026-04-01", "active")
	s := w.only(w.f.Patient.ID)
	if s.Kind != store.SeqKindRecall || s.RecallID != r.ID || s.Title != "Skin check" || s.DueDate != "2026-04-01" || s.State != store.SeqActive ||
		s.TemplateKey != recall.KeyRecall || s.DoctorName != "Sam Example" {
		t.Fatalf("sequence %+v", s)
	}
	before := w.steps(s.ID)
	if len(before) != 2 {
		t.Fatalf("%d steps, want 2", len(before))
	}
	upsert("RC1", "Annual skin check", "2026-04-15", "active")
	s = w.sequence(s.ID)
	if s.Title != "Annual skin check" || s.DueDate != "2026-04-15" || s.State != store.SeqActive {
		t.Errorf("updated: %+v", s)
	}
	if after := w.steps(s.ID); len(after) != 2 || after[0].ID != before[0].ID {
		t.Errorf("an update replanned the steps: %+v", after)
	}
	upsert("RC1", "Annual skin check", "2026-04-15", "completed")
	if s = w.sequence(s.ID); s.State != store.SeqDone || len(inState(w.steps(s.ID), store.NotePlanned)) != 0 {
		t.Errorf("completed: %s with planned steps %v", s.State, stepNumbers(inState(w.steps(s.ID), store.NotePlanned)))
	}
	upsert("RC2", "Cervical screening", "2026-05-01", "active")
	upsert("RC2", "Cervical screening", "2026-05-01", "cancelled")
	upsert("RC3", "Old recall", "2025-05-01", "completed")
	ss := w.sequences(w.f.Patient.ID)
	if len(ss) != 2 || ss[0].Title != "Cervical screening" || ss[0].State != store.SeqSkipped {
		t.Errorf("sequences %+v, want the cancelled one skipped and none for a recall first seen completed", ss)
	}
}
