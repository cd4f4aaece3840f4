package messaging

import (
	"fmt"
	"testing"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// The permission matrix (MSG-1, MSG-2, MSG-3, MSG-6) as a table test: every combination of
// the clinic's switches, the selected lists (the person on them or not), reception triage,
// the person (each staff role, a practitioner-linked administrator, the patient) and the
// conversation (who started it, open or closed, assigned or not, whose it is), for every
// act. The expected answer is written from the specification below, not from Decide's code;
// the explicit rows of TestDecideExamples pin the cases worth reading one by one.
//
// The specification, in words:
//   - Start (staff, MSG-1): the clinic lets professionals start, the person is a healthcare
//     professional (a practitioner, or an account linked to a practitioner), and either every
//     professional may or the person is on the start list.
//   - A conversation's professional side: one started by staff (and still at its clinic) is
//     answered by those who may start and by the professional who started it; one started by
//     a patient, copied from another organisation's clinic, or handed over from another
//     clinic (whoever started it there) is answered, when the clinic takes incoming
//     conversations (MSG-2), by every professional or those on the answer list; whoever it
//     is assigned to (a professional) answers it too.
//   - Answer: the professional side, and only while the conversation is open.
//   - Read (MSG-6), assign: the professional side, or triage: reception, appointment
//     managers and administrators (not practitioners) when the clinic allows triage.
//   - Close, reopen, hand over: the professional side.
//   - The patient: only their own conversations (or those of the people they act for): they
//     read them, answer them while open, and start one when the clinic takes incoming
//     conversations and its portal button is on (MSG-2, MSG-3); nothing else.

// who is a person of the matrix.
type who struct {
	name     string
	role     clinic.Role // "" for the patient
	linked   bool        // a staff account linked to a practitioner
	patient  bool
	inStart  bool // on the start list
	inAnswer bool // on the answer list
}

// conv is a conversation of the matrix.
type conv struct {
	startedBy    string // staff, patient, clinic
	startedByMe  bool   // staff-started: by the person asking
	handedOver   bool   // moved here from another clinic of the organisation
	closed       bool
	assigned     string // "", "me", "other"
	otherPatient bool   // someone else's (for the patient: not one they act for)
}

const (
	me        clinic.UserID    = 7
	colleague clinic.UserID    = 8
	self      clinic.PatientID = 100
	relative  clinic.PatientID = 101 // a child the patient acts for
	stranger  clinic.PatientID = 200
)

// expected is the specification above, for one row.
func expected(s store.MessagingSettings, w who, act Act, c conv) bool {
	if w.patient {
		if c.otherPatient {
			return false
		}
		switch act {
		case ActStart:
			return s.Incoming && s.PortalButton
		case ActRead:
			return true
		case ActAnswer:
			return !c.closed
		}
		return false
	}
	professional := w.role == clinic.RolePractitioner || w.linked
	// The switches govern starting only; an existing conversation is followed by the lists
	// (a clinic that stops taking conversations keeps those it has).
	onStartList := professional && (s.StaffStartAll || w.inStart)
	starter := s.StaffStart && onStartList
	answerer := professional && (s.IncomingAll || w.inAnswer)
	side := false
	if c.startedBy == store.ByStaff && !c.handedOver {
		side = onStartList || (professional && c.startedByMe)
	} else {
		side = answerer
	}
	if professional && c.assigned == "me" {
		side = true
	}
	triager := s.ReceptionTriage && w.role != clinic.RolePractitioner
	switch act {
	case ActStart:
		return starter
	case ActAnswer:
		return side && !c.closed
	case ActRead, ActAssign:
		return side || triager
	case ActClose, ActHand:
		return side
	}
	return false
}

// person is w as the rules see it (built here, not by staffPerson, so that a mistake there
// shows too: see TestStaffPerson).
func (w who) person() Person {
	if w.patient {
		return Person{Patients: []clinic.PatientID{self, relative}}
	}
	return Person{Staff: true, User: me, Role: w.role, Professional: w.role == clinic.RolePractitioner || w.linked}
}

func (c conv) conversation(patient bool) store.Conversation {
	out := store.Conversation{ID: 1, ClinicID: 3, PatientID: self, StartedBy: c.startedBy, State: store.ConversationOpen}
	if patient {
		out.PatientID = relative // the patient's own side includes the people they act for
	}
	if c.otherPatient {
		out.PatientID = stranger
	}
	if c.closed {
		out.State = store.ConversationClosed
	}
	if c.handedOver {
		out.FromClinicID = 4
	}
	if c.startedBy == store.ByStaff {
		out.StartedByUser = colleague
		if c.startedByMe {
			out.StartedByUser = me
		}
	}
	switch c.assigned {
	case "me":
		out.AssignedUserID = me
	case "other":
		out.AssignedUserID = colleague
	}
	return out
}

// settings is one combination of the switches: bit i of n sets the i-th switch, and the
// lists hold the person when they are on them (and a colleague always).
func settings(n int, w who) store.MessagingSettings {
	bit := func(i int) bool { return n&(1<<i) != 0 }
	s := store.MessagingSettings{ClinicID: 3, StaffStart: bit(0), StaffStartAll: bit(1), Incoming: bit(2), IncomingAll: bit(3),
		ReceptionTriage: bit(4), PortalButton: bit(5), StartList: []clinic.UserID{colleague}, AnswerList: []clinic.UserID{colleague}}
	if w.inStart {
		s.StartList = append(s.StartList, me)
	}
	if w.inAnswer {
		s.AnswerList = append(s.AnswerList, me)
	}
	return s
}

const switchCombinations = 1 << 6

// people lists every person of the matrix: each staff role and the linked administrator,
// on each list or not, and the patient (whom the lists do not concern).
func people() []who {
	var out []who
	base := []who{{name: "administrator", role: clinic.RoleAdministrator}, {name: "appointment_manager", role: clinic.RoleAppointmentManager},
		{name: "reception", role: clinic.RoleReception}, {name: "practitioner", role: clinic.RolePractitioner},
		{name: "professional administrator", role: clinic.RoleAdministrator, linked: true}}
	for _, b := range base {
		for _, inStart := range []bool{false, true} {
			for _, inAnswer := range []bool{false, true} {
				w := b
				w.inStart, w.inAnswer = inStart, inAnswer
				out = append(out, w)
			}
		}
	}
	return append(out, who{name: "patient", patient: true})
}

func conversations() []conv {
	var out []conv
	for _, by := range []string{store.ByStaff, store.ByPatient, store.ByClinic} {
		for _, mine := range []bool{false, true} {
			if mine && by != store.ByStaff {
				continue
			}
			for _, moved := range []bool{false, true} {
				for _, closed := range []bool{false, true} {
					for _, asg := range []string{"", "me", "other"} {
						for _, other := range []bool{false, true} {
							out = append(out, conv{startedBy: by, startedByMe: mine, handedOver: moved, closed: closed, assigned: asg, otherPatient: other})
						}
					}
				}
			}
		}
	}
	return out
}

func (w who) String() string {
	return fmt.Sprintf("%s(start list %v, answer list %v)", w.name, w.inStart, w.inAnswer)
}

func describe(s store.MessagingSettings) string {
	return fmt.Sprintf("staff_start=%v all=%v incoming=%v all=%v triage=%v button=%v", s.StaffStart, s.StaffStartAll, s.Incoming, s.IncomingAll,
		s.ReceptionTriage, s.PortalButton)
}

// TestDecideMatrix walks every row and compares Decide with the specification. It also
// counts, per act and person, how many rows each outcome has, so that a matrix that allows
// or refuses everything (a broken generator) fails too.
func TestDecideMatrix(t *testing.T) {
	rows, failures := 0, 0
	outcomes := map[string]map[bool]int{}
	for _, w := range people() {
		for n := range switchCombinations {
			s := settings(n, w)
			for _, c := range conversations() {
				for _, act := range Acts() {
					rows++
					want := expected(s, w, act, c)
					got := Decide(s, w.person(), act, c.conversation(w.patient))
					k := w.name + " " + string(act)
					if outcomes[k] == nil {
						outcomes[k] = map[bool]int{}
					}
					outcomes[k][got.Allowed]++
					if got.Allowed != want {
						failures++
						if failures <= 20 {
							t.Errorf("%v %s %+v with %s: allowed %v (%s), want %v", w, act, c, describe(s), got.Allowed, got.Why, want)
						}
					}
					if got.Why == "" {
						t.Fatalf("%v %s %+v: a decision without a reason", w, act, c)
					}
				}
			}
		}
	}
	if failures > 20 {
		t.Errorf("... %d rows disagree in all", failures)
	}
	t.Logf("%d rows", rows)
	// Every person can be allowed and refused every act they may ever do; patients never
	// assign, close or hand over, and staff who are no professionals never start, answer,
	// close or hand over.
	never := map[string]bool{"patient assign": true, "patient close": true, "patient handover": true}
	for _, name := range []string{"administrator", "appointment_manager", "reception"} {
		for _, act := range []Act{ActStart, ActAnswer, ActClose, ActHand} {
			never[name+" "+string(act)] = true
		}
	}
	if want := 6 * len(Acts()); len(outcomes) != want { // five staff persons and the patient
		t.Errorf("%d person × act pairs, want %d", len(outcomes), want)
	}
	for k, o := range outcomes {
		never := never[k]
		switch {
		case never && o[true] > 0:
			t.Errorf("%s: allowed %d times, want never", k, o[true])
		case !never && (o[true] == 0 || o[false] == 0):
			t.Errorf("%s: %d allowed, %d refused: the matrix does not exercise both outcomes", k, o[true], o[false])
		}
	}
}

// TestReadsAll holds the unread counts' shortcuts to Decide over the permission matrix: a
// person readsAll says reads every conversation of the matrix, and one readsNone says reads
// none; both answers occur, and where neither does, the person reads some but not all.
func TestReadsAll(t *testing.T) {
	seen := map[string]int{}
	for _, w := range people() {
		for n := range switchCombinations {
			s := settings(n, w)
			p := w.person()
			reads, total := 0, 0
			for _, c := range conversations() {
				if c.otherPatient {
					continue // the patient's: not the clinic's whole
				}
				total++
				if Decide(s, p, ActRead, c.conversation(w.patient)).Allowed {
					reads++
				}
			}
			all, none := readsAll(s, p), readsNone(s, p)
			switch {
			case all && none:
				t.Errorf("%v with %s: both readsAll and readsNone", w, describe(s))
			case all && reads != total:
				t.Errorf("%v with %s: readsAll, but reads %d of %d", w, describe(s), reads, total)
			case none && reads != 0:
				t.Errorf("%v with %s: readsNone, but reads %d of %d", w, describe(s), reads, total)
			case !all && !none && (reads == 0 || reads == total) && !w.patient:
				// Not wrong, but the count then asks of each conversation for nothing.
				t.Errorf("%v with %s: reads %d of %d, and neither shortcut says so", w, describe(s), reads, total)
			}
			switch {
			case all:
				seen["all"]++
			case none:
				seen["none"]++
			default:
				seen["some"]++
			}
		}
	}
	if seen["all"] == 0 || seen["none"] == 0 || seen["some"] == 0 {
		t.Errorf("outcomes %v: the matrix does not exercise all three", seen)
	}
}

// TestDecideExamples are rows written out by hand, each a sentence of the article or the
// issue.
func TestDecideExamples(t *testing.T) {
	on := store.MessagingSettings{StaffStart: true, StaffStartAll: true, Incoming: true, IncomingAll: true, PortalButton: true}
	listed := store.MessagingSettings{StaffStart: true, StartList: []clinic.UserID{me}, Incoming: true, AnswerList: []clinic.UserID{colleague}}
	withTriage := func(s store.MessagingSettings) store.MessagingSettings { s.ReceptionTriage = true; return s }
	off := store.MessagingSettings{}
	prac := Person{Staff: true, User: me, Role: clinic.RolePractitioner, Professional: true}
	linkedAdmin := Person{Staff: true, User: me, Role: clinic.RoleAdministrator, Professional: true}
	reception := Person{Staff: true, User: me, Role: clinic.RoleReception}
	admin := Person{Staff: true, User: me, Role: clinic.RoleAdministrator}
	token := Person{Staff: true, Role: clinic.RolePractitioner} // an API token: no user, not a professional
	patient := Person{Patients: []clinic.PatientID{self}}
	fromPatient := store.Conversation{PatientID: self, StartedBy: store.ByPatient, State: store.ConversationOpen}
	fromStaff := store.Conversation{PatientID: self, StartedBy: store.ByStaff, StartedByUser: colleague, State: store.ConversationOpen}
	mine := fromStaff
	mine.StartedByUser = me
	movedMine := mine
	movedMine.FromClinicID = 4
	closed := fromPatient
	closed.State = store.ConversationClosed
	assigned := fromPatient
	assigned.AssignedUserID = me
	someoneElses := fromPatient
	someoneElses.PatientID = stranger

	tests := []struct {
		name string
		s    store.MessagingSettings
		p    Person
		act  Act
		c    store.Conversation
		want bool
	}{
		{"MSG-1 off: a practitioner does not start", off, prac, ActStart, fromStaff, false},
		{"MSG-1 on for all: a practitioner starts", on, prac, ActStart, fromStaff, true},
		{"MSG-1 on for all: reception does not start (not a professional)", on, reception, ActStart, fromStaff, false},
		{"MSG-1 on for all: an administrator not linked to a practitioner does not start", on, admin, ActStart, fromStaff, false},
		{"MSG-1 on for all: an administrator linked to a practitioner starts", on, linkedAdmin, ActStart, fromStaff, true},
		{"MSG-1 selected: on the list, starts", listed, prac, ActStart, fromStaff, true},
		{"MSG-1 selected: off the list, does not", listed, Person{Staff: true, User: colleague, Role: clinic.RolePractitioner, Professional: true}, ActStart, fromStaff, false},
		{"MSG-1 switched off later: the professional who started it still answers", off, prac, ActAnswer, mine, true},
		{"MSG-1 switched off later: a colleague's conversation is not theirs", off, prac, ActAnswer, fromStaff, false},
		{"MSG-4 handed over here: the professional who started it elsewhere no longer answers", store.MessagingSettings{StaffStart: true}, prac, ActAnswer, movedMine, false},
		{"MSG-4 handed over here: the clinic's incoming professionals answer it", store.MessagingSettings{Incoming: true, AnswerList: []clinic.UserID{me}}, prac, ActAnswer, movedMine, true},
		{"MSG-2 off: a practitioner does not answer a patient's conversation", off, prac, ActAnswer, fromPatient, false},
		{"MSG-2 on for all: a practitioner answers", on, prac, ActAnswer, fromPatient, true},
		{"MSG-2 selected: off the answer list, does not answer", listed, prac, ActAnswer, fromPatient, false},
		{"MSG-2 selected: off the answer list, does not read either (MSG-6)", listed, prac, ActRead, fromPatient, false},
		{"MSG-2 selected: assigned to them, answers", listed, prac, ActAnswer, assigned, true},
		{"closed: nobody answers", on, prac, ActAnswer, closed, false},
		{"closed: the professional still reads", on, prac, ActRead, closed, true},
		{"closed: the professional reopens", on, prac, ActClose, closed, true},
		{"triage off: reception does not read", on, reception, ActRead, fromPatient, false},
		{"triage on: reception reads", withTriage(on), reception, ActRead, fromPatient, true},
		{"triage on: reception assigns", withTriage(on), reception, ActAssign, fromPatient, true},
		{"triage on: reception does not answer", withTriage(on), reception, ActAnswer, fromPatient, false},
		{"triage on: reception does not close", withTriage(on), reception, ActClose, fromPatient, false},
		{"triage on: reception does not hand over", withTriage(on), reception, ActHand, fromPatient, false},
		{"triage on: a practitioner off the list does not triage", withTriage(listed), prac, ActRead, fromPatient, false},
		{"triage on: a linked administrator off the list still triages", withTriage(listed), linkedAdmin, ActRead, fromPatient, true},
		{"triage on: a linked administrator off the list does not answer", withTriage(listed), linkedAdmin, ActAnswer, fromPatient, false},
		{"a token is no professional: it does not start", on, token, ActStart, fromStaff, false},
		{"a token is no professional: it does not answer", on, token, ActAnswer, fromPatient, false},
		{"a practitioner's token does not triage", withTriage(on), token, ActRead, fromPatient, false},
		{"MSG-2 and MSG-3: the patient starts", on, patient, ActStart, fromPatient, true},
		{"MSG-3 button off: the patient does not start", store.MessagingSettings{Incoming: true}, patient, ActStart, fromPatient, false},
		{"MSG-2 off: the patient does not start even with the button", store.MessagingSettings{PortalButton: true}, patient, ActStart, fromPatient, false},
		{"the patient does not start for someone else", on, patient, ActStart, someoneElses, false},
		{"the patient reads their own", off, patient, ActRead, fromStaff, true},
		{"the patient answers their own, open", off, patient, ActAnswer, fromStaff, true},
		{"the patient does not answer a closed one", on, patient, ActAnswer, closed, false},
		{"MSG-6 the patient does not read someone else's", on, patient, ActRead, someoneElses, false},
		{"the patient does not close", on, patient, ActClose, fromPatient, false},
		{"the patient does not assign", on, patient, ActAssign, fromPatient, false},
		{"the patient does not hand over", on, patient, ActHand, fromPatient, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if d := Decide(tt.s, tt.p, tt.act, tt.c); d.Allowed != tt.want {
				t.Errorf("allowed %v (%s), want %v", d.Allowed, d.Why, tt.want)
			}
		})
	}
}

// TestButtonShown is MSG-3: the portal's "New message" button only with incoming
// conversations on and the button active; no other switch matters.
func TestButtonShown(t *testing.T) {
	for n := range switchCombinations {
		s := settings(n, who{})
		want := s.Incoming && s.PortalButton
		if got := ButtonShown(s); got != want {
			t.Errorf("%s: shown %v, want %v", describe(s), got, want)
		}
	}
}

// TestAssignable: a conversation is given only to a professional who may answer the clinic's
// conversations (incoming or started by staff).
func TestAssignable(t *testing.T) {
	for _, w := range people() {
		if w.patient {
			continue
		}
		for n := range switchCombinations {
			s := settings(n, w)
			professional := w.role == clinic.RolePractitioner || w.linked
			want := professional && (s.Incoming && (s.IncomingAll || w.inAnswer) || s.StaffStart && (s.StaffStartAll || w.inStart))
			if got := Assignable(s, w.person()); got != want {
				t.Errorf("%v with %s: assignable %v, want %v", w, describe(s), got, want)
			}
		}
	}
}

// TestStaffPerson: a practitioner's account, and any account linked to a practitioner, is a
// professional; the other roles are not.
func TestStaffPerson(t *testing.T) {
	for _, role := range clinic.Roles() {
		for _, linked := range []bool{false, true} {
			u := clinic.User{ID: me, Role: role}
			if linked {
				u.PractitionerID = 5
			}
			p := StaffPerson(u)
			want := role == clinic.RolePractitioner || linked
			if !p.Staff || p.User != me || p.Role != role || p.Professional != want {
				t.Errorf("%s linked %v: %+v, want a staff person, professional %v", role, linked, p, want)
			}
		}
	}
}
