package messaging

import (
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// TestWatcher (MSG-6): a staff member's stream sends the events of the conversations they
// may read only: the clinic's answer list and reception triage decide, as for Read; an
// assignment is decided afresh at once; a change of the clinic's lists reaches an open
// stream once watchFor has passed; another organisation's conversation is never seen.
func TestWatcher(t *testing.T) {
	e := newEnv(t)
	col := e.staff["colleague"].ID
	// Incoming conversations are answered by the colleague only; the practitioner may start
	// (so may be assigned one); reception does not triage.
	e.set(e.a.Org.ID, store.MessagingSettings{ClinicID: e.a.Clinic.ID, StaffStart: true, StaffStartAll: true,
		Incoming: true, AnswerList: []clinic.UserID{col}, PortalButton: true})
	in, err := e.svc.Start(ctx, e.patient(), StartInput{ClinicID: e.a.Clinic.ID, PatientID: e.a.Patient.ID, Subject: "Question", Body: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	own := e.start(e.as("practitioner"), "Your results are in.")
	ev := func(c store.Conversation, kind string) store.MessageEvent {
		return store.MessageEvent{OrgID: c.OrgID, ConversationID: c.ID, ClinicID: c.ClinicID, PatientID: c.PatientID, Kind: kind}
	}
	watchers := map[string]*Watcher{}
	for _, who := range []string{"practitioner", "colleague", "reception", "administrator"} {
		watchers[who] = e.svc.Watch(e.as(who))
	}
	sees := func(who string, x store.MessageEvent) bool {
		t.Helper()
		ok, err := watchers[who].Sees(ctx, x)
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		return ok
	}
	tests := []struct {
		who  string
		c    store.Conversation
		want bool
	}{
		{"colleague", in, true},
		{"practitioner", in, false}, // not on the answer list
		{"reception", in, false},    // no triage
		{"administrator", in, false},
		{"practitioner", own, true}, // started it (every professional may start)
		{"colleague", own, true},
		{"reception", own, false},
	}
	for _, tt := range tests {
		if got := sees(tt.who, ev(tt.c, store.EventMessage)); got != tt.want {
			t.Errorf("%s sees conversation %q: %v, want %v", tt.who, tt.c.Subject, got, tt.want)
		}
	}

	// Assigned to the practitioner: the assignment's own event is decided afresh.
	if err := e.svc.Assign(ctx, e.as("colleague"), in.ID, e.staff["practitioner"].ID); err != nil {
		t.Fatal(err)
	}
	if !sees("practitioner", ev(in, store.EventAssigned)) {
		t.Error("the practitioner does not see the conversation assigned to them")
	}
	if !sees("practitioner", ev(in, store.EventMessage)) {
		t.Error("the practitioner does not see the next message of the conversation assigned to them")
	}

	// The clinic lets reception triage: its open stream follows once its decision is old.
	e.set(e.a.Org.ID, store.MessagingSettings{ClinicID: e.a.Clinic.ID, StaffStart: true, StaffStartAll: true,
		Incoming: true, AnswerList: []clinic.UserID{col}, PortalButton: true, ReceptionTriage: true})
	if sees("reception", ev(in, store.EventMessage)) {
		t.Error("reception's decision changed before watchFor passed (it is kept)")
	}
	e.clock.Advance(watchFor)
	if !sees("reception", ev(in, store.EventMessage)) {
		t.Errorf("reception does not see the conversation %s after triage was allowed", watchFor)
	}

	// Another organisation's conversation, even under a known id: never.
	if sees("colleague", store.MessageEvent{OrgID: e.b.Org.ID, ConversationID: in.ID + 1000, Kind: store.EventMessage}) {
		t.Error("a conversation that does not exist is seen")
	}
	other := e.svc.Watch(clinic.StaffActor(e.bPrac))
	if ok, err := other.Sees(ctx, ev(in, store.EventMessage)); err != nil || ok {
		t.Errorf("another organisation's practitioner sees it: %v, %v", ok, err)
	}
}
