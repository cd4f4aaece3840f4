package recall_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/recall"
	"github.com/tidings-health/tidings/internal/store"
)

// Results performed on Monday 2026-03-09 in Sydney, the day before t0.
var (
	fbc     = result{id: "L1", test: "Full blood count", performed: local(9, 8, 30), action: "Non-urgent appointment", category: "Investigation report"}
	lipids  = result{id: "L2", test: "Lipids", performed: local(9, 15, 0), action: "Non-urgent appointment", category: "Investigation report"}
	urgent  = result{id: "L3", test: "Chest X-ray", performed: local(9, 11, 0), action: "Return urgently", category: "Investigation report"}
	tuesday = result{id: "L4", test: "Iron studies", performed: local(10, 7, 45), action: "Non-urgent appointment", category: "Investigation report"}
)

// live is whether a step can still go out, or went: planned, on its way, or sent.
func live(n store.Notification) bool {
	switch n.State {
	case store.NotePlanned, store.NoteClaimed, store.NoteSending, store.NoteSent, store.NoteDelivered, store.NoteUnknown:
		return true
	}
	return false
}

// TestUrgentResultStopsSameDayGroup (RES-6, RES-2, RES-7): a manual result ("Return
// urgently") makes its whole day manual: with a template result of the same day nothing
// automatic reaches the patient, whichever came first, and the day is one checklist item
// for the manual action. Arriving after the day's sequence started, it withdraws the steps
// still planned and keeps what was sent.
func TestUrgentResultStopsSameDayGroup(t *testing.T) {
	for _, order := range [][]result{{fbc, urgent}, {urgent, fbc}} {
		t.Run("one message, "+order[0].test+" first", func(t *testing.T) {
			w := newWorld(t)
			w.results(order...)
			s := w.only(w.f.Patient.ID)
			if s.State != store.SeqManual || s.Why != store.WhyManualAction {
				t.Errorf("sequence %s/%s, want manual/%s", s.State, s.Why, store.WhyManualAction)
			}
			for _, n := range w.steps(s.ID) {
				if live(n) {
					t.Errorf("step %d is %s: nothing automatic may go to a patient with an urgent result (RES-6)", n.Step, n.State)
				}
			}
			w.drain()
			if n := len(w.steps(s.ID)) - len(inState(w.steps(s.ID), store.NoteCancelled)); n != 0 {
				t.Errorf("%d steps not withdrawn after the dispatcher ran", n)
			}
			items, counts := w.checklist()
			if len(items) != 1 || items[0].ID != s.ID || items[0].Reason != store.WhyManualAction {
				t.Fatalf("checklist %+v, want the one day for %s", items, store.WhyManualAction)
			}
			if diff := cmp.Diff(map[string]int{store.WhyManualAction: 1}, counts); diff != "" {
				t.Errorf("checklist counts (-want +got):\n%s", diff)
			}
			if !strings.Contains(items[0].Title, "Full blood count") || !strings.Contains(items[0].Title, "Chest X-ray") {
				t.Errorf("checklist title %q, want both tests", items[0].Title)
			}
		})
	}

	t.Run("urgent an hour after the sequence started", func(t *testing.T) {
		w := newWorld(t)
		w.results(fbc)
		s := w.only(w.f.Patient.ID)
		if s.State != store.SeqActive || s.TemplateKey != recall.KeyNonUrgentAppointment {
			t.Fatalf("sequence %s of %q, want active of %s", s.State, s.TemplateKey, recall.KeyNonUrgentAppointment)
		}
		steps := w.steps(s.ID)
		if got := stepNumbers(inState(steps, store.NotePlanned)); !slices.Equal(got, []int{0, 1, 2}) {
			t.Fatalf("planned steps %v, want the template's three", got)
		}
		if !steps[0].Due.Equal(t0) || steps[0].Channel != "sms" {
			t.Errorf("first step by %s due %s, want an SMS at once (%s)", steps[0].Channel, steps[0].Due, t0)
		}
		w.drain()
		sent := inState(w.steps(s.ID), store.NoteSent)
		if len(sent) != 1 || sent[0].Step != 0 {
			t.Fatalf("sent %+v, want the first step", sent)
		}
		if strings.Contains(sent[0].Body, "Full blood count") || !strings.Contains(sent[0].Body, "https://tidings.example/r/") {
			t.Errorf("first step %q: want the identity-check link and no test name", sent[0].Body)
		}
		w.clock.Advance(time.Hour)
		w.results(urgent)
		s = w.only(w.f.Patient.ID)
		if s.State != store.SeqManual || s.Why != store.WhyManualAction {
			t.Errorf("sequence %s/%s, want manual/%s", s.State, s.Why, store.WhyManualAction)
		}
		steps = w.steps(s.ID)
		wantWithdrawn(t, steps, "RES-6") // the same-day rule
		if len(inState(steps, store.NotePlanned)) != 0 {
			t.Error("a step is still planned")
		}
		items, _ := w.checklist()
		if len(items) != 1 || items[0].ID != s.ID || items[0].Reason != store.WhyManualAction {
			t.Errorf("checklist %+v, want the day for %s", items, store.WhyManualAction)
		}
		// Nothing more goes out, even once the later steps would have been due.
		w.clock.Advance(8 * 24 * time.Hour)
		w.drain()
		if got := stepNumbers(inState(w.steps(s.ID), store.NoteSent)); !slices.Equal(got, []int{0}) {
			t.Errorf("sent steps %v a week later, want only the first", got)
		}
	})
}

// TestSameDayGrouping (RES-6): results of one patient performed the same civil day in the
// clinic's zone are one recall, whatever order they arrive in and whatever their UTC days;
// a template result joining a running day neither plans its steps again nor restarts them.
// A result of another day is another recall.
func TestSameDayGrouping(t *testing.T) {
	w := newWorld(t)
	// 23:30 on Monday in Sydney is Monday 12:30 UTC; 08:30 is Sunday 21:30 UTC; 00:30 on
	// Tuesday is Monday 13:30 UTC.
	late := result{id: "G1", test: "Lipids", performed: local(9, 23, 30), action: "Non-urgent appointment", category: "Investigation report"}
	early := result{id: "G2", test: "Full blood count", performed: local(9, 8, 30), action: "Discuss", category: "Investigation report"}
	next := result{id: "G3", test: "Iron studies", performed: local(10, 0, 30), action: "Non-urgent appointment", category: "Investigation report"}
	w.results(late)
	first := w.only(w.f.Patient.ID)
	if first.State != store.SeqActive || first.GroupDay != "2026-03-09" {
		t.Fatalf("sequence %s of %s, want active of 2026-03-09", first.State, first.GroupDay)
	}
	before := w.steps(first.ID)
	w.drain()
	w.clock.Advance(2 * time.Hour)
	w.results(early)
	s := w.only(w.f.Patient.ID)
	if s.ID != first.ID {
		t.Fatalf("the earlier result of the same day made sequence %d, want it in %d", s.ID, first.ID)
	}
	if s.Title != "Lipids, Full blood count" {
		t.Errorf("title %q, want both tests", s.Title)
	}
	if s.TemplateKey != recall.KeyNonUrgentAppointment || !s.StartedAt.Equal(first.StartedAt) || !s.EndsAt.Equal(first.EndsAt) {
		t.Errorf("the day restarted: %+v, was %+v", s, first)
	}
	after := w.steps(s.ID)
	if len(after) != len(before) {
		t.Fatalf("%d steps after the second result, want the %d planned once", len(after), len(before))
	}
	for i := range after {
		if after[i].ID != before[i].ID || !after[i].Due.Equal(before[i].Due) {
			t.Errorf("step %d replanned: %+v, was %+v", i, after[i], before[i])
		}
	}
	if got := stepNumbers(inState(after, store.NoteSent)); !slices.Equal(got, []int{0}) {
		t.Errorf("sent %v, want the first step once", got)
	}
	for _, id := range []string{"G1", "G2"} {
		if r, _ := w.stored(w.f.Database.ID, id); r.SequenceID != s.ID {
			t.Errorf("result %s in sequence %d, want %d", id, r.SequenceID, s.ID)
		}
	}
	// The same result sent again changes nothing.
	w.results(early)
	if got := w.steps(s.ID); len(got) != len(before) {
		t.Errorf("%d steps after a repeat, want %d", len(got), len(before))
	}
	w.results(next)
	ss := w.sequences(w.f.Patient.ID)
	if len(ss) != 2 {
		t.Fatalf("%d sequences, want Monday's and Tuesday's", len(ss))
	}
	if ss[0].GroupDay != "2026-03-10" || ss[0].Title != "Iron studies" || ss[0].State != store.SeqActive {
		t.Errorf("Tuesday's sequence %+v", ss[0])
	}
	if n := len(inState(w.steps(ss[0].ID), store.NotePlanned)); n != 3 {
		t.Errorf("Tuesday's sequence has %d planned steps, want its own 3", n)
	}
}

// TestHeldUntilActioned (RES-1): a result in a category the profile takes but that no
// doctor actioned yet is kept, held, and starts nothing; the update that actions it starts
// its day.
func TestHeldUntilActioned(t *testing.T) {
	w := newWorld(t)
	held := result{id: "H1", test: "HbA1c", performed: local(9, 9, 0), category: "Investigation report"}
	w.results(held)
	r, ok := w.stored(w.f.Database.ID, "H1")
	if !ok || r.Outcome != "held" || r.SequenceID != 0 {
		t.Fatalf("held result %+v (stored %v), want outcome held in no sequence", r, ok)
	}
	if ss := w.sequences(w.f.Patient.ID); len(ss) != 0 {
		t.Fatalf("a held result made %d sequences", len(ss))
	}
	if items, _ := w.checklist(); len(items) != 0 {
		t.Errorf("a held result is on the checklist: %+v", items)
	}
	w.clock.Advance(24 * time.Hour)
	held.action = "Non-urgent appointment"
	w.results(held)
	r, _ = w.stored(w.f.Database.ID, "H1")
	s := w.only(w.f.Patient.ID)
	if r.Outcome != "template" || r.SequenceID != s.ID || s.State != store.SeqActive || s.GroupDay != "2026-03-09" {
		t.Errorf("actioned: result %+v, sequence %+v; want it taken into Monday's active sequence", r, s)
	}
	if n := len(inState(w.steps(s.ID), store.NotePlanned)); n != 3 {
		t.Errorf("%d planned steps, want 3", n)
	}
}

// TestMarkedDoneInClinicalSoftware (RES-5): a later message marking a result notified,
// given or discussed ends its day's sequence as done, withdrawing the steps still planned;
// what was sent stays sent, and the day leaves the checklist.
func TestMarkedDoneInClinicalSoftware(t *testing.T) {
	for _, code := range []string{"N", "G", "D"} {
		t.Run(code, func(t *testing.T) {
			w := newWorld(t)
			w.results(fbc, lipids)
			s := w.only(w.f.Patient.ID)
			w.drain()
			w.clock.Advance(26 * time.Hour)
			done := lipids
			done.state = code
			w.results(done)
			s = w.sequence(s.ID)
			if s.State != store.SeqDone || s.ClosedAt.IsZero() {
				t.Fatalf("sequence %s closed %s, want done", s.State, s.ClosedAt)
			}
			wantWithdrawn(t, w.steps(s.ID), "RES-5")
			if items, _ := w.checklist(); len(items) != 0 {
				t.Errorf("a done recall is on the checklist: %+v", items)
			}
		})
	}
	t.Run("a manual day marked discussed leaves the checklist", func(t *testing.T) {
		w := newWorld(t)
		w.results(urgent)
		if items, _ := w.checklist(); len(items) != 1 {
			t.Fatalf("checklist %+v, want the urgent day", items)
		}
		done := urgent
		done.state = "D"
		w.results(done)
		if s := w.only(w.f.Patient.ID); s.State != store.SeqDone {
			t.Errorf("sequence %s, want done", s.State)
		}
		if items, _ := w.checklist(); len(items) != 0 {
			t.Errorf("checklist %+v, want empty", items)
		}
	})
}

// TestPauseOnBooking (RES-4): booking an appointment (through the booking use case, as
// every surface does) stops the patient's running sequence, withdrawing the planned steps
// for the booking; cancelling that appointment before it happens resumes the sequence from
// the first withdrawn step when the clinic's setting says so (the default), and leaves it
// finished without a booking on the checklist otherwise.
func TestPauseOnBooking(t *testing.T) {
	for _, resume := range []bool{true, false} {
		t.Run(map[bool]string{true: "resume on cancel", false: "no resume"}[resume], func(t *testing.T) {
			w := newWorld(t)
			if !resume {
				if err := w.svc.SetSettings(ctx, w.admin, store.RecallSettings{ClinicID: w.f.Clinic.ID, ResumeOnCancel: false}); err != nil {
					t.Fatal(err)
				}
				if w.audits("recall.settings") != 1 {
					t.Error("the settings change was not audited")
				}
			}
			w.results(fbc)
			s := w.only(w.f.Patient.ID)
			w.drain() // the first step goes out
			w.clock.Advance(time.Hour)
			a := w.book(w.f.Patient.ID, t0.Add(5*24*time.Hour))
			s = w.sequence(s.ID)
			if s.State != store.SeqBooked || s.AppointmentID != a.ID || s.ResumeStep != 1 {
				t.Fatalf("after booking: %s, appointment %d, resume at %d; want booked into %d from step 1", s.State, s.AppointmentID, s.ResumeStep, a.ID)
			}
			steps := w.steps(s.ID)
			withdrawn := inState(steps, store.NoteCancelled)
			if got := stepNumbers(withdrawn); !slices.Equal(got, []int{1, 2}) {
				t.Fatalf("withdrawn %v, want 1 and 2", got)
			}
			for _, n := range withdrawn {
				if !strings.Contains(n.Reason, "booked") || !strings.Contains(n.Reason, "RES-4") {
					t.Errorf("step %d withdrawn for %q, want the booking", n.Step, n.Reason)
				}
			}
			if items, _ := w.checklist(); len(items) != 0 {
				t.Errorf("a booked recall is on the checklist: %+v", items)
			}
			w.clock.Advance(time.Hour)
			w.cancel(a)
			s = w.sequence(s.ID)
			steps = w.steps(s.ID)
			planned := inState(steps, store.NotePlanned)
			items, _ := w.checklist()
			if resume {
				if s.State != store.SeqActive || s.AppointmentID != 0 {
					t.Errorf("after the cancellation: %s booked into %d, want active again", s.State, s.AppointmentID)
				}
				if got := stepNumbers(planned); !slices.Equal(got, []int{1, 2}) {
					t.Errorf("planned again %v, want steps 1 and 2", got)
				}
				if len(planned) > 0 && !planned[0].Due.Equal(w.clock.Now().Add(3*24*time.Hour)) {
					t.Errorf("step 1 due %s, want its delay after the cancellation", planned[0].Due)
				}
				if got := stepNumbers(inState(steps, store.NoteSent)); !slices.Equal(got, []int{0}) {
					t.Errorf("sent %v, want the first step only, never again", got)
				}
				if len(items) != 0 {
					t.Errorf("checklist %+v, want empty while it runs", items)
				}
				return
			}
			if s.State != store.SeqActive || len(planned) != 0 {
				t.Errorf("without resume: %s with %d planned steps, want active with none", s.State, len(planned))
			}
			if len(items) != 1 || items[0].Reason != store.WhyFinished {
				t.Errorf("checklist %+v, want the recall finished without a booking", items)
			}
		})
	}
	t.Run("cancelling one of two bookings resumes nothing", func(t *testing.T) {
		w := newWorld(t)
		w.results(fbc)
		s := w.only(w.f.Patient.ID)
		first := w.book(w.f.Patient.ID, t0.Add(3*24*time.Hour))
		second := w.book(w.f.Patient.ID, t0.Add(6*24*time.Hour))
		w.cancel(first)
		s = w.sequence(s.ID)
		if s.State != store.SeqBooked || s.AppointmentID != second.ID {
			t.Errorf("after cancelling one of two bookings: %s into %d, want still booked, into %d", s.State, s.AppointmentID, second.ID)
		}
		if planned := inState(w.steps(s.ID), store.NotePlanned); len(planned) != 0 {
			t.Errorf("steps %v planned again while the patient has an appointment ahead", stepNumbers(planned))
		}
		w.cancel(w.appointment(second.ID))
		if s = w.sequence(s.ID); s.State != store.SeqActive || len(inState(w.steps(s.ID), store.NotePlanned)) != 3 {
			t.Errorf("after cancelling both: %s, want active again from the first step", s.State)
		}
	})
	t.Run("an appointment of another patient pauses nothing", func(t *testing.T) {
		w := newWorld(t)
		w.results(fbc)
		other := w.patient(w.f.Database.ID, "P2", nil)
		w.book(other.ID, t0.Add(48*time.Hour))
		if s := w.only(w.f.Patient.ID); s.State != store.SeqActive {
			t.Errorf("sequence %s, want active", s.State)
		}
	})
}

// TestUnreachable: a patient nothing automatic can reach goes to the checklist instead
// of a sequence that would send nothing: no mobile and no e-mail (no_contact), or opted out
// in the clinical software, a flag the database's profile reads and the clinic respects
// (CON-1, opted_out).
func TestUnreachable(t *testing.T) {
	w := newWorld(t)
	nobody := w.patient(w.f.Database.ID, "P2", func(p *clinic.Patient) { p.Mobile, p.Email = "", "" })
	out := w.patient(w.f.Database.ID, "P3", func(p *clinic.Patient) { p.PMSOptOut = true; now := t0; p.PMSOptOutReadAt = &now })
	for _, c := range []struct {
		p   clinic.Patient
		why string
	}{{nobody, store.WhyNoContact}, {out, store.WhyOptedOut}} {
		r := fbc
		r.id = "U-" + c.p.ExternalID
		w.send(w.oru(facility, c.p.ExternalID, r))
		s := w.only(c.p.ID)
		if s.State != store.SeqUnreachable || s.Why != c.why {
			t.Errorf("patient %s: %s/%s, want unreachable/%s", c.p.ExternalID, s.State, s.Why, c.why)
		}
		if n := len(w.steps(s.ID)); n != 0 {
			t.Errorf("patient %s: %d steps planned", c.p.ExternalID, n)
		}
	}
	_, counts := w.checklist()
	if diff := cmp.Diff(map[string]int{store.WhyNoContact: 1, store.WhyOptedOut: 1}, counts); diff != "" {
		t.Errorf("checklist counts (-want +got):\n%s", diff)
	}
}
