package clinic

import (
	"fmt"
	"time"
)

// User is a staff account. E-mail addresses are unique across the installation so that a
// sign-in needs no organisation picker.
type User struct {
	ID           UserID
	OrgID        OrgID
	Email        string
	Name         string
	Role         Role
	PasswordHash string
	CreatedAt    time.Time
	DisabledAt   *time.Time
	// Locale is the language the user chose for the dashboard ("en", "fr"); "" follows
	// the browser, then the clinic.
	Locale string
	// PractitionerID is the practitioner a practitioner's account is (their "My day" lists
	// that practitioner's appointments); 0 when the account is linked to none. At most one
	// account per practitioner.
	PractitionerID PractitionerID
	// TemporaryPassword: the password was made by an administrator (a new account, a
	// reset) and shown to them once; the user is asked to choose their own.
	TemporaryPassword bool
	// LastSignInAt is when the account last signed in; nil before its first sign-in.
	LastSignInAt *time.Time
}

// Token is an API token; only its hash is stored.
type Token struct {
	ID         TokenID
	OrgID      OrgID
	Name       string
	Role       Role
	CreatedAt  time.Time
	LastUsedAt *time.Time
	RevokedAt  *time.Time
}

// ActorKind says what sort of principal acts: audit rows record it, and use cases decide
// what each kind may do (a patient only ever reaches their own records and those of the
// relatives they manage; the system acts for jobs, sync and webhooks).
type ActorKind string

// The kinds of principal.
const (
	ActorStaff   ActorKind = "staff"   // a signed-in staff user
	ActorToken   ActorKind = "token"   // an API token, acting with its role
	ActorPatient ActorKind = "patient" // a patient signed in to the portal
	ActorSystem  ActorKind = "system"  // a job, a sync worker, a webhook, the command line
)

// Actor is who performs a request or a job: a signed-in user, an API token, a patient or the
// system. Audit rows and permission checks read it; it travels by value so that a job or a
// sync worker can act without an HTTP request.
type Actor struct {
	Kind      ActorKind
	OrgID     OrgID
	Role      Role      // staff and tokens
	UserID    UserID    // staff only
	TokenID   TokenID   // tokens only
	PatientID PatientID // patients only: the account holder's own record
	// ListPatients lists the records a patient actor may reach: their own and those of the
	// relatives they manage. Empty for other kinds.
	Patients []PatientID
	Label    string // "user:12", "token:3", "patient:9", "system:sync": safe for logs
	// PractitionerID is the practitioner record a staff user is linked to (0: none), read
	// with the user when Linked (StaffActor): a use case that decides by it (secure
	// messaging's "healthcare professional") need not read the user again.
	PractitionerID PractitionerID
	Linked         bool
}

// StaffActor is the principal of a signed-in staff user.
func StaffActor(u User) Actor {
	return Actor{Kind: ActorStaff, OrgID: u.OrgID, Role: u.Role, UserID: u.ID, Label: fmt.Sprintf("user:%d", u.ID),
		PractitionerID: u.PractitionerID, Linked: true}
}

// TokenActor is the principal of an API token.
func TokenActor(t Token) Actor {
	return Actor{Kind: ActorToken, OrgID: t.OrgID, Role: t.Role, TokenID: t.ID, Label: fmt.Sprintf("token:%d", t.ID)}
}

// PatientActor is the principal of a patient signed in to the portal, who may reach their
// own record and those of the relatives they manage.
func PatientActor(org OrgID, self PatientID, relatives ...PatientID) Actor {
	return Actor{Kind: ActorPatient, OrgID: org, PatientID: self, Patients: append([]PatientID{self}, relatives...),
		Label: fmt.Sprintf("patient:%d", self)}
}

// SystemActor is the principal of background work in org: name says which ("sync",
// "job:session_expiry", "cli"). It holds every staff permission: the system acts on the
// clinic's behalf, and the rules that bind it are the use cases' own.
func SystemActor(org OrgID, name string) Actor {
	return Actor{Kind: ActorSystem, OrgID: org, Label: "system:" + name}
}

// Can reports whether the actor holds permission p: staff and tokens by their role, the
// system always, patients never (their access is decided per record by the use cases).
func (a Actor) Can(p Permission) bool {
	switch a.Kind {
	case ActorSystem:
		return true
	case ActorPatient:
		return false
	}
	return a.Role.Can(p)
}

// Reaches reports whether the actor may see patient id at all. A patient reaches only their
// own records and their managed relatives'; use cases answer "not found" otherwise, so
// that another patient's record is not revealed to exist.
func (a Actor) Reaches(id PatientID) bool {
	if a.Kind != ActorPatient {
		return true
	}
	for _, p := range a.Patients {
		if p == id {
			return true
		}
	}
	return false
}
