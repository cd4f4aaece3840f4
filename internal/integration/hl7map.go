package integration

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidings-health/tidings/internal/clinic"
	"github.com/tidings-health/tidings/internal/hl7"
)

// Limits on what one message may carry. Real messages stay far below them; a message over
// one is refused naming the field rather than truncated, since a cut name or identifier
// would be a wrong one. Lengths are in characters, counted after cleaning (see
// docs/hl7-mapping.md); a value too long is refused with ERR code 102 (a value longer than
// its type allows is a data type error in HL7), too many segments with 207 (the limit is
// Tidings', not the standard's).
const (
	MaxNameLength     = 100  // a given or family name, a practitioner's name, a relationship
	MaxIDLength       = 100  // an external identifier (PID-3, MRG-1, SCH-1/2, OBR-2/3, …)
	MaxTestLength     = 200  // a test's name (OBR-4)
	MaxCommentsLength = 2000 // a result's comments, or an appointment's note, all NTEs joined
	MaxResultGroups   = 50   // OBR groups in one ORU^R01
	MaxRelatives      = 20   // NK1 segments in one ADT message

	maxPhoneLength = 50
	maxEmailLength = 254 // RFC 5321's path limit
	maxCodeLength  = 100 // a coded value: reason code, action, category
	maxTextLength  = 200 // a coded value's text
	maxDuration    = 7 * 24 * time.Hour
)

// MapError says why a message that parsed and validated cannot be applied, and where:
// enough for the caller to answer with an ERR segment (it implements hl7.Detailer) and to
// keep the message for review. Reason is plain English naming fields, never their values,
// since it is logged and sent back to the sender in MSA-3.
type MapError struct {
	Code       hl7.ErrorCode // ERR-3
	Segment    string        // ERR-2.1, e.g. "PID"; "" when about the message as a whole
	Occurrence int           // ERR-2.2, which segment of that name (0 reads as 1)
	Field      int           // ERR-2.3; 0 when about the whole segment
	Component  int           // ERR-2.5; 0 when about the whole field
	Reason     string        // e.g. "PID-7 date of birth is not a valid date"
}

// Error returns Reason: it is already safe to show and to send.
func (e *MapError) Error() string { return e.Reason }

// ErrDetail implements hl7.Detailer, so hl7.WithCause puts the location and code in the ERR
// segment without the caller translating.
func (e *MapError) ErrDetail() hl7.ErrDetail {
	occ := e.Occurrence
	if occ == 0 && e.Segment != "" {
		occ = 1
	}
	return hl7.ErrDetail{Segment: e.Segment, Occurrence: occ, Field: e.Field, Component: e.Component, Code: e.Code, Severity: "E"}
}

// Mapped is what one HL7 message says, in Tidings' terms. Exactly one of Patient, Merge,
// Appointment and Results is set, chosen by the message type.
type Mapped struct {
	Type      hl7.MessageType // MSH-9
	ControlID string          // MSH-10
	// At is when the sender recorded the event — EVN-2 when present, else MSH-7 — in UTC:
	// the order updates of one record are applied in, whatever order they arrive in (SYN-4).
	At time.Time

	Patient     *PatientRecord     // ADT A01, A04, A05, A08, A28, A31
	Merge       *MergeRecord       // ADT A40
	Appointment *AppointmentRecord // SIU S12, S13, S14, S15, S17, S26
	Results     []ResultRecord     // ORU R01: one per OBR group, in message order
	Recall      *RecallRecord      // FHIR CommunicationRequest or Task, CSV recalls (no HL7 message)

	// Bulk says the record comes from an import of what the clinic has already (a CSV file,
	// a FHIR server's first read): its appointments get reminders but no booking
	// confirmation.
	Bulk bool
}

// RecallRecord is a recall the clinical software recorded (RES-8): the patient should come
// back for a reason by a date. Sync stores it; the results and recalls issue sequences the
// messages, which stop when the patient books.
type RecallRecord struct {
	ExternalID        string       // the recall's id in the clinical software
	PatientExternalID string       // the patient's id in the same database
	Due               string       // civil date 2006-01-02 in the clinic's zone, when the patient is due
	Reason            string       // staff-facing ("Skin check"); never sent to the patient
	Doctor            Practitioner // who asked for it; zero when not sent
	// Status is active, completed or cancelled: a completed or cancelled recall stops its
	// sequence.
	Status string
}

// Recall statuses.
const (
	RecallActive    = "active"
	RecallCompleted = "completed"
	RecallCancelled = "cancelled"
)

// PatientRecord is a patient as the clinical software's PID, PD1 and NK1 segments describe
// them. A field the message leaves empty (or sends as the explicit null "") is "" here: ADT
// messages from practice software carry the whole record, so empty means empty.
type PatientRecord struct {
	ExternalID string // PID-3, chosen by type code: MR, then PI, then PT, then the first with a value
	GivenName  string // PID-5.2
	FamilyName string // PID-5.1
	BirthDate  string // PID-7 as 2006-01-02; "" when not sent
	Mobile     string // a cell phone (XTN-3 CP) of PID-13, else of PID-14, as sent: not yet E.164
	Email      string // XTN-4 of PID-13/PID-14
	Language   string // PID-15 as ISO 639-1 ("en"), or "" when not a code Tidings knows
	// OptOut is the PMS opt-out flag (CON-1): nil when the profile does not read it or the
	// message does not state it, meaning "leave as is".
	OptOut    *bool
	Relatives []Relative // NK1
	Deceased  bool       // PID-30 = Y
}

// Relative is a next of kin (NK1), kept so that messages about a child can reach a parent.
type Relative struct {
	FamilyName       string // NK1-2.1
	GivenName        string // NK1-2.2
	Relationship     string // NK1-3.1 code, e.g. "SPO", "MTH"
	RelationshipText string // NK1-3.2, e.g. "Spouse"
	Phone            string // a cell phone of NK1-5 or NK1-6, else the first number of either
	ExternalID       string // NK1-33 by the PID-3 rule, when the relative is a patient too
}

// MergeRecord says that two records of the clinical database are one patient (ADT^A40): the
// removed one's appointments, results and history move to the survivor.
type MergeRecord struct {
	SurvivorID string // PID-3
	RemovedID  string // MRG-1, by the same rule
}

// Practitioner is a doctor or other resource as the clinical software identifies them.
type Practitioner struct {
	ID   string
	Name string // given name then family name, as sent
}

// Coded is a coded value (CE/CWE) of which Tidings keeps the code and its text.
type Coded struct {
	Code string
	Text string
}

// Resource is who and where an appointment is with, to find the agenda it belongs to.
type Resource struct {
	Practitioner Practitioner // AIP-3, else AIG-3
	Location     string       // AIL-3: point of care, else room, else facility
}

// AppointmentRecord is an appointment as an SIU message describes it.
type AppointmentRecord struct {
	Event string // MSH-9.2: S12 new, S13 rescheduled, S14 modified, S15 cancelled, S17 deleted, S26 no-show
	// ExternalID is FillerID when there is one, else PlacerID: the clinical software's own
	// id once it has one. PlacerID is how Tidings recognises the echo of an appointment it
	// wrote back itself (SYN-5): it sent its own id as placer.
	ExternalID        string
	PlacerID          string // SCH-1.1
	FillerID          string // SCH-2.1
	PatientExternalID string // PID-3
	// Patient is the PID's patient, for feeds that send appointments without ADT messages;
	// its name may be empty.
	Patient PatientRecord
	Start   time.Time // UTC; zero only for S15, S17, S26 sent without times
	End     time.Time // UTC; zero when neither an end nor a duration was sent
	Status  clinic.Status
	// Skip says why Tidings should not book this appointment (a waitlist entry, a pending
	// request, a blocked slot); "" when it should. Such a message is accepted, not refused.
	Skip     string
	Resource Resource
	Reason   Coded  // SCH-7, else SCH-8, else AIS-3
	Note     string // NTEs after SCH; staff-facing, never logged
}

// SkipNotActioned is why a result in a filed category is not taken yet: no doctor has
// actioned it (RES-1). Sync keeps it, held, and takes it when an update actions it.
const SkipNotActioned = "not actioned"

// ResultState is how far the clinic got telling the patient about a result (RES-5): any of
// notified, given, discussed marks the patient done.
type ResultState string

// The result states of ZRA-4.
const (
	StateNone      ResultState = ""
	StateNotified  ResultState = "notified"  // ZRA-4 N
	StateGiven     ResultState = "given"     // ZRA-4 G
	StateDiscussed ResultState = "discussed" // ZRA-4 D
)

// ResultRecord is one result (an OBR group of an ORU^R01) with the doctor's action, and
// what the profile makes of it. Results are taken only once actioned (RES-1) and only in the
// profile's categories; the others come with Taken false and Skip saying why, so the
// caller can count them without refusing the message.
type ResultRecord struct {
	PatientExternalID string       // PID-3 of the PID the group follows
	ExternalID        string       // OBR-3.1 filler order number, else OBR-2.1 placer
	Test              string       // OBR-4 text, else alternate text, else code
	Performed         time.Time    // OBR-7, UTC; zero when not sent
	Category          string       // ZRA-6 filing category, else OBR-24
	Doctor            Practitioner // OBR-32, else OBR-16
	Action            string       // ZRA-1; "" when not actioned
	ActionedBy        Practitioner // ZRA-2
	ActionedAt        time.Time    // ZRA-3, UTC
	Comments          string       // NTEs after OBR and after ZRA, joined by newlines
	HasComments       bool         // ZRA-5 when sent, else whether Comments is non-empty
	State             ResultState  // ZRA-4
	Taken             bool
	Skip              string // why not taken; "" when taken
	Outcome           ActionOutcome
	Template          string // with OutcomeTemplate
}

// MapHL7 maps one parsed and validated message to Tidings' terms, using prof for the
// opt-out flag and results, and loc for times sent without an offset (the clinic's zone;
// nil is UTC). It refuses, with a *MapError, a message type Tidings does not handle and a
// message missing what its type needs (see docs/hl7-mapping.md for every rule); the
// returned Mapped then still has Type and ControlID, for the caller's logs. It is pure: no
// I/O, no clock.
func MapHL7(m *hl7.Message, prof Profile, loc *time.Location) (Mapped, error) {
	if m == nil || m.MSH() == nil {
		return Mapped{}, &MapError{Code: hl7.CodeSegmentSequenceError, Segment: "MSH", Reason: "no MSH segment"}
	}
	if loc == nil {
		loc = time.UTC
	}
	typ := m.Type()
	out := Mapped{Type: typ, ControlID: m.ControlID()}
	mp := &mapper{m: m, prof: prof, loc: loc, latin1: isLatin1(m.Get("MSH-18"))}
	k, err := classify(typ)
	if err != nil {
		return out, err
	}
	if out.At, err = mp.messageTime(); err != nil {
		return out, err
	}
	trigger := strings.ToUpper(strings.TrimSpace(typ.Trigger))
	switch k {
	case kindPatient:
		out.Patient, err = mp.patient()
	case kindMerge:
		out.Merge, err = mp.merge()
	case kindAppointment:
		out.Appointment, err = mp.appointment(trigger)
	case kindResults:
		out.Results, err = mp.results()
	}
	if err != nil {
		return Mapped{Type: out.Type, ControlID: out.ControlID}, err
	}
	return out, nil
}

type msgKind int

const (
	kindPatient msgKind = iota + 1
	kindMerge
	kindAppointment
	kindResults
)

// classify decides from MSH-9 what a message is, refusing with 200 an unknown message code and
// with 201 an unknown event of a known one.
func classify(t hl7.MessageType) (msgKind, error) {
	code := strings.ToUpper(strings.TrimSpace(t.Code))
	trigger := strings.ToUpper(strings.TrimSpace(t.Trigger))
	var k msgKind
	switch code {
	case "ADT":
		switch trigger {
		case "A01", "A04", "A05", "A08", "A28", "A31":
			k = kindPatient
		case "A40":
			k = kindMerge
		}
	case "SIU":
		switch trigger {
		case "S12", "S13", "S14", "S15", "S17", "S26":
			k = kindAppointment
		}
	case "ORU":
		if trigger == "R01" {
			k = kindResults
		}
	default:
		name := "this message type"
		if isToken(code) {
			name = code + " messages"
		}
		return 0, &MapError{Code: hl7.CodeUnsupportedMessageType, Segment: "MSH", Field: 9, Component: 1,
			Reason: "MSH-9.1 " + name + " are not handled by Tidings"}
	}
	if k == 0 {
		event := "this event"
		if isToken(trigger) {
			event = "event " + trigger
		}
		return 0, &MapError{Code: hl7.CodeUnsupportedEventCode, Segment: "MSH", Field: 9, Component: 2,
			Reason: "MSH-9.2 " + event + " of " + code + " messages is not handled by Tidings"}
	}
	return k, nil
}

// isToken: up to three capital letters or digits, safe to name in a reason.
func isToken(s string) bool {
	if s == "" || len(s) > 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// mapper carries what every rule reads, so that rules stay small functions.
type mapper struct {
	m      *hl7.Message
	prof   Profile
	loc    *time.Location
	latin1 bool // MSH-18 declares ISO 8859-1
}

// fieldRef names a field in reasons and errors, e.g. "PID-7", "OBR[2]-3", "SCH-11.4".
type fieldRef struct {
	seg       string
	occ       int
	field     int
	component int
}

func (p fieldRef) String() string {
	s := p.seg
	if p.occ > 1 {
		s += "[" + strconv.Itoa(p.occ) + "]"
	}
	if p.field > 0 {
		s += "-" + strconv.Itoa(p.field)
		if p.component > 0 {
			s += "." + strconv.Itoa(p.component)
		}
	}
	return s
}

func (p fieldRef) fail(code hl7.ErrorCode, what string) *MapError {
	return &MapError{Code: code, Segment: p.seg, Occurrence: p.occ, Field: p.field, Component: p.component,
		Reason: p.String() + " " + what}
}

func fieldAt(seg string, occ, field, component int) fieldRef {
	return fieldRef{seg, occ, field, component}
}

// isLatin1 reads MSH-18; any other declared set, or none, is read as UTF-8 (ASCII is a
// subset) with ISO 8859-1 as the fallback for bytes that are not UTF-8.
func isLatin1(charset string) bool {
	switch strings.ToUpper(strings.TrimSpace(charset)) {
	case "8859/1", "ISO-8859-1", "ISO8859-1", "ISO_8859-1", "LATIN1", "LATIN-1":
		return true
	}
	return false
}

// clean makes a value fit for one line of text: decoded to UTF-8 (ISO 8859-1 when MSH-18
// says so, or when the bytes are not UTF-8 — what senders that leave MSH-18 empty send in
// practice), control characters as spaces, surrounding spaces trimmed, and HL7's explicit
// null "" as empty.
func (mp *mapper) clean(s string) string {
	s = mp.utf8(s)
	if !isPlain(s) {
		s = strings.Map(func(r rune) rune {
			if isControl(r) {
				return ' '
			}
			return r
		}, s)
	}
	return trimNull(s)
}

// cleanText is clean for free text: line breaks kept as "\n", other control characters as
// spaces.
func (mp *mapper) cleanText(s string) string {
	s = strings.ReplaceAll(mp.utf8(s), "\r\n", "\n")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\r':
			return '\n'
		case isControl(r):
			return ' '
		}
		return r
	}, s)
	return trimNull(s)
}

// trimNull trims a value and reads HL7's explicit null "" as empty.
func trimNull(s string) string {
	s = strings.TrimSpace(s)
	if s == `""` {
		return ""
	}
	return s
}

func (mp *mapper) utf8(s string) string {
	if !mp.latin1 && utf8.ValidString(s) {
		return s
	}
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for i := 0; i < len(s); i++ {
		b.WriteRune(rune(s[i]))
	}
	return b.String()
}

func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c == 0xc2 {
			return false // 0xc2 starts U+0080–U+00BF, the C1 controls among them
		}
	}
	return true
}

func isControl(r rune) bool { return r < 0x20 || r >= 0x7f && r < 0xa0 }

// bounded checks a cleaned value's length, refusing with 102 naming the field.
func bounded(v string, max int, p fieldRef, what string) error {
	if utf8.RuneCountInString(v) > max {
		return p.fail(hl7.CodeDataTypeError, what+" is longer than "+strconv.Itoa(max)+" characters")
	}
	return nil
}

// value reads a cleaned, bounded single value.
func (mp *mapper) value(raw string, max int, p fieldRef, what string) (string, error) {
	v := mp.clean(raw)
	return v, bounded(v, max, p, what)
}

// messageTime is EVN-2 when the message has it, else MSH-7, in UTC. A value present but
// unreadable is refused rather than replaced, since the order of updates depends on it.
func (mp *mapper) messageTime() (time.Time, error) {
	if evn := mp.m.Segment("EVN"); evn != nil {
		if v := mp.clean(evn.Field(2).Value()); v != "" {
			t, _, err := hl7.ParseTime(v, mp.loc)
			if err != nil {
				return time.Time{}, fieldAt("EVN", 1, 2, 0).fail(hl7.CodeDataTypeError, "recorded date/time is not a valid HL7 date/time")
			}
			return t.UTC(), nil
		}
	}
	v := mp.clean(mp.m.MSH().Field(7).Value())
	if v == "" {
		return time.Time{}, fieldAt("MSH", 1, 7, 0).fail(hl7.CodeRequiredFieldMissing, "message date/time is missing")
	}
	t, _, err := hl7.ParseTime(v, mp.loc)
	if err != nil {
		return time.Time{}, fieldAt("MSH", 1, 7, 0).fail(hl7.CodeDataTypeError, "message date/time is not a valid HL7 date/time")
	}
	return t.UTC(), nil
}

// pickID chooses a record's identifier among a CX field's repetitions: the one typed MR
// (medical record number), else PI (patient internal id), else PT (patient external id),
// else the first with a value — the PMS's own record number before any national one; ""
// when none has a value.
func (mp *mapper) pickID(f hl7.Field) string {
	best, bestRank := "", 4
	for _, r := range f {
		v := mp.clean(r.Component(1))
		if v == "" {
			continue
		}
		rank := 3
		switch strings.ToUpper(strings.TrimSpace(r.Component(5))) {
		case "MR":
			rank = 0
		case "PI":
			rank = 1
		case "PT":
			rank = 2
		}
		if rank < bestRank {
			best, bestRank = v, rank
		}
	}
	return best
}

// requiredID reads an identifier field by pickID, refusing with 101 when it has none and
// with 102 when it is too long.
func (mp *mapper) requiredID(f hl7.Field, p fieldRef, what string) (string, error) {
	id := mp.pickID(f)
	if id == "" {
		return "", p.fail(hl7.CodeRequiredFieldMissing, what+" is missing")
	}
	return id, bounded(id, MaxIDLength, p, what)
}

// onlyPID returns the message's one PID, refusing none (100) and more than one (207: one
// patient per appointment or record is all Tidings applies).
func (mp *mapper) onlyPID() (*hl7.Segment, error) {
	pids := mp.m.Segments("PID")
	switch {
	case len(pids) == 0:
		return nil, fieldAt("PID", 0, 0, 0).fail(hl7.CodeSegmentSequenceError, "segment is missing")
	case len(pids) > 1:
		return nil, fieldAt("PID", 2, 0, 0).fail(hl7.CodeApplicationError, "segment repeats: one patient per message is supported")
	}
	return pids[0], nil
}

// readPID reads one PID (the occ-th) into a patient. Every PID is read whole, whatever the
// message, so that a bad date of birth is refused however it arrives. NK1 and PD1 are read
// by the callers that apply them.
func (mp *mapper) readPID(pid *hl7.Segment, occ int) (PatientRecord, error) {
	var p PatientRecord
	var err error
	if p.ExternalID, err = mp.requiredID(pid.Field(3), fieldAt("PID", occ, 3, 0), "patient identifier"); err != nil {
		return p, err
	}
	family, given := mp.name(pid.Field(5))
	if p.FamilyName, err = family, bounded(family, MaxNameLength, fieldAt("PID", occ, 5, 1), "family name"); err != nil {
		return p, err
	}
	if p.GivenName, err = given, bounded(given, MaxNameLength, fieldAt("PID", occ, 5, 2), "given name"); err != nil {
		return p, err
	}
	if dob := mp.clean(pid.Field(7).Value()); dob != "" {
		d, prec, err := hl7.ParseDate(dob)
		switch {
		case err != nil:
			return p, fieldAt("PID", occ, 7, 0).fail(hl7.CodeDataTypeError, "date of birth is not a valid date")
		case prec < hl7.PrecisionDay:
			return p, fieldAt("PID", occ, 7, 0).fail(hl7.CodeDataTypeError, "date of birth is not given to the day")
		}
		p.BirthDate = d.Format(time.DateOnly)
	}
	phones := []hl7.Field{pid.Field(13), pid.Field(14)}
	if p.Mobile, err = mp.value(mp.mobile(phones...), maxPhoneLength, fieldAt("PID", occ, 13, 0), "mobile number"); err != nil {
		return p, err
	}
	if p.Email, err = mp.value(mp.email(phones...), maxEmailLength, fieldAt("PID", occ, 13, 4), "e-mail address"); err != nil {
		return p, err
	}
	p.Language = isoLanguage(mp.clean(pid.Field(15).Component(1)))
	p.Deceased = strings.EqualFold(mp.clean(pid.Field(30).Value()), "Y")
	return p, nil
}

// name chooses among an XPN field's repetitions the legal name (XPN-7 L), else the first
// with a family or given name.
func (mp *mapper) name(f hl7.Field) (family, given string) {
	first := -1
	for i, r := range f {
		fam, giv := mp.clean(r.Sub(1, 1)), mp.clean(r.Component(2))
		if fam == "" && giv == "" {
			continue
		}
		if strings.EqualFold(strings.TrimSpace(r.Component(7)), "L") {
			return fam, giv
		}
		if first < 0 {
			first = i
		}
	}
	if first < 0 {
		return "", ""
	}
	return mp.clean(f[first].Sub(1, 1)), mp.clean(f[first].Component(2))
}

// xtn is the part of a telecom number (XTN) Tidings reads.
type xtn struct {
	use, equipment, number, email string
}

func (mp *mapper) readXTN(r hl7.Repetition) xtn {
	x := xtn{
		use:       strings.ToUpper(mp.clean(r.Component(2))),
		equipment: strings.ToUpper(mp.clean(r.Component(3))),
		email:     mp.clean(r.Component(4)),
	}
	switch {
	case mp.clean(r.Component(12)) != "":
		x.number = mp.clean(r.Component(12)) // unformatted
	case mp.clean(r.Component(7)) != "":
		var parts []string
		if cc := mp.clean(r.Component(5)); cc != "" {
			parts = append(parts, "+"+strings.TrimPrefix(cc, "+"))
		}
		for _, c := range []int{6, 7} {
			if v := mp.clean(r.Component(c)); v != "" {
				parts = append(parts, v)
			}
		}
		x.number = strings.Join(parts, " ")
	default:
		x.number = mp.clean(r.Component(1)) // formatted, deprecated but common before v2.5
	}
	if strings.Contains(x.number, "@") { // v2.3 senders put an address in XTN-1
		if x.email == "" {
			x.email = x.number
		}
		x.number = ""
	}
	return x
}

// mobile returns the first cell phone (XTN-3 CP) among the fields' repetitions, preferring
// the first field's home numbers (XTN-2 PRN, ORN or none) to its other uses; "" when none is
// marked a cell phone (a number is not guessed a mobile from its digits).
func (mp *mapper) mobile(fields ...hl7.Field) string {
	second := ""
	for fi, f := range fields {
		for _, r := range f {
			x := mp.readXTN(r)
			if x.equipment != "CP" || x.number == "" || x.use == "NET" {
				continue
			}
			if fi == 0 && (x.use == "PRN" || x.use == "ORN" || x.use == "") {
				return x.number
			}
			if second == "" {
				second = x.number
			}
		}
	}
	return second
}

// email returns the address of a repetition marked as one (XTN-2 NET or XTN-3 Internet or
// X.400), else the first XTN-4 that holds one.
func (mp *mapper) email(fields ...hl7.Field) string {
	fallback := ""
	for _, f := range fields {
		for _, r := range f {
			x := mp.readXTN(r)
			if x.email == "" || !strings.Contains(x.email, "@") {
				continue
			}
			if x.use == "NET" || x.equipment == "INTERNET" || x.equipment == "X.400" {
				return x.email
			}
			if fallback == "" {
				fallback = x.email
			}
		}
	}
	return fallback
}

// phone is a relative's number: a cell phone if any, else the first number sent.
func (mp *mapper) phone(fields ...hl7.Field) string {
	if m := mp.mobile(fields...); m != "" {
		return m
	}
	for _, f := range fields {
		for _, r := range f {
			if x := mp.readXTN(r); x.number != "" {
				return x.number
			}
		}
	}
	return ""
}

// optOut reads the PMS opt-out flag from PD1: PD1-12 protection indicator Y (opted out) or
// N; else PD1-11 publicity code N (no publicity) or F (family only) as opted out, Y as not;
// anything else (U unknown, O other, absent) as not stated.
func (mp *mapper) optOut(pd1 *hl7.Segment) *bool {
	yes, no := true, false
	switch strings.ToUpper(mp.clean(pd1.Field(12).Value())) {
	case "Y":
		return &yes
	case "N":
		return &no
	}
	switch strings.ToUpper(mp.clean(pd1.Field(11).Component(1))) {
	case "N", "F":
		return &yes
	case "Y":
		return &no
	}
	return nil
}

// patient maps ADT A01/A04/A05/A08/A28/A31. A01 and A05 (admit, pre-admit) are read like
// A04: their PID is the same, and a practice that sends them means "this patient exists";
// the visit (PV1) is not Tidings' business.
func (mp *mapper) patient() (*PatientRecord, error) {
	pid, err := mp.onlyPID()
	if err != nil {
		return nil, err
	}
	p, err := mp.readPID(pid, 1)
	if err != nil {
		return nil, err
	}
	if p.FamilyName == "" && p.GivenName == "" {
		return nil, fieldAt("PID", 1, 5, 0).fail(hl7.CodeRequiredFieldMissing, "patient name is missing")
	}
	if mp.prof.ReadsOptOut {
		if pd1 := mp.m.Segment("PD1"); pd1 != nil {
			p.OptOut = mp.optOut(pd1)
		}
	}
	for i, nk1 := range mp.m.Segments("NK1") {
		occ := i + 1
		if occ > MaxRelatives {
			return nil, fieldAt("NK1", occ, 0, 0).fail(hl7.CodeApplicationError,
				"is one more next of kin than the "+strconv.Itoa(MaxRelatives)+" Tidings keeps")
		}
		r, err := mp.relative(nk1, occ)
		if err != nil {
			return nil, err
		}
		if r != (Relative{}) {
			p.Relatives = append(p.Relatives, r)
		}
	}
	return &p, nil
}

func (mp *mapper) relative(nk1 *hl7.Segment, occ int) (Relative, error) {
	var r Relative
	var err error
	family, given := mp.name(nk1.Field(2))
	if r.FamilyName, err = family, bounded(family, MaxNameLength, fieldAt("NK1", occ, 2, 1), "family name"); err != nil {
		return r, err
	}
	if r.GivenName, err = given, bounded(given, MaxNameLength, fieldAt("NK1", occ, 2, 2), "given name"); err != nil {
		return r, err
	}
	if r.FamilyName == "" && r.GivenName == "" {
		return Relative{}, nil // an organisation or an empty NK1: nobody to write to
	}
	rel := nk1.Field(3)
	if r.Relationship, err = mp.value(rel.Component(1), maxCodeLength, fieldAt("NK1", occ, 3, 1), "relationship code"); err != nil {
		return r, err
	}
	if r.RelationshipText, err = mp.value(rel.Component(2), MaxNameLength, fieldAt("NK1", occ, 3, 2), "relationship"); err != nil {
		return r, err
	}
	phone := mp.phone(nk1.Field(5), nk1.Field(6))
	if r.Phone, err = mp.value(phone, maxPhoneLength, fieldAt("NK1", occ, 5, 0), "phone number"); err != nil {
		return r, err
	}
	id := mp.pickID(nk1.Field(33))
	if r.ExternalID, err = id, bounded(id, MaxIDLength, fieldAt("NK1", occ, 33, 0), "identifier"); err != nil {
		return r, err
	}
	return r, nil
}

// merge maps ADT^A40: one PID (the survivor) and one MRG (the record merged into it).
func (mp *mapper) merge() (*MergeRecord, error) {
	pid, err := mp.onlyPID()
	if err != nil {
		return nil, err
	}
	p, err := mp.readPID(pid, 1)
	if err != nil {
		return nil, err
	}
	mrgs := mp.m.Segments("MRG")
	switch {
	case len(mrgs) == 0:
		return nil, fieldAt("MRG", 0, 0, 0).fail(hl7.CodeSegmentSequenceError, "segment is missing")
	case len(mrgs) > 1:
		return nil, fieldAt("MRG", 2, 0, 0).fail(hl7.CodeApplicationError, "segment repeats: one merge per message is supported")
	}
	removed, err := mp.requiredID(mrgs[0].Field(1), fieldAt("MRG", 1, 1, 0), "prior patient identifier")
	if err != nil {
		return nil, err
	}
	if removed == p.ExternalID {
		return nil, fieldAt("MRG", 1, 1, 0).fail(hl7.CodeDataTypeError, "prior patient identifier is the same as PID-3")
	}
	return &MergeRecord{SurvivorID: p.ExternalID, RemovedID: removed}, nil
}

// appointment maps SIU S12–S15, S17, S26.
func (mp *mapper) appointment(trigger string) (*AppointmentRecord, error) {
	sch := mp.m.Segment("SCH")
	if sch == nil {
		return nil, fieldAt("SCH", 0, 0, 0).fail(hl7.CodeSegmentSequenceError, "segment is missing")
	}
	a := &AppointmentRecord{Event: trigger}
	var err error
	placer, filler := sch.Field(1).Component(1), sch.Field(2).Component(1)
	if a.PlacerID, err = mp.value(placer, MaxIDLength, fieldAt("SCH", 1, 1, 1), "placer appointment id"); err != nil {
		return nil, err
	}
	if a.FillerID, err = mp.value(filler, MaxIDLength, fieldAt("SCH", 1, 2, 1), "filler appointment id"); err != nil {
		return nil, err
	}
	a.ExternalID = a.FillerID
	if a.ExternalID == "" {
		a.ExternalID = a.PlacerID
	}
	if a.ExternalID == "" {
		return nil, fieldAt("SCH", 1, 2, 0).fail(hl7.CodeRequiredFieldMissing, "appointment id is missing (and SCH-1 too)")
	}
	if a.Status, a.Skip, err = mp.status(trigger, sch); err != nil {
		return nil, err
	}
	if a.Reason, err = mp.reason(sch); err != nil {
		return nil, err
	}
	if a.Start, a.End, err = mp.times(sch, trigger); err != nil {
		return nil, err
	}
	if a.Resource, err = mp.resource(); err != nil {
		return nil, err
	}
	if a.Note, err = mp.notesAfter("SCH"); err != nil {
		return nil, err
	}
	pid, err := mp.onlyPID()
	if err != nil {
		return nil, err
	}
	if a.Patient, err = mp.readPID(pid, 1); err != nil {
		return nil, err
	}
	if mp.prof.ReadsOptOut {
		if pd1 := mp.m.Segment("PD1"); pd1 != nil {
			a.Patient.OptOut = mp.optOut(pd1)
		}
	}
	a.PatientExternalID = a.Patient.ExternalID
	return a, nil
}

// status is the appointment's status: S15 and S17 cancel it, S26 marks a no-show, the others
// take SCH-25 (HL7 table 0278, plus Confirmed and Arrived, which practice software sends).
func (mp *mapper) status(trigger string, sch *hl7.Segment) (clinic.Status, string, error) {
	switch trigger {
	case "S15", "S17":
		return clinic.StatusCancelled, "", nil
	case "S26":
		return clinic.StatusNoShow, "", nil
	}
	switch code := strings.ToUpper(mp.clean(sch.Field(25).Component(1))); code {
	case "", "BOOKED", "OVERBOOK":
		return clinic.StatusBooked, "", nil
	case "CONFIRMED":
		return clinic.StatusConfirmed, "", nil
	case "ARRIVED", "STARTED":
		return clinic.StatusArrived, "", nil
	case "COMPLETE", "COMPLETED":
		return clinic.StatusSeen, "", nil
	case "NOSHOW", "NO-SHOW", "NO SHOW":
		return clinic.StatusNoShow, "", nil
	case "CANCELLED", "CANCELED", "DELETED", "DC":
		return clinic.StatusCancelled, "", nil
	case "PENDING", "WAITLIST", "BLOCKED":
		return "", "SCH-25 filler status " + strings.ToLower(code) + " is not a booked appointment", nil
	}
	return "", "", fieldAt("SCH", 1, 25, 1).fail(hl7.CodeTableValueNotFound, "filler status code is not one Tidings knows")
}

// reason is SCH-7 (appointment reason), else SCH-8 (appointment type), else AIS-3 (service).
func (mp *mapper) reason(sch *hl7.Segment) (Coded, error) {
	type source struct {
		f hl7.Field
		p fieldRef
	}
	sources := []source{{sch.Field(7), fieldAt("SCH", 1, 7, 0)}, {sch.Field(8), fieldAt("SCH", 1, 8, 0)}}
	if ais := mp.m.Segment("AIS"); ais != nil {
		sources = append(sources, source{ais.Field(3), fieldAt("AIS", 1, 3, 0)})
	}
	for _, s := range sources {
		code, text := mp.clean(s.f.Component(1)), mp.clean(s.f.Component(2))
		if code == "" && text == "" {
			continue
		}
		p := s.p
		p.component = 1
		if err := bounded(code, maxCodeLength, p, "code"); err != nil {
			return Coded{}, err
		}
		p.component = 2
		if err := bounded(text, maxTextLength, p, "text"); err != nil {
			return Coded{}, err
		}
		return Coded{Code: code, Text: text}, nil
	}
	return Coded{}, nil
}

// timeSource is one place an appointment's start can be read from, with the duration that
// goes with it.
type timeSource struct {
	seg                          string
	start, startComp, dur, units int
}

// times reads an appointment's start and end, in UTC. The start is the first of SCH-11.4,
// TQ1-7, AIS-4, AIG-8, AIL-6, AIP-6 that is sent; the end is SCH-11.5, else TQ1-8, else the
// start plus the duration of the start's segment, else plus SCH-9 (units SCH-10, minutes
// when empty). A value sent but unreadable is refused, never skipped for the next one.
func (mp *mapper) times(sch *hl7.Segment, trigger string) (start, end time.Time, err error) {
	sources := []timeSource{
		{seg: "SCH", start: 11, startComp: 4},
		{seg: "TQ1", start: 7, startComp: 1},
		{seg: "AIS", start: 4, startComp: 1, dur: 7, units: 8},
		{seg: "AIG", start: 8, startComp: 1, dur: 11, units: 12},
		{seg: "AIL", start: 6, startComp: 1, dur: 9, units: 10},
		{seg: "AIP", start: 6, startComp: 1, dur: 9, units: 10},
	}
	var from *hl7.Segment
	var src timeSource
	for _, s := range sources {
		seg := mp.m.Segment(s.seg)
		if seg == nil || mp.clean(seg.Field(s.start).Component(s.startComp)) == "" {
			continue
		}
		comp := 0
		if s.seg == "SCH" {
			comp = s.startComp
		}
		raw := seg.Field(s.start).Component(s.startComp)
		if start, err = mp.minuteTime(raw, fieldAt(s.seg, 1, s.start, comp), "appointment start"); err != nil {
			return
		}
		from, src = seg, s
		break
	}
	if from == nil {
		if trigger == "S15" || trigger == "S17" || trigger == "S26" {
			return time.Time{}, time.Time{}, nil
		}
		return start, end, fieldAt("SCH", 1, 11, 4).fail(hl7.CodeRequiredFieldMissing,
			"appointment start is missing (and TQ1-7, AIS-4, AIG-8, AIL-6, AIP-6 too)")
	}
	endPlace := fieldRef{}
	switch {
	case mp.clean(sch.Field(11).Component(5)) != "":
		endPlace = fieldAt("SCH", 1, 11, 5)
		end, err = mp.minuteTime(sch.Field(11).Component(5), endPlace, "appointment end")
	case mp.m.Segment("TQ1") != nil && mp.clean(mp.m.Segment("TQ1").Field(8).Value()) != "":
		endPlace = fieldAt("TQ1", 1, 8, 0)
		end, err = mp.minuteTime(mp.m.Segment("TQ1").Field(8).Value(), endPlace, "appointment end")
	case src.dur > 0 && mp.clean(from.Field(src.dur).Value()) != "":
		endPlace = fieldAt(src.seg, 1, src.dur, 0)
		var d time.Duration
		units := from.Field(src.units).Component(1)
		if d, err = mp.duration(from.Field(src.dur).Value(), units, endPlace, fieldAt(src.seg, 1, src.units, 0)); err == nil {
			end = start.Add(d)
		}
	case mp.clean(sch.Field(9).Value()) != "":
		endPlace = fieldAt("SCH", 1, 9, 0)
		var d time.Duration
		if d, err = mp.duration(sch.Field(9).Value(), sch.Field(10).Component(1), endPlace, fieldAt("SCH", 1, 10, 0)); err == nil {
			end = start.Add(d)
		}
	}
	if err != nil {
		return
	}
	if !end.IsZero() && end.Before(start) {
		return start, end, endPlace.fail(hl7.CodeDataTypeError, "appointment ends before it starts")
	}
	return start, end, nil
}

// minuteTime reads an appointment time: a DTM to the minute at least (a date alone is not a
// time to come), read in the clinic's zone unless it carries an offset, returned in UTC.
func (mp *mapper) minuteTime(raw string, p fieldRef, what string) (time.Time, error) {
	t, prec, err := hl7.ParseTime(mp.clean(raw), mp.loc)
	switch {
	case err != nil:
		return time.Time{}, p.fail(hl7.CodeDataTypeError, what+" is not a valid HL7 date/time")
	case prec < hl7.PrecisionMinute:
		return time.Time{}, p.fail(hl7.CodeDataTypeError, what+" is not given to the minute")
	}
	return t.UTC(), nil
}

// duration reads a whole number of units (minutes when units is empty), from 0 to a week.
func (mp *mapper) duration(raw, units string, p, up fieldRef) (time.Duration, error) {
	v := mp.clean(raw)
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || v[0] == '+' {
		return 0, p.fail(hl7.CodeDataTypeError, "duration is not a whole number")
	}
	var unit time.Duration
	switch strings.ToUpper(mp.clean(units)) {
	case "", "MIN", "MINS", "MINUTE", "MINUTES", "M":
		unit = time.Minute
	case "S", "SEC", "SECS", "SECOND", "SECONDS":
		unit = time.Second
	case "H", "HR", "HRS", "HOUR", "HOURS":
		unit = time.Hour
	case "D", "DAY", "DAYS":
		unit = 24 * time.Hour
	default:
		return 0, up.fail(hl7.CodeTableValueNotFound, "duration units are not minutes, seconds, hours or days")
	}
	if n > int(maxDuration/unit) {
		return 0, p.fail(hl7.CodeDataTypeError, "duration is longer than a week")
	}
	return time.Duration(n) * unit, nil
}

// resource is the first AIP's practitioner (else the first AIG's resource) and the first
// AIL's location.
func (mp *mapper) resource() (Resource, error) {
	var r Resource
	var err error
	for i, aip := range mp.m.Segments("AIP") {
		f := aip.Field(3)
		id, name := mp.clean(f.Component(1)), personName(mp.clean(f.Component(3)), mp.clean(f.Sub(2, 1)))
		if id == "" && name == "" {
			continue
		}
		if r.Practitioner, err = newPractitioner(id, name, fieldAt("AIP", i+1, 3, 0)); err != nil {
			return r, err
		}
		break
	}
	if r.Practitioner == (Practitioner{}) {
		for i, aig := range mp.m.Segments("AIG") {
			f := aig.Field(3)
			id, name := mp.clean(f.Component(1)), mp.clean(f.Component(2))
			if id == "" && name == "" {
				continue
			}
			if r.Practitioner, err = newPractitioner(id, name, fieldAt("AIG", i+1, 3, 0)); err != nil {
				return r, err
			}
			break
		}
	}
	for i, ail := range mp.m.Segments("AIL") {
		f := ail.Field(3)
		loc := ""
		for _, v := range []string{f.Component(1), f.Component(2), f.Sub(4, 1)} {
			if loc = mp.clean(v); loc != "" {
				break
			}
		}
		if loc == "" {
			continue
		}
		if err := bounded(loc, MaxNameLength, fieldAt("AIL", i+1, 3, 0), "location"); err != nil {
			return r, err
		}
		r.Location = loc
		break
	}
	return r, nil
}

func personName(given, family string) string {
	return strings.TrimSpace(given + " " + family)
}

func newPractitioner(id, name string, p fieldRef) (Practitioner, error) {
	if err := bounded(id, MaxIDLength, p, "identifier"); err != nil {
		return Practitioner{}, err
	}
	if err := bounded(name, MaxNameLength, p, "name"); err != nil {
		return Practitioner{}, err
	}
	return Practitioner{ID: id, Name: name}, nil
}

// notesAfter joins the NTE-3 texts of the NTE segments that directly follow the first
// segment named seg.
func (mp *mapper) notesAfter(seg string) (string, error) {
	all := mp.m.All()
	nte := 0
	for i, s := range all {
		if s.Name() == "NTE" {
			nte++
		}
		if s.Name() != seg {
			continue
		}
		var b noteBuf
		for _, n := range all[i+1:] {
			if n.Name() != "NTE" {
				break
			}
			nte++
			if err := b.add(mp, n, nte); err != nil {
				return "", err
			}
		}
		return b.String(), nil
	}
	return "", nil
}

// noteBuf collects NTE texts, bounded by MaxCommentsLength.
type noteBuf struct {
	parts []string
	n     int
}

func (b *noteBuf) add(mp *mapper, nte *hl7.Segment, occ int) error {
	for _, r := range nte.Field(3) {
		t := mp.cleanText(r.Component(1))
		if t == "" {
			continue
		}
		b.n += utf8.RuneCountInString(t) + 1
		if b.n-1 > MaxCommentsLength {
			return fieldAt("NTE", occ, 3, 0).fail(hl7.CodeDataTypeError,
				"comments are longer than "+strconv.Itoa(MaxCommentsLength)+" characters")
		}
		b.parts = append(b.parts, t)
	}
	return nil
}

func (b *noteBuf) String() string { return strings.Join(b.parts, "\n") }

// resultGroup is one OBR with what follows it up to the next OBR or ORC.
type resultGroup struct {
	obr      *hl7.Segment
	occ      int // OBR occurrence
	patient  string
	zra      *hl7.Segment
	zraOcc   int
	comments noteBuf
}

// results maps ORU^R01: each OBR group, under the PID before it (one ORU may carry several
// patients). Comments are the NTEs right after OBR (before any OBX) and right after ZRA;
// NTEs after an OBX comment the observation and are not read.
func (mp *mapper) results() ([]ResultRecord, error) {
	if mp.m.Segment("PID") == nil {
		return nil, fieldAt("PID", 0, 0, 0).fail(hl7.CodeSegmentSequenceError, "segment is missing")
	}
	if mp.m.Segment("OBR") == nil {
		return nil, fieldAt("OBR", 0, 0, 0).fail(hl7.CodeSegmentSequenceError,
			"segment is missing: a result message needs at least one")
	}
	var groups []*resultGroup
	var cur *resultGroup
	patient := ""
	pidOcc, obrOcc, nteOcc, zraOcc := 0, 0, 0, 0
	readNotes := false
	for _, s := range mp.m.All() {
		switch s.Name() {
		case "PID":
			pidOcc++
			p, err := mp.readPID(s, pidOcc)
			if err != nil {
				return nil, err
			}
			patient, cur, readNotes = p.ExternalID, nil, false
		case "OBR":
			obrOcc++
			if obrOcc > MaxResultGroups {
				return nil, fieldAt("OBR", obrOcc, 0, 0).fail(hl7.CodeApplicationError,
					"is one result group more than the "+strconv.Itoa(MaxResultGroups)+" Tidings takes in one message")
			}
			if patient == "" {
				return nil, fieldAt("OBR", obrOcc, 0, 0).fail(hl7.CodeSegmentSequenceError, "comes before any PID")
			}
			cur = &resultGroup{obr: s, occ: obrOcc, patient: patient}
			groups = append(groups, cur)
			readNotes = true
		case "ZRA":
			zraOcc++
			switch {
			case cur == nil:
				return nil, fieldAt("ZRA", zraOcc, 0, 0).fail(hl7.CodeSegmentSequenceError, "is not inside a result group (after an OBR)")
			case cur.zra != nil:
				return nil, fieldAt("ZRA", zraOcc, 0, 0).fail(hl7.CodeSegmentSequenceError, "repeats within one result group")
			}
			cur.zra, cur.zraOcc = s, zraOcc
			readNotes = true
		case "NTE":
			nteOcc++
			if cur != nil && readNotes {
				if err := cur.comments.add(mp, s, nteOcc); err != nil {
					return nil, err
				}
			}
		case "ORC":
			cur, readNotes = nil, false
		default:
			readNotes = false
		}
	}
	out := make([]ResultRecord, 0, len(groups))
	for _, g := range groups {
		r, err := mp.result(g)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func (mp *mapper) result(g *resultGroup) (ResultRecord, error) {
	r := ResultRecord{PatientExternalID: g.patient}
	obr, occ := g.obr, g.occ
	var err error
	filler, placer := mp.clean(obr.Field(3).Component(1)), mp.clean(obr.Field(2).Component(1))
	switch {
	case filler != "":
		r.ExternalID, err = filler, bounded(filler, MaxIDLength, fieldAt("OBR", occ, 3, 1), "filler order number")
	case placer != "":
		r.ExternalID, err = placer, bounded(placer, MaxIDLength, fieldAt("OBR", occ, 2, 1), "placer order number")
	default:
		err = fieldAt("OBR", occ, 3, 0).fail(hl7.CodeRequiredFieldMissing, "filler order number is missing (and OBR-2 too)")
	}
	if err != nil {
		return r, err
	}
	test := obr.Field(4)
	for _, c := range []int{2, 5, 1} {
		if r.Test = mp.clean(test.Component(c)); r.Test != "" {
			if err := bounded(r.Test, MaxTestLength, fieldAt("OBR", occ, 4, c), "test name"); err != nil {
				return r, err
			}
			break
		}
	}
	if v := mp.clean(obr.Field(7).Value()); v != "" {
		t, prec, err := hl7.ParseTime(v, mp.loc)
		switch {
		case err != nil:
			return r, fieldAt("OBR", occ, 7, 0).fail(hl7.CodeDataTypeError, "observation date/time is not a valid HL7 date/time")
		case prec < hl7.PrecisionDay:
			return r, fieldAt("OBR", occ, 7, 0).fail(hl7.CodeDataTypeError, "observation date/time is not given to the day")
		}
		r.Performed = t.UTC()
	}
	// OBR-32 is NDL: its first component is a CNN whose parts are subcomponents.
	interp := obr.Field(32)
	id, name := mp.clean(interp.Sub(1, 1)), personName(mp.clean(interp.Sub(1, 3)), mp.clean(interp.Sub(1, 2)))
	p := fieldAt("OBR", occ, 32, 0)
	if id == "" && name == "" {
		ord := obr.Field(16)
		id, name = mp.clean(ord.Component(1)), personName(mp.clean(ord.Component(3)), mp.clean(ord.Sub(2, 1)))
		p = fieldAt("OBR", occ, 16, 0)
	}
	if r.Doctor, err = newPractitioner(id, name, p); err != nil {
		return r, err
	}
	r.Category = mp.clean(obr.Field(24).Value())
	catPlace := fieldAt("OBR", occ, 24, 0)
	r.Comments = g.comments.String()
	r.HasComments = r.Comments != ""
	if zra := g.zra; zra != nil {
		if err := mp.action(zra, g.zraOcc, &r); err != nil {
			return r, err
		}
		if c := mp.clean(zra.Field(6).Value()); c != "" {
			r.Category, catPlace = c, fieldAt("ZRA", g.zraOcc, 6, 0)
		}
	}
	if err := bounded(r.Category, maxCodeLength, catPlace, "filing category"); err != nil {
		return r, err
	}
	switch {
	case !mp.prof.Takes(r.Category):
		r.Skip = "filing category is not one the software profile takes"
	case r.Action == "":
		r.Skip = SkipNotActioned
	default:
		r.Taken = true
		r.Outcome, r.Template = mp.prof.Decide(r.Action, r.HasComments)
	}
	return r, nil
}

// action reads the ZRA (result action) segment of a group; occ is its occurrence.
func (mp *mapper) action(zra *hl7.Segment, occ int, r *ResultRecord) error {
	var err error
	if r.Action, err = mp.value(zra.Field(1).Component(1), maxCodeLength, fieldAt("ZRA", occ, 1, 0), "action"); err != nil {
		return err
	}
	by := zra.Field(2)
	byName := personName(mp.clean(by.Component(3)), mp.clean(by.Sub(2, 1)))
	if r.ActionedBy, err = newPractitioner(mp.clean(by.Component(1)), byName, fieldAt("ZRA", occ, 2, 0)); err != nil {
		return err
	}
	if v := mp.clean(zra.Field(3).Value()); v != "" {
		t, _, err := hl7.ParseTime(v, mp.loc)
		if err != nil {
			return fieldAt("ZRA", occ, 3, 0).fail(hl7.CodeDataTypeError, "actioned date/time is not a valid HL7 date/time")
		}
		r.ActionedAt = t.UTC()
	}
	switch strings.ToUpper(mp.clean(zra.Field(4).Value())) {
	case "":
		r.State = StateNone
	case "N":
		r.State = StateNotified
	case "G":
		r.State = StateGiven
	case "D":
		r.State = StateDiscussed
	default:
		return fieldAt("ZRA", occ, 4, 0).fail(hl7.CodeTableValueNotFound, "patient communication state is not N, G, D or empty")
	}
	switch strings.ToUpper(mp.clean(zra.Field(5).Value())) {
	case "":
	case "Y":
		r.HasComments = true
	case "N":
		r.HasComments = false
	default:
		return fieldAt("ZRA", occ, 5, 0).fail(hl7.CodeTableValueNotFound, "comments flag is not Y, N or empty")
	}
	return nil
}

// language turns PID-15.1 into an ISO 639-1 code: a two-letter code Tidings knows (a region
// such as "en-AU" dropped), or a three-letter ISO 639-2/3 code with a two-letter
// equivalent; anything else (a local code, a name) is "", not guessed.
func isoLanguage(code string) string {
	c := strings.ToLower(code)
	if i := strings.IndexAny(c, "-_"); i >= 0 {
		c = c[:i]
	}
	switch len(c) {
	case 2:
		for i := 0; i+2 <= len(iso6391); i += 3 {
			if iso6391[i:i+2] == c {
				return c
			}
		}
	case 3:
		if i := strings.Index(iso6392, " "+c+":"); i >= 0 {
			return iso6392[i+5 : i+7]
		}
	}
	return ""
}

// iso6391 lists the ISO 639-1 codes, space separated.
const iso6391 = "aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy " +
	"da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz " +
	"ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo " +
	"lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps " +
	"pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn " +
	"to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu"

// iso6392 maps the three-letter codes (ISO 639-2 T and B, and the ISO 639-3 codes of
// languages common in Australian and New Zealand practices) that have a two-letter
// equivalent, as "xxx:yy" pairs separated by spaces: a constant, so the table cannot change.
const iso6392 = " " +
	"afr:af alb:sq amh:am ara:ar arm:hy aze:az baq:eu ben:bn bis:bi bos:bs bul:bg bur:my cat:ca " +
	"ces:cs chi:zh cmn:zh cym:cy cze:cs dan:da deu:de dut:nl ell:el eng:en est:et eus:eu fas:fa " +
	"fij:fj fil:tl fin:fi fra:fr fre:fr geo:ka ger:de gle:ga glg:gl gre:el guj:gu hau:ha heb:he " +
	"hin:hi hrv:hr hun:hu hye:hy ibo:ig ice:is ind:id isl:is ita:it jpn:ja kan:kn kat:ka kaz:kk " +
	"khm:km kor:ko kur:ku lao:lo lav:lv lit:lt mac:mk mal:ml mao:mi mar:mr may:ms mkd:mk mlt:mt " +
	"mon:mn mri:mi msa:ms mya:my nep:ne nld:nl nno:nn nob:nb nor:no pan:pa per:fa pol:pl por:pt " +
	"pus:ps ron:ro rum:ro rus:ru sin:si slk:sk slo:sk slv:sl smo:sm som:so spa:es sqi:sq srp:sr " +
	"swa:sw swe:sv tam:ta tel:te tgk:tg tgl:tl tha:th tir:ti ton:to tur:tr ukr:uk urd:ur uzb:uz " +
	"vie:vi wel:cy xho:xh yor:yo yue:zh zho:zh zsm:ms zul:zu" + " "
