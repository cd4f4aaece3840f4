package messaging

import (
	"fmt"
	"slices"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/store"
)

// Person is who asks: a staff user (with role and whether they are a healthcare
// professional) or a patient acting for the patients they reach.
type Person struct {
	Staff bool
	User  clinic.UserID
	Role  clinic.Role
	// Professional: a healthcare professional (a practitioner's account, or a user linked to
	// a practitioner). Only professionals start or answer conversations (MSG-1, MSG-2).
	Professional bool
	// Patients are the records a patient acts for (themselves, minors and the people they
	// are guardian of); empty for staff.
	Patients []clinic.PatientID
}

// Act is what a person wants to do.
type Act string

// The acts the rules decide.
const (
	ActStart  Act = "start"  // start a conversation with a patient (staff) or the clinic (patient)
	ActAnswer Act = "answer" // write in an existing conversation
	ActRead   Act = "read"   // see a conversation and its attachments
	ActAssign Act = "assign" // give an incoming conversation to a professional (triage)
	ActClose  Act = "close"  // close or reopen
	ActHand   Act = "handover"
)

// Acts lists the acts, for the permission matrix's tests and pages.
func Acts() []Act { return []Act{ActStart, ActAnswer, ActRead, ActAssign, ActClose, ActHand} }

// Decision is a rule's answer, with the rule's reason in English for staff.
type Decision struct {
	Allowed bool
	Why     string
}

// Err is nil when d allows, else d's reason wrapping clinic.ErrForbidden.
func (d Decision) Err() error {
	if d.Allowed {
		return nil
	}
	return fmt.Errorf("%s: %w", d.Why, clinic.ErrForbidden)
}

func yes(why string) Decision { return Decision{true, why} }
func no(why string) Decision  { return Decision{false, why} }

// mayStart is MSG-1 for a staff user.
func mayStart(s store.MessagingSettings, p Person) Decision {
	switch {
	case !s.StaffStart:
		return no("this clinic does not let professionals start conversations (MSG-1)")
	case !p.Professional:
		return no("only healthcare professionals start conversations (MSG-1)")
	case !s.StaffStartAll && !slices.Contains(s.StartList, p.User):
		return no("this professional is not on the clinic's list of those who may start conversations (MSG-1)")
	}
	return yes("MSG-1")
}

// mayAnswerIncoming is MSG-2 for a staff user.
func mayAnswerIncoming(s store.MessagingSettings, p Person) Decision {
	switch {
	case !s.Incoming:
		return no("this clinic does not take conversations from patients or other clinics (MSG-2)")
	case !p.Professional:
		return no("only healthcare professionals answer conversations (MSG-2)")
	case !s.IncomingAll && !slices.Contains(s.AnswerList, p.User):
		return no("this professional is not on the clinic's list of those who answer (MSG-2)")
	}
	return yes("MSG-2")
}

// triage reports whether a staff user may read and assign the clinic's conversations
// without answering them: reception, appointment managers and administrators (by role, so
// that an administrator linked to a practitioner keeps it), when the clinic allows triage.
// Practitioners (and practitioners' API tokens) do not triage: they answer, by the lists.
func triage(s store.MessagingSettings, p Person) bool {
	return s.ReceptionTriage && p.Staff && p.Role != clinic.RolePractitioner
}

// Decide answers whether p may do act on conversation c of the clinic whose settings are s
// (for ActStart c is the conversation about to be made: its ClinicID, PatientID and
// StartedBy). It is pure: the use cases load the settings and the person, and the
// permission matrix's table test covers every combination.
func Decide(s store.MessagingSettings, p Person, act Act, c store.Conversation) Decision {
	if !p.Staff {
		return decidePatient(s, p, act, c)
	}
	// A conversation's own professional side: who may answer it, by who started it. One
	// handed over from another clinic is that clinic's incoming conversation (MSG-2, MSG-4),
	// whoever started it where it came from.
	//
	// The on/off switches decide who starts new conversations only: once a conversation
	// exists, the lists decide who follows it, so a clinic that stops taking conversations
	// keeps the ones it has (their professionals still read and answer them).
	var answer Decision
	switch {
	case c.StartedBy == store.ByStaff && c.FromClinicID == 0:
		answer = mayStart(store.MessagingSettings{StaffStart: true, StaffStartAll: s.StaffStartAll, StartList: s.StartList}, p)
		if !answer.Allowed && c.StartedByUser == p.User && p.Professional {
			answer = yes("the professional who started it")
		}
	default:
		answer = mayAnswerIncoming(store.MessagingSettings{Incoming: true, IncomingAll: s.IncomingAll, AnswerList: s.AnswerList}, p)
	}
	if !answer.Allowed && c.AssignedUserID != 0 && c.AssignedUserID == p.User && p.Professional {
		answer = yes("the professional it is assigned to")
	}
	switch act {
	case ActStart:
		return mayStart(s, p)
	case ActAnswer:
		if c.State == store.ConversationClosed {
			return no("the conversation is closed: reopen it to write")
		}
		return answer
	case ActRead:
		if answer.Allowed {
			return answer
		}
		if triage(s, p) {
			return yes("reception triage")
		}
		return no("only the conversation's professionals, and reception when the clinic allows triage, read it (MSG-6)")
	case ActAssign:
		if triage(s, p) || answer.Allowed {
			return yes("triage")
		}
		return no("only the conversation's professionals, and reception when the clinic allows triage, assign it")
	case ActClose, ActHand:
		return answer
	}
	return no("unknown act")
}

// decidePatient is Decide for a patient: they start a conversation with the clinic only
// when it takes incoming conversations and its portal button is on (MSG-2, MSG-3), and
// read and answer only their own (or those of the people they act for).
func decidePatient(s store.MessagingSettings, p Person, act Act, c store.Conversation) Decision {
	if !slices.Contains(p.Patients, c.PatientID) {
		return no("not a conversation of this patient (MSG-6)")
	}
	switch act {
	case ActStart:
		if !s.Incoming || !s.PortalButton {
			return no("this clinic does not take messages from patients (MSG-2, MSG-3)")
		}
		return yes("MSG-2")
	case ActRead:
		return yes("the conversation's patient")
	case ActAnswer:
		if c.State == store.ConversationClosed {
			return no("the conversation is closed")
		}
		return yes("the conversation's patient")
	}
	return no("patients do not " + string(act) + " conversations")
}

// readsAll reports whether staff person p reads every conversation of the clinic whose
// settings are s, whoever started it and whoever it is assigned to (Decide's ActRead for
// all of them): the unread counts then count the clinic at once rather than asking of each
// conversation (UnreadOf). TestReadsAll holds it to Decide over the permission matrix.
func readsAll(s store.MessagingSettings, p Person) bool {
	if !p.Staff {
		return false
	}
	if triage(s, p) {
		return true
	}
	// Both professional sides of Decide: those who may start (staff-started conversations)
	// and those who answer incoming ones, whatever the on/off switches.
	return mayStart(store.MessagingSettings{StaffStart: true, StaffStartAll: s.StaffStartAll, StartList: s.StartList}, p).Allowed &&
		mayAnswerIncoming(store.MessagingSettings{Incoming: true, IncomingAll: s.IncomingAll, AnswerList: s.AnswerList}, p).Allowed
}

// readsNone reports whether staff person p reads none of the conversations of the clinic
// whose settings are s: not a professional (who answer by the lists, or as assignees), and
// no triage. False for a patient, who reads their own. TestReadsAll holds it to Decide too.
func readsNone(s store.MessagingSettings, p Person) bool {
	return p.Staff && !p.Professional && !triage(s, p)
}

// ButtonShown is MSG-3: the portal's "New message" button shows only when the clinic takes
// incoming conversations and the button is active.
func ButtonShown(s store.MessagingSettings) bool { return s.Incoming && s.PortalButton }

// Assignable reports whether user u (a professional) may be given an incoming conversation
// of the clinic: they must be able to answer it.
func Assignable(s store.MessagingSettings, u Person) bool {
	return mayAnswerIncoming(s, u).Allowed || mayStart(s, u).Allowed
}

// StaffPerson is a staff user as the rules see them: a healthcare professional when the
// account is a practitioner's or is linked to a practitioner (MSG-1, MSG-2).
func StaffPerson(u clinic.User) Person {
	return Person{Staff: true, User: u.ID, Role: u.Role, Professional: u.Role == clinic.RolePractitioner || u.PractitionerID != 0}
}
