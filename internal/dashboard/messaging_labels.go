package dashboard

import (
	"strconv"
	"strings"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/messaging"
	"github.com/tidings-health/tidings/internal/store"
)

// Secure messaging's words and small helpers (MSG-1..MSG-6). Labels are English catalog
// keys, translated by the templates; TestMessagingLabels checks the French catalog has each.

// clinicIDs are the ids of cls: the clinics a user can switch to, whose conversations the
// badge counts and the stream of events follows.
func clinicIDs(cls []clinic.Clinic) []clinic.ClinicID {
	out := make([]clinic.ClinicID, len(cls))
	for i, c := range cls {
		out[i] = c.ID
	}
	return out
}

// staffReader is how read state names a staff user (messaging.Reader: "user:7").
func staffReader(id clinic.UserID) string {
	return messaging.Reader(clinic.Actor{Kind: clinic.ActorStaff, UserID: id})
}

// userName names a staff user: their name, else their e-mail address.
func userName(u clinic.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Email
}

// patientReadUpTo is the last message the patient's side of a conversation read: the
// patient, or a person acting for them ("patient:3" of View.Reads); 0 when none read.
func patientReadUpTo(reads map[string]int64) int64 {
	var n int64
	for who, upTo := range reads {
		if strings.HasPrefix(who, "patient:") && upTo > n {
			n = upTo
		}
	}
	return n
}

// boxes are the staff inbox's tabs, in order.
func boxes() []messaging.Box {
	return []messaging.Box{messaging.BoxUnassigned, messaging.BoxMine, messaging.BoxAll}
}

func boxLabel(b messaging.Box) string {
	switch b {
	case messaging.BoxUnassigned:
		return "Unassigned"
	case messaging.BoxMine:
		return "Mine"
	case messaging.BoxAll:
		return "All"
	}
	return string(b)
}

func conversationStateLabel(s string) string {
	switch s {
	case store.ConversationOpen:
		return "Conversation open"
	case store.ConversationClosed:
		return "Conversation closed"
	}
	return s
}

// startedByLabel says who started a conversation.
func startedByLabel(by string) string {
	switch by {
	case store.ByStaff:
		return "Started by the clinic"
	case store.ByPatient:
		return "Started by the patient"
	case store.ByClinic:
		return "Handed over by another clinic"
	}
	return by
}

// sizeLabel writes an attachment's size as a catalog key and its number: "{0} KB", "{0} MB".
func sizeLabel(n int64) (string, string) {
	switch {
	case n < 1024:
		return "{0} bytes", strconv.FormatInt(n, 10)
	case n < 1<<20:
		return "{0} KB", strconv.FormatInt((n+1023)/1024, 10)
	}
	return "{0} MB", strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64)
}

// whyNotStart names, in the rules' own words (catalog keys), why a user may not start a
// conversation at a clinic (MSG-1); "" when they may.
func whyNotStart(set store.MessagingSettings, u clinic.User) string {
	if u.ID == 0 {
		return "only healthcare professionals start conversations (MSG-1)"
	}
	d := messaging.Decide(set, messaging.StaffPerson(u), messaging.ActStart, store.Conversation{ClinicID: set.ClinicID})
	if d.Allowed {
		return ""
	}
	return d.Why
}

// messagingReasons are the rules' refusals a page may show (whyNotStart), for the French
// catalog's test.
func messagingReasons() []string {
	return []string{"this clinic does not let professionals start conversations (MSG-1)",
		"only healthcare professionals start conversations (MSG-1)",
		"this professional is not on the clinic's list of those who may start conversations (MSG-1)"}
}
