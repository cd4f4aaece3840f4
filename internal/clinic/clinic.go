// Package clinic is the domain vocabulary of Tidings: the nouns of the SPEC glossary
// (organisations, clinics, clinical databases, practitioners, agendas, reasons, patients,
// appointments, staff), their typed identifiers, their invariants and the error values every
// other package speaks.
//
// It imports the standard library only, so that the pure engines (consent, availability), the
// store and the web layers can all depend on it without depending on each other.
package clinic

import (
	"time"
)

// Typed identifiers stop an agenda ID from being passed where a patient ID is expected; the
// compiler catches what a review would miss.
type (
	// OrgID identifies an organisation, the tenant boundary (ADM-3).
	OrgID int64
	// ClinicID identifies one location of an organisation.
	ClinicID int64
	// DatabaseID identifies one clinical database Tidings syncs from.
	DatabaseID int64
	// PractitionerID identifies a healthcare professional.
	PractitionerID int64
	// AgendaID identifies a bookable calendar.
	AgendaID int64
	// ReasonID identifies a consultation reason.
	ReasonID int64
	// PatientID identifies a patient record of one clinical database.
	PatientID int64
	// AppointmentID identifies an appointment.
	AppointmentID int64
	// UserID identifies a staff account.
	UserID int64
	// TokenID identifies an API token.
	TokenID int64
)

// Organisation is a tenant: it owns clinics, staff and settings, and no data crosses it.
type Organisation struct {
	ID        OrgID
	Slug      string
	Name      string
	Zone      string // IANA zone: the default for its clinics; "UTC" when created without one
	CreatedAt time.Time
}

// DatabaseKind says how Tidings reaches a clinical database.
type DatabaseKind string

// The kinds of clinical database (SPEC glossary).
const (
	KindBuiltin DatabaseKind = "builtin"
	KindFHIR    DatabaseKind = "fhir"
	KindHL7v2   DatabaseKind = "hl7v2"
	KindCSV     DatabaseKind = "csv"
)

// DatabaseKinds lists the valid kinds, in display order.
func DatabaseKinds() []DatabaseKind { return []DatabaseKind{KindBuiltin, KindFHIR, KindHL7v2, KindCSV} }

// Valid reports whether k is a known kind.
func (k DatabaseKind) Valid() bool {
	for _, v := range DatabaseKinds() {
		if v == k {
			return true
		}
	}
	return false
}

// SoftwareProfile names the clinical software behind a database; it decides capabilities such
// as whether the PMS opt-out flag can be read (CON-4) and the result mappings (RES-1).
type SoftwareProfile string

// Known software profiles.
const (
	ProfileGeneric         SoftwareProfile = "generic"
	ProfileBestPractice    SoftwareProfile = "best_practice"
	ProfileMedicalDirector SoftwareProfile = "medical_director"
	ProfileZedmed          SoftwareProfile = "zedmed"
	ProfileOptomate        SoftwareProfile = "optomate"
)

// SoftwareProfiles lists the valid profiles, in display order.
func SoftwareProfiles() []SoftwareProfile {
	return []SoftwareProfile{ProfileGeneric, ProfileBestPractice, ProfileMedicalDirector, ProfileZedmed, ProfileOptomate}
}

// Valid reports whether p is a known profile.
func (p SoftwareProfile) Valid() bool {
	for _, v := range SoftwareProfiles() {
		if v == p {
			return true
		}
	}
	return false
}

// CanReadOptOut reports whether the PMS opt-out flag of this software can be read. Best
// Practice (Indigo SP1 on) no longer exposes it, so consent is managed in Tidings only (CON-4).
func (p SoftwareProfile) CanReadOptOut() bool { return p != ProfileBestPractice }

// Database is one install of clinical software that Tidings syncs from; several clinics may
// share one (CON-2).
type Database struct {
	ID            DatabaseID
	OrgID         OrgID
	Name          string
	Kind          DatabaseKind
	Profile       SoftwareProfile
	RespectOptOut bool // CON-1, default true
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// Clinic is one location with its own zone, address and settings.
type Clinic struct {
	ID         ClinicID
	OrgID      OrgID
	DatabaseID DatabaseID
	Slug       string
	Name       string
	Zone       string // IANA zone name, e.g. Australia/Sydney
	Region     string // ISO 3166 region used to read local phone numbers, e.g. AU
	Address    string
	Rules      BookingRules
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Location loads the clinic's zone. Zones are validated on write, so an error here means
// the zone database of the binary is broken.
func (c Clinic) Location() (*time.Location, error) { return time.LoadLocation(c.Zone) }

// Practitioner is a healthcare professional of the organisation.
type Practitioner struct {
	ID        PractitionerID
	OrgID     OrgID
	Name      string
	Title     string // e.g. "General practitioner"
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Agenda is a bookable calendar at a clinic: a practitioner's or a room's.
type Agenda struct {
	ID             AgendaID
	OrgID          OrgID
	ClinicID       ClinicID
	PractitionerID *PractitionerID // nil for a room
	Name           string
	Active         bool
	// AvailabilityVersion changes whenever anything that decides the agenda's free slots
	// changes, so cached availability can be checked with one read.
	AvailabilityVersion int64
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// Reason is a consultation reason / appointment type.
type Reason struct {
	ID             ReasonID
	OrgID          OrgID
	ClinicID       ClinicID
	Name           string
	Duration       time.Duration
	BufferAfter    time.Duration // kept free after an appointment of this reason
	Notifications  bool          // CON-6
	OnlineBookable bool
	// OnlineFor says which patients may book it online (POR-1): everyone, only patients
	// the clinic has seen before, or only new ones.
	OnlineFor OnlineFor
	AgendaIDs []AgendaID // agendas that offer this reason
	CreatedAt time.Time
	UpdatedAt time.Time
}

// OnlineFor is who may book a reason online.
type OnlineFor string

// Who may book a reason online.
const (
	OnlineForAll      OnlineFor = "all"      // every patient with a portal account
	OnlineForExisting OnlineFor = "existing" // patients who have been seen at the clinic
	OnlineForNew      OnlineFor = "new"      // patients never seen at the clinic yet
)

// Valid reports whether o is one of the OnlineFor values.
func (o OnlineFor) Valid() bool {
	return o == OnlineForAll || o == OnlineForExisting || o == OnlineForNew
}

// Relationship qualifies a link between two patients.
type Relationship string

// Relationships between patients; each link is stored from both sides.
const (
	RelParent   Relationship = "parent"
	RelChild    Relationship = "child"
	RelSpouse   Relationship = "spouse"
	RelGuardian Relationship = "guardian"
	RelOther    Relationship = "other"
)

// Valid reports whether r is a known relationship.
func (r Relationship) Valid() bool {
	switch r {
	case RelParent, RelChild, RelSpouse, RelGuardian, RelOther:
		return true
	}
	return false
}

// Inverse is the relationship seen from the other patient.
func (r Relationship) Inverse() Relationship {
	switch r {
	case RelParent:
		return RelChild
	case RelChild:
		return RelParent
	case RelGuardian:
		return RelOther
	}
	return r
}

// Patient is a record of one clinical database.
type Patient struct {
	ID         PatientID
	OrgID      OrgID
	DatabaseID DatabaseID
	ExternalID string // the PMS's identifier; empty for patients created in Tidings
	GivenName  string
	FamilyName string
	BirthDate  string // civil date YYYY-MM-DD, no zone
	Mobile     string // E.164 or empty
	Email      string // or empty
	Language   string // BCP 47 primary tag: en, fr
	PMSOptOut  bool   // as read from the PMS (CON-1)
	// PMSOptOutReadAt is when PMSOptOut was last read from the clinical software (or set
	// through the API or an import); nil when never.
	PMSOptOutReadAt *time.Time
	// NotificationsOff is the patient switch (CON-7): staff turned this patient's
	// appointment notifications off; online bookings are still notified (CON-8).
	NotificationsOff bool
	// EmailBounce says why e-mail to Email failed for good (an SMTP 5xx or a bounce report,
	// NOT-6); empty when it did not. Later e-mails skip the address with this reason until
	// the address is changed, which clears it.
	EmailBounce string
	// Version is bumped on every change of the record: the compare-and-swap token of a form
	// shown at one version.
	Version int64
	// MergedInto is the record this one was merged into (a duplicate of a builtin
	// database), 0 when it was not: a merged record stays, so links to it still resolve.
	MergedInto PatientID
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// FullName is the name staff see.
func (p Patient) FullName() string { return p.GivenName + " " + p.FamilyName }

// Relative links a patient to another patient of the same database.
type Relative struct {
	Patient      Patient
	Relationship Relationship // what Patient is to the subject
}

// Status is an appointment's state (SPEC glossary).
type Status string

// Appointment statuses.
const (
	StatusBooked         Status = "booked"
	StatusConfirmed      Status = "confirmed"
	StatusArrived        Status = "arrived"
	StatusSeen           Status = "seen"
	StatusNoShow         Status = "no_show"
	StatusExcusedAbsence Status = "excused_absence"
	StatusCancelled      Status = "cancelled"
)

// StatusReason is the field error for a status that is not one of Statuses.
const StatusReason = "must be one of booked, confirmed, arrived, seen, no_show, excused_absence, cancelled"

// Statuses lists every status in the order of an appointment's life.
func Statuses() []Status {
	return []Status{StatusBooked, StatusConfirmed, StatusArrived, StatusSeen, StatusNoShow, StatusExcusedAbsence, StatusCancelled}
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, v := range Statuses() {
		if v == s {
			return true
		}
	}
	return false
}

// Active reports whether an appointment in this status holds its slot. Cancelled and
// excused absences free it.
func (s Status) Active() bool { return s != StatusCancelled && s != StatusExcusedAbsence }

// Upcoming reports whether no status has been set yet, the condition for a reminder (NOT-3).
func (s Status) Upcoming() bool { return s == StatusBooked || s == StatusConfirmed }

// BookedBy says who made an appointment; CON-8 treats patients' own bookings differently.
type BookedBy string

// Who booked.
const (
	BookedByStaff   BookedBy = "staff"
	BookedByPatient BookedBy = "patient_online"
	BookedBySync    BookedBy = "sync"
)

// Valid reports whether b is known.
func (b BookedBy) Valid() bool {
	return b == BookedByStaff || b == BookedByPatient || b == BookedBySync
}

// Appointment is a patient's booking on an agenda for a reason.
type Appointment struct {
	ID         AppointmentID
	OrgID      OrgID
	ClinicID   ClinicID
	AgendaID   AgendaID
	ReasonID   ReasonID
	PatientID  PatientID
	ExternalID string
	Start      time.Time // UTC
	End        time.Time // UTC
	Status     Status
	BookedBy   BookedBy
	Note       string
	Version    int64 // bumped on every change; compare-and-swap token
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// BookingRules are a clinic's online-booking settings (POR-2).
type BookingRules struct {
	HorizonDays        int           // how far ahead slots are offered, in days including today
	MinNotice          time.Duration // minimum notice to book
	CancelNotice       time.Duration // minimum notice to cancel or reschedule online
	GridMinutes        int           // start times on the hour's 15/30/60; 0: the reason's own grid
	AllowNoPreference  bool          // "No preference" of practitioner
	AllowOnlineChanges bool          // patients may cancel or reschedule online
}

// DefaultBookingRules are a new clinic's settings.
func DefaultBookingRules() BookingRules {
	return BookingRules{HorizonDays: 90, MinNotice: 2 * time.Hour, CancelNotice: 24 * time.Hour, GridMinutes: 15,
		AllowNoPreference: true, AllowOnlineChanges: true}
}

// WorkingHours is one working interval of an agenda on a weekday, in minutes after local
// midnight: several per day are allowed (08:00–12:30 and 13:30–18:00).
type WorkingHours struct {
	Weekday    time.Weekday
	Start, End int
}

// ScheduleException changes one date of an agenda: Closed removes the weekly hours of the
// day; Start/End (when End > 0) adds hours that day. Both together replace the day's hours.
type ScheduleException struct {
	ID       int64
	AgendaID AgendaID
	Day      string // YYYY-MM-DD in the clinic's zone
	Closed   bool
	Start    int
	End      int
	Note     string
}

// Absence is a time a practitioner is away; all their agendas are closed then.
type Absence struct {
	ID             int64
	PractitionerID PractitionerID
	Start, End     time.Time
	Note           string
	CreatedAt      time.Time
}
